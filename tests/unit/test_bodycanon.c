/* test_bodycanon.c - the DKIM/ARC body canonicaliser (filter/lib/bodycanon.c):
 * RFC 6376 rows (empty bodies, trailing lines, white space, bare CR, a
 * missing final CRLF), l= and both hashes, every input in 1-, 2-, 3-, 64-
 * byte and whole chunks; and random bodies against a plain whole-buffer
 * reference written from RFC 6376 3.4.3/3.4.4 (digest and length). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include <openssl/evp.h>

#include "postern/bodycanon.h"

static const size_t chunks[] = { 1, 2, 3, 64, (size_t)-1 };

/* digest of body (len bytes) in chunks of `chunk`, as base64 into b64 */
static unsigned long long
canon(const char *body, size_t len, bool relaxed, enum bodycanon_hash h, long long limit,
    size_t chunk, char *b64)
{
	struct bodycanon b;
	unsigned char d[BODYCANON_MAX_DIGEST];
	unsigned long long got = 0;
	size_t dl;

	bodycanon_init(&b, relaxed, h, limit);
	for (size_t i = 0; i < len; i += chunk) {
		size_t k = len - i < chunk ? len - i : chunk;
		/* a private copy per chunk: the canonicaliser must not keep
		 * pointers into a chunk after the call */
		char *c = malloc(k);

		memcpy(c, body + i, k);
		bodycanon_feed(&b, (const unsigned char *)c, k);
		memset(c, 'Z', k);
		free(c);
	}
	dl = bodycanon_final(&b, d, &got);
	assert_int_equal(dl, h == BODYCANON_SHA1 ? 20 : 32);
	EVP_EncodeBlock((unsigned char *)b64, d, (int)dl);
	return got;
}

/* the digest of bytes as they are */
static void
plain(const char *s, size_t n, enum bodycanon_hash h, char *b64)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	EVP_Digest(s, n, d, &dl, h == BODYCANON_SHA1 ? EVP_sha1() : EVP_sha256(), NULL);
	EVP_EncodeBlock((unsigned char *)b64, d, (int)dl);
}

