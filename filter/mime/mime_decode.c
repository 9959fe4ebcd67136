/*
 * mime_decode.c - base64 and quoted-printable decoding on the fly.
 *
 * Fed a part's body in pieces of any size; counts (and, when asked,
 * writes) the decoded bytes.  State is a few bytes: base64 keeps the bit
 * accumulator, quoted-printable keeps "=", "=X" and held trailing blanks
 * (which RFC 2045 6.7 says a decoder deletes at a line end).  Lenient like
 * real decoders: junk in base64 is skipped, data after "=" padding is
 * decoded as a new quantum, a bad "=" escape is kept as is.  x-uuencode
 * (which Python and mail clients decode) keeps one line of at most 88
 * bytes: data starts after a "begin MODE NAME" line and ends at "end";
 * each line gives its byte count in its first character.  Counting only
 * (out == NULL, a part nothing reads) takes base64 16 bytes at a time
 * with SSE2 where the compiler has it (the same count and state).
 * Called by mime.c for every leaf part.
 */
#include "config.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "postern/mime.h"

static const signed char b64val[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13,
	['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19,
	['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
	['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31,
	['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55,
	['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61,
	['9'] = 62, ['+'] = 63, ['/'] = 64,
};   /* value + 1; 0 = not in the alphabet */

void
mime_dec_init(struct mime_dec *d, enum mime_enc enc)
{
	memset(d, 0, sizeof(*d));
	d->enc = enc;
}

static size_t
b64_decode(struct mime_dec *d, const unsigned char *in, size_t n, unsigned char *out)
{
	size_t o = 0;
	unsigned bits = d->bits, nbits = d->nbits;

	for (size_t i = 0; i < n; i++) {
		int v;

		/* the common case, a whole quantum of alphabet characters on a
		 * quantum boundary: four characters, three bytes (the same
		 * result as the general loop below, in a quarter of its steps) */
		while (nbits == 0 && n - i >= 4) {
			int a = b64val[in[i]], b = b64val[in[i + 1]];
			int c = b64val[in[i + 2]], e = b64val[in[i + 3]];

			if (a == 0 || b == 0 || c == 0 || e == 0) {
				/* a line break between quanta is skipped here,
				 * as the general loop would skip it */
				if (in[i] == '\r' && in[i + 1] == '\n') {
					i += 2;
					continue;
				}
				if (in[i] == '\n') {
					i++;
					continue;
				}
				break;
			}
			if (out != NULL) {
				unsigned q = (unsigned)(a - 1) << 18 | (unsigned)(b - 1) << 12 |
				    (unsigned)(c - 1) << 6 | (unsigned)(e - 1);
				out[o] = (unsigned char)(q >> 16);
				out[o + 1] = (unsigned char)(q >> 8);
				out[o + 2] = (unsigned char)q;
			}
			o += 3;
			i += 4;
		}
		if (i == n)
			break;
		v = b64val[in[i]];
		if (v == 0) {
			/* '=' pads the quantum out: its leftover bits are dropped
			 * and decoding goes on with the next character as a new
			 * quantum (concatenated base64, read as lenient MUAs do;
			 * stopping here would hide what follows from the screen) */
			if (in[i] == '=') {
				d->b64_pad = true;
				bits = 0;
				nbits = 0;
			}
			continue;
		}
		bits = (bits << 6) | (unsigned)(v - 1);
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			if (out != NULL)
				out[o] = (unsigned char)(bits >> nbits);
			o++;
			bits &= (1u << nbits) - 1;
		}
	}
	d->bits = bits;
	d->nbits = nbits;
	return o;
}

#ifdef __SSE2__
/* Alphabet characters in x (0xff) or not (0): x ^ 0x80 is xs, so that an
 * unsigned range test is one subtraction and one signed compare. */
static __m128i
b64_alpha16(__m128i x)
{
	const __m128i xs = _mm_xor_si128(x, _mm_set1_epi8((char)0x80));
	__m128i up = _mm_cmplt_epi8(_mm_sub_epi8(xs, _mm_set1_epi8('A')), _mm_set1_epi8(26 - 128));
	__m128i lo = _mm_cmplt_epi8(_mm_sub_epi8(xs, _mm_set1_epi8('a')), _mm_set1_epi8(26 - 128));
	__m128i dg = _mm_cmplt_epi8(_mm_sub_epi8(xs, _mm_set1_epi8('0')), _mm_set1_epi8(10 - 128));
	__m128i pl = _mm_cmpeq_epi8(x, _mm_set1_epi8('+'));
	__m128i sl = _mm_cmpeq_epi8(x, _mm_set1_epi8('/'));

	return _mm_or_si128(_mm_or_si128(up, lo), _mm_or_si128(dg, _mm_or_si128(pl, sl)));
}

/*
 * Counting only (the part's bytes are not needed): the alphabet characters
 * of p[0..n) in whole 16-byte blocks up to the first block holding '='
 * (which ends a quantum: the general loop takes that block).  Everything
 * else (CR, LF, junk) is skipped, as the general loop skips it.  Returns
 * the bytes taken; *nalpha gets the count.
 */
static size_t
b64_skim(const unsigned char *p, size_t n, size_t *nalpha)
{
	const __m128i eq = _mm_set1_epi8('='), zero = _mm_setzero_si128();
	size_t i = 0, cnt = 0;

	while (n - i >= 16) {
		__m128i acc = zero;   /* per byte lane: up to 255 blocks */
		unsigned k;

		for (k = 0; k < 255 && n - i >= 16; k++, i += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, eq)) != 0)
				break;
			acc = _mm_sub_epi8(acc, b64_alpha16(x));
		}
		__m128i sum = _mm_sad_epu8(acc, zero);
		cnt += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
		if (k < 255)
			break;
	}
	*nalpha = cnt;
	return i;
}

/* Counting only: what b64_decode(d, in, n, NULL) returns and leaves in d,
 * a block of 16 at a time where it can. */
static size_t
b64_count(struct mime_dec *d, const unsigned char *in, size_t n)
{
	size_t o = 0, i = 0;

	while (i < n) {
		size_t nalpha, k = b64_skim(in + i, n - i, &nalpha);

		if (nalpha > 0) {
			size_t total = d->nbits + 6 * nalpha;
			o += total / 8;
			d->nbits = (unsigned)(total % 8);
			/* the bits left over are the low bits of the last
			 * alphabet character (fewer than its 6) */
			size_t j = i + k;
			while (b64val[in[j - 1]] == 0)
				j--;
			d->bits = (unsigned)(b64val[in[j - 1]] - 1) & ((1u << d->nbits) - 1);
		}
		i += k;
		if (i < n) {
			size_t m = n - i < 16 ? n - i : 16;
			o += b64_decode(d, in + i, m, NULL);
			i += m;
		}
	}
	return o;
}
#endif

static size_t
b64_feed(struct mime_dec *d, const unsigned char *in, size_t n, unsigned char *out)
{
#ifdef __SSE2__
	if (out == NULL)
		return b64_count(d, in, n);
#endif
	return b64_decode(d, in, n, out);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
put(unsigned char *out, size_t o, unsigned char c)
{
	if (out != NULL)
		out[o] = c;
	return o + 1;
}

static size_t
qp_flush_ws(struct mime_dec *d, unsigned char *out, size_t o)
{
	for (unsigned i = 0; i < d->qp_ws; i++)
		o = put(out, o, d->qp_wsbuf[i]);
	d->qp_ws = 0;
	return o;
}

static size_t
qp_feed(struct mime_dec *d, const unsigned char *in, size_t n, unsigned char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = in[i];
		int v;

		switch (d->qp_state) {
		case 1:   /* after '=' */
			if ((v = hexval(c)) >= 0) {
				d->qp_hex = c;
				d->qp_state = 2;
			} else if (c == '\r') {
				d->qp_state = 3;
			} else if (c == '\n') {
				d->qp_state = 0;   /* soft line break */
			} else if (c == ' ' || c == '\t') {
				/* padding between '=' and the line end */
			} else {
				o = put(out, o, '=');
				d->qp_state = 0;
				i--;
			}
			continue;
		case 2:   /* after "=X" */
			if ((v = hexval(c)) >= 0) {
				o = put(out, o, (unsigned char)(hexval(d->qp_hex) << 4 | v));
			} else {
				o = put(out, o, '=');
				o = put(out, o, d->qp_hex);
				i--;
			}
			d->qp_state = 0;
			continue;
		case 3:   /* after "=\r" */
			d->qp_state = 0;
			if (c != '\n')
				i--;
			continue;
		default:
			break;
		}
		if (c == '=') {
			o = qp_flush_ws(d, out, o);
			d->qp_state = 1;
		} else if (c == ' ' || c == '\t') {
			if (d->qp_ws == sizeof(d->qp_wsbuf))
				o = qp_flush_ws(d, out, o);
			d->qp_wsbuf[d->qp_ws++] = c;
		} else if (c == '\r' || c == '\n') {
			d->qp_ws = 0;      /* trailing blanks are not data */
			o = put(out, o, c);
		} else {
			o = qp_flush_ws(d, out, o);
			o = put(out, o, c);
		}
	}
	return o;
}

/* One complete x-uuencode line; returns the bytes written at out + o. */
static size_t
uu_line(struct mime_dec *d, unsigned char *out, size_t o)
{
	const char *l = d->uu_line;
	size_t n = d->uu_len, want, got = 0;
	unsigned bits = 0, nbits = 0;

	d->uu_len = 0;
	while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r' || l[n - 1] == '\f'))
		n--;
	if (d->uu_phase == 0) {
		if (n > 7 && memcmp(l, "begin ", 6) == 0 && l[6] >= '0' && l[6] <= '7')
			d->uu_phase = 1;
		return o;
	}
	if (d->uu_phase == 2 || n == 0)
		return o;
	if (n == 3 && memcmp(l, "end", 3) == 0) {
		d->uu_phase = 2;
		return o;
	}
	want = (size_t)((l[0] - 32) & 63);   /* the line's byte count */
	for (size_t i = 1; got < want; i++) {
		unsigned v = i < n ? (unsigned)((l[i] - 32) & 63) : 0;   /* short: zeros */
		bits = bits << 6 | v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			o = put(out, o, (unsigned char)(bits >> nbits));
			bits &= (1u << nbits) - 1;
			got++;
		}
	}
	return o;
}

