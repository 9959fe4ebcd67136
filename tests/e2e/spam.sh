#!/bin/bash
# spam.sh - the spam screen end to end: a real Postfix (XCLIENT with
# documentation addresses) -> postern -> DNS lists on the loopback DNS
# fixture (tests/spam/zone.txt), policies of tests/spam/policies.  A
# client listed in a list the recipient's policy refuses gets 554 5.7.1
# at RCPT; a listed client's mail to a tagging policy is delivered with
# X-Spam-* headers and the subject prefix, the sender's own X-Spam-Flag
# removed; GTUBE gets 550 5.7.1 at end of data; clean mail is untouched.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"
. "$here/tests/lib/dns.sh"

postfix_require

tmpdir_make
cp -r "$here/tests/spam/policies" "$TEST_TMPDIR/policies"
chmod -R u+w "$TEST_TMPDIR/policies"
dns_start "$here/tests/spam/zone.txt" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" 'spam = { dnsbl = [
	"bl bl.example score=4 codes=127.0.0.2,127.0.0.3",
	"mask mask.example score=2.5 mask=0x04" ]; };' || bail_out "postern did not start"
PF_EXTRA_MAIN_CF="virtual_mailbox_domains = example.com, example.net, example.org, strict.example"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"

GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

# 1. listed in bl, which strict.example refuses: 554 5.7.1 at RCPT
smtp_send --xclient-addr 192.0.2.66 --from a@client.example --to user@strict.example \
	--header "Subject: spam-listed"
is $? 24 "listed client: swaks reports the recipient refused"
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" \
	'554 5\.7\.1 client 192\.0\.2\.66 is listed in bl \(bl\.example\)' \
	"refused at RCPT with 554 5.7.1 naming the list"

# 2. the same client to the default policy (tag 3): delivered, tagged
smtp_send --xclient-addr 192.0.2.66 --from a@client.example --to user@example.net \
	--header "Subject: spam-tagged" --header "X-Spam-Flag: NO"
ok $? "listed client to a tagging policy: accepted"
f=$(pf_delivered_subject "\[SPAM\] spam-tagged"); ok $? "delivered with the subject prefix"
h=$(pf_headers "$f" | tr -d '\r')
diag "$(grep -i '^X-Spam' <<<"$h")"
like "$h" 'X-Spam-Flag: YES' "X-Spam-Flag: YES"
[ "$(grep -ci '^X-Spam-Flag:' <<<"$h")" = 1 ]; ok $? "the sender's own X-Spam-Flag removed"
like "$h" 'X-Spam-Score: 7\.0' "X-Spam-Score"
like "$(sed -n '/^X-Spam-Status:/,/^[^[:space:]]/p' <<<"$h" | tr -d '\n\t')" \
	'X-Spam-Status: Yes, score=7\.0 required=3\.0 tests=dnsbl_bl=4\.0,dnsbl_mask=2\.5,auth_none=0\.5' \
	"X-Spam-Status with score, threshold and rules"
like "$(sed -n '/^Authentication-Results:/,/^[^[:space:]]/p' <<<"$h" | tr -d '\n')" \
	'x-spam=spam \(score=7\.0 required=3\.0\)' "the score in Authentication-Results"

# 3. GTUBE: 550 5.7.1 at end of data
smtp_send --xclient-addr 192.0.2.10 --from a@client.example --to user@example.net \
	--header "Subject: spam-gtube" --body "$GTUBE"
st=$?
[ "$st" -ne 0 ]; ok $? "GTUBE refused (swaks $st)"
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" \
	'550 5\.7\.1 message refused as spam \(GTUBE test message\)' "GTUBE: 550 5.7.1 at end of data"

# 4. clean mail: delivered without X-Spam headers
smtp_send --xclient-addr 192.0.2.10 --from a@client.example --to user@example.net \
	--header "Subject: spam-clean"
ok $? "clean mail accepted"
f=$(pf_delivered_subject spam-clean); ok $? "clean mail delivered"
pf_headers "$f" | grep -qi '^X-Spam-'
[ $? -ne 0 ]; ok $? "clean mail has no X-Spam headers"
grep -l -s '^Subject: spam-gtube' $(pf_delivered) >/dev/null
[ $? -ne 0 ]; ok $? "GTUBE not delivered"
grep -q 'spam=0.5/3.0 spam_rules=auth_none=0.5 verdict=accept' "$PSTN_LOG"
ok $? "summary line carries the score"

postfix_stop
postern_stop
tap_done
