#!/bin/bash
# replay.sh - replays each fuzz target's corpus (tests/fuzz/corpus/NAME)
# through the target built as a plain runner; a crash or sanitizer report
# fails the test.  New findings of `make fuzz` runs belong in the corpus.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
tmpdir_make
for t in authres cidr config eml addr dmarc dmarc_spool dmarc_failure dkim mime mime_header spf_record lookup spam json import message classify arc smtp bodycanon; do
	bin="$build/tests/fuzz/fuzz_$t"
	out=$("$bin" "$here/tests/fuzz/corpus/$t" 2>&1)
	st=$?
	ok $st "fuzz_$t replays its corpus ($out)"
	[ $st -eq 0 ] || diag "$out"
done
tap_done
