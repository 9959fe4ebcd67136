#!/usr/bin/env bash
# icount.sh - a deterministic cost measure for the milters: instructions per
# message, counted by valgrind's callgrind, for postern's inbound pipeline
# and OpenDKIM verifying, at the small, medium and large sizes of
# contrib/bench/genmsg (the messages signed by OpenDKIM, RSA-2048,
# relaxed/relaxed, as in run.sh).  Unlike msg/s and CPU ticks these counts
# do not depend on the load of the machine: a change's effect shows in one
# run.  Prints one markdown table on stdout; progress on stderr.
#
#     contrib/bench/icount.sh [SIZE...]      (default: small medium large)
#
# Each row is one daemon started under callgrind, two warm-up messages (key
# and DNS caches, lazy initialisation), the counters zeroed
# (callgrind_control -z), then one milter connection (milterload -c 1)
# carrying N messages, the daemon stopped; the counts are callgrind's
# inclusive counts divided by N:
#   per message = mi_engine (libmilter's per-connection loop: every callback,
#                 every read and write of the session, connection set-up
#                 amortised over N) + postern's DNS dispatcher thread
#   phases      = postern: pl_connect+pl_helo+pl_envfrom+pl_envrcpt, pl_header,
#                 pl_eoh, pl_body, pl_eom (filter/core/pipeline.c);
#                 OpenDKIM: libopendkim's dkim_header, dkim_eoh, dkim_body,
#                 dkim_eom (OpenDKIM's own callbacks have no symbols)
#   libmilter   = mi_rd_cmd + mi_wr_cmd (reading commands, writing replies)
# Instructions executed inside the kernel are not counted (callgrind counts
# user space only).  Under valgrind OpenSSL sees no SHA extensions, so SHA-256
# costs more instructions here than on the real CPU (see PERFORMANCE.md).
#
# Environment: top_builddir (default: the source tree), POSTERN (the daemon,
# default $top_builddir/postern), ICOUNT_N="small=N medium=N large=N"
# (messages per row; default 40 / 10 / 3), ICOUNT_KEEP=1 keeps the work
# directory and the callgrind.out files.  Needs root (DNS on port 53),
# opendkim, unbound, openssl, valgrind.
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
SIZES=${*:-small medium large}
WARM=2
declare -A N=([small]=40 [medium]=10 [large]=3)
for kv in ${ICOUNT_N:-}; do N[${kv%%=*}]=${kv#*=}; done
[ -n "${ICOUNT_KEEP:-}" ] && KEEP_TMPDIR=1

TOOL=icount
NEED="opendkim valgrind callgrind_annotate openssl"
. "$top_srcdir/contrib/bench/setup.sh"

IN_OPTS=(-a 192.0.2.10 -N mail.example.org -H mail.example.org -t 600)
. "$top_srcdir/contrib/bench/callgrind.sh"   # inclusive FILE FUNCTION...
declare -A R
# measure KEY SIZE SOCK CHECK START-ARGS...
measure() {
	local key=$1 s=$2 sock=$3 check=$4 n=${N[$2]} out; shift 4
	local cg=$W/callgrind.$key.$s
	say "$key $s: $n messages under callgrind"
	start "$key-$s" "$sock" valgrind "$cg" -- "$@"
	# warm up (key and DNS caches, lazy initialisation, first-use costs),
	# then zero the counters: the counts are those of the N messages only
	"$ML" -q -s "unix:$sock" -m "$W/signed-$s" -c 1 -n "$WARM" "${IN_OPTS[@]}" >/dev/null ||
		die "milterload $key $s (warm-up)"
	sleep 1
	callgrind_control -z "$DPID" >/dev/null || die "callgrind_control -z $DPID"
	out=$("$ML" -q -s "unix:$sock" -m "$W/signed-$s" -c 1 -n "$n" "${IN_OPTS[@]}" -C dkim=pass) ||
		die "milterload $key $s"
	daemon_stop
	say "$key $s: $out"
	[[ $out =~ text1=$n ]] || die "$key $s: not every message had dkim=pass ($out)"
	[[ $out =~ $check ]] || die "$key $s: result does not match /$check/"
	[ -s "$cg" ] || die "$key $s: no callgrind output"
	R[$key,$s,n]=$n
	R[$key,$s,total]=$(inclusive "$cg" mi_engine dns.c:dispatch)
	R[$key,$s,io]=$(inclusive "$cg" mi_rd_cmd mi_wr_cmd)
	if [ "$key" = pn ]; then
		R[$key,$s,env]=$(inclusive "$cg" pl_connect pl_helo pl_envfrom pl_envrcpt)
		R[$key,$s,hdr]=$(inclusive "$cg" pl_header)
		R[$key,$s,eoh]=$(inclusive "$cg" pl_eoh)
		R[$key,$s,body]=$(inclusive "$cg" pl_body)
		R[$key,$s,eom]=$(inclusive "$cg" pl_eom)
	else
		R[$key,$s,env]=''
		R[$key,$s,hdr]=$(inclusive "$cg" dkim_header)
		R[$key,$s,eoh]=$(inclusive "$cg" dkim_eoh)
		R[$key,$s,body]=$(inclusive "$cg" dkim_body)
		R[$key,$s,eom]=$(inclusive "$cg" dkim_eom)
	fi
	say "$key $s: raw inclusive counts over $n messages: total=${R[$key,$s,total]} env=${R[$key,$s,env]} headers=${R[$key,$s,hdr]} eoh=${R[$key,$s,eoh]} body=${R[$key,$s,body]} eom=${R[$key,$s,eom]} io=${R[$key,$s,io]}"
}
opendkim_conf v "$W/od-v.conf"
for s in $SIZES; do
	measure od "$s" "$W/od.sock" 'text1=' opendkim -f -x "$W/od-v.conf"
	measure pn "$s" "$W/pn.sock" 'Authentication-Results=' "$POSTERN" -f -c "$W/pn-in.conf"
done

# ---- the table ------------------------------------------------------------------
per() {   # per KEY SIZE FIELD: thousands of instructions per message
	local v=${R[$1,$2,$3]:-}
	[ -n "$v" ] || { echo "-"; return; }
	awk -v v="$v" -v n="${R[$1,$2,n]}" 'BEGIN {
		x = sprintf("%.0f", v / n / 1000)
		while (x ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", x)
		print x }'
}
ver=$(dpkg-query -W -f '${Version}' opendkim 2>/dev/null || echo '?')
tree=$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo "?")
echo "#### instructions per message (callgrind, thousands), postern $tree vs OpenDKIM $ver ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "Command: \`contrib/bench/icount.sh $SIZES\`; 2 warm-up messages, counters zeroed, then one milter connection per row; messages signed by OpenDKIM (RSA-2048, relaxed/relaxed), client 192.0.2.10; postern: its full inbound pipeline."
echo
echo "| milter | size | messages | per message | ratio postern/OpenDKIM | connect..rcpt | headers | eoh | body | eom | libmilter read+write |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for s in $SIZES; do
	for key in od pn; do
		name=$([ $key = od ] && echo "OpenDKIM verify" || echo "postern inbound")
		ratio=-
		[ $key = pn ] && ratio=$(awk -v a="${R[pn,$s,total]}" -v na="${R[pn,$s,n]}" \
			-v b="${R[od,$s,total]}" -v nb="${R[od,$s,n]}" 'BEGIN { printf "%.2f", (a / na) / (b / nb) }')
		echo "| $name | $s | ${R[$key,$s,n]} | $(per $key $s total) | $ratio | $(per $key $s env) | $(per $key $s hdr) | $(per $key $s eoh) | $(per $key $s body) | $(per $key $s eom) | $(per $key $s io) |"
	done
done
