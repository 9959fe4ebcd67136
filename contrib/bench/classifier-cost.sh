#!/bin/bash
# classifier-cost.sh - what the classifier costs in the daemon: the same
# messages through postern's inbound pipeline (milterload, 1 connection,
# client 192.0.2.10) without a store, with a trained LMDB store and with
# the same training in a real redis-server; prints one markdown table on
# stdout (progress on stderr).
#
#   contrib/bench/classifier-cost.sh TRAIN-SPAM-DIR TRAIN-HAM-DIR MSGDIR...
#
# The store is trained with postern-learn on the two training directories
# (LMDB file and Redis alike).  The measured messages are the first
# COST_PER_DIR files (sorted) of each MSGDIR, copied to *.eml files without
# an mbox From_ line; milterload cycles through them.
#
# CPU rows: the daemon's own CPU (utime + stime of /proc/PID/stat, clock
# ticks) over COST_N messages after 20 warm-up messages, divided by
# COST_N; every setup runs COST_ROUNDS times, interleaved (none, LMDB,
# Redis, none, ...), a fresh daemon each time, and the table gives the
# median and the range.  On a shared machine this is the daemon's CPU, not
# wall time, so other jobs slow it only through caches and frequency.  For
# Redis the redis-server's CPU over the same run is given apart.  The
# summary lines (log_level info) show how many messages the classifier
# scored (bayes=P...), so a row that did not classify cannot pass unseen.
#
# Instruction rows (COST_ICOUNT > 0 and valgrind installed): each setup once
# under callgrind: 2 warm-up messages, counters zeroed, COST_ICOUNT
# messages; per message = libmilter's connection loop (mi_engine: every
# callback, read and write) + the DNS dispatcher thread, as in icount.sh;
# classifier = check_bayes's callbacks + the tokenizer's MIME callbacks
# (tokens, the store read, combining).  Kernel time (the Redis round trip's
# system calls) is not counted by callgrind.
#
# Environment: top_builddir (default: the source tree), COST_N (default
# 1000), COST_PER_DIR (100), COST_ROUNDS (3), COST_ICOUNT (50; 0: no
# callgrind rows).  Needs unbound (tests/lib/dns.sh), redis-server,
# redis-cli; valgrind for the instruction rows.  Leaves nothing running.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
top_srcdir=${top_srcdir:-$here}
top_builddir=${top_builddir:-$here}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dns.sh"
. "$top_srcdir/contrib/bench/callgrind.sh"

N=${COST_N:-1000} PER=${COST_PER_DIR:-100} ROUNDS=${COST_ROUNDS:-3} NI=${COST_ICOUNT:-50}
ML=$top_builddir/contrib/bench/milterload LEARN=$top_builddir/postern-learn
POSTERN=${POSTERN:-$top_builddir/postern}
say() { echo "classifier-cost: $*" >&2; }
die() { echo "classifier-cost: FAILED: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: $0 TRAIN-SPAM-DIR TRAIN-HAM-DIR MSGDIR..."
for b in "$ML" "$LEARN" "$POSTERN"; do [ -x "$b" ] || die "$b not built (make)"; done
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || die "redis-server/redis-cli not installed"
if [ "$NI" -gt 0 ] && ! command -v valgrind >/dev/null; then
	say "no valgrind: no instruction rows"; NI=0
fi
tspam=$1 tham=$2; shift 2

tmpdir_make
W=$TEST_TMPDIR
mkdir "$W/msgs"
i=0
for d in "$@"; do
	for f in $(ls "$d" | sort | head -n "$PER"); do
		sed '1{/^From /d}' "$d/$f" >"$W/msgs/$(printf %05d $i).eml"
		i=$((i + 1))
	done
done
[ "$i" -gt 0 ] || die "no messages in $*"
say "$i messages in $W/msgs"

cp -r "$top_srcdir/policies" "$W/policies" && chmod -R u+w "$W/policies"
dns_start "$top_srcdir/tests/data/foundation.zone" >/dev/null || die "DNS fixture did not start"

# ---- the stores --------------------------------------------------------------
"$LEARN" -c /dev/null --store "lmdb:$W/state.mdb" --spam -q "$tspam" >/dev/null &&
	"$LEARN" -c /dev/null --store "lmdb:$W/state.mdb" --ham -q "$tham" >/dev/null || die "training LMDB"
rport=$(free_port tcp)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$W" \
	--daemonize no >"$W/redis.log" 2>&1 &
rpid=$!
on_exit "kill $rpid 2>/dev/null; wait $rpid 2>/dev/null"
for _ in $(seq 1 50); do
	[ "$(redis-cli -p "$rport" ping 2>/dev/null)" = PONG ] && break
	sleep 0.1
done
[ "$(redis-cli -p "$rport" ping 2>/dev/null)" = PONG ] || die "redis-server did not start"
"$LEARN" -c /dev/null --store "redis:127.0.0.1:$rport" --spam -q "$tspam" >/dev/null &&
	"$LEARN" -c /dev/null --store "redis:127.0.0.1:$rport" --ham -q "$tham" >/dev/null || die "training Redis"
nspam=$(ls "$tspam" | wc -l) nham=$(ls "$tham" | wc -l)

declare -A STORE=([none]="" [lmdb]="store = { url = \"lmdb:$W/state.mdb\"; };"
	[redis]="store = { url = \"redis:127.0.0.1:$rport\"; };")
declare -A NAME=([none]="no store (no classifier)" [lmdb]="LMDB" [redis]="Redis")
SETUPS="none lmdb redis"

# ---- the daemon ----------------------------------------------------------------
DPID=''
daemon_stop() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=''
}
on_exit daemon_stop
# daemon_start SETUP [valgrind CALLGRIND-OUT]
daemon_start() {
	cat >"$W/$1.conf" <<EOF
socket = "unix:$W/pn.sock";
authserv_id = "mx.test.example";
internal_hosts = [ "10.0.0.0/8" ];
policy_dir = "$W/policies";
log_level = "info";
dns = { nameservers = [ "${DNS_ADDR:-127.0.0.1}@$DNS_PORT" ]; timeout = 1500; };
${STORE[$1]}
EOF
	rm -f "$W/pn.sock"
	if [ "${2:-}" = valgrind ]; then
		valgrind --tool=callgrind --callgrind-out-file="$3" -q "$POSTERN" -f -c "$W/$1.conf" >"$W/pn.log" 2>&1 &
	else
		"$POSTERN" -f -c "$W/$1.conf" >"$W/pn.log" 2>&1 &
	fi
	DPID=$!
	for _ in $(seq 1 600); do
		[ -S "$W/pn.sock" ] && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$W/pn.log" >&2
	die "postern ($1) did not start"
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ML_OPTS=(-q -s "unix:$W/pn.sock" -m "$W/msgs" -c 1 -t 600)
# scored SETUP: the summary lines of the last run with a classifier probability
scored() { grep -c ' bayes=[0-9]' "$W/pn.log"; }

declare -A MS RMS SC
hz=$(getconf CLK_TCK)
for r in $(seq 1 "$ROUNDS"); do
	for s in $SETUPS; do
		daemon_start "$s"
		"$ML" "${ML_OPTS[@]}" -n 20 >/dev/null || die "milterload $s (warm-up)"
		: >"$W/pn.log"
		t0=$(ticks "$DPID") r0=$(ticks "$rpid")
		out=$("$ML" "${ML_OPTS[@]}" -n "$N") || die "milterload $s"
		t1=$(ticks "$DPID") r1=$(ticks "$rpid")
		sleep 0.2
		SC[$s]=$(scored)
		daemon_stop
		ms=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v n="$N" 'BEGIN { printf "%.3f", (b - a) * 1000 / hz / n }')
		MS[$s]="${MS[$s]:-} $ms"
		rms=$(awk -v a="$r0" -v b="$r1" -v hz="$hz" -v n="$N" 'BEGIN { printf "%.3f", (b - a) * 1000 / hz / n }')
		RMS[$s]="${RMS[$s]:-} $rms"
		say "round $r $s: $ms ms/msg (redis-server $rms), ${SC[$s]} of $N scored; ${out##*result: }"
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep . | sort -n | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.2f-%.2f", a, b }'; }

