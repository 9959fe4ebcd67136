#!/bin/bash
# explain.sh - `postern explain` runs the pipeline offline on stored
# messages: direction, per-recipient policies and refusals, body size
# refusal, header edits (forged A-R deleted, our A-R inserted), the reply.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
P="$build/postern"
tmpdir_make
cd "$TEST_TMPDIR" || bail_out "no tmpdir"
cp -r "$here/tests/milter/policies" pol && chmod -R u+w pol
dns_start "$here/tests/data/foundation.zone" || bail_out "DNS fixture did not start"
cat > e.conf <<CONF
authserv_id = "mx.test.example";
internal_hosts = [ "10.0.0.0/8" ];
policy_dir = "$TEST_TMPDIR/pol";
log_level = "error";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; timeout = 1500; };
CONF
printf 'From: a@remote.example\nTo: u@example.net\nAuthentication-Results: MX.test.example; spf=pass\nAuthentication-Results: other.example; spf=fail\nSubject: hi\n  folded\n\nbody\n' > forged.eml
E() { "$P" explain -c e.conf "$@" 2>&1; }

out=$(E --client 192.0.2.10 --from a@remote.example --rcpt u@example.net forged.eml); st=$?
ok $st "explain exits 0"
like "$out" 'direction=inbound' "external client is inbound"
like "$out" 'policies +default' "the default policy governs example.net"
like "$out" '- delete Authentication-Results #1' "the forged A-R (first) is deleted"
[[ $out != *"delete Authentication-Results #2"* ]]; ok $? "the other server's A-R is kept"
like "$out" '\+ insert at 0: Authentication-Results: mx.test.example;.*spf=none smtp.mailfrom=a@remote.example' "our A-R is inserted, with SPF none from the DNS fixture"
like "$out" 'reply: 250 \(accepted\)' "the reply is 250"

out=$(E --client 10.9.8.7 --from a@internal.example --rcpt u@example.net forged.eml)
like "$out" 'direction=outbound' "internal client is outbound"
[[ $out != *"insert at 0: Authentication-Results"* ]]; ok $? "outbound gets no A-R"

out=$(E --client 192.0.2.10 --size 5000 --rcpt u@small.example --rcpt v@big.example forged.eml)
like "$out" 'rcpt <u@small.example> reject 552 5.3.4 declared message size exceeds the size limit of 2000 bytes' \
	"a recipient under a smaller limit is refused"
like "$out" 'rcpt <v@big.example> continue' "the other recipient stays"

head -c 150000 /dev/zero | tr '\0' 'x' | fold -w 70 > big.body
{ printf 'Subject: big\n\n'; cat big.body; } > big.eml
out=$(E --client 192.0.2.10 --rcpt u@example.net big.eml)
like "$out" 'refused after [0-9]+ bytes of body' "an oversized body is refused while streaming"
like "$out" 'reply: 552 5.3.4 message exceeds the size limit of 102400 bytes' "with 552 5.3.4"

out=$(E --client 192.0.2.10 --size 99999999 --rcpt u@example.net forged.eml)
like "$out" 'mail from +reject 552 5.3.4' "SIZE over every limit refused at MAIL FROM"

printf 'From: a@remote.example\nSubject: test\nX-Spam-Flag: NO\n\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n' > gtube.eml
out=$(E --client 192.0.2.10 --helo 192.0.2.10 --from a@remote.example --rcpt u@example.net gtube.eml)
like "$out" 'reply: 550 5.7.1 message refused as spam \(GTUBE test message\)' "GTUBE refused with 550 5.7.1"
like "$out" 'summary: eom: .* spam=1000.0/15.0 spam_rules=gtube=1000.0,helo_bare_ip=1.0,no_date=1.0,auth_none=0.5,no_message_id=0.5 xspam_removed=1 verdict=reject' \
	"the summary lists every spam rule that fired, with its score"
# the spam rules score the HELO facts the HELO rules decide on (check_helo_facts)
out=$(E --client 192.0.2.10 --helo mx.self.example --mta-name mx.self.example --from a@remote.example \
	--rcpt u@example.net gtube.eml)
like "$out" 'spam_rules=[^ ]*,helo_ours=3.0[, ]' "spam: a HELO with the MTA's own name scores helo_ours"
out=$(E --client 192.0.2.10 --helo '[192.0.2.10]' --from a@remote.example --rcpt u@example.net gtube.eml)
like "$out" 'spam_rules=[^ ]*,helo_bare_ip=1.0[, ]' "spam: an address literal scores helo_bare_ip"
out=$(E --client 192.0.2.10 --helo 'bad..example' --from a@remote.example --rcpt u@example.net gtube.eml)
like "$out" 'spam_rules=[^ ]*,helo_not_fqdn=0.5[, ]' "spam: a malformed name scores helo_not_fqdn"
like "$out" '- delete X-Spam-Flag #1' "the sender's X-Spam-Flag is deleted"

E --rcpt u@example.net /nonexistent.eml >/dev/null
[ $? -eq 1 ]; ok $? "an unreadable message is an error"
E forged.eml >/dev/null
[ $? -eq 2 ]; ok $? "no --rcpt is a usage error"
# the policy clauses: each decision shown (phase verdict and the summary line)
cp -r "$here/tests/milter/policy-policies" ppol && chmod -R u+w ppol
sed "s|$TEST_TMPDIR/pol|$TEST_TMPDIR/ppol|" e.conf > p.conf
printf 'From: x@evil.example\nSubject: hi\n\nbody\n' > evil.eml
printf 'From: a@remote.example\nSubject: hi\n\nbody\n' > plain.eml
P_() { "$P" explain -c p.conf "$@" 2>&1; }
out=$(P_ --client 192.0.2.66 --from a@remote.example --rcpt u@lists.example --rcpt u@example.net plain.eml)
like "$out" 'rcpt <u@lists.example> reject 554 5.7.1 client refused by the policy of lists.example \(check lists\)' \
	"explain: deny list at RCPT"
