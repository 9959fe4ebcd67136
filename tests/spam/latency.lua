-- latency.lua - the DNS lists are asked at connect and read at RCPT:
-- -D phase=connect (connect and HELO only) | rcpt (then MAIL and RCPT),
-- as client 192.0.2.98, whose bl.example query never gets an answer
-- (tests/spam/zone.txt); tests/spam/behaviour.sh times each phase.
dofile(libdir .. "/common.lua")

local conn = open("192.0.2.98")
if phase == "rcpt" then
	mail(conn, "<a@client.example>", "LAT1")
	rcpt(conn, "<u@example.net>")
	expect(conn, SMFIR_CONTINUE, "recipient accepted once the list timed out")
end
mt.disconnect(conn)