tree=$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo "?")
echo "#### the classifier's cost in postern's inbound pipeline, postern $tree ($(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "Trained on $nspam spam + $nham ham (postern-learn); measured: $i messages cycled, 1 milter connection, client 192.0.2.10, the shipped policies."
echo
echo "| store | messages x rounds | postern CPU ms/msg, median (range) | classifier's share | redis-server CPU ms/msg | scored by the classifier |"
echo "|---|---:|---:|---:|---:|---:|"
base=$(echo "${MS[none]}" | median)
for s in $SETUPS; do
	m=$(echo "${MS[$s]}" | median)
	share=-
	[ "$s" != none ] && share=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.0f %%", (a - b) * 100 / a }')
	red=-
	[ "$s" = redis ] && red=$(echo "${RMS[$s]}" | median)
	echo "| ${NAME[$s]} | $N x $ROUNDS | $m ($(echo "${MS[$s]}" | range)) | $share | $red | ${SC[$s]} / $N |"
done

[ "$NI" -gt 0 ] || exit 0
declare -A IT IC
for s in $SETUPS; do
	say "$s: $NI messages under callgrind"
	cg=$W/callgrind.$s
	daemon_start "$s" valgrind "$cg"
	"$ML" "${ML_OPTS[@]}" -n 2 >/dev/null || die "milterload $s (callgrind warm-up)"
	sleep 1
	callgrind_control -z "$DPID" >/dev/null || die "callgrind_control -z $DPID"
	: >"$W/pn.log"
	"$ML" "${ML_OPTS[@]}" -n "$NI" >/dev/null || die "milterload $s (callgrind)"
	sleep 0.5
	SC[$s]=$(scored)
	daemon_stop
	[ -s "$cg" ] || die "$s: no callgrind output"
	IT[$s]=$(inclusive "$cg" mi_engine dns.c:dispatch)
	IC[$s]=$(inclusive "$cg" check_bayes.c:bayes_header check_bayes.c:bayes_eoh check_bayes.c:bayes_body \
		check_bayes.c:bayes_eom classify.c:classify_on_part classify.c:classify_on_text)
	say "$s: total ${IT[$s]} classifier ${IC[$s]} over $NI messages, ${SC[$s]} scored"
done
echo
echo "Instructions (callgrind, user space), the first $NI of the messages above after 2 warm-up messages:"
echo
echo "| store | messages | instructions per message (thousands) | of which the classifier | share | scored |"
echo "|---|---:|---:|---:|---:|---:|"
for s in $SETUPS; do
	awk -v t="${IT[$s]}" -v c="${IC[$s]}" -v n="$NI" -v name="${NAME[$s]}" -v sc="${SC[$s]}" 'BEGIN {
		printf "| %s | %d | %.0f | %.0f | %.0f %% | %s / %d |\n", name, n, t / n / 1000, c / n / 1000, t ? c * 100 / t : 0, sc, n }'
done
