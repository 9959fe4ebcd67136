#!/bin/bash
# sendmail.sh - postern behind a real Sendmail (8.17, Debian's package
# unpacked privately: tests/lib/sendmail.sh) configured with
# contrib/sendmail/postern.mc, on loopback ports this test picks, DNS from
# the loopback fixture.  Sendmail has no XCLIENT: the client address is
# chosen with swaks --local-interface among 127/8 (postern gives loopback
# no SPF free pass).  Proves, with Sendmail's macros:
#   - SPF fail refused at RCPT (550 5.7.23); SPF pass delivered with
#     Received-SPF and Authentication-Results on top;
#   - direction: internal_hosts client, SMTP AUTH ({auth_authen}) and the
#     MSA daemon ({daemon_name}) are outbound and DKIM-signed; the same
#     client on the MTA daemon is inbound; the signature verifies when the
#     mail comes back in;
#   - an .exe attachment refused at end of data (554 5.7.1);
#   - queue ids: each summary line carries Sendmail's id (macro i, sent at
#     MAIL), the one in its "250 2.0.0 <id> Message accepted" reply and
#     its Received header; exactly one summary line per transaction;
#   - F=T: postern stopped, Sendmail answers 4xx and keeps nothing.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/sendmail.sh"

sendmail_require
tmpdir_make
T=$TEST_TMPDIR
mkdir -m 700 "$T/keys"
"$build/postern-keygen" -d example.org -s sm2026 -a rsa -o "$T/keys" >/dev/null || bail_out "keygen"
{
	echo 'ZONE spf.example.'
	echo 'pass.spf.example. 0 TXT "v=spf1 ip4:127.0.0.10 ip4:127.0.0.40 -all"'
	echo 'fail.spf.example. 0 TXT "v=spf1 -all"'
	echo 'example.org. 0 TXT "v=spf1 ip4:127.0.0.2 -all"'
	sed -E 's/ IN TXT \( (.*) \)$/ 300 TXT \1/' "$T/keys/example.org.sm2026.txt"
} >"$T/zone.txt"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"

