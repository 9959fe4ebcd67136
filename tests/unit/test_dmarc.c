/* test_dmarc.c - DMARC record parsing (RFC 9989 tags), From-domain
 * extraction, the DNS tree walk and organisational domains (4.10) over a
 * table of records.  The walk over real DNS: tests/dns/dmarc.sh and
 * tests/dmarc/behaviour.sh. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "postern/addr.h"
#include "postern/dmarc.h"
#include "postern/dns.h"
#include "postern/dmarc_failure.h"
#include "postern/dmarc_spool.h"

static const struct {
	const char *rec;
	enum dmarc_rec_status st;
	enum dmarc_policy p, sp, np;
	int adkim_s, aspf_s;
	int testing;
	enum dmarc_psd psd;
	const char *rua;
} rec_rows[] = {
	{ "v=DMARC1; p=reject", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1;p=quarantine;sp=none;adkim=s;aspf=s", DMARC_REC_OK, DMARC_P_QUARANTINE, DMARC_P_NONE, DMARC_P_NONE, 1, 1, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=none; np=reject; rua=mailto:d@example.com;", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "mailto:d@example.com" },
	{ "  v = DMARC1 ;  P = Reject ; ", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; sp=reject; p=none", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; x-future=1; fo=1; rf=afrf; ri=3600", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	/* RFC 9989: t= and psd= */
	{ "v=DMARC1; p=reject; t=y", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 1, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; t=n", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; t=maybe", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; psd=y", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_Y, "" },
	{ "v=DMARC1; p=none; psd=N", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 0, DMARC_PSD_N, "" },
	{ "v=DMARC1; p=none; psd=u", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=none; psd=yes", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 0, DMARC_PSD_U, "" },
	/* pct is historic: pct=0 of an old record reads as t=y, other values are ignored */
	{ "v=DMARC1; p=reject; pct=0", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 1, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; pct=000", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 1, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; pct=0; t=n", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; pct=20", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; pct=100", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	/* bad optional values fall back to defaults */
	{ "v=DMARC1; p=reject; pct=101; adkim=x", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	{ "v=DMARC1; p=reject; pct=-1", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
	/* rua: the valid URIs are kept */
	{ "v=DMARC1; p=none; rua=mailto:a@x.example, https://r.example/d ,bogus", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 0, DMARC_PSD_U, "mailto:a@x.example,https://r.example/d" },
	{ "v=DMARC1; p=none; rua=mailto:nobody", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 0, DMARC_PSD_U, "" },
	/* bad p with a valid rua acts as p=none */
	{ "v=DMARC1; p=bogus; rua=mailto:a@b", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 0, DMARC_PSD_U, "mailto:a@b" },
	{ "v=DMARC1; rua=mailto:a@b", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 0, DMARC_PSD_U, "mailto:a@b" },
	{ "v=DMARC1; p=reject; np=bogus; rua=mailto:a@b", DMARC_REC_OK, DMARC_P_NONE, DMARC_P_NONE, DMARC_P_NONE, 0, 0, 0, DMARC_PSD_U, "mailto:a@b" },
	/* unusable */
	{ "v=DMARC1; p=bogus", DMARC_REC_BAD_VALUE, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC1; p=reject; sp=maybe", DMARC_REC_BAD_VALUE, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC1; p=reject; np=maybe", DMARC_REC_BAD_VALUE, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC1; p=bogus; rua=nope", DMARC_REC_BAD_VALUE, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC1; rua=", DMARC_REC_NO_POLICY, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC1", DMARC_REC_NO_POLICY, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC1;", DMARC_REC_NO_POLICY, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC1; p", DMARC_REC_SYNTAX, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "p=reject; v=DMARC1", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC2; p=reject", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=dmarc1; p=reject", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=spf1 -all", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ ";;;", DMARC_REC_NOT_DMARC, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "v=DMARC1; ; ; p=reject", DMARC_REC_OK, DMARC_P_REJECT, DMARC_P_REJECT, DMARC_P_REJECT, 0, 0, 0, DMARC_PSD_U, "" },
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
		    r.testing != (bool)rec_rows[i].testing || r.psd != rec_rows[i].psd ||
		    strcmp(r.rua, rec_rows[i].rua) != 0)
			fail_msg("row %zu (%s): p=%d sp=%d np=%d adkim=%d aspf=%d t=%d psd=%d rua=%s", i,
			    rec_rows[i].rec, r.p, r.sp, r.np, r.adkim_strict, r.aspf_strict, r.testing, r.psd, r.rua);
	}
}

static const struct {
	const char *rec;
	const char *ruf;
	unsigned fo;
} ruf_rows[] = {
	{ "v=DMARC1; p=reject", "", DMARC_FO_0 },
	{ "v=DMARC1; p=reject; ruf=mailto:f@x.example", "mailto:f@x.example", DMARC_FO_0 },
	{ "v=DMARC1; p=none; ruf=mailto:a@x.example, bogus ,mailto:b@y.example; fo=1",
	  "mailto:a@x.example,mailto:b@y.example", DMARC_FO_1 },
	{ "v=DMARC1; p=none; ruf=mailto:nobody", "", DMARC_FO_0 },
	{ "v=DMARC1; p=none; fo=d:s", "", DMARC_FO_D | DMARC_FO_S },
	{ "v=DMARC1; p=none; fo= 0 : 1 :D:S", "", DMARC_FO_0 | DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S },
	{ "v=DMARC1; p=none; fo=x:s", "", DMARC_FO_S },
	{ "v=DMARC1; p=none; fo=", "", DMARC_FO_0 },
	{ "v=DMARC1; p=none; fo=2:dd", "", DMARC_FO_0 },
	/* ruf= alone does not make a record without p= usable (only rua= does) */
};

static void
test_ruf_fo(void **state)
{
	struct dmarc_record r;

	(void)state;
	for (size_t i = 0; i < sizeof(ruf_rows) / sizeof(ruf_rows[0]); i++) {
		if (dmarc_record_parse(ruf_rows[i].rec, strlen(ruf_rows[i].rec), &r) != DMARC_REC_OK)
			fail_msg("row %zu (%s): not parsed", i, ruf_rows[i].rec);
		if (strcmp(r.ruf, ruf_rows[i].ruf) != 0 || r.fo != ruf_rows[i].fo)
			fail_msg("row %zu (%s): ruf=%s fo=%u", i, ruf_rows[i].rec, r.ruf, r.fo);
	}
	assert_int_equal(dmarc_record_parse("v=DMARC1; ruf=mailto:a@b", 24, &r), DMARC_REC_NO_POLICY);
}

static void
test_fo_wants(void **state)
{
	/* spf_aligned, dkim_aligned, dkim_failed, spf_failed */
	const struct dmarc_fo_facts none = { false, false, false, false };
	const struct dmarc_fo_facts spf_only = { true, false, false, false };
	const struct dmarc_fo_facts both = { true, true, false, false };
	const struct dmarc_fo_facts both_badsig = { true, true, true, false };
	const struct dmarc_fo_facts spffail = { false, true, false, true };

	(void)state;
	assert_true(dmarc_fo_wants(DMARC_FO_0, &none));
	assert_false(dmarc_fo_wants(DMARC_FO_0, &spf_only));
	assert_false(dmarc_fo_wants(DMARC_FO_0, &spffail));
	assert_true(dmarc_fo_wants(DMARC_FO_1, &none));
	assert_true(dmarc_fo_wants(DMARC_FO_1, &spf_only));
	assert_false(dmarc_fo_wants(DMARC_FO_1, &both));
	assert_false(dmarc_fo_wants(DMARC_FO_D, &none));
	assert_true(dmarc_fo_wants(DMARC_FO_D, &both_badsig));
	assert_false(dmarc_fo_wants(DMARC_FO_S, &both_badsig));
	assert_true(dmarc_fo_wants(DMARC_FO_S, &spffail));
	assert_false(dmarc_fo_wants(DMARC_FO_0 | DMARC_FO_D, &spffail));
	assert_true(dmarc_fo_wants(DMARC_FO_0 | DMARC_FO_S, &spffail));
}

static void
redact(const char *in, const unsigned char *key, strbuf *out)
{
	sb_reset(out);
	dmarc_redact_addrs(in, strlen(in), key, out);
}

static void
test_redact(void **state)
{
	const unsigned char k1[DMARC_FAIL_KEY_LEN] = "0123456789abcdef";
	const unsigned char k2[DMARC_FAIL_KEY_LEN] = "fedcba9876543210";
	strbuf a, b;

	(void)state;
	sb_init(&a);
	sb_init(&b);
	redact("John Doe <john.doe@example.com>", k1, &a);
	assert_null(strstr(a.s, "john.doe"));
	assert_non_null(strstr(a.s, "@example.com>"));
	assert_true(strncmp(a.s, "John Doe <x", 11) == 0);
	assert_int_equal(strlen(a.s), strlen("John Doe <x123456789abc@example.com>"));
	/* the same address, the same token; another key, another token */
	redact("john.doe@example.com", k1, &b);
	assert_non_null(strstr(a.s, b.s));
	redact("john.doe@example.com", k2, &b);
	assert_null(strstr(a.s, b.s));
	/* every address of a list, quoted local parts, Received's "for" */
	redact("a@x.example, \"b c\"@y.example, Group: d+tag@z.example;", k1, &a);
	assert_null(strstr(a.s, "a@"));
	assert_null(strstr(a.s, "b c"));
	assert_null(strstr(a.s, "d+tag"));
	assert_non_null(strstr(a.s, "@x.example, x"));
	assert_non_null(strstr(a.s, "@y.example, Group: x"));
	redact("from mx (mx [192.0.2.1]) by h for <bob@local.example>; Mon", k1, &a);
	assert_null(strstr(a.s, "bob"));
	assert_non_null(strstr(a.s, "for <x"));
	/* a quoted local part holding an '@' is hashed whole (the fuzz
	 * target's invariant had wanted every '@' kept) */
	redact("To: \"a@b\"@x.example", k1, &a);
	assert_null(strstr(a.s, "a@b"));
	assert_non_null(strstr(a.s, "To: x"));
	assert_non_null(strstr(a.s, "@x.example"));
	/* no address: unchanged */
	redact("no address here @ all, @@, user@", k1, &a);
	assert_string_equal(a.s, "no address here @ all, @@, user@");
	assert_true(dmarc_redact_field("from"));
	assert_true(dmarc_redact_field("CC"));
	assert_false(dmarc_redact_field("Subject"));
	assert_false(dmarc_redact_field("Message-ID"));
	sb_free(&a);
	sb_free(&b);
}

static void
test_failure_fields(void **state)
{
	const unsigned char k[DMARC_FAIL_KEY_LEN] = "0123456789abcdef";
	strbuf h, enc;
	char big[2100];
	size_t n = 0, el = 0;

	(void)state;
	sb_init(&h);
	assert_true(dmarc_failure_add_field(&h, &el, "To", "bob@x.example", k));
	assert_true(dmarc_failure_add_field(&h, &el, "Subject", " hi bob@x.example", k));
	assert_non_null(strstr(h.s, "To: x"));
	assert_non_null(strstr(h.s, "\r\nSubject: hi bob@x.example\r\n"));  /* not an address field */
	/* whole fields only, within the encoded budget */
	memset(big, '"', sizeof(big) - 1);   /* '"' encodes as three bytes */
	big[sizeof(big) - 1] = '\0';
	while (dmarc_failure_add_field(&h, &el, "X-Big", big, k))
		n++;
	assert_int_equal(n, 0);
	big[1500] = '\0';
	while (dmarc_failure_add_field(&h, &el, "X-Mid", big, k))
		n++;
	assert_int_equal(n, 1);
	assert_true(h.len < DMARC_FAIL_HDRS_MAX);
	assert_string_equal(h.s + h.len - 2, "\r\n");
	sb_init(&enc);
	dmarc_spool_enc(&enc, h.s);
	assert_int_equal(enc.len, el);   /* the running count is the encoded size */
	assert_true(el < DMARC_FAIL_HDRS_MAX);
	sb_free(&enc);
	sb_free(&h);
}

static void
test_failure_roundtrip(void **state)
{
	struct dmarc_failure_rec r, back;
	strbuf line;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.ts = 1764000000;
	strcpy(r.host, "mx1");
	strcpy(r.ip, "192.0.2.7");
	strcpy(r.header_from, "example.com");
	strcpy(r.env_from, "");
	strcpy(r.policy_domain, "example.com");
	strcpy(r.ruf, "mailto:f@example.com");
	r.result = DMARC_FAIL;
	r.dkim_aligned = true;
	r.truncated = true;
	strcpy(r.hdrs, "From: x1@example.com\r\nSubject: 100% sure =?utf-8?q?x?=\r\n");
	sb_init(&line);
	assert_true(dmarc_failure_format(&r, &line));
	assert_null(strchr(line.s, '\n'));
	assert_true(dmarc_failure_parse(line.s, line.len, &back));
	assert_int_equal(back.ts, r.ts);
	assert_string_equal(back.ip, r.ip);
	assert_string_equal(back.ruf, r.ruf);
	assert_string_equal(back.hdrs, r.hdrs);
	assert_int_equal(back.result, DMARC_FAIL);
	assert_true(back.dkim_aligned && !back.spf_aligned && back.truncated);
	/* an aggregate line is no failure record; a record without ruf= neither */
	assert_false(dmarc_failure_parse("v=1 ts=1 ip=1 from=a pdom=a", 27, &back));
	r.ruf[0] = '\0';
	assert_true(dmarc_failure_format(&r, &line));
	assert_false(dmarc_failure_parse(line.s, line.len, &back));
	assert_false(dmarc_failure_parse("v=1 kind=failure hdrs=%00", 25, &back));
	sb_free(&line);
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
	{ " < user@spaced.example > ", FROM_OK, "spaced.example" },
	{ "Name <u@n.example> (trailing (nested))", FROM_OK, "n.example" },
	{ "\"a b\"@quoted.example", FROM_OK, "quoted.example" },
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
	/* issue 9: what clients read differently is unusable, never guessed */
	{ "user@(c)good.example", FROM_BAD, NULL },
	{ "user(c)@good.example", FROM_BAD, NULL },
	{ "a@b.example <>", FROM_BAD, NULL },
	{ "<>", FROM_EMPTY, NULL },
	{ "a@ b.example", FROM_BAD, NULL },
	{ "a @b.example", FROM_BAD, NULL },
	{ "a@b .example", FROM_BAD, NULL },
	{ "a@b.example <c@d.example>", FROM_BAD, NULL },
	{ "[a] <c@d.example>", FROM_BAD, NULL },
	{ "<c@d.example> x@e.example", FROM_BAD, NULL },
	{ "<c@d.example> trailing", FROM_BAD, NULL },
	{ "Alice <a@b.example", FROM_BAD, NULL },
	{ "Alice <a@b.example>, Bob <c@d.example>", FROM_MULTIPLE, NULL },
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

/* RFC 9989 4.10: the names a walk asks for. */
static const struct {
	const char *domain;
	const char *targets;   /* space-separated */
} target_rows[] = {
	{ "example.com", "example.com com" },
	{ "com", "com" },
	{ "a.mail.example.com", "a.mail.example.com mail.example.com example.com com" },
	/* the RFC's own example: more than eight labels jump to seven */
	{ "a.b.c.d.e.f.g.h.i.j.mail.example.com",
	  "a.b.c.d.e.f.g.h.i.j.mail.example.com g.h.i.j.mail.example.com h.i.j.mail.example.com "
	  "i.j.mail.example.com j.mail.example.com mail.example.com example.com com" },
	{ "1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.8 2.3.4.5.6.7.8 3.4.5.6.7.8 4.5.6.7.8 5.6.7.8 6.7.8 7.8 8" },
	{ "0.1.2.3.4.5.6.7.8", "0.1.2.3.4.5.6.7.8 2.3.4.5.6.7.8 3.4.5.6.7.8 4.5.6.7.8 5.6.7.8 6.7.8 7.8 8" },
	{ "", "" },
	{ "a..example", "" },
	{ ".example", "" },
	{ "example.", "" },
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
		{ "John a@b.example", FROM_BAD, "" },   /* no angle, two words: unusable (issue 9) */
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
test_walk_targets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(target_rows) / sizeof(target_rows[0]); i++) {
		char t[DMARC_WALK_MAX][DMARC_NAME_MAX], got[2048] = "";
		size_t n = dmarc_walk_targets(target_rows[i].domain, t);

		for (size_t j = 0; j < n; j++) {
			if (j > 0)
				strcat(got, " ");
			strcat(got, t[j]);
		}
		if (strcmp(got, target_rows[i].targets) != 0)
			fail_msg("%s: [%s] want [%s]", target_rows[i].domain, got, target_rows[i].targets);
	}
}

/* A table of published records stands in for the DNS: "domain|record". */
struct fake_dns {
	const char *const *zone;
	char asked[1024];
};

static enum dmarc_fetch
fake_fetch(void *ctx, const char *domain, struct dmarc_record *r)
{
	struct fake_dns *f = ctx;
	size_t n = strlen(domain);

	strcat(f->asked, f->asked[0] ? " " : "");
	strcat(f->asked, domain);
	for (const char *const *z = f->zone; *z != NULL; z++) {
		const char *bar = strchr(*z, '|');

		if ((size_t)(bar - *z) == n && memcmp(*z, domain, n) == 0) {
			if (strcmp(bar + 1, "TEMP") == 0)
				return DMARC_FETCH_TEMP;
			return dmarc_record_parse(bar + 1, strlen(bar + 1), r) == DMARC_REC_OK ?
			    DMARC_FETCH_FOUND : DMARC_FETCH_NONE;
		}
	}
	return DMARC_FETCH_NONE;
}

static const char *const zone1[] = {
	"mail.example.com|v=DMARC1; p=none",
	"example.com|v=DMARC1; p=reject",
	"self.example.org|v=DMARC1; p=reject; psd=n",
	"x.self.example.org|v=DMARC1; p=none",
	"psd.example|v=DMARC1; p=reject; psd=y",
	"bank.psd.example|v=DMARC1; p=quarantine",
	"temp.example|TEMP",
	NULL,
};

/* RFC 9989 4.10.2 with the examples of the text. */
static const struct {
	const char *start, *org, *asked;
	size_t nhit;
	int temperror;
} org_rows[] = {
	/* records at mail.example.com and example.com: the fewest labels win */
	{ "a.mail.example.com", "example.com", "a.mail.example.com mail.example.com example.com com", 2, 0 },
	{ "example.com", "example.com", "example.com com", 1, 0 },
	/* psd=n: this is the organisational domain, the walk stops */
	{ "a.b.self.example.org", "self.example.org", "a.b.self.example.org b.self.example.org self.example.org", 1, 0 },
	{ "x.self.example.org", "self.example.org", "x.self.example.org self.example.org", 2, 0 },
	/* psd=y: one label below the PSD */
	{ "a.b.psd.example", "b.psd.example", "a.b.psd.example b.psd.example psd.example", 1, 0 },
	{ "bank.psd.example", "bank.psd.example", "bank.psd.example psd.example", 2, 0 },
	/* psd=y at the start counts as the fewest-labels record */
	{ "psd.example", "psd.example", "psd.example", 1, 0 },
	/* nothing anywhere: the start is its own organisational domain */
	{ "a.nothing.example", "a.nothing.example", "a.nothing.example nothing.example example", 0, 0 },
	/* a DNS failure stops the walk */
	{ "a.temp.example", NULL, "a.temp.example temp.example", 0, 1 },
};

static void
test_walk_org(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(org_rows) / sizeof(org_rows[0]); i++) {
		struct fake_dns f = { zone1, "" };
		struct dmarc_walk w;
		char org[DMARC_NAME_MAX];

		dmarc_tree_walk(org_rows[i].start, false, fake_fetch, &f, &w);
		if (strcmp(f.asked, org_rows[i].asked) != 0)
			fail_msg("%s: asked [%s] want [%s]", org_rows[i].start, f.asked, org_rows[i].asked);
		unsigned words = 1;
		for (const char *p = f.asked; *p; p++)
			words += *p == ' ';
		if (w.nhit != org_rows[i].nhit || w.temperror != (bool)org_rows[i].temperror ||
		    w.queries != words)
			fail_msg("%s: nhit %zu temperror %d", org_rows[i].start, w.nhit, w.temperror);
		if (org_rows[i].org == NULL)
			continue;
		dmarc_walk_org(org_rows[i].start, &w, org, sizeof(org));
		if (strcmp(org, org_rows[i].org) != 0)
			fail_msg("%s: org %s want %s", org_rows[i].start, org, org_rows[i].org);
	}
}

static void
test_walk_skip_first(void **state)
{
	struct fake_dns f = { zone1, "" };
	struct dmarc_walk w;

	(void)state;
	dmarc_tree_walk("mail.example.com", true, fake_fetch, &f, &w);
	assert_string_equal(f.asked, "example.com com");
	assert_int_equal(w.nhit, 1);
	assert_int_equal(w.queries, 2);
}

static void
test_domain_helpers(void **state)
{
	char out[DMARC_NAME_MAX];

	(void)state;
	assert_true(dmarc_domain_norm("Example.COM.", out, sizeof(out)));
	assert_string_equal(out, "example.com");
	assert_false(dmarc_domain_norm("", out, sizeof(out)));
	assert_false(dmarc_domain_norm("...", out, sizeof(out)));
	assert_false(dmarc_domain_norm("abcdef", out, 4));
	assert_true(dmarc_domain_under("mail.example.com", "example.com"));
	assert_true(dmarc_domain_under("example.com", "example.com"));
	assert_false(dmarc_domain_under("evil-example.com", "example.com"));
	assert_false(dmarc_domain_under("com", "example.com"));
	assert_false(dmarc_domain_under("example.com", ""));
}

/* A name that cannot be asked is no DNS failure (issue 9, item 8). */
static void
test_name_askable(void **state)
{
	char name[300];

	(void)state;
	assert_true(dns_name_askable("_dmarc.example.org"));
	assert_true(dns_name_askable("_dmarc.example.org."));
	assert_false(dns_name_askable(""));
	assert_false(dns_name_askable("."));
	assert_false(dns_name_askable("a..b"));
	assert_false(dns_name_askable(".a"));
	memset(name, 'a', 63);
	strcpy(name + 63, ".example");
	assert_true(dns_name_askable(name));
	memset(name, 'a', 64);
	strcpy(name + 64, ".example");
	assert_false(dns_name_askable(name));
	for (size_t i = 0; i < 253; i++)
		name[i] = i % 2 ? '.' : 'a';
	name[253] = '\0';   /* 253 octets ending in 'a' */
	assert_true(dns_name_askable(name));
	strcpy(name + 253, "a");
	name[252] = 'a';
	assert_false(dns_name_askable(name));
}

/* The report spool line (dmarc_spool.c): a record round-trips; malformed lines. */
static void
test_spool_roundtrip(void **state)
{
	struct dmarc_spool_rec a, b;
	strbuf line;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.ts = 1764633600;
	strcpy(a.host, "mx 1");
	strcpy(a.ip, "2001:db8::1");
	strcpy(a.header_from, "example.org");
	strcpy(a.env_from, "bounce.example");
	strcpy(a.policy_domain, "example.org");
	a.rec.p = DMARC_P_REJECT;
	a.rec.sp = DMARC_P_QUARANTINE;
	a.rec.testing = true;
	a.rec.psd = DMARC_PSD_N;
	strcpy(a.rec.rua, "mailto:a@x.example,mailto:b@y.example");
	a.result = DMARC_FAIL;
	a.disp = DMARC_DISP_QUARANTINE;
	a.spf_aligned = true;
	strcpy(a.override_type, "mailing_list");
	strcpy(a.override_comment, "List-Id: <a b=c>\x01");
	strcpy(a.spf_domain, "bounce.example");
	strcpy(a.spf_scope, "mfrom");
	strcpy(a.spf_res, "pass");
	a.ndkim = 2;
	strcpy(a.dkim[0].d, "example.org");
	strcpy(a.dkim[0].s, "s,1");
	strcpy(a.dkim[0].res, "fail");
	strcpy(a.dkim[1].d, "lists.example");
	strcpy(a.dkim[1].res, "pass");
	sb_init(&line);
	assert_true(dmarc_spool_format(&a, &line));
	assert_null(memchr(line.s, '\n', line.len));
	assert_null(strchr(line.s, '\x01'));
	assert_int_equal(dmarc_spool_parse(line.s, line.len, &b), DMARC_SPOOL_OK);
	assert_int_equal(b.ts, a.ts);
	assert_string_equal(b.host, "mx 1");
	assert_string_equal(b.ip, a.ip);
	assert_string_equal(b.rec.rua, a.rec.rua);
	assert_int_equal(b.rec.p, DMARC_P_REJECT);
	assert_int_equal(b.rec.sp, DMARC_P_QUARANTINE);
	assert_true(b.rec.testing);
	assert_int_equal(b.rec.psd, DMARC_PSD_N);
	assert_int_equal(b.disp, DMARC_DISP_QUARANTINE);
	assert_int_equal(b.result, DMARC_FAIL);
	assert_true(b.spf_aligned);
	assert_false(b.dkim_aligned);
	assert_string_equal(b.override_comment, a.override_comment);
	assert_string_equal(b.spf_res, "pass");
	assert_int_equal(b.ndkim, 2);
	assert_string_equal(b.dkim[0].s, "s,1");
	assert_string_equal(b.dkim[1].s, "");
	sb_free(&line);
}

static const struct {
	const char *line;
	enum dmarc_spool_status st;
} spool_rows[] = {
	{ "v=1 ts=5 ip=192.0.2.1 from=a.example pdom=a.example", DMARC_SPOOL_OK },
	{ "v=1 ts=5 ip=192.0.2.1 from=a.example pdom=a.example\n", DMARC_SPOOL_OK },
	{ "v=1 ts=5 ip=192.0.2.1 from=a.example pdom=a.example later=x", DMARC_SPOOL_OK },
	{ "", DMARC_SPOOL_NOT_RECORD },
	{ "v=2 ts=5 ip=1 from=a pdom=a", DMARC_SPOOL_NOT_RECORD },
	{ "hello", DMARC_SPOOL_NOT_RECORD },
	{ "v=1", DMARC_SPOOL_MISSING },
	{ "v=1 ts=5 ip=192.0.2.1 from=a.example", DMARC_SPOOL_MISSING },
	{ "v=1 ip=192.0.2.1 from=a.example pdom=a.example", DMARC_SPOOL_MISSING },
	{ "v=1  ts=5 ip=1 from=a pdom=a", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a pdom=a junk", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=x5 ip=1 from=a pdom=a", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a%zz pdom=a", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a%00b pdom=a", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a%4 pdom=a", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a\tb pdom=a", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a pdom=a p=maybe", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a pdom=a disp=lost", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a pdom=a spf=a,b", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a pdom=a dkim=a", DMARC_SPOOL_SYNTAX },
	{ "v=1 ts=5 ip=1 from=a pdom=a spf=a,mfrom,toolongresult", DMARC_SPOOL_SYNTAX },
};

static void
test_spool_table(void **state)
{
	struct dmarc_spool_rec r;
	char big[DMARC_SPOOL_LINE_MAX + 100];

	(void)state;
	for (size_t i = 0; i < sizeof(spool_rows) / sizeof(spool_rows[0]); i++) {
		enum dmarc_spool_status st = dmarc_spool_parse(spool_rows[i].line, strlen(spool_rows[i].line), &r);
		if (st != spool_rows[i].st)
			fail_msg("row %zu (%s): %d want %d", i, spool_rows[i].line, st, spool_rows[i].st);
	}
	memset(big, 'a', sizeof(big));
	memcpy(big, "v=1 ts=5 ", 9);
	assert_int_equal(dmarc_spool_parse(big, sizeof(big), &r), DMARC_SPOOL_TOO_LONG);
}

/* The writer: a small queue fed faster than the disk drops lines, never
 * waits; every line queued is written whole, one per line. */
static void
test_spool_writer(void **state)
{
	char dir[] = "/tmp/postern-spool-XXXXXX", err[256], line[64];
	struct dmarc_spool *s;
	struct dmarc_spool_stats st;
	unsigned long long ok = 0, lines = 0;
	strbuf path;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_null(dmarc_spool_open("/nonexistent/dir", 16, err, sizeof(err)));
	s = dmarc_spool_open(dir, 16, err, sizeof(err));
	assert_non_null(s);
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(line, sizeof(line), "v=1 ts=%d ip=192.0.2.1 from=a.example pdom=a.example", i);
		ok += dmarc_spool_put(s, line, (size_t)n);
	}
	assert_false(dmarc_spool_put(s, "a\nb", 3));   /* no newline inside a line */
	dmarc_spool_flush(s);
	dmarc_spool_stats(s, &st);
	assert_int_equal(st.queued, ok);
	assert_int_equal(st.queued + st.dropped, 5000);
	assert_int_equal(st.written, ok);
	assert_int_equal(st.errors, 0);
	sb_init(&path);
	dmarc_spool_path(dir, dmarc_spool_host(s), (long long)time(NULL), &path);
	dmarc_spool_close(s);
	f = fopen(path.s, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct dmarc_spool_rec r;
		assert_int_equal(dmarc_spool_parse(line, strlen(line), &r), DMARC_SPOOL_OK);
		lines++;
	}
	fclose(f);
	assert_int_equal(lines, ok);
	unlink(path.s);
	rmdir(dir);
	sb_free(&path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_table),
		cmocka_unit_test(test_ruf_fo),
		cmocka_unit_test(test_fo_wants),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_failure_fields),
		cmocka_unit_test(test_failure_roundtrip),
		cmocka_unit_test(test_from_table),
		cmocka_unit_test(test_from_long_input),
		cmocka_unit_test(test_walk_targets),
		cmocka_unit_test(test_walk_org),
		cmocka_unit_test(test_walk_skip_first),
		cmocka_unit_test(test_domain_helpers),
		cmocka_unit_test(test_name_askable),
		cmocka_unit_test(test_spool_roundtrip),
		cmocka_unit_test(test_spool_table),
		cmocka_unit_test(test_spool_writer),
		cmocka_unit_test(test_from_author),
	};
	return cmocka_run_group_tests_name("dmarc", tests, NULL, NULL);
}
