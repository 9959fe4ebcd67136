/*
 * mime_header.c - Content-Type / Content-Disposition / Content-Transfer-
 * Encoding values: the leading token, parameters with quoted strings and
 * comments, RFC 2231 continuations and %XX charset encoding, RFC 2047
 * encoded words (which real mailers put in quoted file names).
 *
 * Input is (buf, len) from the network; every output goes into a caller
 * buffer of a given capacity and a value that does not fit is reported
 * (toolong), never cut silently.  Names in other charsets are converted to
 * UTF-8 with iconv(3) when the charset is known to it, else kept as bytes.
 * Called by mime.c; fuzzed by tests/fuzz/fuzz_mime_header.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/mime.h"

#define MAX_PARAMS 64
#define MAX_SECTION 999

struct param {
	const char *name;      /* attribute without "*N*" */
	size_t nlen;
	const char *val;       /* raw value span (without quotes) */
	size_t vlen;
	int section;           /* -1 if none */
	bool ext;              /* trailing '*': RFC 2231 %XX encoding */
	bool quoted;
};

/* Skip blanks, CR/LF and (nested) comments. */
static size_t
skip_cfws(const char *b, size_t len, size_t i)
{
	while (i < len) {
		if (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			i++;
		} else if (b[i] == '(') {
			int depth = 0;
			for (; i < len; i++) {
				if (b[i] == '\\' && i + 1 < len)
					i++;
				else if (b[i] == '(')
					depth++;
				else if (b[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
		} else {
			break;
		}
	}
	return i;
}

static bool
is_tokch(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f &&
	    strchr("()<>@,;:\\\"[]?=", c) == NULL;
}

/* "name", "name*", "name*3", "name*3*" */
static void
split_attr(struct param *p)
{
	const char *star = memchr(p->name, '*', p->nlen);

	p->section = -1;
	p->ext = false;
	if (star == NULL)
		return;
	size_t base = (size_t)(star - p->name), i = base + 1;
	if (i < p->nlen && isdigit((unsigned char)p->name[i])) {
		int sec = 0;
		for (; i < p->nlen && isdigit((unsigned char)p->name[i]); i++)
			sec = sec > MAX_SECTION ? sec : sec * 10 + (p->name[i] - '0');
		p->section = sec;
		if (i < p->nlen && p->name[i] == '*') {
			p->ext = true;
			i++;
		}
	} else {
		p->ext = true;       /* "name*": the star itself */
	}
	if (i != p->nlen) {      /* junk after the star: not RFC 2231 */
		p->section = -1;
		p->ext = false;
		return;
	}
	p->nlen = base;
}

/* Parse the parameter list after the leading token. */
static size_t
parse_params(const char *b, size_t len, size_t i, struct param *ps, size_t max)
{
	size_t n = 0;
	bool first = true;

	while (i < len) {
		if (!(first && i < len && b[i] != ';')) {
			while (i < len && b[i] != ';')   /* junk up to the next ';' */
				i++;
			if (i >= len)
				break;
			i++;
		}
		first = false;
		i = skip_cfws(b, len, i);
		size_t ns = i;
		while (i < len && is_tokch(b[i]))
			i++;
		size_t ne = i;
		i = skip_cfws(b, len, i);
		if (ns == ne || i >= len || b[i] != '=')
			continue;
		i = skip_cfws(b, len, i + 1);
		struct param p = { .name = b + ns, .nlen = ne - ns };
		if (i < len && b[i] == '"') {
			size_t vs = ++i;
			while (i < len && b[i] != '"')
				i += (b[i] == '\\' && i + 1 < len) ? 2 : 1;
			p.val = b + vs;
			p.vlen = (i < len ? i : len) - vs;
			p.quoted = true;
			if (i < len)
				i++;
		} else {
			/* tolerant: an unquoted value runs to ';' (blanks trimmed) */
			size_t vs = i;
			while (i < len && b[i] != ';')
				i++;
			size_t ve = i;
			while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t' ||
			    b[ve - 1] == '\r' || b[ve - 1] == '\n'))
				ve--;
			p.val = b + vs;
			p.vlen = ve - vs;
		}
		split_attr(&p);
		if (n < max)
			ps[n++] = p;
	}
	return n;
}

static bool
out_put(struct mime_pval *v, char c)
{
	if (v->len + 1 >= v->cap) {
		v->toolong = true;
		return false;
	}
	v->buf[v->len++] = c;
	return true;
}

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Convert out[start..*len) from charset cs (cslen bytes, "*lang" ignored)
 * to UTF-8 in place.  false if the result does not fit in cap - 1 bytes;
 * unknown charsets and bad bytes leave the text as it was.
 */
static bool
to_utf8(const char *cs, size_t cslen, char *out, size_t start, size_t *len, size_t cap)
{
	char name[64], *tmp, *ip, *op;
	size_t il, ol, n = *len - start;
	const char *star = memchr(cs, '*', cslen);
	iconv_t cd;
	bool fits = true;

	if (star != NULL)
		cslen = (size_t)(star - cs);
	if (n == 0 || cslen == 0 || cslen >= sizeof(name))
		return true;
	memcpy(name, cs, cslen);
	name[cslen] = '\0';
	if (strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "us-ascii") == 0 ||
	    strcasecmp(name, "utf8") == 0)
		return true;
	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return true;
	tmp = xmalloc(cap);
	ip = out + start;
	il = n;
	op = tmp;
	ol = cap - 1 - start;
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0) {
		fits = errno != E2BIG;
	} else {
		memcpy(out + start, tmp, (size_t)(op - tmp));
		*len = start + (size_t)(op - tmp);
	}
	iconv_close(cd);
	free(tmp);
	return fits;
}

