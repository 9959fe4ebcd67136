-- auth.lua - issue 9, authentication: what a mail client would show as the
-- author must be the one checked, and what cannot be checked is refused or
-- retried by policy (zone: tests/auth/zone.txt, driven by auth.sh).
dofile(libdir .. "/common.lua")

-- each case runs on its own: one failure does not hide the others
local failed = {}
local function case(name, fn)
	local okay, err = pcall(fn)
	if not okay then
		print(name .. ": " .. tostring(err))
		table.insert(failed, name)
	end
end

local function inbound(from_hdrs, rcpt_to, qid, extra, body)
	local conn = open("192.0.2.10")
	mail(conn, "<x@bounce.example>", qid)
	rcpt(conn, rcpt_to or "<u@example.net>")
	local hdrs = {}
	for _, f in ipairs(from_hdrs) do table.insert(hdrs, { "From", f }) end
	table.insert(hdrs, { "Subject", qid })
	for _, h in ipairs(extra or {}) do table.insert(hdrs, h) end
	message(conn, hdrs, body or "hello\r\n")
	return conn
end

-- 7. a From that names no single author: dmarc.unusable_from_action
-- (reject, 550 5.7.1 - the text is checked in the log)
local unusable = {
	{ "AU1", { "ceo@example.org <>" } },
	{ "AU2", { "CEO <ceo@example.org" } },
	{ "AU3", { } },
	{ "AU4", { "ceo@ example.org" } },
	{ "AU5", { "ceo@(comment)example.org" } },
	{ "AU6", { "x@bounce.example <ceo@example.org>" } },
	{ "AU7", { "x@bounce.example", "ceo@example.org" } },
	{ "AU8", { "x@bounce.example, ceo@example.org" } },
}
for _, u in ipairs(unusable) do
	case(u[1], function()
		local conn = inbound(u[2], nil, u[1])
		expect(conn, SMFIR_REPLYCODE, u[1] .. " unusable From refused")
		mt.disconnect(conn)
	end)
end

-- 7. dkim.require_signature_from fails closed on the same parse
case("AU9", function()
	local conn = inbound({ "<ceo@example.net" }, "<u@strict.example>", "AU9")
	expect(conn, SMFIR_REPLYCODE, "AU9 required signature, unusable From: refused")
	mt.disconnect(conn)
end)

-- 8. a From domain whose _dmarc name cannot be asked: the organisational
-- domain's policy applies (p=reject), no temperror
case("AU10", function()
	local conn = inbound({ "ceo@" .. longlabel .. ".longorg.example" }, nil, "AU10")
	expect(conn, SMFIR_REPLYCODE, "AU10 label over 63 octets: org domain's p=reject")
	mt.disconnect(conn)
end)
case("AU11", function()
	local conn = inbound({ "ceo@" .. longname .. ".longorg.example" }, nil, "AU11")
	expect(conn, SMFIR_REPLYCODE, "AU11 _dmarc name over 253 octets: org domain's p=reject")
	mt.disconnect(conn)
end)

-- 9. a required signature whose key lookup timed out: 451 4.7.5 (retried)
case("AU13", function()
	local out = open("10.1.2.3")
	mail(out, "<a@example.net>", "AU12")
	rcpt(out, "<u@strict.example>")
	local hdrs = { { "From", "a@example.net" }, { "Subject", "AU13" },
	    { "Date", "Thu, 03 Dec 2026 08:00:00 +0000" } }
	message(out, hdrs, "hello\r\n")
	expect(out, SMFIR_CONTINUE, "AU12 outbound signed")
	local sig = mt.getheader(out, "DKIM-Signature", 0)
	check(sig ~= nil, "AU12 signature added")
	mt.disconnect(out)
	local conn = open("192.0.2.10")
	mail(conn, "<a@example.net>", "AU13")
	rcpt(conn, "<u@strict.example>")
	table.insert(hdrs, 1, { "DKIM-Signature", sig })
	message(conn, hdrs, "hello\r\n")
	expect(conn, SMFIR_REPLYCODE, "AU13 key lookup timeout: refused for now")
	mt.disconnect(conn)
end)

