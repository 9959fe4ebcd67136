-- failure.lua - messages for tests/dmarc/failure.sh (zone: failure-zone.txt).
dofile(libdir .. "/common.lua")

local function send(ip, from_env, from_hdr, qid)
	local conn = open(ip)
	mail(conn, from_env, qid)
	rcpt(conn, "<bob@dest.example>")
	message(conn, { { "From", from_hdr }, { "To", "Bob <bob.secret@dest.example>" },
		{ "Cc", "carol.secret@dest.example, \"Dan D\" <dan.secret@dest.example>" },
		{ "Subject", qid .. " quarterly numbers" }, { "Message-ID", "<" .. qid .. "@ruf.test>" } },
		"the body is never reported\r\n")
	expect(conn, SMFIR_CONTINUE, qid .. " accepted (p=none)")
	mt.disconnect(conn)
end

-- fo=0 (default): an aligned SPF pass is no failure
send("192.0.2.10", "<alice@ruf0.example>", "Alice <alice.secret@ruf0.example>", "RF1")
-- fo=0: SPF passes for another domain only, no DKIM: reported
send("192.0.2.10", "<x@bounce.example>", "Alice <alice.secret@ruf0.example>", "RF2")
-- fo=1: DMARC passes by SPF, but DKIM gave no aligned pass: reported
send("192.0.2.10", "<alice@ruf1.example>", "Alice <alice.secret@ruf1.example>", "RF3")
-- fo=s: SPF softfails (~all): reported
send("192.0.2.99", "<alice@rufs.example>", "Alice <alice.secret@rufs.example>", "RF4")
-- fo=s: DMARC fails but SPF passed (for bounce.example): not reported
send("192.0.2.10", "<x@bounce.example>", "Alice <alice.secret@rufs.example>", "RF5")
-- a record without ruf=: never reported
send("192.0.2.10", "<x@bounce.example>", "Alice <alice.secret@noruf.example>", "RF6")
