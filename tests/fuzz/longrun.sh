#!/bin/sh
# longrun.sh - the long fuzz runs of docs/RELIABILITY.md: each libFuzzer
# target (make fuzz) in turn, one at a time under nice, on a copy of its
# corpus, until RUNS executions or MAXTIME seconds; one summary line per
# target in $OUT/summary.tsv (target, seconds, executions, corpus start,
# corpus end, exit status, finding).  A crash stops that target only: its
# input is in $OUT/NAME/ (crash-*, leak-*, timeout-*, oom-*).
#   make fuzz && tests/fuzz/longrun.sh                 every target but message
#   PROBE=10 tests/fuzz/longrun.sh                     fastest first (10 s probe each)
#   MAXTIME=60 tests/fuzz/longrun.sh addr cidr         a quick pass over two
# Not part of make check: it takes up to 30 minutes a target.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
OUT=${OUT:-/tmp/postern-fuzz}
RUNS=${RUNS:-10000000}
MAXTIME=${MAXTIME:-1800}
PROBE=${PROBE:-0}
export LSAN_OPTIONS="suppressions=$here/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

names=$*
if [ -z "$names" ]; then
	for f in "$here"/tests/fuzz/fuzz_*.c; do
		n=${f##*/fuzz_}
		n=${n%.c}
		[ "$n" = message ] || names="$names $n"
	done
fi
mkdir -p "$OUT" || exit 1

# run NAME DIR SECS RUNS: one libFuzzer run on DIR; prints "secs execs"
run() {
	start=$(date +%s)
	nice -n 19 "$build/tests/fuzz/lf_$1" -runs="$4" -max_total_time="$3" \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$2/../" \
		"$2" >"$2/../log" 2>&1
	st=$?
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$2/../log" | tail -1)
	echo "$((end - start)) ${execs:-0} $st"
}

if [ "$PROBE" -gt 0 ]; then
	order=
	for n in $names; do
		d=$OUT/probe/$n/corpus
		rm -rf "$OUT/probe/$n"
		mkdir -p "$d" && cp -r "$here/tests/fuzz/corpus/$n/." "$d/"
		set -- $(run "$n" "$d" "$PROBE" "$RUNS")
		order="$order$(( $2 / ($1 > 0 ? $1 : 1) )) $n
"
	done
	names=$(printf '%s' "$order" | sort -rn | awk '{ print $2 }')
	printf '%s' "$order" | sort -rn >"$OUT/probe.txt"
fi

for n in $names; do
	d=$OUT/$n/corpus
	rm -rf "$OUT/$n"
	mkdir -p "$d" && cp -r "$here/tests/fuzz/corpus/$n/." "$d/"
	c0=$(ls "$d" | wc -l)
	echo "$(date -u +%H:%M:%S) start $n" >>"$OUT/progress"
	set -- $(run "$n" "$d" "$MAXTIME" "$RUNS")
	c1=$(ls "$d" | wc -l)
	finding=$(cd "$OUT/$n" && ls -d crash-* leak-* timeout-* oom-* slow-unit-* 2>/dev/null | tr '\n' ' ')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$1" "$2" "$c0" "$c1" "$3" \
		"${finding:-none}" >>"$OUT/summary.tsv"
	echo "$(date -u +%H:%M:%S) end $n $*" >>"$OUT/progress"
done