like "$out" 'summary: eom: .*lists=deny:client' "explain: the summary names the list"
out=$(P_ --client 192.0.2.10 --from a@remote.example --rcpt u@lists.example evil.eml)
like "$out" 'headers +reject 554 5.7.1 From address refused' "explain: From domain denied in the header phase"
out=$(P_ --client 192.0.2.77 --from a@remote.example --rcpt u@lists.example plain.eml)
like "$out" 'summary: eom: .*lists=allow:client excused=helo,spf,dkim,dmarc .*verdict=accept' \
	"explain: an allow and the checks it excused"
out=$(P_ --client 192.0.2.10 --from a@remote.example --rcpt u@tls.example plain.eml)
like "$out" 'reply: 530 5.7.0 Must issue a STARTTLS command first' "explain: TLS required, none"
out=$(P_ --client 192.0.2.10 --tls TLSv1.3 --cipher TLS_AES_128_GCM_SHA256 --cipher-bits 128 \
	--from a@remote.example --rcpt u@tls.example plain.eml)
like "$out" 'helo +unknown tls=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256' "explain: --tls and --cipher"
like "$out" 'reply: 250 \(accepted\)' "explain: TLS required, TLSv1.3 accepted"
out=$(P_ --client 192.0.2.10 --daemon SUBMISSION --from a@remote.example --rcpt u@example.net plain.eml)
like "$out" 'reject 530 5.7.0 Authentication required \(check access\)' "explain: submission without AUTH"
out=$(P_ --client 192.0.2.20 --auth alice@example.net --from alice@example.net --rcpt u@remote.example evil.eml)
like "$out" 'headers +reject 553 5.7.1 From domain not owned by user alice@example.net \(check login\)' \
	"explain: From domain not bound to the login"
like "$out" 'summary: .*sender_login=mismatch:from' "explain: sender_login in the summary"
out=$(P_ --client 192.0.2.20 --auth alice --from alice@example.net --rcpt u@remote.example plain.eml)
like "$out" 'mail from +reject 553 5.7.1 sender address not owned by user alice' \
	"explain: a bare login may not send under *@domain"
out=$(P_ --client 192.0.2.10 --helo 192.0.2.9 --mta-name mx.self.example --from a@remote.example \
	--rcpt u@helo.example plain.eml)
like "$out" 'rcpt <u@helo.example> reject 504 5.5.2 HELO must be a host name' "explain: bare IP HELO"
out=$(P_ --client 192.0.2.10 --helo mx.self.example --mta-name mx.self.example --from a@remote.example \
	--rcpt u@helo.example plain.eml)
like "$out" 'rcpt <u@helo.example> reject 550 5.7.1 HELO claims to be this server' "explain: HELO with our own name"
out=$(P_ --client 192.0.2.99 --from a@remote.example --rcpt u@example.net plain.eml)
like "$out" 'connect +reject 554 5.7.1 client refused by the policy of every domain here \(check lists\)' \
	"explain: a client every policy denies is refused at connect"
out=$(P_ --client 10.1.2.3 --from a@tlsout.example --rcpt u@remote.example plain.eml)
like "$out" 'mail from +reject 530 5.7.0 Must issue a STARTTLS command first' "explain: outbound TLS required"
# observe mode: a deny (and a client every policy denies) logged, not enforced
mkdir obs && printf '%s\n' 'mode = "observe";' \
	'deny = { senders = [ "spammer@remote.example" ]; clients = [ "192.0.2.99" ]; };' > obs/default.conf
sed "s|$TEST_TMPDIR/pol|$TEST_TMPDIR/obs|" e.conf > o.conf
out=$("$P" explain -c o.conf --client 192.0.2.99 --from spammer@remote.example --rcpt u@example.net plain.eml 2>&1)
[[ $out != *"connect    reject"* ]]; ok $? "observe mode: no connect refusal"
like "$out" 'reply: 250 \(accepted\)' "observe mode: the denied client's mail is accepted"
like "$out" 'summary: eom: .*lists=deny:client .*verdict=accept observe_would=reject check=lists' \
	"observe mode: summary line"
# spam.reject at 0: no rule has fired at RCPT, and the reply names none
# (the list of rules was an unallocated strbuf, "%s" of NULL)
mkdir zero && printf '%s\n' 'spam = { reject = "0"; };' > zero/default.conf
sed "s|$TEST_TMPDIR/pol|$TEST_TMPDIR/zero|" e.conf > z.conf
out=$("$P" explain -c z.conf --client 192.0.2.10 --helo mx.remote.example --from a@remote.example \
	--rcpt u@example.net plain.eml 2>&1)
like "$out" 'rcpt <u@example.net> reject 550 5.7.1 message refused as spam \(score 0.0: none\)' \
	"spam.reject 0 with no rule fired: the reply names none"
[[ $out != *"(null)"* ]]; ok $? "spam.reject 0: no (null) in the reply or the summary"
tap_done
