#!/bin/bash
# interop.sh - DKIM through the running daemon with miltertest, and
# interoperability with a real peer: Debian's OpenDKIM.
#   postern signs (RSA-2048 + Ed25519, keys from postern-keygen) -> OpenDKIM
#   (verify mode) says pass for both; OpenDKIM signs (RSA, Ed25519) ->
#   postern says pass; postern -> postern pass; a changed body -> fail;
#   a key whose DNS times out -> temperror and the policy's action.
# Keys are served by the loopback DNS fixture to both daemons.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
OPENDKIM=${OPENDKIM:-$(command -v opendkim || echo /usr/sbin/opendkim)}
KEYGEN=$build/postern-keygen
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed"
[ -x "$OPENDKIM" ] || bail_out "opendkim not installed (apt-get install opendkim)"
tmpdir_make
T=$TEST_TMPDIR
mkdir -m 700 "$T/keys"

# keys: postern's own (example.com) and OpenDKIM's (example.org)
for k in "example.com rsa1 rsa" "example.com ed1 ed25519" "example.org odkrsa rsa" "example.org odked ed25519" \
	"slow.example slow rsa" "legacy.example pk1 rsa"; do
	set -- $k
	"$KEYGEN" -d "$1" -s "$2" -a "$3" -o "$T/keys" >/dev/null
	ok $? "postern-keygen -d $1 -s $2 -a $3"
