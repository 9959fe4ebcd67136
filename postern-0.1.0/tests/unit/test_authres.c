/* test_authres.c - reading the authserv-id of Authentication-Results. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "postern/authres.h"

static const struct {
	const char *value;
	enum ar_status st;
	const char *id;
	int claims_ours; /* ours = "mx.test.example" */
} rows[] = {
	{ "mx.test.example; spf=pass", AR_OK, "mx.test.example", 1 },
	{ "MX.Test.Example; none", AR_OK, "MX.Test.Example", 1 },
	{ "  mx.test.example 1; dkim=pass", AR_OK, "mx.test.example", 1 },
	{ "(comment) mx.test.example;", AR_OK, "mx.test.example", 1 },
	{ "(nested (comment)) mx.test.example;", AR_OK, "mx.test.example", 1 },
	{ "\r\n\tmx.test.example;", AR_OK, "mx.test.example", 1 },
	{ "\"mx.test.example\"; none", AR_OK, "mx.test.example", 1 },
	{ "mx.test.example.evil; none", AR_OK, "mx.test.example.evil", 0 },
	{ "other.example; spf=pass", AR_OK, "other.example", 0 },
	{ "mx.test.exampl; spf=pass", AR_OK, "mx.test.exampl", 0 },
	{ "mx.test.example(c); none", AR_OK, "mx.test.example", 1 },
	{ "", AR_EMPTY, NULL, 0 },
	{ "   ", AR_EMPTY, NULL, 0 },
	{ "(only a comment)", AR_EMPTY, NULL, 0 },
	{ "(unclosed comment mx.test.example;", AR_BAD_COMMENT, NULL, 0 },
	{ "\"unclosed mx.test.example;", AR_BAD_QUOTE, NULL, 0 },
	{ "\"\"; none", AR_EMPTY, NULL, 0 },
	{ "; spf=pass", AR_BAD_CHAR, NULL, 0 },
	{ "\x01mx.test.example;", AR_BAD_CHAR, NULL, 0 },
	{ "(\\) mx.test.example;", AR_BAD_COMMENT, NULL, 0 },
};

static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *id = NULL;
		size_t idlen = 0;
		enum ar_status st = authres_parse_id(rows[i].value, strlen(rows[i].value), &id, &idlen);

		if (st != rows[i].st)
			fail_msg("row %zu (%s): status %d want %d", i, rows[i].value, st, rows[i].st);
		if (rows[i].id != NULL &&
		    (idlen != strlen(rows[i].id) || memcmp(id, rows[i].id, idlen) != 0))
			fail_msg("row %zu: id %.*s want %s", i, (int)idlen, id, rows[i].id);
		if (authres_claims(rows[i].value, strlen(rows[i].value), "mx.test.example") != rows[i].claims_ours)
			fail_msg("row %zu: claims mismatch", i);
	}
}

static void
test_counted_length_respected(void **state)
{
	const char buf[] = "mx.test.example.evil";
	const char *id;
	size_t idlen;

	(void)state;
	/* only the first 15 bytes belong to the field */
	assert_int_equal(authres_parse_id(buf, 15, &id, &idlen), AR_OK);
	assert_int_equal(idlen, 15);
	assert_true(authres_claims(buf, 15, "mx.test.example"));
	assert_int_equal(authres_parse_id("(abc", 4, &id, &idlen), AR_BAD_COMMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_counted_length_respected),
	};
	return cmocka_run_group_tests_name("authres", tests, NULL, NULL);
}
