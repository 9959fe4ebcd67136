-- hostile.lua - garbage macros, long HELO/MAIL/RCPT arguments, control
-- characters and format directives: postern answers and keeps serving.
-- miltertest packs each command into a ~1 KB buffer (longer ones crash it),
-- so arguments here stay under 1000 bytes; the 100 KB header case runs
-- through real Postfix in tests/e2e/postfix.sh.
dofile(libdir .. "/common.lua")

local conn = mt.connect(sock, 40, 0.25)
check(conn ~= nil, "connect")
mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "\1\2\r\n%s%n", "j", string.rep("J", 900))
check(mt.conninfo(conn, string.rep("h", 900), "192.0.2.66") == nil, "conninfo")
check(mt.helo(conn, string.rep("H", 950) .. "%n%s\r\n") == nil, "helo")
mt.macro(conn, SMFIC_MAIL, "i", "\27[31m%n", "{auth_authen}", "")
check(mt.mailfrom(conn, "<" .. string.rep("a", 900) .. "@remote.example>",
    "SIZE=" .. string.rep("9", 40), "BODY=8BITMIME", "X=\1\2") == nil, "mailfrom")
expect(conn, SMFIR_CONTINUE, "long MAIL FROM with garbage SIZE")
rcpt(conn, "<" .. string.rep("r", 500) .. "@" .. string.rep("d.", 200) .. "example>")
expect(conn, SMFIR_CONTINUE, "very long RCPT")
check(mt.header(conn, "X-Long", string.rep("v", 950)) == nil, "long header")
check(mt.header(conn, "Authentication-Results", "\1mx.test.example\r\n; %n") == nil, "garbage A-R")
check(mt.header(conn, "Subject", "\1\2\3 %s %n \255\254") == nil, "binary header")
check(mt.eoh(conn) == nil, "eoh")
check(mt.bodystring(conn, "body\r\n") == nil, "body")
check(mt.eom(conn) == nil, "eom")
expect(conn, SMFIR_CONTINUE, "hostile message answered")
mt.disconnect(conn)

-- the daemon still serves a normal session
conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "HOST2")
rcpt(conn, "<u@example.net>")
message(conn, { { "Subject", "normal" } }, "hi\r\n")
expect(conn, SMFIR_CONTINUE, "normal message after hostile one")
mt.disconnect(conn)
