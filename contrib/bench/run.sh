#!/bin/bash
# run.sh - postern and Debian's OpenDKIM side by side on this machine: same
# keys (RSA-2048, Ed25519, made here with openssl), same messages
# (contrib/bench/genmsg), same loopback DNS (tests/lib/dns.sh), same load
# client (contrib/bench/milterload), both milters on unix sockets.  Prints
# one table (markdown) on stdout; progress goes to stderr.
#
#     contrib/bench/run.sh [-q]        (-q: a quick run with 1/10 of the load)
#
# Environment: top_builddir (default: the source tree), POSTERN (the daemon
# to measure, default $top_builddir/postern), BENCH_KEEP=1 keeps
# the work directory, BENCH_SCALE=N multiplies the message counts,
# BENCH_PF_ONLY=1 runs only the Postfix rows, BENCH_PF_MSG=FILE sends FILE
# through Postfix instead of the small message.
# Needs root (Postfix), opendkim, postfix (smtp-source), unbound, openssl.
# A postern that cannot sign yet (no dkim.keys, or no DKIM-Signature comes
# back) gets "n/a" in the signing rows; likewise the verify row without a
# dkim=pass in its Authentication-Results.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
top_srcdir=${top_srcdir:-$here}
top_builddir=${top_builddir:-$here}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dns.sh"
. "$top_srcdir/tests/lib/postfix.sh"

ML=$top_builddir/contrib/bench/milterload
POSTERN=${POSTERN:-$top_builddir/postern}
GENMSG=$top_srcdir/contrib/bench/genmsg
SCALE=${BENCH_SCALE:-1}
DIV=1
[ "${1:-}" = -q ] && DIV=10
[ -n "${BENCH_KEEP:-}" ] && KEEP_TMPDIR=1

say() { echo "bench: $*" >&2; }
die() { echo "bench: FAILED: $*" >&2; exit 1; }

for b in "$ML" "$POSTERN"; do [ -x "$b" ] || die "$b not built (make)"; done
command -v opendkim >/dev/null || die "opendkim not installed (apt-get install opendkim)"
command -v smtp-source >/dev/null || die "smtp-source not found (postfix)"

tmpdir_make
W=$TEST_TMPDIR
T0=$(date +%s)
LOADS=()
sample_load() { LOADS+=("$(cut -d' ' -f1 /proc/loadavg)"); }
sample_load

# ---- messages, keys, DNS ----------------------------------------------------
say "messages and keys in $W"
"$GENMSG" small "$W/small" 8 && "$GENMSG" medium "$W/medium" 4 &&
	"$GENMSG" large "$W/large" 2 && "$GENMSG" huge "$W/huge" 1 || die "genmsg"
