#!/bin/bash
# canon.sh - DKIM body hashes as postern verifies them (its own
# canonicaliser, filter/lib/bodycanon.c; libopendkim checks only headers
# and signatures, filter/dkim/dkim_bh.c): messages signed by libopendkim
# (tests/tools/dkimsign: every canonicalisation pair, l=, rsa-sha1, two
# signatures) and then changed, verified through the pipeline
# (tests/tools/dkimrun) with the key from the loopback DNS fixture.
#   unchanged -> pass; a changed byte -> fail "body hash did not verify";
#   white space changed -> pass for a relaxed body, fail for a simple one;
#   empty lines added at the end -> pass; l=: text appended -> pass, the
#   body cut below l= -> neutral; a changed header -> "signature did not
#   verify"; rsa-sha1 -> policy, or fail with a changed body.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"

RUN=${DKIMRUN:-$build/tests/tools/dkimrun}
SIGN=$build/tests/tools/dkimsign
[ -x "$RUN" ] && [ -x "$SIGN" ] || bail_out "dkimrun or dkimsign not built"
tmpdir_make
T=$TEST_TMPDIR
mkdir -m 700 "$T/keys"
"$build/postern-keygen" -d example.net -s k -o "$T/keys" >/dev/null || bail_out "postern-keygen"
KEY=$T/keys/example.net.k.pem
rec=$(sed -E 's/^[^ ]+ IN TXT \( (.*) \)$/\1/' "$T/keys/example.net.k.txt")
# one key under every selector the test signs with
for s in ss rr rs sr l sha1; do echo "$s._domainkey.example.net. 300 TXT $rec"; done >"$T/zone.txt"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
mkdir -p "$T/policies"
echo 'dmarc = { unusable_from_action = "accept"; };' >"$T/policies/default.conf"
cat >"$T/postern.conf" <<CONF
policy_dir = "$T/policies";
authserv_id = "mx.test";
log_level = "error";
internal_hosts = [ "10.0.0.0/8" ];
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; timeout = 1000; };
CONF

printf '%s\n' "From: Alice <alice@example.net>" "To: bob@example.org" "Subject: canonicalisation" \
	"Date: Thu, 03 Dec 2026 12:00:00 +0000" "Message-ID: <canon@example.net>" "" \
	"Hello  world,	two spaces and a tab." "A trailing space " "" "-- " "Alice" >"$T/base.eml"

sign() { "$SIGN" -k "$KEY" -d example.net "$@"; }
verify() { "$RUN" -c "$T/postern.conf" "$@" 2>&1; }
# expect WHAT FILE REGEX...: every REGEX in the A-R of FILE
expect() {
	local what=$1 f=$2 out
	shift 2
	out=$(verify "$f")
	for re in "$@"; do
		like "$out" "$re" "$what"
	done
}

for c in ss:simple/simple rr:relaxed/relaxed rs:relaxed/simple sr:simple/relaxed; do
	s=${c%%:*}
	sign -s "$s" -c "${c#*:}" "$T/base.eml" >"$T/$s.eml" || bail_out "dkimsign $c"
	expect "${c#*:}: unchanged body passes" "$T/$s.eml" "dkim=pass .*header.s=$s"
	sed 's/Hello/Hellp/' "$T/$s.eml" >"$T/$s-byte.eml"
	expect "${c#*:}: a changed byte fails the body hash" "$T/$s-byte.eml" \
		"dkim=fail reason=\"body hash did not verify\" header.d=example.net .*header.s=$s"
	sed 's/Hello  world,\t/Hello world, /; s/^A trailing space $/A trailing space/' "$T/$s.eml" >"$T/$s-wsp.eml"
	case $c in
	*/relaxed) expect "${c#*:}: white space changed, relaxed body passes" "$T/$s-wsp.eml" "dkim=pass .*header.s=$s" ;;
	*) expect "${c#*:}: white space changed, simple body fails" "$T/$s-wsp.eml" \
		"dkim=fail reason=\"body hash did not verify\" .*header.s=$s" ;;
	esac
	{ cat "$T/$s.eml"; printf '\n\n\n'; } >"$T/$s-empty.eml"
	expect "${c#*:}: empty lines added at the end still pass" "$T/$s-empty.eml" "dkim=pass .*header.s=$s"
	sed 's/^Subject: canonicalisation/Subject: canonicalization/' "$T/$s.eml" >"$T/$s-hdr.eml"
	expect "${c#*:}: a changed header: the signature fails" "$T/$s-hdr.eml" \
		"dkim=fail reason=\"signature did not verify\" .*header.s=$s"
done

# l= (RFC 6376 3.5): the signed length is checked, what follows is not
sign -s l -c relaxed/relaxed -l "$T/base.eml" >"$T/l.eml" || bail_out "dkimsign -l"
like "$(cat "$T/l.eml")" "l=[0-9]+" "the l= signature carries l="
expect "l=: unchanged passes" "$T/l.eml" "dkim=pass .*header.s=l"
{ cat "$T/l.eml"; printf '%s\n' "-- " "a footer the list added"; } >"$T/l-footer.eml"
expect "l=: text appended after the signed length passes" "$T/l-footer.eml" "dkim=pass .*header.s=l"
{ cat "$T/rr.eml"; printf '%s\n' "a footer the list added"; } >"$T/rr-footer.eml"
expect "without l=: the same footer fails" "$T/rr-footer.eml" "dkim=fail reason=\"body hash did not verify\" .*header.s=rr"
head -n -1 "$T/l.eml" >"$T/l-cut.eml"
expect "l=: a body shorter than l= is not a pass" "$T/l-cut.eml" "dkim=neutral .*header.s=l"
out=$(verify "$T/l-cut.eml")
[[ ! $out =~ dkim=pass ]]; ok $? "... and nothing passes"
sed 's/^Alice/Alicf/' "$T/l.eml" >"$T/l-byte.eml"
expect "l=: a change inside the signed length fails" "$T/l-byte.eml" "dkim=fail reason=\"body hash did not verify\" .*header.s=l"

# rsa-sha1: checked, then refused by policy (RFC 8301); a changed body still fails
sign -s sha1 -c relaxed/relaxed -a sha1 "$T/base.eml" >"$T/sha1.eml" || bail_out "dkimsign -a sha1"
expect "rsa-sha1 that verifies: dkim=policy" "$T/sha1.eml" "dkim=policy reason=\"rsa-sha1 is not accepted"
sed 's/Hello/Hellp/' "$T/sha1.eml" >"$T/sha1-byte.eml"
expect "rsa-sha1 with a changed body: fail" "$T/sha1-byte.eml" "dkim=fail reason=\"body hash did not verify\" .*header.s=sha1"

# two signatures, two canonicalisations, one message: each its own hash
sign -s ss -c simple/simple "$T/rr.eml" >"$T/two.eml" || bail_out "dkimsign twice"
expect "two signatures: both pass" "$T/two.eml" "dkim=pass .*header.s=ss" "dkim=pass .*header.s=rr"
sed 's/Hello  world,\t/Hello world, /' "$T/two.eml" >"$T/two-wsp.eml"
expect "two signatures, white space changed: relaxed passes, simple fails" "$T/two-wsp.eml" \
	"dkim=pass .*header.s=rr" "dkim=fail reason=\"body hash did not verify\" .*header.s=ss"
tap_done