/* Append one section's value: quoted-pair unescaping or %XX decoding. */
static void
append_value(struct mime_pval *v, const struct param *p, bool first)
{
	const char *s = p->val;
	size_t n = p->vlen, i = 0;

	if (p->ext && first) {   /* charset'language'value */
		const char *q1 = memchr(s, '\'', n);
		const char *q2 = q1 ? memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - s)) : NULL;
		if (q2 != NULL)
			i = (size_t)(q2 + 1 - s);
	}
	for (; i < n && !v->toolong; i++) {
		char c = s[i];
		if (p->quoted && c == '\\' && i + 1 < n) {
			c = s[++i];
		} else if (p->ext && c == '%' && i + 2 < n + 0 && hexv(s[i + 1]) >= 0 &&
		    hexv(s[i + 2]) >= 0) {
			c = (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
			i += 2;
		}
		out_put(v, c == '\0' ? '?' : c);
	}
}

/* Assemble one wanted parameter from the parsed list. */
static void
assemble(struct mime_pval *v, const struct param *ps, size_t n)
{
	const struct param *plain = NULL, *ext = NULL;
	bool sections = false, encoded = false;

	v->len = 0;
	v->found = v->toolong = false;
	for (size_t i = 0; i < n; i++) {
		if (!mem_caseeq(ps[i].name, ps[i].nlen, v->name))
			continue;
		if (ps[i].section >= 0)
			sections = true;
		else if (ps[i].ext && ext == NULL)
			ext = &ps[i];
		else if (!ps[i].ext && plain == NULL)
			plain = &ps[i];
	}
	const struct param *first = NULL;
	if (ext != NULL) {                /* name*= wins (RFC 2231, 6266) */
		append_value(v, ext, true);
		encoded = true;
		first = ext;
	} else if (sections) {
		bool any = false;
		for (int sec = 0; sec <= MAX_SECTION; sec++) {
			const struct param *p = NULL;
			for (size_t i = 0; i < n && p == NULL; i++)
				if (ps[i].section == sec && mem_caseeq(ps[i].name, ps[i].nlen, v->name))
					p = &ps[i];
			if (p == NULL)
				break;
			any = true;
			encoded = encoded || p->ext;
			if (sec == 0 && p->ext)
				first = p;
			append_value(v, p, sec == 0);
		}
		if (!any && plain != NULL)
			append_value(v, plain, true);
		else if (!any)
			return;
	} else if (plain != NULL) {
		append_value(v, plain, true);
	} else {
		return;
	}
	v->found = true;
	if (first != NULL && !v->toolong) {      /* charset'lang'... */
		const char *q = memchr(first->val, '\'', first->vlen);
		if (q != NULL && !to_utf8(first->val, (size_t)(q - first->val), v->buf, 0, &v->len, v->cap))
			v->toolong = true;
	}
	v->buf[v->len] = '\0';
	if (!encoded && !v->toolong && memmem(v->buf, v->len, "=?", 2) != NULL) {
		char *tmp = xmalloc(v->cap);
		size_t r = mime_decode_words(v->buf, v->len, tmp, v->cap);
		if (r != (size_t)-1) {
			memcpy(v->buf, tmp, r + 1);
			v->len = r;
		}
		free(tmp);
	}
}