mkdir -p "$W/keys" && chmod 700 "$W/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/keys/rsa.pem" 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out "$W/keys/ed.pem" || die "openssl genpkey"
chmod 600 "$W"/keys/*.pem
rsa_p=$(openssl pkey -in "$W/keys/rsa.pem" -pubout -outform DER | base64 -w0)
ed_p=$(openssl pkey -in "$W/keys/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
rsa_txt="v=DKIM1; k=rsa; p=$rsa_p"
cat >"$W/dns.data" <<EOF
rsa._domainkey.example.org. 300 TXT "${rsa_txt:0:250}" "${rsa_txt:250}"
ed._domainkey.example.org. 300 TXT "v=DKIM1; k=ed25519; p=$ed_p"
example.org. 300 TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.0/8 -all"
_dmarc.example.org. 300 TXT "v=DMARC1; p=none"
ZONE bl.bench.example.
ZONE wl.bench.example.
10.2.0.192.wl.bench.example. 300 A 127.0.0.2
EOF
# The fixture of tests/lib/dns.sh, but on port 53 of a random loopback
# address: OpenDKIM's Nameservers takes no port, and its
# ResolverConfiguration (an unbound.conf to forward elsewhere) is parsed
# again for every message by libunbound's non-thread-safe parser, which
# crashes OpenDKIM at 8+ connections (seen with 2.11.0~beta2-8+deb12u1).
DNS_ADDR=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
DNS_DIR=$W/dns DNS_PORT=53
mkdir -p "$DNS_DIR" && _dns_write_conf "$W/dns.data" || die "DNS fixture config"
on_exit dns_stop
spawn DNS_PID "$DNS_DIR/stderr" "$_DNS_UNBOUND" -d -c "$DNS_DIR/unbound.conf"
_dns_wait_gen || die "DNS fixture on $DNS_ADDR:53 did not start"
[ "$(dns_query rsa._domainkey.example.org TXT | head -n 1)" = NOERROR ] || die "DNS fixture data"

# ---- daemons ------------------------------------------------------------------
DPID='' DREAPER=''
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
declare -A HWM

wait_sock() {   # wait_sock PATH or wait_sock :PORT
	local i
	for ((i = 0; i < 100; i++)); do
		case $1 in
		:*) (exec 3<>"/dev/tcp/127.0.0.1/${1#:}") 2>/dev/null && return 0;;
		*) [ -S "$1" ] && return 0;;
		esac
		kill -0 "$DREAPER" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# daemon_start NAME SOCKPATH CMD...: one daemon at a time
daemon_start() {
	local name=$1 sock=$2 exe; shift 2
	exe=$(basename "$1")
	case $sock in /*) rm -f "$sock";; esac
	spawn DREAPER "$W/$name.log" "$@"
	wait_sock "$sock" || { cat "$W/$name.log" >&2; die "$name did not start"; }
	DPID=$(pgrep -P "$DREAPER" -x "$exe" | head -n 1)
	DNAME=$name
}
daemon_stop() {
	[ -n "$DREAPER" ] || return 0
	local h
	h=$(hwm_kb "$DPID" 2>/dev/null || echo 0)
	local fam=${DNAME%%-*}
	[ "${HWM[$fam]:-0}" -lt "${h:-0}" ] && HWM[$fam]=$h
	reap_stop "$DREAPER"
	DREAPER='' DPID=''
}
on_exit daemon_stop

opendkim_start() {   # opendkim_start MODE [rsa|ed]
	local mode=$1 key=${2:-rsa} alg=rsa-sha256
	[ "$key" = ed ] && alg=ed25519-sha256
	cat >"$W/od-$mode-$key.conf" <<EOF
Syslog no
Socket local:$W/od.sock
PidFile $W/od.pid
Mode $mode
Domain example.org
Selector $key
KeyFile $W/keys/$key.pem
RequireSafeKeys false
Canonicalization relaxed/relaxed
SignatureAlgorithm $alg
InternalHosts 10.0.0.0/8, 127.0.0.1
AuthservID mx.test.example
Nameservers $DNS_ADDR
UMask 000
EOF
	daemon_start "opendkim-$mode-$key" "$W/od.sock" opendkim -f -x "$W/od-$mode-$key.conf"
}

# postern_conf FILE INTERNAL [KEYS]: config with the DNS fixture
postern_conf() {
	cat >"$1" <<EOF
socket = "${PN_SOCKET:-unix:$W/pn.sock}";
socket_mode = "0666";
authserv_id = "mx.test.example";
internal_hosts = [ $2 ];
policy_dir = "$W/policies";
log_level = "warning";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; };
EOF
	[ -n "${3:-}" ] && echo "dkim = { keys = [ $3 ]; };" >>"$1"
	return 0
}
cp -r "$top_srcdir/policies" "$W/policies"
chmod -R u+w "$W/policies"

postern_start_conf() {   # postern_start_conf NAME CONF [WAIT]
	daemon_start "postern-$1" "${3:-$W/pn.sock}" "$POSTERN" -f -c "$2"
}

# can postern sign with KEY?  (config accepted, then a DKIM-Signature back)
postern_can_sign() {
	local conf=$W/pn-sign-$1.conf out
	postern_conf "$conf" '"10.0.0.0/8"' "\"example.org:$1:$W/keys/$1.pem\""
	if ! "$POSTERN" -t -c "$conf" >"$W/pn-t-$1.log" 2>&1; then
		say "postern -t rejects dkim.keys ($(head -c 200 "$W/pn-t-$1.log" | tr '\n' ' ')): signing n/a"
		return 1
	fi
	postern_start_conf "sign-$1" "$conf"
	out=$("$ML" -q -s "unix:$W/pn.sock" -m "$W/small" -c 1 -n 2 -a 10.1.2.3) ||
		die "milterload against postern (sign $1)"
	daemon_stop
	[[ $out =~ (add|insert):DKIM-Signature=2 ]] && return 0
	say "postern added no DKIM-Signature ($out): signing n/a"
	return 1
}

# ---- measurements -----------------------------------------------------------
declare -A RATE P50 P99 CPU OUT
# measure KEY CONC PERCONN MSGDIR CHECK [milterload args]: against the daemon
# running now; CHECK is a regex the result line must match (else n/a or fail).
measure() {
	local key=$1 c=$2 n=$3 dir=$4 check=$5 out t0 t1 msgs; shift 5
	n=$(( (n * SCALE + DIV - 1) / DIV ))
	t0=$(cpu_ticks "$DPID")
	out=$("$ML" -q -s "$SOCK" -m "$dir" -c "$c" -n "$n" "$@") ||
		die "milterload $key c=$c: see above"
	t1=$(cpu_ticks "$DPID")
	sample_load
	msgs=$(sed -E 's/.*messages=([0-9]+).*/\1/' <<<"$out")
	say "$key c=$c: $out"
	if [ -n "$check" ] && ! [[ $out =~ $check ]]; then
		say "$key c=$c: result does not match /$check/"
		return 1
	fi
	OUT[$key,$c]=$out
	RATE[$key,$c]=$(sed -E 's/.*rate=([0-9.]+).*/\1/' <<<"$out")
	P50[$key,$c]=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$out")
	P99[$key,$c]=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$out")
	CPU[$key,$c]=$(awk -v t=$((t1 - t0)) -v m="$msgs" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.2f", t * 1000 / hz / m }')
}
CONCS="1 8 64"
declare -A PER=([1]=1000 [8]=300 [64]=40)
SIGN_OPTS=(-a 10.1.2.3)
IN_OPTS=(-a 192.0.2.10 -N mail.example.org -H mail.example.org)

