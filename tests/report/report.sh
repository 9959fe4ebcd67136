#!/bin/bash
# report.sh - postern-report over a spool of two hosts, with the DNS
# fixture for the rua= checks: one report per policy domain and period,
# rows counted, the RFC 9990 schema (xmllint), the file name and the
# e-mail's headers, external destinations verified (authorised, not
# authorised, an override on the same host, an override to another host),
# the suppression list, a "!size" limit, the rate limit, sending through a
# sendmail command, no second report of the same period, bad lines.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
REPORT="$build/postern-report"
XSD="$here/tests/data/dmarc/rfc9990.xsd"
command -v xmllint >/dev/null || bail_out "xmllint missing (apt-get install libxml2-utils)"
tmpdir_make
T=$TEST_TMPDIR
cat >"$T/zone.txt" <<'ZONE'
ZONE report.example.
_dmarc.report.example. 300 TXT "v=DMARC1; p=reject; rua=mailto:agg@report.example,mailto:ext@collector.example,mailto:noauth@other.example,mailto:supp@report.example,mailto:tiny@report.example!1,https://r.example/x"
ZONE collector.example.
report.example._report._dmarc.collector.example. 300 TXT "v=DMARC1"
ZONE other.example.
ZONE sub.example.
_dmarc.sub.example. 300 TXT "v=DMARC1; p=none; rua=mailto:x@override.example"
ZONE override.example.
sub.example._report._dmarc.override.example. 300 TXT "v=DMARC1; rua=mailto:y@override.example"
ZONE bad.example.
_dmarc.bad.example. 300 TXT "v=DMARC1; p=none; rua=mailto:a@hijack.example"
ZONE hijack.example.
bad.example._report._dmarc.hijack.example. 300 TXT "v=DMARC1; rua=mailto:a@third.example"
ZONE
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
mkdir -p "$T/spool" "$T/out" "$T/sent"
echo "supp@report.example   # asked not to get reports" >"$T/suppress"
cat >"$T/postern.conf" <<CONF
authserv_id = "mx.test.example";
policy_dir = "$T/pol";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; timeout = 1500; };
dmarc_report = {
  spool_dir = "$T/spool";
  org_name = "Test Receiver";
  email = "dmarc-reports@mx.test.example";
  suppress_file = "$T/suppress";
  sendmail = "$T/sink.sh";
};
CONF
mkdir -p "$T/pol" && : >"$T/pol/default.conf"
day=1796083200   # 2026-12-01 00:00 UTC
P='p=reject sp=reject np=reject adkim=r aspf=r t=n psd=u psdrec=0'
RUA='rua=mailto:agg@report.example%2Cmailto:ext@collector.example%2Cmailto:noauth@other.example%2Cmailto:supp@report.example%2Cmailto:tiny@report.example!1%2Chttps://r.example/x'
rec() {   # rec TS IP FROM POLICY-DOMAIN POLICY RUA DISP DKAL SPAL [MORE]
	echo "v=1 ts=$1 host=mx1 ip=$2 from=$3 mfrom=$3 rcpt= pdom=$4 $5 $6 res=fail disp=$7 dkal=$8 spal=$9 ovt= ovc= spf=$3,mfrom,pass${10:+ ${10}}"
}
{
	rec $((day + 10)) 192.0.2.10 report.example report.example "$P" "$RUA" pass 1 1 "dkim=report.example,sel1,pass"
	rec $((day + 20)) 192.0.2.10 report.example report.example "$P" "$RUA" pass 1 1 "dkim=report.example,sel1,pass"
	rec $((day + 30)) 198.51.100.7 news.report.example report.example "$P" "$RUA" reject 0 0 "dkim=evil.example,x,fail"
	rec $((day + 40)) 192.0.2.99 report.example report.example "$P" "$RUA" quarantine 0 0 | sed 's/ovt= ovc=/ovt=mailing_list ovc=List-Id/'
	rec $((day - 10)) 192.0.2.10 report.example report.example "$P" "$RUA" pass 1 1   # the day before
	echo "this is not a record"
	rec $((day + 50)) 192.0.2.1 sub.example sub.example "p=none sp=none np=none adkim=r aspf=r t=n psd=u psdrec=0" "rua=mailto:x@override.example" none 0 1 | sed 's/ rcpt= / rcpt=dest.example /'
	rec $((day + 60)) 192.0.2.1 bad.example bad.example "p=none sp=none np=none adkim=r aspf=r t=n psd=u psdrec=0" "rua=mailto:a@hijack.example" none 0 1
	rec $((day + 70)) 192.0.2.1 norua.example norua.example "p=none sp=none np=none adkim=r aspf=r t=n psd=u psdrec=0" "rua=" none 0 1
} >"$T/spool/mx1-20261201.spool"
# a second host's file of the same day merges; a third message from the first source
# (written before rcpt= existed: no such key)
rec $((day + 3600)) 192.0.2.10 report.example report.example "$P" "$RUA" pass 1 1 "dkim=report.example,sel1,pass" |
	sed 's/ rcpt= / /' >"$T/spool/mx2-20261201.spool"
