#!/bin/bash
# report.sh - DMARC aggregate reports end to end: a real Postfix -> postern
# (report spool on) -> the loopback DNS fixture; five messages for one
# policy domain (three aligned passes, two failures refused with 550 5.7.1),
# then postern-report hands the report to the same Postfix with its
# sendmail(1) (-C the private instance); the delivered mail (the local sink)
# carries one report whose XML validates against the RFC 9990 schema and
# counts the messages; the same report sent with --smtp to Postfix's smtpd
# is delivered and schema-valid too.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"
. "$here/tests/lib/dns.sh"

postfix_require
command -v xmllint >/dev/null || bail_out "xmllint missing (apt-get install libxml2-utils)"
tmpdir_make
T=$TEST_TMPDIR
cat >"$T/zone.txt" <<'ZONE'
ZONE example.org.
example.org. 300 TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc.example.org. 300 TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.org"
ZONE bounce.example.
bounce.example. 300 TXT "v=spf1 ip4:192.0.2.20 -all"
ZONE example.net.
ZONE
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
mkdir -p "$T/policies" "$T/spool" && : >"$T/policies/default.conf"
chmod 777 "$T/spool"
postern_start "$T/policies" "dmarc_report = { spool_dir = \"$T/spool\"; };" ||
	bail_out "postern did not start"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"

begin=$(date +%s)
for i in 1 2 3; do
	smtp_send --xclient-addr 192.0.2.10 --from a@example.org --to user@example.net \
		--header "From: Alice <a@example.org>" --header "Subject: pass $i"
	ok $? "aligned pass $i accepted"
done
for i in 1 2; do
	smtp_send --xclient-addr 192.0.2.20 --from x@bounce.example --to user@example.net \
		--header "From: CEO <ceo@example.org>" --header "Subject: spoof $i"
	is $? 26 "DMARC failure $i refused after DATA (swaks 26)"
done
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" '550 5\.7\.1 DMARC policy of example\.org' "550 5.7.1 for p=reject"
pf_wait_delivered 3 >/dev/null; ok $? "the three passes are delivered"
postern_stop   # the spool writer drains on shutdown
is "$(cat "$T"/spool/*.spool | wc -l)" 5 "five spool records"

cat >"$T/report.conf" <<CONF
authserv_id = "mx.test.example";
policy_dir = "$T/policies";
dns = { nameservers = [ "127.0.0.1@$DNS_PORT" ]; timeout = 1500; };
dmarc_report = {
  spool_dir = "$T/spool";
  email = "dmarc-noreply@example.com";
  sendmail = "$(command -v sendmail) -C $PF_CONF -t -oi";
};
CONF
out=$("$build/postern-report" -c "$T/report.conf" --period "$((begin - 60)):$(($(date +%s) + 60))" -v 2>"$T/err")
st=$?; ok $st "postern-report exits 0"
[ $st -eq 0 ] || diag_file "$T/err"
like "$out" '5 records .* 1 domains, 2 rows; reports: 1 sent' "one report from five messages"
f=$(pf_delivered_subject "Report Domain: example.org Submitter: mx.test.example")
ok $? "the report mail is delivered to dmarc@example.org"
grep -q '^X-Original-To: dmarc@example.org' "$f"; ok $? "... addressed to the rua= address"
python3 - "$f" "$T/report.xml.gz" <<'PY'; ok $? "one application/gzip attachment named receiver!domain!begin!end.xml.gz"
import email, re, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
parts = [p for p in m.walk() if p.get_content_type() == 'application/gzip']
ok = len(parts) == 1 and re.fullmatch(r'mx\.test\.example!example\.org!\d+!\d+\.xml\.gz', parts[0].get_filename() or '')
if ok:
    open(sys.argv[2], 'wb').write(parts[0].get_payload(decode=True))
sys.exit(0 if ok else 1)
PY
gzip -dc "$T/report.xml.gz" >"$T/report.xml"
xmllint --noout --schema "$here/tests/data/dmarc/rfc9990.xsd" "$T/report.xml" 2>"$T/xmllint.out"
st=$?; ok $st "the report validates against the RFC 9990 schema"
[ $st -eq 0 ] || diag_file "$T/xmllint.out"
x() { xmllint --xpath "$1" "$T/report.xml" 2>/dev/null; }
is "$(x "string(//*[local-name()='record'][.//*[local-name()='source_ip']='192.0.2.10']//*[local-name()='count'])")" 3 "three passes from 192.0.2.10 in one row"
is "$(x "string(//*[local-name()='record'][.//*[local-name()='source_ip']='192.0.2.20']//*[local-name()='disposition'])")" reject "the failures' disposition: reject"
is "$(x "string(//*[local-name()='record'][.//*[local-name()='source_ip']='192.0.2.20']//*[local-name()='count'])")" 2 "two failures in one row"
is "$(x "string(//*[local-name()='record'][.//*[local-name()='source_ip']='192.0.2.10']//*[local-name()='envelope_to'])")" example.net "envelope_to: the recipient domain"
is "$(x "count(//*[local-name()='envelope_to'])")" 2 "... in every record"

# the same report by SMTP (--smtp) to Postfix's smtpd, through postern again
postern_restart
_postern_wait_port "$PSTN_PORT" || bail_out "postern did not restart"
n0=$(grep -l -s '^Subject: Report Domain: example.org' $(pf_delivered) | wc -l)
out=$("$build/postern-report" -c "$T/report.conf" --period "$((begin - 60)):$(($(date +%s) + 60))" \
	--smtp "127.0.0.1:$PF_PORT" --state "$T/sent-smtp" -v 2>"$T/err2")
st=$?; ok $st "postern-report --smtp 127.0.0.1:PORT exits 0"
[ $st -eq 0 ] || diag_file "$T/err2"
like "$out" 'reports: 1 sent' "... one report sent"
reports() { grep -l -s '^Subject: Report Domain: example.org' $(pf_delivered); }
for _ in $(seq 1 100); do [ "$(reports | wc -l)" -gt "$n0" ] && break; sleep 0.1; done
g=$(reports | grep -v -x -F "$f" | head -n 1)
[ -n "$g" ]; ok $? "the SMTP report is delivered"
grep -q '^Received: from mx.test.example (localhost \[127.0.0.1\])' "$g"
ok $? "... through Postfix's smtpd (EHLO mx.test.example from 127.0.0.1)"
grep -q '^Return-Path: <dmarc-noreply@example.com>' "$g"; ok $? "... envelope sender dmarc_report.email"
python3 - "$g" "$T/report2.xml.gz" <<'PY'; ok $? "... with its application/gzip attachment"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
p = [x for x in m.walk() if x.get_content_type() == 'application/gzip']
if len(p) == 1:
    open(sys.argv[2], 'wb').write(p[0].get_payload(decode=True))
sys.exit(0 if len(p) == 1 else 1)
PY
gzip -dc "$T/report2.xml.gz" >"$T/report2.xml"
xmllint --noout --schema "$here/tests/data/dmarc/rfc9990.xsd" "$T/report2.xml" 2>"$T/xmllint2.out"
st=$?; ok $st "the report sent by SMTP validates against the RFC 9990 schema"
[ $st -eq 0 ] || diag_file "$T/xmllint2.out"
postern_stop
postfix_stop
tap_done
