-- helo.lua - HELO rules (check_helo) for helo.example's recipients.
dofile(libdir .. "/common.lua")

local j = { "j", "mx.self.example" }
local function try(ip, helo, want, what)
	local conn = open_helo(ip, helo, j)
	mail(conn, "<a@remote.example>", "HELO")
	rcpt(conn, "<u@helo.example>")
	expect(conn, want, what)
	rcpt(conn, "<u@example.net>")
	expect(conn, SMFIR_CONTINUE, what .. ": default policy accepts")
	mt.disconnect(conn)
end

try("192.0.2.10", "mx.test.example", SMFIR_REPLYCODE, "HELO one of our names")
try("192.0.2.10", "MX.SELF.EXAMPLE", SMFIR_REPLYCODE, "HELO the MTA's own name (j)")
try("192.0.2.10", "[192.0.2.1]", SMFIR_REPLYCODE, "HELO our address literal")
try("192.0.2.10", "192.0.2.99", SMFIR_REPLYCODE, "bare IP HELO")
try("192.0.2.10", "localhost", SMFIR_REPLYCODE, "non-FQDN HELO")
try("192.0.2.10", "nowhere.remote.example", SMFIR_REPLYCODE, "HELO that does not resolve (tempfail)")
try("192.0.2.10", "mx.client.example", SMFIR_CONTINUE, "HELO that resolves")
try("192.0.2.10", "[192.0.2.10]", SMFIR_CONTINUE, "someone else's address literal")

-- internal clients are not outside clients
local conn = open_helo("10.1.2.3", "mx.test.example", j)
mail(conn, "<a@internal.example>", "HELO")
rcpt(conn, "<u@helo.example>")
expect(conn, SMFIR_CONTINUE, "internal client may use our name")
mt.disconnect(conn)
