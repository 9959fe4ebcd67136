#!/bin/bash
# attach.sh - the attachment screen end to end through a real Postfix:
#   - a 30 MB attachment is refused with 552 5.3.4 from the body callback,
#     and postern's memory (VmRSS, VmHWM) grows by less than 2 MB doing it;
#   - an .exe inside a zip is refused with 554 5.7.1 naming it;
#   - a clean mail with attachments is delivered with its body untouched.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"

postfix_require

tmpdir_make
cp -r "$here/tests/e2e/attach-policies" "$TEST_TMPDIR/policies"
postern_start "$TEST_TMPDIR/policies" || bail_out "postern did not start"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"

kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PSTN_PID/status"; }

delivered() { pf_delivered_subject "$@"; }
headers() { pf_headers "$@"; }

# a message with a zip attachment, written by python's own zipfile/email
make_mail() {   # make_mail OUT SUBJECT ZIPNAME...
	python3 - "$@" <<'PY'
import io, sys, zipfile
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
out, subject, names = sys.argv[1], sys.argv[2], sys.argv[3:]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for n in names:
        z.writestr(n, ("content of %s\n" % n) * 50)
m = MIMEMultipart()
m["From"] = "sender@example.org"
m["To"] = "user@example.com"
m["Subject"] = subject
m.attach(MIMEText("Please find the files attached.\n"))
pdf = MIMEApplication(b"%PDF-1.4\n" + bytes(range(256)) * 40, "pdf")
pdf.add_header("Content-Disposition", "attachment", filename="report.pdf")
m.attach(pdf)
zp = MIMEApplication(buf.getvalue(), "zip")
zp.add_header("Content-Disposition", "attachment", filename="files.zip")
m.attach(zp)
open(out, "wb").write(m.as_bytes().replace(b"\n", b"\r\n"))
PY
}

# 1. warm up (threads, buffers), then the 30 MB attachment
make_mail "$TEST_TMPDIR/warm.eml" e2e-warm a.txt
smtp_send --xclient-addr 192.0.2.10 --data "$TEST_TMPDIR/warm.eml"
ok $? "warm-up mail accepted"
rss0=$(kb VmRSS) hwm0=$(kb VmHWM)
head -c 31457280 /dev/urandom > "$TEST_TMPDIR/big.bin"
smtp_send --xclient-addr 192.0.2.10 --header "Subject: e2e-30mb" \
	--attach-type application/octet-stream --attach-name big.bin --attach "@$TEST_TMPDIR/big.bin"
st=$?
rss1=$(kb VmRSS) hwm1=$(kb VmHWM)
[ $st -ne 0 ]; ok $? "30 MB attachment refused"
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" '552 5\.3\.4 .*attachment size limit of 10485760 bytes' \
	"... with 552 5.3.4 naming the attachment limit"
grep -q 'check=attach reply="552 5.3.4' "$PSTN_LOG"
ok $? "the summary line names the attachment check"
diag "postern VmRSS ${rss0} -> ${rss1} kB, VmHWM ${hwm0} -> ${hwm1} kB"
[ -n "$rss1" ] && [ $((rss1 - rss0)) -lt 2048 ]
ok $? "VmRSS grew by less than 2 MB ($((rss1 - rss0)) kB)"
[ -n "$hwm1" ] && [ $((hwm1 - hwm0)) -lt 2048 ]
ok $? "VmHWM grew by less than 2 MB ($((hwm1 - hwm0)) kB)"

# 2. an .exe inside a zip
make_mail "$TEST_TMPDIR/exe.eml" e2e-zip-exe readme.txt "docs/Invoice.pdf.exe"
smtp_send --xclient-addr 192.0.2.10 --data "$TEST_TMPDIR/exe.eml"
[ $? -ne 0 ]; ok $? ".exe inside a zip refused"
like "$(grep -E '^<\*\* +5' "$SMTP_LOG" | head -n 1)" '554 5\.7\.1 .*docs/Invoice\.pdf\.exe' \
	"... with 554 5.7.1 naming the file in the archive"

# 3. a clean mail with attachments: delivered, body bytes unchanged
make_mail "$TEST_TMPDIR/clean.eml" e2e-clean notes.txt data.csv
smtp_send --xclient-addr 192.0.2.10 --data "$TEST_TMPDIR/clean.eml"
ok $? "clean mail with attachments accepted"
f=$(delivered e2e-clean); ok $? "clean mail delivered"
# (the maildir stores LF line ends; swaks adds one line break before ".")
tr -d '\r' < "$TEST_TMPDIR/clean.eml" | sed '1,/^$/d' > "$TEST_TMPDIR/sent.body"
echo >> "$TEST_TMPDIR/sent.body"
sed '1,/^$/d' "$f" > "$TEST_TMPDIR/got.body"
cmp "$TEST_TMPDIR/sent.body" "$TEST_TMPDIR/got.body" >&2
ok $? "delivered body is byte for byte the body sent ($(wc -c < "$TEST_TMPDIR/got.body") bytes)"
grep -q 'attachments="report.pdf":application/pdf:[0-9]*,"files.zip":application/zip:[0-9]*:zip(2)' "$PSTN_LOG"
ok $? "the summary line lists the attachments and the zip's entries"

postfix_stop
postern_stop
tap_done
