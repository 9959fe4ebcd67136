/*
 * util.c - allocation wrappers, strbuf, escaping, small string helpers.
 * Used by every module; holds no state.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/util.h"

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("postern: fatal: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		die("out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
sb_init(strbuf *sb)
{
	sb->s = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void
sb_free(strbuf *sb)
{
	free(sb->s);
	sb_init(sb);
}

void
sb_reset(strbuf *sb)
{
	sb->len = 0;
	if (sb->s != NULL)
		sb->s[0] = '\0';
}

static void
sb_grow(strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need < sb->len)
		die("strbuf overflow");
	if (need <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	sb->s = xrealloc(sb->s, cap);
	sb->cap = cap;
}

void
sb_append(strbuf *sb, const char *p, size_t n)
{
	sb_grow(sb, n);
	if (n > 0)
		memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void
sb_puts(strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void
sb_putc(strbuf *sb, char c)
{
	sb_append(sb, &c, 1);
}

void
sb_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
	char tmp[256];
	va_list ap2;
	int n;

	/* one pass for short strings; a second, sized one for long ones */
	va_copy(ap2, ap);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		die("vsnprintf failed");
	if ((size_t)n < sizeof(tmp)) {
		sb_append(sb, tmp, (size_t)n);
		return;
	}
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
sb_printf(strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void
sb_escape(strbuf *sb, const char *p, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, lim = n < max ? n : max;

	/* allocated even when p is empty: callers use sb->s as a string
	 * (an empty List-Id once reached strlen(NULL)) */
	sb_append(sb, "", 0);
	for (i = 0; i < lim; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			sb_putc(sb, (char)c);
		} else {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			sb_append(sb, e, 4);
		}
	}
	if (lim < n)
		sb_puts(sb, "...");
}

bool
mem_caseeq(const char *p, size_t n, const char *s)
{
	size_t sl = strlen(s);

	return n == sl && strncasecmp(p, s, n) == 0;
}

bool
domain_under(const char *p, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);

	if (sl == 0 || n < sl)
		return false;
	return strncasecmp(p + n - sl, suffix, sl) == 0 && (n == sl || p[n - sl - 1] == '.');
}

bool
strlcpy_ok(char *dst, const char *src, size_t dstsize)
{
	size_t n = strlen(src);

	if (dstsize == 0)
		return false;
	if (n >= dstsize) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

bool
parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, mul = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (~0ULL - d) / 10)
			return false;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': mul = 1ULL << 10; p++; break;
	case 'm': case 'M': mul = 1ULL << 20; p++; break;
	case 'g': case 'G': mul = 1ULL << 30; p++; break;
	default: return false;
	}
	if (*p != '\0')
		return false;
	if (v != 0 && mul > ~0ULL / v)
		return false;
	*out = v * mul;
	return true;
}

bool
parse_score(const char *buf, size_t len, int *out)
{
	size_t i = 0, nint = 0, nfrac = 0;
	bool neg = false;
	long v = 0;

	if (i < len && (buf[i] == '-' || buf[i] == '+'))
		neg = buf[i++] == '-';
	for (; i < len && isdigit((unsigned char)buf[i]); i++, nint++) {
		if (nint >= 5)
			return false;
		v = v * 10 + (buf[i] - '0');
	}
	if (nint == 0)
		return false;
	v *= 100;
	if (i < len && buf[i] == '.') {
		long scale = 10;
		for (i++; i < len && isdigit((unsigned char)buf[i]); i++, nfrac++) {
			if (nfrac >= 2)
				return false;
			v += (buf[i] - '0') * scale;
			scale /= 10;
		}
		if (nfrac == 0)
			return false;
	}
	if (i != len || v > SCORE_LIMIT)
		return false;
	*out = neg ? (int)-v : (int)v;
	return true;
}

const char *
score_format(int score, char *buf)
{
	unsigned a = score < 0 ? (unsigned)-(long)score : (unsigned)score;
	unsigned frac = a % 100;

	if (frac % 10 == 0)
		snprintf(buf, SCORE_TEXT_MAX, "%s%u.%u", score < 0 ? "-" : "", a / 100, frac / 10);
	else
		snprintf(buf, SCORE_TEXT_MAX, "%s%u.%02u", score < 0 ? "-" : "", a / 100, frac);
	return buf;
}

void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return true;
	return false;
}
