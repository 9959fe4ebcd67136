/*
 * arc_tags.c - the small parsers of the ARC engine: DKIM tag lists
 * (RFC 6376 3.2, used by ARC-Seal, ARC-Message-Signature and key records),
 * the instance tag of ARC-Authentication-Results, strict base64.
 * (buf, len) in, never past len, no NUL trusted.  Called by arc.c and
 * arc_verify.c; fuzzed by tests/fuzz/fuzz_arc.c.
 */
#include "config.h"

#include <string.h>

#include "postern/arc.h"

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnumpunc(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

static bool
is_valchar(char c)
{
	return (c >= 0x21 && c <= 0x3a) || (c >= 0x3c && c <= 0x7e);
}

enum arc_tag_status
arc_tags_parse(const char *buf, size_t len, struct arc_tags *out)
{
	size_t i = 0;

	out->n = 0;
	for (;;) {
		size_t ns, ne, vs, ve, raw;

		while (i < len && is_fws(buf[i]))
			i++;
		if (i == len)
			return ARC_TAGS_OK; /* empty list, or a trailing ';' */
		ns = i;
		if (!is_alpha(buf[i]))
			return ARC_TAGS_SYNTAX;
		while (i < len && is_alnumpunc(buf[i]))
			i++;
		ne = i;
		while (i < len && is_fws(buf[i]))
			i++;
		if (i == len || buf[i] != '=')
			return ARC_TAGS_SYNTAX;
		i++;
		raw = i;
		while (i < len && is_fws(buf[i]))
			i++;
		vs = ve = i;
		while (i < len && buf[i] != ';') {
			if (is_valchar(buf[i]))
				ve = i + 1;
			else if (!is_fws(buf[i]))
				return ARC_TAGS_SYNTAX;
			i++;
		}
		for (size_t k = 0; k < out->n; k++)
			if (out->t[k].nlen == ne - ns && memcmp(out->t[k].name, buf + ns, ne - ns) == 0)
				return ARC_TAGS_DUP;
		if (out->n == ARC_MAX_TAGS)
			return ARC_TAGS_TOO_MANY;
		out->t[out->n++] = (struct arc_tag){ buf + ns, buf + vs, ne - ns, ve - vs, raw, i };
		if (i == len)
			return ARC_TAGS_OK;
		i++; /* ';' */
		{
			size_t j = i;
			while (j < len && is_fws(buf[j]))
				j++;
			if (j < len && buf[j] == ';')
				return ARC_TAGS_SYNTAX; /* an empty tag-spec */
		}
	}
}

const struct arc_tag *
arc_tags_get(const struct arc_tags *t, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].nlen == n && memcmp(t->t[i].name, name, n) == 0)
			return &t->t[i];
	return NULL;
}

unsigned
arc_aar_instance(const char *buf, size_t len)
{
	size_t i = 0;
	unsigned v = 0;

	while (i < len && is_fws(buf[i]))
		i++;
	if (i == len || buf[i] != 'i')
		return 0;
	i++;
	while (i < len && is_fws(buf[i]))
		i++;
	if (i == len || buf[i] != '=')
		return 0;
	i++;
	while (i < len && is_fws(buf[i]))
		i++;
	if (i == len || buf[i] < '1' || buf[i] > '9')
		return 0;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (unsigned)(buf[i] - '0');
		if (v > ARC_MAX_INSTANCE)
			return 0;
	}
	while (i < len && is_fws(buf[i]))
		i++;
	return i < len && buf[i] == ';' ? v : 0;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

bool
arc_base64(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen)
{
	unsigned acc = 0;
	int bits = 0, pad = 0;
	size_t n = 0, chars = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		int v;

		if (is_fws(c))
			continue;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		if (pad > 0 || (v = b64val(c)) < 0)
			return false;
		chars++;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return false;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (chars == 0 || chars % 4 != 0 || pad > 2 || acc != 0)
		return false;
	*outlen = n;
	return true;
}
