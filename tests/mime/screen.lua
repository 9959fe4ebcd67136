-- screen.lua - sends one stored message (-D file=PATH -D qid=QID) through
-- the running daemon as Postfix would: header fields one by one (folded
-- lines joined with LF, the space after the colon dropped), body with
-- CRLF line ends in 64 KB chunks.  Prints the reply that ended it
-- ("accept" if the message got through); tests/mime/screen.sh compares the
-- daemon's summary line with the message's X-Expect field.
dofile(libdir .. "/common.lua")

local f = assert(io.open(file, "rb"))
local raw = f:read("a")
f:close()
raw = raw:gsub("\r?\n", "\n")
local head, body = raw:match("^(.-)\n\n(.*)$")
if head == nil then head, body = raw, "" end
body = body:gsub("\n", "\r\n")

local conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", qid)
expect(conn, SMFIR_CONTINUE, "mail")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "rcpt")

local fields = {}
for line in (head .. "\n"):gmatch("(.-)\n") do
	if line:match("^[ \t]") and #fields > 0 then
		fields[#fields][2] = fields[#fields][2] .. "\n" .. line
	else
		local n, v = line:match("^([^:]+):[ ]?(.*)$")
		if n ~= nil then fields[#fields + 1] = { n, v } end
	end
end
local r
for _, h in ipairs(fields) do
	check(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1])
	r = mt.getreply(conn)
	if r ~= SMFIR_CONTINUE then print("refused at header") mt.disconnect(conn) return end
end
check(mt.eoh(conn) == nil, "eoh")
r = mt.getreply(conn)
if r ~= SMFIR_CONTINUE then print("refused at eoh") mt.disconnect(conn) return end
local i = 1
while i <= #body do
	check(mt.bodystring(conn, body:sub(i, i + 65535 - 1)) == nil, "body")
	i = i + 65535
	r = mt.getreply(conn)
	if r ~= SMFIR_CONTINUE then print("refused in the body") mt.disconnect(conn) return end
end
check(mt.eom(conn) == nil, "eom")
r = mt.getreply(conn)
print(r == SMFIR_CONTINUE and "accept" or r == SMFIR_ACCEPT and "accept" or "refused at eom")
mt.disconnect(conn)
