#!/bin/bash
# metrics.sh - the metrics endpoint (metrics.listen, libmicrohttpd): scraped
# while milterload runs 4 x 25 inbound messages against the daemon (every
# scrape answers 200 and no counter goes down), then the counts checked
# against what was sent: 100 inbound accepted (spf=pass), 10 refused at
# RCPT by SPF (spf=fail, 550, decided by check spf), 5 outbound (DKIM-signed:
# 5 signatures; 2 more of a domain without a key counted unsigned); the phase
# histograms count each call, the DNS counters add up to their histogram,
# one sender domain whose server never answers counted as one DNS time-out,
# no connection is left open; 404 and 405 for other paths and methods; the same over a unix
# socket and through postern-ctl stats; a non-loopback address is refused
# by postern -t.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

ML=$build/contrib/bench/milterload
[ -x "$ML" ] || bail_out "$ML not built (make)"
ml() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" "$@"; }
command -v curl >/dev/null || bail_out "curl not installed"

tmpdir_make
T=$TEST_TMPDIR
"$here/contrib/bench/genmsg" small "$T/msgs" 1 || bail_out "genmsg failed"
mkdir "$T/policies" && : >"$T/policies/default.conf"
printf 'policy_dir = "%s";\nmetrics = { listen = "unix:%s/x.sock"; };\n' "$T/policies" "$T" >"$T/probe.conf"
"$build/postern" -t -c "$T/probe.conf" 2>&1 | grep -q 'built without libmicrohttpd' &&
	skip_all "postern was built without libmicrohttpd"
