#!/bin/bash
# smoke.sh - the milter load client (contrib/bench/milterload) against the
# running daemon: correctness only, no timing.  Every reply is read, the
# Authentication-Results insertions match the messages, outbound mail gets
# none, -w writes what the milter added, hostile sizes leave the daemon
# serving; against a scripted milter (fakemilter.py) every modification
# action, macro lists, SKIP and refusals are handled, and an action that
# was not negotiated, like a peer that does not speak the protocol, fails
# the client.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

ML=$build/contrib/bench/milterload
[ -x "$ML" ] || bail_out "$ML not built (make)"
# the load client keeps its per-run buffers until exit: in the sanitizer
# pass only the daemon's leaks matter
ml() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" "$@"; }

tmpdir_make
"$here/contrib/bench/genmsg" small "$TEST_TMPDIR/msgs" 2 ||
	bail_out "genmsg failed"
cp -r "$here/policies" "$TEST_TMPDIR/policies"
chmod -R u+w "$TEST_TMPDIR/policies"
dns_start "$here/tests/data/foundation.zone" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" || bail_out "postern did not start"

field() { sed -nE "s/.*[ :]$1=([0-9]+).*/\\1/p" <<<"$2"; }

# inbound: 2 connections x 5 messages, each gets our A-R
out=$(ml -s "$PSTN_SOCK" -m "$TEST_TMPDIR/msgs" -c 2 -n 5 -C 'mx.test.example;' 2>&1)
ok $? "milterload: 2 connections x 5 messages, exit 0"
diag "$out"
res=$(grep '^result:' <<<"$out")
is "$(field messages "$res")" 10 "10 messages run"
is "$(field continue "$res")" 10 "10 final replies: continue"
is "$(field 'insert:Authentication-Results' "$res")" 10 "one A-R inserted per message"
is "$(field text1 "$res")" 10 "each A-R names our authserv-id"
is "$(field connections "$res")" 2 "two milter connections"
like "$(field replies "$res")" '^[1-9][0-9]+$' "replies were read"
is "$(grep -c ': eom: client=client.bench.example\[192.0.2.10\] dir=inbound' "$PSTN_LOG")" 10 \
	"postern logged one inbound summary line per message"

# outbound (internal client, -k: a new connection per 2 messages): no A-R
res=$(ml -q -s "$PSTN_SOCK" -m "$TEST_TMPDIR/msgs" -c 1 -n 4 -k 2 -a 10.1.2.3 -D '{daemon_name}=smtpd')
ok $? "outbound run, exit 0"
is "$(field continue "$res")" 4 "4 outbound messages accepted"
is "$(field 'insert:Authentication-Results' "$res")" "" "no A-R on outbound mail"
is "$(field connections "$res")" 2 "-k 2: two connections for 4 messages"

# -P: one send() per packet, as Postfix writes them
res=$(ml -q -P -s "$PSTN_SOCK" -m "$TEST_TMPDIR/msgs" -c 1 -n 3)
ok $? "-P run, exit 0"
is "$(field 'insert:Authentication-Results' "$res")" 3 "-P: one A-R per message"

# -w: the message as the milter left it
ml -q -s "$PSTN_SOCK" -m "$TEST_TMPDIR/msgs" -c 1 -n 2 -w "$TEST_TMPDIR/out" >/dev/null
ok $? "-w run, exit 0"
# postern inserts Authentication-Results and Received-SPF (folded) on top
first=$(head -n 1 "$TEST_TMPDIR/msgs/small-000.eml")
n=$(grep -n -m 1 -F -x -- "$first" "$TEST_TMPDIR/out/small-000.eml" | cut -d: -f1)
head -n $((${n:-1} - 1)) "$TEST_TMPDIR/out/small-000.eml" | grep -q '^Authentication-Results: mx.test.example;'
ok $? "-w wrote the inserted A-R above the original message"
cmp -s <(tail -n +"${n:-1}" "$TEST_TMPDIR/out/small-000.eml") "$TEST_TMPDIR/msgs/small-000.eml"
ok $? "-w kept the original message bytes"

# hostile sizes (beyond what miltertest can send): the run ends cleanly and
# the daemon keeps serving
for x in helo=100000 from=70000 rcpt=70000 header=300000; do
	res=$(ml -q -e -s "$PSTN_SOCK" -m "$TEST_TMPDIR/msgs/small-000.eml" -c 1 -n 2 -X $x 2>&1)
	ok $? "-X $x: no protocol error ($res)"
done
res=$(ml -q -s "$PSTN_SOCK" -m "$TEST_TMPDIR/msgs" -c 1 -n 1)
is "$(field continue "$res")" 1 "postern still serves after the hostile runs"

