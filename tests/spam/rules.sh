#!/bin/bash
# rules.sh - the spam rules that read the connection and the other checks,
# through the running daemon (contrib/bench/milterload sends real .eml
# files; a message signed with tests/tools/dkimsign, its key on the
# loopback DNS fixture): the authentication rules (spf_fail,
# spf_softfail, dkim_fail, dmarc_fail, auth_none, dkim_from_pass, also
# for a subdomain of the signer), the HELO rules (helo_bare_ip,
# helo_not_fqdn, helo_ours), many_rcpts_hdr and from_name_domain, each firing and not
# firing; the summary line lists exactly the rules that fired.  HELO
# rules over a policy's spam.reject refuse at RCPT.  A reload
# (SIGUSR1) builds the rules again: a new list and new scores count, a
# policy naming an unknown rule is refused and the running rules stay.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
ML=$build/contrib/bench/milterload
SIGN=$build/tests/tools/dkimsign
[ -x "$ML" ] && [ -x "$SIGN" ] || bail_out "milterload or dkimsign not built"
tmpdir_make
T=$TEST_TMPDIR
mkdir -m 700 "$T/keys"
"$build/postern-keygen" -d signed.example -s s -o "$T/keys" >/dev/null || bail_out "postern-keygen"
rec=$(sed -E 's/^[^ ]+ IN TXT \( (.*) \)$/\1/' "$T/keys/signed.example.s.txt")
cat >"$T/zone.txt" <<ZONE
ZONE remote.example.
remote.example. 300 TXT "v=spf1 -all"
_dmarc.remote.example. 300 TXT "v=DMARC1; p=none"
ZONE soft.example.
soft.example. 300 TXT "v=spf1 ~all"
ZONE signed.example.
s._domainkey.signed.example. 300 TXT $rec
ZONE client.example.
ZONE example.net.
TIMEOUT tempspf.example.
TIMEOUT _domainkey.tempkey.example.
ZONE
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
mkdir -p "$T/policies"
# every result only scored: nothing refused by the other checks, nothing
# tagged or refused by the score
cat >"$T/policies/default.conf" <<'POL'
spf = { fail_action = "accept"; softfail_action = "accept"; temperror_action = "accept"; };
dkim = { broken_action = "accept"; };
spam = { tag = "off"; reject = "off"; };
POL
# rcpt.example refuses from 3 on: the HELO rules count at RCPT already
echo 'spam = { reject = 3; };' >"$T/policies/rcpt.example.conf"
postern_start "$T/policies" || bail_out "postern did not start"

NOW=$(date -u '+%a, %d %b %Y %H:%M:%S +0000')
msg() {   # msg FILE FROM [TO]: a well-formed message
	printf '%s\r\n' "From: $2" "To: ${3:-u@example.net}" "Subject: rules" "Date: $NOW" \
		"Message-ID: <$(basename "$1" .eml)@client.example>" "" "Hello." >"$1"
}
# run QID FILE [milterload options]: one message through the daemon
run() {
	local qid=$1 f=$2 out
	shift 2
	# the load client's own allocations live until exit (as tests/milter/metrics.sh)
	out=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" -q -s "$PSTN_SOCK" -m "$f" -c 1 -n 1 -D "mail:i=$qid" -r "${RCPT:-u@example.net}" "$@" 2>&1) ||
		diag "milterload $qid: $out"
	ML_OUT=$out
}
# rules QID: the spam part of QID's summary line
rules() {
	grep -E "$1: eom: " "$PSTN_LOG" | grep -oE ' spam=[^ ]+( spam_rules=[^ ]+)?' | head -n 1
}
is_rules() {   # is_rules QID WANT WHAT
	is "$(rules "$1")" "$2" "$3"
}

msg "$T/plain.eml" a@client.example
run R1 "$T/plain.eml" -f a@client.example -H mail.client.example
is_rules R1 " spam=0.5/off spam_rules=auth_none=0.5" "a plain message: auth_none only"

