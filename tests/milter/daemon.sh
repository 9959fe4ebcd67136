#!/bin/bash
# daemon.sh - running as a daemon: unix socket with the configured owner and
# mode, privileges dropped to the configured user, pid file, background
# start (no -f), syslog-less logging still to the configured facility, and a
# miltertest session over the unix socket.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root to test the privilege drop"
MILTERTEST=${MILTERTEST:-$(command -v miltertest)}
P="$build/postern"
tmpdir_make
mkdir -p "$TEST_TMPDIR/run" "$TEST_TMPDIR/pol"
dns_start "$here/tests/data/foundation.zone" || bail_out "DNS fixture did not start"
chown nobody "$TEST_TMPDIR/run"
cat > "$TEST_TMPDIR/d.conf" <<CONF
socket = "unix:$TEST_TMPDIR/run/p.sock";
socket_owner = "nobody:nogroup";
socket_mode = "0660";
pid_file = "$TEST_TMPDIR/run/p.pid";
user = "nobody";
policy_dir = "$TEST_TMPDIR/pol";
authserv_id = "mx.test.example";
dns = { nameservers = [ "$DNS_ADDR@$DNS_PORT" ]; timeout = 1500; };
CONF
# background start: the parent returns at once, the daemon keeps running
"$P" -c "$TEST_TMPDIR/d.conf"
ok $? "postern starts in the background"
for _ in $(seq 1 50); do [ -S "$TEST_TMPDIR/run/p.sock" ] && [ -s "$TEST_TMPDIR/run/p.pid" ] && break; sleep 0.1; done
pid=$(cat "$TEST_TMPDIR/run/p.pid" 2>/dev/null)
on_exit "kill -TERM $pid 2>/dev/null; sleep 0.5; kill -9 $pid 2>/dev/null"
kill -0 "$pid" 2>/dev/null; ok $? "pid file names the running daemon ($pid)"
uid=$(awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' /proc/$pid/status)
nobody=$(id -u nobody)
is "$uid" "$nobody,$nobody,$nobody,$nobody" "privileges dropped to nobody (real, effective, saved, fs uid)"
groups=$(awk '/^Groups:/ { $1 = ""; print }' /proc/$pid/status | xargs)
[ "$groups" != "0" ] && ! echo " $groups " | grep -q ' 0 '; ok $? "no root group left ($groups)"
owner=$(stat -c '%U %a' "$TEST_TMPDIR/run/p.pid")
is "$owner" "nobody 644" "the pid file belongs to the unprivileged user"
# a second daemon on the same pid file is refused and leaves the first alone
sed "s|p.sock|q.sock|" "$TEST_TMPDIR/d.conf" >"$TEST_TMPDIR/d2.conf"
"$P" -f -c "$TEST_TMPDIR/d2.conf" >"$TEST_TMPDIR/second.out" 2>&1
st=$?
[ $st -ne 0 ] && grep -q "held by a running postern (pid $pid)" "$TEST_TMPDIR/second.out"
ok $? "a second postern on the same pid file is refused (exit $st)"
is "$(cat "$TEST_TMPDIR/run/p.pid")" "$pid" "the first daemon's pid file is intact"
# a pid file path that is a symbolic link is not followed
ln -s "$TEST_TMPDIR/victim" "$TEST_TMPDIR/run/link.pid"
sed "s|p.sock|r.sock|; s|p.pid|link.pid|" "$TEST_TMPDIR/d.conf" >"$TEST_TMPDIR/d3.conf"
"$P" -f -c "$TEST_TMPDIR/d3.conf" >"$TEST_TMPDIR/third.out" 2>&1
st=$?
[ $st -ne 0 ] && [ ! -e "$TEST_TMPDIR/victim" ]
ok $? "a pid file that is a symbolic link is refused (exit $st)"
perm=$(stat -c '%a %U %G' "$TEST_TMPDIR/run/p.sock")
is "$perm" "660 nobody nogroup" "unix socket mode and owner"
cat > "$TEST_TMPDIR/s.lua" <<'LUA'
local conn = mt.connect("unix:" .. path, 40, 0.25)
if conn == nil then error("connect") end
if mt.conninfo(conn, "client.example", "192.0.2.10") ~= nil then error("conninfo") end
mt.macro(conn, SMFIC_MAIL, "i", "UNIX1")
if mt.mailfrom(conn, "<a@remote.example>") ~= nil then error("mailfrom") end
if mt.rcptto(conn, "<u@example.net>") ~= nil then error("rcpt") end
if mt.header(conn, "From", "a@remote.example") ~= nil then error("header") end
if mt.header(conn, "Subject", "x") ~= nil then error("header") end
if mt.eom(conn) ~= nil then error("eom") end
local ar = mt.getheader(conn, "Authentication-Results", 0) or ""
if string.find(ar, "^ mx%.test%.example;") == nil then
	error("no A-R of ours: " .. ar)
end
mt.disconnect(conn)
LUA
"$MILTERTEST" -w -D path="$TEST_TMPDIR/run/p.sock" -s "$TEST_TMPDIR/s.lua" >"$TEST_TMPDIR/s.out" 2>&1
st=$?; ok $st "a milter session over the unix socket"
[ $st -eq 0 ] || diag_file "$TEST_TMPDIR/s.out"
# gone = no such process, or a zombie (PID 1 here does not reap orphans)
alive() { local st; st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ]; }
kill -TERM "$pid"
for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
alive "$pid"
[ $? -ne 0 ]; ok $? "SIGTERM stops the background daemon"
[ ! -e "$TEST_TMPDIR/run/p.pid" ]; ok $? "the pid file is removed on exit"
# a pid file in a directory only root may write: after the privilege drop
# the daemon cannot unlink it, so it empties it (no stale pid is left)
mkdir -p "$TEST_TMPDIR/rootrun"; chmod 755 "$TEST_TMPDIR/rootrun"
sed "s|run/p.sock|run/s.sock|; s|run/p.pid|rootrun/p.pid|" "$TEST_TMPDIR/d.conf" >"$TEST_TMPDIR/d4.conf"
"$P" -c "$TEST_TMPDIR/d4.conf"
for _ in $(seq 1 50); do [ -s "$TEST_TMPDIR/rootrun/p.pid" ] && break; sleep 0.1; done
pid4=$(cat "$TEST_TMPDIR/rootrun/p.pid" 2>/dev/null)
on_exit "kill -TERM $pid4 2>/dev/null"
kill -0 "$pid4" 2>/dev/null; ok $? "daemon with its pid file in a root-only directory runs ($pid4)"
kill -TERM "$pid4"
for _ in $(seq 1 50); do alive "$pid4" || break; sleep 0.1; done
[ ! -s "$TEST_TMPDIR/rootrun/p.pid" ]; ok $? "its pid file is emptied at stop"
tap_done
