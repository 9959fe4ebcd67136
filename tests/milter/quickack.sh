#!/bin/bash
# quickack.sh - socket_quickack through the running daemon on an inet
# socket: on (the default) the start-up log says so and every message
# makes postern set TCP_QUICKACK after libmilter's reads (counted by
# postern_tcp_quickacks_total on the metrics endpoint: at least one per
# milter command of the 20 messages sent); off, the counter stays 0 and the
# log says nothing of it.  The effect on Postfix over inet is measured in
# docs/PERFORMANCE.md; the gate (libmilter 1.0.1 only) is test_interpose's.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"

ML=$build/contrib/bench/milterload
[ -x "$ML" ] || bail_out "$ML not built (make)"
ml() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" "$@"; }
tmpdir_make
T=$TEST_TMPDIR
"$here/contrib/bench/genmsg" small "$T/msgs" 1 || bail_out "genmsg failed"
mkdir "$T/policies" && : >"$T/policies/default.conf"
postern_metrics_require
count() { postern_metric "$MPORT" postern_tcp_quickacks_total; }

for q in true false; do
	MPORT=$(free_port tcp)
	postern_start "$T/policies" "socket_quickack = $q;
metrics = { listen = \"inet:$MPORT@127.0.0.1\"; };" || bail_out "postern did not start"
	out=$(ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 20 -a 192.0.2.10 2>&1)
	like "$out" 'messages=20 ' "socket_quickack $q: 20 messages over inet"
	n=$(count)
	if [ $q = true ]; then
		[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 200 ]
		ok $? "on: TCP_QUICKACK set after the reads ($n times for 20 messages)"
		grep -q 'inet socket: TCP_QUICKACK after each read (libmilter 1\.0\.1)' "$PSTN_LOG"
		ok $? "on: the start-up log says so"
	else
		is "$n" 0 "off: never set"
		grep -q 'TCP_QUICKACK' "$PSTN_LOG"
		ok $((!$?)) "off: the log says nothing of it"
	fi
	postern_stop
done
tap_done
