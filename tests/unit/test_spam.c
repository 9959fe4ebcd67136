/* test_spam.c - the spam engine: scores, list rows, the rule set and
 * overrides, RFC 5782 names and answers, GTUBE in every chunking, HELO
 * and header rules, the content rules; the spam keys in policies and the main config
 * (malformed rows as many as well-formed). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "testutil.h"
#include "postern/check.h"
#include "postern/check_spam.h"
#include "postern/policy.h"
#include "postern/snapshot.h"
#include "postern/spam.h"

static void
test_parse_score(void **state)
{
	static const struct { const char *in; bool ok; int v; } rows[] = {
		{ "0", true, 0 }, { "5", true, 500 }, { "-1.5", true, -150 },
		{ "2.25", true, 225 }, { "+3.1", true, 310 }, { "1000", true, 100000 },
		{ "-1000.00", true, -100000 }, { "0.05", true, 5 },
		{ "", false, 0 }, { "-", false, 0 }, { ".5", false, 0 }, { "5.", false, 0 },
		{ "1.234", false, 0 }, { "1000.01", false, 0 }, { "123456", false, 0 },
		{ "5 ", false, 0 }, { " 5", false, 0 }, { "5x", false, 0 }, { "1e3", false, 0 },
		{ "--1", false, 0 }, { "0x10", false, 0 }, { "1,5", false, 0 },
	};
	char buf[SCORE_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		int v = 12345;
		bool ok = parse_score(rows[i].in, strlen(rows[i].in), &v);
		if (ok != rows[i].ok || (ok && v != rows[i].v))
			fail_msg("row %zu \"%s\": ok=%d v=%d", i, rows[i].in, ok, v);
	}
	/* never past len */
	{
		int v;
		assert_true(parse_score("2.5garbage", 3, &v));
		assert_int_equal(v, 250);
	}
	assert_string_equal(score_format(500, buf), "5.0");
	assert_string_equal(score_format(-150, buf), "-1.5");
	assert_string_equal(score_format(225, buf), "2.25");
	assert_string_equal(score_format(-5, buf), "-0.05");
	assert_string_equal(score_format(0, buf), "0.0");
}

