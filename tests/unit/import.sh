#!/bin/bash
# import.sh - `postern import opendkim FILE`: an opendkim.conf with a
# KeyTable, a regex SigningTable, an InternalHosts file and an
# ExternalIgnoreList list becomes a postern.conf that `postern -t` accepts
# with both keys loaded; what postern cannot express (a host name, a
# negated network, a third-party signing row, OversignHeaders) is listed as
# "# not imported:" comments and counted on stderr; Debian's stock
# /etc/opendkim.conf imports to a valid file; usage errors exit 2.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"

P=$build/postern
tmpdir_make
T=$TEST_TMPDIR
mkdir -m 700 "$T/keys" && mkdir "$T/pol" && : >"$T/pol/default.conf"
"$build/postern-keygen" -d example.com -s s2026 -o "$T/keys" >/dev/null || bail_out "keygen"
"$build/postern-keygen" -d example.net -s ed -a ed25519 -o "$T/keys" >/dev/null || bail_out "keygen"
cat >"$T/KeyTable" <<EOT
# name              domain:selector:keyfile
com-key             example.com:s2026:$T/keys/example.com.s2026.pem
net-key             example.net:ed:$T/keys/example.net.ed.pem
EOT
cat >"$T/SigningTable" <<EOT
*@example.com       com-key
*@*.example.net     net-key
*@example.org       com-key
EOT
printf '127.0.0.1\n::1\n10.0.0.0/8\nhost.example\n!10.9.0.0/16\n' >"$T/TrustedHosts"
cat >"$T/opendkim.conf" <<EOT
# an opendkim.conf as people write them
Syslog                  yes
UMask                   007
UserID                  opendkim:opendkim
Socket                  local:$T/odk.sock
PidFile                 $T/odk.pid
Mode                    sv
Canonicalization        relaxed/simple
MinimumKeyBits          1024
OversignHeaders         From
KeyTable                file:$T/KeyTable
SigningTable            refile:$T/SigningTable
InternalHosts           $T/TrustedHosts
ExternalIgnoreList      csl:192.0.2.0/24, 198.51.100.7
AuthservID              mx.example.com
EOT

"$P" import opendkim "$T/opendkim.conf" >"$T/out.conf" 2>"$T/err"
ok $? "postern import opendkim: exit 0"
diag_file "$T/out.conf"
like "$(cat "$T/err")" '4 item\(s\) not imported' "stderr counts what was not imported (4)"
o=$(cat "$T/out.conf")
like "$o" "socket = \"unix:$T/odk.sock\";" "Socket local:... -> socket unix:..."
like "$o" 'socket_mode = "0660";' "UMask 007 -> socket_mode 0660"
like "$o" 'user = "opendkim";' "UserID user:group -> user"
like "$o" "pid_file = \"$T/odk.pid\";" "PidFile"
like "$o" 'authserv_id = "mx.example.com";' "AuthservID"
like "$o" 'internal_hosts = \[ "127.0.0.1", "::1", "10.0.0.0/8" \];' "InternalHosts file -> internal_hosts"
like "$o" 'trusted_hosts = \[ "192.0.2.0/24", "198.51.100.7" \];' "ExternalIgnoreList list -> trusted_hosts"
like "$o" "keys = \[ \"example.com:s2026:$T/keys/example.com.s2026.pem\"," "KeyTable + SigningTable -> the example.com key"
like "$o" "\"example.net:ed:$T/keys/example.net.ed.pem\" \];" "... and the example.net key"
like "$o" 'sign_subdomains = true;' "a *@*.domain row -> sign_subdomains"
like "$o" 'canonicalization = "relaxed/simple";' "Canonicalization"
like "$o" 'min_key_bits = 1024;' "MinimumKeyBits"
like "$o" '# not imported: not an address or network \(host names are not resolved\): host.example' "host name noted"
like "$o" '# not imported: a negated entry [^:]*: !10.9.0.0/16' "negated network noted"
like "$o" "# not imported: a SigningTable row signing one domain's mail with another's key [^:]*: \\*@example.org" \
	"third-party signing row noted"
like "$o" '# not imported: a key without a postern equivalent [^:]*: OversignHeaders' "unknown key noted"

# the result is a configuration postern accepts, keys and all
{ cat "$T/out.conf"; echo "policy_dir = \"$T/pol\";"; } | sed 's/^user = .*//' >"$T/check.conf"
out=$("$P" -t -c "$T/check.conf" 2>&1)
ok $? "postern -t accepts the imported file"
like "$out" '2 DKIM signing keys loaded' "... with both keys loaded"

# Debian's stock file
if [ -f /etc/opendkim.conf ]; then
	"$P" import opendkim /etc/opendkim.conf >"$T/stock.conf" 2>/dev/null
	ok $? "Debian's /etc/opendkim.conf imports"
	{ cat "$T/stock.conf"; echo "policy_dir = \"$T/pol\";"; } | sed 's/^user = .*//' >"$T/stock-check.conf"
	"$P" -t -c "$T/stock-check.conf" >/dev/null 2>&1
	ok $? "... to a file postern -t accepts"
else
	skip "no /etc/opendkim.conf (opendkim not installed)"
	skip "no /etc/opendkim.conf"
fi

"$P" import >/dev/null 2>&1
is $? 2 "postern import without arguments: exit 2"
"$P" import opendkim "$T/missing.conf" >/dev/null 2>&1
is $? 1 "a missing file: exit 1"

tap_done