static void
test_rows(void **state)
{
	static const struct {
		const char *body;
		bool relaxed;
		const char *canon;   /* the canonical form */
	} rows[] = {
		/* RFC 6376 3.4.3 / 3.4.4: the empty body */
		{ "", false, "\r\n" },
		{ "", true, "" },
		{ "\r\n\r\n", false, "\r\n" },
		{ "\r\n \t\r\n", true, "" },
		/* trailing empty lines go, a missing final CRLF is added */
		{ "a\r\n\r\n\r\n", false, "a\r\n" },
		{ "a\r\n\r\n\r\nb\r\n\r\n", false, "a\r\n\r\n\r\nb\r\n" },
		{ "a", false, "a\r\n" },
		{ "a", true, "a\r\n" },
		{ "a\r\n\r\nb", true, "a\r\n\r\nb\r\n" },
		/* relaxed: runs of WSP to one SP, none at line ends */
		{ " a \t b  \r\nc\t\r\n", true, " a b\r\nc\r\n" },
		{ "a\r\n\r\nb\r\n", true, "a\r\n\r\nb\r\n" },
		{ "a \r\n \r\n\t\r\nb \r\n \r\n", true, "a\r\n\r\n\r\nb\r\n" },
		{ "one two  three\t\tfour \r\n", true, "one two three four\r\n" },
		/* simple keeps white space */
		{ " a \t b  \r\n \r\n", false, " a \t b  \r\n \r\n" },
		/* a bare CR or LF is content; a CR at the very end too */
		{ "a\rb\r\n", false, "a\rb\r\n" },
		{ "a\rb\r\n", true, "a\rb\r\n" },
		{ "a \rb\r\n", true, "a \rb\r\n" },
		{ "a\nb\r\n", true, "a\nb\r\n" },
		{ "\r\r\n", false, "\r\r\n" },
		{ "\r\r\n", true, "\r\r\n" },
		{ "a\r", false, "a\r\r\n" },
		{ "a \r", true, "a \r\r\n" },
		{ "\r", true, "\r\r\n" },
		{ "a\r\n\r", false, "a\r\n\r\r\n" },
	};
	char got[64], want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = strlen(rows[i].body), cn = strlen(rows[i].canon);

		for (int h = 0; h < 2; h++) {
			plain(rows[i].canon, cn, h, want);
			for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
				unsigned long long len = canon(rows[i].body, n, rows[i].relaxed, h,
				    BODYCANON_NOLIMIT, chunks[c], got);

				if (strcmp(got, want) != 0 || len != cn)
					fail_msg("row %zu (%s), chunk %zu: %s, want %s", i,
					    rows[i].relaxed ? "relaxed" : "simple", chunks[c], got, want);
			}
		}
	}
	/* the well-known empty-body hashes */
	canon("", 0, false, BODYCANON_SHA256, BODYCANON_NOLIMIT, 64, got);
	assert_string_equal(got, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	canon("", 0, true, BODYCANON_SHA256, BODYCANON_NOLIMIT, 64, got);
	assert_string_equal(got, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

/* l=: the first l canonical bytes, the length says how many there were */
static void
test_length(void **state)
{
	static const char body[] = "a  b\r\n\r\n\r\nc \r\n\r\n";
	static const char rel[] = "a b\r\n\r\n\r\nc\r\n", sim[] = "a  b\r\n\r\n\r\nc \r\n";
	static const long long limits[] = { 0, 1, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 100 };
	char got[64], want[64];

	(void)state;
	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
		for (int r = 0; r < 2; r++) {
			const char *cf = r ? rel : sim;
			size_t cn = strlen(cf), k = (size_t)limits[l] < cn ? (size_t)limits[l] : cn;

			plain(cf, k, BODYCANON_SHA256, want);
			for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
				unsigned long long len = canon(body, strlen(body), r, BODYCANON_SHA256,
				    limits[l], chunks[c], got);

				assert_string_equal(got, want);
				assert_int_equal(len, k);
			}
		}
}

/* l= reached: bodycanon_done, and later input changes nothing */
static void
test_done(void **state)
{
	struct bodycanon b;
	unsigned char d1[32], d2[32];

	(void)state;
	bodycanon_init(&b, true, BODYCANON_SHA256, 4);
	bodycanon_feed(&b, (const unsigned char *)"abc", 3);
	assert_false(bodycanon_done(&b));
	bodycanon_feed(&b, (const unsigned char *)"de\r\n", 4);
	assert_true(bodycanon_done(&b));
	bodycanon_feed(&b, (const unsigned char *)"more\r\n", 6);
	bodycanon_final(&b, d1, NULL);
	bodycanon_init(&b, false, BODYCANON_SHA256, 4);
	bodycanon_feed(&b, (const unsigned char *)"abcdXYZ", 7);
	bodycanon_final(&b, d2, NULL);
	assert_memory_equal(d1, d2, 32);
	bodycanon_init(&b, true, BODYCANON_SHA1, BODYCANON_NOLIMIT);
	bodycanon_free(&b);  /* released unfinished */
	bodycanon_free(&b);
}

/* ---- the reference: whole buffer, line by line, straight from the RFC */
struct buf {
	char *s;
	size_t n;
};

static void
put(struct buf *o, const char *s, size_t n)
{
	o->s = realloc(o->s, o->n + n + 1);
	memcpy(o->s + o->n, s, n);
	o->n += n;
}

static void
reference(const char *p, size_t n, bool relaxed, struct buf *o)
{
	size_t i = 0, keep = 0;

	o->s = NULL;
	o->n = 0;
	while (i < n) {
		size_t e = i, start = o->n;
		/* a line: up to CRLF or the end of the body */
		while (e < n && !(p[e] == '\r' && e + 1 < n && p[e + 1] == '\n'))
			e++;
		if (relaxed) {
			bool ws = false;

			for (size_t k = i; k < e; k++) {
				if (p[k] == ' ' || p[k] == '\t') {
					ws = true;
					continue;
				}
				if (ws)
					put(o, " ", 1);
				ws = false;
				put(o, p + k, 1);
			}
		} else {
			put(o, p + i, e - i);
		}
		put(o, "\r\n", 2);
		if (o->n - start > 2)
			keep = o->n; /* the end of the last line that is not empty */
		i = e < n ? e + 2 : n;
	}
	o->n = keep;
	if (!relaxed && o->n == 0)
		put(o, "\r\n", 2);
}

static void
test_reference(void **state)
{
	static const char alphabet[] = "ab \t\r\n\r\n\r\n.";
	char got[64], want[64];

	(void)state;
	srand(15);
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(rand() % 40);
		char body[64];
		struct buf ref;

		for (size_t i = 0; i < n; i++)
			body[i] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		for (int r = 0; r < 2; r++) {
			long long limit = rand() % 3 == 0 ? rand() % 30 : BODYCANON_NOLIMIT;
			size_t k;

			reference(body, n, r, &ref);
			k = limit >= 0 && (size_t)limit < ref.n ? (size_t)limit : ref.n;
			plain(ref.s != NULL ? ref.s : "", k, BODYCANON_SHA256, want);
			for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
				unsigned long long len = canon(body, n, r, BODYCANON_SHA256, limit,
				    chunks[c], got);

				if (strcmp(got, want) != 0 || len != k)
					fail_msg("round %d %s l=%lld chunk %zu: length %llu, want %zu",
					    round, r ? "relaxed" : "simple", limit, chunks[c], len, k);
			}
			free(ref.s);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_done),
		cmocka_unit_test(test_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
