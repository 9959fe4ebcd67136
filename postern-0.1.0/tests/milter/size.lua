-- size.lua - declared SIZE= refused at MAIL FROM or per recipient, and a
-- body that grows past the limit refused from the body callback.
dofile(libdir .. "/common.lua")

-- over the loosest policy (1M): refused at MAIL FROM
local conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "SZ1", "SIZE=5000000")
expect(conn, SMFIR_REPLYCODE, "SIZE over every limit at MAIL FROM")

-- 5000: fine for big.example (1M), refused for small.example (2000)
mail(conn, "<a@remote.example>", "SZ2", "SIZE=5000")
expect(conn, SMFIR_CONTINUE, "SIZE=5000 at MAIL FROM")
rcpt(conn, "<u@small.example>")
expect(conn, SMFIR_REPLYCODE, "SIZE=5000 for small.example")
rcpt(conn, "<u@big.example>")
expect(conn, SMFIR_CONTINUE, "SIZE=5000 for big.example")
mt.abort(conn)

-- body over the default 100K: refused while streaming, before eom
mail(conn, "<a@remote.example>", "SZ3")
rcpt(conn, "<u@example.net>")
check(mt.header(conn, "Subject", "big") == nil, "header")
check(mt.eoh(conn) == nil, "eoh")
expect(conn, SMFIR_CONTINUE, "eoh")
local chunk = string.rep("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n", 1000)
check(mt.bodystring(conn, chunk) == nil, "body chunk 1")
expect(conn, SMFIR_CONTINUE, "64 KB of body")
check(mt.bodystring(conn, chunk) == nil, "body chunk 2")
expect(conn, SMFIR_REPLYCODE, "128 KB of body refused in the body phase")
mt.abort(conn)

-- the same connection goes on: a small message is accepted
mail(conn, "<a@remote.example>", "SZ4", "SIZE=100")
expect(conn, SMFIR_CONTINUE, "small SIZE after a refusal")
rcpt(conn, "<u@example.net>")
message(conn, { { "Subject", "small" } }, "ok\r\n")
expect(conn, SMFIR_CONTINUE, "small message accepted")
mt.disconnect(conn)
