-- limits.lua - every named limit crossed once (tests/milter/limits.sh has
-- the configuration, checks the log lines and lists the limits).  Each
-- case has its own queue id LIMn; the reply type is checked here, the
-- reply text at end of message with MT_SMTPREPLY and for every case in
-- the summary line's reply="...".
-- Globals from -D: sock, libdir, zip (base64 of a zip with 3 entries).
dofile(libdir .. "/common.lua")

local CRLF = "\r\n"

-- a session up to the recipients; rcpts is a list
local function start(qid, from, rcpts, ...)
	local conn = open("192.0.2.10")
	mail(conn, from, qid, ...)
	expect(conn, SMFIR_CONTINUE, qid .. ": MAIL FROM")
	for _, r in ipairs(rcpts) do
		rcpt(conn, r)
		expect(conn, SMFIR_CONTINUE, qid .. ": RCPT " .. r)
	end
	return conn
end

local function headers(conn, hdrs)
	for _, h in ipairs(hdrs) do
		check(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1])
	end
	check(mt.eoh(conn) == nil, "eoh")
end

-- refused: the reply to the last body chunk (where a limit crossed while
-- streaming is answered), or else at end of message, where the reply text
-- is checked with MT_SMTPREPLY when given; where says which is expected
local function refused(conn, qid, where, code, xcode, text)
	if where == "body" then
		expect(conn, SMFIR_REPLYCODE, qid .. ": refused at the body chunk")
	else
		expect(conn, SMFIR_CONTINUE, qid .. ": body chunk")
		check(mt.eom(conn) == nil, qid .. ": eom")
		expect(conn, SMFIR_REPLYCODE, qid .. ": refused at end of message")
		if text ~= nil then
			check(mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text),
			    qid .. ": reply " .. code .. " " .. xcode .. " " .. text)
		end
	end
	mt.disconnect(conn)
end

local function accepted(conn, qid)
	check(mt.eom(conn) == nil, qid .. ": eom")
	expect(conn, SMFIR_CONTINUE, qid .. ": accepted")
end

local function multipart(ctype_boundary, parts)
	local b = ctype_boundary
	local s = "preamble" .. CRLF
	for _, p in ipairs(parts) do
		s = s .. "--" .. b .. CRLF .. p .. CRLF
	end
	return s .. "--" .. b .. "--" .. CRLF
end

local text = "Content-Type: text/plain" .. CRLF .. CRLF .. "hello" .. CRLF

-- LIM1 limits.header_count (20): the 21st field refuses the message at
-- the first body chunk (end of headers is a no-reply step)
local conn = start("LIM1", "<a@ok.lim.example>", { "<u@example.net>" })
local h = {}
for i = 1, 21 do h[i] = { "X-Field-" .. i, "v" } end
headers(conn, h)
check(mt.bodystring(conn, "body" .. CRLF) == nil, "LIM1: body")
expect(conn, SMFIR_REPLYCODE, "LIM1: too many header fields")
mt.disconnect(conn)

-- LIM2 limits.header_count: 20 fields pass
conn = start("LIM2", "<a@ok.lim.example>", { "<u@example.net>" })
h = {}
for i = 1, 20 do h[i] = { "X-Field-" .. i, "v" } end
headers(conn, h)
check(mt.bodystring(conn, "body" .. CRLF) == nil, "LIM2: body")
accepted(conn, "LIM2")
mt.disconnect(conn)

-- LIM3 limits.header_bytes (2048): three 700-byte fields
conn = start("LIM3", "<a@ok.lim.example>", { "<u@example.net>" })
headers(conn, { { "X-A", string.rep("a", 700) }, { "X-B", string.rep("b", 700) },
    { "X-C", string.rep("c", 700) } })
check(mt.bodystring(conn, "body" .. CRLF) == nil, "LIM3: body")
expect(conn, SMFIR_REPLYCODE, "LIM3: header block over limits.header_bytes")
mt.disconnect(conn)

