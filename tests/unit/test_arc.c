/*
 * test_arc.c - the ARC engine's parsers and canonicalisation, table-driven:
 * tag lists (more malformed rows than well-formed), the AAR instance,
 * base64, and body hashes (RFC 6376 3.4.3/3.4.4) fed whole and in 1- and
 * 3-byte chunks.  Chain validation itself: tests/arc/suite.sh.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../filter/arc/arc_int.h"
#include "postern/arc.h"

static void
test_tags(void **state)
{
	static const struct { const char *in; enum arc_tag_status st; size_t n; } rows[] = {
		{ "a=rsa-sha256; b=abc", ARC_TAGS_OK, 2 },
		{ " a = x ;\r\n\tb=y;", ARC_TAGS_OK, 2 },
		{ "", ARC_TAGS_OK, 0 },
		{ "x_1=a b c", ARC_TAGS_OK, 1 },
		{ "a=", ARC_TAGS_OK, 1 },
		{ "a=1;a=2", ARC_TAGS_DUP, 0 },
		{ "a=1;;b=2", ARC_TAGS_SYNTAX, 0 },
		{ ";", ARC_TAGS_SYNTAX, 0 },
		{ "1a=x", ARC_TAGS_SYNTAX, 0 },
		{ "_a=x", ARC_TAGS_SYNTAX, 0 },
		{ "a x=1", ARC_TAGS_SYNTAX, 0 },
		{ "a", ARC_TAGS_SYNTAX, 0 },
		{ "a=\x01", ARC_TAGS_SYNTAX, 0 },
		{ "a=\xc3\xa9", ARC_TAGS_SYNTAX, 0 },
		{ "a-b=1", ARC_TAGS_SYNTAX, 0 },
	};
	struct arc_tags t;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum arc_tag_status st = arc_tags_parse(rows[i].in, strlen(rows[i].in), &t);
		assert_int_equal(st, rows[i].st);
		if (st == ARC_TAGS_OK)
			assert_int_equal(t.n, rows[i].n);
	}
	assert_int_equal(arc_tags_parse(" a = x y ;b=1", 13, &t), ARC_TAGS_OK);
	assert_int_equal(t.t[0].vlen, 3);
	assert_memory_equal(t.t[0].value, "x y", 3);
	assert_int_equal(t.t[0].raw_off, 4);   /* just after '=' */
	assert_int_equal(t.t[0].raw_end, 9);   /* the ';' */
	assert_non_null(arc_tags_get(&t, "b"));
	assert_null(arc_tags_get(&t, "B"));
	/* never past len: "a=1" of "a=1;b=2" */
	assert_int_equal(arc_tags_parse("a=1;b=2", 3, &t), ARC_TAGS_OK);
	assert_int_equal(t.n, 1);
}

static void
test_aar_instance(void **state)
{
	static const struct { const char *in; unsigned want; } rows[] = {
		{ "i=1; lists.example.org; arc=none", 1 },
		{ " i = 50 ; x", 50 },
		{ "i=51; x", 0 }, { "i=0; x", 0 }, { "i=01; x", 0 }, { "i=1 x", 0 },
		{ "i=; x", 0 }, { "x; i=1;", 0 }, { "i=1", 0 }, { "", 0 }, { "i=99999999999999;", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(arc_aar_instance(rows[i].in, strlen(rows[i].in)), rows[i].want);
}

static void
test_base64(void **state)
{
	unsigned char out[16];
	size_t n;

	(void)state;
	assert_true(arc_base64("QUJD", 4, out, sizeof(out), &n));
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ABC", 3);
	assert_true(arc_base64(" QU\r\n\tI= ", 9, out, sizeof(out), &n));
	assert_int_equal(n, 2);
	assert_false(arc_base64("QUI", 3, out, sizeof(out), &n));     /* not a multiple of 4 */
	assert_false(arc_base64("QQ=A", 4, out, sizeof(out), &n));    /* data after '=' */
	assert_false(arc_base64("Q===", 4, out, sizeof(out), &n));
	assert_false(arc_base64("QUJ!", 4, out, sizeof(out), &n));
	assert_false(arc_base64("QUJ=", 4, out, sizeof(out), &n));    /* bits left over */
	assert_false(arc_base64("", 0, out, sizeof(out), &n));
	assert_false(arc_base64("QUJDQUJDQUJDQUJDQUJDQUJD", 24, out, 4, &n)); /* overflow */
}

static void
test_header_canon(void **state)
{
	strbuf sb;

	(void)state;
	sb_init(&sb);
	arc_canon_header(&sb, "Sub ject", "  a \t b\n\tc  ", true, true);
	assert_string_equal(sb.s, "subject:a b c\r\n");
	sb_reset(&sb);
	arc_canon_header(&sb, "Subject", " a\n\tb", false, false);
	assert_string_equal(sb.s, "Subject: a\r\n\tb");
	sb_reset(&sb);
	arc_canon_header(&sb, "Subject", "a", false, false);
	assert_string_equal(sb.s, "Subject:a");     /* written without a space */
	sb_free(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_aar_instance),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_header_canon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
