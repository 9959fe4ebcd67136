# setup.sh - what icount.sh and cpumb.sh share (sourced, bash): messages of
# the sizes in $SIZES (contrib/bench/genmsg), an RSA-2048 key, the loopback
# DNS fixture on port 53 of a random 127/8 address (OpenDKIM's Nameservers
# takes no port), daemon start/stop helpers (start NAME SOCK [valgrind OUT]
# -- CMD...), OpenDKIM's config (opendkim_conf MODE FILE), postern's inbound
# config ($W/pn-in.conf), and the messages signed by OpenDKIM
# ($W/signed-SIZE).  Wants TOOL (the name for messages), NEED (commands it
# must find), ML, POSTERN, GENMSG, SIZES; tests/lib/tap.sh and dns.sh sourced.
say() { echo "$TOOL: $*" >&2; }
die() { echo "$TOOL: FAILED: $*" >&2; exit 1; }
for b in "$ML" "$POSTERN"; do [ -x "$b" ] || die "$b not built (make)"; done
for c in $NEED; do
	command -v $c >/dev/null || die "$c not installed"
done

tmpdir_make
W=$TEST_TMPDIR

# ---- messages, key, DNS (as run.sh) -------------------------------------------
say "messages and key in $W"
for s in $SIZES; do "$GENMSG" "$s" "$W/$s" 2 || die "genmsg $s"; done
mkdir -p "$W/keys" && chmod 700 "$W/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/keys/rsa.pem" 2>/dev/null ||
	die "openssl genpkey"
chmod 600 "$W"/keys/*.pem
rsa_p=$(openssl pkey -in "$W/keys/rsa.pem" -pubout -outform DER | base64 -w0)
rsa_txt="v=DKIM1; k=rsa; p=$rsa_p"
cat >"$W/dns.data" <<EOF
rsa._domainkey.example.org. 300 TXT "${rsa_txt:0:250}" "${rsa_txt:250}"
example.org. 300 TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.0/8 -all"
_dmarc.example.org. 300 TXT "v=DMARC1; p=none"
EOF
# OpenDKIM's Nameservers takes no port: port 53 of a random loopback address.
DNS_ADDR=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
DNS_DIR=$W/dns DNS_PORT=53
mkdir -p "$DNS_DIR" && _dns_write_conf "$W/dns.data" || die "DNS fixture config"
on_exit dns_stop
spawn DNS_PID "$DNS_DIR/stderr" "$_DNS_UNBOUND" -d -c "$DNS_DIR/unbound.conf"
_dns_wait_gen || die "DNS fixture on $DNS_ADDR:53 did not start"

# ---- daemons --------------------------------------------------------------------
DPID=''
wait_sock() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -S "$1" ] && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
daemon_stop() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=''
}
on_exit daemon_stop
# start NAME SOCK [valgrind OUTFILE] -- CMD...
start() {
	local name=$1 sock=$2; shift 2
	rm -f "$sock"
	if [ "$1" = valgrind ]; then
		local out=$2; shift 3
		valgrind --tool=callgrind --callgrind-out-file="$out" -q "$@" >"$W/$name.log" 2>&1 &
	else
		shift
		"$@" >"$W/$name.log" 2>&1 &
	fi
	DPID=$!
	wait_sock "$sock" || { cat "$W/$name.log" >&2; die "$name did not start"; }
}
opendkim_conf() {   # opendkim_conf MODE FILE
	cat >"$2" <<EOF
Syslog no
Socket local:$W/od.sock
PidFile $W/od-$1.pid
Mode $1
Domain example.org
Selector rsa
KeyFile $W/keys/rsa.pem
RequireSafeKeys false
Canonicalization relaxed/relaxed
SignatureAlgorithm rsa-sha256
InternalHosts 10.0.0.0/8, 127.0.0.1
AuthservID mx.test.example
Nameservers $DNS_ADDR
UMask 000
EOF
}
cp -r "$top_srcdir/policies" "$W/policies" && chmod -R u+w "$W/policies"
cat >"$W/pn-in.conf" <<EOF
socket = "unix:$W/pn.sock";
socket_mode = "0666";
authserv_id = "mx.test.example";
internal_hosts = [ "10.0.0.0/8" ];
policy_dir = "$W/policies";
log_level = "warning";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; };
EOF

say "signing the messages with OpenDKIM"
opendkim_conf s "$W/od-s.conf"
start od-sign "$W/od.sock" -- opendkim -f -x "$W/od-s.conf"
for s in $SIZES; do
	"$ML" -q -s "unix:$W/od.sock" -m "$W/$s" -c 1 -n 2 -a 10.1.2.3 -w "$W/signed-$s" >/dev/null ||
		die "signing $s"
done
daemon_stop

