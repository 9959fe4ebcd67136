#!/bin/bash
# postfix.sh - end to end: a real Postfix on loopback with smtpd_milters
# pointing at postern (milter_default_action = tempfail), mail sent with
# swaks and a scripted SMTP client, XCLIENT presenting documentation
# addresses, delivered mail read from the maildir.
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
# IPv6 must be enabled for XCLIENT to accept IPv6 client addresses
PF_EXTRA_MAIN_CF="inet_protocols = all"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"
SMTPC="python3 $here/tests/e2e/smtpc.py $PF_PORT"

delivered() { pf_delivered_subject "$@"; }
headers() { pf_headers "$@"; }

# 1. inbound mail gets our Authentication-Results, at the top
smtp_send --xclient-addr 192.0.2.10 --to user@example.net --header "Subject: e2e-inbound"
ok $? "inbound mail accepted"
f=$(delivered e2e-inbound); ok $? "inbound mail delivered"
headers "$f" | grep -A1 '^Authentication-Results: mx.test.example;$' |
	grep -qE 'spf=none smtp.mailfrom=sender@example.org;?$'
ok $? "delivered inbound mail carries our Authentication-Results"
first=$(headers "$f" | grep -v -E '^(Return-Path|Delivered-To|X-Original-To):' | head -n 1)
like "$first" '^(Authentication-Results|Received):' "our header is at the top of the message (after Postfix's Received)"

# 2. forged A-R claiming our authserv-id are removed, others kept
smtp_send --xclient-addr 192.0.2.10 --to user@example.net \
	--add-header "Authentication-Results: mx.test.example; dkim=pass header.d=bank.example" \
	--add-header "Authentication-Results: other.example; spf=pass" \
	--header "Subject: e2e-forged"
ok $? "mail with a forged A-R accepted"
f=$(delivered e2e-forged); ok $? "mail with a forged A-R delivered"
headers "$f" | grep -q 'dkim=pass header.d=bank.example'
[ $? -ne 0 ]; ok $? "forged A-R removed"
headers "$f" | grep -q '^Authentication-Results: other.example; spf=pass'
ok $? "another server's A-R kept"
n=$(headers "$f" | grep -c '^Authentication-Results: mx.test.example')
is "$n" 1 "exactly one A-R with our authserv-id"

# 3. outbound (internal client) gets no A-R
smtp_send --xclient-addr 10.1.2.3 --to user@example.net --header "Subject: e2e-outbound"
ok $? "outbound mail accepted"
f=$(delivered e2e-outbound); ok $? "outbound mail delivered"
headers "$f" | grep -q '^Authentication-Results: mx.test.example'
[ $? -ne 0 ]; ok $? "outbound mail carries no A-R of ours"

# 4. IPv6 client through XCLIENT
smtp_send --xclient "ADDR=IPV6:2001:db8::25 NAME=client6.example" --to user@example.net --header "Subject: e2e-ipv6"
ok $? "IPv6 client accepted"
f=$(delivered e2e-ipv6); ok $? "IPv6 client's mail delivered with A-R"
grep -q 'client=client6.example\[2001:db8::25\] dir=inbound' "$PSTN_LOG"
ok $? "postern saw the IPv6 client address"

# 5. declared SIZE= over the limit: 552 5.3.4 at MAIL FROM
out=$($SMTPC size 192.0.2.10 sender@example.org user@example.net 50000000)
like "$out" 'mail 552 5.3.4 ' "SIZE=50000000 refused at MAIL FROM with 552 5.3.4"
out=$($SMTPC size 192.0.2.10 sender@example.org user@example.net 1000)
like "$out" 'mail 250 ' "SIZE=1000 accepted at MAIL FROM"

# 6. body growing past the limit (2M for example.net): 552 5.3.4
head -c 3000000 /dev/zero | tr '\0' 'A' | fold -w 76 > "$TEST_TMPDIR/big.txt"
smtp_send --xclient-addr 192.0.2.10 --to user@example.net --header "Subject: e2e-big" \
	--attach-type text/plain --attach "@$TEST_TMPDIR/big.txt"
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" '552 5.3.4 .*exceeds the size limit of 2097152 bytes' \
	"3 MB body refused with 552 5.3.4"
# ... while example.com (10M) takes it
smtp_send --xclient-addr 192.0.2.10 --to user@example.com --header "Subject: e2e-big-ok" \
	--attach-type text/plain --attach "@$TEST_TMPDIR/big.txt"
ok $? "3 MB body accepted for example.com (10M policy)"

# 7. a 90 KB header (under Postfix's header_size_limit) is answered, not a
#    dropped milter connection and a tempfail loop
long=$(head -c 90000 /dev/zero | tr '\0' 'x' | fold -w 900 | sed '2,$s/^/ /')
smtp_send --xclient-addr 192.0.2.10 --to user@example.net --header "Subject: e2e-longhdr" \
	--add-header "X-Long: $long"
ok $? "mail with a 90 KB header accepted"

# 8. postern killed during a session: 4xx, nothing lost; after a restart the
#    same mail is accepted
printf 'Subject: e2e-crash\r\nFrom: sender@example.org\r\nTo: user@example.net\r\n\r\nbody\r\n' > "$TEST_TMPDIR/crash.eml"
out=$($SMTPC kill9 192.0.2.10 sender@example.org user@example.net "$PSTN_PID" "$TEST_TMPDIR/crash.eml")
like "$out" 'data 4[0-9][0-9] ' "postern killed mid-session: the client gets 4xx"
diag "$out"
postern_kill9
postern_restart || bail_out "postern did not restart"
smtp_send --xclient-addr 192.0.2.10 --to user@example.net --header "Subject: e2e-crash" \
	--body "$TEST_TMPDIR/crash.eml"
ok $? "after restart the same mail is accepted"
delivered e2e-crash >/dev/null; ok $? "and delivered"

postfix_stop
postern_stop
tap_done
