-- limit.lua - limits.connections = 1 (tests/bench/concurrency.sh): the
-- second connection open at once gets a reply code (451 4.3.2) at MAIL
-- FROM; the first is served; once both are gone a new one is served
-- (within 5 s: the count drops when the daemon's close callback has run).
dofile(libdir .. "/../milter/common.lua")

-- the first connection's MAIL FROM is answered before the second opens,
-- so the daemon has counted it (its connect may get no reply)
local c1 = open("192.0.2.10")
mail(c1, "<a@example.org>", "LIM1")
expect(c1, SMFIR_CONTINUE, "MAIL FROM on the first connection")
local c2 = open("192.0.2.11")
mail(c2, "<b@example.org>", "LIM2")
expect(c2, SMFIR_REPLYCODE, "MAIL FROM on the connection over the limit")
rcpt(c1, "<u@example.com>")
expect(c1, SMFIR_CONTINUE, "RCPT on the first connection, still served")
mt.disconnect(c2)
mt.disconnect(c1)
-- the daemon counts a connection out when its close callback has run,
-- which can lag the client's close: a new one is served within 5 s
local r
for try = 1, 20 do
	local c3 = open("192.0.2.12")
	mail(c3, "<c@example.org>", "LIM3")
	r = mt.getreply(c3)
	mt.disconnect(c3)
	if r == SMFIR_CONTINUE then break end
	mt.sleep(0.25)
end
check(r == SMFIR_CONTINUE, "MAIL FROM once the others are gone (within 5 s)")
