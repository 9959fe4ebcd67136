#!/bin/bash
# measure.sh - how postern's spam rules score a labelled corpus: every
# message of each folder through `postern explain` (client 192.0.2.10,
# a loopback DNS server with no data, so SPF/DMARC are none and no DNS
# list is asked: what is measured is the content rules), then per folder
# how many messages reach each threshold and which rules fire.
#   contrib/spam/measure.sh [-c EXTRA_CONF] DIR... > results.txt
#   contrib/spam/measure.sh -s results.txt         (summary only)
# A folder whose name contains "spam" is spam, any other is ham.  The
# first line of a file is dropped when it is an mbox "From " line.
here=$(cd "$(dirname "$0")/../.." && pwd)
summary() {
	awk '{ cls = ($1 ~ /spam/) ? "spam" : "ham"; n[cls]++; s = $2 + 0
	       for (t = 3; t <= 5; t += 2) if (s >= t) hit[cls, t]++
	       split($3, r, ","); for (i in r) { sub(/=.*/, "", r[i]); if (r[i] != "-") rule[cls, r[i]]++ } }
	     END { for (c in n) { printf "%s: %d messages, score >= 3: %d (%.1f%%), >= 5: %d (%.1f%%)\n", c, n[c],
	                 hit[c, 3], 100 * hit[c, 3] / n[c], hit[c, 5], 100 * hit[c, 5] / n[c] }
	           for (k in rule) { split(k, p, SUBSEP); printf "  %s %s %d\n", p[1], p[2], rule[k] } }' "$1" |
	    sort
}
if [ "${1:-}" = -s ]; then summary "$2"; exit 0; fi
extra=
if [ "${1:-}" = -c ]; then extra=$2; shift 2; fi
top_srcdir=$here; top_builddir=${top_builddir:-$here}
export top_srcdir top_builddir
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
tmpdir_make
dns_start "$here/tests/data/foundation.zone" >&2 || exit 1
mkdir -p "$TEST_TMPDIR/pol"
# corpora are years old: every message would be date_past
echo 'spam = { scores = [ "date_past=0" ]; };' > "$TEST_TMPDIR/pol/default.conf"
cat > "$TEST_TMPDIR/m.conf" <<CONF
authserv_id = "mx.test.example";
internal_hosts = [ "10.0.0.0/8" ];
policy_dir = "$TEST_TMPDIR/pol";
log_level = "error";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; timeout = 1000; };
${extra:+$(cat "$extra")}
CONF
for d in "$@"; do
	for f in "$d"/*; do
		s=$(sed '1{/^From /d}' "$f" | "$top_builddir/postern" explain -c "$TEST_TMPDIR/m.conf" \
			--client 192.0.2.10 --helo mail.client.example --from a@client.example --rcpt u@example.net - 2>/dev/null |
			sed -n 's/^summary: .* spam=\([-0-9.]*\)\/[^ ]* spam_rules=\([^ ]*\).*/\1 \2/p; t; s/^summary: .* spam=\([-0-9.]*\)\/.*/\1 -/p')
		echo "$(basename "$d") ${s:-? -}"
	done
done
