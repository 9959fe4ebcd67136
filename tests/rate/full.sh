#!/bin/bash
# full.sh - the state store and the DMARC report spool on a full disk,
# through the running daemon: LMDB (store.url) and the spool on a small
# tmpfs that the test fills.  Each message comes from a new client address
# under a rate limit it never reaches, so every one writes a new record.
# On the full disk: store.on_error tempfail (the default) answers 451 4.3.0
# (never a rate limit passed unchecked), the trouble is logged once, the
# daemon keeps running; the DMARC report line fails (logged), the mail
# does not; with space back the store works again and says so.  Then
# store.on_error continue (reload): mail flows, rate=down.
# Needs root (mount -t tmpfs); skips otherwise.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"
[ "$(id -u)" = 0 ] || skip_all "needs root to mount a tmpfs"
tmpdir_make
mnt=$TEST_TMPDIR/mnt
mkdir -p "$mnt"
mount -t tmpfs -o size=256k,mode=0755 postern-full "$mnt" 2>/dev/null ||
	skip_all "cannot mount a tmpfs here"
on_exit "umount -l '$mnt' 2>/dev/null"
mkdir -p "$mnt/spool" "$TEST_TMPDIR/pol"
cat >"$TEST_TMPDIR/pol/default.conf" <<'CONF'
rate = { ip_messages = 1000; };
CONF
# the DMARC record of the sender: every message gets a report line
cat >"$TEST_TMPDIR/zone" <<'ZONE'
ZONE full.example.
full.example. 0 TXT "v=spf1 ip4:198.18.0.0/15 -all"
_dmarc.full.example. 0 TXT "v=DMARC1; p=none; rua=mailto:r@full.example"
ZONE
dns_start "$TEST_TMPDIR/zone" || bail_out "DNS fixture did not start"
conf_store() {   # conf_store ON_ERROR
	echo "store = { url = \"lmdb:$mnt/state.mdb\"; on_error = \"$1\"; };
dmarc_report = { spool_dir = \"$mnt/spool\"; };"
}
postern_start "$TEST_TMPDIR/pol" "$(conf_store tempfail)" || bail_out "postern did not start"

# send FIRST COUNT: COUNT messages from 198.18.x.y (x.y from FIRST on),
# one connection each; prints "continue N tempfail M other K"
send() {
	cat >"$TEST_TMPDIR/send.lua" <<'LUA'
dofile(libdir .. "/common.lua")
local res = { continue = 0, tempfail = 0, other = 0 }
for i = tonumber(first), tonumber(first) + tonumber(count) - 1 do
	local ip = string.format("198.18.%d.%d", math.floor(i / 250), i % 250 + 1)
	local conn = open(ip)
	mail(conn, "<a@full.example>", "FULL" .. i)
	rcpt(conn, "<u@example.net>")
	local r = mt.getreply(conn)
	if r == SMFIR_CONTINUE then
		message(conn, { { "From", "a@full.example" }, { "Subject", "full " .. i } }, "hello\r\n")
		r = mt.getreply(conn)
		if r == SMFIR_CONTINUE then res.continue = res.continue + 1 else res.other = res.other + 1 end
	elseif r == SMFIR_REPLYCODE then
		res.tempfail = res.tempfail + 1
	else
		res.other = res.other + 1
	end
	mt.disconnect(conn)
end
print(string.format("continue %d tempfail %d other %d", res.continue, res.tempfail, res.other))
LUA
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
		-D first="$1" -D count="$2" -s "$TEST_TMPDIR/send.lua" 2>&1 | tail -n 1
}

r=$(send 0 20)
is "$r" "continue 20 tempfail 0 other 0" "room on the disk: 20 messages accepted and counted"
# fill the file system: what is left is what LMDB already has
dd if=/dev/zero of="$mnt/fill" bs=4k >/dev/null 2>&1
dd if=/dev/zero of="$mnt/fill2" bs=1 >/dev/null 2>&1
df -k "$mnt" | sed 's/^/# /'
r=$(send 100 120)
read -r _ c _ t _ o <<<"$r"
accepted=$((20 + c))
[ "$o" = 0 ] && [ "$t" -gt 0 ]
ok $? "full disk: new records fail, tempfailed ($r)"
logged() { grep -qE "$1" "$PSTN_LOG"; ok $? "$2" || diag "$(grep -E "${3:-rate: store}" "$PSTN_LOG" | tail -n 3)"; }
n=$(grep -c 'rate: store .* is .*rate limits tempfail (451 4.3.0)' "$PSTN_LOG")
is "$n" 1 "the store trouble is logged once (not once per message)"
logged 'rate: store lmdb:.* is (full|error) \(lmdb (commit|put|write): [^)]+\)' "the log line names the store and LMDB's error"
logged 'FULL[0-9]+: abort: .*rate=down .*verdict=tempfail check=rate reply="451 4\.3\.0 rate limit cannot be counted now, try again later"' "the summary line: rate=down, 451 4.3.0"
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "the daemon keeps running"
# the report spool on the same disk: its lines fail, the mail does not
logged 'dmarc report spool: write failed: No space left on device' "the spool's write failure is logged" 'dmarc report spool'

# space returns: the next messages are counted again, and that is logged
rm -f "$mnt/fill" "$mnt/fill2"
r=$(send 600 5)
is "$r" "continue 5 tempfail 0 other 0" "space back: accepted and counted again"
accepted=$((accepted + 5))
logged 'rate: store lmdb:.* works again \([0-9]+ call\(s\) failed' "recovery logged"
logged 'dmarc report spool: writing again after [0-9]+ failed line' "the spool's recovery logged" 'dmarc report spool'

# store.on_error continue: on the full disk mail flows, rate=down
dd if=/dev/zero of="$mnt/fill" bs=4k >/dev/null 2>&1
dd if=/dev/zero of="$mnt/fill2" bs=1 >/dev/null 2>&1
sed -i 's/on_error = "tempfail"/on_error = "continue"/' "$PSTN_CONF"
kill -USR1 "$PSTN_PID"
for _ in $(seq 1 50); do grep -q 'configuration reloaded' "$PSTN_LOG" && break; sleep 0.1; done
r=$(send 700 80)
is "$r" "continue 80 tempfail 0 other 0" "store.on_error continue: all accepted on the full disk"
accepted=$((accepted + 80))
logged 'rate: store .* rate limits not applied \(store.on_error continue\)' "continue: the trouble logged"
logged 'FULL[0-9]+: eom: .*rate=down .*verdict=accept' "continue: the summary line says rate=down"
postern_stop
# every accepted message has its report line or a counted, logged failure
# (the writers' totals: one line per snapshot)
sum=$(sed -n 's/.*dmarc report spool: \([0-9]*\) records written, \([0-9]*\) dropped, \([0-9]*\) write errors.*/\1 \2 \3/p' "$PSTN_LOG" |
	awk '{ w += $1; d += $2; e += $3 } END { print w + d + e, e }')
read -r total errs <<<"$sum"
is "$total" "$accepted" "report lines written + failed = accepted messages ($accepted, $errs failed)"
lines=$(cat "$mnt"/spool/*.spool 2>/dev/null | grep -c '^v=1 ')
is "$lines" "$((accepted - errs))" "the spool holds whole lines only"
tap_done
