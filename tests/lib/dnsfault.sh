# dnsfault.sh - a fault-injecting DNS proxy (tests/lib/dnsfault.py) in front
# of the unbound fixture of dns.sh.  Source tap.sh and dns.sh first and
# start the fixture (dns_start).
#
#     dnsfault_start          start the proxy on a free port; exports
#                             FAULT_PORT; stopped on exit
#     dnsfault_mode MODE...   pass | drop | slow MS | servfail | refused |
#                             garbage | noise (takes effect at the next query)
#     dnsfault_stop           stop the proxy (its port then refuses: ICMP
#                             port unreachable, as for a stopped server)
#     dnsfault_restart        start it again on the same port

FAULT_PORT=
_FAULT_PID=

_dnsfault_spawn() {
	local i
	spawn _FAULT_PID "$DNS_DIR/dnsfault.log" python3 -u "${top_srcdir:-$here}/tests/lib/dnsfault.py" \
		"$FAULT_PORT" "$DNS_PORT" "$DNS_DIR/fault.mode"
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$DNS_DIR/dnsfault.log" 2>/dev/null && return 0
		sleep 0.05
	done
	diag_file "$DNS_DIR/dnsfault.log"
	return 1
}

dnsfault_start() {
	[ -n "$DNS_DIR" ] || { echo "dnsfault: start the DNS fixture first" >&2; return 1; }
	FAULT_PORT=$(free_port udp) || return 1
	export FAULT_PORT
	dnsfault_mode pass
	on_exit dnsfault_stop
	_dnsfault_spawn
}

# written aside and renamed: the proxy never reads a half-written file
dnsfault_mode() { echo "$*" >"$DNS_DIR/fault.mode.new" && mv "$DNS_DIR/fault.mode.new" "$DNS_DIR/fault.mode"; }

dnsfault_stop() {
	[ -n "$_FAULT_PID" ] || return 0
	reap_stop "$_FAULT_PID"
	_FAULT_PID=
}

dnsfault_restart() {
	dnsfault_stop
	_dnsfault_spawn
}
