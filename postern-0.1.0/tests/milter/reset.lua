-- reset.lua - RSET/abort resets message state: a forged A-R or body size
-- of an aborted transaction does not leak into the next one.
dofile(libdir .. "/common.lua")

local conn = open("192.0.2.10")
local chunk = string.rep("x", 998) .. "\r\n"
chunk = string.rep(chunk, 60)          -- 60 KB

mail(conn, "<a@remote.example>", "RS1")
rcpt(conn, "<u@example.net>")
check(mt.header(conn, "Authentication-Results", "mx.test.example; spf=pass") == nil, "hdr")
check(mt.eoh(conn) == nil, "eoh")
check(mt.bodystring(conn, chunk) == nil, "body")
expect(conn, SMFIR_CONTINUE, "60 KB body")
mt.abort(conn)

-- second transaction: 60 KB again; with leaked state it would exceed 100K
mail(conn, "<a@remote.example>", "RS2")
rcpt(conn, "<u@example.net>")
check(mt.header(conn, "Subject", "second") == nil, "hdr")
check(mt.eoh(conn) == nil, "eoh")
check(mt.bodystring(conn, chunk) == nil, "body")
expect(conn, SMFIR_CONTINUE, "60 KB body after abort")
check(mt.eom(conn) == nil, "eom")
expect(conn, SMFIR_CONTINUE, "second message accepted")
check(not mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results"),
    "no A-R deletion leaked from the aborted message")
check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"), "A-R inserted")
mt.disconnect(conn)