# HELO rules
run R2 "$T/plain.eml" -f a@client.example -H localhost
is_rules R2 " spam=1.0/off spam_rules=helo_not_fqdn=0.5,auth_none=0.5" "HELO without a dot: helo_not_fqdn"
run R3 "$T/plain.eml" -f a@client.example -H '[192.0.2.10]'
is_rules R3 " spam=1.5/off spam_rules=helo_bare_ip=1.0,auth_none=0.5" "HELO an address literal: helo_bare_ip"
run R4 "$T/plain.eml" -f a@client.example -H mx.test.example
is_rules R4 " spam=3.5/off spam_rules=helo_ours=3.0,auth_none=0.5" "HELO our own name: helo_ours"
run R5 "$T/plain.eml" -f a@client.example -H MX.Test.Example
is_rules R5 " spam=3.5/off spam_rules=helo_ours=3.0,auth_none=0.5" "helo_ours ignores case"
run R6 "$T/plain.eml" -f a@client.example -H mx2.test.example
is_rules R6 " spam=0.5/off spam_rules=auth_none=0.5" "another host of our domain: no HELO rule"

# decided early: helo_ours (3.0) reaches rcpt.example's spam.reject at RCPT
RCPT=u@rcpt.example run R17 "$T/plain.eml" -f a@client.example -H mx.test.example
like "$ML_OUT" 'reject@rcpt=1' "HELO rules over spam.reject: the recipient refused at RCPT"
grep -q 'R17: spam: recipient refused under policy rcpt.example: 550 5.7.1 message refused as spam (score 3.0: helo_ours)' \
	"$PSTN_LOG"; ok $? "the refusal names the HELO rule and its score"
RCPT=u@rcpt.example run R18 "$T/plain.eml" -f a@client.example -H localhost
[[ $ML_OUT != *reject@rcpt* ]]; ok $? "helo_not_fqdn (0.5) alone: not refused at RCPT"

# SPF and DMARC
msg "$T/remote.eml" a@remote.example
run R7 "$T/remote.eml" -f a@remote.example -H mail.client.example
is_rules R7 " spam=5.5/off spam_rules=dmarc_fail=3.0,spf_fail=2.0,auth_none=0.5" \
	"SPF fail and DMARC fail (p=none): spf_fail, dmarc_fail"
msg "$T/soft.eml" a@soft.example
run R8 "$T/soft.eml" -f a@soft.example -H mail.client.example
is_rules R8 " spam=1.5/off spam_rules=spf_softfail=1.0,auth_none=0.5" "SPF softfail: spf_softfail"

# DKIM: a pass of the From domain, of a parent of it, of another domain; a failure
for n in signed sub other; do
	case $n in
	signed) from=a@signed.example;; sub) from=a@news.signed.example;; other) from=a@client.example;;
	esac
	msg "$T/$n.txt" "$from"
	"$SIGN" -k "$T/keys/signed.example.s.pem" -d signed.example -s s -c relaxed/relaxed "$T/$n.txt" \
		>"$T/$n.eml" || bail_out "dkimsign $n"
done
run R9 "$T/signed.eml" -f a@signed.example -H mail.client.example
is_rules R9 " spam=-1.0/off spam_rules=dkim_from_pass=-1.0" "DKIM pass of the From domain: dkim_from_pass, no auth_none"
grep -E "R9: eom: " "$PSTN_LOG" | grep -q "dkim=pass:1,fail:0"; ok $? "R9: the summary shows the DKIM pass"
run R10 "$T/sub.eml" -f a@news.signed.example -H mail.client.example
is_rules R10 " spam=-1.0/off spam_rules=dkim_from_pass=-1.0" "DKIM pass of a parent of the From domain: dkim_from_pass"
run R11 "$T/other.eml" -f a@client.example -H mail.client.example
is_rules R11 " spam=0.0/off" "DKIM pass of another domain: no rule"
sed 's/^Hello\./Hello, changed./' "$T/signed.eml" >"$T/broken.eml"
run R12 "$T/broken.eml" -f a@signed.example -H mail.client.example
is_rules R12 " spam=1.5/off spam_rules=dkim_fail=1.0,auth_none=0.5" "a failed DKIM signature: dkim_fail"
grep -E "R12: eom: " "$PSTN_LOG" | grep -q "dkim=pass:0,fail:1"; ok $? "R12: the summary shows the DKIM failure"

