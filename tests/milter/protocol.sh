#!/bin/bash
# protocol.sh - drives the running daemon over its socket with miltertest
# (a real milter client); each tests/milter/*.lua script is one TAP test.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"

MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"

tmpdir_make
postern_start "$here/tests/milter/policies" || bail_out "postern did not start"

for script in direction size authres reset hostile; do
	out="$TEST_TMPDIR/$script.out"
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
		-s "$here/tests/milter/$script.lua" >"$out" 2>&1
	st=$?
	ok $st "miltertest $script.lua"
	[ $st -eq 0 ] || diag_file "$out"
done

# the summary line names every transaction, and hostile text is escaped
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
tap_done
