#!/bin/bash
# run.sh - the demo: install what is missing, build, start postern with the
# shipped policies (policies/default.conf, policies/example.com.conf) and two
# fresh DKIM keys for example.com behind a private loopback Postfix, with a
# loopback DNS server (unbound) publishing SPF, DKIM and DMARC records
# (demo/zone.txt) and a classifier trained on a sample of the SpamAssassin
# corpus (tests/data/spam); send mails through it and show the SMTP replies,
# the headers postern added and its one log line per message.  Everything runs
# on free loopback ports and is stopped at the end.
set -u
cd "$(dirname "$0")/.." || exit 1
sh contrib/deps.sh || exit 1
sh contrib/build.sh || exit 1

top_srcdir=$PWD top_builddir=$PWD
export top_srcdir top_builddir
. tests/lib/tap.sh
. tests/lib/dns.sh
. tests/lib/postern.sh
. tests/lib/postfix.sh
PATH=$PATH:/usr/sbin

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# the decisive replies of a swaks transcript: refusals, and "queued as"
reply() { grep -E '^ *<[-~*]+ +([45][0-9][0-9] |250 2\.0\.0 Ok: queued)' "$SMTP_LOG" | sed 's/^ *<[-~*]* */   /'; }

tmpdir_make
# DKIM keys for example.com: RSA-2048 and Ed25519, published in the zone
mkdir -m 700 "$TEST_TMPDIR/keys"
mkdir -p "$TEST_TMPDIR/spool" "$TEST_TMPDIR/reports" && chmod 777 "$TEST_TMPDIR/spool"
begin=$(date +%s)
cp demo/zone.txt "$TEST_TMPDIR/zone.txt"
for k in "sel-rsa rsa" "sel-ed ed25519"; do
	set -- $k
	./postern-keygen -d example.com -s "$1" -a "$2" -o "$TEST_TMPDIR/keys" >/dev/null || exit 1
	sed -e 's/ IN TXT ( / 300 TXT /' -e 's/ )$//' "$TEST_TMPDIR/keys/example.com.$1.txt" >> "$TEST_TMPDIR/zone.txt"
done
dns_start "$TEST_TMPDIR/zone.txt" || exit 1
# the classifier: an LMDB store trained on 200 spam + 400 ham of the SpamAssassin
# public corpus (tests/data/spam); two messages of a later year are sent below
tar -xJf tests/data/spam/sa-sample.tar.xz -C "$TEST_TMPDIR" || exit 1
say "the classifier: postern-learn trains an LMDB store on 200 spam + 400 ham of 2002"
for k in "spam train-spam" "ham train-ham"; do
	set -- $k
	out=$(./postern-learn -c /dev/null --store "lmdb:$TEST_TMPDIR/state.mdb" --"$1" -q "$TEST_TMPDIR/sa/$2") || exit 1
	echo "   $out"
