-- login.lua - the sender bound to the login (check_login).
dofile(libdir .. "/common.lua")

local function authmail(conn, login, from, qid)
	mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", login)
	check(mt.mailfrom(conn, from) == nil, "mailfrom " .. from)
end

-- *@domain: own domain fine
local conn = open("192.0.2.20")
authmail(conn, "alice@example.net", "<alice@example.net>", "LOG1")
expect(conn, SMFIR_CONTINUE, "login sends as its own address")
rcpt(conn, "<u@remote.example>")
local r = headers_body(conn, { { "From", "Alice <sales@example.net>" }, { "Subject", "x" } }, "hi\r\n")
check(r == SMFIR_CONTINUE, "From in the login's domain")
mt.abort(conn)
-- another domain in the envelope: 553 at MAIL FROM
authmail(conn, "alice@example.net", "<boss@example.com>", "LOG2")
expect(conn, SMFIR_REPLYCODE, "envelope sender of another domain refused at MAIL FROM")
-- envelope fine, From of another domain: refused in the header phase
authmail(conn, "alice@example.net", "<alice@example.net>", "LOG3")
rcpt(conn, "<u@remote.example>")
r = headers_body(conn, { { "From", "boss@example.com" }, { "Subject", "x" } }, "hi\r\n")
check(r == SMFIR_REPLYCODE, "From of another domain refused at the first body chunk")
mt.abort(conn)
-- two authors: nothing to bind
authmail(conn, "alice@example.net", "<alice@example.net>", "LOG4")
rcpt(conn, "<u@remote.example>")
r = headers_body(conn, { { "From", "alice@example.net, boss@example.com" } }, "hi\r\n")
check(r == SMFIR_REPLYCODE, "From with two addresses refused")
mt.abort(conn)
-- the null sender is not bound (bounces)
authmail(conn, "alice@example.net", "<>", "LOG5")
expect(conn, SMFIR_CONTINUE, "null sender")
mt.abort(conn)
-- a bare login may use nothing under *@domain
authmail(conn, "alice", "<alice@example.net>", "LOG6")
expect(conn, SMFIR_REPLYCODE, "bare login refused under *@domain")
mt.disconnect(conn)

-- custom.example's map: bob may use alias@custom.example and shared.example
conn = open("192.0.2.20")
authmail(conn, "bob", "<alias@custom.example>", "LOG7")
expect(conn, SMFIR_CONTINUE, "mapped address")
rcpt(conn, "<u@remote.example>")
r = headers_body(conn, { { "From", "bob@shared.example" } }, "hi\r\n")
check(r == SMFIR_CONTINUE, "mapped From domain")
mt.abort(conn)
authmail(conn, "bob", "<other@custom.example>", "LOG8")
expect(conn, SMFIR_REPLYCODE, "unmapped address of the same domain refused")
mt.disconnect(conn)

-- internal clients without a login: sender_login.internal
conn = open("10.1.2.3")
mail(conn, "<x@internal.example>", "LOG9")
expect(conn, SMFIR_CONTINUE, "internal client with an internal.example sender")
mt.abort(conn)
mail(conn, "<x@stranger.example>", "LOG10")
expect(conn, SMFIR_REPLYCODE, "internal client sending as a stranger refused")
mt.disconnect(conn)
