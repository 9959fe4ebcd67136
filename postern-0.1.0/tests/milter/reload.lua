-- reload.lua - SIZE=5000 for a recipient under the default policy:
-- refused when the reloaded default allows 1000 bytes (want="refused"),
-- accepted under the original 100K (want="accepted").
dofile(libdir .. "/common.lua")

local conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "RL1", "SIZE=5000")
expect(conn, SMFIR_CONTINUE, "MAIL FROM")
rcpt(conn, "<u@example.net>")
if want == "refused" then
	expect(conn, SMFIR_REPLYCODE, "SIZE=5000 under the reloaded 1000-byte default")
else
	expect(conn, SMFIR_CONTINUE, "SIZE=5000 under the 100K default")
end
mt.disconnect(conn)
