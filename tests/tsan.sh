#!/bin/sh
# tsan.sh - the ThreadSanitizer pass: a clean copy of the sources (make
# distdir) built with -fsanitize=thread, running the tests where threads
# meet: the milter protocol scripts, the authentication classes, DMARC and
# SPF through the daemon, the load client smoke test and tests/milter/load.sh
# (concurrent inbound and outbound load while SIGUSR1 reloads, then a stop
# under load).  Every instrumented process (daemon, tools, load client)
# writes its reports to build-tsan/tsan-report/; a report in postern's
# code fails the pass, and so does one in a library other than libmilter.
# Prints automake's summary; run by tests/run.sh.  Usage: sh tests/tsan.sh
set -u
cd "$(dirname "$0")/.." || exit 1
src=$PWD
dir=$PWD/build-tsan
rm -rf "$dir"
make -s distdir distdir="$dir" >/dev/null || exit 1
cd "$dir" || exit 1
./configure -q --enable-tsan --sysconfdir=/etc >/dev/null || exit 1
make -s -j"$(nproc)" >/dev/null 2>&1 || { make 2>&1 | tail -n 20; exit 1; }
tests="tests/milter/protocol.sh tests/auth/auth.sh tests/milter/load.sh \
tests/dmarc/behaviour.sh tests/dmarc/failure.sh tests/spf/behaviour.sh tests/bench/smoke.sh tests/dkim/interop.sh"
mkdir -p "$dir/tsan-report" "$dir/tsan-probe"
# the probe: a deliberate race in code built here must be reported as ours
# (else a clean pass would prove nothing)
cc=$(sed -n 's/^CC = //p' Makefile)
$cc -fsanitize=thread -g -O1 -pthread tests/tools/tsan_probe.c -o tsan_probe || exit 1
TSAN_OPTIONS="log_path=$dir/tsan-probe/tsan" "$dir/tsan_probe" >/dev/null
# exitcode=0: a report does not change a process's exit status (the
# reports are read from the files below; protocol.sh checks the status);
# PSTN_STOP_BOUND_MS: the instrumented daemon exits more slowly
PSTN_STOP_BOUND_MS=4000 TSAN_OPTIONS="log_path=$dir/tsan-report/tsan halt_on_error=0 exitcode=0 second_deadlock_stack=1 suppressions=$src/tests/tsan.supp" \
	make -j"$(nproc)" check TESTS="$tests" >check.out 2>&1
st=$?
grep -E '^(FAIL|ERROR|XPASS):' check.out
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR|XPASS|XFAIL):' check.out
# A report with a frame in code postern builds (a source file under
# filter/, contrib/ or tests/) is postern's and fails the pass, and so does
# one in any library but libmilter.  Reports whose every frame lies in
# libmilter (and libc/TSan under it) are listed, not failed: they are
# libmilter's own stop sequence (its listener destroys mutexes that its
# signal thread and worker pool still use; docs/NOTES-tsan.md).
# classify REPORTDIR PREFIX: split the reports into PREFIX-own.txt,
# PREFIX-libmilter.txt and PREFIX-other.txt
classify() {
	: >"$2-own.txt"; : >"$2-libmilter.txt"; : >"$2-other.txt"
	for f in "$1"/tsan.*; do
		[ -f "$f" ] || continue
		awk -v out="$2-" '
			/^WARNING: ThreadSanitizer/ { rep = ""; mine = 0; milter = 0; inrep = 1 }
			inrep && /^ +#[0-9]+ .* (filter|contrib|tests)\/[A-Za-z0-9_\/.-]+\.c:[0-9]+/ { mine = 1 }
			inrep && /libmilter\.so/ { milter = 1 }
			inrep { rep = rep $0 "\n" }
			inrep && /^SUMMARY: ThreadSanitizer/ {
				printf "%s", rep >> (out (mine ? "own" : milter ? "libmilter" : "other") ".txt")
				inrep = 0
			}' "$f"
	done
}
classify "$dir/tsan-report" "$dir/tsan"
n() { grep -c '^WARNING: ThreadSanitizer' "$dir/tsan-$1.txt"; }
echo "ThreadSanitizer reports: $(n own) in postern's code, $(n other) in other libraries, $(n libmilter) inside libmilter's stop sequence (listed, not postern's)"
grep -h '^SUMMARY: ThreadSanitizer' "$dir/tsan-libmilter.txt" | sed -E 's|\(/[^ ]*/([^/ ]+)\+0x[0-9a-f]+\)|\1|; s|[^ ]*/||' | sort | uniq -c
classify "$dir/tsan-probe" "$dir/probe"
probe=$(grep -c '^WARNING: ThreadSanitizer: data race' "$dir/probe-own.txt")
echo "ThreadSanitizer probe (a deliberate race): $probe reported as postern's"
bad=$(( $(n own) + $(n other) ))
[ "$probe" -ge 1 ] || { echo "the probe's race was not caught: the pass cannot fail"; bad=$((bad + 1)); }
if [ "$bad" -gt 0 ]; then
	cat "$dir/tsan-own.txt" "$dir/tsan-other.txt" | head -n 150
	echo "# ERROR: $bad"   # counted by tests/run.sh
	st=1
fi
exit $st
