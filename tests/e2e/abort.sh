#!/bin/bash
# abort.sh - aborted transactions and oversized headers through a real
# Postfix (smtpd_milters -> postern, milter_default_action = tempfail):
#  - a client that drops its connection mid-body: nothing is delivered,
#    postern logs the abort and serves the next mail;
#  - RSET after RCPT (the MTA aborts the transaction): the mail sent again
#    on the same session is delivered once, with one A-R;
#  - 150 KB and (header_size_limit raised to 4 MB) 1.5 MB header fields:
#    Postfix hands the milter, and delivers, about 60 KB of the field; the
#    mail is accepted and delivered once, the milter connection never lost;
#  - a milter client that sends a header packet over libmilter's limit
#    (postern sets 1 MiB with smfi_setmaxdatasize): libmilter drops that
#    connection, the daemon serves on.  docs/RELIABILITY.md lists the Postfix
#    settings that keep such mail queued instead of lost.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"

postfix_require
tmpdir_make
cp -r "$here/tests/e2e/policies" "$TEST_TMPDIR/policies"
dns_start "$here/tests/data/foundation.zone" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" || bail_out "postern did not start"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"
FAULT="python3 $here/tests/e2e/smtpfault.py $PF_PORT"
count_subject() { grep -l -s "^Subject: $1\$" $(pf_delivered) 2>/dev/null | wc -l; }

# 1. the client drops the connection mid-body
out=$($FAULT middrop abort-middrop 2>&1)
like "$out" 'dropped mid-body' "client dropped the connection in the middle of the body"
smtp_send --xclient-addr 192.0.2.10 --to user@example.net --header "Subject: abort-after-drop"
ok $? "the next mail is accepted"
pf_delivered_subject abort-after-drop >/dev/null; ok $? "and delivered"
is "$(count_subject abort-middrop)" 0 "nothing of the dropped mail is delivered"
grep -qE 'lost connection after DATA|disconnect from .* data=0/1' "$PF_LOG"
ok $? "Postfix saw the client disconnect after DATA"
grep -qE ': (abort|close): ' "$PSTN_LOG" || grep -qE 'abort' "$PSTN_LOG"
ok $? "postern logged the aborted transaction"

# 2. RSET after RCPT, then the same mail on the same session
out=$($FAULT rset abort-rset 2>&1)
like "$out" $'rset 250 .*\n.*data 250 ' "RSET answered, then the mail accepted on the same session"
f=$(pf_delivered_subject abort-rset); ok $? "the mail after RSET is delivered"
is "$(count_subject abort-rset)" 1 "exactly once"
is "$(pf_headers "$f" | grep -c '^Authentication-Results: mx.test.example')" 1 "with one A-R of ours"

# 3. long header fields: Postfix (3.7) hands a milter at most about 60 KB of
#    one field (measured: without a milter it keeps header_size_limit,
#    100 KB), so through Postfix no milter packet reaches libmilter's limit
hdr_len() { pf_headers "$1" | awk '/^X-Long:/ { on = 1 } on && /^[^ ]/ && !/^X-Long:/ { on = 0 } on { n += length($0) + 1 } END { print n + 0 }'; }
out=$($FAULT bighdr abort-150k 150000 2>&1)
like "$out" 'data 250 ' "150 KB header field: accepted"
f=$(pf_delivered_subject abort-150k); ok $? "and delivered"
n=$(hdr_len "$f"); diag "delivered X-Long: $n bytes of 150000"
[ "$n" -gt 50000 ] && [ "$n" -lt 65536 ]; ok $? "Postfix passed the milter (and delivered) $n bytes of the field"
pf_postconf -e header_size_limit=4000000 message_size_limit=20000000
pf_reload
sleep 1
out=$($FAULT bighdr abort-1500k 1500000 2>&1)
like "$out" 'data 250 ' "1.5 MB header field with header_size_limit = 4 MB: accepted, no tempfail loop"
f=$(pf_delivered_subject abort-1500k); ok $? "and delivered"
is "$(count_subject abort-1500k)" 1 "exactly once"
n=$(hdr_len "$f"); diag "delivered X-Long: $n bytes of 1500000"
grep -qE 'milter.*(lost connection|read error|write error|reply packet)' "$PF_LOG"
[ $? -ne 0 ]; ok $? "Postfix never lost its milter connection"

# 4. a packet over libmilter's limit (1 MiB, smfi_setmaxdatasize) from a
#    milter client that sends one (milterload): libmilter drops that
#    connection, the daemon serves the next ones; an MTA would apply
#    milter_default_action (tempfail: the mail stays queued)
ML=${top_builddir:-$here}/contrib/bench/milterload
"$here/contrib/bench/genmsg" small "$TEST_TMPDIR/m" 1 >/dev/null
out=$(ASAN_OPTIONS=detect_leaks=0 "$ML" -s "$PSTN_SOCK" -m "$TEST_TMPDIR/m" -n 2 -e -q -X header=1100000 2>&1)
like "$out" 'closed@(header|eoh|body)=2' "a 1.1 MB header packet: libmilter closes the connection (${out##*connections=2 })"
out=$(ASAN_OPTIONS=detect_leaks=0 "$ML" -s "$PSTN_SOCK" -m "$TEST_TMPDIR/m" -n 2 -q -X header=900000 2>&1)
like "$out" 'messages=2 .*continue=2' "a 900 KB header packet (under the limit) is answered"
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "postern still running"
postfix_stop
postern_stop
tap_done