done
# a corpus message as it would arrive today: no mbox From_ line, today's Date
corpus_msg() { sed -e '1{/^From /d}' -e "s/^Date: .*/Date: $(date -R)/" "$TEST_TMPDIR/sa/$1" > "$TEST_TMPDIR/$2"; }
postern_start "$PWD/policies" "store = { url = \"lmdb:$TEST_TMPDIR/state.mdb\"; };
dkim = { keys = [ \"example.com:sel-rsa:$TEST_TMPDIR/keys/example.com.sel-rsa.pem\", \"example.com:sel-ed:$TEST_TMPDIR/keys/example.com.sel-ed.pem\" ]; };
spam = { dnsbl = [ \"demo bl.example score=6 codes=127.0.0.2\" ]; };
dmarc_report = { spool_dir = \"$TEST_TMPDIR/spool\"; };" || exit 1
PF_EXTRA_MAIN_CF="inet_protocols = all"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || exit 1
say "postern $("$POSTERN" -V | cut -d' ' -f2) on $PSTN_SOCK, Postfix smtpd on 127.0.0.1:$PF_PORT, DNS on 127.0.0.1:$DNS_PORT"
echo "   example.org: SPF ip4:192.0.2.10 -all, DMARC p=reject;  example.com: DKIM keys sel-rsa, sel-ed"
echo "   policies: default (max 50 MB, .exe etc. blocked), example.com (max 10 MB, reply_url)"

say "1. inbound from 192.0.2.10 for sender@example.org: SPF pass, DMARC pass"
smtp_send --xclient-addr 192.0.2.10 --xclient-name mail.sender.example \
	--from sender@example.org --h-From sender@example.org --to user@example.com --header "Subject: demo 1: hello"
reply

say "2. a spoofer at 203.0.113.66 uses sender@example.org: SPF fail at RCPT"
smtp_send --xclient-addr 203.0.113.66 --from sender@example.org --to user@example.com --header "Subject: demo 2: spoof"
reply

say "3. SPF passes for bounce.example, but From: says ceo@example.org: DMARC p=reject"
smtp_send --xclient-addr 192.0.2.10 --from x@bounce.example --h-From ceo@example.org --to user@example.com \
	--header "Subject: demo 3: dmarc"
reply

say "4. a forged Authentication-Results that claims our authserv-id"
smtp_send --xclient-addr 192.0.2.10 --from sender@example.org --h-From sender@example.org --to user@example.com \
	--header "Subject: demo 4: forged" \
	--add-header "Authentication-Results: mx.test.example; dkim=pass header.d=bank.example"
reply

say "5. an .exe attachment"
printf 'MZ fake executable\n' > "$TEST_TMPDIR/setup.exe"
smtp_send --xclient-addr 192.0.2.10 --from sender@example.org --h-From sender@example.org --to user@example.com \
	--header "Subject: demo 5: exe" --attach-type application/octet-stream --attach "@$TEST_TMPDIR/setup.exe"
reply

say "6. a 12 MB attachment to user@example.com (policy limit 10 MB)"
head -c 9000000 /dev/urandom | base64 -w 76 > "$TEST_TMPDIR/big.b64"
smtp_send --xclient-addr 192.0.2.10 --from sender@example.org --h-From sender@example.org --to user@example.com \
	--header "Subject: demo 6: big" --attach-type text/plain --attach "@$TEST_TMPDIR/big.b64"
reply

say "7. MAIL FROM declaring SIZE=60000000 (over every policy's limit)"
python3 tests/e2e/smtpc.py "$PF_PORT" size 192.0.2.10 sender@example.org user@example.com 60000000 |
	grep '^mail' | sed 's/^mail /   /'

say "8. outbound from an internal client (10.1.2.3), From: ceo@example.com: signed twice"
smtp_send --xclient-addr 10.1.2.3 --from ceo@example.com --h-From ceo@example.com --to user@example.net --header "Subject: demo 8: outbound"
reply

say "9. a client listed in the DNS list bl.example (198.51.100.7): scored 6.5, tagged"
smtp_send --xclient-addr 198.51.100.7 --from promo@client.example --to user@example.com \
	--header "Subject: demo 9: listed client"
reply

say "10. the GTUBE test string: refused as spam"
smtp_send --xclient-addr 192.0.2.10 --from sender@example.org --h-From sender@example.org --to user@example.com \
	--header "Subject: demo 10: gtube" --body 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
reply

say "11. a spam of 2003 (SpamAssassin corpus, spam-2): the trained classifier tags it"
corpus_msg test-spam/00070.598f33a87fd0df81c691f9109fc2378a.txt spam.eml
smtp_send --xclient-addr 192.0.2.10 --from sender@example.org --to user@example.com --data "@$TEST_TMPDIR/spam.eml"
reply

say "12. a ham of 2003 (easy-ham-2): the classifier is sure it is not spam"
corpus_msg test-ham/00013.245fc5b9e5719b033d5d740c51af92e0.txt ham.eml
smtp_send --xclient-addr 192.0.2.10 --from sender@example.org --to user@example.com --data "@$TEST_TMPDIR/ham.eml"
reply

pf_wait_delivered 6 20 >/dev/null 2>&1
say "headers postern added to the delivered mails"
for f in $(pf_delivered); do
	echo "   --- $(sed -n 's/^Subject: //p' "$f" | head -n 1)"
	sed '/^$/q' "$f" | awk '/^[^ \t]/ { keep = ($0 ~ /^(Authentication-Results|Received-SPF|DKIM-Signature|X-Spam-[A-Za-z]+):/) } keep' |
		sed 's/^/   /' | cut -c1-110
done

say "postern's summary lines (one per message)"
grep -E ': (eom|abort): ' "$PSTN_LOG" | sed 's/^postern\[info\]: /   /' | cut -c1-400
postfix_stop
postern_stop   # the report spool's writer drains at stop

say "the DMARC aggregate report (RFC 9990) postern-report builds from today's spool"
cat >"$TEST_TMPDIR/report.conf" <<CONF
authserv_id = "mx.test.example";
policy_dir = "$PWD/policies";
dns = { nameservers = [ "127.0.0.1@$DNS_PORT" ]; timeout = 1500; };
dmarc_report = { spool_dir = "$TEST_TMPDIR/spool"; email = "dmarc-noreply@example.com"; };
CONF
./postern-report -c "$TEST_TMPDIR/report.conf" --period "$((begin - 60)):$(($(date +%s) + 60))" \
	--dry-run "$TEST_TMPDIR/reports" -v 2>&1 | sed 's/^/   /'
for f in "$TEST_TMPDIR"/reports/*.xml.gz; do
	[ -e "$f" ] || continue
	echo "   --- $(basename "$f")"
	gzip -dc "$f" | grep -E '<(org_name|domain|p|source_ip|count|disposition|dkim|spf)>' | sed 's/^ */   /' | head -n 24
done
dns_stop
say "demo finished; everything stopped"
