#!/bin/bash
# policy.sh - the policy clauses end to end through a real Postfix: a deny
# list refused at RCPT; TLS required (Postfix with a test certificate made
# by openssl, swaks -tls) accepted with TLS and refused without; a
# submission service ({daemon_name}) without AUTH refused; an
# authenticated user (XCLIENT LOGIN, and real SMTP AUTH through Cyrus SASL)
# sending as another domain refused, or
# with sender_login.action = "tag" delivered but not DKIM-signed, while
# its own domain is signed (also from a client on an allow list whose
# allow.skip names dkim: signing is never skipped).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"

postfix_require
perl -MIO::Socket::SSL -e 1 2>/dev/null ||
	bail_out "swaks -tls needs libio-socket-ssl-perl and libnet-ssleay-perl (contrib/deps.sh)"
tmpdir_make
T=$TEST_TMPDIR
mkdir -m 700 "$T/keys"
"$build/postern-keygen" -d example.org -s s1 -a rsa -o "$T/keys" >/dev/null || bail_out "keygen"
{ cat "$here/tests/data/foundation.zone"
  sed -E 's/ IN TXT \( (.*) \)$/ 300 TXT \1/' "$T/keys/example.org.s1.txt"; } >"$T/zone.txt"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"

mkdir -p "$T/policies"
printf '%s\n' 'submission = { daemons = [ "SUBMISSION" ]; };' \
	'deny = { clients = [ "192.0.2.99" ]; };' >"$T/policies/default.conf"
echo 'deny = { senders = [ "spammer@remote.example" ]; clients = [ "192.0.2.99" ]; };' \
	>"$T/policies/example.com.conf"
echo 'tls = { required = true; min_version = "TLSv1.2"; };' >"$T/policies/example.net.conf"
echo 'sender_login = { action = "tag"; };' >"$T/policies/other.example.conf"
# an allow that names every check it may skip: outbound mail is still signed
echo 'allow = { clients = [ "192.0.2.23" ]; skip = [ "spf", "dkim", "dmarc", "helo", "attach" ]; };' \
	>"$T/policies/example.org.conf"
