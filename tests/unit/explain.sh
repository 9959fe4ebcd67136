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
like "$out" '- delete X-Spam-Flag #1' "the sender's X-Spam-Flag is deleted"

E --rcpt u@example.net /nonexistent.eml >/dev/null
[ $? -eq 1 ]; ok $? "an unreadable message is an error"
E forged.eml >/dev/null
[ $? -eq 2 ]; ok $? "no --rcpt is a usage error"
tap_done
