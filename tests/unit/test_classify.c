/* test_classify.c - the classifier: the chi-square combiner and its bands,
 * the tokenizer (charsets through iconv in any chunking, HTML reduced to
 * text, URLs and their domains, trace fields ignored, word / token / text
 * limits), chunking not changing the tokens, and the same messages giving
 * the same scores on LMDB and on a real Redis (started here), with a
 * message trained twice counted once, moved and forgotten. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "testredis.h"
#include "postern/check_bayes.h"
#include "postern/classify.h"
#include "postern/pipeline.h"
#include "postern/replay.h"
#include "postern/snapshot.h"
#include "postern/spam.h"
#include "postern/util.h"

static void
test_chi2q(void **state)
{
	(void)state;
	assert_true(fabs(spam_bayes_chi2q(0, 2) - 1.0) < 1e-12);
	assert_true(fabs(spam_bayes_chi2q(2, 2) - exp(-1)) < 1e-12);
	/* Q(4 | 4) = e^-2 (1 + 2) */
	assert_true(fabs(spam_bayes_chi2q(4, 4) - 3 * exp(-2)) < 1e-12);
	assert_true(spam_bayes_chi2q(1000, 10) < 1e-100);
	assert_true(spam_bayes_chi2q(5, 3) == 1.0);   /* odd v: not defined here */
}

static void
test_token_prob(void **state)
{
	static const struct { int64_t s, h, ns, nh; double p; } rows[] = {
		{ 0, 0, 10, 10, 0.5 },                       /* unknown */
		{ 5, 5, 0, 10, 0.5 },                        /* untrained */
		{ 10, 0, 10, 10, (0.45 * 0.5 + 10) / 10.45 },
		{ 0, 10, 10, 10, (0.45 * 0.5) / 10.45 },
		{ 1, 1, 10, 100, (0.45 * 0.5 + 2 * (0.1 / 0.11)) / 2.45 },
		{ 50, 0, 10, 10, (0.45 * 0.5 + 50) / 50.45 },  /* counts over the totals are capped */
		{ -3, 2, 10, 10, (0.45 * 0.5) / 2.45 },        /* negative (a forget race): zero */
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		double p = spam_bayes_token_prob(rows[i].s, rows[i].h, rows[i].ns, rows[i].nh);
		if (fabs(p - rows[i].p) > 1e-9)
			fail_msg("row %zu: %f, want %f", i, p, rows[i].p);
	}
}

static void
test_combine(void **state)
{
	int64_t sp[2 * SPAM_BAYES_MAX_DISCRIM], hm[2 * SPAM_BAYES_MAX_DISCRIM];
	unsigned used;
	double p;

	(void)state;
	for (int i = 0; i < 2 * SPAM_BAYES_MAX_DISCRIM; i++) {
		sp[i] = 40;
		hm[i] = 1;
	}
	p = spam_bayes_combine(sp, hm, 2 * SPAM_BAYES_MAX_DISCRIM, 100, 100, &used);
	assert_true(p > 0.999);
	assert_int_equal(used, SPAM_BAYES_MAX_DISCRIM);
	for (int i = 0; i < 2 * SPAM_BAYES_MAX_DISCRIM; i++) {
		sp[i] = 1;
		hm[i] = 40;
	}
	p = spam_bayes_combine(sp, hm, 2 * SPAM_BAYES_MAX_DISCRIM, 100, 100, &used);
	assert_true(p < 0.001);
	/* as much evidence each way (all of it used): unsure */
	for (int i = 0; i < SPAM_BAYES_MAX_DISCRIM / 2; i++) {
		sp[i] = 40;
		hm[i] = 1;
	}
	p = spam_bayes_combine(sp, hm, SPAM_BAYES_MAX_DISCRIM, 100, 100, &used);
	assert_true(p > 0.4 && p < 0.6);
	/* tokens near 0.5 are ignored: nothing counts */
	for (int i = 0; i < 200; i++)
		sp[i] = hm[i] = 7;
	p = spam_bayes_combine(sp, hm, 200, 100, 100, &used);
	assert_int_equal(used, 0);
	assert_true(p == 0.5);
	p = spam_bayes_combine(sp, hm, 0, 100, 100, &used);
	assert_true(p == 0.5 && used == 0);
}

