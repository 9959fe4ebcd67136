#!/bin/bash
# policy.sh - the policy clauses through the running daemon (miltertest):
# allow/deny lists, TLS and submission rules, the sender bound to the
# login, HELO rules (tests/milter/{lists,access,login,helo}.lua with the
# policies in tests/milter/policy-policies), then the replies and summary
# fields in the log, a SIGUSR1 reload of a list file, and a bad list file
# refused by the reload with file:line.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"

tmpdir_make
cp -r "$here/tests/milter/policy-policies" "$TEST_TMPDIR/policies"
chmod -R u+w "$TEST_TMPDIR/policies"
# the foundation zone plus one HELO name that resolves
{ cat "$here/tests/data/foundation.zone"; echo 'mx.client.example. 300 A 192.0.2.10'; } \
	>"$TEST_TMPDIR/zone"
dns_start "$TEST_TMPDIR/zone" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" || bail_out "postern did not start"

run_lua() {   # run_lua NAME: one TAP test
	local script=$1 out="$TEST_TMPDIR/$1.out" st
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
		-s "$here/tests/milter/$script.lua" >"$out" 2>&1
	st=$?
	ok $st "miltertest $script.lua"
	[ $st -eq 0 ] || diag_file "$out"
}

logline() {   # logline QID REGEX [WHAT]: the summary line of QID matches
	local line
	line=$(grep -E "postern\[info\]: $1: (eom|abort):" "$PSTN_LOG" | tail -n 1)
	like "$line" "$2" "${3:-$1: $2}"
}

for script in lists access login helo; do
	run_lua $script
done

# lists: replies and summary fields
logline LST1 'lists=deny:client .*last_refused_rcpt="554 5.7.1 client refused by the policy of lists.example"'
logline LST2 'lists=deny:client'
logline LST3 'lists=deny:helo .*554 5.7.1 helo refused'
logline LST41 'lists=deny:sender .*554 5.7.1 sender refused'
logline LST43 'lists=deny:sender' "a parent domain on the deny list"
logline LST44 'lists=deny:sender' "a domain from the list file"
logline LST45 'lists=deny:sender' "an address from the list file"
logline LST6 'rcpts=1 refused_rcpts=1 .*lists=deny:recipient'
logline LST7 'lists=deny:from .*reply="554 5.7.1 From address refused by the policy of lists.example"'
logline LST7A 'lists=deny:from .*554 5.7.1 From address refused'
logline LST7B 'verdict=accept'
logline LST8 'check=dkim reply="550 5.7.20'
logline LST9 'lists=allow:client excused=helo,spf,dkim,dmarc .*verdict=accept'
logline LST10 'lists=allow:sender .*verdict=accept'
logline LST11 'lists=deny:sender'
logline LST12 'lists=allow:client excused=attach .*verdict=accept'
logline LST13 'check=attach reply="554 5.7.1'
logline LST14 'dir=outbound .*lists=deny:sender .*reply="554 5.7.1 sender refused by the policy of out.example"'
logline LST16 'lists=allow:client excused=none .*check=dkim reply="550 5.7.20'
logline LST15 'refused_rcpts=1 .*lists=deny:client .*last_refused_rcpt="554 5.7.1 client refused by the policy of default"'
grep -q 'connect: client=denied.example\[192.0.2.99\] check=lists reply="554 5.7.1 client refused by the policy of every domain here"' "$PSTN_LOG"
ok $? "the connect refusal is logged"
# access
logline TLS1 'tls=none access=tls_required .*last_refused_rcpt="530 5.7.0 Must issue a STARTTLS command first: TLS is required by the policy of tls.example"'
logline TLS2 'tls=TLSv1.3 .*verdict=accept'
logline TLS31 'access=old_version .*530 5.7.0'
logline TLS32 'access=weak_cipher .*530 5.7.0'
logline TLS33 'access=denied_cipher .*530 5.7.0'
logline TLS4 'reply="450 4.7.0 Must issue a STARTTLS' "tls.action = tempfail gives 450 4.7.0"
logline TLS5 'access=tls_required'
logline TLS6 'verdict=accept'
logline TLS7 'tls=TLSv1.3 .*verdict=accept' "TLS facts from the second EHLO"
logline TLS8 'dir=outbound .*access=tls_required .*reply="530 5.7.0 Must issue a STARTTLS command first: TLS is required by the policy of tlsout.example"'
logline TLS9 'dir=outbound tls=TLSv1.3|dir=outbound .*tls=TLSv1.3 .*verdict=accept'
logline SUB1 'access=submission_unauthenticated .*reply="530 5.7.0 Authentication required"'
logline SUB2 'dir=outbound .*verdict=accept'
logline SUB3 'dir=outbound .*access=submission_unauthenticated .*530 5.7.0'
# login
logline LOG1 'sender_login=ok'
logline LOG2 'sender_login=mismatch:sender .*reply="553 5.7.1 sender address not owned by user alice@example.net"'
logline LOG3 'sender_login=mismatch:from .*reply="553 5.7.1 From domain not owned by user alice@example.net"'
logline LOG4 'sender_login=mismatch:from .*553 5.7.1 From header without one usable address'
logline LOG5 'sender_login=ok'
logline LOG6 'sender_login=mismatch:sender .*553 5.7.1' "a bare login under *@domain"
logline LOG7 'sender_login=ok'
logline LOG8 'sender_login=mismatch:sender'
logline LOG9 'sender_login=ok'
logline LOG10 'sender_login=mismatch:sender .*553 5.7.1 sender address may not be used from this network'
# helo (each try logs an abort line under qid HELO; check the replies)
for want in 'helo=own_name .*550 5.7.1 HELO claims to be this server' \
	'helo=bare_ip .*504 5.5.2 HELO must be a host name or an address in brackets' \
	'helo=non_fqdn .*504 5.5.2 HELO must be a fully-qualified host name' \
	'helo_dns=none helo=unresolved .*451 4.7.1 HELO name has no address record'; do
	grep -qE "HELO: abort: .*${want/ .\*/ .*last_refused_rcpt=\"}" "$PSTN_LOG"; ok $? "logged: $want"
