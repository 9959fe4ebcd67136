-- behaviour.lua - DMARC through the running daemon (zone: tests/dmarc/zone.txt).
dofile(libdir .. "/common.lua")

local function ar(conn)
	return mt.getheader(conn, "Authentication-Results", 0) or ""
end

local function send(ip, from_env, from_hdr, rcpt_to, qid, extra)
	local conn = open(ip)
	mail(conn, from_env, qid)
	rcpt(conn, rcpt_to)
	local hdrs = { { "From", from_hdr }, { "Subject", qid } }
	if extra ~= nil then table.insert(hdrs, extra) end
	message(conn, hdrs, "hello\r\n")
	return conn
end

-- 1. aligned SPF pass: dmarc=pass
local conn = send("192.0.2.10", "<a@example.org>", "Alice <a@example.org>", "<u@example.net>", "DM1")
expect(conn, SMFIR_CONTINUE, "aligned pass accepted")
check(string.find(ar(conn), "dmarc=pass (p=reject) header.from=example.org", 1, true), "A-R dmarc=pass: " .. ar(conn))
mt.disconnect(conn)

-- 2. SPF passes for another domain only: fail, p=reject -> 550 5.7.1
conn = send("192.0.2.10", "<x@bounce.example>", "CEO <ceo@example.org>", "<u@example.net>", "DM2")
-- (miltertest's MT_SMTPREPLY check aborts it; the reply text is checked in the log)
expect(conn, SMFIR_REPLYCODE, "p=reject refused")
mt.disconnect(conn)

-- 3. p=quarantine -> held in the MTA's queue
conn = send("192.0.2.10", "<x@bounce.example>", "a@quarantine.example", "<u@example.net>", "DM3")
check(mt.eom_check(conn, MT_QUARANTINE), "p=quarantine quarantined")
mt.disconnect(conn)

-- 4. p=reject with pct=0: outside the sample -> the next milder policy, quarantine
conn = send("192.0.2.10", "<x@bounce.example>", "a@sampled.example", "<u@example.net>", "DM4")
check(mt.eom_check(conn, MT_QUARANTINE), "pct=0: quarantine instead of reject")
expect(conn, SMFIR_CONTINUE, "pct=0: not refused")
mt.disconnect(conn)

-- 5. two From fields -> 550 5.7.1
conn = send("192.0.2.10", "<a@example.org>", "a@example.org", "<u@example.net>", "DM5",
    { "From", "b@other.example" })
expect(conn, SMFIR_REPLYCODE, "two From fields refused")
mt.disconnect(conn)

-- 6. record lookup times out: accepted (dmarc.temperror_action accept), reported
conn = send("192.0.2.10", "<x@bounce.example>", "a@slow.example", "<u@example.net>", "DM6")
expect(conn, SMFIR_CONTINUE, "temperror accepted")
check(string.find(ar(conn), "dmarc=temperror header.from=slow.example", 1, true), "A-R dmarc=temperror: " .. ar(conn))
mt.disconnect(conn)

-- 7. observe mode for the recipient's policy: logged, not refused
conn = send("192.0.2.10", "<x@bounce.example>", "ceo@example.org", "<u@watch.example>", "DM7")
expect(conn, SMFIR_CONTINUE, "observe mode accepts")
mt.disconnect(conn)

-- 8. outbound (internal client): not evaluated
conn = send("10.1.2.3", "<x@bounce.example>", "ceo@example.org", "<u@example.net>", "DM8")
expect(conn, SMFIR_CONTINUE, "outbound not evaluated")
mt.disconnect(conn)
