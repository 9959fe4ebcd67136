#!/bin/bash
# dkim.sh - DKIM end to end through a real Postfix: an internal submission
# (XCLIENT 10.x, internal_hosts) leaves signed with two signatures (RSA and
# Ed25519); that delivered mail sent back in from outside gets dkim=pass
# for both; a one-byte body change gets dkim=fail; a key whose DNS lookup
# times out follows the recipient policy (tempfail 451 4.7.5); fields
# without a space after the colon verify under simple canonicalisation
# (SMFIP_HDR_LEADSPC).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"

postfix_require
tmpdir_make
T=$TEST_TMPDIR
mkdir -m 700 "$T/keys"
for k in "example.org rsa2048 rsa" "example.org ed rsa" "example.org ed25519 ed25519" "example.net slow rsa"; do
	set -- $k
	"$build/postern-keygen" -d "$1" -s "$2" -a "$3" -o "$T/keys" >/dev/null || bail_out "keygen $k"
done
for f in "$T"/keys/*.txt; do sed -E 's/ IN TXT \( (.*) \)$/ 300 TXT \1/' "$f"; done |
	grep -v -e '^slow\._domainkey' -e '^ed\._domainkey' >"$T/zone.txt"
echo "TIMEOUT slow._domainkey.example.net." >>"$T/zone.txt"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"

mkdir -p "$T/policies"
echo 'dkim = { dns_error_action = "tempfail"; };' >"$T/policies/example.com.conf"
postern_start "$T/policies" "
dns = { nameservers = [ \"$DNS_ADDR@$DNS_PORT\" ]; timeout = 1000; };
dkim = { keys = [ \"example.org:rsa2048:$T/keys/example.org.rsa2048.pem\",
                  \"example.org:ed25519:$T/keys/example.org.ed25519.pem\",
                  \"example.net:slow:$T/keys/example.net.slow.pem\" ]; };
" || bail_out "postern did not start"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"

delivered() { pf_delivered_subject "$@"; }
headers() { pf_headers "$@"; }
unfolded() { headers "$1" | awk '/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next } { if (line != "") print line; line = $0 } END { print line }'; }
# a delivered message without the delivery headers, ready to send again
resend_copy() { grep -v -E '^(Return-Path|Delivered-To|X-Original-To):' "$1" >"$2"; }

# 1. internal submission: signed twice, signatures at the top
smtp_send --xclient-addr 10.1.2.3 --to user@example.net --header "Subject: e2e-dkim-out" \
	--body $'Hello from the inside.\n\n.leading dot line\nbye\n'
ok $? "internal submission accepted"
f=$(delivered e2e-dkim-out); ok $? "internal submission delivered"
n=$(headers "$f" | grep -c '^DKIM-Signature:')
is "$n" 2 "two DKIM-Signature headers"
unfolded "$f" | grep '^DKIM-Signature:' | grep -q 'a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=rsa2048;'
ok $? "RSA-2048 signature, relaxed/relaxed, d=example.org"
unfolded "$f" | grep '^DKIM-Signature:' | grep -q 'a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=ed25519;'
ok $? "Ed25519 signature"
first=$(unfolded "$f" | grep -v -E '^(Return-Path|Delivered-To|X-Original-To):' | head -n 3 | cut -d: -f1 | tr '\n' ' ')
like "$first" '^(Received )?DKIM-Signature DKIM-Signature' "signatures at the top (below Postfix's own Received)"
grep -q 'dir=outbound .*dkim_signed=2' "$PSTN_LOG"; ok $? "summary line: dkim_signed=2"

# 2. the signed mail comes back in from outside: dkim=pass for both
resend_copy "$f" "$T/signed.eml"
smtp_send --xclient-addr 192.0.2.10 --to user@example.com --data "$T/signed.eml"
ok $? "signed mail accepted inbound"
for _ in $(seq 1 100); do
	g=$(grep -l -s '^Authentication-Results: mx.test.example' $(pf_delivered) | xargs -r grep -l -s '^Subject: e2e-dkim-out$' | head -n 1)
	[ -n "$g" ] && break; sleep 0.1
done
ar=$(headers "$g" | sed -n '/^Authentication-Results: mx.test.example/,/^[^ \t]/p')
like "$ar" 'dkim=pass \(2048-bit key\) header.d=example.org header.i=@example.org header.s=rsa2048 header.a=rsa-sha256 header.b=' "dkim=pass for the RSA signature"
like "$ar" 'dkim=pass header.d=example.org header.i=@example.org header.s=ed25519 header.a=ed25519-sha256' "dkim=pass for the Ed25519 signature"

# 3. one byte of the body changed: dkim=fail
sed 's/Hello from the inside\./Hello from the inside!/; s/^Subject: e2e-dkim-out/Subject: e2e-dkim-out/' "$T/signed.eml" >"$T/tampered.eml"
cmp -s "$T/signed.eml" "$T/tampered.eml"; [ $? -ne 0 ]; ok $? "tampered copy differs"
SMTP_OUT=$T/tamper.log smtp_send --xclient-addr 192.0.2.10 --to user@example.net --data "$T/tampered.eml"
ok $? "tampered mail accepted (a broken signature alone is no reason to refuse)"
for _ in $(seq 1 100); do
	grep -q 'dkim=pass:0,fail:2' "$PSTN_LOG" && break; sleep 0.1
done
grep -q 'dir=inbound .*dkim=pass:0,fail:2,.* verdict=tag check=dkim reason="DKIM signature did not verify"' "$PSTN_LOG"
ok $? "both signatures fail, verdict tag"
for _ in $(seq 1 100); do   # Postfix delivers after the milter's verdict: wait for it
	h=$(grep -l -s 'dkim=fail reason="body hash did not verify" header.d=example.org' $(pf_delivered) | head -n 1)
	[ -n "$h" ] && break; sleep 0.1
done
[ -n "$h" ]; ok $? "delivered with dkim=fail (body hash did not verify)"

# 4. key DNS failure under the recipient's policy (example.com: tempfail)
smtp_send --xclient-addr 10.1.2.3 --from sender@example.net --to user@example.org \
	--header "From: sender@example.net" --header "Subject: e2e-dkim-slow"
ok $? "mail from example.net signed with the slow selector"
f=$(delivered e2e-dkim-slow); ok $? "delivered"
resend_copy "$f" "$T/slow.eml"
SMTP_OUT=$T/slow.log smtp_send --xclient-addr 192.0.2.10 --from sender@example.net --to user@example.com --data "$T/slow.eml"
[ $? -ne 0 ]; ok $? "key lookup timeout for example.com's policy: refused"
like "$(grep -E '^<\*\* +4' "$T/slow.log" | head -n 1)" '451 4.7.5 DKIM key lookup failed' "... with 451 4.7.5"
SMTP_OUT=$T/slow2.log smtp_send --xclient-addr 192.0.2.10 --from sender@example.net --to user@example.org --data "$T/slow.eml"
ok $? "the default policy accepts it (dkim=temperror)"

# 5. fields written without a space after the colon ("Subject:x", "To:<TAB>")
# under simple header canonicalisation, signed by an independent signer
# (Mail::DKIM): Postfix offers SMFIP_HDR_LEADSPC, postern takes it, the
# DKIM signatures (simple/simple, simple/relaxed) and the ARC set
# (c=simple/relaxed) verify; the fields are delivered as written and our
# A-R has its one space after the colon (Postfix adds none under LEADSPC).
if perl -MMail::DKIM::ARC::Signer -e 1 2>/dev/null; then
	K=$T/keys/example.org.rsa2048.pem
	printf '%s\r\n' 'Authentication-Results: example.org; spf=pass smtp.mailfrom=a@example.org' \
		'From:a@example.org' $'To:\tuser@example.com' 'Subject:e2e-leadspc' \
		'Date: Thu, 03 Dec 2026 08:00:00 +0000' 'Message-ID:<lsp@example.org>' \
		'X-Folded:first' $'\tsecond' '' 'hello' >"$T/lsp.eml"
	perl "$here/tests/dkim/perlsign.pl" arc simple/relaxed example.org rsa2048 "$K" <"$T/lsp.eml" |
		perl "$here/tests/dkim/perlsign.pl" dkim simple/simple example.org rsa2048 "$K" |
		perl "$here/tests/dkim/perlsign.pl" dkim simple/relaxed example.org rsa2048 "$K" >"$T/lsp-signed.eml"
	ok $? "Mail::DKIM: ARC set and two simple DKIM signatures"
	smtp_send --xclient-addr 192.0.2.10 --from a@example.org --to user@example.com --data "$T/lsp-signed.eml"
	ok $? "signed mail without spaces after the colons accepted"
	f=
	for _ in $(seq 1 200); do
		f=$(grep -l -s '^Subject:e2e-leadspc$' $(pf_delivered) | head -n 1)
		[ -n "$f" ] && break; sleep 0.1
	done
	[ -n "$f" ]; ok $? "delivered"
	ar=$(headers "$f" | sed -n '/^Authentication-Results: mx.test.example;/,/^[^ \t]/p')
	n=$(grep -c 'dkim=pass (2048-bit key) header.d=example.org header.i=@example.org header.s=rsa2048' <<<"$ar")
	is "$n" 2 "both simple signatures dkim=pass through Postfix" || diag "$ar"
	like "$ar" 'arc=pass \(i=1 sealer example.org\)' "the ARC set (c=simple/relaxed) passes"
	headers "$f" | grep -q '^Subject:e2e-leadspc$'; ok $? "Subject:e2e-leadspc delivered as written"
	headers "$f" | grep -q $'^To:\tuser@example.com$'; ok $? "To:<TAB> delivered as written"
	headers "$f" | grep -q '^Authentication-Results: mx.test.example;$'
	ok $? "our A-R: exactly one space after the colon"
	headers "$f" | grep -q '^Authentication-Results:  '; [ $? -ne 0 ]; ok $? "... not two"
else
	for _ in 1 2 3 4 5 6 7 8; do skip "Perl Mail::DKIM not installed"; done
fi

postfix_stop
postern_stop
tap_done
