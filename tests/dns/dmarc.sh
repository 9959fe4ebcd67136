#!/bin/bash
# dmarc.sh - DMARC evaluation (RFC 9989) through dns.c against the loopback
# DNS fixture: the tree walk finds the record at the From domain or above
# it (organisational domain, PSD with psd=y), psd=n cuts the organisation,
# sp= and np=, strict and relaxed alignment by tree walks, t=y and an old
# pct=0, several records, DNS failure -> temperror, the 8-query bound.
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
_dmarc.testing.example.net. 300 TXT "v=DMARC1; p=reject; t=y"
_dmarc.old.example.net. 300 TXT "v=DMARC1; p=reject; pct=0"
_dmarc.corp.example.net. 300 TXT "v=DMARC1; p=none; psd=n"
ZONE psd.example.
_dmarc.psd.example. 300 TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y"
bank.psd.example. 300 A 192.0.2.30
_dmarc.own.psd.example. 300 TXT "v=DMARC1; p=none"
ZONE example.org.
_dmarc.example.org. 300 TXT "v=DMARC1; p=reject"
_dmarc.example.org. 300 TXT "v=DMARC1; p=none"
ZONE nodmarc.example.
_dmarc.nodmarc.example. 300 TXT "v=spf1 -all"
TIMEOUT _dmarc.slow.example.
ZONE
dns_start "$TEST_TMPDIR/zone.txt" || bail_out "DNS fixture did not start"
q() { "$Q" -s "$DNS_ADDR@$DNS_PORT" "$@"; }

like "$(q -d example.com example.com)" '^result=pass policy=reject .*record=example.com .*dkim_aligned=1' "aligned DKIM passes"
like "$(q -p bounce.example.com example.com)" '^result=pass .*spf_aligned=1 dkim_aligned=0' "relaxed SPF alignment with a subdomain passes"
like "$(q -d other.example example.com)" '^result=fail policy=reject' "unaligned DKIM fails with p=reject"
like "$(q mail.example.com)" '^result=fail policy=quarantine .*record=example.com org=example.com' "existing subdomain: organisational record, sp=quarantine"
like "$(q ghost.example.com)" '^result=fail policy=reject .*record=example.com' "non-existent subdomain (NXDOMAIN): np=reject"
like "$(q -d mail.strict.example.com strict.example.com)" '^result=fail' "strict DKIM alignment refuses a subdomain"
like "$(q -d strict.example.com strict.example.com)" '^result=pass' "strict DKIM alignment accepts the exact domain"
like "$(q example.net)" '^result=fail policy=quarantine applied=quarantine testing=0' "pct=25 is historic: ignored"
like "$(q testing.example.net)" '^result=fail policy=reject applied=quarantine testing=1 .*record=testing.example.net' "t=y: one level milder"
like "$(q old.example.net)" '^result=fail policy=reject applied=quarantine testing=1' "an old pct=0 reads as t=y"
like "$(q a.b.c.d.e.f.g.h.i.j.example.net)" '^result=fail policy=quarantine .*record=example.net org=example.net .*queries=8' "twelve labels: eight look-ups, record at the organisational domain"
like "$(q -p x.testing.example.net example.net)" '^result=pass .*spf_aligned=1' "relaxed: a subdomain with its own record shares the organisational domain"
like "$(q -p bounce.corp.example.net example.net)" '^result=fail .*spf_aligned=0' "relaxed: psd=n makes corp.example.net an organisation of its own"
like "$(q -o mx.corp.example.net)" '^org=corp.example.net$' "organisational domain below a psd=n record"
like "$(q -o a.b.c.example.net)" '^org=example.net$' "organisational domain: the record with the fewest labels"
like "$(q bank.psd.example)" '^result=fail policy=quarantine .*psd=1 record=psd.example org=bank.psd.example' "psd=y: the PSD's record, sp= for an existing name"
like "$(q ghost.psd.example)" '^result=fail policy=reject .*psd=1 record=psd.example org=ghost.psd.example' "psd=y: np= for a name that does not exist"
like "$(q -p mail.bank.psd.example bank.psd.example)" '^result=pass .*spf_aligned=1' "psd=y: relaxed alignment below the organisational domain"
like "$(q -p other.psd.example bank.psd.example)" '^result=fail .*spf_aligned=0' "psd=y: siblings under a PSD are not aligned"
like "$(q own.psd.example)" '^result=fail policy=none .*psd=0 record=own.psd.example' "a PSD's child with its own record"
like "$(q -o x.y.psd.example)" '^org=y.psd.example$' "organisational domain one label below the PSD"
like "$(q example.org)" '^result=none' "two DMARC records: no policy"
like "$(q nodmarc.example)" '^result=none' "a TXT that is not DMARC: none"
like "$(q unknown.invalid)" '^result=none' "no record anywhere: none"
like "$(q slow.example)" '^result=temperror' "DNS timeout: temperror"
tap_done