-- LIM4 limits.recipients (3): the fourth recipient gets 452 4.5.3, the
-- message goes on for the first three
conn = start("LIM4", "<a@ok.lim.example>", { "<u1@example.net>", "<u2@example.net>", "<u3@example.net>" })
rcpt(conn, "<u4@example.net>")
expect(conn, SMFIR_REPLYCODE, "LIM4: fourth recipient refused")
headers(conn, { { "Subject", "LIM4" } })
check(mt.bodystring(conn, "body" .. CRLF) == nil, "LIM4: body")
accepted(conn, "LIM4")
mt.disconnect(conn)

-- LIM5 max_message_size (20K): a declared SIZE= over it at MAIL FROM
conn = open("192.0.2.10")
mail(conn, "<a@ok.lim.example>", "LIM5", "SIZE=30000")
expect(conn, SMFIR_REPLYCODE, "LIM5: SIZE over the limit at MAIL FROM")
mt.disconnect(conn)

-- LIM6 max_message_size: a body that grows past it, refused while streaming
conn = start("LIM6", "<a@ok.lim.example>", { "<u@example.net>" })
headers(conn, { { "Subject", "LIM6" } })
local chunk = string.rep(string.rep("x", 98) .. CRLF, 120)   -- 12,000 bytes
check(mt.bodystring(conn, chunk) == nil, "LIM6: chunk 1")
expect(conn, SMFIR_CONTINUE, "LIM6: 12 KB of body")
check(mt.bodystring(conn, chunk) == nil, "LIM6: chunk 2")
expect(conn, SMFIR_REPLYCODE, "LIM6: 24 KB of body refused in the body phase")
mt.disconnect(conn)

-- the MIME limits of mime.example: each crossed while the body streams,
-- refused at that body chunk with 554 5.6.0 (mime_limit_action reject)
local function mime_case(qid, ctype, body)
	local c = start(qid, "<a@ok.lim.example>", { "<u@mime.example>" })
	headers(c, { { "Subject", qid }, { "MIME-Version", "1.0" }, { "Content-Type", ctype } })
	check(mt.bodystring(c, body) == nil, qid .. ": body")
	refused(c, qid, "body")
end

-- LIM7 mime_max_depth (3): four levels of multipart
local inner = multipart("d4", { text })
local l3 = multipart("d3", { "Content-Type: multipart/mixed; boundary=d4" .. CRLF .. CRLF .. inner })
local l2 = multipart("d2", { "Content-Type: multipart/mixed; boundary=d3" .. CRLF .. CRLF .. l3 })
mime_case("LIM7", "multipart/mixed; boundary=d1",
    multipart("d1", { "Content-Type: multipart/mixed; boundary=d2" .. CRLF .. CRLF .. l2 }))

-- LIM8 mime_max_parts (6): seven parts
local seven = {}
for i = 1, 7 do seven[i] = text end
mime_case("LIM8", "multipart/mixed; boundary=p", multipart("p", seven))

-- LIM9 mime_max_header_line (200): a 300-byte line in a part's header
mime_case("LIM9", "multipart/mixed; boundary=h",
    multipart("h", { "X-Long: " .. string.rep("l", 300) .. CRLF .. text }))

-- LIM10 mime_max_header_bytes (400): a part header of 5 lines of 100 bytes
local hb = ""
for i = 1, 5 do hb = hb .. "X-L" .. i .. ": " .. string.rep("h", 94) .. CRLF end
mime_case("LIM10", "multipart/mixed; boundary=h", multipart("h", { hb .. text }))

-- LIM11 mime_max_boundary (70): an 80-character boundary
local long_b = string.rep("b", 80)
mime_case("LIM11", "multipart/mixed; boundary=" .. long_b, multipart(long_b, { text }))

-- LIM12 mime_max_filename (20): a 40-character attachment name
mime_case("LIM12", "multipart/mixed; boundary=f",
    multipart("f", { text, "Content-Type: application/octet-stream" .. CRLF ..
        "Content-Disposition: attachment; filename=\"" .. string.rep("n", 36) .. ".bin\"" ..
        CRLF .. CRLF .. "data" .. CRLF }))

