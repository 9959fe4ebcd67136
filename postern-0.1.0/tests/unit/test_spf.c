/* test_spf.c - SPF record check and rewrite, result mapping, Received-SPF
 * quoting (hostile HELO, 8-bit, very long values). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <spf2/spf.h>

#include "postern/spf.h"

static const struct {
	const char *rec;
	enum spf_rec_status st;
} rows[] = {
	/* well-formed */
	{ "v=spf1", SPF_REC_OK },
	{ "v=spf1 -all", SPF_REC_OK },
	{ "V=SPF1 +ALL", SPF_REC_OK },
	{ "v=spf1 a  -all", SPF_REC_OK },
	{ "v=spf1 a -all ", SPF_REC_OK },
	{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all", SPF_REC_OK },
	{ "v=spf1 ip4:1.2.3.4/0 ip6:::/0", SPF_REC_OK },
	{ "v=spf1 a/0 mx//0 a:example.com/24//64", SPF_REC_OK },
	{ "v=spf1 a:foo:bar/baz.example.com", SPF_REC_OK },
	{ "v=spf1 a:example.com. -all", SPF_REC_OK },
	{ "v=spf1 a:foo-bar.com-bar", SPF_REC_OK },
	{ "v=spf1 include:_spf.example.com ?all", SPF_REC_OK },
	{ "v=spf1 exists:%{i}.%{l1r-}.%{d2}.example.com", SPF_REC_OK },
	{ "v=spf1 exists:%{ir}.%{v}._spf.%{d}", SPF_REC_OK },
	{ "v=spf1 ptr ptr:example.com", SPF_REC_OK },
	{ "v=spf1 redirect=_spf.example.com", SPF_REC_OK },
	{ "v=spf1 -all exp=explain._spf.%{d}", SPF_REC_OK },
	{ "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", SPF_REC_OK },
	{ "v=spf1 default=+", SPF_REC_OK },
	{ "v=spf1 a:macro%%percent%_%_space%-url-space.example.com", SPF_REC_OK },
	{ "v=spf1 mx:%{d}", SPF_REC_OK },
	{ "v=spf1 a:1-2.example.123-4", SPF_REC_OK },
	{ "v=spf1 exists:%{p}.should.example.com", SPF_REC_OK },
	{ "v=spf1 unknown=", SPF_REC_OK },
	{ "v=spf1 ip4:0.0.0.0/32", SPF_REC_OK },
	{ "v=spf1 a:%{l..}.example.com", SPF_REC_OK },
	/* not SPF */
	{ "v=spf10", SPF_REC_NOT_SPF },
	{ "spf1 -all", SPF_REC_NOT_SPF },
	{ "", SPF_REC_NOT_SPF },
	/* malformed: permerror */
	{ "v=spf1 ip4:192.0.2.5\n include:x.example.com", SPF_REC_SYNTAX },
	{ "v=spf1 a:ctrl.example.com\rptr -all", SPF_REC_SYNTAX },
	{ "v=spf1 \x80" "a:example.net -all", SPF_REC_SYNTAX },
	{ "v=spf1 a:\xef\xbb\xbfgarbage.example.net -all", SPF_REC_SYNTAX },
	{ "v=spf1\t-all", SPF_REC_NOT_SPF },
	{ "v=spf1 -all\t", SPF_REC_SYNTAX },
	{ "v=spf1 -all.", SPF_REC_SYNTAX },
	{ "v=spf1 -all:foobar", SPF_REC_SYNTAX },
	{ "v=spf1 -all/8", SPF_REC_SYNTAX },
	{ "v=spf1 ptr/0 -all", SPF_REC_SYNTAX },
	{ "v=spf1 ptr: -all", SPF_REC_SYNTAX },
	{ "v=spf1 a/33", SPF_REC_SYNTAX },
	{ "v=spf1 a//129", SPF_REC_SYNTAX },
	{ "v=spf1 a/024", SPF_REC_SYNTAX },
	{ "v=spf1 a: -all", SPF_REC_SYNTAX },
	{ "v=spf1 a:museum", SPF_REC_SYNTAX },
	{ "v=spf1 a:museum.", SPF_REC_SYNTAX },
	{ "v=spf1 a:foo.example.123", SPF_REC_SYNTAX },
	{ "v=spf1 a:example.-com", SPF_REC_SYNTAX },
	{ "v=spf1 a:1.2.3.4", SPF_REC_SYNTAX },
	{ "v=spf1 mx:abc.123", SPF_REC_SYNTAX },
	{ "v=spf1 a:foo..example.com", SPF_REC_SYNTAX },
	{ "v=spf1 include:", SPF_REC_SYNTAX },
	{ "v=spf1 include:e.example.com/24", SPF_REC_SYNTAX },
	{ "v=spf1 exists", SPF_REC_SYNTAX },
	{ "v=spf1 exists:mail.example.com/24", SPF_REC_SYNTAX },
	{ "v=spf1 ip4:1.2.3.4/33", SPF_REC_SYNTAX },
	{ "v=spf1 ip4:1.2.3.4/032", SPF_REC_SYNTAX },
	{ "v=spf1 ip4", SPF_REC_SYNTAX },
	{ "v=spf1 ip4:1.2.3.4:8080", SPF_REC_SYNTAX },
	{ "v=spf1 ip4:1.2.3", SPF_REC_SYNTAX },
	{ "v=spf1 ip4:1.2.3.4//32", SPF_REC_SYNTAX },
	{ "v=spf1 ip4:256.2.3.4", SPF_REC_SYNTAX },
	{ "v=spf1 ip6", SPF_REC_SYNTAX },
	{ "v=spf1 ip6:::1/129", SPF_REC_SYNTAX },
	{ "v=spf1 ip6::/0", SPF_REC_SYNTAX },
	{ "v=spf1 ip6:2001:db8::/bad", SPF_REC_SYNTAX },
	{ "v=spf1 ip6:1.2.3.4", SPF_REC_SYNTAX },
	{ "v=spf1 redirect=a.example.com redirect=b.example.com", SPF_REC_SYNTAX },
	{ "v=spf1 -all exp=a.example.com exp=b.example.com", SPF_REC_SYNTAX },
	{ "v=spf1 redirect=", SPF_REC_SYNTAX },
	{ "v=spf1 exp=", SPF_REC_SYNTAX },
	{ "v=spf1 =all", SPF_REC_SYNTAX },
	{ "v=spf1 1up=foo", SPF_REC_SYNTAX },
	{ "v=spf1 foo=%", SPF_REC_SYNTAX },
	{ "v=spf1 a:%{q}.example.com", SPF_REC_SYNTAX },
	{ "v=spf1 a:%{c}.example.com", SPF_REC_SYNTAX },
	{ "v=spf1 a:%{d0}.example.com", SPF_REC_SYNTAX },
	{ "v=spf1 a:%{d.example.com", SPF_REC_SYNTAX },
	{ "v=spf1 a:foo%.example.com", SPF_REC_SYNTAX },
	{ "v=spf1 a:example.com%", SPF_REC_SYNTAX },
	{ "v=spf1 a:%-", SPF_REC_SYNTAX },
	{ "v=spf1 a:.{}/5//0", SPF_REC_SYNTAX },        /* found by the fuzzer */
	{ "v=spf1 a:.%{d}", SPF_REC_SYNTAX },
	{ "v=spf1 a:%{d}..example.com", SPF_REC_SYNTAX },
	{ "v=spf1 a:example.{}", SPF_REC_SYNTAX },
	{ "v=spf1 include=example.com", SPF_REC_OK },   /* an unknown modifier */
	{ "v=spf1 redirect:example.com", SPF_REC_SYNTAX },
	{ "v=spf1 frobnicate", SPF_REC_SYNTAX },
	{ "v=spf1 --all", SPF_REC_SYNTAX },
};

