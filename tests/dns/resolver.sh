#!/bin/bash
# resolver.sh - the loopback DNS fixture (unbound serving test data) and
# filter/dns/dns.c resolving through it: TXT (one and several strings), A,
# AAAA, NXDOMAIN, NODATA, and a name that never answers (timeout within
# the configured deadline, never a hang).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"

DNSQ="$build/tests/tools/dnsq"
[ -x "$DNSQ" ] || bail_out "$DNSQ not built"
tmpdir_make
cat >"$TEST_TMPDIR/zone.txt" <<'ZONE'
ZONE test.example.
test.example. 300 TXT "v=spf1 ip4:192.0.2.0/24 -all"
multi.test.example. 300 TXT "v=spf1 " "ip4:198.51.100.0/24" " -all"
host.test.example. 300 A 192.0.2.25
host.test.example. 300 AAAA 2001:db8::25
TIMEOUT slow.test.example.
ZONE
dns_start "$TEST_TMPDIR/zone.txt" || bail_out "DNS fixture did not start"

q() { "$DNSQ" -s "$DNS_ADDR@$DNS_PORT" -t "${T:-2000}" "$@"; }

out=$(q test.example TXT)
is "$out" $'status=ok count=1\ntxt=v=spf1 ip4:192.0.2.0/24 -all' "TXT record"
out=$(q multi.test.example TXT)
is "$out" $'status=ok count=1\ntxt=v=spf1 ip4:198.51.100.0/24 -all' "TXT of three strings joined"
out=$(q host.test.example A)
is "$out" $'status=ok count=1\na=192.0.2.25' "A record"
out=$(q host.test.example AAAA)
is "$out" $'status=ok count=1\naaaa=2001:db8::25' "AAAA record"
out=$(q nothere.test.example TXT)
is "$out" "status=nxdomain count=0" "NXDOMAIN"
out=$(q host.test.example TXT)
is "$out" "status=nodata count=0" "NODATA"
start=$(date +%s%N)
out=$(T=1500 q slow.test.example TXT)
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
is "$out" "status=timeout count=0" "a name that never answers times out"
[ "$elapsed" -lt 2500 ]; ok $? "timeout honoured: ${elapsed} ms for a 1500 ms deadline"
# the server itself still answers after a timeout
out=$(q test.example TXT | head -n 1)
is "$out" "status=ok count=1" "server answers after a timeout"
tap_done
