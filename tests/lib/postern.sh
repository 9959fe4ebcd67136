# postern.sh - start and stop the postern daemon for a test.
#
#     . "$top_srcdir/tests/lib/tap.sh"; . "$top_srcdir/tests/lib/postern.sh"
#     postern_start POLICY_DIR [EXTRA_CONFIG_TEXT]
#         writes $TEST_TMPDIR/postern.conf (inet socket on a free port,
#         authserv_id mx.test.example, internal_hosts 10.0.0.0/8 (or the
#         list in $PSTN_INTERNAL), the given policy dir, originating_daemons ORIGINATING (or the list in
#         $PSTN_ORIGINATING, e.g. '"MSA"'), foreground, debug log; when
#         the DNS fixture runs
#         ($DNS_PORT, tests/lib/dns.sh) the resolver forwards to it with a
#         1.5 s timeout, unless the extra text has its own "dns =") plus
#         any extra lines, starts
#         postern -f under the subreaper and waits until the socket accepts.
#         Exports PSTN_PORT, PSTN_SOCK (inet:PORT@127.0.0.1), PSTN_LOG,
#         PSTN_CONF, PSTN_PID (the daemon's own pid).
#     postern_stop       SIGTERM, wait; PSTN_STOP_RC := the daemon's exit
#                        status (137: the subreaper's 5 s grace ran out and
#                        it was killed), PSTN_STOP_MS := how long it took.
#     postern_kill9      SIGKILL the daemon itself (crash simulation).
#     postern_restart    start again with the same config and port.
#
# Needs top_builddir (exported by make check) or POSTERN (path to binary).

POSTERN=${POSTERN:-${top_builddir:-.}/postern}

_postern_wait_port() {   # _postern_wait_port PORT: up to ~10 s
	for _ in $(seq 1 100); do
		python3 - "$1" <<'PY' 2>/dev/null && return 0
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2)
s.close()
PY
		sleep 0.1
	done
	return 1
}

_postern_spawn() {
	spawn _PSTN_REAPER "$PSTN_LOG" "$POSTERN" -f -c "$PSTN_CONF"
	if ! _postern_wait_port "$PSTN_PORT"; then
		diag "postern did not start:"
		diag_file "$PSTN_LOG"
		return 1
	fi
	PSTN_PID=$(pgrep -P "$_PSTN_REAPER" -x postern | head -n 1)
	export PSTN_PID
}

postern_start() {
	local policies=$1 extra=${2:-}
	tmpdir_make
	PSTN_PORT=$(free_port tcp)
	PSTN_SOCK="inet:$PSTN_PORT@127.0.0.1"
	PSTN_CONF="$TEST_TMPDIR/postern.conf"
	PSTN_LOG="$TEST_TMPDIR/postern.log"
	export PSTN_PORT PSTN_SOCK PSTN_CONF PSTN_LOG
	local dns= orig=${PSTN_ORIGINATING:-'"ORIGINATING"'}
	local internal=${PSTN_INTERNAL:-'"10.0.0.0/8"'}
	[ -n "${DNS_PORT:-}" ] && [[ $extra != *"dns ="* ]] &&
		dns="dns = { nameservers = [ \"${DNS_ADDR:-127.0.0.1}@$DNS_PORT\" ]; timeout = 1500; };"
	cat >"$PSTN_CONF" <<CONF
socket = "$PSTN_SOCK";
authserv_id = "mx.test.example";
internal_hosts = [ $internal ];
originating_daemons = [ $orig ];
policy_dir = "$policies";
log_level = "debug";
$dns
$extra
CONF
	on_exit postern_stop
	_postern_spawn
}

postern_restart() { _postern_spawn; }

postern_stop() {
	if [ -n "${_PSTN_REAPER:-}" ]; then
		local t0
		t0=$(date +%s%N)
		PSTN_STOP_RC=0
		reap_stop "$_PSTN_REAPER" || PSTN_STOP_RC=$?
		PSTN_STOP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
		_PSTN_REAPER=
	fi
}

postern_kill9() {
	[ -n "${PSTN_PID:-}" ] && kill -9 "$PSTN_PID" 2>/dev/null
	# the subreaper exits once the daemon is gone
	if [ -n "${_PSTN_REAPER:-}" ]; then
		wait "$_PSTN_REAPER" 2>/dev/null || true
		_PSTN_REAPER=
	fi
}

# postern_metrics_require: skip the test unless postern was built with
# libmicrohttpd (the metrics endpoint).  Needs tmpdir_make first.
postern_metrics_require() {
	command -v curl >/dev/null || bail_out "curl not installed"
	printf 'metrics = { listen = "unix:%s/probe.sock"; };\n' "$TEST_TMPDIR" >"$TEST_TMPDIR/probe.conf"
	"$POSTERN" -t -c "$TEST_TMPDIR/probe.conf" 2>&1 | grep -q 'built without libmicrohttpd' &&
		skip_all "postern was built without libmicrohttpd"
	return 0
}
# postern_metric PORT SERIES: the value of one series (name with labels,
# as printed) on the endpoint at 127.0.0.1:PORT, or "none"
postern_metric() {
	curl -s --max-time 5 "http://127.0.0.1:$1/metrics" |
		awk -v k="$2" '$1 == k { v = $2 } END { print v == "" ? "none" : v }'
}