# BENCH_PF_ONLY=1: only the Postfix rows (and the ceiling), e.g. to compare
# unix: and inet: milter sockets quickly
if [ -n "${BENCH_PF_ONLY:-}" ]; then
	declare -A RATE P50 P99 CPU OUT MEM_BASE MEM_HUGE MEM_256 HOSTILE
	PN_VERIFIES=no HOSTILE_CASES=''
	postern_conf "$W/pn-in.conf" '"10.0.0.0/8"'
else
SOCK=unix:$W/od.sock
# signing
for key in rsa ed; do
	say "OpenDKIM signing ($key)"
	opendkim_start s $key
	for c in $CONCS; do
		measure "od-sign-$key" "$c" "${PER[$c]}" "$W/small" 'DKIM-Signature=' "${SIGN_OPTS[@]}" ||
			die "OpenDKIM did not sign"
	done
	[ $key = rsa ] && { "$ML" -q -s "$SOCK" -m "$W/small" -c 1 -n 8 -a 10.1.2.3 -w "$W/signed" >/dev/null ||
		die "making signed messages"; }
	[ $key = rsa ] && for d in medium large huge; do
		"$ML" -q -s "$SOCK" -m "$W/$d" -c 1 -n "$(ls "$W/$d" | wc -l)" -a 10.1.2.3 -w "$W/signed-$d" >/dev/null ||
			die "making signed $d messages"
	done
	daemon_stop
done
say "OpenDKIM verifying"
opendkim_start v
for c in $CONCS; do
	measure od-verify "$c" "${PER[$c]}" "$W/signed" 'text1=[1-9]' "${IN_OPTS[@]}" -C dkim=pass ||
		die "OpenDKIM did not verify the signed messages (dkim=pass missing)"
done
measure od-verify-k1 8 "${PER[8]}" "$W/signed" 'text1=[1-9]' "${IN_OPTS[@]}" -C dkim=pass -k 1 ||
	die "OpenDKIM verify, one connection per message"
