#!/bin/bash
# selftest.sh - TAP self-test of the test fixtures in tests/lib/:
# DNS (unbound) answers, a private Postfix accepting XCLIENT mail and
# delivering it to its maildir, milter tempfail, and clean shutdown.
# Run: bash tests/lib/selftest.sh   (needs root, unbound, postfix, swaks)
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/dns.sh"
. "$srcdir/tests/lib/postfix.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (postfix master)"
for c in "${UNBOUND_BIN:-unbound}" "${POSTFIX_BIN:-postfix}" "${SWAKS:-swaks}" python3; do
    command -v "$c" >/dev/null || skip_all "$c not installed"
done

tmpdir_make
cat > "$TEST_TMPDIR/dns.data" <<'DATA'
ZONE example.com.
TIMEOUT slow.example.com.
example.com.       300 TXT "v=spf1 ip4:192.0.2.10 -all"
example.com.       300 SPF "v=spf1 -all"
example.com.       300 MX 10 mx.example.com.
two.example.com.   300 TXT "part1" "part2"
mx.example.com.    300 A 192.0.2.25
10.2.0.192.in-addr.arpa. 300 PTR mail.example.net.
mail.example.net.  300 A 192.0.2.10
DATA

dns_start "$TEST_TMPDIR/dns.data"
ok $? "dns_start (port $DNS_PORT)" || bail_out "no DNS fixture"
dns_pid="$DNS_PID $(cat "$DNS_DIR/unbound.pid")"   # subreaper + unbound

is "$(dns_query two.example.com. TXT)" $'NOERROR\nTXT "part1" "part2"' "TXT with two strings"
is "$(dns_query example.com. SPF)" $'NOERROR\nSPF "v=spf1 -all"' "SPF (type 99)"
is "$(dns_query example.com. TYPE99)" $'NOERROR\nSPF "v=spf1 -all"' "TYPE99 query"
is "$(dns_query example.com. MX)" $'NOERROR\nMX 10 mx.example.com.' "MX"
is "$(dns_query 10.2.0.192.in-addr.arpa. PTR)" $'NOERROR\nPTR mail.example.net.' "PTR"
is "$(dns_query mail.example.net. A)" $'NOERROR\nA 192.0.2.10' "A outside any ZONE"
is "$(dns_query mx.example.com. TXT)" "NOERROR" "NODATA for other type"
is "$(dns_query nope.example.com. A)" "NXDOMAIN" "NXDOMAIN inside ZONE"
is "$(dns_query www.example.invalid. A 2)" "NXDOMAIN" "NXDOMAIN for undeclared name (no recursion)"
is "$(dns_query slow.example.com. TXT 3)" "TIMEOUT" "TIMEOUT name: no reply within 3 s"
is "$(dns_query a.slow.example.com. A 1)" "TIMEOUT" "TIMEOUT applies below the name"

echo 'new.example.org. 60 TXT "reloaded"' > "$TEST_TMPDIR/dns2.data"
old_port=$DNS_PORT
dns_reload "$TEST_TMPDIR/dns2.data"
ok $? "dns_reload"
is "$(dns_query new.example.org. TXT)" $'NOERROR\nTXT "reloaded"' "reloaded data served"
is "$(dns_query two.example.com. TXT)" "NXDOMAIN" "old data gone"
is "$DNS_PORT" "$old_port" "same port after reload"

postfix_start ""
ok $? "postfix_start without milter (port $PF_PORT)" || bail_out "no postfix"
master_pid=$(cat "$PF_DIR/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
like "$master_pid" '^[0-9]+$' "master pid $master_pid"

smtp_send --xclient-addr 192.0.2.10 --xclient-name mail.example.net \
    --header "Subject: selftest"
ok $? "swaks with XCLIENT accepted"
grep -q '<-  250 2.0.0 Ok: queued as' "$SMTP_LOG"
ok $? "transcript shows queued"
pf_wait_delivered 1 20
ok $? "delivered to maildir"
msg=$(pf_delivered | head -1)
grep -q '^X-Original-To: user@example.com' "$msg" 2>/dev/null
ok $? "delivered copy is for user@example.com"
grep -q 'mail.example.net \[192.0.2.10\]' "$msg" 2>/dev/null
ok $? "Received: shows the XCLIENT address"

smtp_send --xclient-addr 192.0.2.10 --to someone@elsewhere.example
is "$?" 24 "relay to a foreign domain refused at RCPT (swaks status 24)"
grep -q '<\*\* 554 5.7.1' "$SMTP_LOG"
ok $? "transcript shows 554 5.7.1"

# milter_default_action = tempfail with an unreachable milter
pf_postconf -e "smtpd_milters = inet:127.0.0.1:$(free_port)" && pf_reload
ok $? "reconfigured with a dead milter"
sleep 1
smtp_send --xclient-addr 192.0.2.10
ok $(( $? == 0 )) "mail refused with dead milter"
grep -Eq '<\*\* 4[0-9][0-9] 4\.7\.1' "$SMTP_LOG"
ok $? "transcript shows 4xx 4.7.1" || diag_file "$SMTP_LOG"
pf_flush
ok $? "pf_flush"
is "$(pf_delivered | wc -l | tr -d ' ')" 1 "still exactly one message delivered"

# shutdown: nothing of ours may survive
kids=$(ps -o pid= --ppid "$master_pid" | tr -s " \n" " ")
postfix_stop
dns_stop
left=
for p in $dns_pid $master_pid $kids; do
    kill -0 "$p" 2>/dev/null && left="$left $p"
done
for f in /proc/[0-9]*/cmdline; do
    grep -qF "$TEST_TMPDIR" "$f" 2>/dev/null || continue
    p=${f#/proc/}; p=${p%/cmdline}
    [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] || left="$left $p"
done
is "$left" "" "no unbound/postfix process left (checked: $dns_pid $master_pid $kids)"
[ -z "$left" ] || ps -f -p "${left# }" | sed 's/^/# /'
# only our own processes count: the machine is shared, other zombies are not ours
z=$(ps -o stat= -p "$(echo $dns_pid $master_pid $kids | tr ' ' ',')" 2>/dev/null | grep -c '^Z')
ok $(( z > 0 )) "no zombie among our processes ($z)"

tap_done
