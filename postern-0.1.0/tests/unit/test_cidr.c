/* test_cidr.c - CIDR parsing and matching, IPv4, IPv6, mapped, malformed. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "postern/cidr.h"

static const struct {
	const char *text;
	enum cidr_status want;
} parse_rows[] = {
	{ "192.0.2.0/24", CIDR_OK },
	{ "192.0.2.1", CIDR_OK },
	{ "0.0.0.0/0", CIDR_OK },
	{ "2001:db8::/32", CIDR_OK },
	{ "::1/128", CIDR_OK },
	{ "::/0", CIDR_OK },
	{ "192.0.2.1/24", CIDR_HOST_BITS },
	{ "2001:db8::1/32", CIDR_HOST_BITS },
	{ "192.0.2.0/33", CIDR_BAD_PREFIX },
	{ "2001:db8::/129", CIDR_BAD_PREFIX },
	{ "192.0.2.0/", CIDR_BAD_PREFIX },
	{ "192.0.2.0/2x", CIDR_BAD_PREFIX },
	{ "192.0.2.0/-1", CIDR_BAD_PREFIX },
	{ "192.0.2.0/0024", CIDR_BAD_PREFIX },
	{ "", CIDR_BAD_ADDR },
	{ "/24", CIDR_BAD_ADDR },
	{ "192.0.2", CIDR_BAD_ADDR },
	{ "256.0.0.1", CIDR_BAD_ADDR },
	{ "example.com", CIDR_BAD_ADDR },
	{ "2001:db8:::1", CIDR_BAD_ADDR },
	{ "192.0.2.0 /24", CIDR_BAD_ADDR },
	{ "1111111111111111111111111111111111111111111111111/8", CIDR_BAD_ADDR },
};

static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		struct cidr c;
		enum cidr_status st = cidr_parse(parse_rows[i].text, strlen(parse_rows[i].text), &c);
		if (st != parse_rows[i].want)
			fail_msg("%s: got %d want %d", parse_rows[i].text, st, parse_rows[i].want);
	}
}

static void
test_counted_buffer_not_nul_terminated(void **state)
{
	char buf[] = { '1', '0', '.', '0', '.', '0', '.', '0', '/', '8', 'X', 'Y' };
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse(buf, 10, &c), CIDR_OK);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(cidr_parse(buf, 12, &c), CIDR_BAD_PREFIX);
}

static const struct {
	const char *addr;
	int want;
} match_rows[] = {
	{ "10.1.2.3", 1 }, { "10.255.255.255", 1 }, { "11.0.0.0", 0 },
	{ "192.0.2.77", 1 }, { "192.0.3.1", 0 }, { "2001:db8::5", 1 },
	{ "2001:db9::5", 0 }, { "::ffff:10.0.0.1", 1 }, { "::ffff:11.0.0.1", 0 },
	{ "fe80::1", 0 }, { "garbage", 0 }, { "", 0 }, { "10.0.0.1/8", 0 },
};

static void
test_match_table(void **state)
{
	struct cidr_list l = { 0 };
	const char *nets[] = { "10.0.0.0/8", "192.0.2.64/26", "2001:db8::/32" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct cidr c;
		assert_int_equal(cidr_parse(nets[i], strlen(nets[i]), &c), CIDR_OK);
		cidr_list_add(&l, &c);
	}
	for (size_t i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++) {
		if ((int)cidr_list_match_str(&l, match_rows[i].addr) != match_rows[i].want)
			fail_msg("%s: want %d", match_rows[i].addr, match_rows[i].want);
	}
	cidr_list_free(&l);
}

static void
test_zero_prefix_matches_all_of_family(void **state)
{
	struct cidr_list l = { 0 };
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("0.0.0.0/0", 9, &c), CIDR_OK);
	cidr_list_add(&l, &c);
	assert_true(cidr_list_match_str(&l, "203.0.113.9"));
	assert_false(cidr_list_match_str(&l, "2001:db8::1"));
	cidr_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_counted_buffer_not_nul_terminated),
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_zero_prefix_matches_all_of_family),
	};
	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
