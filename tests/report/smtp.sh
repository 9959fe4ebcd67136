#!/bin/bash
# smtp.sh - postern-report over SMTP (--smtp HOST:PORT, dmarc_report.smtp)
# against a real SMTP server started here (tests/report/smtpsink.py on its
# own port): EHLO, STARTTLS when offered (dmarc_report.smtp_tls), MAIL FROM
# the report address, RCPT TO the rua= address, dot-stuffing on the wire
# (unit-tested) and the delivered report byte for byte the --dry-run one,
# schema-valid;
# a 5xx at RCPT and a 4xx after DATA: a clear message and exit 1, no sent
# mark; a server that never answers: the timeout; smtp_tls = encrypt
# without STARTTLS refuses to send.
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
_dmarc.report.example. 300 TXT "v=DMARC1; p=reject; rua=mailto:agg@report.example"
ZONE
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sink.test \
	-keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 || bail_out "openssl req"

SINKS=()
on_exit 'for p in "${SINKS[@]}"; do reap_stop "$p"; done'
sink() {   # sink NAME [smtpsink options]: SINK_PORT := its port, mail in $T/NAME/
	local name=$1 pid
	shift
	mkdir -p "$T/$name"
	spawn pid "$T/$name.log" python3 "$here/tests/report/smtpsink.py" "$T/$name.port" "$T/$name" "$@"
	SINKS+=("$pid")
	for _ in $(seq 1 100); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
	SINK_PORT=$(cat "$T/$name.port" 2>/dev/null)
	[ -n "$SINK_PORT" ]
}

day=1796083200   # 2026-12-01 00:00 UTC
mkdir -p "$T/spool" "$T/pol" && : >"$T/pol/default.conf"
for i in 1 2 3; do
	echo "v=1 ts=$((day + i)) host=mx1 ip=192.0.2.$i from=report.example mfrom=report.example rcpt= pdom=report.example p=reject sp=reject np=reject adkim=r aspf=r t=n psd=u psdrec=0 rua=mailto:agg@report.example res=pass disp=pass dkal=1 spal=1 ovt= ovc= spf=report.example,mfrom,pass"