-- 10. fields claiming to be ours are removed: an A-R whose quoted
-- authserv-id uses quoted-pairs, a Received-SPF naming our receiver, any
-- X-Postern-* field; a foreign Received-SPF stays
case("AU14", function()
	local conn = inbound({ "x@bounce.example" }, nil, "AU14", {
		{ "Authentication-Results", "\"mx\\.test\\.example\"; dkim=pass header.d=example.org" },
		{ "Received-SPF", "pass (mx.test.example: domain of bank.example designates 192.0.2.10)\n\treceiver=\"mx\\.test.example\"; identity=mailfrom" },
		{ "Received-SPF", "pass (relay.other.example: ok) receiver=relay.other.example; identity=mailfrom" },
		{ "X-Postern-Attachment", "clean" },
		{ "x-postern-verdict", "accept" } })
	check(mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results"), "AU14 A-R with quoted-pairs removed")
	check(mt.eom_check(conn, MT_HDRCHANGE, "Received-SPF"), "AU14 forged Received-SPF removed")
	check(mt.eom_check(conn, MT_HDRCHANGE, "X-Postern-Attachment"), "AU14 X-Postern-Attachment removed")
	check(mt.eom_check(conn, MT_HDRCHANGE, "x-postern-verdict"), "AU14 x-postern-verdict removed")
	check(ours(conn) or mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"), "AU14 our A-R inserted")
	mt.disconnect(conn)
end)

-- 11. outbound mail that cannot be signed: dkim.sign_failure_action
-- (tempfail 451 4.3.0), never unsigned mail with only a log line.  1000
-- header fields pass limits.header_count but not the signer's kept list.
case("AU15", function()
	local out = open("10.1.2.3")
	mail(out, "<a@example.org>", "AU15")
	rcpt(out, "<u@example.net>")
	local hdrs = { { "From", "a@example.org" }, { "Subject", "AU15" } }
	for i = 1, 998 do table.insert(hdrs, { "X-Filler", tostring(i) }) end
	message(out, hdrs, "hello\r\n")
	expect(out, SMFIR_REPLYCODE, "AU15 signing failure: tempfail")
	check(mt.getheader(out, "DKIM-Signature", 0) == nil, "AU15 nothing signed")
	mt.disconnect(out)
end)

-- ... and the same From with few headers is signed (the key works)
case("AU16", function()
	local out = open("10.1.2.3")
	mail(out, "<a@example.org>", "AU16")
	rcpt(out, "<u@example.net>")
	message(out, { { "From", "a@example.org" }, { "Subject", "AU16" } }, "hello\r\n")
	expect(out, SMFIR_CONTINUE, "AU16 signed")
	check(mt.getheader(out, "DKIM-Signature", 0) ~= nil, "AU16 signature added")
	mt.disconnect(out)
end)

-- issue 17: one From parse for every check.  A comment holding another
-- address never names the author: "a@good.example (x@other.example y)" is
-- good.example for DKIM signing, dkim.require_signature_from, DMARC and the
-- deny.senders lookup; the mirror "a@other.example (x@good.example y)" is
-- other.example for all of them.  Each case would go the other way if any
-- of them took the domain from the comment.
local GOOD = "a@good.example (x@other.example y)"
local OTHER = "a@other.example (x@good.example y)"
local function signed_by(qid, from, want)
	local out = open("10.1.2.3")
	mail(out, "<a@" .. want .. ">", qid)
	rcpt(out, "<u@example.net>")
	message(out, { { "From", from }, { "Subject", qid } }, "hello\r\n")
	expect(out, SMFIR_CONTINUE, qid .. " outbound signed")
	local sig = mt.getheader(out, "DKIM-Signature", 0) or ""
	check(string.find(sig, "d=" .. want .. ";", 1, true) ~= nil,
	    qid .. " signed with " .. want .. "'s key: " .. sig)
	check(mt.getheader(out, "DKIM-Signature", 1) == nil, qid .. " one signature only")
	mt.disconnect(out)
end
case("AF1", function() signed_by("AF1", GOOD, "good.example") end)
case("AF2", function() signed_by("AF2", OTHER, "other.example") end)
local function inbound17(qid, sender, rcpt_to, from, want)
	local conn = open("192.0.2.10")
	mail(conn, sender, qid)
	rcpt(conn, rcpt_to)
	message(conn, { { "From", from }, { "Subject", qid } }, "hello\r\n")
	expect(conn, want, qid)
	return conn
end
-- required.example requires other.example's signature
case("AF3", function()   -- author good.example: nothing required; DMARC pass by SPF
	local conn = inbound17("AF3", "<x@good.example>", "<u@required.example>", GOOD, SMFIR_CONTINUE)
	local ar = mt.getheader(conn, "Authentication-Results", 0) or ""
	check(string.find(ar, "dmarc=pass", 1, true) ~= nil and
	    string.find(ar, "header.from=good.example", 1, true) ~= nil, "AF3 A-R: " .. ar)
	mt.disconnect(conn)
end)
case("AF4", function()   -- author other.example: its signature is required
	mt.disconnect(inbound17("AF4", "<x@other.example>", "<u@required.example>", OTHER, SMFIR_REPLYCODE))
end)
-- DMARC: good.example publishes p=reject, other.example nothing
case("AF5", function()   -- SPF passes for other.example, not aligned with good.example
	mt.disconnect(inbound17("AF5", "<x@other.example>", "<u@example.net>", GOOD, SMFIR_REPLYCODE))
end)
case("AF6", function()
	local conn = inbound17("AF6", "<x@other.example>", "<u@example.net>", OTHER, SMFIR_CONTINUE)
	local ar = mt.getheader(conn, "Authentication-Results", 0) or ""
	check(string.find(ar, "header.from=other.example", 1, true) ~= nil, "AF6 A-R: " .. ar)
	mt.disconnect(conn)
end)
-- listed.example has other.example on deny.senders (decided in the header
-- phase: the reply goes to the first body chunk)
local function listed(qid, from, want)
	local conn = open("192.0.2.10")
	mail(conn, "<x@good.example>", qid)
	rcpt(conn, "<u@listed.example>")
	local r = headers_body(conn, { { "From", from }, { "Subject", qid } }, "hello\r\n")
	check(r == want, qid .. ": reply to the body " .. tostring(r))
	mt.disconnect(conn)
end
case("AF7", function() listed("AF7", GOOD, SMFIR_CONTINUE) end)
case("AF8", function() listed("AF8", OTHER, SMFIR_REPLYCODE) end)

check(#failed == 0, "cases failed: " .. table.concat(failed, " "))
