/* test_dmarc.c - DMARC record parsing, From-domain extraction,
 * organisational domains and alignment. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "postern/addr.h"
#include "postern/dmarc.h"

static const struct {
	const char *rec;
	enum dmarc_rec_status st;
	enum dmarc_policy p, sp, np;
	int adkim_s, aspf_s;
	unsigned pct;
} rec_rows[] = {
	{ "v=DMARC1; p=reject", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 100 },
	{ "v=DMARC1;p=quarantine;sp=none;pct=20;adkim=s;aspf=s", DMARC_REC_OK, DMARC_P_QUARANTINE, DMARC_P_NONE, DMARC_P_NONE, 1, 1, 20 },
	{ "v=DMARC1; p=none; np=reject; rua=mailto:d@example.com;", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_REJECT, 0, 0, 100 },
	{ "  v = DMARC1 ;  P = Reject ; ", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 100 },
	{ "v=DMARC1; sp=reject; p=none", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 100 },
	{ "v=DMARC1; p=reject; pct=0", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0 },
	{ "v=DMARC1; p=reject; x-future=1; fo=1", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 100 },
	/* bad optional values fall back to defaults */
	{ "v=DMARC1; p=reject; pct=101; adkim=x", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 100 },
	{ "v=DMARC1; p=reject; pct=-1", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 100 },
	/* bad p with rua acts as p=none */
	{ "v=DMARC1; p=bogus; rua=mailto:a@b", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 100 },
	{ "v=DMARC1; rua=mailto:a@b", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 100 },
	/* unusable */
	{ "v=DMARC1; p=bogus", DMARC_REC_BAD_VALUE, 0, 0, 0, 0, 0, 0 },
	{ "v=DMARC1; p=reject; sp=maybe", DMARC_REC_BAD_VALUE, 0, 0, 0, 0, 0, 0 },
	{ "v=DMARC1", DMARC_REC_NO_POLICY, 0, 0, 0, 0, 0, 0 },
	{ "v=DMARC1;", DMARC_REC_NO_POLICY, 0, 0, 0, 0, 0, 0 },
	{ "v=DMARC1; p", DMARC_REC_SYNTAX, 0, 0, 0, 0, 0, 0 },
	{ "p=reject; v=DMARC1", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0 },
	{ "v=DMARC2; p=reject", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0 },
	{ "v=dmarc1; p=reject", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0 },
	{ "v=spf1 -all", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0 },
	{ "", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0 },
	{ ";;;", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0 },
	{ "v=DMARC1; ; ; p=reject", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 100 },
};

static void
test_record_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rec_rows) / sizeof(rec_rows[0]); i++) {
		struct dmarc_record r;
		enum dmarc_rec_status st = dmarc_record_parse(rec_rows[i].rec, strlen(rec_rows[i].rec), &r);

		if (st != rec_rows[i].st)
			fail_msg("row %zu (%s): status %d want %d", i, rec_rows[i].rec, st, rec_rows[i].st);
		if (st != DMARC_REC_OK)
			continue;
		if (r.p != rec_rows[i].p || r.sp != rec_rows[i].sp || r.np != rec_rows[i].np ||
		    r.adkim_strict != (bool)rec_rows[i].adkim_s || r.aspf_strict != (bool)rec_rows[i].aspf_s ||
		    r.pct != rec_rows[i].pct)
			fail_msg("row %zu (%s): p=%d sp=%d np=%d adkim=%d aspf=%d pct=%u", i, rec_rows[i].rec,
			    r.p, r.sp, r.np, r.adkim_strict, r.aspf_strict, r.pct);
	}
}

static const struct {
	const char *from;
	enum from_status st;
	const char *domain;
} from_rows[] = {
	{ "user@Example.COM", FROM_OK, "example.com" },
	{ "John Doe <john@mail.example.org>", FROM_OK, "mail.example.org" },
	{ " \"Doe, John\" <j@x.example> ", FROM_OK, "x.example" },
	{ "\"a@evil.example\" <b@good.example>", FROM_OK, "good.example" },
	{ "\"weird@local\"@real.example", FROM_OK, "real.example" },
	{ "(comment@evil.example) user@good.example (trailing)", FROM_OK, "good.example" },
	{ "user@(c)good.example", FROM_OK, "good.example" },
	{ "Name (nested (comment)) <u@n.example>", FROM_OK, "n.example" },
	{ "\r\n\tFolded Name\r\n <u@f.example>", FROM_OK, "f.example" },
	{ "u@trailing.dot.example.", FROM_OK, "trailing.dot.example" },
	{ "\"quoted \\\" escape\" <u@q.example>", FROM_OK, "q.example" },
	{ "", FROM_EMPTY, NULL },
	{ "   ", FROM_EMPTY, NULL },
	{ "(only a comment)", FROM_EMPTY, NULL },
	{ "a@one.example, b@two.example", FROM_MULTIPLE, NULL },
	{ "Undisclosed:;", FROM_MULTIPLE, NULL },
	{ "team: a@x.example, b@y.example;", FROM_MULTIPLE, NULL },
	{ "Doe, John <j@x.example>", FROM_MULTIPLE, NULL },
	{ ", a@b.example", FROM_BAD, NULL },
	{ "no at sign", FROM_BAD, NULL },
	{ "@nolocal.example", FROM_BAD, NULL },
	{ "user@", FROM_BAD, NULL },
	{ "user@[192.0.2.1]", FROM_BAD, NULL },
	{ "user@bad..example", FROM_BAD, NULL },
	{ "user@-bad.example", FROM_BAD, NULL },
	{ "user@bad example", FROM_BAD, NULL },
	{ "<a@b.example", FROM_BAD, NULL },
	{ "a@b.example>", FROM_BAD, NULL },
	{ "<a@b.example> <c@d.example>", FROM_BAD, NULL },
	{ "\"unterminated <a@b.example>", FROM_BAD, NULL },
	{ "(unterminated a@b.example", FROM_BAD, NULL },
	{ "\"x\\", FROM_BAD, NULL },
	{ "a@b.example\x01", FROM_BAD, NULL },
};

