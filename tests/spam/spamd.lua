-- spamd.lua - the spamd rule through the running daemon; -D phase=up|down|slow
-- (tests/spam/spamd.sh starts the real spamd, stops it, points at a silent server).
dofile(libdir .. "/common.lua")

local GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
local P = string.upper(phase)

local function send(qid, rcpt_to, body, bare)
	local conn = open("192.0.2.10")
	local h = { { "From", "a@client.example" }, { "Subject", "spamd " .. phase } }
	if not bare then
		table.insert(h, { "Date", os.date("!%a, %d %b %Y %H:%M:%S +0000") })
		table.insert(h, { "Message-ID", "<" .. qid .. "@client.example>" })
	end
	mail(conn, "<a@client.example>", qid)
	rcpt(conn, rcpt_to)
	message(conn, h, body)
	return conn
end

-- 1. no To, Date or Message-ID: spamd scores it (MISSING_*), spam.tag = 1
local conn = send(P .. "1", "<u@spamd.example>", "Hello, a short note.\r\n", phase == "up")
if phase == "up" then
	expect(conn, SMFIR_CONTINUE, "spamd up: accepted")
	check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag", " YES"), "spamd's score tags at spam.tag = 1")
	local st = (mt.getheader(conn, "X-Spam-Status", 0) or ""):gsub("\n\t", "")
	check(string.find(st, "spamd=", 1, true), "X-Spam-Status names the spamd rule: " .. st)
else
	expect(conn, SMFIR_CONTINUE, "spamd " .. phase .. ": mail keeps flowing")
	check(not mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag"), "no spamd score: not tagged")
end
mt.disconnect(conn)

if phase == "up" then
	conn = send(P .. "2", "<u@example.net>", GTUBE .. "\r\n")
	expect(conn, SMFIR_REPLYCODE, "GTUBE refused")
	mt.disconnect(conn)
else
	conn = send(P .. "2", "<u@waitspamd.example>", "Hello again.\r\n")
	expect(conn, SMFIR_REPLYCODE, "spamd_down_action = tempfail: 451")
	mt.disconnect(conn)
end
