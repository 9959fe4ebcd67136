-- behaviour.lua - the spam screen through the running daemon
-- (zone: tests/spam/zone.txt, policies: tests/spam/policies).
dofile(libdir .. "/common.lua")

-- a Date of now, so that date_past / date_future never fire by themselves
local NOW = os.date("!%a, %d %b %Y %H:%M:%S +0000")
local GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
local full = {
	{ "From", "a@client.example" }, { "To", "u@example.net" },
	{ "Date", NOW }, { "Message-ID", "<1@client.example>" },
}

local function hdrs(extra, drop)
	local t = {}
	for _, h in ipairs(full) do
		if drop == nil or drop[h[1]] == nil then table.insert(t, h) end
	end
	for _, h in ipairs(extra or {}) do table.insert(t, h) end
	return t
end

local function ar(conn)
	return mt.getheader(conn, "Authentication-Results", 0) or ""
end

local function send(ip, qid, rcpts, headers, body, from)
	local conn = open(ip)
	mail(conn, from or "<a@client.example>", qid)
	for _, r in ipairs(rcpts) do rcpt(conn, r) end
	message(conn, headers, body or "hello\r\n")
	return conn
end

-- 1. clean mail: accepted, no X-Spam-Flag, incoming X-Spam-* removed, score in the A-R
local conn = send("192.0.2.10", "SP1", { "<u@example.net>" },
    hdrs({ { "Subject", "clean" }, { "X-Spam-Flag", "NO" }, { "X-Spam-Status", "No, score=-100" } }))
