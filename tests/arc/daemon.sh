#!/bin/bash
# daemon.sh - ARC through the running daemon driven by miltertest: messages
# of the Valimail suite (tests/data/arc) with its keys and a p=reject DMARC
# record for their From domain on the loopback DNS fixture.  A passing
# chain sealed by example.org (dmarc.trusted_forwarders of the default
# policy) is accepted despite the DMARC failure (A-R arc=pass with
# smtp.remote-ip and header.oldest-pass, override in the log); a broken
# chain, no chain, or a recipient whose policy trusts no sealer: refused.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
tmpdir_make
T=$TEST_TMPDIR
mkdir -p "$T/m" "$T/policies"
python3 "$here/tests/arc/convert.py" "$here/tests/data/arc/arc-draft-validation-tests.yml" "$T/m" ||
	bail_out "suite conversion"
{ cat "$T/m/zone.txt"; echo '_dmarc.d1.example.org. 300 TXT "v=DMARC1; p=reject"'; } >"$T/zone.txt"
python3 "$here/tests/arc/mklua.py" "$here/tests/data/arc/arc-draft-validation-tests.yml" "$T/arc.lua" ||
	bail_out "lua generation"
echo 'dmarc = { trusted_forwarders = [ "example.org" ]; };' >"$T/policies/default.conf"
echo 'dmarc = { trusted_forwarders = [ "other.example" ]; };' >"$T/policies/strict.example.conf"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
postern_start "$T/policies" || bail_out "postern did not start"
out="$T/arc.out"
"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -s "$T/arc.lua" >"$out" 2>&1
st=$?; ok $st "miltertest arc.lua"
[ $st -eq 0 ] || diag_file "$out"
logged() { grep -qE "$1" "$PSTN_LOG"; ok $? "$2" || { grep -o "${1%%:*}: eom: .*" "$PSTN_LOG" | sed "s/^/# /"; }; }
logged 'ARC1: eom: .*arc=pass\(i=2,sealer=example.org\) .*dmarc=fail\(p=reject\) .*dmarc_override=trusted_forwarder\(arc:example.org\) .*verdict=accept' "trusted sealer: DMARC failure accepted"
logged 'ARC2: eom: .*arc=fail\(AS i=2: signature does not verify\) .*verdict=reject check=dmarc' "broken chain: refused"
logged 'ARC3: eom: .*arc=none .*verdict=reject check=dmarc' "no chain: refused"
logged 'ARC4: eom: .*arc=pass\(i=2,sealer=example.org\) .*verdict=reject check=dmarc' "sealer not trusted by the recipient's policy: refused"
logged 'ARC5: eom: .*arc=pass\(i=1,sealer=example.org\) .*verdict=accept' "one-instance chain accepted"
logged 'ARC6: eom: .*arc=pass\(i=2,sealer=example.org\) .*verdict=accept' "AMS(1) broken, chain passes"
logged 'ARC7: eom: .*arc=pass\(i=1,sealer=example.org\) .*verdict=accept' "IPv6 client"
postern_stop
tap_done
