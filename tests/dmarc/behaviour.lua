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
check(string.find(ar(conn), "dmarc=pass (p=reject) policy.dmarc=reject header.from=example.org", 1, true), "A-R dmarc=pass: " .. ar(conn))
check(string.find(ar(conn), "\n\tdkim=none;", 1, true), "A-R dkim=none for unsigned mail: " .. ar(conn))
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

-- 4. p=reject with an old pct=0: read as t=y (RFC 9989 A.6) -> quarantine
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

-- 9. tree walk: eleven labels, the record at walk.example (sp=quarantine)
conn = send("192.0.2.10", "<x@bounce.example>", "a@deep.a.b.c.d.e.f.g.h.walk.example", "<u@example.net>", "DM9")
check(mt.eom_check(conn, MT_QUARANTINE), "tree walk: sp=quarantine of walk.example")
check(string.find(ar(conn), "dmarc=fail (p=quarantine) policy.dmarc=quarantine header.from=deep.a.b.c.d.e.f.g.h.walk.example", 1, true), "A-R tree walk: " .. ar(conn))
mt.disconnect(conn)

-- 10. relaxed alignment through the walk: SPF passes for bounce.walk.example
conn = send("192.0.2.10", "<x@bounce.walk.example>", "a@news.walk.example", "<u@example.net>", "DM10")
expect(conn, SMFIR_CONTINUE, "relaxed alignment by organisational domain")
check(string.find(ar(conn), "dmarc=pass (p=quarantine) policy.dmarc=quarantine header.from=news.walk.example", 1, true), "A-R relaxed pass: " .. ar(conn))
mt.disconnect(conn)

-- 11. psd=n at corp.walk.example: an organisation of its own, not aligned with bounce.walk.example
conn = send("192.0.2.10", "<x@bounce.walk.example>", "a@corp.walk.example", "<u@example.net>", "DM11")
expect(conn, SMFIR_REPLYCODE, "psd=n: not aligned, p=reject refused")
mt.disconnect(conn)

-- 12. the PSD's record (psd=y) applies to a name below it that has none
conn = send("192.0.2.10", "<x@bounce.example>", "a@shop.psd.example", "<u@example.net>", "DM12")
expect(conn, SMFIR_REPLYCODE, "PSD policy p=reject refused")
mt.disconnect(conn)

-- 13. t=y: testing mode, p=reject applied as quarantine
conn = send("192.0.2.10", "<x@bounce.example>", "a@testing.example", "<u@watch.example>", "DM13")
expect(conn, SMFIR_CONTINUE, "t=y in observe mode: accepted")
mt.disconnect(conn)
conn = send("192.0.2.10", "<x@bounce.example>", "a@testing.example", "<u@example.net>", "DM14")
check(mt.eom_check(conn, MT_QUARANTINE), "t=y: quarantine instead of reject")
check(string.find(ar(conn), "dmarc=fail (p=reject; testing) policy.dmarc=quarantine header.from=testing.example", 1, true), "A-R t=y: " .. ar(conn))
mt.disconnect(conn)

-- 15. a trusted forwarder (SPF passes for lists.example.net): not refused, reason in A-R
conn = send("192.0.2.10", "<x@lists.example.net>", "ceo@example.org", "<u@fwd.example>", "DM15")
expect(conn, SMFIR_CONTINUE, "trusted forwarder accepted")
check(string.find(ar(conn), "dmarc=fail (p=reject; override=trusted_forwarder lists.example.net) policy.dmarc=reject header.from=example.org", 1, true), "A-R forwarder: " .. ar(conn))
mt.disconnect(conn)

-- 16. a trusted forwarder by client address
conn = send("192.0.2.77", "<x@nospf.example>", "ceo@example.org", "<u@fwd.example>", "DM16")
expect(conn, SMFIR_CONTINUE, "trusted forwarder host accepted")
check(string.find(ar(conn), "override=trusted_forwarder 192.0.2.77)", 1, true), "A-R forwarder host: " .. ar(conn))
mt.disconnect(conn)

-- 17. the same forwarder for a recipient whose policy does not list it: refused
conn = send("192.0.2.10", "<x@lists.example.net>", "ceo@example.org", "<u@example.net>", "DM17")
expect(conn, SMFIR_REPLYCODE, "forwarder not trusted by this policy: refused")
mt.disconnect(conn)

-- 18. List-Id with dmarc.list_action quarantine: held instead of refused
conn = send("192.0.2.10", "<x@bounce.example>", "ceo@example.org", "<u@fwd.example>", "DM18",
    { "List-Id", "Talk <talk.lists.other.example>" })
check(mt.eom_check(conn, MT_QUARANTINE), "List-Id: quarantine instead of reject")
expect(conn, SMFIR_CONTINUE, "List-Id: not refused")
check(string.find(ar(conn), "(p=reject; override=mailing_list) policy.dmarc=reject", 1, true), "A-R list: " .. ar(conn))
mt.disconnect(conn)

-- 19. List-Id where the policy keeps the default (reject): refused
conn = send("192.0.2.10", "<x@bounce.example>", "ceo@example.org", "<u@example.net>", "DM19",
    { "List-Id", "<talk.lists.other.example>" })
expect(conn, SMFIR_REPLYCODE, "List-Id under the default list_action: refused")
mt.disconnect(conn)

-- 19b. an empty List-Id: its escaped value was never allocated, and the
-- daemon read it (a crash until 2026-12-04, found by fuzz_message)
conn = send("192.0.2.10", "<x@bounce.example>", "ceo@example.org", "<u@example.net>", "DM19E",
    { "List-Id", "" })
expect(conn, SMFIR_REPLYCODE, "an empty List-Id: refused as p=reject says, the daemon answers")
mt.disconnect(conn)
