#!/bin/sh
# run.sh - install what is missing, build, run the whole test suite and
# print "N passed, N failed" from automake's test summaries:
#   1. `make check`: unit, fuzz corpus replay, CLI, explain, DNS fixture,
#      milter protocol, daemon, Postfix end to end;
#   2. tests/sanitize.sh: the same minus Postfix, built with ASan+UBSan+LSan;
#   3. tests/tsan.sh: the threaded tests (protocol, load with reloads, stop
#      under load) built with ThreadSanitizer.
set -u
cd "$(dirname "$0")/.." || exit 1
sh contrib/deps.sh || exit 1
sh contrib/build.sh || exit 1

count() {   # count KEY FILE: the number on automake's "# KEY: N" line
	sed -n "s/^# $1: *//p" "$2" | tail -n 1
}

make -j"$(nproc)" check >tests/run.log 2>&1
status=$?
echo "== make check"
grep -h '^SPF RFC 7208: ' tests/spf/rfc7208.log 2>/dev/null || true
grep -h '^# DKIM vectors: ' tests/dkim/vectors.log 2>/dev/null | head -n 1 | sed 's/^# //' || true
grep -h '^# ARC suite: ' tests/arc/suite.log 2>/dev/null | head -n 1 | sed 's/^# //' || true
grep -E '^(FAIL|ERROR|XPASS):' tests/run.log
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' tests/run.log
[ -f test-suite.log ] && grep -E '^(not ok|Bail out)' test-suite.log | head -n 40

echo "== sanitizer pass (ASan, UBSan, LSan)"
sh tests/sanitize.sh >tests/sanitize.log 2>&1
sstatus=$?
cat tests/sanitize.log

echo "== ThreadSanitizer pass"
sh tests/tsan.sh >tests/tsan.log 2>&1
tstatus=$?
cat tests/tsan.log

pass=0 fail=0 skip=0
for f in tests/run.log tests/sanitize.log tests/tsan.log; do
	p=$(count PASS "$f"); s=$(count SKIP "$f")
	x=$(( $(count FAIL "$f" || echo 0) + 0 ))
	e=$(count ERROR "$f"); xp=$(count XPASS "$f")
	if [ -z "$p" ]; then   # no summary at all: the harness itself failed
		fail=$((fail + 1))
		continue
	fi
	pass=$((pass + p)); skip=$((skip + ${s:-0}))
	fail=$((fail + x + ${e:-0} + ${xp:-0}))
done
[ $status -ne 0 ] && [ $fail -eq 0 ] && fail=1
[ $sstatus -ne 0 ] && [ $fail -eq 0 ] && fail=1
[ $tstatus -ne 0 ] && [ $fail -eq 0 ] && fail=1
[ "$skip" -gt 0 ] && echo "($skip skipped: see the SKIP lines above)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
