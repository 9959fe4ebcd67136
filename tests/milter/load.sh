#!/bin/bash
# load.sh - concurrency: milterload runs inbound (SPF, DKIM verify, DMARC,
# A-R) and outbound (DKIM signing) connections at once while SIGUSR1
# reloads the configuration again and again; then the daemon is stopped
# with SIGTERM in the middle of a load run.  Every message must get its
# answer, the daemon must survive the reloads and stop cleanly.  Run by
# make check and, built with ThreadSanitizer, by tests/tsan.sh (which
# fails on any report the daemon or the client writes).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

ML=$build/contrib/bench/milterload
[ -x "$ML" ] || bail_out "$ML not built (make)"
ml() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" "$@"; }
N=${LOAD_MESSAGES:-100}     # messages per connection thread

tmpdir_make
T=$TEST_TMPDIR
"$here/contrib/bench/genmsg" small "$T/msgs" 3 || bail_out "genmsg failed"
cp -r "$here/policies" "$T/policies"
chmod -R u+w "$T/policies"
mkdir -m 700 "$T/keys"
"$build/postern-keygen" -d example.org -s load -a rsa -o "$T/keys" >/dev/null || bail_out "keygen"
"$build/postern-keygen" -d example.org -s loaded -a ed25519 -o "$T/keys" >/dev/null || bail_out "keygen"
{
	echo 'ZONE example.org.'
	echo 'example.org. 300 TXT "v=spf1 ip4:192.0.2.10 -all"'
	echo '_dmarc.example.org. 300 TXT "v=DMARC1; p=none"'
	for f in "$T"/keys/*.txt; do sed -E 's/ IN TXT \( (.*) \)$/ 300 TXT \1/' "$f"; done
	echo 'ZONE example.com.'
	echo 'ZONE bench.example.'
} >"$T/zone.txt"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
postern_start "$T/policies" "
dkim = { keys = [ \"example.org:load:$T/keys/example.org.load.pem\",
                  \"example.org:loaded:$T/keys/example.org.loaded.pem\" ]; };
" || bail_out "postern did not start"

field() { sed -nE "s/.*[ :]$1=([0-9]+).*/\\1/p" <<<"$2"; }

# reloads every 30 ms while the load runs
reloader() {
	while [ -e "$T/reloading" ]; do
		kill -USR1 "$PSTN_PID" 2>/dev/null
		sleep 0.03
	done
}
touch "$T/reloading"
reloader &
rpid=$!
ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 3 -n "$N" -k 5 -C 'mx.test.example;' >"$T/in.out" 2>&1 &
inpid=$!
ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 2 -n "$N" -k 4 -a 10.1.2.3 -C 'd=example.org' >"$T/out.out" 2>&1
ost=$?
wait "$inpid"; ist=$?
rm -f "$T/reloading"
wait "$rpid"

ok $ist "inbound load (3 connections x $N messages) during reloads, exit 0"
[ $ist -eq 0 ] || diag_file "$T/in.out"
ok $ost "outbound load (2 connections x $N messages) during reloads, exit 0"
[ $ost -eq 0 ] || diag_file "$T/out.out"
res=$(grep '^result:' "$T/in.out")
is "$(field continue "$res")" $((3 * N)) "every inbound message answered continue"
is "$(field 'insert:Authentication-Results' "$res")" $((3 * N)) "every inbound message got our A-R"
res=$(grep '^result:' "$T/out.out")
is "$(field continue "$res")" $((2 * N)) "every outbound message answered continue"
is "$(field 'insert:DKIM-Signature' "$res")" $((4 * N)) "every outbound message signed twice"
n=$(grep -c 'configuration reloaded' "$PSTN_LOG")
[ "$n" -ge 3 ]; ok $? "reloads happened during the load ($n)"
grep -q 'dkim: signing .* failed' "$PSTN_LOG"
[ $? -ne 0 ]; ok $? "no signing failure under load"
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "postern still running"

# SIGTERM while connections are busy: libmilter ends the sessions; the
# daemon waits for callbacks still running (bounded) before it frees the
# engines, and exits cleanly
ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 4 -n 1000 -k 1000 >"$T/stop.out" 2>&1 &
spid=$!
for _ in $(seq 1 50); do
	[ "$(grep -c ': eom: ' "$PSTN_LOG")" -gt $((5 * N + 20)) ] && break
	sleep 0.1
done
kill -TERM "$PSTN_PID"
gone=1
for _ in $(seq 1 150); do
	if ! kill -0 "$PSTN_PID" 2>/dev/null || [ "$(ps -o stat= -p "$PSTN_PID" 2>/dev/null | cut -c1)" = Z ]; then
		gone=0; break
	fi
	sleep 0.1
done
ok $gone "SIGTERM during a load run stops the daemon"
wait "$spid" 2>/dev/null
grep -q 'postern stopping' "$PSTN_LOG"; ok $? "clean stop logged"
grep -q 'no callback running' "$PSTN_LOG"; ok $? "the stop waited for the running callbacks, then freed the engines"
tap_done
