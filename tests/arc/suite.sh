#!/bin/bash
# suite.sh - ARC verification (filter/arc/) against the Valimail ARC test
# suite (tests/data/arc, its validation part: 171 messages with their DKIM
# key records and the expected cv=).  tests/arc/convert.py writes each
# message and the zone; the keys are served by the loopback DNS fixture;
# tests/tools/arcrun runs each message through the engine.  Known,
# explained deviations are in tests/data/arc/DEVIATIONS ("NAME expected got
# reason...") and must match exactly.  Prints "ARC suite: N/M as expected".
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"

DATA=$here/tests/data/arc
RUN=$build/tests/tools/arcrun
[ -x "$RUN" ] || bail_out "$RUN not built"
tmpdir_make
T=$TEST_TMPDIR
mkdir -p "$T/m"
python3 "$here/tests/arc/convert.py" "$DATA/arc-draft-validation-tests.yml" "$T/m" ||
	bail_out "suite conversion"
dns_start "$T/m/zone.txt" || bail_out "DNS fixture did not start"

cd "$T/m" || bail_out "no $T/m"
# shellcheck disable=SC2046
"$RUN" -s "$DNS_ADDR@$DNS_PORT" $(awk '{print $1 ".eml"}' expected) >"$T/out.txt" 2>"$T/err.txt"
ok $? "arcrun replayed $(wc -l <expected) messages"
[ -s "$T/err.txt" ] && diag_file "$T/err.txt"

python3 - "$T/out.txt" expected "$DATA/DEVIATIONS" >"$T/cmp.txt" <<'PY'
import sys
got = {}
for line in open(sys.argv[1]):
    f, cv, rest = line.rstrip("\n").split(" ", 2)
    got[f[:-4]] = (cv, rest)
dev = {}
for l in open(sys.argv[3]):
    if l.strip() and not l.startswith("#"):
        n, e, g = l.split()[:3]
        dev[n] = (e, g)
n = good = accepted = 0
for l in open(sys.argv[2]):
    name, want = l.split()
    cv, rest = got.get(name, ("missing", ""))
    n += 1
    if cv == want:
        good += 1; st = "expected"
    elif dev.get(name) == (want, cv):
        accepted += 1; st = "deviation"
    else:
        st = "UNEXPECTED"
    print(f"{st} {name} expected={want} got={cv} {rest}")
print(f"SUMMARY {good} {n} {accepted}")
PY
read -r _ good total accepted < <(grep '^SUMMARY' "$T/cmp.txt")
while read -r st f rest; do
	case $st in
	expected) ok 0 "$f $rest" ;;
	deviation) ok 0 "$f $rest (accepted deviation, see DEVIATIONS)" ;;
	UNEXPECTED) ok 1 "$f $rest" ;;
	esac
done < <(grep -v '^SUMMARY' "$T/cmp.txt")
# instance limits beyond the suite, from its passing i=1 message: every
# i=1 made i=51 (over RFC 8617's 50), or i=2 (a gap: no set 1)
sed 's/\bi=1;/i=51;/' cv_pass_i1_1.eml >"$T/i51.eml"
sed 's/\bi=1;/i=2;/' cv_pass_i1_1.eml >"$T/gap.eml"
like "$("$RUN" -s "$DNS_ADDR@$DNS_PORT" "$T/i51.eml")" ' fail 0 - \(ARC-[A-Za-z-]+ without a valid i=\)$' "i=51: fail (instances 1..50)"
like "$("$RUN" -s "$DNS_ADDR@$DNS_PORT" "$T/gap.eml")" ' fail 0 - \(no ARC-Authentication-Results with i=1\)$' "sets 2 without 1: fail"
like "$("$RUN" -s "$DNS_ADDR@$DNS_PORT" cv_pass_i1_1.eml)" ' pass 0 example.org \(\)$' "the unchanged message passes"
# the body hash streams: 1- and 3-byte chunks give the same results
for k in 1 3; do
	# shellcheck disable=SC2046
	"$RUN" -s "$DNS_ADDR@$DNS_PORT" -k $k $(awk '{print $1 ".eml"}' expected) >"$T/out-$k.txt" 2>&1
	cmp -s "$T/out.txt" "$T/out-$k.txt"
	ok $? "body in $k-byte chunks: the same $(wc -l <"$T/out-$k.txt") results"
done
diag "ARC suite: $good/$total as expected ($accepted accepted deviations listed in tests/data/arc/DEVIATIONS)"
echo "# ARC suite: $good/$total as expected"
# the count cannot silently drop: every message expected or explained
is "$((good + accepted))" "$total" "every suite message as expected or an explained deviation"
tap_done
