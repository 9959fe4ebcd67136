#!/bin/bash
# dmarc.sh - DMARC evaluation through dns.c against the loopback DNS
# fixture: record at the From domain or its organisational domain, sp= and
# np= (RFC 9091), strict and relaxed alignment, pct sampling, several
# records, DNS failure -> temperror.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
Q="$build/tests/tools/dmarcq"
tmpdir_make
cat >"$TEST_TMPDIR/zone.txt" <<'ZONE'
ZONE example.com.
_dmarc.example.com. 300 TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com"
mail.example.com. 300 A 192.0.2.25
_dmarc.strict.example.com. 300 TXT "v=DMARC1; p=reject; adkim=s; aspf=s"
ZONE example.net.
_dmarc.example.net. 300 TXT "v=DMARC1; p=quarantine; pct=25"
ZONE example.org.
_dmarc.example.org. 300 TXT "v=DMARC1; p=reject"
_dmarc.example.org. 300 TXT "v=DMARC1; p=none"
ZONE nodmarc.example.
_dmarc.nodmarc.example. 300 TXT "v=spf1 -all"
TIMEOUT _dmarc.slow.example.
ZONE
dns_start "$TEST_TMPDIR/zone.txt" || bail_out "DNS fixture did not start"
q() { "$Q" -s "$DNS_ADDR@$DNS_PORT" "$@"; }

like "$(q -d example.com example.com)" '^result=pass policy=reject record=example.com .*dkim_aligned=1' "aligned DKIM passes"
like "$(q -p bounce.example.com example.com)" '^result=pass .*spf_aligned=1 dkim_aligned=0' "relaxed SPF alignment with a subdomain passes"
like "$(q -d other.example example.com)" '^result=fail policy=reject' "unaligned DKIM fails with p=reject"
like "$(q mail.example.com)" '^result=fail policy=quarantine record=example.com org=example.com' "existing subdomain: organisational record, sp=quarantine"
like "$(q ghost.example.com)" '^result=fail policy=reject record=example.com' "non-existent subdomain: np=reject (RFC 9091)"
like "$(q -d mail.strict.example.com strict.example.com)" '^result=fail' "strict DKIM alignment refuses a subdomain"
like "$(q -d strict.example.com strict.example.com)" '^result=pass' "strict DKIM alignment accepts the exact domain"
like "$(q -n 10 example.net)" '^result=fail policy=quarantine .*sampled_out=0' "pct=25: sample 10 is inside"
like "$(q -n 80 example.net)" '^result=fail policy=quarantine .*sampled_out=1' "pct=25: sample 80 is outside"
like "$(q example.org)" '^result=none' "two DMARC records: no policy"
like "$(q nodmarc.example)" '^result=none' "a TXT that is not DMARC: none"
like "$(q unknown.invalid)" '^result=none' "no record anywhere: none"
like "$(q slow.example)" '^result=temperror' "DNS timeout: temperror"
tap_done
