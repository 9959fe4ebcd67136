#!/bin/bash
# layering.sh - the include rule of docs/ARCHITECTURE.md, checked on the
# source tree: every #include "postern/X.h" in filter/ and include/postern/
# must point at the same folder or at a lower layer.
#
#   layer 0  filter/lib      util, log, cidr, addr, eml
#   layer 1  filter/dns      the one resolver
#   layer 2  filter/core     session, pipeline, policy, config, snapshot ...
#            filter/<engine> spf, dkim, dmarc, mime, authres, ... (each
#                            engine on its own: no engine includes another
#                            engine, the core or a check; the core includes
#                            no engine)
#   layer 3  filter/checks   check rows over core + engines
#   layer 4  filter/milter   the libmilter shell and the tools' entry points
#
# A header belongs to the folder that holds X.c, or else files X_*.c;
# check_*.h to checks.  A header that belongs nowhere fails the test: put
# its source in a folder (or name it after it).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
cd "$here" || bail_out "no source tree"

layer() {
	case $1 in
	lib) echo 0 ;; dns) echo 1 ;; checks) echo 3 ;; milter) echo 4 ;; *) echo 2 ;;
	esac
}

home() {   # home HEADER-BASENAME: the folder of filter/ that owns it
	local h=$1 f
	case $h in check_*) echo checks; return ;; esac
	for f in filter/*/"$h".c; do [ -e "$f" ] && { basename "$(dirname "$f")"; return; }; done
	for f in filter/*/"$h"_*.c; do [ -e "$f" ] && { basename "$(dirname "$f")"; return; }; done
	echo "?"
}

scan() {   # scan: sets bad and n over the tree as it stands
	bad=0 n=0
	local file inc from to
	while IFS= read -r file; do
		case $file in
		include/postern/*) from=$(home "$(basename "$file" .h)") ;;
		filter/*) from=$(basename "$(dirname "$file")") ;;
		esac
		while IFS= read -r inc; do
			n=$((n + 1))
			to=$(home "$inc")
			if [ "$from" = "?" ] || [ "$to" = "?" ]; then
				echo "$file: postern/$inc.h: no folder owns ${from/\?/$file}${to/\?/ postern/$inc.h}"
				bad=$((bad + 1))
			elif [ "$from" != "$to" ] && [ "$(layer "$to")" -ge "$(layer "$from")" ]; then
				echo "$file ($from, layer $(layer "$from")) includes postern/$inc.h ($to, layer $(layer "$to"))"
				bad=$((bad + 1))
			fi
		done < <(sed -n 's/^#include "postern\/\([a-z0-9_]*\)\.h".*/\1/p' "$file")
	done < <(ls filter/*/*.c filter/*/*.h include/postern/*.h 2>/dev/null)
}

report=$(mktemp) || bail_out "mktemp"
probe=filter/mime/zz_layering_probe.c
on_exit rm -f '$here/$probe' '$report'

scan >"$report"
while IFS= read -r line; do diag "$line"; done <"$report"
[ "$n" -gt 100 ]; ok $? "read $n includes of postern headers"
is "$bad" 0 "every include points at its own folder or a lower layer"

# the rule itself can fail: an engine reaching into the core and a check
printf '#include "postern/session.h"\n#include "postern/check_attach.h"\n' >"$probe"
scan >"$report"
rm -f "$probe"
got=$(grep -c 'zz_layering_probe.c (mime, layer 2) includes' "$report")
is "$got" 2 "a probe engine file including the core and a check is caught"

# no build product is tracked (three merges brought test binaries back)
if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
	elf=$(git -C "$here" ls-files -z | xargs -0 -r sh -c 'for f; do
		[ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d " ")" = "177ELF" ] && echo "$f"; done' sh)
	is "$elf" "" "no ELF file is tracked in git"
else
	skip "not a git checkout"
fi
tap_done