postern_start "$T/policies" "
dkim = { keys = [ \"example.org:s1:$T/keys/example.org.s1.pem\" ]; };
" || bail_out "postern did not start"

# a throw-away certificate for Postfix's STARTTLS
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.test.example \
	-keyout "$T/tls.key" -out "$T/tls.crt" >/dev/null 2>&1 || bail_out "openssl req"
chmod 644 "$T/tls.key"
SUBPORT=$(free_port tcp)
PF_EXTRA_MAIN_CF="smtpd_tls_cert_file = $T/tls.crt
smtpd_tls_key_file = $T/tls.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1"
# real SMTP AUTH on the submission service: Cyrus SASL over a private sasldb
# (PLAIN; the passwords are the test's own).  Debian's Postfix reads
# $config_directory/sasl/smtpd.conf (cyrus_sasl_config_path is not used;
# docs/NOTES-policy.md): written once Postfix's conf/ exists.
command -v saslpasswd2 >/dev/null || bail_out "saslpasswd2 not installed (sasl2-bin, contrib/deps.sh)"
mkdir "$T/sasl"
for u in alice@example.org carol@other.example; do
	echo "pw-${u%%@*}" | saslpasswd2 -p -c -f "$T/sasl/sasldb2" -u "${u#*@}" "${u%%@*}" ||
		bail_out "saslpasswd2 $u"
done
chown postfix "$T/sasl/sasldb2"
PF_EXTRA_MASTER_CF="127.0.0.1:$SUBPORT inet n - n - - smtpd -o milter_macro_daemon_name=SUBMISSION
  -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=cyrus -o smtpd_sasl_path=smtpd"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"
mkdir -p "$PF_CONF/sasl"
printf '%s\n' 'pwcheck_method: auxprop' 'auxprop_plugin: sasldb' 'mech_list: PLAIN LOGIN' \
	"sasldb_path: $T/sasl/sasldb2" >"$PF_CONF/sasl/smtpd.conf"

# 1. deny list: refused at RCPT (swaks 24), the mail never queued
smtp_send --xclient-addr 192.0.2.10 --from spammer@remote.example --to user@example.com \
	--header "Subject: e2e-deny"
is $? 24 "deny list: refused at RCPT"
grep -q '<** 554 5.7.1 sender refused by the policy of example.com' "$SMTP_LOG"
ok $? "554 5.7.1 from the deny list" || diag_file "$SMTP_LOG"
smtp_send --xclient-addr 192.0.2.10 --from friend@remote.example --to user@example.com \
	--header "Subject: e2e-notdenied"
ok $? "another sender accepted"

# a client every policy denies: refused at connect (Postfix 3.7 answers the
# XCLIENT with its own "554 <host> ESMTP not accepting connections", not
# the milter's text; docs/NOTES-policy.md)
smtp_send --xclient-addr 192.0.2.99 --from a@remote.example --to user@example.com \
	--header "Subject: e2e-denied-client"
st=$?
[ $st -ne 0 ]; ok $? "a client every policy denies is refused (swaks $st)"
grep -q '<\*\* 554 .*not accepting connections' "$SMTP_LOG"
ok $? "554 at connect" || diag_file "$SMTP_LOG"
grep -q 'connect: client=.*\[192.0.2.99\] check=lists reply="554 5.7.1 client refused by the policy of every domain here"' "$PSTN_LOG"
ok $? "postern logged the connect refusal"

# 2. TLS required by example.net: refused without, accepted with STARTTLS
smtp_send --xclient-addr 192.0.2.10 --from a@remote.example --to user@example.net \
	--header "Subject: e2e-notls"
is $? 24 "no TLS: refused at RCPT"
grep -q '<** 530 5.7.0 Must issue a STARTTLS command first' "$SMTP_LOG"
ok $? "530 5.7.0 without TLS" || diag_file "$SMTP_LOG"
smtp_send -tls --xclient-addr 192.0.2.10 --from a@remote.example --to user@example.net \
	--header "Subject: e2e-tls"
ok $? "TLS: accepted" || diag_file "$SMTP_LOG"
f=$(pf_delivered_subject e2e-tls); ok $? "TLS: delivered"
grep -qE 'eom: .*dir=inbound .*tls=TLSv1\.[23] .*policy=example.net|eom: .*policy=example.net .*tls=TLSv1\.[23]' "$PSTN_LOG"
ok $? "summary line: tls=TLSv1.2 or later from Postfix's macros"

# 3. the submission service without AUTH: 530 5.7.0; with a login it passes
smtp_send --port "$SUBPORT" --xclient-addr 192.0.2.20 --from alice@example.org --to user@example.com \
	--header "Subject: e2e-sub-noauth"
is $? 24 "submission without AUTH refused at RCPT"
grep -q '<** 530 5.7.0 Authentication required' "$SMTP_LOG"
ok $? "530 5.7.0 Authentication required" || diag_file "$SMTP_LOG"

# 4. the sender bound to the login (XCLIENT LOGIN sets {auth_authen})
smtp_send --port "$SUBPORT" --xclient-addr 192.0.2.20 --xclient-login alice@example.org \
	--from alice@example.org --to user@example.com \
	--header "From: alice@example.org" --header "Subject: e2e-own"
ok $? "a login sending as its own domain accepted" || diag_file "$SMTP_LOG"
f=$(pf_delivered_subject e2e-own); ok $? "delivered"
pf_headers "$f" | tr -d '\n\t ' | grep -q 'DKIM-Signature:.*d=example.org;s=s1;'
ok $? "its own domain is signed"
# an allowed client whose allow.skip names dkim: signing is never skipped
smtp_send --port "$SUBPORT" --xclient-addr 192.0.2.23 --xclient-login alice@example.org \
	--from alice@example.org --to user@example.com \
	--header "From: alice@example.org" --header "Subject: e2e-allowed-out"
ok $? "an allowed client's outbound mail accepted" || diag_file "$SMTP_LOG"
f=$(pf_delivered_subject e2e-allowed-out); ok $? "delivered"
pf_headers "$f" | tr -d '\n\t ' | grep -q 'DKIM-Signature:.*d=example.org;s=s1;'
ok $? "allow.skip = dkim does not skip signing"
grep -q 'eom: .*dir=outbound .*lists=allow:client excused=.*dkim_signed=1' "$PSTN_LOG"
ok $? "summary line: allowed, and signed" || grep 'eom: .*192.0.2.23' "$PSTN_LOG" | diag_file /dev/stdin
smtp_send --xclient-addr 192.0.2.21 --xclient-login bob@example.net \
	--from bob@example.net --to user@example.com \
	--header "From: ceo@example.org" --header "Subject: e2e-forged"
is $? 26 "another domain's From refused (at end of DATA)"
grep -q '<** 553 5.7.1 From domain not owned by user bob@example.net' "$SMTP_LOG"
ok $? "553 5.7.1 From domain not owned" || diag_file "$SMTP_LOG"
smtp_send --xclient-addr 192.0.2.21 --xclient-login bob@example.net \
	--from boss@example.org --to user@example.com --header "Subject: e2e-forged-env"
is $? 23 "another domain's envelope sender refused at MAIL FROM"
grep -q '<** 553 5.7.1 sender address not owned by user bob@example.net' "$SMTP_LOG"
ok $? "553 5.7.1 sender address not owned" || diag_file "$SMTP_LOG"
# other.example's policy only tags a mismatch: delivered, but never signed
smtp_send --xclient-addr 192.0.2.22 --xclient-login carol@other.example \
	--from carol@other.example --to user@example.com \
	--header "From: ceo@example.org" --header "Subject: e2e-tagged"
ok $? "mismatch under sender_login.action = tag accepted" || diag_file "$SMTP_LOG"
f=$(pf_delivered_subject e2e-tagged); ok $? "delivered"
n=$(pf_headers "$f" | grep -c '^DKIM-Signature:')
is "$n" 0 "a sender-login mismatch is not DKIM-signed (example.org has a key)"
grep -q 'sender_login=mismatch:from .*dkim_sign="sender not bound to the login (sender_login)".* verdict=tag check=login' "$PSTN_LOG"
ok $? "summary line: mismatch, not signed, tagged"
n=$(grep -c 'eom: .*dkim_signed=1' "$PSTN_LOG")
is "$n" 2 "exactly two messages signed (the login's own domain, with and without an allow)"

# 5. the same through real SMTP AUTH (swaks --auth PLAIN; Postfix's
# {auth_authen} from Cyrus SASL, not XCLIENT)
smtp_send --port "$SUBPORT" --auth PLAIN --auth-user alice@example.org --auth-password pw-alice \
	--from alice@example.org --to user@example.com \
	--header "From: alice@example.org" --header "Subject: e2e-auth-own"
ok $? "AUTH: a user sending as its own domain accepted" || diag_file "$SMTP_LOG"
grep -q '<-  235 2.7.0 Authentication successful' "$SMTP_LOG"
ok $? "AUTH: authenticated by SASL" || diag_file "$SMTP_LOG"
f=$(pf_delivered_subject e2e-auth-own); ok $? "AUTH: delivered"
pf_headers "$f" | tr -d '\n\t ' | grep -q 'DKIM-Signature:.*d=example.org;s=s1;'
ok $? "AUTH: its own domain is signed"
smtp_send --port "$SUBPORT" --auth PLAIN --auth-user alice@example.org --auth-password pw-alice \
	--from alice@example.org --to user@example.com \
	--header "From: ceo@example.net" --header "Subject: e2e-auth-forged"
is $? 26 "AUTH: another domain's From refused (at end of DATA)"
grep -q '<** 553 5.7.1 From domain not owned by user alice@example.org' "$SMTP_LOG"
ok $? "AUTH: 553 5.7.1 From domain not owned" || diag_file "$SMTP_LOG"
smtp_send --port "$SUBPORT" --auth PLAIN --auth-user alice@example.org --auth-password pw-alice \
	--from ceo@example.net --to user@example.com --header "Subject: e2e-auth-forged-env"
is $? 23 "AUTH: another domain's envelope sender refused at MAIL FROM"
grep -q '<** 553 5.7.1 sender address not owned by user alice@example.org' "$SMTP_LOG"
ok $? "AUTH: 553 5.7.1 sender address not owned" || diag_file "$SMTP_LOG"
# other.example tags: a login there writing example.org's From is delivered unsigned
smtp_send --port "$SUBPORT" --auth PLAIN --auth-user carol@other.example --auth-password pw-carol \
	--from carol@other.example --to user@example.com \
	--header "From: ceo@example.org" --header "Subject: e2e-auth-tagged"
ok $? "AUTH: mismatch under sender_login.action = tag accepted" || diag_file "$SMTP_LOG"
f=$(pf_delivered_subject e2e-auth-tagged); ok $? "AUTH: delivered"
n=$(pf_headers "$f" | grep -c '^DKIM-Signature:')
is "$n" 0 "AUTH: a sender-login mismatch is not DKIM-signed (example.org has a key)"
n=$(grep -c 'eom: .*dkim_signed=1' "$PSTN_LOG")
is "$n" 3 "signed: the login's own domain (XCLIENT, allowed, AUTH), nothing else"
tap_done
