-- direction.lua - inbound mail gets our Authentication-Results; outbound
-- (internal client, SMTP AUTH, originating daemon) does not.
dofile(libdir .. "/common.lua")

local hdrs = { { "From", "a@remote.example" }, { "Subject", "direction" } }

-- external client: inbound
local conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "DIR1")
rcpt(conn, "<u@example.net>")
message(conn, hdrs, "hello\r\n")
check(ours(conn),
    "external client: A-R inserted")
mt.disconnect(conn)

-- internal client (10.0.0.0/8): outbound
conn = open("10.1.2.3")
mail(conn, "<a@internal.example>", "DIR2")
rcpt(conn, "<u@remote.example>")
message(conn, hdrs, "hello\r\n")
check(not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"),
    "internal client: no A-R")
mt.disconnect(conn)

-- IPv6 documentation address: inbound
conn = open("2001:db8::25")
mail(conn, "<a@remote.example>", "DIR3")
rcpt(conn, "<u@example.net>")
message(conn, hdrs, "hello\r\n")
check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"), "IPv6 external: A-R")
mt.disconnect(conn)

-- SMTP AUTH: outbound
conn = open("192.0.2.11")
mt.macro(conn, SMFIC_MAIL, "i", "DIR4", "{auth_authen}", "alice@example.net")
check(mt.mailfrom(conn, "<alice@example.net>") == nil, "mailfrom")
rcpt(conn, "<u@remote.example>")
-- the login's own domain (sender_login.map "*@domain", check_login)
message(conn, { { "From", "alice@example.net" }, { "Subject", "direction" } }, "hello\r\n")
check(not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"), "authenticated: no A-R")
mt.disconnect(conn)

-- originating daemon name: outbound
conn = open("192.0.2.12", { "{daemon_name}", "ORIGINATING" })
mail(conn, "<b@example.net>", "DIR5")
rcpt(conn, "<u@remote.example>")
message(conn, hdrs, "hello\r\n")
check(not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"), "originating daemon: no A-R")
mt.disconnect(conn)
