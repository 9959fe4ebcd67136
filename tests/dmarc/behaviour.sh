#!/bin/bash
# behaviour.sh - DMARC through the running daemon driven by miltertest, with
# SPF and the DMARC records served by the loopback DNS fixture: aligned
# pass, p=reject (550 5.7.1), p=quarantine, an old pct=0, two From fields,
# DNS timeout, observe mode, outbound mail; RFC 9989: the tree walk (eleven
# labels, relaxed alignment by organisational domain, psd=n, a PSD's
# psd=y record), t=y testing mode; trusted forwarders (by SPF identity and
# by client address) and dmarc.list_action for List-Id; the summary lines.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
tmpdir_make
cp -r "$here/tests/dmarc/policies" "$TEST_TMPDIR/policies"
dns_start "$here/tests/dmarc/zone.txt" || bail_out "DNS fixture did not start"
mkdir -p "$TEST_TMPDIR/spool"
postern_start "$TEST_TMPDIR/policies" "dmarc_report = { spool_dir = \"$TEST_TMPDIR/spool\"; };" ||
	bail_out "postern did not start"
out="$TEST_TMPDIR/behaviour.out"
"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
	-s "$here/tests/dmarc/behaviour.lua" >"$out" 2>&1
st=$?; ok $st "miltertest behaviour.lua"
[ $st -eq 0 ] || diag_file "$out"
logged() { grep -qE "$1" "$PSTN_LOG"; ok $? "$2" || { grep -o "${1%%:*}: eom: .*" "$PSTN_LOG" | sed "s/^/# /"; }; }
logged 'DM1: eom: .*dmarc=pass\(p=reject\) policy.dmarc=reject header.from=example.org .*verdict=accept' "pass logged"
logged 'DM2: eom: .*dmarc=fail\(p=reject\) .*verdict=reject check=dmarc reply="550 5.7.1 DMARC policy of example.org' "reject logged with its reply"
logged 'DM3: eom: .*dmarc=fail\(p=quarantine\) .*verdict=quarantine' "quarantine logged"
logged 'DM4: eom: .*dmarc=fail\(p=reject,testing\) policy.dmarc=quarantine .*verdict=quarantine' "old pct=0 logged as testing"
logged 'DM5: eom: .*dmarc=permerror .*verdict=reject' "two From fields logged"
logged 'DM6: eom: .*dmarc=temperror .*verdict=accept' "temperror logged"
logged 'DM7: eom: .*dmarc=fail\(p=reject\) .*verdict=accept observe_would=reject' "observe mode logs what it would do"
grep 'DM8: eom' "$PSTN_LOG" | grep -q 'dmarc='
[ $? -ne 0 ]; ok $? "outbound mail has no DMARC result"
logged 'DM9: eom: .*dmarc=fail\(p=quarantine\) .*verdict=quarantine' "tree walk logged"
logged 'DM10: eom: .*dmarc=pass.* verdict=accept' "relaxed pass by tree walk logged"
logged 'DM11: eom: .*dmarc=fail\(p=reject\) .*verdict=reject' "psd=n logged"
logged 'DM12: eom: .*dmarc=fail\(p=reject\) .*verdict=reject check=dmarc' "PSD policy logged"
logged 'DM13: eom: .*dmarc=fail\(p=reject,testing\) policy.dmarc=quarantine .*verdict=accept observe_would=quarantine' "t=y in observe mode would quarantine"
logged 'DM14: eom: .*dmarc=fail\(p=reject,testing\) policy.dmarc=quarantine .*verdict=quarantine' "t=y logged"
logged 'DM15: eom: .*dmarc=fail\(p=reject\) .*dmarc_override=trusted_forwarder\(lists.example.net\) .*verdict=accept' "forwarder override logged"
logged 'DM16: eom: .*dmarc_override=trusted_forwarder\(192.0.2.77\) .*verdict=accept' "forwarder host logged"
logged 'DM17: eom: .*dmarc=fail\(p=reject\) .*verdict=reject' "untrusted forwarder refused"
logged 'DM18: eom: .*dmarc_override=mailing_list\(list-id=Talk <talk.lists.other.example>\) .*verdict=quarantine' "list override logged"
logged 'DM19: eom: .*dmarc=fail\(p=reject\) .*verdict=reject' "List-Id alone changes nothing"
logged 'DM19E: eom: .*dmarc=fail\(p=reject\) .*verdict=reject' "an empty List-Id logged"
# the report spool: one line per message DMARC applied to (pass or fail),
# complete once the daemon has stopped (the writer drains its queue)
# a reload (SIGUSR1) starts a writer for the new snapshot; the old one
# drains when its last connection goes: nothing is lost
kill -USR1 "$PSTN_PID"
for _ in $(seq 1 50); do grep -q 'configuration reloaded' "$PSTN_LOG" && break; sleep 0.1; done
cat >"$TEST_TMPDIR/after.lua" <<'LUA'
dofile(libdir .. "/common.lua")
local conn = open("192.0.2.10")
mail(conn, "<a@example.org>", "DM20")
check(mt.rcptto(conn, "<gone@denied.example>") == nil, "rcpt gone@denied.example")
expect(conn, SMFIR_REPLYCODE, "a denied recipient refused first")
rcpt(conn, "<u@Rcpt.Example>")
rcpt(conn, "<v@other.example>")
message(conn, { { "From", "a@example.org" }, { "Subject", "DM20" } }, "hello\r\n")
expect(conn, SMFIR_CONTINUE, "after the reload: accepted")
mt.disconnect(conn)
LUA
"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -s "$TEST_TMPDIR/after.lua" >"$out" 2>&1
st=$?; ok $st "a message after SIGUSR1"
[ $st -eq 0 ] || { diag "rc=$st pid=$PSTN_PID"; diag_file "$out"; tail -5 "$PSTN_LOG" | sed "s/^/# /"; }
postern_stop
spool=$(cat "$TEST_TMPDIR"/spool/*.spool 2>/dev/null)
is "$(grep -c '^v=1 ' <<<"$spool")" 18 "spool: 18 records (DM1-4, DM7, DM9-20, DM19E) across the reload"
logged 'dmarc report spool: [0-9]+ records written, 0 dropped, 0 write errors' "the writers' totals logged"
line() { grep -F " from=$1 " <<<"$spool" | grep -F -- "$2"; }
like "$(grep -F 'from=example.org mfrom=bounce.example' <<<"$spool" | head -n 1)" ' pdom=example.org p=reject .* rua=mailto:dmarc@example.org res=fail disp=reject dkal=0 spal=0 ' "spool: a reject"
like "$(grep -F 'ip=192.0.2.10 from=example.org mfrom=example.org' <<<"$spool")" ' res=pass disp=pass dkal=0 spal=1 .*spf=example.org,mfrom,pass' "spool: a pass with its SPF result"
like "$(grep -F 'from=example.org mfrom=bounce.example' <<<"$spool" | head -n 1)" ' rcpt=example.net ' "spool: the recipient domain (envelope_to)"
is "$(grep -c ' rcpt=rcpt.example ' <<<"$spool")" 1 "spool: two recipients: the first one's domain, lower case"
is "$(grep -c ' rcpt=other.example ' <<<"$spool")" 0 "... not the second's"
is "$(grep -c ' rcpt=denied.example ' <<<"$spool")" 0 "... nor a refused one's before it"
like "$(grep -F 'mfrom=lists.example.net' <<<"$spool" | grep -F 'disp=none')" 'ovt=trusted_forwarder ovc=lists.example.net' "spool: trusted forwarder override"
like "$(grep -F 'ovt=mailing_list' <<<"$spool")" 'disp=quarantine' "spool: mailing list override"
like "$(grep -F 'from=testing.example' <<<"$spool" | grep -F 'disp=quarantine')" 't=y .*ovt=policy_test_mode' "spool: t=y override"
like "$(grep -F 'from=testing.example' <<<"$spool" | grep -F 'disp=none')" 'ovt=local_policy ovc=observe%20mode' "spool: observe mode override"
like "$(grep -F 'from=shop.psd.example' <<<"$spool")" 'pdom=psd.example .*psd=y psdrec=1' "spool: PSD record"
tap_done