mkdir -p "$T/policies"
# the sasldb user may send as sender@example.org (sender_login, docs/POLICY.md)
cat >"$T/policies/default.conf" <<EOF
blocked_extensions = [ "exe", "scr" ];
sender_login = { map = [ "*@domain", "$SM_AUTH_USER sender@example.org" ]; };
EOF
PSTN_INTERNAL='"127.0.0.2/32"' PSTN_ORIGINATING='"MSA"' postern_start "$T/policies" "
dkim = { keys = [ \"example.org:sm2026:$T/keys/example.org.sm2026.pem\" ]; };
" || bail_out "postern did not start"
sendmail_start "inet:$PSTN_PORT@127.0.0.1" || bail_out "sendmail did not start"
diag "sendmail MTA on $SM_PORT, MSA on $SM_MSA_PORT, postern on $PSTN_PORT"

headers() { sm_headers "$@"; }
unfolded() { headers "$1" | awk '/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next } { if (line != "") print line; line = $0 } END { print line }'; }
# the summary line(s) of one queue id; waits up to 5 s for the first
summary() {
	for _ in $(seq 1 50); do
		grep -q "^[^ ]* *postern[^:]*: $1: [a-z]*: client=" "$PSTN_LOG" 2>/dev/null && break
		grep -q "$1: [a-z]*: client=" "$PSTN_LOG" && break
		sleep 0.1
	done
	grep "$1: [a-z]*: client=" "$PSTN_LOG"
}
nsummary() { summary "$1" | wc -l; }

# 1. SPF fail: refused at RCPT, logged under Sendmail's queue id
sm_send --local-interface 127.0.0.20 --from bob@fail.spf.example --header "Subject: sm-spf-fail"
is $? 24 "SPF fail: the recipient is refused"
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" \
	'550 5\.7\.23 <user@example\.com>\.\.\. SPF fail: 127\.0\.0\.20 is not allowed to send mail for fail\.spf\.example' \
	"SPF fail: 550 5.7.23 at RCPT (Sendmail puts the address before the text)"
line=$(grep 'from=<bob@fail.spf.example>' "$PSTN_LOG")
qid=$(sed -n -E 's/.* ([0-9A-Za-z]{14}): [a-z]+: client=.*/\1/p' <<<"$line" | head -n 1)
like "$qid" '^[0-9A-Za-z]{14}$' "the refused transaction's summary carries a Sendmail queue id ($qid)"
like "$line" 'client=unknown\[127\.0\.0\.20\] dir=inbound .*rcpts=0 refused_rcpts=1 .*spf=fail' "summary: client unknown (Sendmail's [addr] name), inbound, one recipient refused, spf=fail"
is "$(grep -c 'from=<bob@fail.spf.example>' "$PSTN_LOG")" 1 "one summary line for it"

# 2. SPF pass: delivered with Received-SPF and A-R on top
sm_send --local-interface 127.0.0.10 --from alice@pass.spf.example --helo mx.pass.spf.example \
	--header "Subject: sm-spf-pass"
ok $? "SPF pass accepted"
qid=$(sm_queue_id "$SMTP_LOG")
f=$(sm_delivered_subject sm-spf-pass); ok $? "delivered"
first=$(headers "$f" | grep -v '^Return-Path:' | head -n 1)
like "$first" '^Authentication-Results: mx\.test\.example;' "A-R is the first header (above Sendmail's Received)"
unfolded "$f" | grep -q '^Authentication-Results: mx.test.example; spf=pass smtp.mailfrom=alice@pass.spf.example'
ok $? "A-R: spf=pass smtp.mailfrom"
h=$(unfolded "$f" | grep '^Received-SPF:')
like "$h" '^Received-SPF: pass \(mx\.test\.example: domain of alice@pass\.spf\.example designates 127\.0\.0\.10 as permitted sender\)' \
	"Received-SPF: pass"
like "$h" 'client-ip=127\.0\.0\.10;.*helo=mx\.pass\.spf\.example;' "Received-SPF: client-ip and helo from Sendmail"
unfolded "$f" | grep -q "^Received: from mx.pass.spf.example .* with ESMTP id $qid"
ok $? "Sendmail's Received names queue id $qid"
s=$(summary "$qid")
is "$(nsummary "$qid")" 1 "one summary line under $qid"
like "$s" "$qid: [a-z]+: client=.*\[127\.0\.0\.10\] dir=inbound from=<alice@pass\.spf\.example> rcpts=1 " \
	"summary: client, inbound, sender"
like "$s" 'spf=pass .*verdict=accept' "summary: spf=pass, verdict=accept"

# 3. internal client (internal_hosts 127.0.0.2): outbound, signed, no A-R
sm_send --local-interface 127.0.0.2 --to user@example.net --header "Subject: sm-internal"
ok $? "internal client accepted"
qid=$(sm_queue_id "$SMTP_LOG")
f=$(sm_delivered_subject sm-internal); ok $? "delivered"
unfolded "$f" | grep -q '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sm2026;'
ok $? "internal client: DKIM-signed (d=example.org s=sm2026)"
headers "$f" | grep -q '^Authentication-Results:'
[ $? -ne 0 ]; ok $? "internal client: no A-R added"
like "$(summary "$qid")" "$qid: .*\[127\.0\.0\.2\] dir=outbound .*dkim_signed=1" "summary: outbound, dkim_signed=1"
cp "$f" "$T/signed.eml"

# 4. SMTP AUTH on the MTA daemon: {auth_authen} makes it outbound
sm_send --local-interface 127.0.0.30 --auth PLAIN --auth-user "$SM_AUTH_USER" \
	--auth-password "$SM_AUTH_PASS" --to user@example.net --header "Subject: sm-auth"
ok $? "authenticated client accepted"
grep -q '^<- *235 ' "$SMTP_LOG"; ok $? "AUTH PLAIN succeeded (235)"
qid=$(sm_queue_id "$SMTP_LOG")
f=$(sm_delivered_subject sm-auth); ok $? "delivered"
unfolded "$f" | grep -q '^DKIM-Signature: .*d=example.org; s=sm2026;'
ok $? "authenticated client: DKIM-signed"
like "$(summary "$qid")" "\[127\.0\.0\.30\] dir=outbound .* auth=$SM_AUTH_USER.* dkim_signed=1" \
	"summary: outbound, auth=<{auth_authen}>, dkim_signed=1"

# 5. {daemon_name}: the same unauthenticated client, MSA vs MTA
SMTP_OUT=$T/msa.log sm_send --port "$SM_MSA_PORT" --local-interface 127.0.0.40 \
	--to user@example.net --header "Subject: sm-msa"
ok $? "MSA daemon accepted"
qid=$(sm_queue_id "$T/msa.log")
f=$(sm_delivered_subject sm-msa); ok $? "delivered"
unfolded "$f" | grep -q '^DKIM-Signature: .*d=example.org; s=sm2026;'
ok $? "{daemon_name}=MSA: DKIM-signed"
like "$(summary "$qid")" '\[127\.0\.0\.40\] dir=outbound ' "summary: MSA daemon is outbound"
sm_send --local-interface 127.0.0.40 --from alice@pass.spf.example --header "Subject: sm-mta"
ok $? "MTA daemon accepted"
qid=$(sm_queue_id "$SMTP_LOG")
f=$(sm_delivered_subject sm-mta); ok $? "delivered"
headers "$f" | grep -q '^DKIM-Signature:'
[ $? -ne 0 ]; ok $? "{daemon_name}=MTA: not signed"
like "$(summary "$qid")" '\[127\.0\.0\.40\] dir=inbound .*spf=pass' "summary: MTA daemon is inbound"

# 6. the signed mail comes back in: dkim=pass
grep -v -E '^Return-Path:' "$T/signed.eml" >"$T/resend.eml"
sm_send --local-interface 127.0.0.10 --from alice@pass.spf.example --data "$T/resend.eml"
ok $? "signed mail accepted inbound"
qid=$(sm_queue_id "$SMTP_LOG")
like "$(summary "$qid")" 'dir=inbound .*dkim=pass:1,fail:0' "summary: dkim=pass:1"
g=$(grep -l -s 'dkim=pass (2048-bit key) header.d=example.org' $(sm_delivered) | head -n 1)
[ -n "$g" ]; ok $? "delivered with A-R dkim=pass header.d=example.org"

# 7. an .exe attachment: refused at end of data, nothing delivered
python3 - "$T/exe.eml" <<'PY'
import sys
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
m = MIMEMultipart()
m["From"] = "alice@pass.spf.example"
m["To"] = "user@example.com"
m["Subject"] = "sm-exe"
m.attach(MIMEText("see attached\n"))
a = MIMEApplication(b"MZ" + b"\0" * 200, Name="setup.exe")
a["Content-Disposition"] = 'attachment; filename="setup.exe"'
m.attach(a)
open(sys.argv[1], "w").write(m.as_string())
PY
n_before=$(sm_delivered | wc -l)
sm_send --local-interface 127.0.0.10 --from alice@pass.spf.example --data "$T/exe.eml"
is $? 26 "attachment: refused at end of data"
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" '554 5\.7\.1 .*setup\.exe' "554 5.7.1 naming setup.exe"
like "$(grep 'check=attach' "$PSTN_LOG" | tail -n 1)" '[0-9A-Za-z]{14}: [a-z]+: client=.* verdict=reject check=attach' \
	"summary: reject by attach, with the queue id"
sleep 0.5
is "$(sm_delivered | wc -l)" "$n_before" "nothing delivered"

# 8. one summary line per transaction, all under a queue id
n=$(grep -c ': [a-z]*: client=' "$PSTN_LOG")
is "$n" 8 "8 transactions, 8 summary lines"
is "$(grep ': [a-z]*: client=' "$PSTN_LOG" | grep -c 'NOQUEUE')" 0 "none without a queue id"

# 9. F=T: postern down, Sendmail tempfails instead of passing mail unfiltered
postern_stop
sm_send --local-interface 127.0.0.10 --from alice@pass.spf.example --header "Subject: sm-down"
st=$?
[ $st -ne 0 ]; ok $? "postern stopped: mail not accepted (swaks $st)"
like "$(grep -E '^<\*\* +[45]' "$SMTP_LOG" | head -n 1)" '^<\*\* +451 4\.3\.2 ' "... with 451 4.3.2 at MAIL (F=T)"
sleep 1
grep -l -s '^Subject: sm-down$' $(sm_delivered) >/dev/null
[ $? -ne 0 ]; ok $? "... and nothing delivered unfiltered"

sendmail_stop
tap_done
