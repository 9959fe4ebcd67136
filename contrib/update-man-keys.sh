#!/bin/sh
# update-man-keys.sh - write the key reference of docs/postern.conf.5 and
# docs/postern-policy.5 from `postern -k`, the same tables README.md's
# reference comes from (contrib/update-readme-keys.sh), so that the manual
# cannot drift from the code.  Each page holds the generated part between
#     .\" BEGIN postern -k          and          .\" END postern -k
# Run it after adding or changing a key.
#
#     sh contrib/update-man-keys.sh [--check]
#
# --check changes nothing and exits 1 (printing a diff) when a page differs
# from what it would write: tests/unit/man.sh runs it.  $POSTERN names the
# binary (default ./postern, i.e. run from the build directory), $DOCS the
# directory holding the pages (default the source tree's docs/).
set -eu
check=no
[ "${1:-}" = --check ] && check=yes
src=$(cd "$(dirname "$0")/.." && pwd)
postern=${POSTERN:-./postern}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the installed default of policy_dir depends on --sysconfdir: the manual
# names the usual one, as README.md does
"$postern" -k | sed 's|`[^`]*/postern/policies`|`/etc/postern/policies`|' >"$tmp/keys.md"

# roff of one section ("### TITLE" up to the next "###") of postern -k
section() {
	awk -v want="$1" '
	function esc(s) {
		gsub(/\\/, "\\e", s)
		# `code` -> bold; "(none)" stays as it is
		while (match(s, /`[^`]*`/))
			s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
		return s
	}
	function line(s) {   # a text line must not start with a control character
		if (s ~ /^[.\047]/) s = "\\&" s
		print s
	}
	/^### / { on = (substr($0, 5) ~ ("^" want)); next }
	!on { next }
	/^\| key \|/ || /^\|---/ { next }
	/^\|/ {
		n = split($0, f, "|")
		key = f[2]; def = f[3]; mean = f[4]
		gsub(/^ +| +$/, "", key); gsub(/^ +| +$/, "", def); gsub(/^ +| +$/, "", mean)
		gsub(/`/, "", key)
		print ".TP"
		print ".B " key
		if (def == "")
			line(toupper(substr(mean, 1, 1)) esc(substr(mean, 2)) ".")
		else {
			gsub(/`/, "", def)
			line(toupper(substr(mean, 1, 1)) esc(substr(mean, 2)) ".")
			print ".br"
			line("Default: " (def == "(none)" ? "none" : "\\fI" esc(def) "\\fR") ".")
		}
		next
	}
	/^$/ { next }
	{ print ".PP"; line(esc($0)) }
	' "$tmp/keys.md"
}

# splice SECTION into PAGE between the markers
splice() {
	page=$1 want=$2
	section "$want" >"$tmp/gen"
	[ -s "$tmp/gen" ] || { echo "update-man-keys: no section \"$want\" in postern -k" >&2; exit 1; }
	grep -q '^\.\\" BEGIN postern -k$' "$page" && grep -q '^\.\\" END postern -k$' "$page" ||
		{ echo "update-man-keys: $page has no BEGIN/END postern -k markers" >&2; exit 1; }
	awk -v gen="$tmp/gen" '
		/^\.\\" BEGIN postern -k$/ { print; while ((getline l < gen) > 0) print l; skip = 1; next }
		/^\.\\" END postern -k$/ { skip = 0 }
		!skip { print }
	' "$page" >"$tmp/new"
	if [ $check = yes ]; then
		diff -u "$page" "$tmp/new" || { echo "update-man-keys: $page differs from postern -k; run sh contrib/update-man-keys.sh" >&2; return 1; }
	elif ! cmp -s "$page" "$tmp/new"; then
		cp "$tmp/new" "$page"
		echo "updated $page"
	fi
}

rc=0
docs=${DOCS:-$src/docs}
splice "$docs/postern.conf.5" "postern.conf" || rc=1
splice "$docs/postern-policy.5" "policies" || rc=1
exit $rc
