-- lists.lua - allow and deny lists (check_lists) through the daemon:
-- each deny at the phase that knows the fact, an allow that excuses the
-- DKIM requirement, and deny winning over allow.
dofile(libdir .. "/common.lua")

local hdrs = { { "From", "a@remote.example" }, { "Subject", "lists" } }

-- denied client: refused at RCPT for lists.example, accepted elsewhere
local conn = open("192.0.2.66")
mail(conn, "<a@remote.example>", "LST1")
expect(conn, SMFIR_CONTINUE, "denied client: MAIL FROM goes on (no policy yet)")
rcpt(conn, "<u@lists.example>")
expect(conn, SMFIR_REPLYCODE, "denied client refused at RCPT")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "the same client to another policy")
mt.abort(conn)
mt.disconnect(conn)

-- denied IPv6 network
conn = open("2001:db8:66::25")
mail(conn, "<a@remote.example>", "LST2")
rcpt(conn, "<u@lists.example>")
expect(conn, SMFIR_REPLYCODE, "denied IPv6 network refused at RCPT")
mt.disconnect(conn)

-- denied HELO name (a name below the listed one)
conn = open_helo("192.0.2.10", "mx.bad-helo.example")
mail(conn, "<a@remote.example>", "LST3")
rcpt(conn, "<u@lists.example>")
expect(conn, SMFIR_REPLYCODE, "denied HELO refused at RCPT")
mt.disconnect(conn)

-- denied senders: an address, a domain and a parent, and one from the file
conn = open("192.0.2.10")
for i, s in ipairs({ "spammer@remote.example", "x@evil.example", "x@mail.evil.example",
    "x@filed.example", "bulk@other.example" }) do
	mail(conn, "<" .. s .. ">", "LST4" .. i)
	rcpt(conn, "<u@lists.example>")
	expect(conn, SMFIR_REPLYCODE, "denied sender " .. s .. " refused at RCPT")
	mt.abort(conn)
end
-- a sender not on the list
mail(conn, "<other@remote.example>", "LST5")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "a sender not on the list")
mt.abort(conn)

-- denied recipient: only that one
mail(conn, "<other@remote.example>", "LST6")
rcpt(conn, "<closed@lists.example>")
expect(conn, SMFIR_REPLYCODE, "denied recipient refused")
rcpt(conn, "<open@lists.example>")
expect(conn, SMFIR_CONTINUE, "the next recipient of the same policy")
mt.abort(conn)

-- From domain on the deny list: refused in the header phase (reply to the body)
mail(conn, "<other@example.org>", "LST7")
rcpt(conn, "<u@lists.example>")
expect(conn, SMFIR_CONTINUE, "envelope fine")
local r = headers_body(conn, { { "From", "x@evil.example" }, { "Subject", "f" } }, "hi\r\n")
check(r == SMFIR_REPLYCODE, "denied From domain refused at the first body chunk")
mt.abort(conn)
-- a From address on the list (display name, comment, case) ...
mail(conn, "<other@example.org>", "LST7A")
rcpt(conn, "<u@lists.example>")
r = headers_body(conn, { { "From", "\"S. Pammer\" <SPAMMER@remote.example> (bulk)" } }, "hi\r\n")
check(r == SMFIR_REPLYCODE, "denied From address refused at the first body chunk")
mt.abort(conn)
-- ... and another address of that domain, which is not
mail(conn, "<other@example.org>", "LST7B")
rcpt(conn, "<u@lists.example>")
r = headers_body(conn, { { "From", "other@remote.example" } }, "hi\r\n")
check(r == SMFIR_CONTINUE, "another From address of the same domain")
mt.abort(conn)

-- lists.example requires a DKIM signature from remote.example: without
-- one, refused at end of message ...
mail(conn, "<a@remote.example>", "LST8")
rcpt(conn, "<u@lists.example>")
message(conn, hdrs, "hello\r\n")
check(mt.getreply(conn) == SMFIR_REPLYCODE, "unsigned remote.example mail refused (dkim)")
mt.disconnect(conn)

