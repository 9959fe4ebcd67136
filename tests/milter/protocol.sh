#!/bin/bash
# protocol.sh - drives the running daemon over its socket with miltertest
# (a real milter client); each tests/milter/*.lua script is one TAP test.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"

tmpdir_make
cp -r "$here/tests/milter/policies" "$TEST_TMPDIR/policies"
chmod -R u+w "$TEST_TMPDIR/policies"
dns_start "$here/tests/data/foundation.zone" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" "limits = { header_count = 20; };" || bail_out "postern did not start"

run_lua() {   # run_lua NAME [-D k=v ...]: one TAP test
	local script=$1 out="$TEST_TMPDIR/$1.out" st
	shift
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" "$@" \
		-s "$here/tests/milter/$script.lua" >"$out" 2>&1
	st=$?
	ok $st "miltertest $script.lua $*"
	[ $st -eq 0 ] || diag_file "$out"
}

wait_log() {  # wait_log REGEX: up to 5 s for a log line
	for _ in $(seq 1 50); do
		grep -qE "$1" "$PSTN_LOG" && return 0
		sleep 0.1
	done
	return 1
}

for script in direction size authres reset hostile headers; do
	run_lua $script
done

# SIGUSR1 reload: a valid change takes effect without a restart ...
run_lua reload -D want=accepted
echo 'max_message_size = 1000;' >"$TEST_TMPDIR/policies/default.conf"
kill -USR1 "$PSTN_PID"
wait_log 'configuration reloaded'; ok $? "SIGUSR1 reloads the configuration"
run_lua reload -D want=refused
# ... and a broken one is refused while the running snapshot stays
echo 'max_message_size = "huge";' >"$TEST_TMPDIR/policies/default.conf"
kill -USR1 "$PSTN_PID"
wait_log 'reload failed, keeping the running configuration: .*default.conf:1: max_message_size'
ok $? "a broken reload is reported with file:line: key"
run_lua reload -D want=refused
# a restart-only key changed in postern.conf: the reload applies the rest and
# names the key it keeps
echo 'max_message_size = 1000;' >"$TEST_TMPDIR/policies/default.conf"
cp "$PSTN_CONF" "$TEST_TMPDIR/postern.conf.orig"
sed -i 's|^socket = .*|socket = "inet:1@127.0.0.1";|' "$PSTN_CONF"
echo 'syslog_facility = "local3";' >>"$PSTN_CONF"
kill -USR1 "$PSTN_PID"
wait_log 'changed keys that apply only after a restart, running with their old values: socket, syslog_facility'
ok $? "a reload names the restart-only keys it did not apply"
run_lua reload -D want=refused
cp "$TEST_TMPDIR/postern.conf.orig" "$PSTN_CONF"

# the summary line names every transaction, and hostile text is escaped
grep -q 'HDR1: abort: .*verdict=reject check=size reply="552 5.3.4 too many header fields (limit 20)"' "$PSTN_LOG"
ok $? "header limit refusal logged with its reply"
grep -q 'DIR1: eom: client=client.example\[192.0.2.10\] dir=inbound' "$PSTN_LOG"
ok $? "summary line for an inbound message"
grep -q 'DIR2: eom: .*dir=outbound' "$PSTN_LOG"
ok $? "summary line for an outbound message"
grep -q 'SZ1: abort: .*verdict=reject check=size reply="552 5.3.4 declared message size exceeds the size limit of 1048576 bytes"' "$PSTN_LOG"
ok $? "SIZE refusal logged with its reply"
grep -q 'SZ3: abort: .*verdict=reject check=size reply="552 5.3.4 message exceeds' "$PSTN_LOG"
ok $? "body size refusal logged"
LC_ALL=C grep -q $'[\x01\x02\x1b]' "$PSTN_LOG"
[ $? -ne 0 ]; ok $? "no control characters reach the log"
kill -0 "$PSTN_PID" 2>/dev/null
ok $? "postern still running after all scripts"
postern_stop
grep -q 'postern stopping' "$PSTN_LOG"; ok $? "SIGTERM stops postern cleanly"
[ "$PSTN_STOP_RC" -eq 0 ]
ok $? "postern exits by itself with status 0 on SIGTERM (status $PSTN_STOP_RC; 137 = killed after the 5 s grace)"
# libmilter's listener alone looks at the stop flag every 5 s (interpose.c);
# the sanitizer passes give their slower exits PSTN_STOP_BOUND_MS
[ "$PSTN_STOP_MS" -lt "${PSTN_STOP_BOUND_MS:-2500}" ]
ok $? "SIGTERM: stopped in ${PSTN_STOP_MS} ms, not libmilter's 5 s listener timeout"
kill -0 "$PSTN_PID" 2>/dev/null
[ $? -ne 0 ]; ok $? "no postern process left"
tap_done