done
st=$(stat -c %a "$T/keys/example.com.rsa1.pem")
is "$st" "600" "private key written with mode 0600"
# zone-file lines -> fixture data
for f in "$T"/keys/*.txt; do
	sed -E 's/ IN TXT \( (.*) \)$/ 300 TXT \1/' "$f"
done | grep -v '^slow\._domainkey\|^pk1\._domainkey' >"$T/zone.txt"
# legacy.example publishes its key as a PKCS#1 RSAPublicKey with RFC 4871's
# g= (a granularity no i= matches): libopendkim refuses both, RFC 6376 and
# postern take the key (PKCS#1 wrapped into SubjectPublicKeyInfo, g= ignored)
pk1=$(openssl pkey -in "$T/keys/legacy.example.pk1.pem" -pubout -outform DER 2>/dev/null |
	openssl rsa -pubin -inform DER -RSAPublicKey_out -outform DER 2>/dev/null | base64 -w0)
[ -n "$pk1" ] || bail_out "openssl could not write the PKCS#1 key"
echo "pk1._domainkey.legacy.example. 300 TXT \"v=DKIM1; k=rsa; g=nobody; p=${pk1:0:200}\" \"${pk1:200}\"" >>"$T/zone.txt"
echo "TIMEOUT slow._domainkey.slow.example." >>"$T/zone.txt"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"

mkdir -p "$T/policies"
cat >"$T/policies/slow.example.conf" <<'POL'
dkim = { dns_error_action = "tempfail"; };
POL
cat >"$T/policies/strict.example.conf" <<'POL'
dkim = { require_signature_from = [ "example.com" ]; };
POL
cat >"$T/policies/watch.example.conf" <<'POL'
mode = "observe";
dkim = { require_signature_from = [ "example.com" ]; };
POL
postern_start "$T/policies" "
dns = { nameservers = [ \"$DNS_ADDR@$DNS_PORT\" ]; timeout = 1000; };
dkim = { keys = [ \"example.com:rsa1:$T/keys/example.com.rsa1.pem\",
                  \"example.com:ed1:$T/keys/example.com.ed1.pem\",
                  \"slow.example:slow:$T/keys/slow.example.slow.pem\",
                  \"legacy.example:pk1:$T/keys/legacy.example.pk1.pem\" ]; };
" || bail_out "postern did not start"

# OpenDKIM: one verifier, one signer per algorithm (it signs with one
# algorithm per instance)
odk_start() {   # odk_start NAME MODE [extra config lines]: sets ODK_SOCK_<NAME>
	local name=$1 mode=$2 port
	port=$(free_port)
	cat >"$T/odk-$name.conf" <<CONF
Syslog no
Background no
Mode $mode
Socket inet:$port@127.0.0.1
AuthservID odk.test
Nameservers $DNS_ADDR@$DNS_PORT
Canonicalization relaxed/relaxed
RequireSafeKeys false
PidFile $T/odk-$name.pid
$3
CONF
	spawn _reaper "$T/odk-$name.log" "$OPENDKIM" -f -x "$T/odk-$name.conf"
	_postern_wait_port "$port" || { diag_file "$T/odk-$name.log"; return 1; }
	eval "ODK_SOCK_$name=inet:$port@127.0.0.1"
}
odk_start verify v "" || bail_out "opendkim (verify) did not start"
odk_start rsa s "Domain example.org
Selector odkrsa
KeyFile $T/keys/example.org.odkrsa.pem" || bail_out "opendkim (rsa signer) did not start"
odk_start ed s "Domain example.org
Selector odked
KeyFile $T/keys/example.org.odked.pem
SignatureAlgorithm ed25519-sha256" || bail_out "opendkim (ed25519 signer) did not start"

rt() {   # rt WHAT -D ...: one round trip = one TAP test
	local what=$1 out
	shift
	local st
	out=$("$MILTERTEST" -w -D libdir="$here/tests/milter" "$@" -s "$here/tests/dkim/roundtrip.lua" 2>&1)
	st=$?
	ok $st "$what"
	[ $st -eq 0 ] || { diag "$out"; diag "rc=$st"; [ -n "$DEBUG" ] && for f in "$T"/odk-*.log; do diag_file "$f"; done; }
}

rt "postern signs RSA + Ed25519, OpenDKIM verifies both as pass" \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=2 \
	-D verifier="$ODK_SOCK_verify" -D verifyip=192.0.2.10 \
	-D want1="dkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com header.a=rsa-sha256 header.s=rsa1" \
	-D want2="header.d=example.com header.i=@example.com header.a=ed25519-sha256 header.s=ed1"
rt "postern signs, postern verifies both as pass" \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=2 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 \
	-D want1="dkim=pass (2048-bit key) header.d=example.com header.i=@example.com header.s=rsa1 header.a=rsa-sha256" \
	-D want2="dkim=pass header.d=example.com header.i=@example.com header.s=ed1 header.a=ed25519-sha256"
rt "OpenDKIM signs RSA, postern verifies as pass" -D domain=example.org \
	-D signer="$ODK_SOCK_rsa" -D signip=127.0.0.1 -D nsig=1 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 \
	-D want1="dkim=pass (2048-bit key) header.d=example.org header.i=@example.org header.s=odkrsa header.a=rsa-sha256"
rt "OpenDKIM signs Ed25519, postern verifies as pass" -D domain=example.org \
	-D signer="$ODK_SOCK_ed" -D signip=127.0.0.1 -D nsig=1 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 \
	-D want1="dkim=pass header.d=example.org header.i=@example.org header.s=odked header.a=ed25519-sha256"
rt "a one-byte body change: dkim=fail for both signatures" \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=2 -D body=$'Hello,\r\nthis is a tesT.\r\n\r\n-- \r\nAlice\r\n' \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 \
	-D want1="dkim=fail reason=\"body hash did not verify\" header.d=example.com header.i=@example.com header.s=rsa1" \
	-D want2="dkim=fail reason=\"body hash did not verify\" header.d=example.com header.i=@example.com header.s=ed1"
rt "OpenDKIM agrees: the changed body fails" \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=2 -D body=$'Hello,\r\nthis is a tesT.\r\n' \
	-D verifier="$ODK_SOCK_verify" -D verifyip=192.0.2.10 \
	-D want1="dkim=fail" -D want2="header.s=rsa1"

# policy: a key whose DNS lookup times out, under dns_error_action = tempfail
rt "key DNS timeout under dns_error_action=tempfail: 451 4.7.5" \
	-D domain=slow.example -D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=1 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 -D rcpt_to="<u@slow.example>" \
	-D reply=451 -D xcode=4.7.5 -D qid=SLOW1
grep -q 'SLOW1: eom: .*verdict=tempfail check=dkim reply="451 4.7.5 DKIM key lookup failed' "$PSTN_LOG"
ok $? "... logged with its reply"
rt "key DNS timeout under the default policy: dkim=temperror, accepted" \
	-D domain=slow.example -D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=1 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 \
	-D want1="dkim=temperror reason=\"key lookup failed\" header.d=slow.example"
rt "a PKCS#1 RSAPublicKey key record with g=: postern verifies as pass" -D domain=legacy.example \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=1 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 \
	-D want1="dkim=pass (2048-bit key) header.d=legacy.example header.i=@legacy.example header.s=pk1"
rt "require_signature_from: unsigned mail from example.com refused 550 5.7.20" \
	-D nsig=0 -D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 -D rcpt_to="<u@strict.example>" \
	-D reply=550 -D xcode=5.7.20 -D qid=REQ1
grep -q 'REQ1: eom: .*dkim=none verdict=reject check=dkim reply="550 5.7.20 no valid DKIM signature from example.com' "$PSTN_LOG"
ok $? "... logged with its reply"
rt "observe mode: the same unsigned mail is accepted" \
	-D nsig=0 -D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 -D rcpt_to="<u@watch.example>" \
	-D qid=OBS1 -D want1="mx.test.example"
grep -q 'OBS1: eom: .*verdict=accept observe_would=reject check=dkim' "$PSTN_LOG"
ok $? "... and logged as observe_would=reject"
rt "require_signature_from: signed mail from example.com passes" \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=2 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 -D rcpt_to="<u@strict.example>" \
	-D want1="dkim=pass (2048-bit key) header.d=example.com"
rt "broken signature under the default policy: accepted with dkim=fail (RFC 6376 6.3)" \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=2 -D body=$'changed\r\n' \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 -D want1="dkim=fail"

# SIGUSR1 reload: the key table belongs to the snapshot.  A new key list
# takes effect without a restart; a reload with a bad key is refused and
# the running keys stay.
wait_log() { for _ in $(seq 1 50); do grep -qE "$1" "$PSTN_LOG" && return 0; sleep 0.1; done; return 1; }
sed -i 's|"example.com:rsa1:[^"]*",||' "$PSTN_CONF"
kill -USR1 "$PSTN_PID"
wait_log 'configuration reloaded'; ok $? "SIGUSR1 reloads the key table"
rt "after the reload only the Ed25519 key signs" \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=1 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 \
	-D want1="dkim=pass header.d=example.com header.i=@example.com header.s=ed1 header.a=ed25519-sha256"
chmod 644 "$T/keys/example.com.ed1.pem"
kill -USR1 "$PSTN_PID"
wait_log 'reload failed, keeping the running configuration: .*example.com.ed1.pem: private key is accessible by group or others'
ok $? "a reload with a world-readable key is refused with the reason"
chmod 600 "$T/keys/example.com.ed1.pem"
rt "the running keys still sign after the refused reload" \
	-D signer="$PSTN_SOCK" -D signip=10.1.2.3 -D nsig=1 \
	-D verifier="$PSTN_SOCK" -D verifyip=192.0.2.10 -D want1="dkim=pass header.d=example.com"

# key checks: postern -t reports a readable key; --check-keys compares DNS
cat >"$T/keys.conf" <<CONF
policy_dir = "$T/policies";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; timeout = 1000; };
dkim = { keys = [ "example.com:rsa1:$T/keys/example.com.rsa1.pem", "example.com:ed1:$T/keys/example.com.ed1.pem" ]; };
CONF
out=$("$POSTERN" -t --check-keys -c "$T/keys.conf" 2>&1)
ok $? "postern -t --check-keys: keys match their DNS records"
like "$out" "rsa1._domainkey.example.com: matches .*example.com.rsa1.pem \\(rsa, 2048 bits\\)" "RSA key matches"
like "$out" "ed1._domainkey.example.com: matches .*\\(ed25519, 256 bits\\)" "Ed25519 key matches"
sed "s/example.com:ed1:/example.com:rsa1:/; s/example.com.ed1.pem/example.org.odkrsa.pem/" "$T/keys.conf" >"$T/keys-bad.conf"
out=$("$POSTERN" -t --check-keys -c "$T/keys-bad.conf" 2>&1)
[ $? -ne 0 ]; ok $? "--check-keys fails for a key that does not match its record"
like "$out" "published key does not match .*example.org.odkrsa.pem" "mismatch named"
sed "s/example.com:ed1:/example.com:nosuch:/" "$T/keys.conf" >"$T/keys-none.conf"
out=$("$POSTERN" -t --check-keys -c "$T/keys-none.conf" 2>&1)
[ $? -ne 0 ]; ok $? "--check-keys fails for a selector without a record"
like "$out" "nosuch._domainkey.example.com: no TXT record \\(nxdomain\\)" "missing record named"
chmod 640 "$T/keys/example.com.rsa1.pem"
out=$("$POSTERN" -t -c "$T/keys.conf" 2>&1)
[ $? -ne 0 ]; ok $? "postern -t refuses a group-readable private key"
like "$out" "dkim.keys: .*example.com.rsa1.pem: private key is accessible by group or others \\(mode 0640\\); run chmod 600" "... with a clear message"
chmod 600 "$T/keys/example.com.rsa1.pem"
chmod 777 "$T/keys"
out=$("$POSTERN" -t -c "$T/keys.conf" 2>&1)
[ $? -ne 0 ]; ok $? "postern -t refuses a key in a world-writable directory"
like "$out" "key directory .* is writable by others" "... with a clear message"
chmod 700 "$T/keys"
tap_done