/* The leading token (type/subtype or a disposition), lower-cased into tok;
 * returns where the parameters start. */
static size_t
read_token(const char *buf, size_t len, char *tok, size_t tokcap, size_t *tlen)
{
	size_t i = skip_cfws(buf, len, 0), t = 0;

	/* blanks around '/' allowed; a blank after a complete token ends it
	 * even without ';' (broken "multipart/mixed boundary=x" is read as if
	 * the ';' were there) */
	bool sep = false;    /* a blank or comment after some token bytes */
	while (i < len && buf[i] != ';') {
		char c = buf[i];
		if (c == '(' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"') {
			i = c == '(' ? skip_cfws(buf, len, i) : i + 1;
			sep = t > 0;
			continue;
		}
		if (sep && c != '/' && tok[t - 1] != '/')
			break;       /* a second word: parameters without ';' */
		sep = false;
		i++;
		if (t + 1 < tokcap)
			tok[t++] = (char)tolower((unsigned char)c);
	}
	if (tokcap > 0)
		tok[t] = '\0';
	*tlen = t;
	return i;
}

enum mime_hstatus
mime_parse_field(const char *buf, size_t len, char *tok, size_t tokcap,
    struct mime_pval *vals, size_t nvals)
{
	struct param ps[MAX_PARAMS];
	size_t t, n, i = read_token(buf, len, tok, tokcap, &t);
	enum mime_hstatus st = MH_OK;

	if (t == 0)
		st = MH_EMPTY;
	n = parse_params(buf, len, i, ps, MAX_PARAMS);
	for (size_t k = 0; k < nvals; k++) {
		assemble(&vals[k], ps, n);
		if (vals[k].toolong)
			st = MH_TOOLONG;
	}
	return st;
}

void
mime_param_variants(const char *buf, size_t len, const char *attr, char *vbuf, size_t cap,
    mime_variant_cb cb, void *ctx)
{
	struct param ps[MAX_PARAMS], one[MAX_PARAMS];
	char tok[8];
	size_t t, n, m = 0, i = read_token(buf, len, tok, sizeof(tok), &t);
	struct mime_pval v = { .name = attr, .buf = vbuf, .cap = cap };

	n = parse_params(buf, len, i, ps, MAX_PARAMS);
	for (size_t k = 0; k < n; k++) {
		if (!mem_caseeq(ps[k].name, ps[k].nlen, attr))
			continue;
		if (ps[k].section >= 0) {
			one[m++] = ps[k];      /* the sections, read together below */
			continue;
		}
		assemble(&v, &ps[k], 1);   /* each attr= and attr*= on its own */
		if (v.found)
			cb(ctx, v.buf, v.len, v.toolong);
		struct param alt = ps[k];
		if (alt.quoted && !alt.ext && memchr(alt.val, '\\', alt.vlen) != NULL) {
			alt.quoted = false;    /* a reader that keeps the backslashes */
			assemble(&v, &alt, 1);
			if (v.found)
				cb(ctx, v.buf, v.len, v.toolong);
		} else if (!alt.quoted) {
			/* a reader that ends an unquoted value at a blank or a
			 * comment: "filename=evil.exe junk" shows as evil.exe */
			size_t w = 0;
			while (w < alt.vlen && alt.val[w] != ' ' && alt.val[w] != '\t' &&
			    alt.val[w] != '(' && alt.val[w] != '\r' && alt.val[w] != '\n')
				w++;
			if (w > 0 && w < alt.vlen) {
				alt.vlen = w;
				assemble(&v, &alt, 1);
				if (v.found)
					cb(ctx, v.buf, v.len, v.toolong);
			}
		}
	}
	if (m > 0) {
		assemble(&v, one, m);
		if (v.found)
			cb(ctx, v.buf, v.len, v.toolong);
	}
}

static size_t
decode_raw(const char *enc, size_t elen, char kind, char *out, size_t o, size_t cap);

