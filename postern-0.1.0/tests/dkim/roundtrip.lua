-- roundtrip.lua - sign a message through one milter, verify it through
-- another, check the verifier's Authentication-Results.
-- -D signer=SOCK -D signip=IP (an internal client of the signer)
-- -D verifier=SOCK -D verifyip=IP -D nsig=N (signatures expected)
-- -D want1=TEXT [-D want2=TEXT] (substrings of the verifier's A-R)
-- -D body=TEXT (optional: the body the verifier gets instead, "tamper")
-- -D rcpt_to=ADDR (the verifier's recipient; its domain's policy governs)
-- -D nsig=0: send unsigned.  -D reply=CODE -D xcode=X.Y.Z: expect a refusal
-- instead of an A-R.
dofile(libdir .. "/common.lua")

local headers = {
	{ "From", "Alice <alice@" .. (domain or "example.com") .. ">" },
	{ "To", "bob@example.net" },
	{ "Subject", "round trip" },
	{ "Date", "Sun, 22 Nov 2026 07:00:00 +0000" },
	{ "Message-ID", "<rt1@" .. (domain or "example.com") .. ">" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "text/plain; charset=us-ascii" },
}
local text = "Hello,\r\nthis is a test.\r\n\r\n-- \r\nAlice\r\n"

local function session(sock, ip, to)
	local conn = mt.connect(sock, 40, 0.25)
	check(conn ~= nil, "connect to " .. sock)
	check(mt.conninfo(conn, "client.example", ip) == nil, "conninfo")
	pcall(mt.helo, conn, "client.example")   -- OpenDKIM negotiates NOHELO
	mt.macro(conn, SMFIC_MAIL, "i", qid or "RT1")
	check(mt.mailfrom(conn, "<alice@" .. (domain or "example.com") .. ">") == nil, "mailfrom")
	check(mt.rcptto(conn, to or "<bob@example.net>") == nil, "rcptto")
	return conn
end

-- sign
local sigs = {}
if tonumber(nsig) > 0 then
local s = session(signer, signip)
message(s, headers, text)
local r = mt.getreply(s)
check(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "signer accepts")
for i = 0, tonumber(nsig) - 1 do
	local v = mt.getheader(s, "DKIM-Signature", i)
	check(v ~= nil, "signature " .. i .. " added")
	table.insert(sigs, 1, { "DKIM-Signature", v })
end
check(mt.getheader(s, "DKIM-Signature", tonumber(nsig)) == nil, "exactly " .. nsig .. " signatures")
mt.disconnect(s)
end

-- verify
local all = {}
for _, h in ipairs(sigs) do table.insert(all, h) end
for _, h in ipairs(headers) do table.insert(all, h) end
local v = session(verifier, verifyip, rcpt_to)
message(v, all, body or text)
if reply ~= nil then
	expect(v, SMFIR_REPLYCODE, "refused (" .. reply .. " " .. xcode .. ", checked in the log)")
	mt.disconnect(v)
	return
end
local ar = mt.getheader(v, "Authentication-Results", 0)
check(ar ~= nil, "verifier added Authentication-Results")
print("A-R: " .. ar)
for _, w in ipairs({ want1, want2 }) do
	check(string.find(ar, w, 1, true) ~= nil, "A-R contains '" .. w .. "': " .. ar)
end
mt.disconnect(v)
