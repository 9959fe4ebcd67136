/* test_reply.c - reply text sanitising, code validation, verdict order. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "postern/reply.h"
#include "postern/verdict.h"

static const struct {
	const char *in;
	size_t inlen;
	const char *want;
} rows[] = {
	{ "plain text", 10, "plain text" },
	{ "line\r\n250 injected", 18, "line??250 injected" },
	{ "nul\0byte", 8, "nul?byte" },
	{ "100% sure", 9, "100%% sure" },
	{ "tab\there", 8, "tab?here" },
	{ "\x1b[31mred", 8, "?[31mred" },
	{ "caf\xc3\xa9", 5, "caf??" },
	{ "\x7f", 1, "?" },
	{ "", 0, "" },
};

static void
test_sanitise_table(void **state)
{
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		reply_sanitise(out, sizeof(out), rows[i].in, rows[i].inlen);
		if (strcmp(out, rows[i].want) != 0)
			fail_msg("row %zu: got \"%s\" want \"%s\"", i, out, rows[i].want);
	}
}

static void
test_sanitise_bounds(void **state)
{
	char big[1000], out[32];
	size_t n;

	(void)state;
	memset(big, 'A', sizeof(big));
	n = reply_sanitise(out, sizeof(out), big, sizeof(big));
	assert_true(n < sizeof(out));
	assert_int_equal(strlen(out), n);
	assert_string_equal(out + n - 3, "...");
	/* percent signs near the end never split into a lone '%' */
	memset(big, '%', sizeof(big));
	n = reply_sanitise(out, sizeof(out), big, sizeof(big));
	assert_int_equal((n - 3) % 2, 0);
}

static void
test_code_validation(void **state)
{
	(void)state;
	assert_true(reply_code_valid(552, "5.3.4"));
	assert_true(reply_code_valid(451, "4.7.24"));
	assert_true(reply_code_valid(550, "5.7.1"));
	assert_false(reply_code_valid(552, "4.3.4"));
	assert_false(reply_code_valid(250, "2.0.0"));
	assert_false(reply_code_valid(552, "5.3"));
	assert_false(reply_code_valid(552, "5.3.4.1"));
	assert_false(reply_code_valid(552, "5..4"));
	assert_false(reply_code_valid(552, "5.3.4x"));
	assert_false(reply_code_valid(552, "5.1234.4"));
	assert_false(reply_code_valid(552, NULL));
}

static void
test_merge_keeps_strictest(void **state)
{
	struct verdict acc, v;

	(void)state;
	verdict_clear(&acc);
	verdict_set(&v, "a", ACT_TAG, 0, NULL, "tagged");
	verdict_merge(&acc, &v);
	assert_int_equal(acc.action, ACT_TAG);
	verdict_set(&v, "b", ACT_REJECT, 550, "5.7.1", "no");
	verdict_merge(&acc, &v);
	verdict_set(&v, "c", ACT_TEMPFAIL, 451, "4.3.0", "later");
	verdict_merge(&acc, &v);
	assert_int_equal(acc.action, ACT_REJECT);
	assert_string_equal(acc.check, "b");
	verdict_set(&v, "d", ACT_REJECT, 552, "5.3.4", "big");
	verdict_merge(&acc, &v);
	assert_string_equal(acc.check, "b"); /* ties keep the first */
	/* discard never beats a refusal */
	verdict_set(&v, "e", ACT_DISCARD, 0, NULL, "drop");
	verdict_merge(&acc, &v);
	assert_int_equal(acc.action, ACT_REJECT);
}

static void
test_observe_downgrades(void **state)
{
	struct verdict v;

	(void)state;
	verdict_set(&v, "size", ACT_REJECT, 552, "5.3.4", "big");
	verdict_observe(&v);
	assert_int_equal(v.action, ACT_ACCEPT);
	assert_true(v.observed);
	assert_int_equal(v.would, ACT_REJECT);
	verdict_set(&v, "x", ACT_TAG, 0, NULL, "t");
	verdict_observe(&v);
	assert_int_equal(v.action, ACT_TAG);
	assert_false(v.observed);
}

static void
test_action_names(void **state)
{
	enum action a;

	(void)state;
	assert_true(action_parse("REJECT", &a));
	assert_int_equal(a, ACT_REJECT);
	assert_true(action_parse("quarantine", &a));
	assert_false(action_parse("bounce", &a));
	assert_false(action_parse("", &a));
	assert_string_equal(action_name(ACT_TEMPFAIL), "tempfail");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitise_table),
		cmocka_unit_test(test_sanitise_bounds),
		cmocka_unit_test(test_code_validation),
		cmocka_unit_test(test_merge_keeps_strictest),
		cmocka_unit_test(test_observe_downgrades),
		cmocka_unit_test(test_action_names),
	};
	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