static void
test_from_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(from_rows) / sizeof(from_rows[0]); i++) {
		char d[256] = "";
		enum from_status st = from_header_domain(from_rows[i].from, strlen(from_rows[i].from), d, sizeof(d));

		if (st != from_rows[i].st)
			fail_msg("row %zu (%s): %s want %s", i, from_rows[i].from, from_status_name(st),
			    from_status_name(from_rows[i].st));
		if (st == FROM_OK && strcmp(d, from_rows[i].domain) != 0)
			fail_msg("row %zu: domain %s want %s", i, d, from_rows[i].domain);
	}
}

static void
test_from_long_input(void **state)
{
	char buf[3000], d[256];

	(void)state;
	memset(buf, 'a', sizeof(buf));
	memcpy(buf + sizeof(buf) - 10, "@x.example", 10);
	assert_int_equal(from_header_domain(buf, sizeof(buf), d, sizeof(d)), FROM_BAD);
	assert_int_equal(from_header_domain("u@abc.example", 13, d, 5), FROM_BAD); /* no room */
}

static const struct {
	const char *domain, *org;
} org_rows[] = {
	{ "example.com", "example.com" },
	{ "mail.example.com", "example.com" },
	{ "a.b.c.example.co.uk", "example.co.uk" },
	{ "Example.CO.UK.", "example.co.uk" },
	{ "co.uk", "co.uk" },
	{ "com", "com" },
	{ "x.github.io", "x.github.io" },
	{ "sub.x.github.io", "x.github.io" },
};

/* from_header_author: the addr-spec beside the domain (deny lists). */
static void
test_from_author(void **state)
{
	static const struct {
		const char *from;
		enum from_status st;
		const char *addr;
	} rows[] = {
		{ "a@b.example", FROM_OK, "a@b.example" },
		{ "Name <A.B@Sub.B.Example>", FROM_OK, "a.b@sub.b.example" },
		{ "\"x, y\" <u+t@d.example> (comment)", FROM_OK, "u+t@d.example" },
		{ "u@d.example.", FROM_OK, "u@d.example" },
		{ "John a@b.example", FROM_OK, "" },   /* no angle: not one token */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.example", FROM_OK, "" },
		{ "<@b.example>", FROM_BAD, "" },
		{ "a@b.example, c@d.example", FROM_MULTIPLE, "" },
		{ "group: a@b.example;", FROM_MULTIPLE, "" },
		{ "", FROM_EMPTY, "" },
		{ "a@", FROM_BAD, "" },
		{ "<a@b.example", FROM_BAD, "" },
	};
	char d[256], a[322];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum from_status st;

		a[0] = '\0';
		st = from_header_author(rows[i].from, strlen(rows[i].from), d, sizeof(d), a, sizeof(a));
		if (st != rows[i].st || (st == FROM_OK && strcmp(a, rows[i].addr) != 0))
			fail_msg("%s: got %s \"%s\"", rows[i].from, from_status_name(st), a);
	}
	/* no room for the address: the domain still comes back */
	assert_int_equal(from_header_author("u@d.example", 11, d, sizeof(d), a, 8), FROM_OK);
	assert_string_equal(a, "");
	assert_string_equal(d, "d.example");
}

static void
test_org_domain(void **state)
{
	char err[128], out[256];

	(void)state;
	assert_true(dmarc_psl_init(err, sizeof(err)));
	for (size_t i = 0; i < sizeof(org_rows) / sizeof(org_rows[0]); i++) {
		assert_true(dmarc_org_domain(org_rows[i].domain, out, sizeof(out)));
		if (strcmp(out, org_rows[i].org) != 0)
			fail_msg("%s: org %s want %s", org_rows[i].domain, out, org_rows[i].org);
	}
	assert_false(dmarc_org_domain("", out, sizeof(out)));
	assert_false(dmarc_org_domain(".", out, sizeof(out)));
	dmarc_psl_free();
}

static void
test_alignment(void **state)
{
	char err[128];

	(void)state;
	assert_true(dmarc_psl_init(err, sizeof(err)));
	assert_true(dmarc_aligned("mail.example.com", "example.com", false));
	assert_false(dmarc_aligned("mail.example.com", "example.com", true));
	assert_true(dmarc_aligned("EXAMPLE.com", "example.com.", true));
	assert_false(dmarc_aligned("example.co.uk", "other.co.uk", false));
	assert_false(dmarc_aligned("a.github.io", "b.github.io", false));
	assert_false(dmarc_aligned("evil-example.com", "example.com", false));
	assert_false(dmarc_aligned(NULL, "example.com", false));
	assert_false(dmarc_aligned("", "example.com", false));
	dmarc_psl_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_table),
		cmocka_unit_test(test_from_table),
		cmocka_unit_test(test_from_long_input),
		cmocka_unit_test(test_from_author),
		cmocka_unit_test(test_org_domain),
		cmocka_unit_test(test_alignment),
	};
	return cmocka_run_group_tests_name("dmarc", tests, NULL, NULL);
}
