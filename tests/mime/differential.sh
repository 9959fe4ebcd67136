#!/bin/bash
# differential.sh - what postern's scanner sees against what Python's email
# package and zipfile find (tests/mime/differential.py): every message of
# tests/data and of the stalwart, mimekit and spamassassin corpora
# (../shared/corpora, or POSTERN_CORPORA), plus one mutant of each class
# (padding, case, quoting, bare LF/CR, missing close delimiter, nested
# encoding, zip header lies) of every message of tests/data with a name or
# a zip.  A name, a decoded size or a zip entry that Python sees and postern
# does not fails, unless listed with its reason in
# tests/data/mime/DIFFERENTIAL.  The long mutant campaign (docs/ATTACHMENTS.md)
# runs the same tool with --mutants N over everything.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
command -v python3 >/dev/null || skip_all "python3 not installed"
corpora=${POSTERN_CORPORA:-$here/../shared/corpora}
scan=$build/tests/tools/mimescan
list=$here/tests/data/mime/DIFFERENTIAL
tmpdir_make

run() {   # DESC ARGS...: one TAP test
	local desc=$1
	shift
	python3 "$here/tests/mime/differential.py" --exceptions "$list" "$scan" "$@" \
		>"$TEST_TMPDIR/out" 2>&1
	local st=$?
	ok $st "$desc: $(tail -n 1 "$TEST_TMPDIR/out")"
	[ $st -eq 0 ] || diag_file "$TEST_TMPDIR/out"
}

cd "$here" || bail_out "no source tree"
run "tests/data and its mutants" --mutants 1 --seed 9 tests/data
set --
for c in stalwart-mail-parser-resources mimekit-testdata spamassassin-public spamassassin-t-data; do
	[ -d "$corpora/$c" ] && set -- "$@" "$corpora/$c"
done
if [ $# -eq 4 ]; then
	run "corpora: stalwart, mimekit, spamassassin" "$@"
else
	skip "the corpora are not beside the clone ($corpora)"
fi
tap_done
