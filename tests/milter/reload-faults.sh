#!/bin/bash
# reload-faults.sh - a SIGUSR1 reload that cannot be completed keeps the
# running snapshot, logs why, and filtering goes on: a policy file that
# cannot be read (a dangling symbolic link, a directory), a DKIM signing
# key file that is missing or unreadable.  Each time the reload also
# carries a valid change (the default policy's 1000-byte limit lifted) that
# must not take effect; once the fault is repaired the same reload applies.
# Driven with miltertest (reload.lua: SIZE=5000 refused under the 1000-byte
# default, accepted without it).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"
tmpdir_make
P=$TEST_TMPDIR/policies
mkdir -p "$P" "$TEST_TMPDIR/keys"
chmod 700 "$TEST_TMPDIR/keys"
"$build/postern-keygen" -d example.org -s sel -a ed25519 -o "$TEST_TMPDIR/keys" >/dev/null ||
	bail_out "postern-keygen failed"
KEY=$TEST_TMPDIR/keys/example.org.sel.pem
[ -f "$KEY" ] || bail_out "no key written"
cp "$here"/tests/milter/policies/*.conf "$P/"
echo "max_message_size = 1000;" >"$P/default.conf"
dns_start "$here/tests/data/foundation.zone" || bail_out "DNS fixture did not start"
postern_start "$P" "dkim = { keys = [ \"example.org:sel:$KEY\" ]; };" || bail_out "postern did not start"

n=0
session() {     # session WANT: reload.lua with want=refused|accepted
	n=$((n + 1))
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -D want="$1" \
		-s "$here/tests/milter/reload.lua" >"$TEST_TMPDIR/s$n.out" 2>&1
	local st=$?
	[ $st -eq 0 ] || diag_file "$TEST_TMPDIR/s$n.out"
	return $st
}
reload() {      # reload PATTERN: SIGUSR1, wait for a new log line matching it
	local before i
	before=$(grep -cE "$1" "$PSTN_LOG")
	kill -USR1 "$PSTN_PID"
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -cE "$1" "$PSTN_LOG")" -gt "$before" ] && return 0
		sleep 0.1
	done
	diag "no log line matching: $1"; diag_file "$PSTN_LOG" | tail -n 5
	return 1
}
kept() {        # kept WHAT PATTERN
	reload "reload failed, keeping the running configuration: .*$2"
	ok $? "$1: the reload fails, logged with the reason"
	session refused; ok $? "$1: the running snapshot stays (1000-byte default still applies)"
}

session refused; ok $? "at start the default policy's 1000-byte limit applies"
: >"$P/default.conf"            # the valid change every failed reload carries
ln -s "$TEST_TMPDIR/nowhere.conf" "$P/gone.example.conf"
kept "a policy file that is a dangling symbolic link" 'gone\.example\.conf'
rm "$P/gone.example.conf"; mkdir "$P/dir.example.conf"
kept "a policy file that is a directory" 'dir\.example\.conf:0: file: cannot read: Is a directory'
rmdir "$P/dir.example.conf"
mv "$KEY" "$KEY.away"
kept "a DKIM key file that is missing" 'example\.org\.sel\.pem'
mv "$KEY.away" "$KEY"; chmod 644 "$KEY"
kept "a DKIM key file readable by others" 'example\.org\.sel\.pem'
chmod 600 "$KEY"
reload 'configuration reloaded'; ok $? "repaired: the reload applies"
session accepted; ok $? "and the lifted limit takes effect"
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "postern still running"
tap_done
