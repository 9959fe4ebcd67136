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
	/* issue 9: quoted-pairs are undone before comparing */
	{ "\"mx\\.test.example\"; spf=pass", AR_OK, "mx\\.test.example", 1 },
	{ "\"\\m\\x\\.\\t\\e\\s\\t\\.\\e\\x\\a\\m\\p\\l\\e\"; none", AR_OK, NULL, 1 },
	{ "\"MX.test.example\\\\\"; none", AR_OK, NULL, 0 },
	{ "\"mx.test.example\\\"\"; none", AR_OK, NULL, 0 },
	{ "mx\\.test.example; none", AR_OK, "mx", 0 },
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

/* Received-SPF fields that a reader could take for ours (issue 9). */
static const struct {
	const char *value;
	int claims;
} spf_rows[] = {
	{ "pass (mx.test.example: ok) client-ip=192.0.2.1; receiver=mx.test.example; identity=mailfrom", 1 },
	{ "pass receiver=MX.Test.Example", 1 },
	{ "pass receiver=\"mx\\.test.example\"; identity=helo", 1 },
	{ "pass receiver = mx.test.example;", 1 },   /* no receiver= key at all */
	{ "pass (receiver=mx.test.example) receiver=relay.example", 1 },
	{ "pass (libspf2: no receiver key) client-ip=192.0.2.1", 1 },
	{ "", 1 },
	{ "pass receiver=relay.example; identity=mailfrom", 0 },
	{ "pass receiver=mx.test.example.evil;", 0 },
	{ "pass receiver=\"mx.test.example", 1 },   /* unclosed: read to the end */
	{ "pass receiver=\"x\\", 0 },
};

static void
test_received_spf(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spf_rows) / sizeof(spf_rows[0]); i++)
		if (received_spf_claims(spf_rows[i].value, strlen(spf_rows[i].value),
		    "mx.test.example") != spf_rows[i].claims)
			fail_msg("row %zu (%s): want %d", i, spf_rows[i].value, spf_rows[i].claims);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_received_spf),
		cmocka_unit_test(test_counted_length_respected),
	};
	return cmocka_run_group_tests_name("authres", tests, NULL, NULL);
}
