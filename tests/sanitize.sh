#!/bin/sh
# sanitize.sh - the sanitizer pass: a clean copy of the sources (make
# distdir) built with ASan + UBSan (+ LeakSanitizer), running every test
# except the Postfix end-to-end ones (the same daemon code runs under the
# protocol tests).  Prints automake's summary; run by tests/run.sh after the
# main suite.  Usage: sh tests/sanitize.sh (from a configured source tree).
set -u
cd "$(dirname "$0")/.." || exit 1
dir=$PWD/build-asan
# the outside corpora sit beside the clone, not beside build-asan/
[ -d ../shared/corpora ] && POSTERN_CORPORA=$(cd ../shared/corpora && pwd) && export POSTERN_CORPORA
rm -rf "$dir"
make -s distdir distdir="$dir" >/dev/null || exit 1
cd "$dir" || exit 1
./configure -q --enable-sanitizers --sysconfdir=/etc >/dev/null || exit 1
make -s -j"$(nproc)" >/dev/null 2>&1 || { make 2>&1 | tail -n 20; exit 1; }
tests=$(make -s print-tests | tr ' ' '\n' | grep -v -e '^tests/e2e/' -e '^tests/lib/selftest' | tr '\n' ' ')
# PSTN_STOP_BOUND_MS: the instrumented daemon exits more slowly (protocol.sh)
PSTN_STOP_BOUND_MS=4000 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	make -j"$(nproc)" check TESTS="$tests" >check.out 2>&1
st=$?
grep -E '^(FAIL|ERROR|XPASS):' check.out
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR|XPASS|XFAIL):' check.out
[ $st -eq 0 ] || grep -h -A30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error' tests/*/*.log tests/*.log 2>/dev/null | head -n 60
exit $st
