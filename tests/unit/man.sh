#!/bin/bash
# man.sh - the manual pages: each one renders without a single warning under
# `groff -ww -z -man` (what `man -l` runs), and the key sections of
# postern.conf(5) and postern-policy(5) are what contrib/update-man-keys.sh
# writes from `postern -k`, so they cannot drift from the key tables; every
# program make install puts in sbindir has its page in section 8, and both
# files (postern.conf, the policies) theirs in section 5.  The checks are
# shown to fail on a broken page or a missing one first.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"

command -v groff >/dev/null || bail_out "groff not installed"
tmpdir_make
T=$TEST_TMPDIR
# (only the "key=" lines: a make under make check may print more)
mk() { make -s --no-print-directory -C "$build" "print-$1" 2>/dev/null | sed -n "s/^$2=//p"; }
PAGES=$(mk man page | tr '\n' ' ')
PROGRAMS=$(mk programs program | tr '\n' ' ')
[ -n "$PAGES" ] && [ -n "$PROGRAMS" ] || bail_out "make print-man / print-programs gave nothing"
# the pages missing for the programs $1 and files postern.conf(5),
# postern-policy(5), given the page list $2
missing() {
	local want
	for want in $(for p in $1; do echo "$p.8"; done) postern.conf.5 postern-policy.5; do
		grep -qx "$want" <(tr ' ' '\n' <<<"$2") || echo "$want"
	done
}

# the long options a program's usage text names that its page does not
undocumented() {   # PROGRAM PAGE
	local o
	for o in $("$build/$1" --help 2>&1 | grep -oE '(^|[^a-z-])--[a-z][a-z-]*' | sed 's/.*--/--/' | sort -u); do
		[ "$o" = --help ] && continue
		grep -qF -- "${o//-/\\-}" "$2" || echo "$o"
	done
}
lint() { groff -ww -z -man "$1" 2>&1; }   # prints the warnings, if any

# the checkers can fail
printf '.TH X 8\n.SH NAME\nx \\- y\n.BOGUS macro\n.B\n' >"$T/bad.8"
[ -n "$(lint "$T/bad.8")" ]; ok $? "groff -ww flags a page with an unknown macro"
mkdir "$T/docs"
cp "$here/docs/postern.conf.5" "$here/docs/postern-policy.5" "$T/docs/"
sed -i '/^\.B dns\.timeout$/,+1d' "$T/docs/postern.conf.5"
DOCS=$T/docs POSTERN=$build/postern sh "$here/contrib/update-man-keys.sh" --check >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "a key missing from postern.conf(5) is found"

is "$(missing "$PROGRAMS" "${PAGES/postern-ctl.8/}" | tr '\n' ' ')" "postern-ctl.8 " \
	"a program without a page is found"
is "$(missing "$PROGRAMS" "$PAGES")" "" "every installed program ($PROGRAMS) and file has a page"

sed 's/\\-\\-dry\\-run/--dry-run/g' "$here/docs/postern-report.8" >"$T/report.8"
is "$(undocumented postern-report "$T/report.8")" "--dry-run" "an option left out of a page is found"
for p in $PROGRAMS; do
	is "$(undocumented "$p" "$here/docs/$p.8" | tr '\n' ' ')" "" "$p.8 describes every long option of $p --help"
done

for p in $PAGES; do
	f=$here/docs/$p
	[ -f "$f" ]; ok $? "$p exists"
	w=$(lint "$f")
	is "$w" "" "$p renders without a warning (groff -ww -z -man)"
	name=${p%.*}
	grep -q "^\.TH ${name^^} ${p##*.} " "$f"; ok $? "$p: .TH names it, section ${p##*.}"
	grep -q "^\.SH SEE ALSO" "$f"; ok $? "$p: has SEE ALSO"
done

POSTERN=$build/postern sh "$here/contrib/update-man-keys.sh" --check >"$T/diff" 2>&1
st=$?
[ $st = 0 ] || diag_file "$T/diff"
ok $st "key sections of postern.conf(5) and postern-policy(5) equal postern -k"
n=$("$build/postern" -k | grep -c '^| `')
m=$(cat "$here/docs/postern.conf.5" "$here/docs/postern-policy.5" | sed -n '/^\.\\" BEGIN postern -k$/,/^\.\\" END postern -k$/p' | grep -c '^\.TP$')
is "$m" "$n" "every key of postern -k has an entry ($n)"

tap_done
