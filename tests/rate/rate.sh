#!/bin/bash
# rate.sh - rate limits through the running daemon driven by miltertest
# (tests/rate/rate.lua), counted in an LMDB store, then in a real
# redis-server started here on a port the test picks; the 451 4.7.1 log
# lines; and Redis stopped with store.on_error continue: the limits are
# skipped, mail keeps flowing (the tempfail default: tests/rate/full.sh).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
[ -x "$MILTERTEST" ] || bail_out "miltertest not installed (apt-get install miltertest)"
REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server)}
[ -x "$REDIS_SERVER" ] || bail_out "redis-server not installed (contrib/deps.sh)"
tmpdir_make
run_lua() {   # run_lua LABEL
	local out="$TEST_TMPDIR/$1.out"
	"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" \
		-s "$here/tests/rate/rate.lua" >"$out" 2>&1
	local st=$?; ok $st "$1: miltertest rate.lua"
	[ $st -eq 0 ] || { diag_file "$out"; diag_file "$PSTN_LOG"; }
}
logged() { grep -qE "$1" "$PSTN_LOG"; ok $? "$2"; }

postern_start "$here/tests/rate/policies" "store = { url = \"lmdb:$TEST_TMPDIR/state.mdb\"; };
rate = { window = 2; };" || bail_out "postern did not start"
run_lua lmdb
logged 'RL1: rate: client 10.0.0.5 over 3 recipients per 2 s \(policy default\): 451 4.7.1' "lmdb: the client's refusal logged"
logged 'RL4: rate: sender domain two.example over 2 messages per 2 s \(policy default\): 451 4.7.1' "lmdb: the domain's refusal logged"
logged 'RL1: abort: .*rate=limited\(1\)' "lmdb: the summary line says so"
postern_stop

rport=$(free_port tcp)
"$REDIS_SERVER" --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
	--dir "$TEST_TMPDIR" --daemonize no >"$TEST_TMPDIR/redis.log" 2>&1 &
rpid=$!
on_exit "kill $rpid 2>/dev/null; wait $rpid 2>/dev/null"
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && break
	sleep 0.1
done
: >"$PSTN_LOG"
postern_start "$here/tests/rate/policies" "store = { url = \"redis:127.0.0.1:$rport\"; timeout = 300; on_error = \"continue\"; };
rate = { window = 2; };" || bail_out "postern did not start (redis)"
run_lua redis
logged 'RL1: rate: client 10.0.0.5 over 3 recipients per 2 s' "redis: the client's refusal logged"
logged 'RL4: rate: sender domain two.example over 2 messages per 2 s' "redis: the domain's refusal logged"
kill "$rpid"; wait "$rpid" 2>/dev/null
out="$TEST_TMPDIR/down.out"
cat >"$TEST_TMPDIR/down.lua" <<'LUA'
dofile(libdir .. "/common.lua")
local conn = open("10.0.0.5")
for i = 1, 5 do
	mail(conn, "<a@one.example>", "RD" .. i)
	rcpt(conn, "<u@example.net>")
	expect(conn, SMFIR_CONTINUE, "redis down: recipient " .. i .. " accepted")
	mt.abort(conn)
end
mt.disconnect(conn)
LUA
start=$(date +%s%N)
"$MILTERTEST" -w -D sock="$PSTN_SOCK" -D libdir="$here/tests/milter" -s "$TEST_TMPDIR/down.lua" >"$out" 2>&1
st=$?; ok $st "redis down: mail keeps flowing"
[ $st -eq 0 ] || diag_file "$out"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 3000 ]; ok $? "redis down: five messages in ${ms} ms (store.timeout 300)"
logged 'RD1: abort: .*rate=down' "redis down: the summary line says rate=down"
tap_done