-- ... unless an allowed client sends it (dkim excused; A-R still written)
conn = open("192.0.2.77")
mail(conn, "<a@remote.example>", "LST9")
rcpt(conn, "<u@lists.example>")
message(conn, hdrs, "hello\r\n")
check(mt.getreply(conn) == SMFIR_CONTINUE, "allowed client: dkim requirement excused")
check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"), "allowed client: A-R still inserted")
mt.disconnect(conn)

-- an allowed sender too; and the excuse lasts only while every recipient has it
conn = open("192.0.2.10")
mail(conn, "<friend@remote.example>", "LST10")
rcpt(conn, "<u@lists.example>")
message(conn, hdrs, "hello\r\n")
check(mt.getreply(conn) == SMFIR_CONTINUE, "allowed sender: dkim requirement excused")
mt.disconnect(conn)

-- deny wins over allow: an allowed client with a denied sender
conn = open("192.0.2.77")
mail(conn, "<spammer@remote.example>", "LST11")
rcpt(conn, "<u@lists.example>")
expect(conn, SMFIR_REPLYCODE, "deny wins over allow")
mt.disconnect(conn)

-- the attachment screen is excused only where allow.skip names it
conn = open("192.0.2.77")
mail(conn, "<a@remote.example>", "LST12")
rcpt(conn, "<u@attach.example>")
local att = { { "From", "a@remote.example" }, { "Subject", "att" },
    { "MIME-Version", "1.0" }, { "Content-Type", "multipart/mixed; boundary=b" } }
local body = "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n" ..
    "Content-Type: application/octet-stream; name=\"x.exe\"\r\n\r\nMZ\r\n--b--\r\n"
message(conn, att, body)
check(mt.getreply(conn) == SMFIR_CONTINUE, "allow.skip = attach: the .exe passes")
mt.disconnect(conn)
conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "LST13")
rcpt(conn, "<u@attach.example>")
for _, h in ipairs(att) do
	check(mt.header(conn, h[1], h[2]) == nil, "header")
end
check(mt.eoh(conn) == nil, "eoh")
check(mt.bodystring(conn, body) == nil, "body")
check(mt.getreply(conn) == SMFIR_REPLYCODE, "not allowed: the .exe is refused")
mt.disconnect(conn)

-- outbound: the sender's policy governs from MAIL FROM
conn = open("10.1.2.3")
mail(conn, "<blocked@out.example>", "LST14")
expect(conn, SMFIR_REPLYCODE, "outbound denied sender refused at MAIL FROM")
mt.disconnect(conn)

-- a client every policy denies: refused at connect
conn = mt.connect(sock, 40, 0.25)
check(conn ~= nil, "connect")
check(mt.conninfo(conn, "denied.example", "192.0.2.99") == nil, "conninfo")
check(mt.getreply(conn) == SMFIR_REPLYCODE, "a client every policy denies is refused at connect")
mt.disconnect(conn)
-- a client only the default list denies: refused at RCPT where it applies
conn = open("192.0.2.98")
mail(conn, "<a@remote.example>", "LST15")
expect(conn, SMFIR_CONTINUE, "partly denied client: MAIL FROM")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_REPLYCODE, "refused for a domain under the default list")
rcpt(conn, "<u@lists.example>")
expect(conn, SMFIR_CONTINUE, "accepted for a domain with its own list")
mt.disconnect(conn)

-- an excuse lasts only while every accepted recipient has it: a second
-- recipient under a policy without the allow brings the DKIM rule back
conn = open("192.0.2.77")
mail(conn, "<a@remote.example>", "LST16")
rcpt(conn, "<u@lists.example>")
rcpt(conn, "<u@example.net>")
message(conn, hdrs, "hello\r\n")
check(mt.getreply(conn) == SMFIR_REPLYCODE, "allowed for one recipient only: dkim requirement applies")
mt.disconnect(conn)