for d in medium large; do
	measure "od-verify-$d" 8 $([ $d = large ] && echo 5 || echo 40) "$W/signed-$d" 'text1=[1-9]' \
		"${IN_OPTS[@]}" -C dkim=pass || die "OpenDKIM $d verify"
done
daemon_stop

SOCK=unix:$W/pn.sock
for key in rsa ed; do
	if postern_can_sign $key; then
		say "postern signing ($key)"
		postern_start_conf "sign-$key" "$W/pn-sign-$key.conf"
		for c in $CONCS; do
			measure "pn-sign-$key" "$c" "${PER[$c]}" "$W/small" 'DKIM-Signature=' "${SIGN_OPTS[@]}" ||
				die "postern stopped signing"
		done
		daemon_stop
	fi
done
say "postern inbound pipeline"
postern_conf "$W/pn-in.conf" '"10.0.0.0/8"'
postern_start_conf in "$W/pn-in.conf"
PN_VERIFIES=no
for c in $CONCS; do
	measure pn-in "$c" "${PER[$c]}" "$W/signed" 'Authentication-Results=' "${IN_OPTS[@]}" \
		-C dkim=pass -C spf=pass -C dmarc=pass ||
		die "postern inserted no Authentication-Results"
done
"$ML" -q -s "$SOCK" -m "$W/signed" -c 1 -n 8 "${IN_OPTS[@]}" -C dkim=pass | grep -q 'text1=8' &&
	PN_VERIFIES=yes
measure pn-in-k1 8 "${PER[8]}" "$W/signed" 'Authentication-Results=' "${IN_OPTS[@]}" -k 1 ||
	die "postern, one connection per message"
for d in medium large; do
	measure "pn-in-$d" 8 $([ $d = large ] && echo 5 || echo 40) "$W/signed-$d" 'Authentication-Results=' \
		"${IN_OPTS[@]}" || die "postern $d"
done
daemon_stop
# the spam screen with two DNS lists on the fixture (a blocklist and an
# allowlist that lists 192.0.2.10: the A-R's x-spam score -2.5 = dnsbl_wl
# -2 + dkim_from_pass -1 + date_past 0.5 shows every message got the
# answer; the blocklist's NXDOMAIN is not cached), asked at connect, read at RCPT
say "postern inbound pipeline with DNS lists"
postern_conf "$W/pn-spam.conf" '"10.0.0.0/8"'
echo 'spam = { dnsbl = [ "bl bl.bench.example score=4", "wl wl.bench.example score=-2" ]; };' >>"$W/pn-spam.conf"
postern_start_conf spam "$W/pn-spam.conf"
for c in $CONCS; do
	measure pn-spam "$c" "${PER[$c]}" "$W/signed" 'text1=[1-9]' "${IN_OPTS[@]}" -C 'x-spam=ham (score=-2.5 ' ||
		die "postern with DNS lists: no x-spam score -2.5 (the allowlist not asked?)"
done
measure pn-spam-k1 8 "${PER[8]}" "$W/signed" 'text1=[1-9]' "${IN_OPTS[@]}" -k 1 -C 'x-spam=ham (score=-2.5 ' ||
	die "postern with DNS lists, one connection per message"
daemon_stop

