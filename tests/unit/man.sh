#!/bin/bash
# man.sh - the manual pages: each one renders without a single warning under
# `groff -ww -z -man` (what `man -l` runs), and the key sections of
# postern.conf(5) and postern-policy(5) are what contrib/update-man-keys.sh
# writes from `postern -k`, so they cannot drift from the key tables.  Both
# checks are shown to fail on a broken page first.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"

command -v groff >/dev/null || bail_out "groff not installed"
tmpdir_make
T=$TEST_TMPDIR
PAGES="postern.8 postern-keygen.8 postern-ctl.8 postern-learn.8 postern.conf.5 postern-policy.5"

lint() { groff -ww -z -man "$1" 2>&1; }   # prints the warnings, if any

# the checkers can fail
printf '.TH X 8\n.SH NAME\nx \\- y\n.BOGUS macro\n.B\n' >"$T/bad.8"
[ -n "$(lint "$T/bad.8")" ]; ok $? "groff -ww flags a page with an unknown macro"
mkdir "$T/docs"
cp "$here/docs/postern.conf.5" "$here/docs/postern-policy.5" "$T/docs/"
sed -i '/^\.B dns\.timeout$/,+1d' "$T/docs/postern.conf.5"
DOCS=$T/docs POSTERN=$build/postern sh "$here/contrib/update-man-keys.sh" --check >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "a key missing from postern.conf(5) is found"

for p in $PAGES; do
	f=$here/docs/$p
	[ -f "$f" ]; ok $? "$p exists"
	w=$(lint "$f")
	is "$w" "" "$p renders without a warning (groff -ww -z -man)"
	name=${p%.*}
	grep -q "^\.TH ${name^^} ${p##*.} " "$f"; ok $? "$p: .TH names it, section ${p##*.}"
	grep -q "^$p\$" <(tr ' ' '\n' <<<"$(make -s --no-print-directory -C "$build" print-man 2>/dev/null)")
	ok $? "$p is installed by make install (dist_man_MANS)"
done

POSTERN=$build/postern sh "$here/contrib/update-man-keys.sh" --check >"$T/diff" 2>&1
st=$?
[ $st = 0 ] || diag_file "$T/diff"
ok $st "key sections of postern.conf(5) and postern-policy(5) equal postern -k"
n=$("$build/postern" -k | grep -c '^| `')
m=$(cat "$here/docs/postern.conf.5" "$here/docs/postern-policy.5" | sed -n '/^\.\\" BEGIN postern -k$/,/^\.\\" END postern -k$/p' | grep -c '^\.TP$')
is "$m" "$n" "every key of postern -k has an entry ($n)"

tap_done