static void
test_record_check_table(void **state)
{
	size_t good = 0, bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *why = NULL;
		enum spf_rec_status st = spf_record_check(rows[i].rec, strlen(rows[i].rec), &why);

		if (st != rows[i].st)
			fail_msg("row %zu \"%s\": status %d want %d", i, rows[i].rec, st, rows[i].st);
		if (st == SPF_REC_SYNTAX && why == NULL)
			fail_msg("row %zu: no reason", i);
		if (rows[i].st == SPF_REC_OK)
			good++;
		else
			bad++;
	}
	assert_true(bad >= good);
}

static void
test_record_counted_length(void **state)
{
	const char buf[] = "v=spf1 -all\x01garbage";
	char big[SPF_RECORD_MAX + 20];

	(void)state;
	/* only the counted bytes are the record */
	assert_int_equal(spf_record_check(buf, 11, NULL), SPF_REC_OK);
	assert_int_equal(spf_record_check(buf, sizeof(buf) - 1, NULL), SPF_REC_SYNTAX);
	assert_int_equal(spf_record_check("v=spf1 a:example.com", 12, NULL), SPF_REC_SYNTAX);
	memset(big, ' ', sizeof(big));
	memcpy(big, "v=spf1", 6);
	assert_int_equal(spf_record_check(big, sizeof(big), NULL), SPF_REC_TOO_LONG);
}

