#!/bin/bash
# classifier-cost.sh - the classifier's cost in the daemon: the same
# messages through postern (milterload, 1 connection) without a store,
# with a trained LMDB store and with the same counts in Redis; prints the
# daemon's CPU ms per message (utime + stime from /proc) for each.
#
#   contrib/bench/classifier-cost.sh MSGDIR TRAIN-SPAM-DIR TRAIN-HAM-DIR [N]
#
# MSGDIR holds *.eml files (no mbox From_ line); N messages per run
# (default 1000).  Uses the test helpers (a loopback DNS fixture, a
# redis-server on a port it picks); leaves nothing running.
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
msgs=$1 tspam=$2 tham=$3 n=${4:-1000}
ML=$build/contrib/bench/milterload LEARN=$build/postern-learn
tmpdir_make
cp -r "$here/policies" "$TEST_TMPDIR/policies"
chmod -R u+w "$TEST_TMPDIR/policies"
dns_start "$here/tests/data/foundation.zone" >/dev/null || bail_out "DNS fixture did not start"
cpu_ms() { awk '{ print $14 + $15 }' "/proc/$PSTN_PID/stat"; }
run() {   # run LABEL EXTRA-CONFIG
	postern_start "$TEST_TMPDIR/policies" "$2" >/dev/null || bail_out "postern did not start"
	"$ML" -q -s "$PSTN_SOCK" -m "$msgs" -c 1 -n 20 >/dev/null   # warm up: store opened, pages in
	local t0 t1 hz
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ms)
	"$ML" -q -s "$PSTN_SOCK" -m "$msgs" -c 1 -n "$n" >"$TEST_TMPDIR/$1.res" || bail_out "milterload failed"
	t1=$(cpu_ms)
	printf '| %s | %s | %.2f |\n' "$1" "$n" "$(echo "($t1 - $t0) * 1000 / $hz / $n" | bc -l)"
	grep -c 'bayes=' "$PSTN_LOG" >"$TEST_TMPDIR/$1.nb"
	postern_stop
}
"$LEARN" -c /dev/null --store "lmdb:$TEST_TMPDIR/state.mdb" --spam -q "$tspam" >/dev/null
"$LEARN" -c /dev/null --store "lmdb:$TEST_TMPDIR/state.mdb" --ham -q "$tham" >/dev/null
rport=$(free_port tcp)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$TEST_TMPDIR" \
	--daemonize no >"$TEST_TMPDIR/redis.log" 2>&1 &
rpid=$!
on_exit "kill $rpid 2>/dev/null; wait $rpid 2>/dev/null"
sleep 0.5
"$LEARN" -c /dev/null --store "redis:127.0.0.1:$rport" --spam -q "$tspam" >/dev/null
"$LEARN" -c /dev/null --store "redis:127.0.0.1:$rport" --ham -q "$tham" >/dev/null
echo "| store | messages | postern CPU ms/msg |"
echo "|---|---:|---:|"
run "none (no classifier)" ""
run "LMDB" "store = { url = \"lmdb:$TEST_TMPDIR/state.mdb\"; };"
run "Redis" "store = { url = \"redis:127.0.0.1:$rport\"; };"
