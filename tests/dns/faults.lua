-- faults.lua - one SPF-checked session through the running daemon, as part
-- of tests/dns/faults.sh.  -D sock, libdir, qid, from, want (continue or
-- tempfail: the RCPT reply expected).
dofile(libdir .. "/../milter/common.lua")

local conn = mt.connect(sock, 40, 0.25)
check(conn ~= nil, "connect")
check(mt.conninfo(conn, "client.example", "192.0.2.10") == nil, "conninfo")
check(mt.helo(conn, "mx.fault.example") == nil, "helo")
mail(conn, from, qid)
expect(conn, SMFIR_CONTINUE, qid .. " MAIL FROM")
check(mt.rcptto(conn, "<u@example.net>") == nil, "rcptto")
if want == "tempfail" then
	expect(conn, SMFIR_REPLYCODE, qid .. " RCPT (a 451 reply)")
else
	expect(conn, SMFIR_CONTINUE, qid .. " RCPT")
	message(conn, { { "From", "a@pass.fault.example" }, { "Subject", "fault" } }, "hi\r\n")
end
mt.disconnect(conn)
