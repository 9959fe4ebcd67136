#!/bin/bash
# soak.sh - a short soak of the running daemon with the load client
# (contrib/bench/milterload): SOAK_COUNT (default 6000) mixed messages -
# generated small/medium/large mail, the repository's malformed MIME corpus
# (tests/fuzz/corpus/mime) and DKIM-signed messages (tests/data/dkim), with
# rounds of hostile sizes (600 KB header fields, 60 KB HELO/sender/recipient)
# over 16 connections - after a warm-up of the same mix.  The daemon's RSS
# and open file descriptors are read from /proc at start and end: the fds
# must come back to where they were and RSS may grow by at most
# SOAK_MAX_GROWTH_KB (3072).  Without the allocator policy of
# filter/milter/memory.c the same mix grew RSS by 25-30 MiB.
#   SOAK_COUNT=100000 tests/bench/soak.sh     the long soak (docs/RELIABILITY.md)
# Under the sanitizers (ASAN_OPTIONS set) RSS is reported, not asserted.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

ML=$build/contrib/bench/milterload
[ -x "$ML" ] || bail_out "$ML not built (make)"
ml() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" "$@"; }
COUNT=${SOAK_COUNT:-6000}
MAX_GROWTH_KB=${SOAK_MAX_GROWTH_KB:-3072}
MAX_TOTAL_KB=${SOAK_MAX_TOTAL_KB:-8192}

tmpdir_make
M=$TEST_TMPDIR/mix
mkdir -p "$M"
"$here/contrib/bench/genmsg" small "$M" 12 >/dev/null &&
	"$here/contrib/bench/genmsg" medium "$M" 4 >/dev/null &&
	"$here/contrib/bench/genmsg" large "$M" 1 >/dev/null || bail_out "genmsg failed"
# malformed MIME and signed mail; milterload wants a header field first
n=0
for f in "$here"/tests/fuzz/corpus/mime/* $(find "$here/tests/data/dkim" -type f -name '*.eml'); do
	head -c 4096 "$f" | head -n 1 | grep -qE '^[!-9;-~]+:' || continue
	n=$((n + 1))
	cp "$f" "$M/x$(printf %04d $n).eml"
done
diag "message mix: $(ls "$M" | wc -l) files ($n from the malformed MIME corpus and the DKIM data)"
cp -r "$here/tests/e2e/policies" "$TEST_TMPDIR/policies"
dns_start "$here/tests/data/foundation.zone" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" || bail_out "postern did not start"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PSTN_PID/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$PSTN_PID/status"; }
fds() { ls "/proc/$PSTN_PID/fd" | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$PSTN_PID/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# one round: ~1000 messages of the mix, then one of hostile sizes
round() {   # round N_PER_CONN: prints the milterload result lines
	ml -s "$PSTN_SOCK" -m "$M" -c 16 -n "$1" -k 5 -e -q 2>&1 | grep -v '^milterload: .*no header fields'
	ml -s "$PSTN_SOCK" -m "$M" -c 32 -n 2 -k 1 -e -q -X header=600000 2>&1 | grep -v '^milterload: .*no header fields'
	ml -s "$PSTN_SOCK" -m "$M" -c 32 -n 2 -k 1 -e -q -X helo=60000 -X from=60000 -X rcpt=60000 2>&1 |
		grep -v '^milterload: .*no header fields'
}
sent() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^messages=/) { sub("messages=", "", $i); s += $i } } END { print s + 0 }' "$1"; }
errors() { grep -c -v '^result:' "$1"; }

fd0=$(fds); rssf=$(rss_kb)
round 60 >"$TEST_TMPDIR/warm.out"
sleep 0.3
rss0=$(rss_kb); fdw=$(fds)
diag "after the warm-up ($(sent "$TEST_TMPDIR/warm.out") messages): RSS $(mib "$rss0") MiB, $fdw fds (at start $fd0), $(threads) threads"
t0=$(date +%s)
: >"$TEST_TMPDIR/soak.out"
while [ "$(sent "$TEST_TMPDIR/soak.out")" -lt "$COUNT" ]; do
	round 60 >>"$TEST_TMPDIR/soak.out"
	kill -0 "$PSTN_PID" 2>/dev/null || break
done
secs=$(($(date +%s) - t0))
total=$(sent "$TEST_TMPDIR/soak.out")
sleep 0.3
rss1=$(rss_kb); fd1=$(fds); hwm=$(hwm_kb)
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "postern served $total messages in $secs s and is still running"
is "$(errors "$TEST_TMPDIR/soak.out")" 0 "no protocol error in the load client"
[ "$(errors "$TEST_TMPDIR/soak.out")" = 0 ] || grep -v '^result:' "$TEST_TMPDIR/soak.out" | head -n 5 | while read -r l; do diag "$l"; done
growth=$((rss1 - rss0))
diag "RSS $(mib "$rss0") -> $(mib "$rss1") MiB (growth $growth KiB, peak $(mib "$hwm") MiB); fds $fdw -> $fd1; $(threads) threads"
is "$fd1" "$fdw" "open file descriptors back to $fdw"
if [ -n "${ASAN_OPTIONS:-}" ]; then
	skip "RSS growth is not measured under the sanitizers ($growth KiB)"
	skip "RSS over the fresh daemon is not measured under the sanitizers"
else
	[ "$growth" -le "$MAX_GROWTH_KB" ]
	ok $? "RSS growth over the soak $growth KiB <= $MAX_GROWTH_KB KiB"
	[ $((rss1 - rssf)) -le "$MAX_TOTAL_KB" ]
	ok $? "RSS at the end $((rss1 - rssf)) KiB over the fresh daemon's $(mib "$rssf") MiB <= $MAX_TOTAL_KB KiB"
fi
grep -q 'ERROR\|\[crit\]\|\[alert\]' "$PSTN_LOG"
[ $? -ne 0 ]; ok $? "no error logged by the daemon"
tap_done