# ---- memory: a 30 MB attachment, then 256 connections (fresh daemons) ----------
declare -A MEM_BASE MEM_HUGE MEM_256
mem_probe() {   # mem_probe FAMILY: the daemon running now
	"$ML" -q -s "$SOCK" -m "$W/signed" -c 1 -n 10 "${IN_OPTS[@]}" >/dev/null || die "$1 warm-up"
	MEM_BASE[$1]=$(hwm_kb "$DPID")
	"$ML" -q -s "$SOCK" -m "$W/signed-huge" -c 1 -n 1 "${IN_OPTS[@]}" >/dev/null || die "$1 30 MB message"
	MEM_HUGE[$1]=$(hwm_kb "$DPID")
	"$ML" -q -s "$SOCK" -m "$W/signed" -c 256 -n 4 "${IN_OPTS[@]}" >/dev/null || die "$1 256 connections"
	MEM_256[$1]=$(hwm_kb "$DPID")
	say "$1 VmHWM: ${MEM_BASE[$1]} kB warm, ${MEM_HUGE[$1]} kB after 30 MB, ${MEM_256[$1]} kB after 256 connections"
	hostile "$1"
}
# hostile FAMILY: what long fields do to the daemon running now (-e: a
# dropped connection is an outcome, not an error)
declare -A HOSTILE
HOSTILE_CASES="helo=100000 from=70000 header=135000 header=2000000"
hostile() {
	local x out
	for x in $HOSTILE_CASES; do
		out=$("$ML" -q -e -s "$SOCK" -m "$W/signed/small-000.eml" -c 1 -n 2 "${IN_OPTS[@]}" -X "$x") ||
			die "$1 -X $x"
		HOSTILE[$1,$x]=$(sed -E 's/.* replies=[0-9]+ ?//; s/insert:Authentication-Results=[0-9]+//; s/ +$//' <<<"$out")
	done
}
say "memory"
SOCK=unix:$W/od.sock
opendkim_start v
mem_probe opendkim
daemon_stop
SOCK=unix:$W/pn.sock
postern_start_conf mem "$W/pn-in.conf"
mem_probe postern
daemon_stop
fi   # BENCH_PF_ONLY

