# callgrind.sh - sourced by icount.sh and classifier-cost.sh.
#
# inclusive FILE FUNCTION...: the sum of the FUNCTIONs' inclusive counts in
# the callgrind output FILE (a FUNCTION may be file.c:name to pick one of
# several of that name; a function printed twice, with and without its
# object, counts once)
inclusive() {
	local f=$1; shift
	callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$f" 2>/dev/null |
		awk -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		$1 ~ /^[0-9,]+$/ {
			ir = $1; gsub(",", "", ir); fn = ""
			for (i = 2; i <= NF; i++) if ($i ~ /:/) { fn = $i; break }
			for (j = 1; j <= n; j++) {
				k = index(w[j], ":") ? w[j] : ":" w[j]
				t = length(fn) - length(k)
				if (t >= 0 && substr(fn, t + 1) == k &&
				    (t == 0 || index(w[j], ":") == 0 || substr(fn, t, 1) == "/")) {
					if (ir + 0 > m[j] + 0) m[j] = ir
					break
				}
			}
		}
		END { for (j = 1; j <= n; j++) s += m[j]; printf "%.0f\n", s }'
}
