#!/bin/bash
# behaviour.sh - the spam screen through the running daemon driven by
# miltertest, with DNS lists served by the loopback DNS fixture
# (tests/spam/zone.txt): tag, quarantine, reject at end of message,
# DNSBL reject and score at RCPT (IPv4 and IPv6), allowlist, list errors
# and timeouts, GTUBE, per-domain rule scores, observe mode, outbound
# thresholds, X-Spam-* removal; and the summary lines.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"
tmpdir_make
cp -r "$here/tests/spam/policies" "$TEST_TMPDIR/policies"
chmod -R u+w "$TEST_TMPDIR/policies"
dns_start "$here/tests/spam/zone.txt" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" 'spam = { dnsbl = [
	"bl bl.example score=4 codes=127.0.0.2,127.0.0.3",
	"mask mask.example score=2.5 mask=0x04",
	"wl wl.example score=-3" ];
	uribl = [ "ubl uribl.example score=3 codes=127.0.0.2,127.0.0.4" ]; };' || bail_out "postern did not start"
out="$TEST_TMPDIR/behaviour.out"
"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
	-s "$here/tests/spam/behaviour.lua" >"$out" 2>&1
st=$?; ok $st "miltertest behaviour.lua"
[ $st -eq 0 ] || { diag_file "$out"; diag_file "$PSTN_LOG"; }
logged() { grep -qE "$1" "$PSTN_LOG"; ok $? "$2"; }
logged 'SP1: eom: .* spam=0.5/3.0 spam_rules=auth_none=0.5 xspam_removed=2 verdict=accept' "clean: score, rules and removed fields logged"
logged 'SP3: eom: .* spam=7.0/3.0 spam_rules=dnsbl_bl=4.0,dnsbl_mask=2.5,auth_none=0.5 verdict=tag check=spam' "tag logged"
logged 'SP4: eom: .* spam=8.5/8.0 .*verdict=quarantine check=spam' "quarantine logged"
logged 'SP5: eom: .* verdict=reject check=spam reply="550 5.7.1 message refused as spam \(score 2.0: no_date, auth_none, no_message_id\)"' "eom reject names the strongest rules"
logged 'SP6: spam: recipient refused under policy strict.example: 554 5.7.1 client 192.0.2.66 is listed in bl \(bl.example\)' "DNSBL reject at RCPT names the list"
logged 'SP6: abort: .* rcpts=1 refused_rcpts=1 .*spam_rules=dnsbl_bl=4.0,dnsbl_mask=2.5' "the transaction goes on for the other recipient"
logged 'SP7: abort: .* verdict=reject check=spam reply="550 5.7.1 message refused as spam \(score 6.5: dnsbl_bl, dnsbl_mask\)"' "score over spam.reject refused at RCPT"
logged 'SP8: abort: .*reply="554 5.7.1 client 2001:db8::66 is listed in bl \(bl.example\)"' "IPv6 listing refused at RCPT"
logged 'SP9: eom: .* spam=-2.5/3.0 spam_rules=auth_none=0.5,dnsbl_wl=-3.0' "allowlist logged"
logged 'SP10: eom: .* spam_rules=auth_none=0.5,dnsbl_error=0.0 verdict=accept' "an error answer is dnsbl_error, not a listing"
logged 'spam: DNS list bl \(bl.example\) could not be asked for 192.0.2.99' "a list timeout is logged"
logged 'SP11: eom: .* spam_rules=auth_none=0.5,dnsbl_error=0.0 verdict=accept' "a list timeout is dnsbl_error"
logged 'SP12: eom: .* spam_rules=gtube=1000.0,.* verdict=reject check=spam reply="550 5.7.1 message refused as spam \(GTUBE test message\)"' "GTUBE refused"
logged 'SP13: eom: .* spam=0.75/3.0 spam_rules=auth_none=0.5,dnsbl_mask=0.25,dnsbl_bl=0.0 verdict=accept' "per-domain scores"
logged 'SP14: eom: .* verdict=accept observe_would=reject check=spam' "observe mode logs what it would do"
logged 'SP15: eom: .*dir=outbound.* spam=0.0/2.0 xspam_removed=1 verdict=accept' "outbound scored with its own threshold, no authentication rules" 
logged 'SP16: eom: .*dir=outbound.* spam=2.0/2.0 spam_rules=no_date=1.0,no_message_id=0.5,header_8bit=0.5 verdict=reject check=spam' "outbound over its threshold refused"
logged 'SP17: eom: .* spam=5.0/3.0 spam_rules=uribl_ubl=3.0,base64_text=1.5,auth_none=0.5 uri_domains=3 verdict=tag' "links in text and base64 HTML parts: URI list listing (the base64 ASCII HTML: base64_text)"
logged 'SP18: eom: .* spam_rules=auth_none=0.5,uribl_error=0.0 uri_domains=1 verdict=accept' "a URI list error answer is uribl_error"
logged 'SP19: eom: .* uri_domains=[0-9]+\(limit\)' "link domains are bounded per message"
logged 'SP20: eom: .* spam=3.0/3.0 spam_rules=from_name_domain=1.5,auth_none=0.5,url_shortener=0.5,html_only=0.5 ' "display-name domain, HTML only and URL shortener rules"
logged 'SP21: eom: .* spam_rules=image_only=1.0,auth_none=0.5 ' "image-only rule"
logged 'SP24: eom: .* spam_rules=date_future=1.0,auth_none=0.5 ' "a Date in the future"
logged 'SP25: eom: .* spam_rules=auth_none=0.5,date_past=0.5 ' "a Date ten days old"
logged 'SP26: eom: .* spam_rules=auth_none=0.5,date_invalid=0.5 ' "a Date that does not parse"
logged 'SP27: eom: .* spam_rules=link_mismatch=1.5,auth_none=0.5 ' "an HTML link showing another domain"
logged 'SP28: eom: .* spam_rules=auth_none=0.5,html_hidden=0.5 ' "HTML that hides text"
logged 'SP29: eom: .* spam_rules=[^ ]*header_malformed=1.0' "a unique field twice: header_malformed"
logged 'SP30: eom: .* spam_rules=[^ ]*header_malformed=1.0' "a control byte in a field: header_malformed"
logged 'SP33: eom: .* spam_rules=[^ ]*body_phrases=2.5' "content rule body_phrases"
logged 'SP33: eom: .* spam_rules=[^ ]*subject_caps=1.5' "content rule subject_caps"
logged 'SP33: eom: .* spam_rules=[^ ]*to_undisclosed=1.5' "content rule to_undisclosed"
logged 'SP33: eom: .* spam_rules=[^ ]*msgid_invalid=1.5' "content rule msgid_invalid"
logged 'SP33: eom: .* spam_rules=[^ ]*mime_no_version=1.5' "content rule mime_no_version"
logged 'SP33: eom: .* spam_rules=[^ ]*html_image_text=1.5' "content rule html_image_text"
logged 'SP33: eom: .* spam_rules=[^ ]*url_ip=1.0' "content rule url_ip"
logged 'SP33: eom: .* spam_rules=[^ ]*subject_shout=0.75' "content rule subject_shout"
logged 'SP33: eom: .* spam_rules=[^ ]*priority_high=0.75' "content rule priority_high"
logged 'SP33: eom: .* spam_rules=[^ ]*subject_money=0.5' "content rule subject_money"
logged 'SP34: eom: .* spam_rules=base64_text=1.5,auth_none=0.5,body_phrase=0.5 ' "base64 ASCII text and two sales phrases"
logged 'SP35: eom: .* spam=1.0/3.0 spam_rules=auth_none=0.5,header_8bit=0.5 ' "base64 UTF-8 text: no base64_text"
grep 'SP3[45]: eom' "$PSTN_LOG" | grep -q 'body_phrases\|subject_'; [ $? -ne 0 ]; ok $? "plain Subjects and two phrases: no subject_* or body_phrases"
logged 'SP36: eom: .* spam=3.0/3.0 spam_rules=mua_forged=1.5,date_zone_odd=1.0,auth_none=0.5 verdict=tag' "Outlook forms without X-MimeOLE and a Date at +1700: mua_forged, date_zone_odd"
logged 'SP37: eom: .* spam=0.5/3.0 spam_rules=auth_none=0.5 verdict=accept' "Outlook Express with its X-MimeOLE and a Date at -0930: neither rule"
logged 'SP38: eom: .* spam_rules=[^ ]*freemail_forged=0.75' "From a free mail service no relay of which handled it: freemail_forged"
grep 'SP39: eom' "$PSTN_LOG" | grep -q 'spam_rules='; ok $? "SP39 scored"
grep 'SP39: eom' "$PSTN_LOG" | grep -q freemail_forged; [ $? -ne 0 ]; ok $? "free mail through the service's relay: no freemail_forged"
logged 'SP31: eom: .* xspam_removed=42 verdict=accept' "42 distinct X-Spam-* names removed"
logged 'SP32: eom: .* xspam_removed=256\+ verdict=reject check=spam reply="550 5.7.1 message refused: more than 256 distinct X-Spam-\* header fields"' "more than 256 distinct X-Spam-* names refused"
grep 'SP2[78]: eom' "$PSTN_LOG" | grep -q header_malformed; [ $? -ne 0 ]; ok $? "well-formed headers: no header_malformed"
# no latency at connect: the lists are asked there and read at RCPT (the
# bl.example query for 192.0.2.98 never gets an answer; dns.timeout 1.5 s)
lat_phase() {
	local t0 st
	t0=$(date +%s%N)
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -D phase="$1" \
		-s "$here/tests/spam/latency.lua" >"$TEST_TMPDIR/lat-$1.out" 2>&1
	st=$?
	LAT_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ $st -eq 0 ] || diag_file "$TEST_TMPDIR/lat-$1.out"
	return $st
}
lat_phase connect; ok $? "latency.lua phase=connect"
[ "$LAT_MS" -lt 1000 ]; ok $? "connect and HELO with a list that never answers took $LAT_MS ms (DNS timeout 1500)"
lat_phase rcpt; ok $? "latency.lua phase=rcpt"
[ "$LAT_MS" -ge 1400 ]; ok $? "RCPT waited for the list's answer: $LAT_MS ms"
logged 'LAT1: abort: .*spam_rules=dnsbl_error=0.0' "the timed-out list is dnsbl_error"
tap_done