done >"$T/spool/mx1-20261201.spool"
conf() {   # conf FILE [extra dmarc_report lines]
	cat >"$1" <<CONF
authserv_id = "mx.test.example";
policy_dir = "$T/pol";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; timeout = 1500; };
dmarc_report = {
  spool_dir = "$T/spool";
  email = "dmarc-reports@mx.test.example";
  sendmail = "/bin/false";
  $2
};
CONF
}
conf "$T/base.conf"
run() {   # run STATE CONF [options]: OUT, ERR, ST
	local state=$1 cf=$2
	shift 2
	OUT=$("$REPORT" -c "$cf" --day 2026-12-01 --state "$T/$state" -v "$@" 2>"$T/err")
	ST=$?
	ERR=$(cat "$T/err")
}
mkdir -p "$T/dry" && "$REPORT" -c "$T/base.conf" --day 2026-12-01 --dry-run "$T/dry" >/dev/null 2>&1
dry=$(ls "$T"/dry/*.eml 2>/dev/null | head -n 1)
[ -s "$dry" ] || bail_out "no dry-run report mail"

# 1. plain SMTP with STARTTLS offered: used (smtp_tls = may, the default)
sink tls --tls "$T/cert.pem" "$T/key.pem" || bail_out "sink did not start"
run st1 "$T/base.conf" --smtp "127.0.0.1:$SINK_PORT"
ok $ST "postern-report --smtp exits 0"
[ $ST -eq 0 ] || diag "$ERR"
like "$OUT" 'reports: 1 sent, 0 skipped, 0 failed' "one report sent"
env1="$T/tls/1.env"
like "$(cat "$env1" 2>/dev/null)" 'helo=EHLO mx.test.example \| EHLO mx.test.example' "EHLO, and EHLO again after STARTTLS"
like "$(cat "$env1" 2>/dev/null)" 'tls=yes' "STARTTLS used when offered"
like "$(cat "$env1" 2>/dev/null)" 'mail=MAIL FROM:<dmarc-reports@mx.test.example>' "MAIL FROM the report address"
like "$(cat "$env1" 2>/dev/null)" 'rcpt=RCPT TO:<agg@report.example>' "RCPT TO the rua= address"
# the delivered mail is the dry-run mail but for Date and the boundary (the
# time); no line of a report mail starts with "." (dot-stuffing itself:
# tests/unit/test_report_smtp.c), so the wire form is the same bytes
cmp -s "$T/tls/1.wire" "$T/tls/1.eml"; ok $? "on the wire: CRLF lines, nothing to stuff"
norm() { sed -E 's/^Date: .*/Date: X/; s/=_postern_report_[0-9]+/=_B/g' "$1"; }
cmp -s <(norm "$dry") <(norm "$T/tls/1.eml"); ok $? "the delivered mail is the report mail, byte for byte"
python3 - "$T/tls/1.eml" "$T/r1.xml.gz" <<'PY'; ok $? "one application/gzip attachment"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
p = [x for x in m.walk() if x.get_content_type() == 'application/gzip']
if len(p) == 1:
    open(sys.argv[2], 'wb').write(p[0].get_payload(decode=True))
sys.exit(0 if len(p) == 1 else 1)
PY
gzip -dc "$T/r1.xml.gz" >"$T/r1.xml" 2>/dev/null
xmllint --noout --schema "$XSD" "$T/r1.xml" 2>"$T/xmllint.out"
st=$?; ok $st "the report delivered by SMTP validates against the RFC 9990 schema"
[ $st -eq 0 ] || diag_file "$T/xmllint.out"
run st1 "$T/base.conf" --smtp "127.0.0.1:$SINK_PORT"
like "$OUT" 'reports: 0 sent, 1 skipped' "sent mark: no second report of the period"

# 2. dmarc_report.smtp in the config, smtp_tls = none: plain
sink plain --tls "$T/cert.pem" "$T/key.pem" || bail_out "sink did not start"
conf "$T/cfg.conf" "smtp = \"127.0.0.1:$SINK_PORT\"; smtp_tls = \"none\";"
run st2 "$T/cfg.conf"
ok $ST "dmarc_report.smtp sends without --smtp"
like "$(cat "$T/plain/1.env" 2>/dev/null)" 'tls=no' "smtp_tls = none: no STARTTLS"
run st2b "$T/cfg.conf" --sendmail /bin/true
like "$OUT" '1 sent' "--sendmail on the command line wins over dmarc_report.smtp"
[ ! -e "$T/plain/2.eml" ]; ok $? "... nothing went to the SMTP server"

# 3. refusals: 550 at RCPT, 451 after DATA -> a clear message, exit 1, no mark
sink rcpt --reply rcpt=550 || bail_out "sink did not start"
run st3 "$T/base.conf" --smtp "127.0.0.1:$SINK_PORT"
is "$ST" 1 "550 at RCPT: exit 1"
like "$ERR" "report.example: SMTP 127.0.0.1:$SINK_PORT for agg@report.example: RCPT TO: 550 5.7.1 refused by the test sink" "... the step and the server's reply named"
like "$OUT" '0 sent, 0 skipped, 1 failed' "... counted as failed"
[ -z "$(ls -A "$T/st3")" ]; ok $? "... no sent mark (the next run tries again)"
sink data --reply end=451 || bail_out "sink did not start"
run st4 "$T/base.conf" --smtp "127.0.0.1:$SINK_PORT"
is "$ST" 1 "451 after the data: exit 1"
like "$ERR" 'end of DATA: 451 4.3.0 refused by the test sink' "... named"
# 4. a server that never answers the greeting: the timeout
sink stall --stall ehlo || bail_out "sink did not start"
conf "$T/slow.conf" "smtp_timeout = 1;"
t0=$(date +%s)
run st5 "$T/slow.conf" --smtp "127.0.0.1:$SINK_PORT"
t1=$(date +%s)
is "$ST" 1 "a silent server: exit 1"
like "$ERR" 'EHLO: timeout waiting for the reply' "... after dmarc_report.smtp_timeout"
ok $([ $((t1 - t0)) -le 5 ]; echo $?) "... within the timeout ($((t1 - t0)) s)"
# 5. smtp_tls = encrypt and no STARTTLS offered
sink notls || bail_out "sink did not start"
conf "$T/enc.conf" "smtp_tls = \"encrypt\";"
run st6 "$T/enc.conf" --smtp "127.0.0.1:$SINK_PORT"
is "$ST" 1 "smtp_tls = encrypt without STARTTLS: exit 1"
like "$ERR" 'STARTTLS: not offered by the server' "... named"
[ ! -e "$T/notls/1.eml" ]; ok $? "... nothing sent in the clear"
# 6. nobody listening; a malformed HOST:PORT
port=$(free_port tcp)
run st7 "$T/base.conf" --smtp "127.0.0.1:$port"
is "$ST" 1 "connection refused: exit 1"
like "$ERR" 'connect: Connection refused' "... named"
run st8 "$T/base.conf" --smtp "::1:25"
like "$ERR" 'connect: not HOST\[:PORT\]: ::1:25' "a bare IPv6 address needs brackets"
tap_done