# a DNS error is no verdict: nothing passed, but SPF (or a DKIM key) could
# not be checked: auth_error (0, shown), not auth_none
msg "$T/tempspf.eml" a@tempspf.example
run R23 "$T/tempspf.eml" -f a@tempspf.example -H mail.client.example
is_rules R23 " spam=0.0/off spam_rules=auth_error=0.0" "SPF temperror: auth_error, not auth_none"
grep -E "R23: eom: " "$PSTN_LOG" | grep -q " spf=temperror"; ok $? "R23: the summary shows spf=temperror"
msg "$T/tempkey.txt" a@client.example
"$SIGN" -k "$T/keys/signed.example.s.pem" -d tempkey.example -s s -c relaxed/relaxed "$T/tempkey.txt" \
	>"$T/tempkey.eml" || bail_out "dkimsign tempkey"
run R24 "$T/tempkey.eml" -f a@client.example -H mail.client.example
is_rules R24 " spam=0.0/off spam_rules=auth_error=0.0" "a DKIM key look-up timed out, SPF none: auth_error"
grep -E "R24: eom: " "$PSTN_LOG" | grep -q "temperror:1"; ok $? "R24: the summary shows the DKIM temperror"

# many addresses in To and Cc
to50=$(for i in $(seq 1 50); do printf 'u%d@example.net, ' "$i"; done)
msg "$T/to50.eml" a@client.example "${to50%, }"
run R13 "$T/to50.eml" -f a@client.example -H mail.client.example
is_rules R13 " spam=0.5/off spam_rules=auth_none=0.5" "50 addresses in To: no many_rcpts_hdr"
msg "$T/to51.eml" a@client.example "${to50}x@example.net"
run R14 "$T/to51.eml" -f a@client.example -H mail.client.example
is_rules R14 " spam=1.5/off spam_rules=many_rcpts_hdr=1.0,auth_none=0.5" "51 addresses in To: many_rcpts_hdr"

# the From display name: another organisation's address fires, a
# subdomain of the sender's own registered domain does not
msg "$T/spoof.eml" '"security@bank.example" <a@client.example>'
run R19 "$T/spoof.eml" -f a@client.example -H mail.client.example
is_rules R19 " spam=2.0/off spam_rules=from_name_domain=1.5,auth_none=0.5" "display name with another domain's address: from_name_domain"
msg "$T/own.eml" '"news@News.Client.Example" <a@client.example>'
run R20 "$T/own.eml" -f a@client.example -H mail.client.example
is_rules R20 " spam=0.5/off spam_rules=auth_none=0.5" "display name with an address of a subdomain of the sender's domain: no rule"

# reload (SIGUSR1): the rules are built again with the new config and
# policies; a policy naming an unknown rule is refused, the running rules stay
reload() {   # reload N: wait for the Nth "reloaded" or "reload failed" line
	kill -USR1 "$PSTN_PID"
	for _ in $(seq 1 100); do
		[ "$(grep -cE 'configuration reloaded|reload failed' "$PSTN_LOG")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
sed -i 's/^spam = .*/spam = { tag = "off"; reject = "off"; scores = [ "auth_none=2.25", "dnsbl_new=7" ]; };/' \
	"$T/policies/default.conf"
echo 'spam = { dnsbl = [ "new bl.example score=4" ]; };' >>"$PSTN_CONF"
sed -i 's/^ZONE client.example./66.2.0.192.bl.example. 300 A 127.0.0.2\n&/' "$T/zone.txt"
dns_reload "$T/zone.txt" || bail_out "DNS reload"
reload 1; ok $? "reload with a new list and new scores"
grep -q 'configuration reloaded' "$PSTN_LOG"; ok $? "the new configuration was taken"
run R15 "$T/plain.eml" -f a@client.example -H mail.client.example -a 192.0.2.66
is_rules R15 " spam=9.25/off spam_rules=dnsbl_new=7.0,auth_none=2.25" "after reload: the new list, its policy score, the new auth_none score"
sed -i 's/"dnsbl_new=7"/"dnsbl_new=7", "no_such_rule=1"/' "$T/policies/default.conf"
reload 2; ok $? "reload with an unknown rule"
grep -E 'reload failed' "$PSTN_LOG" | head -n 3 | while read -r l; do diag "$l"; done
grep -q 'reload failed, keeping the running configuration: .*unknown rule "no_such_rule"' "$PSTN_LOG"
ok $? "the unknown rule is named and the reload refused"
run R16 "$T/plain.eml" -f a@client.example -H mail.client.example -a 192.0.2.66
is_rules R16 " spam=9.25/off spam_rules=dnsbl_new=7.0,auth_none=2.25" "the running rules stay"
tap_done
