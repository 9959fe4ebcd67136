#!/bin/bash
# behaviour.sh - SPF through the running daemon (miltertest) with a zone on
# the loopback DNS fixture: enforcement at RCPT under each recipient's
# policy, replies and their codes (from the summary lines), headers, HELO
# identity, skipped clients, a name that times out.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"

tmpdir_make
dns_start "$here/tests/spf/behaviour.dns" || bail_out "DNS fixture did not start"
postern_start "$here/tests/spf/policies" "trusted_hosts = [ \"192.0.2.99/32\" ];
dns = { nameservers = [ \"127.0.0.1@$DNS_PORT\" ]; timeout = 1000; };" ||
	bail_out "postern did not start"

"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/spf" \
	-s "$here/tests/spf/behaviour.lua" >"$TEST_TMPDIR/lua.out" 2>&1
st=$?
ok $st "miltertest behaviour.lua"
[ $st -eq 0 ] || { diag_file "$TEST_TMPDIR/lua.out"; diag_file "$PSTN_LOG"; }

logged() { grep -qE "$1" "$PSTN_LOG"; ok $? "$2"; }
logged 'SPF1: eom: .* spf=pass spf_identity=mailfrom .*verdict=accept' "pass: summary line"
logged 'SPF2: eom: .*rcpts=1 refused_rcpts=1 .*spf=fail .*verdict=tag' "fail: one recipient refused, one tagged"
logged 'SPF2B: abort: .*spf=fail .*reply="550 5\.7\.23 SPF fail: 192\.0\.2\.20 is not allowed to send mail for fail\.spf\.example"' \
	"fail: 550 5.7.23 reply"
logged 'SPF3: eom: .*spf=softfail .*verdict=tag' "softfail: tagged"
logged 'SPF4: eom: .*refused_rcpts=1 .*spf=permerror' "permerror: refused only under the strict policy"
logged 'SPF4B: abort: .*spf=permerror .*reply="550 5\.7\.24 SPF permanent error for perm\.spf\.example' \
	"permerror: 550 5.7.24 reply under the strict policy"
logged 'SPF5: abort: .*spf=temperror .*reply="451 4\.7\.24 SPF temporary error' "temperror: 451 4.7.24"
logged 'SPF6: eom: .*spf=fail .*observe_would=' "observe mode: fail accepted and logged"
logged 'SPF7: eom: .*spf=pass spf_identity=helo' "null sender: HELO identity"
logged 'SPF8: abort: .*spf=fail spf_identity=helo .*reply="550 5\.7\.23' "null sender: HELO fail refused"
grep 'SPF9: eom' "$PSTN_LOG" | grep -q 'spf='
[ $? -ne 0 ]; ok $? "internal and trusted clients: no SPF in the summary"
logged 'SPF10: eom: .*spf=neutral' "hostile HELO: neutral"
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "postern still running"
tap_done
