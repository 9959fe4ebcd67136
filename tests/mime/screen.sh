#!/bin/bash
# screen.sh - the evasion classes of issue 9 (docs/SECURITY.md,
# "Attachments") through the running daemon with the shipped default
# policy (policies/default.conf): every message of tests/data/mime/screen/
# is sent with miltertest (tests/mime/screen.lua) and the daemon's summary
# line must show what the message's X-Expect field asks: "accept" (no
# refusal), or the start of the reply ("554 5.7.1 attachment evil.exe").
# The messages are made by tests/mime/make-screen.py.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"

MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"

tmpdir_make
mkdir "$TEST_TMPDIR/policies"
cp "$here/policies/default.conf" "$TEST_TMPDIR/policies/"
postern_start "$TEST_TMPDIR/policies" || bail_out "postern did not start"

n=0
for f in "$here"/tests/data/mime/screen/*.eml; do
	n=$((n + 1))
	name=$(basename "$f" .eml)
	qid=SCR$n
	want=$(sed -n 's/^X-Expect: //p' "$f" | head -n 1 | tr -d '\r')
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -D file="$f" \
		-D qid="$qid" -s "$here/tests/mime/screen.lua" >"$TEST_TMPDIR/$name.out" 2>&1
	st=$?
	line=
	for _ in $(seq 1 50); do
		line=$(grep -a " $qid: \(eom\|abort\):" "$PSTN_LOG" | head -n 1)
		[ -n "$line" ] && break
		sleep 0.1
	done
	if [ $st -ne 0 ]; then
		ok 1 "$name: miltertest failed"
		diag_file "$TEST_TMPDIR/$name.out"
	elif [ "$want" = accept ]; then
		[[ $line != *"reply=\""* ]] && grep -qx accept "$TEST_TMPDIR/$name.out"
		ok $? "$name: accepted"
		[[ $line == *"reply=\""* ]] && diag "$line"
	else
		[[ $line == *"reply=\"$want"* ]]
		ok $? "$name: $want"
		[[ $line == *"reply=\"$want"* ]] || diag "${line:-no summary line for $qid}"
	fi
done
[ $n -ge 20 ]; ok $? "$n messages screened"
tap_done
