#!/bin/bash
# limits.sh - every named limit crossed once through the running daemon
# (tests/milter/limits.lua, miltertest): header count and bytes,
# recipients, message size (declared and streamed), MIME depth, parts,
# header line and block, boundary and file name length, attachment size
# and total, zip entries, SPF's 10 DNS terms and 2 void look-ups,
# dkim.max_signatures, spam.uribl_max_domains and a rate limit; for each
# the reply and the summary line with its reply="code xcode text".
# limits.connections: tests/bench/concurrency.sh; the table of limits with
# their replies and log lines: docs/RELIABILITY.md "Named limits".
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"
tmpdir_make
dns_start "$here/tests/milter/limits.zone" || bail_out "DNS fixture did not start"
postern_start "$here/tests/milter/limits-policies" "limits = { header_count = 20; header_bytes = 2048; recipients = 3; };
dkim = { max_signatures = 1; };
spam = { uribl = [ \"ubl uribl.lim.example score=3\" ]; uribl_max_domains = 1; };
store = { url = \"lmdb:$TEST_TMPDIR/state.mdb\"; };" || bail_out "postern did not start"

# a zip of three entries (zip_max_entries is 2 for attach.example)
zip=$(python3 - <<'PY'
import base64, io, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    for n in ("a.txt", "b.txt", "c.txt"):
        z.writestr(n, "x")
s = base64.b64encode(b.getvalue()).decode()
print("\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)), end="")
PY
)
out="$TEST_TMPDIR/limits.out"
start=$(date +%s%N)
"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -D zip="$zip" \
	-s "$here/tests/milter/limits.lua" >"$out" 2>&1
st=$?
ms=$((($(date +%s%N) - start) / 1000000))
ok $st "miltertest limits.lua: every limit crossed, replies as expected ($ms ms)"
[ $st -eq 0 ] || diag_file "$out"

# logged QID PHASE PATTERN DESC: the summary line of QID (phase mail, rcpt,
# body, eom or abort) matches PATTERN (an extended regular expression)
logged() {
	local line
	line=$(grep -E ": $1: $2: " "$PSTN_LOG" | tail -n 1)
	[[ $line =~ $3 ]]
	ok $? "$1: $4" || diag "log: ${line:-(no $2 line)}"
}
logged LIM1 abort 'verdict=reject check=size reply="552 5\.3\.4 too many header fields \(limit 20\)"' "header_count: 552 5.3.4 logged"
logged LIM2 eom 'verdict=accept' "header_count: 20 fields accepted"
logged LIM3 abort 'verdict=reject check=size reply="552 5\.3\.4 header block exceeds 2048 bytes"' "header_bytes: 552 5.3.4 logged"
logged LIM4 eom 'rcpts=3 refused_rcpts=1 .*verdict=accept last_refused_rcpt="452 4\.5\.3 too many recipients in one transaction \(limit 3\)"' "recipients: 452 4.5.3 logged, the message goes on"
logged LIM5 abort 'declared_size=30000 .*verdict=reject check=size reply="552 5\.3\.4 declared message size exceeds the size limit of 20480 bytes"' "max_message_size: SIZE= refused at MAIL FROM, logged"
logged LIM6 abort 'size=24017 .*verdict=reject check=size reply="552 5\.3\.4 message exceeds the size limit of 20480 bytes"' "max_message_size: streamed body refused, logged"
logged LIM7 abort 'mime_limit=depth .*check=attach reply="554 5\.6\.0 MIME nesting depth exceeds the limit of 3"' "mime_max_depth logged"
logged LIM8 abort 'mime_limit=parts .*check=attach reply="554 5\.6\.0 number of MIME parts exceeds the limit of 6"' "mime_max_parts logged"
logged LIM9 abort 'mime_limit=header_line .*check=attach reply="554 5\.6\.0 MIME header line length exceeds the limit of 200"' "mime_max_header_line logged"
logged LIM10 abort 'mime_limit=header_bytes .*check=attach reply="554 5\.6\.0 MIME header block size exceeds the limit of 400"' "mime_max_header_bytes logged"
logged LIM11 abort 'mime_limit=boundary .*check=attach reply="554 5\.6\.0 MIME boundary length exceeds the limit of 70"' "mime_max_boundary logged"
logged LIM12 abort 'mime_limit=filename .*check=attach reply="554 5\.6\.0 attachment file name length exceeds the limit of 20"' "mime_max_filename logged"
logged LIM13 abort 'attachments="big\.bin":application/octet-stream:122 .*check=attach reply="552 5\.3\.4 attachment exceeds the attachment size limit of 100 bytes"' "max_attachment_size logged"
logged LIM14 abort 'check=attach reply="552 5\.3\.4 attachments exceed the total size limit of 150 bytes"' "max_attachments_total logged"
logged LIM15 abort 'mime_limit=zip_entries .*check=attach reply="554 5\.6\.0 number of zip entries exceeds the limit of 2"' "zip_max_entries logged"
logged LIM16 abort 'spf=permerror .*check=spf reply="550 5\.7\.24 SPF permanent error for many\.lim\.example: more than 10 DNS-querying terms"' "SPF over 10 DNS terms: permerror, 550 5.7.24 logged"
logged LIM17 eom 'spf=pass .*verdict=accept' "SPF with 10 DNS terms passes"
logged LIM18 abort 'spf=permerror .*check=spf reply="550 5\.7\.24 SPF permanent error for void\.lim\.example: more than 2 void lookups"' "SPF with 3 void look-ups: permerror, 550 5.7.24 logged"
logged LIM19 eom 'spf=pass .*verdict=accept' "SPF with 2 void look-ups passes"
logged LIM20 eom 'dkim=pass:0,fail:0,temperror:0,other:2 dkim_unverified=1\(limit\) .*verdict=accept' "dkim.max_signatures: the unverified signature logged"
logged LIM21 eom 'uri_domains=3\(limit\) .*verdict=accept' "spam.uribl_max_domains: the domains over the limit counted"
logged LIM23 abort 'rate=limited\(1\) .*check=rate reply="451 4\.7\.1 rate limit reached for this client, try again later"' "rate.ip_messages: 451 4.7.1 logged"
grep -q 'LIM23: rate: client 192\.0\.2\.10 over 1 messages per 3600 s (policy rate\.example): 451 4\.7\.1' "$PSTN_LOG"
ok $? "rate.ip_messages: the rate line names client, limit and policy"

# The reply text on the wire (miltertest shows it at end of message only;
# every limit above refuses earlier): contrib/bench/milterload prints the
# first SMFIR_REPLYCODE it gets as "sample reply ..."; it must be the
# summary line's reply="..." word for word.
ML=${build:-${top_builddir:-$here}}/contrib/bench/milterload
mkdir -p "$TEST_TMPDIR/eml"
python3 - "$TEST_TMPDIR/eml" <<'PY'
import sys
d = sys.argv[1]
def w(name, hdrs, body):
    with open(f"{d}/{name}.eml", "wb") as f:
        f.write(("".join(f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n" + body).encode())
base = [("From", "a@ok.lim.example"), ("Subject", "wire")]
w("header_count", base + [(f"X-Field-{i}", "v") for i in range(20)], "body\r\n")
w("header_bytes", base + [("X-Long", "h" * 2100)], "body\r\n")
w("size", base, ("x" * 98 + "\r\n") * 250)
w("plain", base, "body\r\n")
mime = base + [("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=p")]
w("mime_parts", mime, "".join("--p\r\nContent-Type: text/plain\r\n\r\nhi\r\n" for _ in range(7)) + "--p--\r\n")
w("attachment", mime, "--p\r\nContent-Type: application/octet-stream\r\n"
  "Content-Disposition: attachment; filename=\"big.bin\"\r\n\r\n" + "z" * 120 + "\r\n--p--\r\n")
PY
# wire CASE LOGQID-PATTERN MILTERLOAD-ARGS...: the reply milterload saw
# equals the reply logged for its message (milterload's queue ids: MLnnn)
wire() {
	local what=$1 out reply; shift
	out=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" -s "$PSTN_SOCK" -n 1 "$@" 2>&1)
	reply=$(sed -n 's/^sample reply //p' <<<"$out")
	if [ -z "$reply" ]; then
		ok 1 "$what: a reply code on the wire"; diag "$out"; return
	fi
	grep -qF "reply=\"$reply\"" "$PSTN_LOG" || grep -qF "last_refused_rcpt=\"$reply\"" "$PSTN_LOG"
	ok $? "$what: on the wire and in the log: $reply"
}
E=$TEST_TMPDIR/eml
wire "header_count" -m "$E/header_count.eml" -f a@ok.lim.example
wire "header_bytes" -m "$E/header_bytes.eml" -f a@ok.lim.example
wire "max_message_size" -m "$E/size.eml" -f a@ok.lim.example
wire "recipients" -m "$E/plain.eml" -f a@ok.lim.example -r u1@example.net -r u2@example.net \
	-r u3@example.net -r u4@example.net
wire "mime_max_parts" -m "$E/mime_parts.eml" -f a@ok.lim.example -r u@mime.example
wire "max_attachment_size" -m "$E/attachment.eml" -f a@ok.lim.example -r u@attach.example
wire "SPF look-up limit" -m "$E/plain.eml" -f a@many.lim.example
wire "rate.ip_messages" -m "$E/plain.eml" -f a@ok.lim.example -r u@rate.example -a 192.0.2.10

# a refused limit is never a crash or a lost connection: the daemon still serves
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "the daemon is still running"
postern_stop
tap_done
