#!/bin/bash
# failure.sh - DMARC failure reports (RFC 9991) through the running daemon
# driven by miltertest, records from the loopback DNS fixture: with
# dmarc_report.failure off (the default) nothing goes to SPOOL_DIR/failure;
# with it on, each message the record's fo= asks about (fo=0, fo=1, fo=s)
# is spooled exactly once, with the local parts of From/To/Cc redacted and
# no body; messages fo= does not ask about and records without ruf= none.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
tmpdir_make
cp -r "$here/tests/dmarc/policies" "$TEST_TMPDIR/policies"
dns_start "$here/tests/dmarc/failure-zone.txt" || bail_out "DNS fixture did not start"
mkdir -p "$TEST_TMPDIR/spool"
out="$TEST_TMPDIR/failure.out"
run() {
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
		-s "$here/tests/dmarc/failure.lua" >"$out" 2>&1
	st=$?; ok $st "miltertest failure.lua ($1)"
	[ $st -eq 0 ] || diag_file "$out"
}

# 1. off by default: the aggregate spool only
postern_start "$TEST_TMPDIR/policies" "dmarc_report = { spool_dir = \"$TEST_TMPDIR/spool\"; };" ||
	bail_out "postern did not start"
run "switch off"
postern_stop
is "$(cat "$TEST_TMPDIR"/spool/*.spool | grep -c '^v=1 ')" 6 "off: the aggregate spool has all six messages"
[ ! -e "$TEST_TMPDIR/spool/failure" ]; ok $? "off: no failure spool at all"

# 2. on
rm -f "$TEST_TMPDIR"/spool/*.spool
postern_start "$TEST_TMPDIR/policies" "dmarc_report = { spool_dir = \"$TEST_TMPDIR/spool\"; failure = true; };" ||
	bail_out "postern did not start"
run "switch on"
postern_stop
spool=$(cat "$TEST_TMPDIR"/spool/failure/*.spool 2>/dev/null)
is "$(grep -c '^v=1 kind=failure ' <<<"$spool")" 3 "on: three failure records (RF2 fo=0, RF3 fo=1, RF4 fo=s)"
for id in RF2 RF3 RF4; do
	is "$(grep -c "Subject:%20$id%20" <<<"$spool")" 1 "$id spooled exactly once"
done
for id in RF1 RF5 RF6; do
	is "$(grep -c "Subject:%20$id%20" <<<"$spool")" 0 "$id not spooled"
done
like "$(grep -F 'Subject:%20RF2%20' <<<"$spool")" ' from=ruf0.example mfrom=bounce.example pdom=ruf0.example ruf=mailto:ruf@reports.example res=fail spfa=0 dkima=0 trunc=0 ' "RF2: the record's facts"
like "$(grep -F 'Subject:%20RF3%20' <<<"$spool")" ' from=ruf1.example .* res=pass spfa=1 dkima=0 ' "RF3: a DMARC pass fo=1 reports"
like "$(grep -F 'Subject:%20RF4%20' <<<"$spool")" ' ip=192.0.2.99 from=rufs.example .* res=fail ' "RF4: SPF softfail"
is "$(grep -c 'secret' <<<"$spool")" 0 "no local part of From, To or Cc is in the spool"
is "$(grep -c 'never%20reported\|never reported' <<<"$spool")" 0 "no body in the spool"
like "$(grep -F 'Subject:%20RF2%20' <<<"$spool")" 'From:%20Alice%20%3Cx[0-9a-f]{12}@ruf0.example%3E%0D%0A' "From: display name kept, local part hashed"
like "$(grep -F 'Subject:%20RF2%20' <<<"$spool")" 'Cc:%20x[0-9a-f]{12}@dest.example%2C%20%22Dan%20D%22%20%3Cx[0-9a-f]{12}@dest.example%3E' "Cc: every address hashed"
like "$(grep -F 'Subject:%20RF2%20' <<<"$spool")" 'Message-ID:%20%3CRF2@ruf.test%3E' "Message-ID kept (it identifies the message)"
[ -n "${RUF_DEBUG:-}" ] && { echo "$spool"; grep "eom:" "$PSTN_LOG"; }
tap_done
