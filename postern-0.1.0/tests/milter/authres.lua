-- authres.lua - our A-R is added; incoming A-R that claim our authserv-id
-- are removed, others are kept.
dofile(libdir .. "/common.lua")

local conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "AR1")
rcpt(conn, "<u@example.net>")
message(conn, {
	{ "Authentication-Results", "other.example; spf=pass smtp.mailfrom=remote.example" },
	{ "Subject", "clean" } }, "hello\r\n")
check(ours(conn),
    "A-R inserted")
check(not mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results"),
    "foreign A-R kept")
check(ours(conn),
    "A-R value")

mail(conn, "<a@remote.example>", "AR2")
rcpt(conn, "<u@example.net>")
message(conn, {
	{ "Authentication-Results", "MX.TEST.EXAMPLE; dkim=pass header.d=bank.example" },
	{ "Subject", "forged" } }, "hello\r\n")
check(mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results"),
    "forged A-R removed")
check(ours(conn),
    "our A-R still inserted")
mt.disconnect(conn)
