-- limit.lua - limits.connections = 1 (tests/bench/concurrency.sh): the
-- second connection open at once gets a reply code (451 4.3.2) at MAIL
-- FROM; the first is served; once the first is gone a new one is served.
dofile(libdir .. "/../milter/common.lua")

local c1 = open("192.0.2.10")
local c2 = open("192.0.2.11")
mail(c2, "<b@example.org>", "LIM2")
expect(c2, SMFIR_REPLYCODE, "MAIL FROM on the connection over the limit")
mail(c1, "<a@example.org>", "LIM1")
expect(c1, SMFIR_CONTINUE, "MAIL FROM on the first connection")
mt.disconnect(c2)
mt.disconnect(c1)
local c3 = open("192.0.2.12")
mail(c3, "<c@example.org>", "LIM3")
expect(c3, SMFIR_CONTINUE, "MAIL FROM once the others are gone")
mt.disconnect(c3)
