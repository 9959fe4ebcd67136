#!/bin/bash
# corpus.sh - every message of two outside MIME corpora through the
# streaming scanner (tests/tools/mimescan, libpostern.a):
#   - no crash, and the same result whether the message arrives in one
#     piece, byte by byte or in random-sized chunks (two seeds);
#   - where the corpus ships mail-parser's parse tree (.json), part count,
#     content types and file names agree, except the messages listed with
#     a reason in tests/data/mime/EXCEPTIONS (an exception that agrees again
#     fails too, so the list stays true).
# The corpora live beside the clone in ../shared/corpora (too big to copy;
# POSTERN_CORPORA names another place);
# without them the test is skipped.  Build with --enable-sanitizers to have
# ASan/UBSan check the same runs.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
corpora=${POSTERN_CORPORA:-$here/../shared/corpora}
stalwart=$corpora/stalwart-mail-parser-resources/resources/eml
mimekit=$corpora/mimekit-testdata
[ -d "$stalwart" ] && [ -d "$mimekit" ] ||
	skip_all "MIME corpora not found beside the clone ($corpora)"
command -v python3 >/dev/null || skip_all "python3 not installed"
scan=$build/tests/tools/mimescan
exceptions=$here/tests/data/mime/EXCEPTIONS
tmpdir_make

# one corpus directory: crash-free and chunking-independent
check_files() {   # DESC FLAGS FILE...
	local desc=$1 flags=$2 bad=0 n=0 f
	shift 2
	for f in "$@"; do
		n=$((n + 1))
		if ! "$scan" $flags -c 100000000 "$f" >"$TEST_TMPDIR/whole" 2>"$TEST_TMPDIR/err" ||
		   ! "$scan" $flags -c 1 "$f" >"$TEST_TMPDIR/bytes" 2>>"$TEST_TMPDIR/err" ||
		   ! "$scan" $flags -s 7 -c 97 "$f" >"$TEST_TMPDIR/r1" 2>>"$TEST_TMPDIR/err" ||
		   ! "$scan" $flags -s 11 -c 5000 "$f" >"$TEST_TMPDIR/r2" 2>>"$TEST_TMPDIR/err" ||
		   [ -s "$TEST_TMPDIR/err" ]; then
			diag "crash or report on $f:"
			diag_file "$TEST_TMPDIR/err"
			bad=$((bad + 1))
			continue
		fi
		if ! cmp -s "$TEST_TMPDIR/whole" "$TEST_TMPDIR/bytes" ||
		   ! cmp -s "$TEST_TMPDIR/whole" "$TEST_TMPDIR/r1" ||
		   ! cmp -s "$TEST_TMPDIR/whole" "$TEST_TMPDIR/r2"; then
			diag "result depends on chunking: $f"
			diff "$TEST_TMPDIR/whole" "$TEST_TMPDIR/bytes" | head -5 | sed 's/^/# /'
			bad=$((bad + 1))
		fi
	done
	ok $bad "$desc: $n messages scanned whole, byte by byte and in random chunks, same result"
}

check_files "stalwart rfc" "" "$stalwart"/rfc/*.eml
check_files "stalwart malformed" "" "$stalwart"/malformed/*.eml
check_files "stalwart thirdparty" "" "$stalwart"/thirdparty/*.eml
check_files "stalwart legacy" "" "$stalwart"/legacy/*.eml
check_files "mimekit messages" "" "$mimekit"/messages/* "$mimekit"/dkim/*.msg "$mimekit"/partial/*.eml
check_files "mimekit mbox" "-m" "$mimekit"/mbox/*.mbox.txt

# parse trees
agree=0 differ=0 stale=0 excused=0
for j in "$stalwart"/*/*.json; do
	case $j in *.crlf.json) continue ;; esac
	e=${j%.json}.eml
	[ -f "$e" ] || continue
	rel=${e#"$stalwart"/}
	"$scan" "$e" | grep -av '^parts=\|^  zip' | cut -f2,3 >"$TEST_TMPDIR/got"
	python3 "$here/tests/mime/expect.py" "$j" >"$TEST_TMPDIR/want"
	excused_now=no
	grep -q "^$rel " "$exceptions" && excused_now=yes
	if cmp -s "$TEST_TMPDIR/got" "$TEST_TMPDIR/want"; then
		agree=$((agree + 1))
		if [ $excused_now = yes ]; then
			diag "$rel agrees now: remove it from EXCEPTIONS"
			stale=$((stale + 1))
		fi
	elif [ $excused_now = yes ]; then
		excused=$((excused + 1))
	else
		diag "$rel: parse tree differs (want / got):"
		diff "$TEST_TMPDIR/want" "$TEST_TMPDIR/got" | head -8 | sed 's/^/# /'
		differ=$((differ + 1))
	fi
done
ok $differ "parse trees: $agree agree with mail-parser, $excused listed exceptions, $differ unexplained differences"
ok $stale "no stale entry in EXCEPTIONS"
[ $agree -ge 60 ]
ok $? "at least 60 parse trees agree ($agree)"
tap_done
