-- behaviour.lua - SPF through the running daemon: enforcement at RCPT under
-- each recipient's policy, Received-SPF and Authentication-Results, the HELO
-- identity for the null sender, skipped clients, hostile HELO.
dofile(libdir .. "/../milter/common.lua")

local function session(ip, helo, from, qid)
	local conn = mt.connect(sock, 40, 0.25)
	check(conn ~= nil, "connect")
	check(mt.conninfo(conn, "client.example", ip) == nil, "conninfo")
	check(mt.helo(conn, helo) == nil, "helo")
	mail(conn, from, qid)
	expect(conn, SMFIR_CONTINUE, qid .. " MAIL FROM")
	return conn
end

local function finish(conn)
	message(conn, { { "From", "a@example.org" }, { "Subject", "spf" } }, "hi\r\n")
end

local function rspf(conn)
	return mt.getheader(conn, "Received-SPF", 0) or mt.getheader(conn, "Received-SPF", 1) or ""
end

local function ar(conn)
	return mt.getheader(conn, "Authentication-Results", 0) or
	    mt.getheader(conn, "Authentication-Results", 1) or ""
end

-- pass: accepted, Received-SPF and A-R say so
local conn = session("192.0.2.10", "mx.pass.spf.example", "<alice@pass.spf.example>", "SPF1")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "pass RCPT")
finish(conn)
local h = rspf(conn)
check(string.find(h, "^ pass ") ~= nil, "Received-SPF pass: " .. h)
check(string.find(h, "identity=mailfrom;", 1, true) ~= nil, "identity=mailfrom: " .. h)
check(string.find(h, "client-ip=192.0.2.10;", 1, true) ~= nil, "client-ip: " .. h)
check(string.find(h, "envelope-from=\"alice@pass.spf.example\";", 1, true) ~= nil, "envelope-from: " .. h)
check(string.find(h, "helo=mx.pass.spf.example;", 1, true) ~= nil, "helo: " .. h)
check(string.find(h, "receiver=mx.test.example", 1, true) ~= nil, "receiver: " .. h)
check(string.find(ar(conn), "spf=pass smtp.mailfrom=alice@pass.spf.example", 1, true) ~= nil,
    "A-R spf=pass: " .. ar(conn))
mt.disconnect(conn)

-- fail: refused at RCPT (550 5.7.23, see the log) under the default policy,
-- tagged for a recipient whose policy says so, in the same transaction
conn = session("192.0.2.20", "mx.fail.spf.example", "<bob@fail.spf.example>", "SPF2")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_REPLYCODE, "fail RCPT, default policy")
rcpt(conn, "<u@lenient.example>")
expect(conn, SMFIR_CONTINUE, "fail RCPT, lenient policy")
finish(conn)
check(string.find(rspf(conn), "^ fail ") ~= nil, "Received-SPF fail: " .. rspf(conn))
mt.disconnect(conn)

-- softfail: tagged by default
conn = session("192.0.2.20", "mx.example.org", "<c@soft.spf.example>", "SPF3")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "softfail RCPT")
finish(conn)
check(string.find(rspf(conn), "^ softfail ") ~= nil, "Received-SPF softfail: " .. rspf(conn))
mt.disconnect(conn)

-- permerror: tagged by default, refused (550 5.7.24) where the policy says so
conn = session("192.0.2.20", "mx.example.org", "<d@perm.spf.example>", "SPF4")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "permerror RCPT, default")
rcpt(conn, "<u@strict.example>")
expect(conn, SMFIR_REPLYCODE, "permerror RCPT, strict policy")
finish(conn)
check(string.find(rspf(conn), "^ permerror ") ~= nil, "Received-SPF permerror: " .. rspf(conn))
mt.disconnect(conn)

-- the same two refusals alone in their transactions (their replies are logged)
conn = session("192.0.2.20", "mx.example.org", "<bob@fail.spf.example>", "SPF2B")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_REPLYCODE, "fail RCPT alone")
mt.disconnect(conn)
conn = session("192.0.2.20", "mx.example.org", "<d@perm.spf.example>", "SPF4B")
rcpt(conn, "<u@strict.example>")
expect(conn, SMFIR_REPLYCODE, "permerror RCPT alone, strict policy")
mt.disconnect(conn)

-- temperror (a name that never answers): 451 4.7.24 at RCPT
conn = session("192.0.2.20", "mx.example.org", "<e@slow.spf.example>", "SPF5")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_REPLYCODE, "temperror RCPT")
mt.disconnect(conn)

-- observe mode: a fail is accepted and logged
conn = session("192.0.2.20", "mx.example.org", "<f@fail.spf.example>", "SPF6")
rcpt(conn, "<u@observe.example>")
expect(conn, SMFIR_CONTINUE, "fail RCPT, observe policy")
finish(conn)
mt.disconnect(conn)

-- null sender: the HELO identity decides (postmaster@helo)
conn = session("192.0.2.10", "helo.spf.example", "<>", "SPF7")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "null sender RCPT")
finish(conn)
h = rspf(conn)
check(string.find(h, "^ pass ") ~= nil and string.find(h, "identity=helo;", 1, true) ~= nil,
    "null sender: HELO identity: " .. h)
check(string.find(ar(conn), "spf=pass smtp.helo=helo.spf.example", 1, true) ~= nil,
    "A-R smtp.helo: " .. ar(conn))
mt.disconnect(conn)

-- null sender with a failing HELO identity: refused
conn = session("192.0.2.20", "fail.spf.example", "<>", "SPF8")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_REPLYCODE, "null sender, HELO fail")
mt.disconnect(conn)

-- internal client (outbound) and trusted client: no SPF
for _, ip in ipairs({ "10.1.2.3", "192.0.2.99" }) do
	conn = session(ip, "mx.example.org", "<g@fail.spf.example>", "SPF9")
	rcpt(conn, "<u@example.net>")
	expect(conn, SMFIR_CONTINUE, ip .. " RCPT")
	finish(conn)
	check(rspf(conn) == "", ip .. ": no Received-SPF")
	mt.disconnect(conn)
end

-- hostile HELO: quoted, nothing injected
conn = session("192.0.2.20", "x; receiver=forged.example; identity=helo \"(", "<h@neutral.spf.example>", "SPF10")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "hostile HELO RCPT")
finish(conn)
h = rspf(conn)
check(string.find(h, "^ neutral ") ~= nil, "neutral: " .. h)
check(string.find(h, "helo=\"x; receiver=forged.example; identity=helo \\\"(\";", 1, true) ~= nil,
    "hostile HELO quoted: " .. h)
local _, n = string.gsub(h, "receiver=", "")
check(n == 2, "one receiver= field and the quoted text: " .. h)
mt.disconnect(conn)