static void
test_list_rows(void **state)
{
	static const struct { const char *in; bool ok; } rows[] = {
		{ "sbl sbl.example score=4", true },
		{ "zen zen.spamhaus.org score=3.5 codes=127.0.0.2,127.0.0.3,127.0.0.4", true },
		{ "surbl multi.surbl.org score=2 mask=0x0c", true },
		{ "wl list.dnswl.org score=-5 codes=127.0.10.2", true },
		{ "  tabs\tzone.example\t score=1  mask=12 ", true },
		{ "", false },
		{ "sbl", false },
		{ "sbl sbl.example", false },                     /* no score */
		{ "SBL sbl.example score=1", false },             /* upper-case name */
		{ "s-bl sbl.example score=1", false },
		{ "abcdefghijklmnopqrstuvwxyzabcdefg z.example score=1", false }, /* 33 */
		{ "sbl sbl..example score=1", false },
		{ "sbl .sbl.example score=1", false },
		{ "sbl sbl.example. score=1", false },
		{ "sbl sbl/example score=1", false },
		{ "sbl sbl.example score=x", false },
		{ "sbl sbl.example score=1 score=2", false },
		{ "sbl sbl.example score=1 codes=", false },
		{ "sbl sbl.example score=1 codes=10.0.0.2", false },  /* outside 127/8 */
		{ "sbl sbl.example score=1 codes=127.0.0.2,", false },
		{ "sbl sbl.example score=1 codes=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,"
		  "127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9", false },
		{ "sbl sbl.example score=1 mask=0", false },
		{ "sbl sbl.example score=1 mask=256", false },
		{ "sbl sbl.example score=1 mask=0xzz", false },
		{ "sbl sbl.example score=1 mask=1 mask=2", false },
		{ "sbl sbl.example score=1 extra=1", false },
		{ "sbl sbl.example score=1 reject", false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		struct spam_list l;
		const char *why = NULL;
		bool ok = spam_list_parse(rows[i].in, strlen(rows[i].in), SPAM_LIST_IP, &l, &why) ==
		    SPAM_LIST_OK;
		if (ok != rows[i].ok)
			fail_msg("row %zu \"%s\": ok=%d (%s)", i, rows[i].in, ok, why ? why : "");
		if (!ok)
			assert_non_null(why);
	}
	{
		struct spam_list l;
		const char *r = "zen ZEN.Example score=-2.5 codes=127.0.0.2,127.0.0.10 mask=0x0c";
		assert_int_equal(spam_list_parse(r, strlen(r), SPAM_LIST_IP, &l, NULL), SPAM_LIST_OK);
		assert_string_equal(l.name, "zen");
		assert_string_equal(l.zone, "zen.example");
		assert_int_equal(l.score, -250);
		assert_int_equal(l.ncodes, 2);
		assert_int_equal(l.codes[1], 0x7f00000aU);
		assert_int_equal(l.mask, 12);
	}
}

static void
rules_of(struct spam_rules *rs, const char *const *rows, size_t n)
{
	struct strlist l = { 0 };
	strbuf p;

	sb_init(&p);
	for (size_t i = 0; i < n; i++)
		strlist_add(&l, rows[i]);
	if (!spam_rules_build(rs, &l, NULL, &p))
		fail_msg("rules: %s", p.s);
	sb_free(&p);
	strlist_free(&l);
}

static void
test_rules_and_overrides(void **state)
{
	static const char *const rows[] = { "bl bl.example score=4", "wl wl.example score=-3" };
	struct spam_rules rs;
	struct spam_hits h = { 0 };
	struct strlist ovr = { 0 };
	strbuf out;
	int bl, wl;

	(void)state;
	rules_of(&rs, rows, NELEM(rows));
	assert_int_equal(rs.n, SR_NBUILTIN + 2);
	bl = spam_rule_find(&rs, "dnsbl_bl", 8);
	wl = spam_rule_find(&rs, "dnsbl_wl", 8);
	assert_true(bl >= SR_NBUILTIN && wl >= SR_NBUILTIN);
	assert_int_equal(spam_rule_find(&rs, "nosuch", 6), -1);
	assert_int_equal(spam_rule_find(&rs, "spf_fail", 8), SR_SPF_FAIL);

	spam_hit(&h, (size_t)bl, 0);
	spam_hit(&h, SR_SPF_FAIL, 0);
	spam_hit(&h, SR_SPF_FAIL, 0);      /* once per rule */
	spam_hit(&h, (size_t)wl, 0);
	spam_hit(&h, SR_DNSBL_ERROR, 0);
	assert_int_equal(h.n, 4);
	assert_int_equal(spam_total(&rs, NULL, &h), 400 + 200 - 300);

	strlist_add(&ovr, "spf_fail=5");
	strlist_add(&ovr, "dnsbl_wl=0");
	strlist_add(&ovr, "dnsbl_wl=-1.25");   /* the last one wins */
	strlist_add(&ovr, "dnsbl_b=100");      /* a prefix of a name is not the name */
	assert_int_equal(spam_total(&rs, &ovr, &h), 400 + 500 - 125);

	sb_init(&out);
	spam_format_hits(&rs, &ovr, &h, &out, ",", true, 0);
	assert_string_equal(out.s, "spf_fail=5.0,dnsbl_bl=4.0,dnsbl_error=0.0,dnsbl_wl=-1.25");
	sb_reset(&out);
	spam_format_hits(&rs, NULL, &h, &out, ", ", false, 2);
	assert_string_equal(out.s, "dnsbl_bl, spf_fail");
	sb_free(&out);

	/* spamd: its own score times the rule's weight */
	memset(&h, 0, sizeof(h));
	spam_hit(&h, SR_SPAMD, 730);
	assert_int_equal(spam_total(&rs, NULL, &h), 730);
	strlist_free(&ovr);
	strlist_add(&ovr, "spamd=0.5");
	assert_int_equal(spam_total(&rs, &ovr, &h), 365);
	strlist_free(&ovr);

	/* saturation */
	memset(&h, 0, sizeof(h));
	spam_hit(&h, SR_GTUBE, 0);
	spam_hit(&h, (size_t)bl, 0);
	assert_int_equal(spam_total(&rs, NULL, &h), SCORE_LIMIT);
}

static void
test_rules_build_errors(void **state)
{
	static const char *const bad[] = {
		"bl bl.example score=4", "bl other.example score=1",   /* name twice */
		"x", "ok ok.example score=1",
	};
	struct strlist l = { 0 };
	struct spam_rules rs;
	strbuf p;

	(void)state;
	sb_init(&p);
	for (size_t i = 0; i < NELEM(bad); i++)
		strlist_add(&l, bad[i]);
	assert_false(spam_rules_build(&rs, &l, NULL, &p));
	assert_non_null(strstr(p.s, "spam.dnsbl: element 2: list name \"bl\" used twice"));
	assert_non_null(strstr(p.s, "spam.dnsbl: element 3: "));
	assert_null(strstr(p.s, "element 4"));
	strlist_free(&l);
	sb_reset(&p);
	for (int i = 0; i < SPAM_MAX_LISTS + 1; i++) {
		char row[64];
		snprintf(row, sizeof(row), "l%d l%d.example score=1", i, i);
		strlist_add(&l, row);
	}
	assert_false(spam_rules_build(&rs, &l, NULL, &p));
	assert_non_null(strstr(p.s, "more than 16 lists"));
	strlist_free(&l);
	sb_free(&p);
}

static void
test_dnsbl_names(void **state)
{
	uint8_t ip[16];
	char out[300];

	(void)state;
	/* RFC 5782 2.1 and 2.4 */
	inet_pton(AF_INET, "192.168.42.23", ip);
	assert_true(spam_dnsbl_name(AF_INET, ip, "bl.example", out, sizeof(out)));
	assert_string_equal(out, "23.42.168.192.bl.example");
	inet_pton(AF_INET6, "2001:db8:1:2:3:4:567:89ab", ip);
	assert_true(spam_dnsbl_name(AF_INET6, ip, "ugly.example.com", out, sizeof(out)));
	assert_string_equal(out, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
	assert_false(spam_dnsbl_name(AF_INET, ip, "bl.example", out, 10));
	assert_false(spam_dnsbl_name(0, ip, "bl.example", out, sizeof(out)));
	{
		char zone[250];
		memset(zone, 'a', sizeof(zone) - 1);
		zone[sizeof(zone) - 1] = '\0';
		assert_false(spam_dnsbl_name(AF_INET6, ip, zone, out, sizeof(out)));   /* > 253 */
	}
	assert_true(spam_uribl_name("example.com", "multi.uribl.example", out, sizeof(out)));
	assert_string_equal(out, "example.com.multi.uribl.example");
}

static void
test_list_match(void **state)
{
	struct spam_list any, codes, mask;
	static const char r1[] = "a a.example score=1";
	static const char r2[] = "c c.example score=1 codes=127.0.0.2,127.0.0.3";
	static const char r3[] = "m m.example score=1 mask=0x04";
	static const struct { const char *ip; int len; enum spam_listed any, codes, mask; } rows[] = {
		{ "127.0.0.2", 4, SPAM_LISTED, SPAM_LISTED, SPAM_NOT_LISTED },
		{ "127.0.0.3", 4, SPAM_LISTED, SPAM_LISTED, SPAM_NOT_LISTED },
		{ "127.0.0.4", 4, SPAM_LISTED, SPAM_NOT_LISTED, SPAM_LISTED },
		{ "127.0.0.12", 4, SPAM_LISTED, SPAM_NOT_LISTED, SPAM_LISTED },
		{ "127.0.1.2", 4, SPAM_LISTED, SPAM_NOT_LISTED, SPAM_NOT_LISTED },
		{ "127.255.255.254", 4, SPAM_LIST_ERROR, SPAM_LIST_ERROR, SPAM_LIST_ERROR },
		{ "127.255.255.252", 4, SPAM_LIST_ERROR, SPAM_LIST_ERROR, SPAM_LIST_ERROR },
		{ "10.0.0.2", 4, SPAM_LIST_ERROR, SPAM_LIST_ERROR, SPAM_LIST_ERROR },
		{ "192.0.2.1", 4, SPAM_LIST_ERROR, SPAM_LIST_ERROR, SPAM_LIST_ERROR },
		{ "127.0.0.2", 3, SPAM_LIST_ERROR, SPAM_LIST_ERROR, SPAM_LIST_ERROR },
		{ "127.0.0.2", 16, SPAM_LIST_ERROR, SPAM_LIST_ERROR, SPAM_LIST_ERROR },
	};

	(void)state;
	assert_int_equal(spam_list_parse(r1, strlen(r1), SPAM_LIST_IP, &any, NULL), SPAM_LIST_OK);
	assert_int_equal(spam_list_parse(r2, strlen(r2), SPAM_LIST_IP, &codes, NULL), SPAM_LIST_OK);
	assert_int_equal(spam_list_parse(r3, strlen(r3), SPAM_LIST_IP, &mask, NULL), SPAM_LIST_OK);
	for (size_t i = 0; i < NELEM(rows); i++) {
		unsigned char a[16] = { 0 };
		inet_pton(AF_INET, rows[i].ip, a);
		if (spam_list_match(&any, a, rows[i].len) != rows[i].any ||
		    spam_list_match(&codes, a, rows[i].len) != rows[i].codes ||
		    spam_list_match(&mask, a, rows[i].len) != rows[i].mask)
			fail_msg("row %zu %s/%d", i, rows[i].ip, rows[i].len);
	}
}

static bool
gtube_in(const char *msg, size_t chunk)
{
	struct spam_gtube g = { 0 };
	size_t n = strlen(msg);

	for (size_t off = 0; off < n; off += chunk)
		spam_gtube_feed(&g, (const unsigned char *)msg + off, n - off < chunk ? n - off : chunk);
	return g.found;
}

static void
test_gtube(void **state)
{
	static const struct { const char *in; bool found; } rows[] = {
		{ "hello\r\n" SPAM_GTUBE "\r\n", true },
		{ SPAM_GTUBE, true },
		{ "XJS*XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X", true },
		{ "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34", false },
		{ "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.3 4X", false },
		{ "xjs*c4jdbqadn1.nsbn3*2idnen*gtube-standard-anti-ube-test-email*c.34x", false },
		{ "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-\r\nEMAIL*C.34X", false },
		{ "", false },
		{ "plain mail", false },
	};
	static const size_t chunks[] = { 1, 3, 64, 100000 };

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++)
		for (size_t j = 0; j < NELEM(chunks); j++)
			if (gtube_in(rows[i].in, chunks[j]) != rows[i].found)
				fail_msg("row %zu chunk %zu", i, chunks[j]);
	/* against memmem: random text of GTUBE's pieces, '*' and 'X' runs,
	 * sometimes the whole string, in random chunkings */
	srand(15);
	for (int round = 0; round < 3000; round++) {
		static const char *const piece[] = { "X", "*", "XJS", "XJS*", "**", "C4JDBQADN1",
			".NSBN3*2IDNEN*", "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X", "ab", SPAM_GTUBE };
		char msg[600];
		size_t n = 0;

		while (n < 400) {
			const char *pc = piece[rand() % (round % 3 == 0 ? 10 : 9)];
			size_t pl = strlen(pc);
			memcpy(msg + n, pc, pl);
			n += pl;
		}
		msg[n] = '\0';
		bool want = memmem(msg, n, SPAM_GTUBE, strlen(SPAM_GTUBE)) != NULL;
		size_t chunk = 1 + (size_t)(rand() % 90);
		if (gtube_in(msg, chunk) != want)
			fail_msg("random round %d chunk %zu: want %d", round, chunk, want);
	}
}

static void
test_headers(void **state)
{
	(void)state;
	assert_false(spam_has_8bit("=?utf-8?q?caf=C3=A9?=", 21));
	assert_true(spam_has_8bit("caf\xc3\xa9", 5));
	assert_false(spam_has_8bit("caf\xc3\xa9", 3));
	/* header_malformed: well-formed and malformed rows */
	{
		static const struct { const char *name, *value; bool bad; size_t len; } hr[] = {
			{ "Subject", "hello", false, 0 },
			{ "Subject", "a folded\n line", false, 0 },
			{ "Subject", "a folded\r\n\tline", false, 0 },
			{ "X-Tab", "a\tb", false, 0 },
			{ "Subject", "caf\xc3\xa9", false, 0 },          /* 8-bit: its own rule */
			{ "Subject", "", false, 0 },
			{ "Sub ject", "x", true, 0 },                     /* blank in the name */
			{ "Subj\x01", "x", true, 0 },
			{ "Subj\xc3\xa9", "x", true, 0 },                  /* 8-bit name */
			{ "", "x", true, 0 },
			{ "Subject", "bare\rCR", true, 0 },
			{ "Subject", "bare\nLF", true, 0 },
			{ "Subject", "ends in a break\n", true, 0 },
			{ "Subject", "a\x00b", true, 3 },   /* a NUL inside */
			{ "Subject", "del\x7f", true, 0 },
			{ "Subject", "esc\x1b[0m", true, 0 },
		};
		char longv[1100];

		for (size_t i = 0; i < NELEM(hr); i++) {
			size_t len = hr[i].len != 0 ? hr[i].len : strlen(hr[i].value);

			if (spam_header_malformed(hr[i].name, hr[i].value, len) != hr[i].bad)
				fail_msg("header row %zu \"%s\"", i, hr[i].name);
		}
		memset(longv, 'x', sizeof(longv) - 1);
		longv[sizeof(longv) - 1] = '\0';
		assert_true(spam_header_malformed("Subject", longv, strlen(longv)));
		assert_false(spam_header_malformed("Subject", longv, 990));
		longv[500] = '\n';
		longv[501] = ' ';
		assert_false(spam_header_malformed("Subject", longv, strlen(longv)));
		assert_int_not_equal(spam_unique_field("subject"), 0);
		assert_int_equal(spam_unique_field("Received"), 0);
		assert_int_not_equal(spam_unique_field("Date"), spam_unique_field("Subject"));
	}
	assert_int_equal(spam_count_addresses("a@x, b@y, \"c@d\" <c@z>", 22), 3);
	assert_int_equal(spam_count_addresses("\"a\\\"@b\" <q@r>", 14), 1);
	assert_int_equal(spam_count_addresses("undisclosed-recipients:;", 24), 0);
	{
		static const struct { const char *v; const char *want; } drows[] = {
			{ "\"support@Bank.Example\" <x@other.example>", "bank.example" },
			{ "support@bank.example <x@other.example>", "bank.example" },
			{ "Bank <x@bank.example>", NULL },
			{ "x@bank.example", NULL },                 /* no display name */
			{ "\"a <b\" <x@y.example>", NULL },
			{ "\"@\" <x@y.example>", NULL },
			{ "\"me@localhost\" <x@y.example>", NULL },
			{ "\"me@bank.example.\" <x@y.example>", "bank.example" },
			{ "", NULL },
		};
		for (size_t i = 0; i < NELEM(drows); i++) {
			char out[254];
			bool got = spam_display_domain(drows[i].v, strlen(drows[i].v), out, sizeof(out));
			if (got != (drows[i].want != NULL) || (got && strcmp(out, drows[i].want) != 0))
				fail_msg("display row %zu", i);
		}
	}
	assert_true(spam_is_shortener("bit.ly"));
	assert_false(spam_is_shortener("bit.ly.example"));
}

/* The content rules' predicates (spam_content.c), well-formed and not. */
static void
test_content_predicates(void **state)
{
	static const struct { const char *s; bool caps, shout, money; } subj[] = {
		{ "FREE MONEY FOR YOU", true, false, false },
		{ "FREE MONEY for you", false, false, false },
		{ "RE: MEETING", false, false, false },           /* 9 letters: too short */
		{ "URGENT BUSINESS PROPOSAL!!", true, true, false },
		{ "Save 50% today", false, false, true },
		{ "Only $19.95", false, false, true },
		{ "$$$ Make money $$$", false, true, false },
		{ "Price in $ and %", false, false, false },      /* no figure */
		{ "Hello!", false, false, false },
		{ "Hello! Really!", false, true, false },
		{ "", false, false, false },
		{ "\xc3\x89T\xc3\x89 CAF\xc3\x89 SOLDES ENCORE", true, false, false },  /* 8-bit bytes are no letters */
	};
	static const struct { const char *s; bool bad; } mid[] = {
		{ "<1234.5678@mail.example>", false },
		{ " <a@b> ", false },
		{ "<a.b.c@[192.0.2.1]>", false },
		{ "<no-domain-here>", true },
		{ "1234@mail.example", true },                      /* no brackets */
		{ "<@mail.example>", true },
		{ "<local@>", true },
		{ "<a@b@c>", true },
		{ "<a b@c>", true },
		{ "<a@b> <c@d>", true },
		{ "<>", true },
		{ "", true },
		{ "<a\x01@b>", true },
	};
	static const struct { const char *name, *v; bool high; } pri[] = {
		{ "X-Priority", "1 (Highest)", true },
		{ "X-Priority", "1", true },
		{ "X-Priority", "3 (Normal)", false },
		{ "X-Priority", "10", false },
		{ "X-MSMail-Priority", "High", true },
		{ "Importance", "high", true },
		{ "Priority", "urgent", true },
		{ "Priority", "normal", false },
		{ "Importance", "hi", false },
		{ "Subject", "1", false },
		{ "X-Priority", "", false },
	};
	static const struct { const char *h; bool ip; } hosts[] = {
		{ "192.0.2.77", true }, { "10.1.2.3", true }, { "1.2.3", false },
		{ "1.2.3.4.5", false }, { "1.2.3.example", false }, { "www.example", false }, { "", false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(subj); i++) {
		size_t n = strlen(subj[i].s);
		if (spam_subject_caps(subj[i].s, n) != subj[i].caps ||
		    spam_subject_shout(subj[i].s, n) != subj[i].shout ||
		    spam_subject_money(subj[i].s, n) != subj[i].money)
			fail_msg("subject row %zu \"%s\"", i, subj[i].s);
	}
	for (size_t i = 0; i < NELEM(mid); i++)
		if (spam_msgid_invalid(mid[i].s, strlen(mid[i].s)) != mid[i].bad)
			fail_msg("message-id row %zu \"%s\"", i, mid[i].s);
	for (size_t i = 0; i < NELEM(pri); i++)
		if (spam_priority_high(pri[i].name, pri[i].v, strlen(pri[i].v)) != pri[i].high)
			fail_msg("priority row %zu", i);
	for (size_t i = 0; i < NELEM(hosts); i++)
		if (spam_host_is_ip(hosts[i].h, strlen(hosts[i].h)) != hosts[i].ip)
			fail_msg("host row %zu \"%s\"", i, hosts[i].h);
	assert_true(spam_to_undisclosed("undisclosed-recipients:;", 24));
	assert_true(spam_to_undisclosed("Recipient List Suppressed:;", 27));
	assert_false(spam_to_undisclosed("friends:;", 9));
	assert_false(spam_to_undisclosed("a@b.example", 11));
	/* the length bounds the reads: "1" of "12" is X-Priority 1 */
	assert_true(spam_priority_high("X-Priority", "12", 1));
	assert_false(spam_priority_high("Priority", "urgent", 5));
	assert_false(spam_priority_high("Importance", "high", 3));
	assert_false(spam_msgid_invalid("<a@b>xyz", 5));
	/* Outlook's Message-ID: 8 or 12 hex digits, then two of 8 */
	assert_true(spam_msgid_dollars("<000801c22f5e$1e2d4c40$0b01a8c0@pc.example>", 43));
	assert_true(spam_msgid_dollars(" <001a01c22f5e$1e2d4c40$0b01a8c0@x>\r\n", 37));
	assert_true(spam_msgid_dollars("<0b01a8c0$1e2d4c40$0b01a8c0@x>", 30));
	assert_false(spam_msgid_dollars("<001e01d5ea71$3e7e3a70$bb7aaf50$@example.com>", 45)); /* today's Outlook */
	assert_false(spam_msgid_dollars("<000801C22F5E$1E2D4C40$0B01A8C0@pc.example>", 43));
	assert_false(spam_msgid_dollars("<000801c22f5e$1e2d4c40$0b01a8c@pc.example>", 42));
	assert_false(spam_msgid_dollars("<000801c22f5e$1e2d4c40$0b01a8c0@>", 33));
	assert_false(spam_msgid_dollars("<000801c22f5e$1e2d4c40$0b01a8c0@a b>", 36));
	assert_false(spam_msgid_dollars("<000801c22f5e$1e2d4c40$0b01a8c0@x>", 30)); /* cut by len */
	assert_false(spam_msgid_dollars("<", 1));
	assert_true(spam_mailer_oe("Microsoft Outlook Express 6.00.2600.0000", 40));
	assert_true(spam_mailer_oe("Microsoft Outlook Express 5.50.4133.2400", 40));
	assert_false(spam_mailer_oe("Microsoft Outlook Express 7.0", 29));
	assert_false(spam_mailer_oe("Microsoft Outlook 16.0", 22));
	assert_false(spam_mailer_oe("Outlook Express 6", 17));
	/* the zone: more than 14 hours, or minutes no place uses */
	assert_false(spam_date_zone_odd(0));
	assert_false(spam_date_zone_odd(14 * 3600));
	assert_false(spam_date_zone_odd(-(5 * 3600 + 30 * 60)));
	assert_false(spam_date_zone_odd(5 * 3600 + 45 * 60));
	assert_true(spam_date_zone_odd(14 * 3600 + 30 * 60));
	assert_true(spam_date_zone_odd(-(17 * 3600)));
	assert_true(spam_date_zone_odd(3 * 3600 + 13 * 60));
}

/* One message's text parts through spam_content, in chunks of every size
 * from 1 byte: the rules that fire. */
struct content_part { bool html, base64; const char *text; };

static void
content_run(const struct content_part *parts, size_t np, size_t chunk, struct spam_hits *h)
{
	struct spam_content sc;

	memset(&sc, 0, sizeof(sc));
	memset(h, 0, sizeof(*h));
	spam_content_header(&sc, "Message-ID", "<1@x.example>", 13);
	spam_content_header(&sc, "MIME-Version", "1.0", 3);
	for (size_t i = 0; i < np; i++) {
		size_t n = strlen(parts[i].text);
		spam_content_part(&sc, parts[i].html, parts[i].base64);
		for (size_t off = 0; off < n; off += chunk)
			spam_content_text(&sc, (const unsigned char *)parts[i].text + off,
			    n - off < chunk ? n - off : chunk);
	}
	spam_content_hits(&sc, h);
}

static void
test_content_text(void **state)
{
	static const struct content_part three[] = {
		{ true, false, "<p>Act\r\n   <b>now</b>!</p> <p>RISK FREE</p> and no&nbsp;obligation, <i>no\tobligation</i>" },
	};
	static const struct content_part two[] = {
		{ false, false, "Order now while\r\nsupplies last." },
	};
	static const struct content_part inside[] = {
		/* "contact now", "lowest ratesheet"... inside words: no phrase */
		{ false, false, "please contact now. fact now. xact now" },
	};
	static const struct content_part image[] = {
		{ true, false, "<html><body><IMG src=\"http://x.example/a.gif\"><br>Click</body></html>" },
	};
	static const struct content_part image_text[] = {
		{ true, false, "<img src=\"a.gif\">" },
		{ false, false, "This message has plenty of text in its plain part. This message has plenty "
		  "of text in its plain part. This message has plenty of text in its plain part. This message "
		  "has plenty of text in its plain part. And more words here, more than 200 bytes of them "
		  "in all: the image is not all there is." },
	};
	static const struct content_part imgur[] = {
		{ true, false, "<imgur>no image</imgur><image>" },   /* not an <img> tag */
	};
	static const struct content_part b64_ascii[] = {
		{ false, true, "plain words" },
	};
	static const struct content_part b64_utf8[] = {
		{ false, true, "caf\xc3\xa9" },
	};
	static const struct content_part b64_both[] = {
		{ false, true, "caf\xc3\xa9" }, { false, true, "plain" },
	};
	static const struct content_part b64_empty[] = {
		{ false, true, "" },
	};
	static const struct {
		const struct content_part *p;
		size_t np;
		int want[3];                 /* rules that fire, -1 ends */
	} rows[] = {
		{ three, NELEM(three), { SR_BODY_PHRASES, -1, -1 } },
		{ two, NELEM(two), { SR_BODY_PHRASE, -1, -1 } },
		{ inside, NELEM(inside), { -1, -1, -1 } },
		{ image, NELEM(image), { SR_HTML_IMAGE_TEXT, -1, -1 } },
		{ image_text, NELEM(image_text), { -1, -1, -1 } },
		{ imgur, NELEM(imgur), { -1, -1, -1 } },
		{ b64_ascii, NELEM(b64_ascii), { SR_BASE64_TEXT, -1, -1 } },
		{ b64_utf8, NELEM(b64_utf8), { -1, -1, -1 } },
		{ b64_both, NELEM(b64_both), { SR_BASE64_TEXT, -1, -1 } },
		{ b64_empty, NELEM(b64_empty), { -1, -1, -1 } },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		for (size_t chunk = 1; chunk <= 300; chunk += chunk < 8 ? 1 : 37) {
			struct spam_hits h;
			size_t want = 0;

			content_run(rows[i].p, rows[i].np, chunk, &h);
			for (size_t k = 0; k < 3 && rows[i].want[k] >= 0; k++, want++)
				if (!spam_has_hit(&h, (size_t)rows[i].want[k]))
					fail_msg("content row %zu chunk %zu: rule %d missing", i, chunk, rows[i].want[k]);
			if (h.n != want)
				fail_msg("content row %zu chunk %zu: %zu hits, want %zu", i, chunk, h.n, want);
		}
	}
	/* the header facts */
	{
		struct spam_content sc;
		struct spam_hits h;

		memset(&sc, 0, sizeof(sc));
		memset(&h, 0, sizeof(h));
		spam_content_header(&sc, "Content-Type", "multipart/alternative; boundary=x", 33);
		spam_content_header(&sc, "Message-ID", "nodomain", 8);
		spam_content_header(&sc, "Cc", "Undisclosed recipients:;", 24);
		spam_content_header(&sc, "Subject", "WIN A FREE CRUISE!!! 100%", 25);
		spam_content_header(&sc, "Subject", "a second one is not read", 24);
		spam_content_header(&sc, "X-MSMail-Priority", "High", 4);
		spam_content_host(&sc, "203.0.113.9", 11);
		spam_content_hits(&sc, &h);
		assert_true(spam_has_hit(&h, SR_MIME_NO_VERSION));
		assert_true(spam_has_hit(&h, SR_MSGID_INVALID));
		assert_true(spam_has_hit(&h, SR_TO_UNDISCLOSED));
		assert_true(spam_has_hit(&h, SR_SUBJECT_CAPS));
		assert_true(spam_has_hit(&h, SR_SUBJECT_SHOUT));
		assert_true(spam_has_hit(&h, SR_SUBJECT_MONEY));
		assert_true(spam_has_hit(&h, SR_PRIORITY_HIGH));
		assert_true(spam_has_hit(&h, SR_URL_IP));
		assert_int_equal(h.n, 8);
		/* a plain text message with MIME-Version and no Message-ID: nothing */
		memset(&sc, 0, sizeof(sc));
		memset(&h, 0, sizeof(h));
		spam_content_header(&sc, "Content-Type", "text/plain", 10);
		spam_content_header(&sc, "Subject", "Lunch on Friday?", 16);
		spam_content_host(&sc, "www.example.org", 15);
		spam_content_hits(&sc, &h);
		assert_int_equal(h.n, 0);
	}
}

static void
collect_host(void *ctx, const char *host, size_t len, enum spam_uri_where where)
{
	strbuf *sb = ctx;

	assert_int_equal(strlen(host), len);
	if (sb->len)
		sb_putc(sb, ' ');
	sb_puts(sb, host);
	if (where != SPAM_URI_TEXT)
		sb_puts(sb, where == SPAM_URI_HREF ? "(href)" : "(shown)");
}

static void
test_uri_hosts(void **state)
{
	static const struct { const char *in, *want; } rows[] = {
		{ "see http://www.Example.COM/path", "www.example.com" },
		{ "<a href=\"https://shop.example.org:8443/x\">", "shop.example.org" },
		{ "HTTPS://user:pw@host.example/", "host.example" },
		{ "http://a.example http://b.example/", "a.example b.example" },
		{ "(http://c.example.)", "c.example" },
		{ "http://d.example", "d.example" },              /* open at the end */
		{ "http://localhost/ http:// http:///x", "" },     /* no dot, empty */
		{ "ftp://e.example/ mailto:f@g.example", "" },
		{ "httpx://h.example htt://i.example", "" },
		{ "xhttp://j.example", "j.example" },
		{ "http://[2001:db8::1]/", "" },
		{ "", "" },
	};
	static const size_t chunks[] = { 1, 3, 64, 100000 };
	char big[600];

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		for (size_t c = 0; c < NELEM(chunks); c++) {
			struct spam_uri_scan u = { 0 };
			size_t n = strlen(rows[i].in);
			strbuf sb;

			sb_init(&sb);
			for (size_t off = 0; off < n; off += chunks[c])
				spam_uri_feed(&u, (const unsigned char *)rows[i].in + off,
				    n - off < chunks[c] ? n - off : chunks[c], collect_host, &sb);
			spam_uri_finish(&u, collect_host, &sb);
			if (strcmp(sb.s ? sb.s : "", rows[i].want) != 0)
				fail_msg("row %zu chunk %zu: got \"%s\"", i, chunks[c], sb.s ? sb.s : "");
			sb_free(&sb);
		}
	}
	/* a host longer than 253 bytes is ignored, the next one is found */
	memcpy(big, "http://", 7);
	memset(big + 7, 'a', 300);
	strcpy(big + 307, ".example/ http://k.example/");
	{
		struct spam_uri_scan u = { 0 };
		strbuf sb;
		sb_init(&sb);
		spam_uri_feed(&u, (const unsigned char *)big, strlen(big), collect_host, &sb);
		spam_uri_finish(&u, collect_host, &sb);
		assert_string_equal(sb.s, "k.example");
		sb_free(&sb);
	}
	{
		char rd[254];
		assert_true(spam_registered_domain("shop.spamvertised.co.uk", rd, sizeof(rd)));
		assert_string_equal(rd, "spamvertised.co.uk");
		assert_true(spam_registered_domain("a.b.example.com", rd, sizeof(rd)));
		assert_string_equal(rd, "example.com");
		assert_false(spam_registered_domain("co.uk", rd, sizeof(rd)));
	}
}

static void
test_uri_html(void **state)
{
	static const struct { const char *in, *want; } rows[] = {
		{ "<a href=\"http://evil.example/x\">http://www.bank.example/</a>",
		  "evil.example(href) www.bank.example(shown)" },
		{ "<A HREF=https://a.example>see</a> http://b.example", "a.example(href) b.example" },
		{ "<abbr>http://c.example</abbr>", "c.example" },
		{ "<a name=\"x\">http://d.example</a> http://e.example", "d.example(shown) e.example" },
		{ "<p><a\nhref='http://f.example/'>x</a></p>", "f.example(href)" },
		{ "<a href=\"http://g.example\"><b>http://h.example</b></a>", "g.example(href) h.example(shown)" },
		{ "<a href=\"http://g.example\"><img src=\"http://img.i.example/b.gif\">http://j.example</a>",
		  "g.example(href) img.i.example j.example(shown)" },   /* an attribute is not shown */
		{ "</a><a>", "" },
	};
	static const size_t chunks[] = { 1, 3, 64, 100000 };

	static const struct { const char *in; bool hidden; } hrows[] = {
		{ "<div style=\"display: none\">buy</div>", true },
		{ "<span style='VISIBILITY:hidden'>x</span>", true },
		{ "<font style=\"font-size:0px\">x</font>", true },
		{ "<p style=\"font-size: 0;\">x</p>", true },
		{ "<p style=\"font-size:0\">x</p>", true },
		{ "<p style=\"font-size:10px\">x</p>", false },
		{ "<p style=\"display:none-ish\">", true },     /* crude on purpose */
		{ "display:none in the text, not in a tag", false },
		{ "<p>font-size:0;</p>", false },
		{ "", false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(hrows); i++) {
		for (size_t c = 0; c < NELEM(chunks); c++) {
			struct spam_uri_scan u = { 0 };
			size_t n = strlen(hrows[i].in);
			strbuf sb;

			u.html = true;
			sb_init(&sb);
			for (size_t off = 0; off < n; off += chunks[c])
				spam_uri_feed(&u, (const unsigned char *)hrows[i].in + off,
				    n - off < chunks[c] ? n - off : chunks[c], collect_host, &sb);
			if (u.hidden != hrows[i].hidden)
				fail_msg("hidden row %zu chunk %zu", i, chunks[c]);
			spam_uri_finish(&u, collect_host, &sb);
			sb_free(&sb);
		}
	}
	for (size_t i = 0; i < NELEM(rows); i++) {
		for (size_t c = 0; c < NELEM(chunks); c++) {
			struct spam_uri_scan u = { 0 };
			size_t n = strlen(rows[i].in);
			strbuf sb;

			u.html = true;
			sb_init(&sb);
			for (size_t off = 0; off < n; off += chunks[c])
				spam_uri_feed(&u, (const unsigned char *)rows[i].in + off,
				    n - off < chunks[c] ? n - off : chunks[c], collect_host, &sb);
			spam_uri_finish(&u, collect_host, &sb);
			if (strcmp(sb.s ? sb.s : "", rows[i].want) != 0)
				fail_msg("html row %zu chunk %zu: got \"%s\"", i, chunks[c], sb.s ? sb.s : "");
			sb_free(&sb);
		}
	}
}

static void
test_dates(void **state)
{
	static const struct { const char *in; long long want; } rows[] = {
		{ "Thu, 3 Dec 2026 08:00:00 +0000", 1796284800LL },
		{ "3 Dec 2026 08:00 +0000", 1796284800LL },
		{ "Thu, 03 Dec 2026 09:00:00 +0100", 1796284800LL },
		{ "Thu,  3 Dec 2026 03:00:00 -0500 (EST)", 1796284800LL },
		{ "Thu, 3 Dec 2026 03:00:00 EST", 1796284800LL },
		{ "thu, 3 dec 2026 08:00:00 GMT", 1796284800LL },
		{ "Thu, 3 Dec 26 08:00:00 UT", 1796284800LL },       /* two-digit year */
		{ "Fri, 21 Nov 1997 09:55:06 -0600", 880127706LL },  /* RFC 5322 A.1.1 */
		{ "Tue, 1 Jul 2003 10:52:37 +0200", 1057049557LL },  /* A.1.2 */
		{ "Thu, 13 Feb 1969 23:32:54 -0330", -27723426LL },  /* A.5 */
		{ "21 Nov 97 09:55:06 GMT", 880106106LL },           /* A.6.2 */
		{ "Fri, 21 Nov 1997 09:55:06 Z", 880106106LL },
		{ "Thu, 3 Dec 2026 08:00:60 +0000", 1796284860LL },  /* leap second */
		{ "", -1 }, { "yesterday", -1 }, { "Thu 3 Dec 2026 08:00 +0000", -1 },
		{ "Thu, 32 Dec 2026 08:00 +0000", -1 }, { "Thu, 3 Dek 2026 08:00 +0000", -1 },
		{ "Thu, 3 Dec 2026 24:00 +0000", -1 }, { "Thu, 3 Dec 2026 08:60 +0000", -1 },
		{ "Thu, 3 Dec 2026 08:00 +2400", -1 }, { "Thu, 3 Dec 2026 08:00 +000", -1 },
		{ "Thu, 3 Dec 2026 08:00", -1 }, { "Thu, 3 Dec 2026 08:00 +0000 x", -1 },
		{ "Thu, 3 Dec 2026 08:00 XYZ", -1 }, { "Thu, 3 Dec 12026 08:00 +0000", -1 },
		{ "Thu, 3 December 2026 08:00 +0000", -1 }, { "Thu, 3 Dec 2026 8 +0000", -1 },
		{ "Thu, 3 Dec 2026 08:00:0 +0000", -1 }, { "Thu, 3 Dec 2026 08:00 (unclosed", -1 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		time_t t = 0;
		bool ok = spam_parse_date(rows[i].in, strlen(rows[i].in), &t, NULL);
		if (ok != (rows[i].want != -1) || (ok && (long long)t != rows[i].want))
			fail_msg("date row %zu \"%s\": ok=%d t=%lld", i, rows[i].in, ok, (long long)t);
	}
	{
		time_t t;
		long zone = 1;
		/* never past len */
		assert_true(spam_parse_date("3 Dec 2026 08:00 +0000garbage", 22, &t, NULL));
		assert_true(spam_parse_date("3 Dec 2026 08:00 -0530", 22, &t, &zone) && zone == -19800);
		assert_true(spam_parse_date("3 Dec 2026 08:00 +1700", 22, &t, &zone) && zone == 61200 &&
		    spam_date_zone_odd(zone));
		assert_true(spam_parse_date("3 Dec 2026 08:00 EDT", 20, &t, &zone) && zone == -14400);
	}
}

static void
test_spamd_reply(void **state)
{
	static const struct { const char *in; enum spamd_status st; int score; bool spam; const char *sym; } rows[] = {
		{ "SPAMD/1.1 0 EX_OK\r\nContent-length: 24\r\nSpam: True ; 7.3 / 5.0\r\n\r\nMISSING_DATE,NO_RELAYS",
		  SPAMD_OK, 730, true, "MISSING_DATE,NO_RELAYS" },
		{ "SPAMD/1.5 0 EX_OK\r\nSpam: False ; -1.2 / 5.0\r\n\r\n", SPAMD_OK, -120, false, "" },
		{ "SPAMD/1.1 0 EX_OK\nspam: yes ; 1000.0 / 5.0\n\n", SPAMD_OK, 100000, false, "" },
		{ "SPAMD/1.1 0\r\nSpam: True ; 5 / 5\r\n\r\n", SPAMD_OK, 500, true, "" },
		{ "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.3 / 5.0\r\n\r\nA\x01\"B", SPAMD_OK, 730, true, "A??B" },
		/* malformed or refused */
		{ "", SPAMD_PROTOCOL, 0, false, NULL },
		{ "SPAMD/1.1 76 EX_PROTOCOL\r\n\r\n", SPAMD_PROTOCOL, 0, false, NULL },
		{ "SPAMD/1.1 0 EX_OK\r\n\r\nBODY", SPAMD_PROTOCOL, 0, false, NULL },       /* no Spam: */
		{ "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.3 / 5.0", SPAMD_PROTOCOL, 0, false, NULL },  /* cut */
		{ "SPAMD/1.1 0 EX_OK\r\nSpam: True 7.3 / 5.0\r\n\r\n", SPAMD_PROTOCOL, 0, false, NULL },
		{ "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.3\r\n\r\n", SPAMD_PROTOCOL, 0, false, NULL },
		{ "SPAMD/1.1 0 EX_OK\r\nSpam: True ; seven / 5.0\r\n\r\n", SPAMD_PROTOCOL, 0, false, NULL },
		{ "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.3x / 5.0\r\n\r\n", SPAMD_PROTOCOL, 0, false, NULL },
		{ "SPAMD/1.1 0 EX_OK\r\nSpam: True ; / 5.0\r\n\r\n", SPAMD_PROTOCOL, 0, false, NULL },
		{ "HTTP/1.1 200 OK\r\nSpam: True ; 7.3 / 5.0\r\n\r\n", SPAMD_PROTOCOL, 0, false, NULL },
		{ "SPAMD/1.1 00 EX_OK\r\nSpam: True ; 7.3 / 5.0\r\n\r\n", SPAMD_PROTOCOL, 0, false, NULL },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		struct spamd_result r;
		enum spamd_status st = spamd_reply_parse(rows[i].in, strlen(rows[i].in), &r);

		if (st != rows[i].st)
			fail_msg("row %zu: status %d, want %d", i, (int)st, (int)rows[i].st);
		if (st == SPAMD_OK && (r.score != rows[i].score || r.spam != rows[i].spam ||
		    strcmp(r.symbols, rows[i].sym) != 0))
			fail_msg("row %zu: score %d spam %d symbols \"%s\"", i, r.score, r.spam, r.symbols);
	}
	/* never past len: a whole reply, cut before its blank line */
	{
		static const char full[] = "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 7.3 / 5.0\r\n\r\n";
		struct spamd_result r;
		assert_int_equal(spamd_reply_parse(full, strlen(full) - 4, &r), SPAMD_PROTOCOL);
	}
	{
		static const struct { const char *in; bool ok; int family; } arows[] = {
			{ "127.0.0.1:783", true, AF_INET }, { "[::1]:783", true, AF_INET6 },
			{ "::1:783", false, 0 }, { "localhost:783", false, 0 }, { "127.0.0.1", false, 0 },
			{ "127.0.0.1:", false, 0 }, { "127.0.0.1:0", false, 0 }, { "127.0.0.1:65536", false, 0 },
			{ "127.0.0.1:78x", false, 0 }, { "[::1]783", false, 0 }, { ":783", false, 0 }, { "", false, 0 },
		};
		for (size_t i = 0; i < NELEM(arows); i++) {
			struct spamd_addr a;
			bool ok = spamd_addr_parse(arows[i].in, &a);
			if (ok != arows[i].ok || (ok && a.family != arows[i].family))
				fail_msg("addr row %zu \"%s\"", i, arows[i].in);
		}
	}
}

static struct policy_set *
load_policies(const char *text, char **errs)
{
	char *dir = tu_mkdtemp();
	struct ct_errors e;
	struct policy_set *ps;

	free(tu_write(dir, "default.conf", text));
	ct_errors_init(&e);
	ps = policy_set_load(dir, &e);
	*errs = e.text.s != NULL ? xstrdup(e.text.s) : NULL;
	ct_errors_free(&e);
	tu_rmdir(dir);
	return ps;
}

static void
test_policy_keys(void **state)
{
	static const struct { const char *text; const char *err; } rows[] = {
		{ "spam = { tag = 4.5; reject = 12; quarantine = \"8\"; };\n", NULL },
		{ "spam = { tag = \"off\"; outbound_reject = -2; };\n", NULL },
		{ "spam = { scores = [ \"spf_fail=3\", \"dnsbl_bl=-1.5\" ]; };\n", NULL },
		{ "spam = { subject_prefix = \"[SPAM]\"; dnsbl_reject = [ \"bl\" ]; };\n", NULL },
		{ "spam = { tag = 4.567; };\n", ":1: spam.tag: expected a score" },
		{ "spam = { tag = 2000; };\n", ":1: spam.tag: expected a score" },
		{ "spam = { tag = \"five\"; };\n", ":1: spam.tag: expected a score" },
		{ "spam = { tag = true; };\n", ":1: spam.tag:" },
		{ "spam = { reject = \"\"; };\n", ":1: spam.reject: expected a score" },
		{ "\nspam = { scores = [ \"spf_fail\" ]; };\n", ":2: spam.scores: element 1: \"spf_fail\": expected \"rule=score\"" },
		{ "spam = { scores = [ \"SPF_FAIL=1\" ]; };\n", ":1: spam.scores: element 1" },
		{ "spam = { scores = [ \"spf_fail=1\", \"=1\" ]; };\n", ":1: spam.scores: element 2" },
		{ "spam = { scores = [ \"spf_fail=1.234\" ]; };\n", ":1: spam.scores: element 1" },
		{ "spam = { scores = [ \"spf-fail=1\" ]; };\n", ":1: spam.scores: element 1" },
		{ "spam = { scores = [ 3 ]; };\n", ":1: spam.scores: element 1: expected a string" },
		{ "spam = { nosuch = 1; };\n", "spam.nosuch" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char *errs = NULL;
		struct policy_set *ps = load_policies(rows[i].text, &errs);

		if (rows[i].err == NULL) {
			if (ps == NULL)
				fail_msg("row %zu: %s", i, errs);
		} else if (ps != NULL || errs == NULL || strstr(errs, rows[i].err) == NULL) {
			fail_msg("row %zu: want \"%s\", got \"%s\"", i, rows[i].err, errs ? errs : "(none)");
		}
		policy_set_free(ps);
		free(errs);
	}
}

static void
test_config_lists(void **state)
{
	static const struct { const char *text; const char *err; } rows[] = {
		{ "spam = { dnsbl = [ \"bl bl.example score=4\", \"wl wl.example score=-2 codes=127.0.10.2\" ]; };", NULL },
		{ "spam = { spamd = \"127.0.0.1:783\"; };", NULL },
		{ "spam = { dnsbl = [ \"bl bl.example\" ]; };", "spam.dnsbl: element 1: score= is missing" },
		{ "spam = { dnsbl = [ \"bl bl.example score=1\", \"bl x.example score=1\" ]; };", "spam.dnsbl: element 2:" },
		{ "spam = { spamd = \"localhost\"; };", "spam.spamd:" },
		{ "spam = { spamd = \"127.0.0.1:99999\"; };", "spam.spamd:" },
		{ "spam = { spamd_timeout = 5; };", "spam.spamd_timeout" },
	};
	static const struct { const char *conf, *policy, *err; } prow[] = {
		{ "spam = { dnsbl = [ \"bl bl.example score=4\" ]; };",
		  "spam = { scores = [ \"dnsbl_bl=1\", \"spf_fail=3\" ]; dnsbl_reject = [ \"bl\" ]; };", NULL },
		{ "", "spam = { scores = [ \"dnsbl_bl=1\" ]; };", "default.conf:0: spam.scores: unknown rule \"dnsbl_bl\"" },
		{ "", "spam = { scores = [ \"spf_fial=1\" ]; };", "spam.scores: unknown rule \"spf_fial\"" },
		{ "", "spam = { dnsbl_reject = [ \"bl\" ]; };", "spam.dnsbl_reject: \"bl\" is not the name of a spam.dnsbl list" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char *dir = tu_mkdtemp(), *pdir = tu_mkdtemp(), *conf, *pol;
		struct ct_errors e;
		struct snapshot *s;
		char text[1024];

		pol = tu_write(pdir, "default.conf", "");
		*strrchr(pol, '/') = '\0';
		snprintf(text, sizeof(text), "policy_dir = \"%s\";\n%s\n", pol, rows[i].text);
		conf = tu_write(dir, "postern.conf", text);
		ct_errors_init(&e);
		s = snapshot_build(conf, &e);
		if (rows[i].err == NULL ? s == NULL :
		    (s != NULL || e.text.s == NULL || strstr(e.text.s, rows[i].err) == NULL))
			fail_msg("row %zu: want %s, got %s", i, rows[i].err ? rows[i].err : "success",
			    e.text.s ? e.text.s : "(none)");
		if (s != NULL)
			snapshot_release(s);
		ct_errors_free(&e);
		free(conf);
		free(pol);
		tu_rmdir(dir);
		tu_rmdir(pdir);
	}
	for (size_t i = 0; i < NELEM(prow); i++) {
		char *dir = tu_mkdtemp(), *pdir = tu_mkdtemp(), *conf, *pol;
		struct ct_errors e;
		struct snapshot *s;
		char text[1024];

		pol = tu_write(pdir, "default.conf", prow[i].policy);
		*strrchr(pol, '/') = '\0';
		snprintf(text, sizeof(text), "policy_dir = \"%s\";\n%s\n", pol, prow[i].conf);
		conf = tu_write(dir, "postern.conf", text);
		ct_errors_init(&e);
		s = snapshot_build(conf, &e);
		if (prow[i].err == NULL ? s == NULL :
		    (s != NULL || e.text.s == NULL || strstr(e.text.s, prow[i].err) == NULL))
			fail_msg("policy row %zu: want %s, got %s", i, prow[i].err ? prow[i].err : "success",
			    e.text.s ? e.text.s : "(none)");
		if (s != NULL)
			snapshot_release(s);
		ct_errors_free(&e);
		free(conf);
		free(pol);
		tu_rmdir(dir);
		tu_rmdir(pdir);
	}
}

/* The free mail services and their relays (freemail_forged) */
static void
test_freemail(void **state)
{
	int hot = spam_freemail_service("hotmail.com"), yahoo = spam_freemail_service("yahoo.co.uk");
	const char *r;

	(void)state;
	assert_true(hot >= 0 && yahoo >= 0 && hot != yahoo);
	assert_int_equal(spam_freemail_service("HotMail.COM"), hot);
	assert_int_equal(spam_freemail_service("msn.com"), hot);
	assert_int_equal(spam_freemail_service("ymail.com"), yahoo);
	assert_int_equal(spam_freemail_service("hotmail.com.example"), -1);
	assert_int_equal(spam_freemail_service("mail.hotmail.com"), -1);
	assert_int_equal(spam_freemail_service(""), -1);
	r = "from mail pickup service by hotmail.com with Microsoft SMTPSVC; Mon, 1 Jul 2002";
	assert_int_equal(spam_freemail_relays(r, strlen(r)), 1u << hot);
	r = "from [192.0.2.1] by web12.mail.YAHOO.COM. via HTTP";
	assert_int_equal(spam_freemail_relays(r, strlen(r)), 1u << yahoo);
	r = "from n25.grp.scd.yahoo.com (n25.grp.scd.yahoo.com [66.218.66.81]) by x.example";
	assert_int_equal(spam_freemail_relays(r, strlen(r)), 1u << yahoo);
	/* a look-alike is not the service: a label boundary is needed */
	r = "from fakehotmail.com (notyahoo.com.example [192.0.2.9]) by mx.example";
	assert_int_equal(spam_freemail_relays(r, strlen(r)), 0);
	r = "from hotmail (unknown [192.0.2.9]) by mx.example with SMTP";
	assert_int_equal(spam_freemail_relays(r, strlen(r)), 0);
	/* two services in one field; the length bounds the read */
	r = "from mta1.outlook.com by mx.aol.com";
	assert_int_equal(spam_freemail_relays(r, strlen(r)),
	    1u << hot | 1u << spam_freemail_service("aol.com"));
	assert_int_equal(spam_freemail_relays(r, 21), 1u << hot);
	assert_int_equal(spam_freemail_relays(r, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_score),
		cmocka_unit_test(test_list_rows),
		cmocka_unit_test(test_rules_and_overrides),
		cmocka_unit_test(test_rules_build_errors),
		cmocka_unit_test(test_dnsbl_names),
		cmocka_unit_test(test_list_match),
		cmocka_unit_test(test_gtube),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_content_predicates),
		cmocka_unit_test(test_content_text),
		cmocka_unit_test(test_uri_hosts),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_freemail),
		cmocka_unit_test(test_uri_html),
		cmocka_unit_test(test_spamd_reply),
		cmocka_unit_test(test_policy_keys),
		cmocka_unit_test(test_config_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