static size_t
uu_feed(struct mime_dec *d, const unsigned char *in, size_t n, unsigned char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n')
			o = uu_line(d, out, o);
		else if (d->uu_len < sizeof(d->uu_line))
			d->uu_line[d->uu_len++] = (char)in[i];   /* a longer line: its end is not read */
	}
	return o;
}

size_t
mime_dec_feed(struct mime_dec *d, const unsigned char *in, size_t n, unsigned char *out)
{
	switch (d->enc) {
	case ENC_BASE64:
		return b64_feed(d, in, n, out);
	case ENC_QP:
		return qp_feed(d, in, n, out);
	case ENC_UU:
		return uu_feed(d, in, n, out);
	default:
		if (out != NULL)
			memcpy(out, in, n);
		return n;
	}
}

size_t
mime_dec_finish(struct mime_dec *d, unsigned char *out)
{
	size_t o = 0;

	if (d->enc == ENC_UU)
		return d->uu_len > 0 ? uu_line(d, out, 0) : 0;
	if (d->enc != ENC_QP)
		return 0;
	if (d->qp_state == 1 || d->qp_state == 2)
		o = put(out, o, '=');
	if (d->qp_state == 2)
		o = put(out, o, d->qp_hex);
	d->qp_state = 0;
	d->qp_ws = 0;
	return o;
}
