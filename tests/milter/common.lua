-- common.lua - helpers for postern's miltertest scripts.
-- Globals from miltertest -D: sock (inet:PORT@127.0.0.1).

function check(cond, what)
	if not cond then error("FAILED: " .. what, 2) end
end

local names = {}
names[SMFIR_CONTINUE] = "continue"
names[SMFIR_ACCEPT] = "accept"
names[SMFIR_REJECT] = "reject"
names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_REPLYCODE] = "replycode"
names[SMFIR_DISCARD] = "discard"

function expect(conn, want, what)
	local r = mt.getreply(conn)
	check(r == want, what .. ": got " .. tostring(names[r] or r) ..
	    ", want " .. tostring(names[want] or want))
end

-- Open a connection as client ip; macros is an optional table of
-- connect-stage macros (name, value, name, value ...).
function open(ip, macros)
	local conn = mt.connect(sock, 40, 0.25)
	check(conn ~= nil, "connect to " .. sock)
	if macros ~= nil then
		mt.macro(conn, SMFIC_CONNECT, table.unpack(macros))
	end
	check(mt.conninfo(conn, "client.example", ip) == nil, "conninfo")
	check(mt.helo(conn, "client.example") == nil, "helo")
	return conn
end

-- MAIL FROM with optional ESMTP args; qid sent as the "i" macro.
function mail(conn, from, qid, ...)
	mt.macro(conn, SMFIC_MAIL, "i", qid or "TESTQID")
	check(mt.mailfrom(conn, from, ...) == nil, "mailfrom " .. from)
end

function rcpt(conn, to)
	check(mt.rcptto(conn, to) == nil, "rcptto " .. to)
end

-- A small message: headers (list of {name, value}) and a body string.
function message(conn, headers, body)
	for _, h in ipairs(headers) do
		check(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1])
	end
	check(mt.eoh(conn) == nil, "eoh")
	if body ~= nil then
		check(mt.bodystring(conn, body) == nil, "body")
	end
	check(mt.eom(conn) == nil, "eom")
end

-- Our Authentication-Results was inserted (first added instance): it names
-- our authserv-id and, with the foundation zone (no records), SPF none.
function ours(conn)
	if not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results") then return false end
	local v = mt.getheader(conn, "Authentication-Results", 0) or ""
	return string.find(v, "^ mx%.test%.example;") ~= nil and
	    (string.find(v, "spf=none", 1, true) ~= nil or string.find(v, "; none$") ~= nil)
end

-- Open a connection with a given HELO name; conn_macros / helo_macros are
-- optional tables (name, value, ...) sent before connect / HELO.
function open_helo(ip, helo, conn_macros, helo_macros)
	local conn = mt.connect(sock, 40, 0.25)
	check(conn ~= nil, "connect to " .. sock)
	if conn_macros ~= nil then
		mt.macro(conn, SMFIC_CONNECT, table.unpack(conn_macros))
	end
	check(mt.conninfo(conn, "client.example", ip) == nil, "conninfo")
	if helo_macros ~= nil then
		mt.macro(conn, SMFIC_HELO, table.unpack(helo_macros))
	end
	check(mt.helo(conn, helo) == nil, "helo " .. helo)
	return conn
end

-- Headers, eoh and one body chunk; returns the reply to the body chunk
-- (where a header-phase verdict is given).
function headers_body(conn, headers, body)
	for _, h in ipairs(headers) do
		check(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1])
	end
	check(mt.eoh(conn) == nil, "eoh")
	check(mt.bodystring(conn, body) == nil, "body")
	return mt.getreply(conn)
end
