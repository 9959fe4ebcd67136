#!/usr/bin/env bash
# cpumb.sh - the real CPU a message costs, per message and per MB of body,
# for postern's inbound pipeline and OpenDKIM verifying (the messages of
# icount.sh, signed by OpenDKIM), against the SHA-256 the DKIM body hash
# must do (`openssl speed -evp sha256` at 16 KB blocks, one core).  Unlike
# icount.sh the daemons run natively (SHA extensions in use), so this is the
# issue-15 measure "CPU per MB within 2x of the SHA-256 it must do"; the
# CPU is the daemon's user + system time from /proc over N messages on one
# milter connection (milterload -c 1), after 3 warm-up messages.  CPU time
# moves less with the machine's load than msg/s, not at all like
# instruction counts.  Prints a markdown table on stdout.
#
#     contrib/bench/cpumb.sh [SIZE...]       (default: large)
#
# Environment: CPUMB_N="large=N" (messages per row, default large=100,
# medium=1000, small=2000), CPUMB_PERF=FILE also records postern's large
# (or last) run with `perf record -e cpu-clock -g` into FILE and prints the
# top symbols (perf report --no-children) on stderr.  Needs root (DNS on
# port 53), opendkim, unbound, openssl; perf for CPUMB_PERF.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
top_srcdir=${top_srcdir:-$here}
top_builddir=${top_builddir:-$here}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dns.sh"

ML=$top_builddir/contrib/bench/milterload
POSTERN=${POSTERN:-$top_builddir/postern}
GENMSG=$top_srcdir/contrib/bench/genmsg
SIZES=${*:-large}
declare -A N=([small]=2000 [medium]=1000 [large]=100)
for kv in ${CPUMB_N:-}; do N[${kv%%=*}]=${kv#*=}; done
TOOL=cpumb
NEED="opendkim openssl"
. "$top_srcdir/contrib/bench/setup.sh"

IN_OPTS=(-a 192.0.2.10 -N mail.example.org -H mail.example.org -t 600)
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$DPID/stat"; }
# context switches of every thread of the daemon (voluntary + not)
ctx_sw() { cat /proc/"$DPID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'; }
declare -A R
# measure KEY SIZE SOCK -- CMD...: R[KEY,SIZE] = CPU ms per message
measure() {
	local key=$1 s=$2 sock=$3 n=${N[$2]} t0 t1 out perf=''; shift 4
	start "$key-$s" "$sock" -- "$@"
	"$ML" -q -s "unix:$sock" -m "$W/signed-$s" -c 1 -n 3 "${IN_OPTS[@]}" >/dev/null ||
		die "milterload $key $s (warm-up)"
	if [ -n "${CPUMB_PERF:-}" ] && [ "$key" = pn ] && [ "$s" = "${SIZES##* }" ]; then
		perf record -q -e cpu-clock -F 2000 -g -p "$DPID" -o "$CPUMB_PERF" 2>/dev/null &
		perf=$!
		sleep 0.5
	fi
	t0=$(cpu_ticks) c0=$(ctx_sw)
	out=$("$ML" -q -s "unix:$sock" -m "$W/signed-$s" -c 1 -n "$n" "${IN_OPTS[@]}" -C dkim=pass) ||
		die "milterload $key $s"
	t1=$(cpu_ticks) c1=$(ctx_sw)
	R[$key,$s,cs]=$(((c1 - c0) / n))
	[ -n "$perf" ] && { kill -INT "$perf"; wait "$perf"; }
	daemon_stop
	[[ $out =~ text1=$n ]] || die "$key $s: not every message had dkim=pass ($out)"
	R[$key,$s]=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.3f", d * 1000 / hz / n }')
	say "$key $s: $n messages, $((t1 - t0)) ticks: ${R[$key,$s]} ms/msg, ${R[$key,$s,cs]} context switches/msg"
}
opendkim_conf v "$W/od-v.conf"
for s in $SIZES; do
	measure od "$s" "$W/od.sock" -- opendkim -f -x "$W/od-v.conf"
	measure pn "$s" "$W/pn.sock" -- "$POSTERN" -f -c "$W/pn-in.conf"
done
# SHA-256 on this CPU: bytes per second at 16 KB blocks (openssl speed's last column)
sha=$(openssl speed -evp sha256 -bytes 16384 -seconds 2 2>/dev/null |
	awk '/^sha256/ { v = $NF; sub(/k$/, "", v); print v * 1000 }')
[ -n "$sha" ] || die "openssl speed gave no figure"

ver=$(dpkg-query -W -f '${Version}' opendkim 2>/dev/null || echo '?')
tree=$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo "?")
echo "#### real CPU per message and per MB, postern $tree vs OpenDKIM $ver ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "Command: \`contrib/bench/cpumb.sh $SIZES\`; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); SHA-256 (openssl speed -evp sha256, 16 KB blocks): $(awk -v b="$sha" 'BEGIN { printf "%.2f GB/s = %.3f ms/MB", b / 1e9, 1e3 * 1048576 / b }')."
echo
echo "| size | body bytes | messages | OpenDKIM ms/msg | postern ms/msg | OpenDKIM ms/MB | postern ms/MB | SHA-256 ms/MB | postern / SHA-256 | context switches/msg OpenDKIM / postern |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for s in $SIZES; do
	f=$(ls "$W/signed-$s"/* | head -n 1)
	bytes=$(awk 'body { n += length($0) + 1 } /^\r?$/ && !body { body = 1 } END { print n }' "$f")
	awk -v s="$s" -v b="$bytes" -v n="${N[$s]}" -v od="${R[od,$s]}" -v pn="${R[pn,$s]}" -v sha="$sha" \
	    -v cso="${R[od,$s,cs]}" -v csp="${R[pn,$s,cs]}" 'BEGIN {
		mb = b / 1048576; shams = 1e3 * 1048576 / sha
		printf "| %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %d / %d |\n", s, b, n, od, pn, od / mb, pn / mb, shams, (pn / mb) / shams, cso, csp }'
done
if [ -n "${CPUMB_PERF:-}" ] && [ -s "$CPUMB_PERF" ]; then
	perf report -i "$CPUMB_PERF" --no-children --stdio --sort dso,symbol 2>/dev/null |
		grep -E '^ +[0-9]' | head -n 30 >&2
fi