# ---- Postfix end to end: smtp-source -> smtpd (+ milter) -> discard -----------
declare -A PF_RATE PF_CPU
PF_N=$(( (2000 * SCALE + DIV - 1) / DIV ))
PF_S=8
pf_drain() {
	local i
	for ((i = 0; i < 300; i++)); do
		"${_PF_SBIN}postqueue" -c "$PF_CONF" -p 2>/dev/null | grep -q 'Mail queue is empty' && return 0
		sleep 0.1
	done
	say "Postfix queue did not drain"
}
# pf_measure KEY MILTER: smtp-source through Postfix with smtpd_milters=MILTER
pf_measure() {
	local key=$1 t0 t1 c0=0 c1=0
	pf_postconf -e "smtpd_milters = $2" && pf_reload || die "postfix reload"
	sleep 1
	[ -n "$DPID" ] && c0=$(cpu_ticks "$DPID")
	t0=$(date +%s.%N)
	"${_PF_SBIN}smtp-source" -s $PF_S -m "$PF_N" -f sender@example.org -t user@example.com \
		-F "${BENCH_PF_MSG:-$W/small/small-000.eml}" "127.0.0.1:$PF_PORT" >"$W/smtp-source-$key.log" 2>&1 ||
		{ cat "$W/smtp-source-$key.log" >&2; die "smtp-source ($key)"; }
	t1=$(date +%s.%N)
	[ -n "$DPID" ] && c1=$(cpu_ticks "$DPID")
	sample_load
	PF_RATE[$key]=$(awk -v n="$PF_N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
	PF_CPU[$key]=$( [ -n "$DPID" ] && awk -v t=$((c1 - c0)) -v m="$PF_N" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.2f", t * 1000 / hz / m }' || echo -)
	say "Postfix $key: ${PF_RATE[$key]} msg/s"
	pf_drain
}
say "Postfix end to end"
PF_EXTRA_MAIN_CF="virtual_transport = discard"
postfix_start "" || die "postfix did not start"
pf_measure none ""
opendkim_start s rsa
pf_measure opendkim "unix:$W/od.sock"
grep -q 'DKIM-Signature' "$PF_LOG" 2>/dev/null || :
daemon_stop
postern_start_conf pf-in "$W/pn-in.conf"
pf_measure postern-in "unix:$W/pn.sock"
daemon_stop
inet_port=$(free_port tcp)
PN_SOCKET="inet:$inet_port@127.0.0.1" postern_conf "$W/pn-in-inet.conf" '"10.0.0.0/8"'
postern_start_conf pf-in-inet "$W/pn-in-inet.conf" ":$inet_port"
pf_measure postern-in-inet "inet:127.0.0.1:$inet_port"
daemon_stop
if [ -n "${RATE[pn-sign-rsa,8]:-}" ]; then
	postern_conf "$W/pn-pf-sign.conf" '"127.0.0.0/8", "10.0.0.0/8"' "\"example.org:rsa:$W/keys/rsa.pem\""
	postern_start_conf pf-sign "$W/pn-pf-sign.conf"
	pf_measure postern-sign "unix:$W/pn.sock"
	daemon_stop
fi
postfix_stop

# ---- the ceiling: openssl speed ---------------------------------------------
say "openssl speed"
speed=$(openssl speed -seconds 1 rsa2048 ed25519 2>/dev/null)
SSL_RSA=$(awk '/^rsa 2048 bits/ {print $6}' <<<"$speed")
SSL_ED=$(awk '/EdDSA \(Ed25519\)/ {print $(NF-1)}' <<<"$speed")

# ---- the table ----------------------------------------------------------------
T1=$(date +%s)
na() { [ -n "${1:-}" ] && echo "$1" || echo "n/a"; }
ratio() { [ -n "${1:-}" ] && [ -n "${2:-}" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo "n/a"; }
lat() { [ -n "${1:-}" ] && echo "$1 / $2" || echo "n/a"; }
row() {   # row LABEL CONC ODKEY PNKEY
	local c=$2 o=$3 p=$4
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$c" \
		"$(na "${RATE[$o,$c]:-}")" "$(na "${RATE[$p,$c]:-}")" \
		"$(ratio "${RATE[$p,$c]:-}" "${RATE[$o,$c]:-}")" \
		"$(lat "${P50[$o,$c]:-}" "${P99[$o,$c]:-}")" "$(lat "${P50[$p,$c]:-}" "${P99[$p,$c]:-}")" \
		"$(na "${CPU[$o,$c]:-}")" "$(na "${CPU[$p,$c]:-}")"
}
loads=$(printf '%s\n' "${LOADS[@]}" | sort -n | sed -n '1p;$p' | paste -sd' ')
echo "### postern vs OpenDKIM $(dpkg-query -W -f='${Version}' opendkim 2>/dev/null) ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo);" \
	"load average (1 min) sampled during the run: min ${loads% *}, max ${loads#* }; run took $((T1 - T0)) s."
echo "Command: \`${BENCH_CMD:-contrib/bench/run.sh${*:+ $*}}\`; postern: \`$POSTERN\` ($("$POSTERN" -V 2>&1 | head -n 1)," \
	"tree $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo '?'))."
echo "Milters on unix sockets, load client \`milterload\` on the same cores; small = 4.5 KB text," \
	"medium = 51 KB with a base64 attachment, large = 2 MB.  Signing: client 10.1.2.3 (internal);" \
	"verify/pipeline: client 192.0.2.10, messages signed by OpenDKIM (RSA-2048, relaxed/relaxed)."
echo "CPU ms/msg = the daemon's user+system time over the run / messages (10 ms clock ticks)."
pn1=${OUT[pn-in,1]:-}
echo "postern's Authentication-Results in the small inbound run at concurrency 1:" \
	"$(sed -nE 's/.*messages=([0-9]+).*/\1/p' <<<"$pn1") messages," \
	"dkim=pass in $(sed -nE 's/.* text1=([0-9]+).*/\1/p' <<<"$pn1")," \
	"spf=pass in $(sed -nE 's/.* text2=([0-9]+).*/\1/p' <<<"$pn1")," \
	"dmarc=pass in $(sed -nE 's/.* text3=([0-9]+).*/\1/p' <<<"$pn1")."
echo
echo "| workload | conc | OpenDKIM msg/s | postern msg/s | postern/OpenDKIM | OpenDKIM p50 / p99 ms | postern p50 / p99 ms | OpenDKIM CPU ms/msg | postern CPU ms/msg |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in $CONCS; do row "sign RSA-2048, small" "$c" od-sign-rsa pn-sign-rsa; done
for c in $CONCS; do row "sign Ed25519, small" "$c" od-sign-ed pn-sign-ed; done
if [ "$PN_VERIFIES" = yes ]; then
	for c in $CONCS; do row "verify RSA-2048 = postern full inbound pipeline, small" "$c" od-verify pn-in; done
else
	for c in $CONCS; do row "verify RSA-2048, small (postern cannot verify yet)" "$c" od-verify none; done
	for c in $CONCS; do row "postern full inbound pipeline vs OpenDKIM verify, small" "$c" od-verify pn-in; done
fi
for c in $CONCS; do row "postern inbound pipeline + 2 DNS lists (spam.dnsbl) vs OpenDKIM verify, small" "$c" od-verify pn-spam; done
RATE[pn-spam-x,8]=${RATE[pn-spam-k1,8]:-}; P50[pn-spam-x,8]=${P50[pn-spam-k1,8]:-}; P99[pn-spam-x,8]=${P99[pn-spam-k1,8]:-}; CPU[pn-spam-x,8]=${CPU[pn-spam-k1,8]:-}
RATE[od-v1,8]=${RATE[od-verify-k1,8]:-}; P50[od-v1,8]=${P50[od-verify-k1,8]:-}; P99[od-v1,8]=${P99[od-verify-k1,8]:-}; CPU[od-v1,8]=${CPU[od-verify-k1,8]:-}
row "postern inbound pipeline + 2 DNS lists vs OpenDKIM verify, small, a new milter connection per message" 8 od-v1 pn-spam-x
for d in k1 medium large; do
	RATE[od-v,8]=${RATE[od-verify-$d,8]:-}; P50[od-v,8]=${P50[od-verify-$d,8]:-}; P99[od-v,8]=${P99[od-verify-$d,8]:-}; CPU[od-v,8]=${CPU[od-verify-$d,8]:-}
	RATE[pn-v,8]=${RATE[pn-in-$d,8]:-}; P50[pn-v,8]=${P50[pn-in-$d,8]:-}; P99[pn-v,8]=${P99[pn-in-$d,8]:-}; CPU[pn-v,8]=${CPU[pn-in-$d,8]:-}
	l=$d; [ $d = k1 ] && l="small, a new milter connection per message (as Postfix does)"
	row "postern full inbound pipeline vs OpenDKIM verify, $l" 8 od-v pn-v
done
echo
echo "| Postfix end to end (smtp-source -s $PF_S -m $PF_N, small message, discard transport) | msg/s | share of no-milter rate | milter CPU ms/msg |"
echo "|---|---|---|---|"
for k in none opendkim postern-in postern-in-inet postern-sign; do
	case $k in
	postern-in-inet) l="postern, full inbound pipeline, inet: socket";;
	none) l="no milter";; opendkim) l="OpenDKIM, signing RSA-2048";;
	postern-in) l="postern, full inbound pipeline";; postern-sign) l="postern, signing RSA-2048";;
	esac
	printf '| %s | %s | %s | %s |\n' "$l" "$(na "${PF_RATE[$k]:-}")" \
		"$(ratio "${PF_RATE[$k]:-}" "${PF_RATE[none]:-}")" "$(na "${PF_CPU[$k]:-}")"
