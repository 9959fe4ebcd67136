#!/bin/bash
# faults.sh - DNS faults and recovery.
#  1. The resolver of filter/dns/dns.c (tests/tools/dnsq in loop mode, one
#     context for the whole run, as in the daemon) while the unbound fixture
#     is stopped and started again on the same port: no query takes longer
#     than the deadline, and the first answer comes less than RECOVERY_MS
#     (1000) after the server answers again (libunbound alone remembered the
#     dead server for seconds: its infra cache and a 5 s SERVFAIL cache).
#  2. The running daemon, SPF through a fault-injecting proxy
#     (tests/lib/dnsfault.sh): SERVFAIL, REFUSED, garbage, noise, no answer,
#     answers later than dns.timeout, the server stopped: every time the
#     policy's reply (451 4.7.24 at RCPT) within dns.timeout + 1 s, never
#     an accepted check that could not run; and sessions pass again less
#     than RECOVERY_MS after the server answers again.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/dnsfault.sh"
. "$here/tests/lib/postern.sh"

MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"
DNSQ=${DNSQ:-$build/tests/tools/dnsq}
[ -x "$DNSQ" ] || bail_out "$DNSQ not built"
RECOVERY_MS=${RECOVERY_MS:-1000}
DOWN_S=${DOWN_S:-4}
now_ms() { date +%s%3N; }

tmpdir_make
cat >"$TEST_TMPDIR/zone.txt" <<'ZONE'
ZONE fault.example.
pass.fault.example. 0 TXT "v=spf1 ip4:192.0.2.10 -all"
ZONE
dns_start "$TEST_TMPDIR/zone.txt" || bail_out "DNS fixture did not start"

# ---- 1. server stopped and restarted: recovery time of the resolver --------
# up_at: print the time (ms) the fixture first answers; polls every 10 ms
up_at() {
	python3 - "$DNS_PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01"
end = time.time() + 20
while time.time() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.01)
    try:
        s.sendto(q, ("127.0.0.1", port))
        if s.recv(512)[:2] == q[:2]:
            print(int(time.time() * 1000)); sys.exit(0)
    except OSError:
        time.sleep(0.01)
    finally:
        s.close()
sys.exit(1)
PY
}

