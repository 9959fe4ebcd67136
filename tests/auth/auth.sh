#!/bin/bash
# auth.sh - issue 9, authentication classes through the running daemon
# (miltertest) with the loopback DNS fixture: unusable From fields refused
# (dmarc.unusable_from_action) and failing closed for
# dkim.require_signature_from; a _dmarc name that cannot be asked falls
# back to the organisational domain; a required signature whose key times
# out is retried (451 4.7.5); forged A-R (quoted-pairs), Received-SPF and
# X-Postern-* fields removed; a signing failure tempfails (451 4.3.0).
# Issue 17: "From: a@good.example (x@other.example y)" and its mirror give
# the same author to DKIM signing, dkim.require_signature_from, DMARC and
# the deny.senders lookup (AF1-AF8).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"
tmpdir_make
T=$TEST_TMPDIR
cp -r "$here/tests/auth/policies" "$T/policies"
chmod -R u+w "$T/policies"
mkdir -m 700 "$T/keys"
for k in "example.org good" "example.net slow" "good.example g" "other.example o"; do
	set -- $k
	"$build/postern-keygen" -d "$1" -s "$2" -a rsa -o "$T/keys" >/dev/null || bail_out "keygen $k"
done
cp "$here/tests/auth/zone.txt" "$T/zone.txt"
sed -E 's/ IN TXT \( (.*) \)$/ 300 TXT \1/' "$T/keys/example.org.good.txt" >>"$T/zone.txt"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
postern_start "$T/policies" "
dkim = { keys = [ \"example.org:good:$T/keys/example.org.good.pem\",
                  \"example.net:slow:$T/keys/example.net.slow.pem\",
                  \"good.example:g:$T/keys/good.example.g.pem\",
                  \"other.example:o:$T/keys/other.example.o.pem\" ]; };
" || bail_out "postern did not start"

longlabel=$(printf 'a%.0s' $(seq 1 64))                       # one label of 64 octets
longname=$(for i in 1 2 3 4; do printf 'b%.0s' $(seq 1 57); printf .; done)c   # _dmarc. + 249 octets > 253
out="$T/auth.out"
"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
	-D longlabel="$longlabel" -D longname="$longname" \
	-s "$here/tests/auth/auth.lua" >"$out" 2>&1
st=$?; ok $st "miltertest auth.lua"
[ $st -eq 0 ] || diag_file "$out"

"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
	-s "$here/tests/auth/logtext.lua" >"$T/logtext.out" 2>&1
st=$?; ok $st "miltertest logtext.lua"
[ $st -eq 0 ] || diag_file "$T/logtext.out"

logged() { grep -qE "$1" "$PSTN_LOG"; ok $? "$2"; }
for q in AU1 AU2 AU3 AU4 AU5 AU6; do
	logged "$q: eom: .*dmarc=permerror .*verdict=reject check=dmarc reply=\"550 5.7.1 From address cannot be parsed|$q: eom: .*dmarc=permerror .*verdict=reject check=dmarc reply=\"550 5.7.1 no From header field" \
		"$q: unusable From refused with 550 5.7.1"
done
for q in AU7 AU8; do
	logged "$q: eom: .*dmarc=permerror .*verdict=reject check=dmarc reply=\"550 5.7.1 more than one author" "$q: several authors refused"
done
logged 'AU9: eom: .*verdict=reject check=dkim reply="550 5.7.20 no single usable From' "AU9: required signature fails closed on an unusable From"
logged 'AU10: eom: .*dmarc=fail\(p=reject\) .*verdict=reject check=dmarc reply="550 5.7.1' "AU10: long label: org domain's p=reject"
logged 'AU11: eom: .*dmarc=fail\(p=reject\) .*verdict=reject check=dmarc reply="550 5.7.1' "AU11: long name: org domain's p=reject"
logged 'AU13: eom: .*dkim=pass:0,fail:0,temperror:1.* verdict=tempfail check=dkim reply="451 4.7.5 DKIM key of example.net could not be fetched' "AU13: key timeout on a required signature: 451 4.7.5"
logged 'AU14: eom: .*forged_authres=1 forged_received_spf=1 forged_x_postern=2 .*verdict=accept' "AU14: one A-R, one of two Received-SPF, both X-Postern-* removed"
logged 'AU15: eom: .*dkim_signed=0 dkim_sign_failed=1 .*verdict=tempfail check=dkim reply="451 4.3.0' "AU15: signing failure tempfails with 451 4.3.0"
logged 'AU16: eom: .*dkim_signed=1 .*verdict=accept' "AU16: the same key signs a normal message"
# issue 17: one From parse; "a@good.example (x@other.example y)" is good.example
logged 'AF1: eom: .*dkim_signed=1 .*verdict=accept' "AF1: the From in a comment: signed once, for good.example (d= checked by auth.lua)"
logged 'AF2: eom: .*dkim_signed=1 .*verdict=accept' "AF2: the mirror: signed once, for other.example"
logged 'AF3: eom: .*dkim=none .*dmarc=pass\(p=reject\) .*header.from=good.example .*verdict=accept' "AF3: dkim.require_signature_from other.example does not apply to good.example; DMARC pass"
logged 'AF4: eom: .*verdict=reject check=dkim reply="550 5.7.20 no valid DKIM signature from other.example' "AF4: the mirror: other.example's signature required"
logged 'AF5: eom: .*dmarc=fail\(p=reject\) .*verdict=reject check=dmarc reply="550 5.7.1 DMARC policy of good.example' "AF5: DMARC evaluates good.example (p=reject, SPF of other.example not aligned)"
logged 'AF6: eom: .*dmarc=none header.from=other.example .*verdict=accept' "AF6: the mirror: DMARC of other.example (no record)"
logged 'AF8: abort: .*lists=deny:from .*verdict=reject check=lists reply="554 5.7.1 From address refused' "AF8: deny.senders other.example refuses the mirror's From"
logged 'AF7: abort: .*policy=listed.example .*verdict=accept' "AF7: summary line written"
grep -qE 'AF7: .*lists=deny' "$PSTN_LOG"; [ $? -ne 0 ]; ok $? "AF7: deny.senders other.example leaves good.example's From alone"
# 12. network text in log lines is escaped
line=$(grep -a 'LOG1: eom: ' "$PSTN_LOG")
[ -n "$line" ]; ok $? "LOG1: summary line written"
printf '%s' "$line" | LC_ALL=C grep -q $'[\x01-\x1f\x7f-\xff]'
[ $? -ne 0 ]; ok $? "LOG1: no control or 8-bit byte in the summary line"
like "$line" 'application/x\\x1b\[31m\\xc3\\xa9,evil\\x01' "LOG1: the Content-Type value escaped"
like "$line" 'from=<x\\x22q@bounce.example>' "LOG1: a quote in the sender escaped"
[ "$(printf '%s' "$line" | grep -o ' verdict=' | wc -l)" = 1 ]; ok $? "LOG1: one verdict= field: a quoted name cannot add fields"
LC_ALL=C grep -a -q $'[\x01-\x08\x0b-\x1f\x7f-\xff]' "$PSTN_LOG"
[ $? -ne 0 ]; ok $? "no control or 8-bit byte anywhere in the log"
tap_done
