/*
 * test_util.c - the strbuf contract callers rely on: s is NULL after
 * sb_init and a C string after any append, even of nothing (an empty
 * List-Id once reached strlen(NULL)); dns_txt_join's output is a string
 * for every record it accepts, including an empty one from the network.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "postern/dns.h"
#include "postern/util.h"

enum op { OP_NONE, OP_APPEND, OP_PUTS, OP_PRINTF, OP_VPRINTF_LONG, OP_ESCAPE, OP_PUTC,
	OP_RESET_AFTER };

static const struct {
	const char *name;
	enum op op;
	const char *in;
	size_t inlen;
	const char *want;         /* NULL: s stays NULL */
} rows[] = {
	{ "init only", OP_NONE, "", 0, NULL },
	{ "append nothing", OP_APPEND, "", 0, "" },
	{ "append bytes", OP_APPEND, "ab", 2, "ab" },
	{ "puts empty", OP_PUTS, "", 0, "" },
	{ "printf empty", OP_PRINTF, "", 0, "" },
	{ "printf long", OP_VPRINTF_LONG, "", 0, NULL /* checked by length below */ },
	{ "escape empty", OP_ESCAPE, "", 0, "" },
	{ "escape control", OP_ESCAPE, "a\n\"", 3, "a\\x0a\\x22" },
	{ "escape cut", OP_ESCAPE, "abcdef", 6, "abc..." },
	{ "putc", OP_PUTC, "x", 1, "x" },
	{ "reset keeps a string", OP_RESET_AFTER, "abc", 3, "" },
};

static void
do_op(strbuf *sb, enum op op, const char *in, size_t n)
{
	char big[600];

	switch (op) {
	case OP_NONE:
		break;
	case OP_APPEND:
		sb_append(sb, in, n);
		break;
	case OP_PUTS:
		sb_puts(sb, in);
		break;
	case OP_PRINTF:
		sb_printf(sb, "%s", in);
		break;
	case OP_VPRINTF_LONG:
		memset(big, 'y', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		sb_printf(sb, "%s", big);   /* past the one-pass buffer */
		break;
	case OP_ESCAPE:
		sb_escape(sb, in, n, 3);
		break;
	case OP_PUTC:
		sb_putc(sb, in[0]);
		break;
	case OP_RESET_AFTER:
		sb_append(sb, in, n);
		sb_reset(sb);
		break;
	}
}

static void
test_strbuf_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		strbuf sb;

		sb_init(&sb);
		do_op(&sb, rows[i].op, rows[i].in, rows[i].inlen);
		if (rows[i].op == OP_VPRINTF_LONG) {
			if (sb.s == NULL || sb.len != 599 || strlen(sb.s) != 599)
				fail_msg("%s: len %zu", rows[i].name, sb.len);
		} else if (rows[i].want == NULL) {
			if (sb.s != NULL || sb.len != 0)
				fail_msg("%s: s allocated before any append", rows[i].name);
		} else if (sb.s == NULL || strcmp(sb.s, rows[i].want) != 0 || sb.len != strlen(rows[i].want)) {
			fail_msg("%s: got \"%s\" (len %zu) want \"%s\"", rows[i].name,
			    sb.s != NULL ? sb.s : "(NULL)", sb.len, rows[i].want);
		}
		sb_free(&sb);
		if (sb.s != NULL || sb.len != 0 || sb.cap != 0)
			fail_msg("%s: sb_free did not reset", rows[i].name);
	}
}

/* TXT RDATA as a DNS server may send it: records a caller hands on as
 * C strings (DMARC, DKIM key, SPF, ARC parsers and libspf2). */
static const struct {
	const char *name;
	const char *rdata;
	int rdlen;
	bool ok;
	const char *want;
} txt_rows[] = {
	{ "no bytes at all", "", 0, true, "" },
	{ "one empty string", "\0", 1, true, "" },
	{ "two empty strings", "\0\0", 2, true, "" },
	{ "one string", "\3abc", 4, true, "abc" },
	{ "two strings", "\2ab\1c", 5, true, "abc" },
	{ "length past the end", "\5ab", 3, false, NULL },
};

static void
test_txt_join_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(txt_rows); i++) {
		const unsigned char *rd[1] = { (const unsigned char *)txt_rows[i].rdata };
		int rl[1] = { txt_rows[i].rdlen };
		struct dns_answer a = { .status = DNS_OK, .count = 1, .rdata = rd, .rdlen = rl };
		strbuf out;
		bool ok;

		sb_init(&out);
		ok = dns_txt_join(&a, 0, &out);
		if (ok != txt_rows[i].ok)
			fail_msg("%s: returned %d", txt_rows[i].name, ok);
		if (ok && (out.s == NULL || strcmp(out.s, txt_rows[i].want) != 0 ||
		    out.len != strlen(txt_rows[i].want)))
			fail_msg("%s: got \"%s\"", txt_rows[i].name, out.s != NULL ? out.s : "(NULL)");
		/* a second record into the same buffer replaces the first */
		if (ok && (!dns_txt_join(&a, 0, &out) || strcmp(out.s, txt_rows[i].want) != 0))
			fail_msg("%s: second join differs", txt_rows[i].name);
		if (dns_txt_join(&a, 1, &out))
			fail_msg("%s: record 1 of 1 accepted", txt_rows[i].name);
		sb_free(&out);
	}
}

/* domain_under: the suffix, or a name under it at a label boundary */
static const struct { const char *name; size_t n; const char *suffix; bool want; } under_rows[] = {
	{ "example.com", 11, "example.com", true },
	{ "mx.Example.COM", 14, "example.com", true },
	{ "a.b.example.com", 15, "example.com", true },
	{ "badexample.com", 14, "example.com", false },
	{ "example.com.evil", 16, "example.com", false },
	{ "example.com", 11, "", false },
	{ "", 0, "example.com", false },
	{ "mx.example.com.example", 14, "example.com", true },   /* n bounds the read */
	{ "xample.com", 10, "example.com", false },
};

static void
test_domain_under_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(under_rows); i++)
		if (domain_under(under_rows[i].name, under_rows[i].n, under_rows[i].suffix) != under_rows[i].want)
			fail_msg("%.*s under %s: want %d", (int)under_rows[i].n, under_rows[i].name,
			    under_rows[i].suffix, under_rows[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_table),
		cmocka_unit_test(test_txt_join_table),
		cmocka_unit_test(test_domain_under_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
