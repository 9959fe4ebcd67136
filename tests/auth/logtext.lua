-- logtext.lua - issue 9, item 12: network text in the summary line is
-- escaped: a Content-Type value with an escape sequence and 8-bit bytes, a
-- file name with quotes, a sender with a quote (auth.sh reads the log).
dofile(libdir .. "/common.lua")

local conn = open("192.0.2.10")
mail(conn, "<x\"q@bounce.example>", "LOG1")
rcpt(conn, "<u@example.net>")
local body = "--B\r\n" ..
    "Content-Type: application/x\27[31m\195\169,evil\1\r\n" ..
    "Content-Disposition: attachment; filename=\"a\\\" verdict=accept x.txt\"\r\n\r\n" ..
    "hello\r\n--B--\r\n"
message(conn, {
	{ "From", "x@bounce.example" },
	{ "Subject", "LOG1" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "multipart/mixed; boundary=B" } }, body)
local r = mt.getreply(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_REPLYCODE, "LOG1 answered")
mt.disconnect(conn)
