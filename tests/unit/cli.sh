#!/bin/bash
# cli.sh - the command line: -V, -t on good and bad configurations
# (file:line: key: problem, non-zero exit), -n, bad options.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
P="$build/postern"
tmpdir_make
cd "$TEST_TMPDIR" || bail_out "no tmpdir"

out=$("$P" -V); st=$?
ok $st "-V exits 0"
like "$out" '^postern [0-9]+\.[0-9]+\.[0-9]+$' "-V prints the version"

cp -r "$here/policies" pol && chmod -R u+w pol
cat > good.conf <<CONF
socket = "unix:$TEST_TMPDIR/p.sock";
policy_dir = "$TEST_TMPDIR/pol";
authserv_id = "mx.test.example";
CONF
out=$("$P" -t -c good.conf 2>&1); st=$?
ok $st "-t accepts a valid configuration"
like "$out" "good.conf and 1 domain policies are valid" "-t says what it checked"

# the shipped example configuration is valid apart from its paths
sed "s|/etc/postern/policies|$TEST_TMPDIR/pol|" "$here/contrib/postern.conf" > shipped.conf
"$P" -t -c shipped.conf >/dev/null 2>&1
ok $? "contrib/postern.conf is valid"

cat > bad.conf <<CONF
socket = "unix:$TEST_TMPDIR/p.sock";
policy_dir = "$TEST_TMPDIR/pol";
dns = { timeout = 1; };
internal_hosts = [ "10.0.0.1/8" ];
bogus = 1;
CONF
out=$("$P" -t -c bad.conf 2>&1); st=$?
[ $st -ne 0 ]; ok $? "-t exits non-zero on a bad configuration"
like "$out" "bad.conf:3: dns.timeout: value out of range" "-t names file:line:key (range)"
like "$out" "bad.conf:4: internal_hosts: element 1" "-t names file:line:key (cidr)"
like "$out" "bad.conf:5: bogus: unknown key" "-t names file:line:key (unknown)"

echo 'oversize_action = "bounce";' > pol/example.com.conf
out=$("$P" -t -c good.conf 2>&1); st=$?
[ $st -ne 0 ]; ok $? "-t exits non-zero on a bad policy"
like "$out" "pol/example.com.conf:1: oversize_action: expected accept" "-t names the policy file"
cp "$here/policies/example.com.conf" pol/

# the SPF keys' names before 0.2 still work, with a warning naming file:line
printf 'spf_fail_action = "tag";\nspf = { softfail_action = "reject"; };\n' > pol/old.example.conf
out=$("$P" -t -c good.conf 2>&1); st=$?
ok $st "-t accepts a deprecated key name"
like "$out" "warning: .*pol/old.example.conf:1: spf_fail_action: deprecated name, use spf.fail_action" \
	"-t warns about a deprecated key name with file:line"
out=$("$P" -n -c good.conf 2>&1)
like "$out" "$(printf '# policy old.example[^#]*fail_action = "tag";[^#]*softfail_action = "reject";')" \
	"the deprecated name sets the new key"
rm pol/old.example.conf

out=$("$P" -n -c good.conf 2>&1); st=$?
ok $st "-n exits 0"
like "$out" 'authserv_id = "mx.test.example";' "-n prints the main config"
like "$out" 'timeout = 5000;' "-n prints defaults inside groups"
like "$out" '# policy example.com \(from .*example.com.conf\)' "-n prints each policy"
like "$out" 'max_message_size = 10485760;' "-n prints the effective policy values"
like "$out" 'senders = \[ "bulk-mailer.example" \]; // 1 entry' "-n prints a list with its size"
like "$out" 'map = \[ "\*@domain", "helpdesk support@example.com, noreply@example.com" \]; // 2 entries' \
	"-n prints the sender-login map"

# policy lists: bad entries and bad list-file lines are file:line: key errors
mkdir lp && printf 'x.example\n\n# c\n10.0.0.0/8\n' > lp/nets.txt
cat > lp/a.example.conf <<'POL'
deny = {
  clients = [ "192.0.2.0/24", "file:nets.txt" ];
  senders = [ "ok@a.example", "bad@@a.example" ];
};
allow = { skip = [ "spf", "signing" ]; };
sender_login = { map = [ "alice" ]; };
POL
sed "s|$TEST_TMPDIR/pol|$TEST_TMPDIR/lp|" good.conf > lp.conf
out=$("$P" -t -c lp.conf 2>&1); st=$?
[ $st -ne 0 ]; ok $? "-t exits non-zero on bad list entries"
like "$out" 'lp/nets.txt:1: deny.clients: not an IPv4/IPv6 address or prefix' "-t names list-file:line: key"
like "$out" 'a.example.conf:3: deny.senders: element 2: "bad@@a.example": not an address' "-t names a bad inline entry"
like "$out" 'a.example.conf:5: allow.skip: element 2: "signing": not one of the allowed values' "-t names a bad allow.skip value"
like "$out" 'a.example.conf:6: sender_login.map: element 1: "alice": expected LOGIN' "-t names a bad login row"
printf '# login map\nhelpdesk support@a.example\nnobody\n' > lp/logins.txt
printf 'sender_login = { map = [ "*@domain", "file:logins.txt" ]; };\n' > lp/a.example.conf
out=$("$P" -t -c lp.conf 2>&1)
like "$out" 'lp/logins.txt:3: sender_login.map: expected LOGIN' "-t names a bad row of a login map file"
printf 'deny = { clients = [ "file:missing.txt" ]; };\n' > lp/a.example.conf
out=$("$P" -t -c lp.conf 2>&1)
like "$out" 'lp/missing.txt:0: deny.clients: cannot read' "-t names a missing list file"
printf 'deny = { clients = [ "file:nets.txt" ]; };\n' > lp/a.example.conf
sed -i 1d lp/nets.txt
out=$("$P" -n -c lp.conf 2>&1); st=$?
ok $st "a valid list file loads"
like "$out" 'clients = \[ "file:[^"]*lp/nets.txt" \]; // 1 entry' "-n names the list file and its size"

# the README's reference is the output of postern -k (paths as installed)
ref=$("$P" -k | sed 's|`[^`]*/postern/policies`|`/etc/postern/policies`|')
doc=$(sed -n '/^<!-- postern -k -->$/,/^<!-- end postern -k -->$/p' "$here/README.md" | sed '1d;$d')
is "$doc" "$ref" "README's key reference equals postern -k"

"$P" -c /nonexistent.conf -t >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "a missing config file is an error"
"$P" -x >/dev/null 2>&1
[ $? -eq 2 ]; ok $? "an unknown option exits 2"
tap_done
