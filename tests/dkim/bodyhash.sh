#!/bin/bash
# bodyhash.sh - postern's body canonicaliser (filter/lib/bodycanon.c) against
# libopendkim's, message by message (tests/tools/bodyhash): every file of
# tests/data with simple and relaxed, SHA-1 and SHA-256; the outside corpora
# (../shared/corpora, skipped when absent) with SHA-256: the DKIM, ARC and
# MIME ones whole, every 6th SpamAssassin message (the whole corpus: about
# 40 s here, `tests/tools/bodyhash -q FILE...`).  The canonical hash and
# length must agree, except where libopendkim departs from RFC 6376 (a bare
# CR in the body, a body without a final CRLF), which the tool names.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"

BH=$build/tests/tools/bodyhash
[ -x "$BH" ] || bail_out "$BH not built"
tmpdir_make
T=$TEST_TMPDIR

summary() { grep '^SUMMARY' "$1"; }
find "$here/tests/data" -type f -print0 | sort -z | xargs -0 "$BH" >"$T/data.txt"
ok $? "tests/data: no unexplained difference, 7- and 65535-byte chunks agree"
grep -v '^SUMMARY' "$T/data.txt" | while read -r line; do diag "$line"; done
read -r _ files compared agree _ < <(summary "$T/data.txt")
diag "tests/data: $files $compared $agree"
[ "${agree#agree=}" -ge 500 ]; ok $? "tests/data: at least 500 hashes agree (${agree#agree=})"
# the known departures show up as such: a bare CR in the body
grep -q '^DIFF bare-cr relaxed/sha256 .*/bare-cr-body.eml$' "$T/data.txt"
ok $? "a body with a bare CR is named (libopendkim drops the CR in relaxed form)"

corpora=${POSTERN_CORPORA:-$here/../shared/corpora}
if [ -d "$corpora/perl-mail-dkim-corpus" ] && [ -d "$corpora/spamassassin-public" ]; then
	{
		for d in perl-mail-dkim-corpus dkimpy-testdata mailauth-fixtures arc-test-suite-valimail \
			mimekit-testdata stalwart-mail-parser-resources spamassassin-t-data; do
			find "$corpora/$d" -type f
		done
		find "$corpora/spamassassin-public" -type f | sort | awk 'NR % 6 == 0'
	} | tr '\n' '\0' | xargs -0 "$BH" -q >"$T/corpora.txt"
	ok $? "corpora: no unexplained difference"
	grep '^DIFF other\|^CHUNKING' "$T/corpora.txt" | while read -r line; do diag "$line"; done
	awk '/^SUMMARY/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
	     END { printf "corpora: files=%d compared=%d agree=%d differ=%d other=%d\n",
	           s["files"], s["compared"], s["agree"], s["differ"], s["other"] }' "$T/corpora.txt" >"$T/sum"
	diag "$(cat "$T/sum")"
	agree=$(sed 's/.*agree=\([0-9]*\).*/\1/' "$T/sum")
	[ "$agree" -ge 1500 ]; ok $? "corpora: at least 1500 hashes agree ($agree)"
else
	skip "corpora not found at $corpora"
	skip "corpora not found at $corpora"
fi
tap_done