expect(conn, SMFIR_CONTINUE, "clean mail accepted")
check(not mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag"), "clean mail not tagged")
check(mt.eom_check(conn, MT_HDRCHANGE, "X-Spam-Flag"), "incoming X-Spam-Flag removed")
check(mt.eom_check(conn, MT_HDRCHANGE, "X-Spam-Status"), "incoming X-Spam-Status removed")
check(string.find(ar(conn), "x-spam=ham (score=0.5 required=3.0)", 1, true), "A-R x-spam=ham: " .. ar(conn))
mt.disconnect(conn)

-- 2. answers the lists do not count (code outside codes=, mask miss): clean
conn = send("192.0.2.77", "SP2", { "<u@example.net>" }, hdrs({ { "Subject", "codes" } }))
expect(conn, SMFIR_CONTINUE, "unlisted codes accepted")
check(not mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag"), "codes/mask filtered: not tagged")
mt.disconnect(conn)

-- 3. listed in bl (4) and mask (2.5): 7.0 >= tag 3: headers and subject prefix
conn = send("192.0.2.66", "SP3", { "<u@example.net>" }, hdrs({ { "Subject", "offer" } }))
expect(conn, SMFIR_CONTINUE, "tagged mail accepted")
check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag", " YES"), "X-Spam-Flag: YES")
check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Score", " 7.0"), "X-Spam-Score: 7.0")
local st = (mt.getheader(conn, "X-Spam-Status", 0) or ""):gsub("\n\t", "")
check(string.find(st, "Yes, score=7.0 required=3.0 tests=dnsbl_bl=4.0,dnsbl_mask=2.5,auth_none=0.5", 1, true),
    "X-Spam-Status: " .. st)
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", " [SPAM] offer"), "subject prefix")
check(string.find(ar(conn), "x-spam=spam (score=7.0 required=3.0)", 1, true), "A-R x-spam=spam")
mt.disconnect(conn)

-- 4. plus no Date (1) and no Message-ID (0.5): 8.5 >= quarantine 8
conn = send("192.0.2.66", "SP4", { "<u@example.net>" },
    hdrs({ { "Subject", "held" } }, { Date = 1, ["Message-ID"] = 1 }))
check(mt.eom_check(conn, MT_QUARANTINE), "quarantined")
check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag", " YES"), "quarantined mail is tagged too")
mt.disconnect(conn)

-- 5. a policy with reject = 2: 0.5 + 1 + 0.5 refused at end of message
conn = send("192.0.2.10", "SP5", { "<u@low.example>" },
    hdrs({ { "Subject", "x" } }, { Date = 1, ["Message-ID"] = 1 }))
expect(conn, SMFIR_REPLYCODE, "score over spam.reject refused at eom")
mt.disconnect(conn)

-- 6. a list the policy marks reject: 554 at RCPT; another recipient stays
conn = open("192.0.2.66")
mail(conn, "<a@client.example>", "SP6")
check(mt.rcptto(conn, "<u@strict.example>") == nil, "rcpt")
expect(conn, SMFIR_REPLYCODE, "listed client refused at RCPT for strict.example")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "the other recipient accepted")
mt.disconnect(conn)

-- 7. the DNS-list score is over score.example's spam.reject already at RCPT
conn = open("192.0.2.66")
mail(conn, "<a@client.example>", "SP7")
check(mt.rcptto(conn, "<u@score.example>") == nil, "rcpt")
expect(conn, SMFIR_REPLYCODE, "score over spam.reject refused at RCPT")
mt.disconnect(conn)

-- 8. IPv6 client listed (RFC 5782 nibbles)
conn = open("2001:db8::66")
mail(conn, "<a@client.example>", "SP8")
check(mt.rcptto(conn, "<u@strict.example>") == nil, "rcpt")
expect(conn, SMFIR_REPLYCODE, "listed IPv6 client refused at RCPT")
mt.disconnect(conn)

-- 9. allowlist: -3
conn = send("192.0.2.55", "SP9", { "<u@example.net>" }, hdrs({ { "Subject", "wl" } }))
check(string.find(ar(conn), "x-spam=ham (score=-2.5 required=3.0)", 1, true), "allowlisted: " .. ar(conn))
mt.disconnect(conn)

-- 10. the list answers with its error code / times out: not listed, dnsbl_error shown
conn = send("192.0.2.88", "SP10", { "<u@example.net>" }, hdrs({ { "Subject", "err" } }))
expect(conn, SMFIR_CONTINUE, "error answer: accepted")
mt.disconnect(conn)
conn = send("192.0.2.99", "SP11", { "<u@example.net>" }, hdrs({ { "Subject", "timeout" } }))
expect(conn, SMFIR_CONTINUE, "list timeout: accepted")
mt.disconnect(conn)

-- 12. GTUBE refused
conn = send("192.0.2.10", "SP12", { "<u@example.net>" }, hdrs({ { "Subject", "gtube" } }),
    "test\r\n" .. GTUBE .. "\r\n")
expect(conn, SMFIR_REPLYCODE, "GTUBE refused")
mt.disconnect(conn)

-- 13. per-domain rule scores: loose.example gives bl 0 and mask 0.25
conn = send("192.0.2.66", "SP13", { "<u@loose.example>" }, hdrs({ { "Subject", "loose" } }))
expect(conn, SMFIR_CONTINUE, "loose policy accepts")
check(not mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag"), "loose policy: not tagged")
check(string.find(ar(conn), "x-spam=ham (score=0.75 required=3.0)", 1, true), "loose: " .. ar(conn))
mt.disconnect(conn)

-- 14. observe mode: GTUBE logged, not refused
conn = send("192.0.2.10", "SP14", { "<u@watch.example>" }, hdrs({ { "Subject", "w" } }), GTUBE .. "\r\n")
expect(conn, SMFIR_CONTINUE, "observe mode accepts GTUBE")
mt.disconnect(conn)

-- 15. outbound: its own thresholds (outbound_reject = 2), never tagged,
--     the DNS lists do not count, X-Spam-* still removed
conn = send("10.1.2.3", "SP15", { "<x@remote.example>" },
    hdrs({ { "Subject", "out" }, { "X-Spam-Score", "-50" } }))
expect(conn, SMFIR_CONTINUE, "clean outbound accepted")
check(not mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag"), "outbound not tagged")
check(mt.eom_check(conn, MT_HDRCHANGE, "X-Spam-Score"), "outbound X-Spam-Score removed")
mt.disconnect(conn)
conn = send("10.1.2.3", "SP16", { "<x@remote.example>" },
    hdrs({ { "Subject", "out \195\169" } }, { Date = 1, ["Message-ID"] = 1 }))
expect(conn, SMFIR_REPLYCODE, "outbound over outbound_reject refused")
mt.disconnect(conn)

-- 17. links: text/plain and a base64 text/html part; the URI list lists
--     evil.example (from www.evil.example) and spamvertised.co.uk
local html = "<a href=\"https://user@shop.spamvertised.co.uk/x\">good.example</a>"
local b64 = "PGEgaHJlZj0iaHR0cHM6Ly91c2VyQHNob3Auc3BhbXZlcnRpc2VkLmNvLnVrL3giPmdvb2QuZXhhbXBsZTwvYT4="
conn = send("192.0.2.10", "SP17", { "<u@example.net>" },
    hdrs({ { "Subject", "links" }, { "MIME-Version", "1.0" },
           { "Content-Type", "multipart/alternative; boundary=\"b1\"" } }),
    "--b1\r\nContent-Type: text/plain\r\n\r\nsee http://www.evil.example/path and HTTP://Good.Example.\r\n" ..
    "--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n" .. b64 .. "\r\n--b1--\r\n")
expect(conn, SMFIR_CONTINUE, "listed link domains: tagged, accepted")
check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag", " YES"), "listed link domains tag")
mt.disconnect(conn)

-- 18. the URI list answers with its error code: uribl_error, not a listing
conn = send("192.0.2.10", "SP18", { "<u@example.net>" }, hdrs({ { "Subject", "blocked" } }),
    "see https://blocked.example/\r\n")
expect(conn, SMFIR_CONTINUE, "URI list error: accepted")
mt.disconnect(conn)

-- 19. more distinct link domains than spam.uribl_max_domains (20)
local many = ""
for i = 1, 30 do many = many .. "http://d" .. i .. ".example/ " end
conn = send("192.0.2.10", "SP19", { "<u@example.net>" }, hdrs({ { "Subject", "many" } }), many .. "\r\n")
expect(conn, SMFIR_CONTINUE, "many links: accepted")
mt.disconnect(conn)

-- 20. HTML only, a URL shortener, and a From display name showing another
--     domain's address
conn = send("192.0.2.10", "SP20", { "<u@example.net>" },
    { { "From", "\"service@bank.example\" <a@client.example>" }, { "To", "u@example.net" },
      { "Date", NOW }, { "Message-ID", "<20@client.example>" },
      { "Subject", "your account" }, { "MIME-Version", "1.0" }, { "Content-Type", "text/html" } },
    "<p>Log in <a href=\"https://bit.ly/abc\">here</a></p>\r\n")
check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag", " YES"), "html-only phishing shape tagged")
mt.disconnect(conn)

-- 21. an image and no text
conn = send("192.0.2.10", "SP21", { "<u@example.net>" },
    hdrs({ { "Subject", "img" }, { "MIME-Version", "1.0" },
           { "Content-Type", "multipart/mixed; boundary=\"b2\"" } }),
    "--b2\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b2--\r\n")
expect(conn, SMFIR_CONTINUE, "image-only accepted")
mt.disconnect(conn)

-- 22. a subject that already carries the prefix is not prefixed twice
conn = send("192.0.2.66", "SP22", { "<u@example.net>" }, hdrs({ { "Subject", "[SPAM] again" } }))
check(mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Flag", " YES"), "tagged again")
check(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "no second prefix")
mt.disconnect(conn)

-- 23. a Date two days ahead, one ten days old, one that does not parse
for i, d in ipairs({ os.date("!%a, %d %b %Y %H:%M:%S +0000", os.time() + 2 * 86400),
                     os.date("!%d %b %Y %H:%M -0500", os.time() - 10 * 86400),
                     "yesterday, around noon" }) do
	conn = send("192.0.2.10", "SP2" .. (3 + i), { "<u@example.net>" },
	    hdrs({ { "Subject", "date " .. i }, { "Date", d } }, { Date = 1 }))
	expect(conn, SMFIR_CONTINUE, "date " .. i .. " accepted")
	mt.disconnect(conn)
end

-- 27. an HTML link that shows one domain and goes to another
conn = send("192.0.2.10", "SP27", { "<u@example.net>" },
    hdrs({ { "Subject", "mismatch" }, { "MIME-Version", "1.0" },
           { "Content-Type", "multipart/alternative; boundary=\"b3\"" } }),
    "--b3\r\nContent-Type: text/plain\r\n\r\nSee your bank.\r\n" ..
    "--b3\r\nContent-Type: text/html\r\n\r\n<a href=\"http://login.phish.example/\">https://www.bank.example/</a>\r\n--b3--\r\n")
expect(conn, SMFIR_CONTINUE, "link mismatch accepted")
mt.disconnect(conn)

-- 28. HTML that hides text
conn = send("192.0.2.10", "SP28", { "<u@example.net>" },
    hdrs({ { "Subject", "hidden" }, { "MIME-Version", "1.0" },
           { "Content-Type", "multipart/alternative; boundary=\"b4\"" } }),
    "--b4\r\nContent-Type: text/plain\r\n\r\nHello.\r\n" ..
    "--b4\r\nContent-Type: text/html\r\n\r\n<p>Hello.</p><div style=\"display: none\">cheap pills</div>\r\n--b4--\r\n")
expect(conn, SMFIR_CONTINUE, "hidden HTML text accepted")
mt.disconnect(conn)

-- 29. a unique field twice (RFC 5322 3.6) and a control byte in a field
conn = send("192.0.2.10", "SP29", { "<u@example.net>" },
    hdrs({ { "Subject", "one" }, { "Subject", "two" } }))
expect(conn, SMFIR_CONTINUE, "two Subject fields accepted (scored)")
mt.disconnect(conn)
conn = send("192.0.2.10", "SP30", { "<u@example.net>" },
    hdrs({ { "Subject", "esc\027[0m" } }))
expect(conn, SMFIR_CONTINUE, "a control byte in a field accepted (scored)")
mt.disconnect(conn)

-- 33. the content rules (spam_content.c): a Subject in capitals with
--     "!!" and a sum, undisclosed recipients, X-Priority 1, a Message-ID
--     without '@', HTML without MIME-Version, an image and little text,
--     a link to a bare IP address, three sales phrases: every one fires
conn = send("192.0.2.10", "SP33", { "<u@example.net>" },
    hdrs({ { "Subject", "=?us-ascii?Q?FREE_MONEY_FOR_YOU_NOW!!_$500?=" }, { "To", "undisclosed-recipients:;" },
           { "X-Priority", "1 (Highest)" }, { "Message-ID", "<no-domain-here>" },
           { "Content-Type", "text/html" } }, { To = true, ["Message-ID"] = true }),
    "<img src=\"http://192.0.2.77/a.gif\"><a href=\"http://192.0.2.77/\">Act\r\n now</a>: risk free,\r\n" ..
    "<b>no</b> obligation\r\n")
expect(conn, SMFIR_REPLYCODE, "content rules: 14.0, over spam.reject (12): refused")
mt.disconnect(conn)
-- 34. base64 for plain ASCII text, two sales phrases; a base64 part with
--     8-bit text (UTF-8) beside it does not count
conn = send("192.0.2.10", "SP34", { "<u@example.net>" },
    hdrs({ { "Subject", "Meeting notes" }, { "MIME-Version", "1.0" },
           { "Content-Type", "multipart/mixed; boundary=\"b6\"" } }),
    "--b6\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" ..
    "Q2Fmw6k=\r\n" ..
    "--b6\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" ..
    -- "Order now while supplies last.\r\n"
    "T3JkZXIgbm93IHdoaWxlIHN1cHBsaWVzIGxhc3QuDQo=\r\n--b6--\r\n")
expect(conn, SMFIR_CONTINUE, "base64 text accepted")
mt.disconnect(conn)
conn = send("192.0.2.10", "SP35", { "<u@example.net>" },
    hdrs({ { "Subject", "Caf\195\169 menu" }, { "MIME-Version", "1.0" },
           { "Content-Type", "text/plain; charset=utf-8" }, { "Content-Transfer-Encoding", "base64" } }),
    "Q2Fmw6kgbWVudSBmb3IgdG9kYXku\r\n")
expect(conn, SMFIR_CONTINUE, "base64 UTF-8 text accepted")
mt.disconnect(conn)

-- 36. an Outlook Message-ID and an Outlook Express X-Mailer without the
--     X-MimeOLE field that mailer writes, a Date at +1700 (the same instant
--     as now): mua_forged 1.5 and date_zone_odd 1.0, 3.0 with auth_none: tagged
local AHEAD = os.date("!%a, %d %b %Y %H:%M:%S", os.time() + 17 * 3600) .. " +1700"
conn = send("192.0.2.10", "SP36", { "<u@example.net>" },
    hdrs({ { "Subject", "lunch" }, { "Date", AHEAD },
           { "Message-ID", "<0a1b2c3d$4e5f6a7b$8c9d0e1f@client.example>" },
           { "X-Mailer", "Microsoft Outlook Express 6.00.2600.0000" } },
         { Date = true, ["Message-ID"] = true }))
expect(conn, SMFIR_CONTINUE, "forged mailer accepted (tagged)")
st = (mt.getheader(conn, "X-Spam-Status", 0) or ""):gsub("\n\t", "")
check(string.find(st, "date_zone_odd=1.0", 1, true), "date_zone_odd fires: " .. st)
check(string.find(st, "mua_forged=1.5", 1, true), "mua_forged fires: " .. st)
mt.disconnect(conn)
-- 37. the same mailer with its X-MimeOLE and a Date at -0930: neither rule
local BEHIND = os.date("!%a, %d %b %Y %H:%M:%S", os.time() - 9 * 3600 - 1800) .. " -0930"
conn = send("192.0.2.10", "SP37", { "<u@example.net>" },
    hdrs({ { "Subject", "lunch" }, { "Date", BEHIND },
           { "Message-ID", "<0a1b2c3d$4e5f6a7b$8c9d0e1f@client.example>" },
           { "X-Mailer", "Microsoft Outlook Express 6.00.2600.0000" },
           { "X-MimeOLE", "Produced By Microsoft MimeOLE V6.00.2600.0000" } },
         { Date = true, ["Message-ID"] = true }))
expect(conn, SMFIR_CONTINUE, "genuine Outlook Express accepted")
check(string.find(ar(conn), "x-spam=ham (score=0.5 required=3.0)", 1, true),
    "genuine Outlook Express, -0930: no rule but auth_none: " .. ar(conn))
mt.disconnect(conn)

-- 38. From a free mail service that no relay of it handled, no signature:
--     freemail_forged; 39. the same with a hop through the service: not
conn = send("192.0.2.10", "SP38", { "<u@example.net>" },
    hdrs({ { "Subject", "hi" }, { "From", "a@hotmail.com" },
           { "Received", "from pc1 (pc1.client.example [192.0.2.10]) by client.example" } },
         { From = true }), nil, "<a@hotmail.com>")
expect(conn, SMFIR_CONTINUE, "forged free mail accepted (scored)")
mt.disconnect(conn)
conn = send("192.0.2.10", "SP39", { "<u@example.net>" },
    hdrs({ { "Subject", "hi" }, { "From", "a@hotmail.com" },
           { "Received", "from [192.0.2.10] by bay4.hotmail.com with HTTP; " .. NOW } },
         { From = true }), nil, "<a@hotmail.com>")
expect(conn, SMFIR_CONTINUE, "free mail through its relay accepted")
mt.disconnect(conn)

-- 31. many distinct X-Spam-* names (40, one of them longer than 63 bytes)
--     and the sender's X-Spam-Flag last: every one removed
local xs = {}
for i = 1, 40 do table.insert(xs, { "X-Spam-N" .. i, "x" }) end
local longname = "X-Spam-" .. string.rep("L", 70)
table.insert(xs, { longname, "pre-label" })
table.insert(xs, { "X-Spam-Flag", "NO" })
conn = send("192.0.2.10", "SP31", { "<u@example.net>" }, hdrs(xs))
expect(conn, SMFIR_CONTINUE, "40 X-Spam-* names: accepted")
check(mt.eom_check(conn, MT_HDRCHANGE, "X-Spam-N40"), "the 40th name removed")
check(mt.eom_check(conn, MT_HDRCHANGE, longname), "a long X-Spam-* name removed")
check(mt.eom_check(conn, MT_HDRCHANGE, "X-Spam-Flag"), "the X-Spam-Flag after them removed")
mt.disconnect(conn)

-- 32. more distinct X-Spam-* names than can be tracked (256): refused,
--     since some would stay
xs = {}
for i = 1, 257 do table.insert(xs, { "X-Spam-M" .. i, "x" }) end
table.insert(xs, { "X-Spam-Flag", "NO" })
conn = send("192.0.2.10", "SP32", { "<u@example.net>" }, hdrs(xs))
expect(conn, SMFIR_REPLYCODE, "257 distinct X-Spam-* names: refused")
mt.disconnect(conn)
