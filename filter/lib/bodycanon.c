/*
 * bodycanon.c - DKIM body canonicalisation, simple and relaxed (RFC 6376
 * 3.4.3, 3.4.4), with l= (3.5), hashed with OpenSSL as the body streams.
 * Owns nothing beyond its digest context.  Used by the DKIM verifier
 * (filter/dkim/dkim_bh.c) and ARC (filter/arc/arc.c); see bodycanon.h.
 *
 * The scan looks for the few bytes that can change the output (CR, and
 * for relaxed SP and HTAB) and hands everything between them to the
 * digest where it lies: a line of text or base64 costs one table look-up
 * per byte (relaxed) or one memchr per line (simple), not a state machine
 * step and a copy per byte.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "postern/bodycanon.h"
#include "postern/util.h"

static EVP_MD *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

/* Fetched once: an implicit fetch per message costs a provider look-up. */
static void
md_fetch(void)
{
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* Bytes that can end a run of unchanged input in relaxed form. */
static const unsigned char relaxed_stop[256] = { ['\t'] = 1, ['\r'] = 1, [' '] = 1 };

/* The first byte at or after j that can end a relaxed run (or n): eight
 * bytes at a time while none of them is below 0x21 (SP, HTAB, CR and the
 * other controls; the classic "has a byte less than" word test), then
 * byte by byte through the word that has one; with SSE2, sixteen bytes at
 * a time before that. */
static size_t
relaxed_scan(const unsigned char *p, size_t n, size_t j)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;

	for (;;) {
		size_t lim;

#ifdef __SSE2__
		/* sixteen at a time first: min(x, 0x20) == x marks the bytes
		 * at or below SP (a line of base64 is 76 bytes: 4 steps) */
		{
			const __m128i sp = _mm_set1_epi8(0x20);

			while (j + 16 <= n) {
				__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
				unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, sp), x));

				if (m != 0) {
					j += (size_t)__builtin_ctz(m);
					break;
				}
				j += 16;
			}
		}
#endif
		while (j + 8 <= n) {
			uint64_t x;

			memcpy(&x, p + j, 8);
			if (((x - 0x21 * ones) & ~x & high) != 0)
				break;
			j += 8;
		}
		lim = j + 8 < n ? j + 8 : n;
		while (j < lim && !relaxed_stop[p[j]])
			j++;
		if (j < lim || j == n)
			return j;
	}
}

static void
hash(struct bodycanon *b, const unsigned char *p, size_t n)
{
	if (b->done)
		return;
	if (b->limit >= 0 && (unsigned long long)b->limit - b->length <= n) {
		n = (size_t)((unsigned long long)b->limit - b->length);
		b->done = true;
	}
	if (n > 0 && EVP_DigestUpdate(b->md, p, n) != 1)
		die("bodycanon: EVP_DigestUpdate failed");
	b->length += n;
}

static void
flush_run(struct bodycanon *b)
{
	if (b->nrun > 0)
		hash(b, b->run, b->nrun);
	b->nrun = 0;
}

static void
flush_syn(struct bodycanon *b)
{
	if (b->nsyn > 0)
		hash(b, b->syn, b->nsyn);
	b->nsyn = 0;
}

/* Unchanged input: extends the pending run when it follows it. */
static void
put_run(struct bodycanon *b, const unsigned char *p, size_t n)
{
	b->any = true;
	flush_syn(b);
	if (b->nrun > 0 && b->run + b->nrun == p) {
		b->nrun += n;
		return;
	}
	flush_run(b);
	b->run = p;
	b->nrun = n;
}

/* Bytes the canonicalisation makes up. */
static void
put_syn(struct bodycanon *b, const char *s, size_t n)
{
	b->any = true;
	flush_run(b);
	while (n > 0) {
		size_t k = sizeof(b->syn) - b->nsyn;

		if (k > n)
			k = n;
		memcpy(b->syn + b->nsyn, s, k);
		b->nsyn += k;
		s += k;
		n -= k;
		if (b->nsyn == sizeof(b->syn))
			flush_syn(b);
	}
}

/* Content is about to be hashed on the current line: the empty lines
 * before it were not trailing after all, waiting white space is one SP. */
static void
content_start(struct bodycanon *b)
{
	if (b->line_empty) {
		for (; b->pending > 0 && !b->done; b->pending--)
			put_syn(b, "\r\n", 2);
		b->pending = 0;
		b->line_empty = false;
	}
	if (b->wsp) {
		b->wsp = false;
		put_syn(b, " ", 1);
	}
}

