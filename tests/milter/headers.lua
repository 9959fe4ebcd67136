-- headers.lua - a header-phase refusal (limits.header_count = 20 here) is
-- the reply to the first body chunk: end of headers is a no-reply step.
dofile(libdir .. "/common.lua")

local conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "HDR1")
rcpt(conn, "<u@example.net>")
for i = 1, 25 do
	check(mt.header(conn, "X-Many-" .. i, "v") == nil, "header " .. i)
end
check(mt.eoh(conn) == nil, "eoh")
check(mt.test_option(conn, SMFIP_NR_EOH), "end of headers negotiated as no-reply")
check(mt.bodystring(conn, "body\r\n") == nil, "body")
expect(conn, SMFIR_REPLYCODE, "too many header fields: refused at the first body chunk")
mt.abort(conn)

-- (miltertest's mt.eom always sends a body chunk first, so the no-body
-- case, where the refusal is the reply to end of message, is covered by the
-- pipeline unit test test_header_count_limit.)
mt.disconnect(conn)
