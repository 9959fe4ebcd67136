#!/bin/bash
# cache.sh - the resolver's answer cache (filter/dns/dns_cache.c) through
# the running daemon: 20 messages from a sender whose SPF record has a TTL
# of 300 s ask the DNS server once and are answered from the cache 19
# times (postern_dns_cache_total{result="hit"} on the metrics endpoint);
# a sender whose record has TTL 0 is asked for every message (misses, and
# the server's query log has each); a name that does not exist is never
# kept (negative answers are left to libunbound).  The counts are exact:
# the same number of questions each time.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

ML=$build/contrib/bench/milterload
[ -x "$ML" ] || bail_out "$ML not built (make)"
ml() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" "$@"; }
tmpdir_make
T=$TEST_TMPDIR
"$here/contrib/bench/genmsg" small "$T/msgs" 1 || bail_out "genmsg failed"
mkdir "$T/policies" && : >"$T/policies/default.conf"
postern_metrics_require
cat >"$T/zone" <<'ZONE'
ZONE cache.example.
long.cache.example. 300 TXT "v=spf1 ip4:192.0.2.10 -all"
short.cache.example. 0 TXT "v=spf1 ip4:192.0.2.10 -all"
ZONE
dns_start "$T/zone" || bail_out "DNS fixture did not start"
MPORT=$(free_port tcp)
postern_start "$T/policies" "metrics = { listen = \"inet:$MPORT@127.0.0.1\"; };" ||
	bail_out "postern did not start"
cache() { postern_metric "$MPORT" "postern_dns_cache_total{result=\"$1\"}"; }
asked() { grep -c "info: 127.0.0.1 $1\. TXT IN" "$DNS_DIR/unbound.log"; }
send() { ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 20 -a 192.0.2.10 -f "a@$1" -C spf=pass 2>&1; }

h0=$(cache hit) m0=$(cache miss)
out=$(send long.cache.example)
like "$out" 'messages=20 .*text1=20' "TTL 300: 20 messages, spf=pass in each"
h1=$(cache hit) m1=$(cache miss)
is "$(asked long.cache.example)" 1 "TTL 300: the server was asked once"
is "$((h1 - h0))" 19 "TTL 300: 19 answers from the cache"
out=$(send short.cache.example)
like "$out" 'messages=20 .*text1=20' "TTL 0: 20 messages, spf=pass in each"
h2=$(cache hit) m2=$(cache miss)
is "$((h2 - h1))" 0 "TTL 0: never from the cache"
[ "$((m2 - m1))" -ge 20 ]
ok $? "TTL 0: a miss for each message ($((m2 - m1)) misses)"
out=$(send nx.cache.example)
like "$out" 'messages=20 ' "no such name: 20 messages"
h3=$(cache hit)
is "$((h3 - h2))" 0 "no such name: never from the cache"
tap_done
