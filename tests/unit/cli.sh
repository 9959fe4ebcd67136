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

# the README's reference is the output of postern -k (paths as installed)
ref=$("$P" -k | sed 's|`[^`]*/postern/policies`|`/etc/postern/policies`|')
doc=$(sed -n '/^<!-- postern -k -->$/,/^<!-- end postern -k -->$/p' "$here/README.md" | sed '1d;$d')
is "$doc" "$ref" "README's key reference equals postern -k"

"$P" -c /nonexistent.conf -t >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "a missing config file is an error"
"$P" -x >/dev/null 2>&1
[ $? -eq 2 ]; ok $? "an unknown option exits 2"
tap_done