static void
test_bands(void **state)
{
	static const struct { double p; size_t rule; } rows[] = {
		{ 0.0, SR_BAYES_00 }, { 0.0099, SR_BAYES_00 }, { 0.01, SR_BAYES_05 },
		{ 0.0999, SR_BAYES_05 }, { 0.1, SR_BAYES_20 }, { 0.4, SR_BAYES_50 }, { 0.5, SR_BAYES_50 },
		{ 0.6, SR_BAYES_50 }, { 0.61, SR_BAYES_80 }, { 0.9, SR_BAYES_95 }, { 0.99, SR_BAYES_99 },
		{ 0.9989, SR_BAYES_99 }, { 0.999, SR_BAYES_999 }, { 1.0, SR_BAYES_999 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++)
		if (spam_bayes_rule(rows[i].p) != rows[i].rule)
			fail_msg("row %zu: p=%f", i, rows[i].p);
}

/* ---- the tokenizer ----------------------------------------------------- */

static void
collect(void *ctx, const char *tok, size_t len)
{
	strbuf *sb = ctx;

	sb_putc(sb, '|');
	sb_append(sb, tok, len);
}

static bool
has(const strbuf *sb, const char *tok)
{
	char pat[300];

	snprintf(pat, sizeof(pat), "|%s|", tok);
	strbuf tmp;
	sb_init(&tmp);
	sb_append(&tmp, sb->s != NULL ? sb->s : "", sb->len);
	sb_putc(&tmp, '|');
	bool r = strstr(tmp.s, pat) != NULL;
	sb_free(&tmp);
	return r;
}

/* The tokens of one text part fed in chunks of `chunk` bytes (0: whole). */
static void
part_tokens(const char *type, const char *cs, const char *text, size_t len, size_t chunk, strbuf *out)
{
	struct spam_tok *t = spam_tok_new();

	spam_tok_set_trace(t, collect, out);
	spam_tok_part_begin(t, type, cs);
	if (chunk == 0)
		chunk = len;
	for (size_t i = 0; i < len; i += chunk)
		spam_tok_text(t, (const unsigned char *)text + i, len - i < chunk ? len - i : chunk);
	spam_tok_part_end(t);
	spam_tok_free(t);
}

static void
test_charsets(void **state)
{
	static const size_t chunks[] = { 0, 1, 3, 64 };
	/* "café crème" in ISO-8859-1, "привет мир" in KOI8-R, "hello world" in UTF-16LE */
	static const char latin1[] = "caf\xe9 cr\xe8me";
	static const char koi8[] = "\xd0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2";
	static const char u16[] = "h\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0";

	(void)state;
	for (size_t k = 0; k < NELEM(chunks); k++) {
		strbuf sb;
		sb_init(&sb);
		part_tokens("text/plain", "ISO-8859-1", latin1, sizeof(latin1) - 1, chunks[k], &sb);
		part_tokens("text/plain", "koi8-r", koi8, sizeof(koi8) - 1, chunks[k], &sb);
		part_tokens("text/plain", "UTF-16LE", u16, sizeof(u16) - 1, chunks[k], &sb);
		part_tokens("text/plain", "x-no-such-charset", "plain words", 11, chunks[k], &sb);
		/* an invalid UTF-8 byte in a declared charset is dropped, not fatal */
		part_tokens("text/plain", "utf-8", "abc\xff" "def ghi", 11, chunks[k], &sb);
		if (!has(&sb, "caf\xc3\xa9") || !has(&sb, "cr\xc3\xa8me") ||
		    !has(&sb, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82") ||
		    !has(&sb, "hello") || !has(&sb, "world") || !has(&sb, "cs:iso-8859-1") ||
		    !has(&sb, "cs-unknown:x-no-such-charset") || !has(&sb, "plain") ||
		    !has(&sb, "ghi"))
			fail_msg("chunk %zu: %s", chunks[k], sb.s);
		sb_free(&sb);
	}
}

static void
test_html(void **state)
{
	static const char html[] =
	    "<html><head><style>.x { color: red }</style><script>var secretword = 1;</script></head>"
	    "<body><p>Buy ch<b></b>eap <A HREF=\"http://www.spam.example.com/x?y\">now</a> today"
	    "<!-- hidden comment words --> &#86;iagra &amp; friends&nbsp;forever &bogus stuff"
	    "<img src='https://img.cdn.example.net/p.gif'> Visit www.other.example.org/page or mail"
	    " sales@shop.example.info</p></body></html>";
	static const size_t chunks[] = { 0, 1, 3, 64 };

	(void)state;
	for (size_t k = 0; k < NELEM(chunks); k++) {
		strbuf sb;
		sb_init(&sb);
		part_tokens("text/html", "us-ascii", html, sizeof(html) - 1, chunks[k], &sb);
		static const char *const want[] = {
			"buy", "cheap", "now", "today", "viagra", "friends", "forever", "url:www.spam.example.com",
			"url:spam.example.com", "url:example.com", "url:img.cdn.example.net", "url:example.net",
			"url:www.other.example.org", "urlp:page", "email:shop.example.info", "ct:text/html",
			"proto:http", "proto:https", "&bogus", "stuff",
		};
		static const char *const never[] = {
			"color", "red", "secretword", "hidden", "comment", "words", "url:com", "x-no", "tag:img",
			"tag:a", "urlp:x",
		};
		for (size_t i = 0; i < NELEM(want); i++)
			if (!has(&sb, want[i]))
				fail_msg("chunk %zu: no %s in %s", chunks[k], want[i], sb.s);
		for (size_t i = 0; i < NELEM(never); i++)
			if (has(&sb, never[i]))
				fail_msg("chunk %zu: %s in %s", chunks[k], never[i], sb.s);
		sb_free(&sb);
	}
}

/* A text/plain part that opens with an HTML tag is read as HTML (spam
 * without a Content-Type); "<snip>" or "<addr>" at the start stays text. */
static void
test_html_sniffed(void **state)
{
	static const struct {
		const char *text;
		const char *want, *never;
	} rows[] = {
		{ "\r\n  <HTML><FONT color=red>Cheap pills</FONT></HTML>", "cheap", "font" },
		{ "<!DOCTYPE html><p>Cheap <b>pills</b>", "pills", "doctype" },
		{ "<x-html><table border=1><tr><td>Cheap", "cheap", "border=1" },
		{ "<snip> the <font> tag is old", "snip", "tag:font" },
		{ "<snip> the <font> tag is old", "font", "tag:font" },
		{ "<john@example.org> wrote: cheap", "email:example.org", "tag:john" },
		{ "<verylongnamethatisnotatag> cheap", "skip:v20", "tag:x" },
		{ "Hello <html> in the middle", "html", "tag:x" },
		{ "<", "ct:text/plain", "tag:x" },
	};
	static const size_t chunks[] = { 0, 1, 2, 5 };

	(void)state;
	for (size_t r = 0; r < NELEM(rows); r++)
		for (size_t k = 0; k < NELEM(chunks); k++) {
			strbuf sb;
			sb_init(&sb);
			part_tokens("text/plain", "us-ascii", rows[r].text, strlen(rows[r].text), chunks[k], &sb);
			if (!has(&sb, rows[r].want) || has(&sb, rows[r].never))
				fail_msg("row %zu chunk %zu: want %s, never %s: %s", r, chunks[k], rows[r].want,
				    rows[r].never, sb.s);
			sb_free(&sb);
		}
}

/* In a list message, links and addresses to the hosts its List-* fields
 * name are the list's: no token; other links count, and without List-*
 * fields the same links count too. */
static void
test_list_links(void **state)
{
	static const char body[] = "Cheap pills at http://www.pills.example.com/buy now\n"
	    "http://xent.com/mailman/listinfo/fork mail fork-admin@xent.com or HTTPS://LISTS.SF.NET/x\n";

	(void)state;
	for (int list = 0; list <= 1; list++) {
		struct spam_tok *t = spam_tok_new();
		strbuf sb;
		const char *v;

		sb_init(&sb);
		spam_tok_set_trace(t, collect, &sb);
		if (list) {
			v = "<http://xent.com/mailman/listinfo/fork>, <mailto:fork-request@xent.com?subject=x>";
			spam_tok_header(t, "List-Unsubscribe", v, strlen(v));
			v = "<mailto:Fork@Lists.SF.Net>";
			spam_tok_header(t, "List-Post", v, strlen(v));
		}
		spam_tok_part_begin(t, "text/plain", "us-ascii");
		spam_tok_text(t, (const unsigned char *)body, sizeof(body) - 1);
		spam_tok_part_end(t);
		spam_tok_free(t);
		assert_true(has(&sb, "url:www.pills.example.com") && has(&sb, "urlp:buy") &&
		    has(&sb, "cheap"));
		if (list)
			assert_false(has(&sb, "url:xent.com") || has(&sb, "urlp:listinfo") ||
			    has(&sb, "urlp:mailman") || has(&sb, "email:xent.com") ||
			    has(&sb, "url:lists.sf.net"));
		else
			assert_true(has(&sb, "url:xent.com") && has(&sb, "urlp:listinfo") &&
			    has(&sb, "email:xent.com") && has(&sb, "url:lists.sf.net"));
		sb_free(&sb);
	}
}

static void
test_headers(void **state)
{
	struct spam_tok *t = spam_tok_new();
	strbuf sb;
	const char *v;

	(void)state;
	sb_init(&sb);
	spam_tok_set_trace(t, collect, &sb);
	v = "Cheap watches for you";
	spam_tok_header(t, "Subject", v, strlen(v));
	v = "Yes, score=99 tests=SECRETRULE";
	spam_tok_header(t, "X-Spam-Status", v, strlen(v));
	v = "from mx.example.net (mx.example.net [192.0.2.77]) by us";
	spam_tok_header(t, "Received", v, strlen(v));
	v = "from inner.example.org by mx.example.net";
	spam_tok_header(t, "Received", v, strlen(v));
	v = "<fork.xent.com>";
	spam_tok_header(t, "List-Id", v, strlen(v));
	spam_tok_header(t, "X-BeenThere", "fork@xent.com", 13);
	spam_tok_header(t, "Sender", "fork-admin@xent.com", 19);
	spam_tok_header(t, "X-Mailman-Version", "2.0.11", 6);
	spam_tok_header(t, "Precedence", "bulk", 4);
	spam_tok_header(t, "X-Mailing-List", "<fork@xent.com>", 15);
	spam_tok_header(t, "X-Status", "fork", 4);
	spam_tok_header(t, "X-Keywords", "fork", 4);
	spam_tok_header(t, "X-Mozilla-Status2", "fork", 4);
	spam_tok_header(t, "LIST-UNSUBSCRIBE", "<mailto:fork-request@xent.com>", 30);
	v = "<1234.5678@mailer.example.com>";
	spam_tok_header(t, "Message-ID", v, strlen(v));
	v = "no-at-sign";
	spam_tok_header(t, "Message-ID", v, strlen(v));
	v = "\"Shop\" <deals@shop.example.com>";
	spam_tok_header(t, "From", v, strlen(v));
	spam_tok_free(t);
	assert_true(has(&sb, "subject:cheap") && has(&sb, "subject:watches") && has(&sb, "subject:you"));
	assert_true(!has(&sb, "hdr:x-spam-status") && has(&sb, "hdr:subject") && has(&sb, "hdr:from"));
	assert_false(has(&sb, "x-spam-status:score=99") || strstr(sb.s, "secretrule") != NULL);
	/* route fields (Received, list and delivery fields) give no token */
	assert_false(strstr(sb.s, "received") != NULL || strstr(sb.s, "192.0.2") != NULL ||
	    strstr(sb.s, "list-") != NULL || strstr(sb.s, "fork") != NULL ||
	    strstr(sb.s, "sender") != NULL || strstr(sb.s, "x-mailman") != NULL ||
	    strstr(sb.s, "bulk") != NULL || strstr(sb.s, "status") != NULL ||
	    strstr(sb.s, "keywords") != NULL);
	assert_true(has(&sb, "message-id:@mailer.example.com") && has(&sb, "message-id:invalid"));
	assert_false(has(&sb, "message-id:1234.5678"));
	assert_true(has(&sb, "from:deals@shop.example.com") && has(&sb, "from:email:shop.example.com"));
	sb_free(&sb);
}

/* A word with punctuation inside gives its letter/digit pieces too (3
 * bytes or more); plain words and addresses do not. */
static void
test_sub_words(void **state)
{
	static const char text[] = "FREE!!! v-i-a-g-r-a $19.95/month click.here "
	    "deals@shop.example.com plainword e-mail";
	struct spam_tok *t = spam_tok_new();
	strbuf sb;
	const char *v;

	(void)state;
	sb_init(&sb);
	part_tokens("text/plain", "", text, sizeof(text) - 1, 0, &sb);
	assert_true(has(&sb, "free!!!") && has(&sb, "free"));
	assert_true(has(&sb, "v-i-a-g-r-a") && !has(&sb, "v") && !has(&sb, "a"));
	assert_true(has(&sb, "$19.95/month") && has(&sb, "month") && !has(&sb, "19") && !has(&sb, "95"));
	assert_true(has(&sb, "click.here") && has(&sb, "click") && has(&sb, "here"));
	assert_true(has(&sb, "deals@shop.example.com") && !has(&sb, "deals") && !has(&sb, "shop"));
	assert_true(has(&sb, "plainword") && has(&sb, "e-mail") && has(&sb, "mail") && !has(&sb, "e"));
	/* the same in a header field, under the field's prefix */
	sb_reset(&sb);
	spam_tok_set_trace(t, collect, &sb);
	v = "Re: [ilug] FREE!!! offer";
	spam_tok_header(t, "Subject", v, strlen(v));
	assert_true(has(&sb, "subject:free!!!") && has(&sb, "subject:free") && has(&sb, "subject:offer"));
	assert_true(!has(&sb, "free"));
	spam_tok_free(t);
	sb_free(&sb);
}

static void
test_limits(void **state)
{
	struct spam_tok *t = spam_tok_new();
	strbuf text, sb;
	char w[64];
	uint64_t *h;

	(void)state;
	sb_init(&text);
	sb_init(&sb);
	/* a word over SPAM_TOK_MAX_LEN is one skip: token; a run over the run
	 * buffer is cut, never overflows */
	part_tokens("text/plain", "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ab abc", 58, 0, &sb);
	assert_true(has(&sb, "skip:a50") && has(&sb, "abc") && !has(&sb, "ab"));
	for (int i = 0; i < 3000; i++)
		sb_putc(&text, 'x');
	sb_reset(&sb);
	part_tokens("text/plain", "", text.s, text.len, 7, &sb);
	assert_true(has(&sb, "skip:x250"));
	/* distinct tokens are bounded */
	sb_reset(&text);
	for (int i = 0; i < 10000; i++) {
		snprintf(w, sizeof(w), "word%d ", i);
		sb_puts(&text, w);
	}
	spam_tok_part_begin(t, "text/plain", "");
	spam_tok_text(t, (const unsigned char *)text.s, text.len);
	spam_tok_part_end(t);
	assert_int_equal(spam_tok_count(t), SPAM_TOK_MAX_TOKENS);
	assert_true(spam_tok_truncated(t));
	h = xcalloc(SPAM_TOK_MAX_TOKENS + 10, sizeof(*h));
	assert_int_equal(spam_tok_hashes(t, h, SPAM_TOK_MAX_TOKENS + 10), SPAM_TOK_MAX_TOKENS);
	for (size_t i = 0; i < SPAM_TOK_MAX_TOKENS; i++)
		assert_true(h[i] != 0);
	free(h);
	spam_tok_free(t);
	/* text bytes are bounded */
	t = spam_tok_new();
	sb_reset(&text);
	for (unsigned i = 0; i < SPAM_TOK_MAX_TEXT + 1000; i++)
		sb_putc(&text, i % 5 == 4 ? ' ' : 'a');
	spam_tok_text(t, (const unsigned char *)text.s, text.len);
	assert_true(spam_tok_truncated(t));
	spam_tok_free(t);
	sb_free(&text);
	sb_free(&sb);
}

/* ---- messages through classify.c -------------------------------------- */

static const char *const spams[] = {
	"From: Deals <deals@cheap.example.com>\nSubject: cheap pills now\nContent-Type: text/html\n\n"
	"<p>Buy cheap pills now at <a href=\"http://pills.example.com/\">our shop</a> best price guaranteed</p>\n",
	"From: Offer <win@lottery.example.net>\nSubject: you won the lottery\n\n"
	"Congratulations winner, claim your lottery prize money now, send your bank details\n",
	"From: Pharmacy <rx@cheap.example.com>\nSubject: cheap meds\nContent-Type: text/plain; charset=iso-8859-1\n"
	"Content-Transfer-Encoding: quoted-printable\n\nBest pr=EFce for cheap meds, order now, guaranteed =\ndelivery\n",
};
static const char *const hams[] = {
	"From: Alice <alice@work.example.org>\nSubject: meeting notes\n\n"
	"Hi team, the meeting notes from tuesday are attached to the wiki, see the action items\n",
	"From: Bob <bob@work.example.org>\nSubject: build broken\n\n"
	"The nightly build is broken again, the linker fails on the tests target, can someone look\n",
	"From: Carol <carol@lists.example.org>\nSubject: patch review\nContent-Type: multipart/alternative; boundary=b\n\n"
	"--b\nContent-Type: text/plain\n\nPlease review the patch for the parser, the tests pass\n--b--\n",
};
static const char probe_spam[] =
    "From: Shop <sales@cheap.example.com>\nSubject: cheap pills guaranteed\n\n"
    "Order cheap pills now, best price, claim your prize\n";
static const char probe_ham[] =
    "From: Dave <dave@work.example.org>\nSubject: tests and build\n\n"
    "The tests on the build machine pass now, see the wiki for the meeting notes\n";

static struct classify *
msg(const char *text)
{
	struct classify *c = classify_new(true);

	classify_message(c, text, strlen(text));
	return c;
}

static void
test_chunking(void **state)
{
	static const size_t chunks[] = { 1, 3, 64 };
	strbuf whole, part;

	(void)state;
	sb_init(&whole);
	struct classify *c = classify_new(true);
	classify_set_trace(c, collect, &whole);
	classify_message(c, spams[2], strlen(spams[2]));
	size_t n = classify_ntokens(c);
	classify_free(c);
	assert_true(strstr(whole.s, "|pr\xc3\xaf" "ce|") != NULL);    /* =EF decoded, charset converted */
	for (size_t k = 0; k < NELEM(chunks); k++) {
		const char *body = strstr(spams[2], "\n\n") + 2;
		sb_init(&part);
		c = classify_new(true);
		classify_set_trace(c, collect, &part);
		classify_header(c, "From", "Pharmacy <rx@cheap.example.com>");
		classify_header(c, "Subject", "cheap meds");
		classify_header(c, "Content-Type", "text/plain; charset=iso-8859-1");
		classify_header(c, "Content-Transfer-Encoding", "quoted-printable");
		classify_eoh(c);
		for (size_t i = 0; i < strlen(body); i += chunks[k]) {
			size_t m = strlen(body) - i < chunks[k] ? strlen(body) - i : chunks[k];
			/* the body in the MTA's CRLF form, as classify_message makes it */
			for (size_t j = 0; j < m; j++) {
				if (body[i + j] == '\n')
					classify_body(c, (const unsigned char *)"\r", 1);
				classify_body(c, (const unsigned char *)body + i + j, 1);
			}
		}
		classify_finish(c);
		assert_int_equal(classify_ntokens(c), n);
		classify_free(c);
		assert_string_equal(part.s, whole.s);
		sb_free(&part);
	}
	sb_free(&whole);
}

static void
train_and_score(struct store *s, double *ps, double *ph)
{
	struct bayes_result r;
	enum store_status st;
	struct classify *c;

	for (size_t i = 0; i < NELEM(spams); i++) {
		c = msg(spams[i]);
		assert_int_equal(classify_learn(c, s, true, false, &st), LEARN_DONE);
		classify_free(c);
	}
	for (size_t i = 0; i < NELEM(hams); i++) {
		c = msg(hams[i]);
		assert_int_equal(classify_learn(c, s, false, false, &st), LEARN_DONE);
		classify_free(c);
	}
	/* twice: counted once */
	c = msg(spams[0]);
	assert_int_equal(classify_learn(c, s, true, false, &st), LEARN_ALREADY);
	classify_free(c);
	c = msg(probe_spam);
	classify_score(c, s, 3, &r);
	classify_free(c);
	assert_int_equal(r.st, STORE_OK);
	assert_true(r.scored && r.nspam == 3 && r.nham == 3);
	*ps = r.p;
	c = msg(probe_ham);
	classify_score(c, s, 3, &r);
	classify_free(c);
	*ph = r.p;
	/* not enough trained: not scored */
	c = msg(probe_ham);
	classify_score(c, s, 4, &r);
	assert_false(r.scored);
	assert_true(r.p == 0.5);
	/* moved to ham, then forgotten: the totals follow */
	assert_int_equal(classify_learn(c, s, false, false, &st), LEARN_DONE);
	assert_int_equal(classify_learn(c, s, true, false, &st), LEARN_DONE);
	assert_int_equal(classify_learn(c, s, true, true, &st), LEARN_DONE);
	assert_int_equal(classify_learn(c, s, true, true, &st), LEARN_UNKNOWN);
	classify_free(c);
	{
		int64_t ns, nh;
		assert_int_equal(classify_totals(s, &ns, &nh), STORE_OK);
		assert_true(ns == 3 && nh == 3);
	}
}

static void
test_same_scores(void **state)
{
	struct test_redis redis = { 0 };
	char *dir = tu_mkdtemp(), url[600];
	const char *why;
	struct store *l, *r;
	double lps, lph, rps, rph;
	struct bayes_result res;

	(void)state;
	tr_start(&redis, 0);
	snprintf(url, sizeof(url), "lmdb:%s/c.mdb", dir);
	l = store_open(url, 500, 16 << 20, &why);
	r = store_open(redis.url, 500, 0, &why);
	train_and_score(l, &lps, &lph);
	train_and_score(r, &rps, &rph);
	assert_true(lps > 0.9 && lph < 0.1);
	assert_true(lps == rps && lph == rph);
	/* Redis gone: not scored, the status says why, quickly */
	tr_stop(&redis);
	struct classify *c = msg(probe_spam);
	classify_score(c, r, 3, &res);
	classify_free(c);
	assert_int_not_equal(res.st, STORE_OK);
	assert_false(res.scored);
	store_close(l);
	store_close(r);
	tu_rmdir(redis.dir);
	tu_rmdir(dir);
}

/* A message with every kind of part the tokenizer treats differently:
 * quoted-printable Latin-1, base64 HTML, an empty text part, a text
 * attachment (not read), an image, a nested message. */
static const char mixed[] =
    "From: Shop <sales@cheap.example.com>\nSubject: =?utf-8?q?cheap_pills?=\n"
    "Received: from mx.cheap.example.com (mx.cheap.example.com [198.51.100.7]) by us\n"
    "Message-ID: <x1@cheap.example.com>\nMIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"=o\"\n\n"
    "preamble words\n--=o\nContent-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n\nBest pr=EFce for cheap pills, order =\nnow\n"
    "--=o\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n"
    "PHA+QnV5IDxhIGhyZWY9Imh0dHA6Ly9waWxscy5leGFtcGxlLmNvbS9vcmRlci9ub3ciPm91ciBz\n"
    "aG9wPC9hPiB0b2RheTwvcD4=\n"
    "--=o\nContent-Type: text/plain\n\n"
    "--=o\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"notes.txt\"\n\n"
    "attachedword secretword\n"
    "--=o\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n"
    "--=o\nContent-Type: message/rfc822\n\nFrom: inner@lottery.example.net\nSubject: prize\n\n"
    "claim your lottery prize money\n"
    "--=o--\nepilogue\n";

/* A single-part message: its part begins at the end of the header. */
static const char single[] =
    "From: Shop <sales@cheap.example.com>\nSubject: offer\nContent-Type: text/html; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n\n<p>Best pr=EFce, <b>cheap</b> pills &amp; more</p>\n";

/* The summary line of msg through the pipeline, as the daemon runs it. */
static void
daemon_summary(const char *text, strbuf *summary)
{
	struct conn *c = conn_new();
	struct verdict v;
	struct replay_head h;
	struct edits e;
	bool refused = false;

	c->summary_copy = summary;
	pl_connect(c, "client.example", "192.0.2.1", NULL);
	pl_helo(c, "client.example");
	pl_envfrom(c, "<s@remote.example>", (const char *const[]){ NULL }, "QID", NULL, &v);
	pl_envrcpt(c, "user@example.org", &v);
	replay_headers(c, text, strlen(text), &h);
	pl_eoh(c, &v);
	replay_body(c, text, strlen(text), h.body, &v, &refused);
	assert_false(refused);
	edits_init(&e);
	pl_eom(c, "QID", &e, &v);
	edits_free(&e);
	pl_close(c);
	c->summary_copy = NULL;
	conn_free(c);
}

/* The daemon's path (check_bayes over the attachment screen's scanner,
 * the pipeline as milter.c and postern explain drive it) and the
 * standalone one (classify.c's own scanner: postern-learn, spam-eval's
 * training) give a message the same tokens and the same score. */
static void
test_daemon_path(void **state)
{
	static const char *const probes[] = { mixed, single };
	char *dir = tu_mkdtemp();
	strbuf conf, summary, want, toks;
	struct conn *c;
	struct store *s;
	struct bayes_result r;
	enum store_status st;
	struct classify *cl;

	(void)state;
	sb_init(&conf);
	sb_printf(&conf, "%s/policies", dir);
	mkdir(conf.s, 0700);
	free(tu_write(conf.s, "default.conf", "mode = \"enforce\";\n"));
	sb_reset(&conf);
	sb_printf(&conf, "authserv_id = \"mx.test.example\";\npolicy_dir = \"%s/policies\";\n"
	    "trusted_hosts = [ \"192.0.2.0/24\" ];\nstore = { url = \"lmdb:%s/s.mdb\"; };\n"
	    "bayes = { min_learns = 3; };\n", dir, dir);
	tu_install_config(dir, conf.s);
	c = conn_new();
	pl_connect(c, "client.example", "192.0.2.1", NULL);
	s = check_bayes_store(c);
	assert_non_null(s);
	for (size_t i = 0; i < NELEM(spams); i++) {
		cl = msg(spams[i]);
		assert_int_equal(classify_learn(cl, s, true, false, &st), LEARN_DONE);
		classify_free(cl);
	}
	for (size_t i = 0; i < NELEM(hams); i++) {
		cl = msg(hams[i]);
		assert_int_equal(classify_learn(cl, s, false, false, &st), LEARN_DONE);
		classify_free(cl);
	}
	for (size_t k = 0; k < NELEM(probes); k++) {
		sb_init(&toks);
		sb_init(&want);
		sb_init(&summary);
		cl = classify_new(false);
		classify_set_trace(cl, collect, &toks);
		classify_message(cl, probes[k], strlen(probes[k]));
		classify_score(cl, s, 3, &r);
		classify_free(cl);
		assert_true(r.scored);
		assert_true(has(&toks, "pr\xc3\xaf" "ce"));     /* QP + Latin-1 */
		assert_false(has(&toks, "secretword"));       /* an attachment */
		if (k == 0)
			assert_true(has(&toks, "url:pills.example.com") && has(&toks, "lottery"));
		else
			assert_true(has(&toks, "cheap") && !has(&toks, "<b>cheap</b>"));  /* HTML */
		daemon_summary(probes[k], &summary);
		/* the message state is reset after eom: its summary line says */
		sb_printf(&want, " bayes=%.4f(%u/%zu) ", r.p, r.used, r.ntokens);
		if (summary.s == NULL || strstr(summary.s, want.s) == NULL)
			fail_msg("message %zu: standalone%sdaemon: %s", k, want.s, summary.s);
		sb_free(&toks);
		sb_free(&want);
		sb_free(&summary);
	}
	pl_close(c);
	conn_free(c);
	sb_free(&conf);
	tu_uninstall_config(dir);
}

/* Training in batches gives the store per-message training gives: the
 * same outcomes, totals and scores, with a message twice in one batch,
 * one moved to the other class and one forgotten inside a batch. */
static void
test_batches(void **state)
{
	static const struct { bool spam, forget; enum learn_outcome want; } seq[] = {
		{ true, false, LEARN_DONE },     /* spams[0] */
		{ true, false, LEARN_ALREADY },  /* spams[0] again, same batch */
		{ true, false, LEARN_DONE },     /* spams[1] */
		{ false, false, LEARN_DONE },    /* hams[0] */
		{ true, false, LEARN_DONE },     /* hams[0] moved to spam */
		{ false, false, LEARN_DONE },    /* hams[1] */
		{ false, true, LEARN_DONE },     /* hams[1] forgotten */
		{ false, true, LEARN_UNKNOWN },  /* hams[1] forgotten again */
		{ false, false, LEARN_DONE },    /* hams[2] */
		{ true, false, LEARN_DONE },     /* spams[2] */
	};
	const char *texts[NELEM(seq)] = { spams[0], spams[0], spams[1], hams[0], hams[0], hams[1],
		hams[1], hams[1], hams[2], spams[2] };
	static const size_t sizes[] = { 1, 2, 3, 100 };
	char *dir = tu_mkdtemp(), url[600];
	const char *why;
	double ref_s = 0, ref_h = 0;
	int64_t ref_ns = 0, ref_nh = 0;

	(void)state;
	for (size_t z = 0; z <= NELEM(sizes); z++) {
		struct store *s;
		struct learn_batch *b = NULL;
		struct bayes_result r;
		enum store_status st;
		int64_t ns, nh;
		size_t lost;

		snprintf(url, sizeof(url), "lmdb:%s/b%zu.mdb", dir, z);
		s = store_open(url, 500, 16 << 20, &why);
		if (z > 0)
			b = learn_batch_new(s, sizes[z - 1]);
		for (size_t i = 0; i < NELEM(seq); i++) {
			struct classify *c = msg(texts[i]);
			enum learn_outcome o = z == 0 ? classify_learn(c, s, seq[i].spam, seq[i].forget, &st) :
			    learn_batch_add(b, c, seq[i].spam, seq[i].forget, &st, &lost);
			if (o != seq[i].want)
				fail_msg("batch %zu, step %zu: outcome %d, want %d", z, i, o, seq[i].want);
			classify_free(c);
		}
		if (b != NULL) {
			assert_int_equal(learn_batch_flush(b, &lost), STORE_OK);
			assert_int_equal(lost, 0);
			learn_batch_free(b);
		}
		assert_int_equal(classify_totals(s, &ns, &nh), STORE_OK);
		struct classify *c = msg(probe_spam);
		classify_score(c, s, 1, &r);
		classify_free(c);
		double ps = r.p;
		c = msg(probe_ham);
		classify_score(c, s, 1, &r);
		classify_free(c);
		if (z == 0) {
			ref_s = ps;
			ref_h = r.p;
			ref_ns = ns;
			ref_nh = nh;
			assert_true(ns == 4 && nh == 1);
		} else if (ps != ref_s || r.p != ref_h || ns != ref_ns || nh != ref_nh) {
			fail_msg("batch of %zu: %g/%g %lld/%lld, per message %g/%g %lld/%lld", sizes[z - 1],
			    ps, r.p, (long long)ns, (long long)nh, ref_s, ref_h, (long long)ref_ns,
			    (long long)ref_nh);
		}
		store_close(s);
	}
	tu_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chi2q),
		cmocka_unit_test(test_token_prob),
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_bands),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_sniffed),
		cmocka_unit_test(test_list_links),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_sub_words),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_same_scores),
		cmocka_unit_test(test_daemon_path),
		cmocka_unit_test(test_batches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
