#!/bin/sh
# run.sh - install what is missing, build, run the whole test suite (unit,
# fuzz corpus replay, CLI, DNS fixture, milter protocol, Postfix end to
# end) and print "N passed, N failed" from automake's test summary.
set -u
cd "$(dirname "$0")/.."
sh contrib/deps.sh || exit 1
sh contrib/build.sh || exit 1
make -j"$(nproc)" check >tests/run.log 2>&1
status=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' tests/run.log | grep -v '^PASS' || true
summary=test-suite.log
[ -f "$summary" ] || { echo "no test summary (build or harness failure):"; tail -n 40 tests/run.log; echo "0 passed, 1 failed"; exit 1; }
grep -h '^SPF RFC 7208: ' tests/spf/rfc7208.log 2>/dev/null || true
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR|XPASS|XFAIL):' tests/run.log | tail -n 7
pass=$(sed -n 's/^# PASS: *//p' tests/run.log | tail -n 1)
skip=$(sed -n 's/^# SKIP: *//p' tests/run.log | tail -n 1)
fail=$(sed -n 's/^# FAIL: *//p' tests/run.log | tail -n 1)
err=$(sed -n 's/^# ERROR: *//p' tests/run.log | tail -n 1)
xpass=$(sed -n 's/^# XPASS: *//p' tests/run.log | tail -n 1)
failed=$(( ${fail:-0} + ${err:-0} + ${xpass:-0} ))
[ "$failed" -gt 0 ] && [ -f "$summary" ] && grep -E '^(not ok|Bail out|# )' "$summary" | head -n 60
if [ "${skip:-0}" -gt 0 ]; then
	echo "${pass:-0} passed, $failed failed, ${skip} skipped"
else
	echo "${pass:-0} passed, $failed failed"
fi
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
