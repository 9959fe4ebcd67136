#!/bin/bash
# failure.sh - postern-report --failure over a failure spool (the line
# format of dmarc_failure.h; the daemon's side is tests/dmarc/failure.sh),
# with the DNS fixture for the ruf= checks: one RFC 6591 ARF message per
# record and verified destination (MIME structure checked with Python's
# email package), the external-destination check and the suppression list
# as for aggregate reports, the per-domain hourly rate limit (within a run
# and across runs), sending through a sendmail command, nothing sent twice.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
REPORT="$build/postern-report"
tmpdir_make
T=$TEST_TMPDIR
cat >"$T/zone.txt" <<'ZONE'
ZONE ruf.example.
_dmarc.ruf.example. 300 TXT "v=DMARC1; p=none; ruf=mailto:f@ruf.example"
ZONE collector.example.
ruf.example._report._dmarc.collector.example. 300 TXT "v=DMARC1"
ZONE other.example.
ZONE
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
mkdir -p "$T/spool/failure" "$T/out" "$T/sent" "$T/pol"
: >"$T/pol/default.conf"
echo "supp@ruf.example" >"$T/suppress"
cat >"$T/postern.conf" <<CONF
authserv_id = "mx.test.example";
policy_dir = "$T/pol";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; timeout = 1500; };
dmarc_report = {
  spool_dir = "$T/spool";
  email = "dmarc-reports@mx.test.example";
  suppress_file = "$T/suppress";
  sendmail = "$T/sink.sh";
  failure = true;
  failure_per_hour = 2;
};
CONF
cat >"$T/sink.sh" <<SINK
#!/bin/sh
n=\$(ls "$T/sent" | wc -l)
cat >"$T/sent/mail.\$n"
SINK
chmod +x "$T/sink.sh"
RUF='ruf=mailto:f@ruf.example%2Cmailto:ext@collector.example%2Cmailto:noauth@other.example%2Cmailto:supp@ruf.example'
H='hdrs=From:%20Alice%20%3Cx0123456789ab@ruf.example%3E%0D%0ATo:%20xba9876543210@dest.example%0D%0ASubject:%20SUBJ%0D%0AMessage-ID:%20%3CSUBJ@ruf.test%3E%0D%0A'
rec() {   # rec TS SUBJECT
	echo "v=1 kind=failure ts=$1 host=mx1 ip=192.0.2.7 from=ruf.example mfrom=bounce.example pdom=ruf.example $RUF res=fail spfa=0 dkima=0 trunc=0 ${H//SUBJ/$2}"
}
{
	rec 1796083210 one
	rec 1796083220 two
	echo "v=1 kind=failure this is not a record"
	rec 1796083230 three
} >"$T/spool/failure/mx1-20261201.spool"

out=$("$REPORT" -c "$T/postern.conf" --failure --dry-run "$T/out" -v 2>"$T/err")
st=$?; ok $st "dry run exits 0"
[ $st -eq 0 ] || diag_file "$T/err"
like "$out" 'failure reports: 4 sent, [0-9]+ skipped, 0 failed' "four reports: two records to each of two destinations"
is "$(ls "$T/out" | wc -l)" 4 "four .eml files"
is "$(grep -l '^To: f@ruf.example' "$T"/out/*.eml | wc -l)" 2 "two to the policy domain's own address"
is "$(grep -l '^To: ext@collector.example' "$T"/out/*.eml | wc -l)" 2 "two to the authorised external destination"
is "$(grep -l 'noauth@other.example\|supp@ruf.example' "$T"/out/*.eml | wc -l)" 0 "none to an unauthorised or a suppressed address"
like "$(cat "$T/err")" 'noauth@other.example does not accept its reports' "the unauthorised destination is named"
like "$(cat "$T/err")" 'rate limit for ruf.example reached' "the third record is over the hourly limit"
is "$(grep -l 'Subject: three' "$T"/out/*.eml | wc -l)" 0 "... and is not reported"
like "$(cat "$T/err")" 'an unreadable failure record, skipped' "a bad line is skipped"
python3 - "$T"/out/*.eml <<'PY' >"$T/py.out" 2>&1
import email, email.policy, sys
for path in sys.argv[1:]:
    m = email.message_from_binary_file(open(path, 'rb'), policy=email.policy.compat32)
    assert m.get_content_type() == 'multipart/report', m.get_content_type()
    assert m.get_param('report-type') == 'feedback-report', m.get_param('report-type')
    assert m['Auto-Submitted'] == 'auto-generated'
    parts = m.get_payload()
    assert [p.get_content_type() for p in parts] == ['text/plain', 'message/feedback-report', 'text/rfc822-headers'], [p.get_content_type() for p in parts]
    fb = parts[1].get_payload()
    fb = fb[0] if isinstance(fb, list) else email.message_from_string(fb)
    for k, v in (('Feedback-Type', 'auth-failure'), ('Auth-Failure', 'dmarc'), ('Version', '1'),
                 ('Source-IP', '192.0.2.7'), ('Reported-Domain', 'ruf.example'),
                 ('Identity-Alignment', 'none')):
        assert fb[k] == v, (k, fb[k])
    assert 'dmarc=fail' in fb['Authentication-Results']
    orig = email.message_from_string(parts[2].get_payload())
    assert orig['From'] == 'Alice <x0123456789ab@ruf.example>', orig['From']
    assert orig['Subject'] in ('one', 'two'), orig['Subject']
    assert orig.get_payload() == '', 'no body'
print('ok', len(sys.argv) - 1)
PY
st=$?; ok $st "each .eml is an RFC 6591 ARF message (Python email): $(tail -1 "$T/py.out")"
[ $st -eq 0 ] || diag_file "$T/py.out"

# sending: sendmail -t; a second run sends nothing again; the hourly limit holds across runs
out=$("$REPORT" -c "$T/postern.conf" --failure 2>"$T/err")
st=$?; ok $st "sending run exits 0"
[ $st -eq 0 ] || diag_file "$T/err"
is "$(ls "$T/sent" | wc -l)" 4 "four mails piped to the sendmail command"
out=$("$REPORT" -c "$T/postern.conf" --failure 2>"$T/err")
like "$out" 'failure reports: 0 sent, 0 skipped, 0 failed' "a second run: nothing new, nothing sent twice"
rec 1796083240 four >>"$T/spool/failure/mx1-20261201.spool"
out=$("$REPORT" -c "$T/postern.conf" --failure 2>"$T/err")
like "$out" 'failure reports: 0 sent, 2 skipped, 0 failed' "a new record in the same hour: over the limit for both destinations"
is "$(ls "$T/sent" | wc -l)" 4 "... nothing more piped"
# the suppression list also takes the policy domain
echo "ruf.example" >>"$T/suppress"
rm -rf "$T/out"/*
"$REPORT" -c "$T/postern.conf" --failure --dry-run "$T/out" >/dev/null 2>&1
is "$(ls "$T/out" | wc -l)" 0 "a suppressed policy domain gets no failure report"
tap_done