done
n=$(grep -cE 'HELO: abort: .*helo=own_name' "$PSTN_LOG")
is "$n" 3 "own name, the MTA's own name and our address literal"

# a list file changed and SIGUSR1: the new entry is refused
echo 'late.example' >>"$TEST_TMPDIR/policies/lists-deny.txt"
kill -USR1 "$PSTN_PID"
for _ in $(seq 1 50); do grep -q 'configuration reloaded' "$PSTN_LOG" && break; sleep 0.1; done
cat >"$TEST_TMPDIR/late.lua" <<'LUA'
dofile(libdir .. "/common.lua")
local conn = open("192.0.2.10")
mail(conn, "<x@late.example>", "LATE1")
rcpt(conn, "<u@lists.example>")
expect(conn, SMFIR_REPLYCODE, "a sender added to the list file refused after SIGUSR1")
mt.disconnect(conn)
LUA
"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -s "$TEST_TMPDIR/late.lua" \
	>"$TEST_TMPDIR/late.out" 2>&1
ok $? "SIGUSR1 reloads a list file" || diag_file "$TEST_TMPDIR/late.out"
# a bad line: the reload is refused with file:line: key, the old lists stay
echo 'bad@@entry' >>"$TEST_TMPDIR/policies/lists-deny.txt"
kill -USR1 "$PSTN_PID"
for _ in $(seq 1 50); do grep -q 'reload failed' "$PSTN_LOG" && break; sleep 0.1; done
grep -qE "reload failed.*lists-deny.txt:6: deny.senders: not an address" "$PSTN_LOG"
ok $? "a bad list line is refused with file:line: key"
kill -0 "$PSTN_PID" 2>/dev/null; ok $? "postern still running"
LC_ALL=C grep -q $'[\x01\x02\x1b]' "$PSTN_LOG"
[ $? -ne 0 ]; ok $? "no control characters reach the log"
postern_stop
tap_done
