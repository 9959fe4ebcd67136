#!/bin/bash
# run.sh - the demo: install what is missing, build, start postern with the
# shipped policies (policies/default.conf, policies/example.com.conf)
# behind a private loopback Postfix, send a few mails through it, and show
# the SMTP replies, the headers postern added and its log lines.
# Everything runs on free loopback ports and is stopped at the end.
set -u
cd "$(dirname "$0")/.." || exit 1
sh contrib/deps.sh || exit 1
sh contrib/build.sh || exit 1

top_srcdir=$PWD top_builddir=$PWD
export top_srcdir top_builddir
. tests/lib/tap.sh
. tests/lib/postern.sh
. tests/lib/postfix.sh
PATH=$PATH:/usr/sbin

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# the decisive replies of a swaks transcript: refusals, and "queued as"
reply() { grep -E '^ *<[-~*]+ +([45][0-9][0-9] |250 2\.0\.0 Ok: queued)' "$SMTP_LOG" | sed 's/^ *<[-~*]* */   /'; }

tmpdir_make
postern_start "$PWD/policies" || exit 1
PF_EXTRA_MAIN_CF="inet_protocols = all"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || exit 1
say "postern $("$POSTERN" -V | cut -d' ' -f2) on $PSTN_SOCK, Postfix smtpd on 127.0.0.1:$PF_PORT"
echo "   policies: default (max 50 MB), example.com (max 10 MB, reply_url)"

say "1. inbound mail from 192.0.2.10 (via XCLIENT) to user@example.com"
smtp_send --xclient-addr 192.0.2.10 --xclient-name mail.sender.example \
	--to user@example.com --header "Subject: demo 1: hello"
reply

say "2. the same, carrying a forged Authentication-Results that claims our authserv-id"
smtp_send --xclient-addr 192.0.2.10 --to user@example.com --header "Subject: demo 2: forged" \
	--add-header "Authentication-Results: mx.test.example; dkim=pass header.d=bank.example"
reply

say "3. a 12 MB attachment to user@example.com (policy limit 10 MB)"
head -c 9000000 /dev/urandom | base64 -w 76 > "$TEST_TMPDIR/big.b64"
smtp_send --xclient-addr 192.0.2.10 --to user@example.com --header "Subject: demo 3: big" \
	--attach-type application/octet-stream --attach "@$TEST_TMPDIR/big.b64"
reply

say "4. MAIL FROM declaring SIZE=60000000 (over every policy's limit)"
python3 tests/e2e/smtpc.py "$PF_PORT" size 192.0.2.10 sender@example.org user@example.com 60000000 |
	grep '^mail' | sed 's/^mail /   /'

say "5. outbound mail from an internal client (10.1.2.3): no Authentication-Results"
smtp_send --xclient-addr 10.1.2.3 --to user@example.net --header "Subject: demo 5: outbound"
reply

pf_wait_delivered 3 20 >/dev/null 2>&1
say "headers of the delivered mails (Subject and Authentication-Results)"
for f in $(pf_delivered); do
	echo "   --- $(basename "$f" | cut -c1-24)"
	sed '/^$/q' "$f" | grep -E '^(Subject|Authentication-Results):' | sed 's/^/   /'
done

say "postern's summary lines (one per message)"
grep -E ': (eom|abort): ' "$PSTN_LOG" | sed 's/^postern\[info\]: /   /'
postfix_stop
postern_stop
say "demo finished; everything stopped"