static const struct {
	const char *in;
	bool v6;
	const char *out;
} rewrites[] = {
	{ "v=spf1 -all", false, "v=spf1 -all" },
	{ "v=spf1 redirect=x.example.com ~all", false, "v=spf1 ~all" },
	{ "v=spf1 redirect=x.example.com a", false, "v=spf1 a redirect=x.example.com" },
	{ "v=spf1 moo=cow ip4:1.2.3.4", false, "v=spf1 ip4:1.2.3.4" },
	{ "v=spf1 ip4:1.2.3.4/0", false, "v=spf1 ip4:0.0.0.0/1 ip4:128.0.0.0/1" },
	{ "v=spf1 -ip6:::/0", true, "v=spf1 -ip6:::/1 -ip6:8000::/1" },
	{ "v=spf1 a/0 -all", false, "v=spf1 a:%{d}" SPF_CIDR0_MARK "/32 -all" },
	{ "v=spf1 a/0 -all", true, "v=spf1 a -all" },
	{ "v=spf1 mx:e.example.com.//0", true, "v=spf1 mx:e.example.com" SPF_CIDR0_MARK "//128" },
	{ "v=spf1 a:e.example.com/24//0", false, "v=spf1 a:e.example.com/24" },
	{ "v=spf1 ptr:Example.COM ptr:%{D}.Org", false, "v=spf1 ptr:example.com ptr:%{D}.org" },
	{ "v=spf1 -all exp=e.%{d}", false, "v=spf1 -all exp=e.%{d}" },
};

static void
test_record_rewrite_table(void **state)
{
	strbuf sb;

	(void)state;
	sb_init(&sb);
	for (size_t i = 0; i < sizeof(rewrites) / sizeof(rewrites[0]); i++) {
		assert_int_equal(spf_record_check(rewrites[i].in, strlen(rewrites[i].in), NULL), SPF_REC_OK);
		spf_record_rewrite(rewrites[i].in, strlen(rewrites[i].in), rewrites[i].v6, &sb);
		if (strcmp(sb.s, rewrites[i].out) != 0)
			fail_msg("rewrite %zu: \"%s\" want \"%s\"", i, sb.s, rewrites[i].out);
		/* what libspf2 gets is still a valid record */
		assert_int_equal(spf_record_check(sb.s, sb.len, NULL), SPF_REC_OK);
	}
	sb_free(&sb);
}

static const struct {
	const char *name;
	bool ok;
} domains[] = {
	{ "example.com", true }, { "example.com.", true }, { "a.b.c.example", true },
	{ "1-2.example.123-4", true },
	{ "", false }, { ".", false }, { "com", false }, { "example..com", false },
	{ ".example.com", false }, { "example.123", false }, { "[192.0.2.1]", false },
	{ "a12345678901234567890123456789012345678901234567890123456789012345.example.com", false },
	{ "example.-com", false },
};

static void
test_domain_ok_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		if (spf_domain_ok(domains[i].name, strlen(domains[i].name), true) != domains[i].ok)
			fail_msg("domain \"%s\": want %d", domains[i].name, domains[i].ok);
}

static void
test_result_mapping(void **state)
{
	const struct spf_eval_facts none = { false, false }, perm = { true, false },
	    temp = { false, true };

	(void)state;
	assert_int_equal(spf_map_result(SPF_RESULT_PASS, SPF_E_SUCCESS, &none), SPFR_PASS);
	assert_int_equal(spf_map_result(SPF_RESULT_FAIL, SPF_E_SUCCESS, &none), SPFR_FAIL);
	assert_int_equal(spf_map_result(SPF_RESULT_SOFTFAIL, SPF_E_SUCCESS, &none), SPFR_SOFTFAIL);
	assert_int_equal(spf_map_result(SPF_RESULT_NEUTRAL, SPF_E_SUCCESS, &none), SPFR_NEUTRAL);
	assert_int_equal(spf_map_result(SPF_RESULT_NONE, SPF_E_NOT_SPF, &none), SPFR_NONE);
	assert_int_equal(spf_map_result(SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, &none), SPFR_TEMPERROR);
	assert_int_equal(spf_map_result(SPF_RESULT_PERMERROR, SPF_E_SYNTAX, &none), SPFR_PERMERROR);
	/* INVALID never leaks */
	assert_int_equal(spf_map_result(SPF_RESULT_INVALID, SPF_E_DNS_ERROR, &none), SPFR_TEMPERROR);
	assert_int_equal(spf_map_result(SPF_RESULT_INVALID, SPF_E_SUCCESS, &temp), SPFR_TEMPERROR);
	assert_int_equal(spf_map_result(SPF_RESULT_INVALID, SPF_E_SYNTAX, &none), SPFR_PERMERROR);
	assert_int_equal(spf_map_result(SPF_RESULT_INVALID, SPF_E_SUCCESS, NULL), SPFR_PERMERROR);
	assert_int_equal(spf_map_result(42, SPF_E_SUCCESS, &none), SPFR_PERMERROR);
	/* a limit our layer saw wins over what libspf2 said */
	assert_int_equal(spf_map_result(SPF_RESULT_PASS, SPF_E_SUCCESS, &perm), SPFR_PERMERROR);
	assert_int_equal(spf_map_result(SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, &perm), SPFR_PERMERROR);
	/* past the overall deadline nothing DNS said is trusted */
	assert_int_equal(spf_map_result(SPF_RESULT_PASS, SPF_E_SUCCESS, &temp), SPFR_TEMPERROR);
	assert_int_equal(spf_map_result(SPF_RESULT_NONE, SPF_E_NOT_SPF, &temp), SPFR_TEMPERROR);
	assert_string_equal(spf_res_name(SPFR_PERMERROR), "permerror");
	assert_string_equal(spf_res_name((enum spf_res)99), "permerror");
}