"$DNSQ" -l 50 -t 1000 -s "$DNS_ADDR@$DNS_PORT" pass.fault.example TXT >"$TEST_TMPDIR/loop.out" 2>"$TEST_TMPDIR/loop.err" &
loop_pid=$!
on_exit "kill $loop_pid 2>/dev/null"
sleep 0.5
t_stop=$(now_ms)
dns_stop
sleep "$DOWN_S"
up_at >"$TEST_TMPDIR/up.out" &
up_pid=$!
dns_restart || bail_out "DNS fixture did not restart"
wait "$up_pid"; t_up=$(cat "$TEST_TMPDIR/up.out")
sleep 2
kill "$loop_pid"; wait "$loop_pid" 2>/dev/null
read -r before fails first_ok slowest < <(awk -v stop="$t_stop" -v up="$t_up" '
	$1 < stop && $2 == "ok" { before++ }
	$1 >= stop && $2 != "ok" { fails++ }
	$1 >= up && $2 == "ok" && first == "" { first = $1 }
	$3 > slow { slow = $3 }
	END { print before + 0, fails + 0, (first == "" ? -1 : first), slow + 0 }' "$TEST_TMPDIR/loop.out")
diag "answers before the stop: $before; failed look-ups while down: $fails; slowest look-up: $slowest ms"
[ "$before" -gt 0 ] && [ "$fails" -gt 0 ]
ok $? "the server's stop is seen (answers, then failures)"
[ "$slowest" -le 2000 ]; ok $? "no look-up took longer than the 1000 ms deadline + 1 s (the issue's bound; a loaded CI machine overshot +500): $slowest ms"
if [ "$first_ok" -lt 0 ]; then
	ok 1 "answers again after the restart"
	diag_file "$TEST_TMPDIR/loop.out"
else
	rec=$((first_ok - t_up))
	[ "$rec" -lt 0 ] && rec=0
	diag "recovery: first answer ${rec} ms after the server answered again (down ${DOWN_S} s)"
	[ "$rec" -lt "$RECOVERY_MS" ]; ok $? "recovery in under $RECOVERY_MS ms: $rec ms"
	[ "$rec" -lt "$RECOVERY_MS" ] || diag_file "$TEST_TMPDIR/loop.out"
fi
last=$(tail -n 3 "$TEST_TMPDIR/loop.out" | awk '{ print $2 }' | sort -u | xargs)
is "$last" ok "and keeps answering"
grep -q 'answer again; a fresh resolver context' "$TEST_TMPDIR/loop.err"
ok $? "the recovery is logged"

# ---- 2. the daemon through the fault proxy --------------------------------
dnsfault_start || bail_out "fault proxy did not start"
postern_start "$here/tests/spf/policies" \
	"dns = { nameservers = [ \"127.0.0.1@$FAULT_PORT\" ]; timeout = 1000; };" ||
	bail_out "postern did not start"

n=0
# session WANT LABEL: one SPF-checked session; sets $dt (ms) and $qid
session() {
	n=$((n + 1))
	qid="F$n"
	local t0 st
	t0=$(now_ms)
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/dns" -D qid="$qid" \
		-D from="<a@pass.fault.example>" -D want="$1" \
		-s "$here/tests/dns/faults.lua" >"$TEST_TMPDIR/$qid.out" 2>&1
	st=$?
	dt=$(($(now_ms) - t0))
	[ $st -eq 0 ] || diag_file "$TEST_TMPDIR/$qid.out"
	return $st
}
noticed() { grep -c 'resolver: the name servers do not answer' "$PSTN_LOG"; }
tempfails() {   # tempfails LABEL [again]: 451 within timeout + 1 s, logged as
	local what=$1 seen i   # temperror; and (unless "again") the outage noticed
	seen=$(noticed)
	session tempfail; ok $? "$what: the RCPT gets the policy's tempfail ($dt ms)"
	[ "$dt" -le 2000 ]; ok $? "$what: answered within dns.timeout + 1 s ($dt ms)"
	grep -qE "$qid: abort: .*spf=temperror .*reply=\"451 4\\.7\\.24" "$PSTN_LOG"
	ok $? "$what: logged as SPF temperror with 451 4.7.24"
	[ "${2:-}" = again ] && return
	# the daemon probes the servers; the fault lasts until it has seen them fail
	# (the monitor may sit in its 1 s calm pause before its 400 ms probe:
	# up to 6 s here, for a loaded machine; CI once missed it at 3 s)
	for ((i = 0; i < 120; i++)); do
		[ "$(noticed)" -gt "$seen" ] && break
		sleep 0.05
	done
	[ "$(noticed)" -gt "$seen" ]; ok $? "$what: the resolver notices the servers fail"
}
recovers() {    # recovers LABEL: a session passes again within RECOVERY_MS
	local t0 waited
	t0=$(now_ms)
	while :; do
		session continue >/dev/null 2>&1 && break
		[ $(($(now_ms) - t0)) -lt $((RECOVERY_MS + 1000)) ] || break
		sleep 0.05
	done
	waited=$(($(now_ms) - t0 - dt))
	[ "$waited" -lt "$RECOVERY_MS" ] && grep -qE "$qid: eom: .*spf=pass" "$PSTN_LOG"
	ok $? "after $1: sessions pass again within $RECOVERY_MS ms (the first at +$waited ms)"
}

# calm: wait (up to 6 s) until the monitor has seen every outage it noticed
# end ("answer again" as often as "do not answer"): a session can pass on
# the old context while the monitor still probes, and an outage that starts
# then is the one it already reported, so it would log nothing new
answered() { grep -c 'resolver: the name servers answer again' "$PSTN_LOG"; }
calm() {
	local i
	for ((i = 0; i < 120; i++)); do
		[ "$(answered)" -ge "$(noticed)" ] && return 0
		sleep 0.05
	done
	diag "the monitor did not log the servers' return"
}
session continue; ok $? "no fault: SPF pass, accepted ($dt ms)"
for fault in servfail refused garbage noise drop "slow 1600"; do
	calm
	dnsfault_mode "$fault"
	tempfails "$fault"
	dnsfault_mode pass
	recovers "$fault"
done
calm
dnsfault_stop
tempfails "server stopped"
tempfails "server still stopped" again
dnsfault_restart || bail_out "fault proxy did not restart"
recovers "server restarted"
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "postern still running"
tap_done