# a scripted milter (tests/bench/fakemilter.py): actions postern never
# sends, macro lists, SKIP, refusals, an action that was not negotiated
fake_start() {   # fake_start MODE: FAKE_PORT, FAKE_LOG
	FAKE_PORT=$(free_port tcp)
	FAKE_LOG=$TEST_TMPDIR/fake-$1.log
	rm -f "$TEST_TMPDIR/fake.ready"
	python3 "$here/tests/bench/fakemilter.py" "$FAKE_PORT" "$TEST_TMPDIR/fake.ready" "$1" "$FAKE_LOG" &
	FAKE_PID=$!
	on_exit "kill $FAKE_PID 2>/dev/null; wait $FAKE_PID 2>/dev/null"
	for _ in $(seq 1 100); do [ -e "$TEST_TMPDIR/fake.ready" ] && return 0; sleep 0.1; done
	return 1
}
"$here/contrib/bench/genmsg" large "$TEST_TMPDIR/large" 1 || bail_out "genmsg large"
fake_start mods || bail_out "fakemilter did not start"
res=$(ml -q -s "inet:$FAKE_PORT@127.0.0.1" -m "$TEST_TMPDIR/large" -c 1 -n 2 -t 10 \
	-D '{daemon_name}=MTA' -D '{auth_authen}=alice' 2>&1)
ok $? "every modification action: exit 0 ($res)"
for kv in continue=2 add:X-Added=2 insert:X-Ins=2 delete:Subject=2 addrcpt=2 delrcpt=2 quarantine=2; do
	[[ " $res " == *" $kv "* ]]; ok $? "counted $kv"
done
is "$(grep -c '^D C' "$FAKE_LOG")" 1 "one connect macro packet"
is "$(grep '^D C' "$FAKE_LOG")" "D C {daemon_name}" "only the macros the milter listed were sent"
is "$(grep -c '^D M i {auth_authen}' "$FAKE_LOG")" 2 "{auth_authen} and i at MAIL"
is "$(grep -c '^B$' "$FAKE_LOG")" 2 "SMFIR_SKIP: one body chunk per 2 MB message"
is "$(grep -c '^E$' "$FAKE_LOG")" 2 "then end of message"
kill $FAKE_PID; wait $FAKE_PID 2>/dev/null

fake_start rcptreject || bail_out "fakemilter did not start"
res=$(ml -q -s "inet:$FAKE_PORT@127.0.0.1" -m "$TEST_TMPDIR/msgs" -c 1 -n 2 -t 10 2>&1)
ok $? "RCPT refused: exit 0"
[[ $res == *" reject@rcpt=2"* ]]; ok $? "counted reject@rcpt=2 ($res)"
# the fake milter logs after it has answered: give its last line a moment
for _ in $(seq 1 30); do [ "$(grep -c '^A$' "$FAKE_LOG")" -ge 2 ] && break; sleep 0.1; done
is "$(grep -c '^A$' "$FAKE_LOG")" 2 "SMFIC_ABORT after each refused transaction"
is "$(grep -c '^E$' "$FAKE_LOG")" 0 "no content sent for them"
kill $FAKE_PID; wait $FAKE_PID 2>/dev/null

fake_start badmod || bail_out "fakemilter did not start"
err=$(ml -q -s "inet:$FAKE_PORT@127.0.0.1" -m "$TEST_TMPDIR/msgs" -c 1 -n 1 -t 10 2>&1)
is "$?" 1 "a modification that was not negotiated: exit status 1"
like "$err" "PROTOCOL ERROR: .*eom: modification 'b' without the negotiated action" "... named"
kill $FAKE_PID; wait $FAKE_PID 2>/dev/null

# a peer that is not a milter: loud failure
port=$(free_port tcp)
python3 - "$port" "$TEST_TMPDIR/ready" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(10)
open(sys.argv[2], "w").close()
c, _ = s.accept(); c.recv(100); c.sendall(b"\x00\x00\x00\x05xjunk"); c.close()
PY
junk=$!
for _ in $(seq 1 100); do [ -e "$TEST_TMPDIR/ready" ] && break; sleep 0.1; done
err=$(ml -q -s "inet:$port@127.0.0.1" -m "$TEST_TMPDIR/msgs" -c 1 -n 1 -t 5 2>&1)
is "$?" 1 "a non-milter peer: exit status 1"
like "$err" 'PROTOCOL ERROR: .*negotiat' "... with a message naming the step"
wait $junk 2>/dev/null
ml -q -s "inet:$port@127.0.0.1" -m "$TEST_TMPDIR/msgs" -c 1 -n 1 -t 5 >/dev/null 2>&1
is "$?" 1 "nothing listening: exit status 1"

tap_done