dns_start "$here/tests/spf/behaviour.dns" || bail_out "DNS fixture did not start"
MPORT=$(free_port tcp)
mkdir -m 700 "$T/keys"
"$build/postern-keygen" -d example.org -s m1 -a ed25519 -o "$T/keys" >/dev/null || bail_out "keygen"
postern_start "$T/policies" "metrics = { listen = \"inet:$MPORT@127.0.0.1\"; };
dkim = { keys = [ \"example.org:m1:$T/keys/example.org.m1.pem\" ]; };" ||
	bail_out "postern did not start"
URL=http://127.0.0.1:$MPORT/metrics

scrape() { curl -s --max-time 5 "$@"; }
# value of one sample line (exact name and labels), 0 when absent
val() { awk -v k="$1" '$1 == k { v = $2 } END { print v == "" ? 0 : v }' "$2"; }

# 1. scraped during a load run
(
	while :; do
		code=$(scrape -o "$T/during.txt" -w '%{http_code}' "$URL")
		echo "$code $(val 'postern_messages_total{direction="inbound",verdict="accept"}' "$T/during.txt")"
		sleep 0.05
	done
) >"$T/scrapes" 2>/dev/null &
scraper=$!
on_exit "kill $scraper 2>/dev/null"
res=$(ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 4 -n 25 -a 192.0.2.10 -H mx.pass.spf.example \
	-f alice@pass.spf.example -r user@example.com)
ok $? "milterload: 4 x 25 inbound messages"
sleep 0.3
kill $scraper; wait $scraper 2>/dev/null
n=$(wc -l <"$T/scrapes")
[ "$n" -ge 2 ]; ok $? "scraped $n times during the run"
is "$(awk '$1 != 200' "$T/scrapes" | wc -l)" 0 "every scrape answered 200"
awk 'NR > 1 && $2 < prev { bad = 1 } { prev = $2 } END { exit bad }' "$T/scrapes"
ok $? "the accepted count never went down between scrapes"

# 2. refused at RCPT by SPF, and outbound
res=$(ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 10 -a 192.0.2.20 -f bob@fail.spf.example)
like "$res" 'reject@rcpt=10' "milterload: 10 SPF fail messages refused at RCPT"
res=$(ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 5 -a 10.1.2.3)
ok $? "milterload: 5 outbound messages"

for _ in $(seq 1 50); do
	scrape -o "$T/m.txt" "$URL"
	[ "$(val postern_connections_active "$T/m.txt")" = 0 ] && break
	sleep 0.1
done
is "$(val 'postern_messages_total{direction="inbound",verdict="accept"}' "$T/m.txt")" 100 "inbound accepted: 100"
is "$(val 'postern_messages_total{direction="inbound",verdict="reject"}' "$T/m.txt")" 10 "inbound rejected: 10"
is "$(val 'postern_messages_total{direction="outbound",verdict="accept"}' "$T/m.txt")" 5 "outbound accepted: 5"
is "$(awk '/^postern_messages_total\{/ { s += $2 } END { print s }' "$T/m.txt")" 115 "messages in all: 115"
is "$(val 'postern_replies_total{code="550"}' "$T/m.txt")" 10 "replies 550: 10"
is "$(val 'postern_dkim_signatures_total{result="signed"}' "$T/m.txt")" 5 "DKIM signatures added: 5 (the outbound ones)"
is "$(val 'postern_dkim_signatures_total{result="failed"}' "$T/m.txt")" 0 "DKIM signatures failed: 0"
is "$(val postern_dkim_unsigned_total "$T/m.txt")" 0 "outbound unsigned: 0"
is "$(val 'postern_auth_results_total{method="spf",result="pass"}' "$T/m.txt")" 100 "auth results spf=pass: 100"
is "$(val 'postern_auth_results_total{method="spf",result="fail"}' "$T/m.txt")" 10 "auth results spf=fail: 10"
is "$(val 'postern_decisions_total{check="spf",action="reject"}' "$T/m.txt")" 10 "decided by spf, reject: 10"
is "$(val 'postern_phase_duration_seconds_count{phase="envfrom"}' "$T/m.txt")" 115 "envfrom phase calls: 115"
is "$(val 'postern_phase_duration_seconds_count{phase="envrcpt"}' "$T/m.txt")" 115 "envrcpt phase calls: 115"
is "$(val 'postern_phase_duration_seconds_count{phase="eom"}' "$T/m.txt")" 105 "eom phase calls: 105 (refused ones never reach it)"
is "$(val 'postern_phase_duration_seconds_bucket{phase="eom",le="+Inf"}' "$T/m.txt")" 105 "eom histogram +Inf bucket = count"
is "$(val postern_connections_total "$T/m.txt")" 6 "milter connections: 6"
is "$(val postern_connections_active "$T/m.txt")" 0 "none open after the runs"
dns_sum=$(awk '/^postern_dns_queries_total\{/ { s += $2 } END { print s }' "$T/m.txt")
[ "$dns_sum" -ge 2 ]; ok $? "DNS queries counted ($dns_sum)"
is "$(val postern_dns_query_duration_seconds_count "$T/m.txt")" "$dns_sum" "DNS histogram count = queries by outcome"
grep -q '^# TYPE postern_phase_duration_seconds histogram$' "$T/m.txt"; ok $? "exposition has TYPE lines"
is "$(val 'postern_dns_queries_total{result="timeout"}' "$T/m.txt")" 0 "no DNS time-out so far"
# a sender domain whose name server never answers (the fixture drops the
# query): one SPF look-up that reaches the deadline (dns.timeout 1.5 s)
res=$(ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 1 -a 192.0.2.20 -f bob@slow.spf.example)
scrape -o "$T/slow.txt" "$URL"
is "$(val 'postern_dns_queries_total{result="timeout"}' "$T/slow.txt")" 1 "DNS time-outs: 1 (slow.spf.example)"
over1() { echo $(( $(val postern_dns_query_duration_seconds_count "$1") - $(val 'postern_dns_query_duration_seconds_bucket{le="1"}' "$1") )); }
is "$(( $(over1 "$T/slow.txt") - $(over1 "$T/m.txt") ))" 1 "... the one query over 1 s in the latency histogram"
diag "slow sender: $res"
ct=$(scrape -o /dev/null -w '%{content_type}' "$URL")
like "$ct" '^text/plain; version=0\.0\.4' "Content-Type text/plain; version=0.0.4"

# 3. other paths and methods
is "$(scrape -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" 404 "GET / is 404"
is "$(scrape -o /dev/null -w '%{http_code}' -X POST "$URL")" 405 "POST /metrics is 405"
is "$(scrape -o /dev/null -w '%{http_code}' -I "$URL")" 200 "HEAD /metrics is 200"

# 4. over a unix socket (restart: metrics.listen is read at start), now
# with a state store that postern-learn filled
is "$(grep -c '^postern_store' "$T/m.txt")" 0 "no store configured: no store gauges"
postern_stop
sed -i "s|listen = \"inet:$MPORT@127.0.0.1\"|listen = \"unix:$T/metrics.sock\"|" "$PSTN_CONF"
echo "store = { url = \"lmdb:$T/state.mdb\"; };" >>"$PSTN_CONF"
"$build/postern-learn" -c /dev/null --store "lmdb:$T/state.mdb" --spam -q "$T/msgs" >/dev/null
postern_restart || bail_out "postern did not restart"
for _ in $(seq 1 50); do [ -S "$T/metrics.sock" ] && break; sleep 0.1; done
is "$(stat -c %a "$T/metrics.sock" 2>/dev/null)" 660 "unix socket mode 0660"
ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 3 -a 10.1.2.3 >/dev/null
scrape --unix-socket "$T/metrics.sock" -o "$T/u.txt" http://localhost/metrics
ok $? "scraped over the unix socket"
is "$(val 'postern_messages_total{direction="outbound",verdict="accept"}' "$T/u.txt")" 3 "a fresh process counts from zero: 3"
"$build/postern-ctl" -c "$PSTN_CONF" stats >"$T/ctl.txt"
ok $? "postern-ctl stats (metrics.listen of the same file)"
is "$(val 'postern_messages_total{direction="outbound",verdict="accept"}' "$T/ctl.txt")" 3 "... prints the same counts"
is "$(val 'postern_store_up{kind="lmdb"}' "$T/ctl.txt")" 1 "the store answered (postern_store_up)"
recs=$(val postern_store_records "$T/ctl.txt"); bytes=$(val postern_store_bytes "$T/ctl.txt")
[ "$recs" -gt 2 ] && [ "$bytes" -ge 4096 ]; ok $? "store size: $recs records, $bytes bytes"
# outbound mail of a domain without a key: sent on unsigned, counted so
"$here/contrib/bench/genmsg" small "$T/other" 1 --from someone@other.example || bail_out "genmsg failed"
ml -q -s "$PSTN_SOCK" -m "$T/other" -c 1 -n 2 -a 10.1.2.3 -f someone@other.example >/dev/null
"$build/postern-ctl" -c "$PSTN_CONF" stats >"$T/ctl3.txt"
is "$(val postern_dkim_unsigned_total "$T/ctl3.txt")" 2 "outbound without a key for its From domain: 2 unsigned"
is "$(val 'postern_dkim_signatures_total{result="signed"}' "$T/ctl3.txt")" 3 "... and still 3 signatures in this process"
"$build/postern-learn" -c /dev/null --store "lmdb:$T/state.mdb" --ham -q "$here/tests/spam/zone.txt" >/dev/null
"$build/postern-ctl" -c "$PSTN_CONF" stats >"$T/ctl2.txt"
[ "$(val postern_store_records "$T/ctl2.txt")" -gt "$recs" ]; ok $? "more records after more training"
grep -v '^metrics' "$PSTN_CONF" | sed '/listen = /d' >"$T/nometrics.conf"
out=$("$build/postern-ctl" -c "$T/nometrics.conf" stats 2>&1)
[ $? = 1 ]; ok $? "postern-ctl stats without metrics.listen: exit 1"
like "$out" 'metrics\.listen is not set' "... saying so"

# 5. only loopback or a unix socket
sed "s|listen = \"unix:$T/metrics.sock\"|listen = \"inet:$MPORT@0.0.0.0\"|" "$PSTN_CONF" >"$T/bad.conf"
out=$("$build/postern" -t -c "$T/bad.conf" 2>&1)
[ $? -ne 0 ]; ok $? "postern -t refuses metrics.listen on 0.0.0.0"
like "$out" "bad\.conf:[0-9]+: metrics\.listen: " "... naming file:line: metrics.listen"

postern_stop
tap_done