rec $((day - 100)) 192.0.2.10 report.example report.example "$P" "$RUA" pass 1 1 >"$T/spool/mx1-20261130.spool"

out=$("$REPORT" -c "$T/postern.conf" --day 2026-12-01 --dry-run "$T/out" -v 2>"$T/err")
st=$?
ok $st "dry run exits 0"
[ $st -eq 0 ] || diag_file "$T/err"
like "$out" 'period 1796083200-1796169599: 8 records \(1 unreadable, 1 outside\), 4 domains' "records of the period from both hosts' files"
base="mx.test.example!report.example!1796083200!1796169599.xml.gz"
ok $([ -s "$T/out/$base" ]; echo $?) "report file named receiver!domain!begin!end.xml.gz"
gzip -dc "$T/out/$base" >"$T/report.xml" 2>/dev/null
[ -n "${REPORT_KEEP:-}" ] && cp "$T/report.xml" "$REPORT_KEEP"
xmllint --noout --schema "$XSD" "$T/report.xml" 2>"$T/xmllint.out"
st=$?; ok $st "report.example's report is valid against the RFC 9990 schema"
[ $st -eq 0 ] || diag_file "$T/xmllint.out"
x() { xmllint --xpath "$1" "$T/report.xml" 2>/dev/null; }
N='*[local-name()="feedback"]'
is "$(x "count(//*[local-name()='record'])")" 3 "three rows (same source and results merge)"
is "$(x "string(//*[local-name()='record'][*[local-name()='row']/*[local-name()='source_ip']='192.0.2.10']/*[local-name()='row']/*[local-name()='count'])")" 3 "192.0.2.10: count 3 across both hosts"
is "$(x "string(//*[local-name()='policy_published']/*[local-name()='p'])")" reject "policy_published p=reject"
is "$(x "string(//*[local-name()='discovery_method'])")" treewalk "discovery_method treewalk"
is "$(x "string(//*[local-name()='reason']/*[local-name()='type'])")" mailing_list "override reason in policy_evaluated"
is "$(x "string(//*[local-name()='report_id'])")" "1796083200.report.example@mx.test.example" "report_id"
is "$(x "string(//*[local-name()='date_range']/*[local-name()='end'])")" 1796169599 "date_range end"
eml1="$T/out/$base.1.eml"
ok $([ -f "$eml1" ] && grep -q '^To: agg@report.example' "$eml1"; echo $?) "mail to the policy domain's own address"
ok $(grep -q '^To: ext@collector.example' "$T/out/$base".*.eml; echo $?) "mail to an authorised external destination"
ok $(! grep -q 'noauth@other.example' "$T/out/$base".*.eml; echo $?) "no mail to an unauthorised external destination"
like "$(cat "$T/err")" 'noauth@other.example does not accept its reports' "the unauthorised destination is named"
ok $(! grep -q 'supp@report.example' "$T/out/$base".*.eml; echo $?) "no mail to a suppressed address"
ok $(! grep -q 'tiny@report.example' "$T/out/$base".*.eml; echo $?) "no mail over a URI's !size limit"
is "$(ls "$T/out/$base".*.eml | wc -l)" 2 "two report mails for report.example"
like "$(tr -d '\r' <"$eml1")" 'Subject: Report Domain: report.example Submitter: mx.test.example
 Report-ID: <1796083200.report.example@mx.test.example>' "Subject per RFC 9990"
like "$(tr -d '\r' <"$eml1")" 'Content-Type: application/gzip; name="mx.test.example!report.example!1796083200!1796169599.xml.gz"' "attachment media type and name"
like "$(tr -d '\r' <"$eml1")" 'From: dmarc-reports@mx.test.example' "From is dmarc_report.email"
# the attachment is the report
python3 - "$eml1" "$T/out/$base" <<'PY' ; ok $? "the mail's attachment is the report file"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
parts = [p for p in m.walk() if p.get_content_type() == 'application/gzip']
sys.exit(0 if parts and parts[0].get_payload(decode=True) == open(sys.argv[2], 'rb').read() else 1)
PY
subbase="mx.test.example!sub.example!1796083200!1796169599.xml.gz"
ok $(grep -q '^To: y@override.example' "$T/out/$subbase".1.eml; echo $?) "an external destination's rua= override on the same host"
gzip -dc "$T/out/$subbase" | xmllint --noout --schema "$XSD" - 2>/dev/null; ok $? "sub.example's report is schema-valid"
is "$(gzip -dc "$T/out/$subbase" | xmllint --xpath "string(//*[local-name()='envelope_to'])" - 2>/dev/null)" dest.example "the record's rcpt= domain is its <envelope_to>"
is "$(x "count(//*[local-name()='envelope_to'])")" 0 "records without one (older spool lines) have none"
ok $([ ! -e "$T/out/mx.test.example!bad.example!1796083200!1796169599.xml.gz.1.eml" ]; echo $?) "an override naming another host: no mail"
like "$(cat "$T/err")" 'override of hijack.example names another host' "... and it is named"
ok $([ ! -e "$T/out/mx.test.example!norua.example!1796083200!1796169599.xml.gz" ]; echo $?) "no rua=: no report"

# sending: the sendmail command gets each mail on stdin (a sink script)
cat >"$T/sink.sh" <<SINK
#!/bin/sh
n=\$(ls "$T/sent" | wc -l)
cat >"$T/sent/mail.\$n"
SINK
chmod +x "$T/sink.sh"
out=$("$REPORT" -c "$T/postern.conf" --day 2026-12-01 2>"$T/err2")
ok $? "sending run exits 0"
like "$out" 'reports: 3 sent' "three reports sent (two for report.example, one for sub.example)"
is "$(ls "$T/sent" | wc -l)" 3 "the sink got three mails"
out=$("$REPORT" -c "$T/postern.conf" --day 2026-12-01 -v 2>"$T/err3")
like "$out" 'reports: 0 sent' "a second run sends nothing again"
like "$(cat "$T/err3")" 'already reported for this period' "... because the period is marked sent"
# the rate limit: one report per run
rm -rf "$T/spool/sent" "$T/sent"/*
sed -i 's|sendmail = |max_reports = 1;\n  sendmail = |' "$T/postern.conf"
out=$("$REPORT" -c "$T/postern.conf" --day 2026-12-01 2>"$T/err4")
is "$?" 1 "rate-limited run exits 1 (reports left for later)"
like "$out" 'reports: 1 sent' "max_reports = 1: one report sent"
like "$(cat "$T/err4")" 'rate limit reached' "the rate limit is named"
# a failing sendmail is reported, nothing is marked sent
rm -rf "$T/spool/sent"
out=$("$REPORT" -c "$T/postern.conf" --day 2026-12-01 --sendmail /bin/false 2>"$T/err5")
is "$?" 1 "failing sendmail: exit 1"
ok $([ -z "$(ls "$T/spool/sent" 2>/dev/null)" ]; echo $?) "failing sendmail: nothing marked sent"
"$REPORT" -c "$T/postern.conf" --period 5:1 >/dev/null 2>&1
is "$?" 2 "a bad period is a usage error"
# a spool directory that does not exist: postern -t names it, postern-report stops
sed "s|spool_dir = \"$T/spool\"|spool_dir = \"$T/nope\"|" "$T/postern.conf" >"$T/nope.conf"
out=$("$build/postern" -t -c "$T/nope.conf" 2>&1)
is "$?" 1 "postern -t refuses a missing spool directory"
like "$out" "nope.conf:0: dmarc_report.spool_dir: $T/nope: No such file or directory" "... naming file and key"
"$REPORT" -c "$T/nope.conf" >/dev/null 2>&1
is "$?" 2 "postern-report exits 2 without its spool directory"
tap_done
