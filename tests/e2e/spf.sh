#!/bin/bash
# spf.sh - SPF end to end: a real Postfix (XCLIENT with documentation
# addresses) -> postern -> the loopback DNS fixture serving
# tests/spf/behaviour.dns.  fail is refused at RCPT with 550 5.7.23; pass is
# delivered with Received-SPF and Authentication-Results; a name that never
# answers, and then a stopped DNS server, give 451 4.7.24 within the
# resolver timeout + 1 s, never a pass and never a hang.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"
. "$here/tests/lib/dns.sh"

postfix_require

TIMEOUT_MS=2000
tmpdir_make
dns_start "$here/tests/spf/behaviour.dns" || bail_out "DNS fixture did not start"
postern_start "$here/tests/spf/policies" "dns = { nameservers = [ \"127.0.0.1@$DNS_PORT\" ]; timeout = $TIMEOUT_MS; };" ||
	bail_out "postern did not start"
PF_EXTRA_MAIN_CF="inet_protocols = all"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"

delivered() { pf_delivered_subject "$@"; }
headers() { pf_headers "$@"; }
now_ms() { date +%s%3N; }

# 1. fail: 550 5.7.23 at RCPT
smtp_send --xclient-addr 192.0.2.20 --from bob@fail.spf.example --to user@example.net \
	--header "Subject: spf-fail"
is $? 24 "SPF fail: swaks reports the recipient refused"
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" \
	'550 5\.7\.23 SPF fail: 192\.0\.2\.20 is not allowed to send mail for fail\.spf\.example' \
	"SPF fail refused at RCPT with 550 5.7.23"

# 2. pass: delivered with Received-SPF and A-R
smtp_send --xclient-addr 192.0.2.10 --helo mx.pass.spf.example --from alice@pass.spf.example \
	--to user@example.net --header "Subject: spf-pass"
ok $? "SPF pass accepted"
f=$(delivered spf-pass); ok $? "SPF pass delivered"
h=$(headers "$f" | sed -n '/^Received-SPF:/,/^[^[:space:]]/p' | sed '$d' | tr -d '\n')
diag "$h"
like "$h" '^Received-SPF: pass \(mx\.test\.example: domain of alice@pass\.spf\.example designates 192\.0\.2\.10 as permitted sender\)' \
	"Received-SPF: pass with its comment"
like "$h" 'client-ip=192\.0\.2\.10;' "Received-SPF client-ip"
like "$h" 'envelope-from="alice@pass\.spf\.example";' "Received-SPF envelope-from"
like "$h" 'helo=mx\.pass\.spf\.example;' "Received-SPF helo"
like "$h" 'identity=mailfrom;' "Received-SPF identity"
like "$h" 'receiver=mx\.test\.example$' "Received-SPF receiver"
headers "$f" | grep -A1 '^Authentication-Results: mx.test.example;$' |
	grep -qE 'spf=pass smtp.mailfrom=alice@pass.spf.example;?$'
ok $? "Authentication-Results: spf=pass smtp.mailfrom"

# 2b. (issue 9) a forged Received-SPF naming our receiver and an X-Postern-*
# field from outside are removed through a real Postfix, ours is kept: the
# deletions reach Postfix before our insertion, whose index would shift them
smtp_send --xclient-addr 192.0.2.10 --helo mx.pass.spf.example --from alice@pass.spf.example \
	--to user@example.net --header "Subject: spf-forged" \
	--header "Received-SPF: fail (forged) receiver=mx.test.example" \
	--header "X-Postern-Attachment: clean"
ok $? "mail with forged trace fields accepted"
f=$(delivered spf-forged); ok $? "and delivered"
is "$(headers "$f" | grep -c '^Received-SPF:')" 1 "one Received-SPF left"
headers "$f" | grep -q '^Received-SPF: pass (mx.test.example: domain of alice@pass.spf.example'
ok $? "... ours"
headers "$f" | grep -q -i '^X-Postern-'
[ $? -ne 0 ]; ok $? "the X-Postern-Attachment from outside is gone"

# 3. IPv6 client, softfail: tagged and delivered
smtp_send --xclient "ADDR=IPV6:2001:db8::77 NAME=client6.example" --from c@soft.spf.example \
	--to user@example.net --header "Subject: spf-soft6"
ok $? "SPF softfail (IPv6 client) accepted"
f=$(delivered spf-soft6); ok $? "and delivered"
headers "$f" | grep -q '^Received-SPF: softfail '; ok $? "with Received-SPF: softfail"

# 4. a name that never answers: 451 4.7.24 within the timeout + 1 s
t0=$(now_ms)
smtp_send --xclient-addr 192.0.2.20 --from e@slow.spf.example --to user@example.net \
	--header "Subject: spf-slow"
st=$?
dt=$(($(now_ms) - t0))
is $st 24 "DNS timeout: the recipient is refused"
like "$(grep -E '^<\*\* +4' "$SMTP_LOG" | head -n 1)" '451 4\.7\.24 ' "DNS timeout: 451 4.7.24"
[ "$dt" -le $((TIMEOUT_MS + 1000)) ]
ok $? "DNS timeout answered in ${dt} ms (limit $((TIMEOUT_MS + 1000)) ms)"

# 5. the DNS server stopped: a domain that passes before is not a pass now
dns_stop
t0=$(now_ms)
smtp_send --xclient-addr 192.0.2.10 --helo mx.pass.spf.example --from alice@pass.spf.example \
	--to user@example.net --header "Subject: spf-nodns"
st=$?
dt=$(($(now_ms) - t0))
is $st 24 "DNS server stopped: the recipient is refused"
like "$(grep -E '^<\*\* +4' "$SMTP_LOG" | head -n 1)" '451 4\.7\.24 ' "DNS server stopped: 451 4.7.24"
[ "$dt" -le $((TIMEOUT_MS + 1000)) ]
ok $? "DNS server stopped: answered in ${dt} ms (limit $((TIMEOUT_MS + 1000)) ms)"
grep -q 'from=<alice@pass.spf.example>.*spf=temperror' "$PSTN_LOG"
ok $? "logged as temperror"
grep 'from=<alice@pass.spf.example>' "$PSTN_LOG" | tail -n 1 | grep -q 'spf=pass'
[ $? -ne 0 ]; ok $? "never a pass without DNS"

postfix_stop
postern_stop
tap_done