static void
line_end(struct bodycanon *b)
{
	b->wsp = false;
	if (b->line_empty)
		b->pending++;
	else
		put_syn(b, "\r\n", 2);
	b->line_empty = true;
}

static void
feed_relaxed(struct bodycanon *b, const unsigned char *p, size_t n, size_t i)
{
	while (i < n && !b->done) {
		unsigned char c = p[i];
		size_t j;

		if (c == ' ' || c == '\t') {
			b->wsp = true;
			i++;
			continue;
		}
		if (c == '\r') {
			if (i + 1 == n) {
				b->held_cr = true;
				return;
			}
			if (p[i + 1] == '\n') {
				line_end(b);
				i += 2;
				continue;
			}
		}
		/* content (a bare CR included) up to white space or a CRLF; a
		 * single SP between content bytes stays in the run */
		content_start(b);
		for (j = i + 1;;) {
			j = relaxed_scan(p, n, j);
			if (j + 1 < n && p[j] == ' ' && !relaxed_stop[p[j + 1]])
				j += 2;
			else if (j + 1 < n && p[j] == '\r' && p[j + 1] != '\n')
				j++;
			else
				break;
		}
		if (j + 1 < n && p[j] == '\r' && p[j + 1] == '\n') {
			j += 2; /* the line end goes with the run */
			b->line_empty = true;
		}
		put_run(b, p + i, j - i);
		i = j;
	}
}

static void
feed_simple(struct bodycanon *b, const unsigned char *p, size_t n, size_t i)
{
	const unsigned char *e = p + n;

	while (i < n && !b->done) {
		const unsigned char *s = p + i, *q = s;

		if (b->line_empty && *s == '\r') {
			if (i + 1 == n) {
				b->held_cr = true;
				return;
			}
			if (s[1] == '\n') {
				b->pending++;
				i += 2;
				continue;
			}
		}
		content_start(b);
		for (;;) {
			q = memchr(q, '\r', (size_t)(e - q));
			if (q == NULL) {
				put_run(b, s, (size_t)(e - s));
				return;
			}
			if (q + 1 == e) {
				put_run(b, s, (size_t)(q - s));
				b->held_cr = true;
				return;
			}
			if (q[1] == '\n')
				break;
			q++;
		}
		put_run(b, s, (size_t)(q + 2 - s));
		b->line_empty = true;
		i = (size_t)(q + 2 - p);
	}
}

void
bodycanon_init(struct bodycanon *b, bool relaxed, enum bodycanon_hash hash_alg, long long limit)
{
	const EVP_MD *md;

	memset(b, 0, sizeof(*b));
	pthread_once(&md_once, md_fetch);
	md = hash_alg == BODYCANON_SHA1 ? md_sha1 : md_sha256;
	b->relaxed = relaxed;
	b->hash = hash_alg;
	b->limit = limit < 0 ? BODYCANON_NOLIMIT : limit;
	b->line_empty = true;
	b->done = limit == 0;
	if (md == NULL || (b->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(b->md, md, NULL) != 1)
		die("bodycanon: EVP_DigestInit failed");
}

void
bodycanon_feed(struct bodycanon *b, const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || b->done)
		return;
	if (b->held_cr) {
		b->held_cr = false;
		if (p[0] == '\n') {
			line_end(b);
			i = 1;
		} else {
			content_start(b);
			put_syn(b, "\r", 1); /* a bare CR is content */
		}
	}
	if (b->relaxed)
		feed_relaxed(b, p, n, i);
	else
		feed_simple(b, p, n, i);
	flush_run(b); /* the chunk is the caller's */
}

bool
bodycanon_done(const struct bodycanon *b)
{
	return b->done;
}

size_t
bodycanon_final(struct bodycanon *b, unsigned char *digest, unsigned long long *length)
{
	unsigned len = 0;

	if (b->held_cr) {
		b->held_cr = false;
		content_start(b);
		put_syn(b, "\r", 1);
	}
	if (!b->line_empty)
		line_end(b); /* a last line without CRLF gets one */
	if (!b->relaxed && !b->any)
		put_syn(b, "\r\n", 2); /* simple: an empty body is one CRLF */
	flush_run(b);
	flush_syn(b);
	if (EVP_DigestFinal_ex(b->md, digest, &len) != 1)
		die("bodycanon: EVP_DigestFinal failed");
	if (length != NULL)
		*length = b->length;
	bodycanon_free(b);
	return len;
}

void
bodycanon_free(struct bodycanon *b)
{
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
}
