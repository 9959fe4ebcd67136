/*
 * test_report_smtp.c - postern-report's DATA form (tools/report_smtp.c,
 * rep_dot_stuff): a line starting with "." gets one more, the end of data
 * cannot be faked, a last line without its end gets CRLF.  And the reply
 * codes a session takes as success (rep_smtp_over over a socket pair, the
 * server's replies written in advance): RFC 5321's for each step, so a
 * server that answers DATA with 250 gets no message.  The SMTP session
 * itself is tested against a real server in tests/report/smtp.sh (a report
 * mail has no line starting with ".", so it is tested here).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/report.h"

static void
check(const char *in, const char *want)
{
	strbuf out;

	sb_init(&out);
	rep_dot_stuff(in, strlen(in), &out);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.s != NULL ? out.s : "", want, out.len);
	sb_free(&out);
}

static void
test_dot_stuff(void **state)
{
	(void)state;
	check("", "");
	check("a\r\nb\r\n", "a\r\nb\r\n");
	check(".x\r\n", "..x\r\n");
	check("a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n");          /* not the end of data */
	check("a\r\n..\r\n", "a\r\n...\r\n");
	check("a.b\r\n x.\r\n", "a.b\r\n x.\r\n");           /* only at a line start */
	check("a\r\n.", "a\r\n..\r\n");                        /* the end added */
	check("a\n.b\n", "a\n..b\n");
}

/* One session against the replies in script; true if it succeeded; what
 * the client wrote in sent, the error in err. */
static bool
session(const char *script, char *sent, size_t sentlen, char *err, size_t errlen)
{
	struct rep_opts o;
	strbuf msg;
	int sv[2];
	bool ok;
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], script, strlen(script)), (ssize_t)strlen(script));
	shutdown(sv[1], SHUT_WR);
	memset(&o, 0, sizeof(o));
	o.email = "dmarc@r.example";
	o.submitter = "r.example";
	o.smtp_timeout = 2;
	o.smtp_tls = REP_TLS_NONE;
	sb_init(&msg);
	sb_puts(&msg, "From: dmarc@r.example\r\n\r\nreport\r\n");
	err[0] = '\0';
	ok = rep_smtp_over(sv[0], &o, "a@p.example", &msg, err, errlen);
	sb_free(&msg);
	close(sv[0]);
	n = read(sv[1], sent, sentlen - 1);
	sent[n > 0 ? n : 0] = '\0';
	close(sv[1]);
	return ok;
}

static void
test_reply_codes(void **state)
{
	char sent[4096], err[512];

	(void)state;
	/* the RFC 5321 replies: delivered, RCPT's 251 too */
	assert_true(session("220 hi\r\n250 ok\r\n250 ok\r\n251 will forward\r\n354 go\r\n250 taken\r\n221 bye\r\n",
	    sent, sizeof(sent), err, sizeof(err)));
	assert_non_null(strstr(sent, "From: dmarc@r.example"));
	/* 250 to DATA: the server is not reading a message; none is sent */
	assert_false(session("220 hi\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n",
	    sent, sizeof(sent), err, sizeof(err)));
	assert_non_null(strstr(err, "DATA: 250"));
	assert_null(strstr(sent, "From: dmarc@r.example"));
	/* other 2xx where 250 or 220 is due (the fuzz finding: 251 as a
	 * greeting, 225 to the end of data) */
	assert_false(session("251 hi\r\n", sent, sizeof(sent), err, sizeof(err)));
	assert_non_null(strstr(err, "greeting: 251"));
	assert_false(session("220 hi\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n225 odd\r\n",
	    sent, sizeof(sent), err, sizeof(err)));
	assert_non_null(strstr(err, "end of DATA: 225"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dot_stuff),
		cmocka_unit_test(test_reply_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
