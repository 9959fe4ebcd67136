/*
 * test_report_smtp.c - postern-report's DATA form (tools/report_smtp.c,
 * rep_dot_stuff): a line starting with "." gets one more, the end of data
 * cannot be faked, a last line without its end gets CRLF.  The SMTP
 * session itself is tested against a real server in tests/report/smtp.sh
 * (a report mail has no line starting with ".", so it is tested here).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dot_stuff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
