#!/bin/bash
# crash.sh - nothing lost, nothing duplicated when postern dies: a client
# (tests/e2e/loadclient.py, the sending MTA) sends COUNT (500) numbered
# messages through a real Postfix (smtpd_milters -> postern,
# milter_default_action = tempfail) while the test kills postern with
# kill -9 twice and restarts it; the client then retries what was not
# accepted, as a sending MTA's queue would.  Every Message-ID the client
# saw accepted is delivered exactly once, nothing else is delivered, no
# message was refused for good, Postfix's queue ends empty, and after the
# retries every message is delivered.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"

postfix_require
COUNT=${COUNT:-500}

tmpdir_make
cp -r "$here/tests/e2e/policies" "$TEST_TMPDIR/policies"
dns_start "$here/tests/data/foundation.zone" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" || bail_out "postern did not start"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"
LOG=$TEST_TMPDIR/client.log
CLIENT="python3 $here/tests/e2e/loadclient.py $PF_PORT"

lines() { [ -f "$LOG" ] && wc -l <"$LOG" || echo 0; }
wait_lines() {  # wait_lines N: until the client has made N attempts (60 s)
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(lines)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

$CLIENT send "$COUNT" "$LOG" >"$TEST_TMPDIR/send.out" 2>&1 &
client=$!
on_exit "kill $client 2>/dev/null"
kills=0
for at in $((COUNT / 5)) $((COUNT * 3 / 5)); do
	wait_lines "$at" || break
	postern_kill9 && kills=$((kills + 1))
	diag "kill -9 of postern after $(lines) attempts"
	sleep 1
	postern_restart || bail_out "postern did not restart"
done
wait "$client"
ok $? "the client finished its run: $(cat "$TEST_TMPDIR/send.out")"
is "$kills" 2 "postern was killed twice during the run"
tempfailed=$(awk '$3 ~ /^4/ || $3 == "ERR"' "$LOG" | wc -l)
[ "$tempfailed" -gt 0 ]; ok $? "the kills cost the client tempfails ($tempfailed attempts): they hit the run"
refused=$(awk '$3 ~ /^5/' "$LOG" | wc -l)
is "$refused" 0 "no message was refused for good"

# after the first pass: what the client saw accepted is delivered, once
accepted() { awk '$3 == 250 && $4 == "data" { print $2 }' "$LOG" | sort; }
delivered_ids() {
	pf_delivered | xargs -r grep -h -i -m1 '^Message-ID:' | awk '{ print $2 }' | sort
}
n_acc=$(accepted | sort -u | wc -l)
pf_wait_delivered "$n_acc" 60
dups=$(delivered_ids | uniq -d | wc -l)
is "$dups" 0 "no Message-ID delivered twice"
diff <(accepted | sort -u) <(delivered_ids | sort -u) >"$TEST_TMPDIR/diff1" 2>&1
ok $? "first pass: delivered = accepted by the client ($n_acc of $COUNT; the rest still queued at the client)"
[ -s "$TEST_TMPDIR/diff1" ] && diag_file "$TEST_TMPDIR/diff1"

# the client's queue: retry what is pending until all is accepted
for round in 1 2 3; do
	out=$($CLIENT retry "$LOG")
	diag "retry $round: $out"
	[ "${out##* }" = 0 ] && break
	sleep 1
done
like "$out" "^accepted $COUNT pending 0\$" "after the retries the client has every message accepted"
pf_wait_delivered "$COUNT" 60
n_del=$(delivered_ids | wc -l)
n_uniq=$(delivered_ids | sort -u | wc -l)
is "$n_del/$n_uniq" "$COUNT/$COUNT" "$COUNT messages delivered, $COUNT distinct Message-IDs"
dups=$(delivered_ids | uniq -d | wc -l)
is "$dups" 0 "still no duplicate"
q=$(pf_queue 2>&1 | tail -n 1)
like "$q" 'Mail queue is empty' "Postfix's queue is empty: nothing stuck"
grep -c 'milter.*\(Connection refused\|unavailable\|lost connection\|service unavailable\)' "$PF_LOG" >"$TEST_TMPDIR/pfmilter" || true
diag "Postfix log lines about the milter being unavailable: $(cat "$TEST_TMPDIR/pfmilter")"
postfix_stop
postern_stop
tap_done