done
echo
echo "| ceiling | value |"
echo "|---|---|"
echo "| openssl speed RSA-2048 sign/s (one core) | $(na "$SSL_RSA") |"
echo "| openssl speed Ed25519 sign/s (one core) | $(na "$SSL_ED") |"
echo
echo "| hostile input, 2 messages (milterload -X, -e) | OpenDKIM (verify) | postern (inbound) |"
echo "|---|---|---|"
for x in $HOSTILE_CASES; do
	echo "| $x bytes | ${HOSTILE[opendkim,$x]:-n/a} | ${HOSTILE[postern,$x]:-n/a} |"
done
echo
echo "| memory | value |"
echo "|---|---|"
mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
echo "| OpenDKIM peak RSS (VmHWM, largest over all its runs above) | $(mb "${HWM[opendkim]:-}") |"
echo "| postern peak RSS (VmHWM, largest over all its runs above) | $(mb "${HWM[postern]:-}") |"
for f in opendkim postern; do
	echo "| $f (verify / inbound pipeline), fresh daemon: VmHWM after 10 small messages | $(mb "${MEM_BASE[$f]:-}") |"
	echo "| $f: VmHWM growth from one message with a 30 MB attachment | $(mb $(( ${MEM_HUGE[$f]:-0} - ${MEM_BASE[$f]:-0} ))) |"
	echo "| $f: VmHWM after 256 concurrent connections | $(mb "${MEM_256[$f]:-}") |"
done
