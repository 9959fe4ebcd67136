#!/bin/bash
# spamd.sh - the optional SpamAssassin spamd through the running daemon:
# a real spamd (Debian's spamd package) on a loopback port the test picks
# folds its score in as the rule "spamd"; stopped, the mail keeps flowing
# (spamd=down, rule spamd_error, one warning) or waits (451) where a
# policy asks; a server that accepts and never answers is a timeout.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"
SPAMD=${SPAMD:-$(command -v spamd || echo /usr/sbin/spamd)}
[ -x "$SPAMD" ] || skip_all "spamd not installed (apt-get install spamd spamassassin)"
tmpdir_make
cp -r "$here/tests/spam/policies" "$TEST_TMPDIR/policies"
chmod -R u+w "$TEST_TMPDIR/policies"
# the DNS list policies belong to behaviour.sh, whose config defines the lists
rm -f "$TEST_TMPDIR/policies/loose.example.conf" "$TEST_TMPDIR/policies/strict.example.conf"
dns_start "$here/tests/spam/zone.txt" || bail_out "DNS fixture did not start"

SPAMD_PORT=$(free_port tcp)
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
spawn SPAMD_REAPER "$TEST_TMPDIR/spamd.log" "$SPAMD" -L -x "${user[@]}" \
	--listen="127.0.0.1:$SPAMD_PORT" --min-children=1 --max-children=2 --syslog=stderr \
	--pidfile="$TEST_TMPDIR/spamd.pid"
on_exit reap_stop "$SPAMD_REAPER"
spamd_up=1
for _ in $(seq 1 300); do   # spamd compiles its rules first: up to 30 s
	grep -q 'server successfully spawned child' "$TEST_TMPDIR/spamd.log" 2>/dev/null && break
	kill -0 "$SPAMD_REAPER" 2>/dev/null || { spamd_up=0; break; }
	sleep 0.1
done
grep -q 'server successfully spawned child' "$TEST_TMPDIR/spamd.log" || spamd_up=0
[ $spamd_up = 1 ] || { diag_file "$TEST_TMPDIR/spamd.log"; bail_out "spamd did not start"; }

# the lists the shared test policies name (192.0.2.10 is in none of them)
postern_start "$TEST_TMPDIR/policies" "spam = { spamd = \"127.0.0.1:$SPAMD_PORT\"; spamd_timeout = 1500;
	dnsbl = [ \"bl bl.example score=4\", \"mask mask.example score=2.5 mask=0x04\" ]; };" ||
	bail_out "postern did not start"
run_phase() {
	local out="$TEST_TMPDIR/$1.out" st
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -D phase="$1" \
		-s "$here/tests/spam/spamd.lua" >"$out" 2>&1
	st=$?; ok $st "miltertest spamd.lua phase=$1"
	[ $st -eq 0 ] || diag_file "$out"
}
logged() { grep -qE "$1" "$PSTN_LOG"; ok $? "$2"; }

run_phase up
logged 'UP1: eom: .* spam=[0-9.]+/1.0 spam_rules=spamd=[1-9][0-9.]*,.* spamd=ok\([1-9][0-9.]*\) verdict=tag' "spamd's score is a rule and tags"
logged 'UP2: eom: .*spamd=ok\(1000.0\) .*verdict=reject check=spam' "GTUBE: spamd agrees, refused"

reap_stop "$SPAMD_REAPER"; SPAMD_REAPER=
run_phase down
logged 'DOWN1: eom: .*spamd_error=0.0 spamd=down verdict=accept' "spamd down: spamd_error shown, accepted"
logged 'DOWN2: eom: .*spamd=down verdict=tempfail check=spam reply="451 4.7.1 spam check unavailable' "spamd down under spamd_down_action = tempfail: 451"
n=$(grep -c 'spam: spamd .*: down' "$PSTN_LOG")
[ "$n" = 1 ]; ok $? "spamd down is logged once a minute, not per message (got $n)"

# a server that accepts and never answers: the deadline holds
SILENT_PORT=$(free_port tcp)
spawn SILENT_REAPER "$TEST_TMPDIR/silent.log" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
print("listening", flush=True)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$SILENT_PORT"
on_exit reap_stop "$SILENT_REAPER"
for _ in $(seq 1 50); do grep -q listening "$TEST_TMPDIR/silent.log" && break; sleep 0.1; done
sed -i "s/127.0.0.1:$SPAMD_PORT/127.0.0.1:$SILENT_PORT/" "$PSTN_CONF"
kill -USR1 "$PSTN_PID"
for _ in $(seq 1 50); do grep -q 'configuration reloaded' "$PSTN_LOG" && break; sleep 0.1; done
start=$(date +%s%N)
run_phase slow
el=$(( ($(date +%s%N) - start) / 1000000 ))
logged 'SLOW1: eom: .*spamd=timeout verdict=accept' "slow spamd: timeout, accepted"
[ "$el" -lt 8000 ]; ok $? "two messages with a silent spamd took ${el} ms (deadline 1.5 s each)"
tap_done