-- the attachment limits of attach.example, refused at the body chunk
local function attach_case(qid, parts)
	local c = start(qid, "<a@ok.lim.example>", { "<u@attach.example>" })
	headers(c, { { "Subject", qid }, { "MIME-Version", "1.0" },
	    { "Content-Type", "multipart/mixed; boundary=a" } })
	check(mt.bodystring(c, multipart("a", parts)) == nil, qid .. ": body")
	refused(c, qid, "body")
end
local function binpart(name, n)
	return "Content-Type: application/octet-stream" .. CRLF ..
	    "Content-Disposition: attachment; filename=\"" .. name .. "\"" .. CRLF .. CRLF ..
	    string.rep("z", n) .. CRLF
end

-- LIM13 max_attachment_size (100): one part of 120 bytes
attach_case("LIM13", { text, binpart("big.bin", 120) })
-- LIM14 max_attachments_total (150): two parts of 90 bytes
attach_case("LIM14", { text, binpart("one.bin", 90), binpart("two.bin", 90) })
-- LIM15 zip_max_entries (2): a zip of three entries
attach_case("LIM15", { text, "Content-Type: application/zip" .. CRLF ..
    "Content-Disposition: attachment; filename=\"three.zip\"" .. CRLF ..
    "Content-Transfer-Encoding: base64" .. CRLF .. CRLF .. zip .. CRLF })

-- SPF's look-up limits (RFC 7208 4.6.4) make a permerror, refused by the
-- default policy's spf.permerror_action at the recipient
local function spf_refused(qid, from)
	local c = open("192.0.2.10")
	mail(c, from, qid)
	rcpt(c, "<u@example.net>")
	expect(c, SMFIR_REPLYCODE, qid .. ": SPF permerror refused at RCPT")
	mt.disconnect(c)
end

-- LIM16 more than 10 DNS-querying terms
spf_refused("LIM16", "<a@many.lim.example>")

-- LIM17 SPF: exactly 10 terms pass
conn = start("LIM17", "<a@ten.lim.example>", { "<u@example.net>" })
headers(conn, { { "Subject", "LIM17" } })
accepted(conn, "LIM17")
mt.disconnect(conn)

-- LIM18 a third void look-up
spf_refused("LIM18", "<a@void.lim.example>")

-- LIM19 SPF: two void look-ups pass
conn = start("LIM19", "<a@twovoid.lim.example>", { "<u@example.net>" })
headers(conn, { { "Subject", "LIM19" } })
accepted(conn, "LIM19")
mt.disconnect(conn)

-- LIM20 dkim.max_signatures (1): the second signature is not verified,
-- it is reported as dkim=policy; the message is accepted
conn = start("LIM20", "<a@ok.lim.example>", { "<u@example.net>" })
local sig = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=ok.lim.example; s=s%d; h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA"
headers(conn, { { "DKIM-Signature", string.format(sig, 1) }, { "DKIM-Signature", string.format(sig, 2) },
    { "From", "a@ok.lim.example" }, { "Subject", "LIM20" } })
accepted(conn, "LIM20")
local ar = mt.getheader(conn, "Authentication-Results", 0) or ""
check(string.find(ar, "dkim=policy", 1, true) ~= nil, "LIM20: the second signature is dkim=policy: " .. ar)
mt.disconnect(conn)

-- LIM21 spam.uribl_max_domains (1): three link domains, one is asked
conn = start("LIM21", "<a@ok.lim.example>", { "<u@example.net>" })
headers(conn, { { "Subject", "LIM21" }, { "From", "a@ok.lim.example" } })
check(mt.bodystring(conn, "see http://one.example/ http://two.example/ http://three.example/" .. CRLF) == nil, "LIM21: body")
accepted(conn, "LIM21")
mt.disconnect(conn)

-- LIM22 rate.ip_messages (1) of rate.example: the second message from
-- the client in the window gets 451 4.7.1 at RCPT
conn = start("LIM22", "<a@ok.lim.example>", { "<u@rate.example>" })
headers(conn, { { "Subject", "LIM22" } })
accepted(conn, "LIM22")
mail(conn, "<a@ok.lim.example>", "LIM23")
rcpt(conn, "<u@rate.example>")
expect(conn, SMFIR_REPLYCODE, "LIM23: over rate.ip_messages")
mt.disconnect(conn)