static const struct {
	const char *value;
	const char *quoted;
} quotes[] = {
	{ "mail.example.com", "mail.example.com" },
	{ "192.0.2.1", "192.0.2.1" },
	{ "user+tag@example.com", "\"user+tag@example.com\"" },
	{ "2001:db8::1", "\"2001:db8::1\"" },
	{ "", "\"\"" },
	{ "evil; receiver=forged", "\"evil; receiver=forged\"" },
	{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "x\r\nX-Injected: yes", "\"x??X-Injected: yes\"" },
	{ "caf\xc3\xa9.example", "\"caf??.example\"" },
	{ ".leading.dot", "\".leading.dot\"" },
	{ "double..dot", "\"double..dot\"" },
	{ "[192.0.2.1]", "\"[192.0.2.1]\"" },
};

static void
test_quote_table(void **state)
{
	strbuf sb;

	(void)state;
	sb_init(&sb);
	for (size_t i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
		sb_reset(&sb);
		spf_quote_value(&sb, quotes[i].value, 256);
		if (strcmp(sb.s, quotes[i].quoted) != 0)
			fail_msg("quote %zu: [%s] want [%s]", i, sb.s, quotes[i].quoted);
	}
	sb_free(&sb);
}

static void
test_received_spf_hostile(void **state)
{
	struct spf_header_info h = {
		.result = SPFR_FAIL, .receiver = "mx.test.example", .client_ip = "192.0.2.1",
		.identity = "mailfrom", .envelope_from = "a@example.com",
		.helo = "x; receiver=forged.example; identity=helo\r\n(evil)",
		.comment = "mx.test.example: domain of a@example.com (nested) \\ \x01",
	};
	char longhelo[3000];
	strbuf sb;

	(void)state;
	sb_init(&sb);
	spf_received_spf(&sb, &h);
	assert_string_equal(sb.s,
	    "fail (mx.test.example: domain of a@example.com ?nested? ? ?)"
	    "\n\tclient-ip=192.0.2.1;"
	    "\n\tenvelope-from=\"a@example.com\";"
	    "\n\thelo=\"x; receiver=forged.example; identity=helo?" "?(evil)\";"
	    "\n\tidentity=mailfrom;"
	    "\n\treceiver=mx.test.example");
	/* a very long, 8-bit HELO is cut and stays one quoted value */
	memset(longhelo, 0xff, sizeof(longhelo) - 1);
	longhelo[sizeof(longhelo) - 1] = '\0';
	h.helo = longhelo;
	h.result = SPFR_TEMPERROR;
	sb_reset(&sb);
	spf_received_spf(&sb, &h);
	assert_true(sb.len < 1200);
	assert_non_null(strstr(sb.s, "temperror ("));
	for (size_t i = 0; i < sb.len; i++) {
		unsigned char c = (unsigned char)sb.s[i];
		assert_true(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f));
	}
	assert_int_equal(strstr(sb.s, "receiver=") - sb.s, (long)(sb.len - strlen("receiver=mx.test.example")));
	sb_free(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_check_table),
		cmocka_unit_test(test_record_counted_length),
		cmocka_unit_test(test_record_rewrite_table),
		cmocka_unit_test(test_domain_ok_table),
		cmocka_unit_test(test_result_mapping),
		cmocka_unit_test(test_quote_table),
		cmocka_unit_test(test_received_spf_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
