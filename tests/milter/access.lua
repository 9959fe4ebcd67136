-- access.lua - TLS requirements and submission rules (check_access).
dofile(libdir .. "/common.lua")

local tls13 = { "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256" }

-- tls.example requires TLS: refused without, accepted with
local conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "TLS1")
rcpt(conn, "<u@tls.example>")
expect(conn, SMFIR_REPLYCODE, "no TLS: refused at RCPT")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "no TLS to a domain that does not ask")
mt.disconnect(conn)

conn = open_helo("192.0.2.10", "client.example", nil, tls13)
mail(conn, "<a@remote.example>", "TLS2")
rcpt(conn, "<u@tls.example>")
expect(conn, SMFIR_CONTINUE, "TLSv1.3: accepted")
mt.disconnect(conn)

-- minimum version, cipher bits, denied cipher
for i, m in ipairs({
    { "{tls_version}", "TLSv1", "{cipher}", "AES256-SHA", "{cipher_bits}", "256" },
    { "{tls_version}", "TLSv1.2", "{cipher}", "DES-CBC3-SHA", "{cipher_bits}", "112" },
    { "{tls_version}", "TLSv1.2", "{cipher}", "RC4-SHA", "{cipher_bits}", "128" } }) do
	conn = open_helo("192.0.2.10", "client.example", nil, m)
	mail(conn, "<a@remote.example>", "TLS3" .. i)
	rcpt(conn, "<u@tls.example>")
	expect(conn, SMFIR_REPLYCODE, "weak TLS " .. m[2] .. " " .. m[4] .. " refused")
	mt.disconnect(conn)
end

-- tempfail policy: 450 4.7.0
conn = open("192.0.2.10")
mail(conn, "<a@remote.example>", "TLS4")
rcpt(conn, "<u@tlssoft.example>")
expect(conn, SMFIR_REPLYCODE, "no TLS, tempfail policy")
mt.disconnect(conn)

-- TLS required from a partner domain only
conn = open("192.0.2.10")
mail(conn, "<a@partner.example>", "TLS5")
rcpt(conn, "<u@tlsfrom.example>")
expect(conn, SMFIR_REPLYCODE, "partner without TLS refused")
mt.abort(conn)
mail(conn, "<a@remote.example>", "TLS6")
rcpt(conn, "<u@tlsfrom.example>")
expect(conn, SMFIR_CONTINUE, "another sender without TLS")
mt.disconnect(conn)

-- a second EHLO after STARTTLS carries the TLS macros
conn = open("192.0.2.10")
mt.macro(conn, SMFIC_HELO, table.unpack(tls13))
check(mt.helo(conn, "client.example") == nil, "second EHLO")
mail(conn, "<a@remote.example>", "TLS7")
rcpt(conn, "<u@tls.example>")
expect(conn, SMFIR_CONTINUE, "TLS after STARTTLS: accepted")
mt.disconnect(conn)

-- submission daemon without AUTH: 530 at RCPT (inbound) ...
conn = open("192.0.2.10", { "{daemon_name}", "SUBMISSION" })
mail(conn, "<a@remote.example>", "SUB1")
expect(conn, SMFIR_CONTINUE, "unauthenticated submission: MAIL FROM (no policy yet)")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_REPLYCODE, "unauthenticated submission refused at RCPT")
mt.disconnect(conn)
-- ... with AUTH it is outbound and fine
conn = open("192.0.2.10", { "{daemon_name}", "SUBMISSION" })
mt.macro(conn, SMFIC_MAIL, "i", "SUB2", "{auth_authen}", "a@remote.example")
check(mt.mailfrom(conn, "<a@remote.example>") == nil, "mailfrom")
expect(conn, SMFIR_CONTINUE, "authenticated submission")
rcpt(conn, "<u@example.net>")
expect(conn, SMFIR_CONTINUE, "authenticated submission RCPT")
mt.disconnect(conn)
-- an originating daemon the sender's policy names: refused at MAIL FROM
conn = open("192.0.2.10", { "{daemon_name}", "ORIGINATING" })
mail(conn, "<a@sub.example>", "SUB3")
expect(conn, SMFIR_REPLYCODE, "unauthenticated on the sender policy's submission daemon: MAIL FROM")
mt.disconnect(conn)

-- outbound mail of tlsout.example must be handed over TLS: MAIL FROM
conn = open("10.1.2.3")
mail(conn, "<a@tlsout.example>", "TLS8")
expect(conn, SMFIR_REPLYCODE, "outbound without TLS refused at MAIL FROM")
mt.disconnect(conn)
conn = open_helo("10.1.2.3", "client.example", nil, tls13)
mail(conn, "<a@tlsout.example>", "TLS9")
expect(conn, SMFIR_CONTINUE, "outbound over TLS")
mt.disconnect(conn)