static size_t
decode_word(const char *cs, size_t cslen, const char *enc, size_t elen, char kind,
    char *out, size_t o, size_t cap)
{
	size_t start = o, len = decode_raw(enc, elen, kind, out, o, cap);

	if (len == (size_t)-1 || !to_utf8(cs, cslen, out, start, &len, cap))
		return (size_t)-1;
	return len;
}

static size_t
decode_raw(const char *enc, size_t elen, char kind, char *out, size_t o, size_t cap)
{
	struct mime_dec d;
	unsigned char tmp[256];

	if (kind == 'B' || kind == 'b') {
		mime_dec_init(&d, ENC_BASE64);
		for (size_t i = 0; i < elen; i += 128) {
			size_t k = elen - i < 128 ? elen - i : 128;
			size_t got = mime_dec_feed(&d, (const unsigned char *)enc + i, k, tmp);
			if (o + got >= cap)
				return (size_t)-1;
			for (size_t j = 0; j < got; j++)
				out[o++] = tmp[j] ? (char)tmp[j] : '?';
		}
		return o;
	}
	for (size_t i = 0; i < elen; i++) {
		char c = enc[i];
		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < elen + 0 && hexv(enc[i + 1]) >= 0 && hexv(enc[i + 2]) >= 0) {
			c = (char)(hexv(enc[i + 1]) << 4 | hexv(enc[i + 2]));
			i += 2;
		}
		if (o + 1 >= cap)
			return (size_t)-1;
		out[o++] = c ? c : '?';
	}
	return o;
}

/* "=?charset?E?text?=" at in[i]: on success the end offset, else 0. */
static size_t
match_word(const char *in, size_t len, size_t i, char *kind, size_t *ts, size_t *te)
{
	size_t j = i + 2, q;

	if (i + 2 > len || in[i] != '=' || in[i + 1] != '?')
		return 0;
	while (j < len && in[j] != '?' && in[j] != ' ' && j - i < 80)
		j++;
	if (j + 2 >= len || in[j] != '?' || j == i + 2 || in[j + 2] != '?')
		return 0;
	*kind = in[j + 1];
	if (strchr("BbQq", *kind) == NULL)
		return 0;
	q = j + 3;
	*ts = q;
	while (q + 1 < len && !(in[q] == '?' && in[q + 1] == '=') && in[q] != ' ')
		q++;
	if (q + 1 >= len || in[q] != '?' || in[q + 1] != '=')
		return 0;
	*te = q;
	return q + 2;
}

size_t
mime_decode_words(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0, i = 0, gap_start = 0;
	bool after_word = false;

	if (cap == 0)
		return (size_t)-1;
	while (i < len) {
		char kind;
		size_t ts, te, end = match_word(in, len, i, &kind, &ts, &te);
		if (end != 0) {
			if (after_word)
				o = gap_start;   /* blanks between encoded words vanish */
			o = decode_word(in + i + 2, ts - 3 - (i + 2), in + ts, te - ts, kind, out, o, cap);
			if (o == (size_t)-1)
				return o;
			i = end;
			after_word = true;
			gap_start = o;
			continue;
		}
		char c = in[i++];
		if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n'))
			after_word = false;
		if (o + 1 >= cap)
			return (size_t)-1;
		out[o++] = c ? c : '?';
	}
	out[o] = '\0';
	return o;
}

enum mime_enc
mime_parse_enc(const char *buf, size_t len)
{
	static const struct { const char *name; enum mime_enc e; } t[] = {
		{ "7bit", ENC_7BIT }, { "8bit", ENC_8BIT }, { "binary", ENC_BINARY },
		{ "base64", ENC_BASE64 }, { "quoted-printable", ENC_QP },
		{ "x-uuencode", ENC_UU }, { "uuencode", ENC_UU }, { "x-uue", ENC_UU },
		{ "uue", ENC_UU },
	};
	size_t s = skip_cfws(buf, len, 0), e = s;

	while (e < len && is_tokch(buf[e]))
		e++;
	if (e == s)
		return ENC_7BIT;
	for (size_t i = 0; i < NELEM(t); i++)
		if (mem_caseeq(buf + s, e - s, t[i].name))
			return t[i].e;
	return ENC_OTHER;
}

const char *
mime_enc_name(enum mime_enc e)
{
	static const char *const names[] = { "7bit", "8bit", "binary", "base64",
		"quoted-printable", "other", "x-uuencode" };
	return (unsigned)e < NELEM(names) ? names[e] : "?";
}
