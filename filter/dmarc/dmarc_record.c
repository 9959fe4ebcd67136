/*
 * dmarc_record.c - parse a DMARC record (RFC 9989 sections 4.7, 4.8).
 * "v=DMARC1" must come first.  Unknown tags and bad values of optional tags
 * are ignored (defaults apply).  A missing or invalid "p=", or an invalid
 * "sp=" or "np=", makes the record unusable unless rua= holds at least one
 * syntactically valid URI, in which case it acts as p=none (4.10.1).
 * psd= (y/n/u) and t= (y/n) are read; ruf= (failure-report URIs, kept
 * like rua=) and fo= (colon-separated 0/1/d/s, RFC 9991; default 0, unknown
 * options ignored) are read; pct= is historic: only an old
 * record's pct=0 (without t=) is read as t=y, the analogy RFC 9989 A.6
 * draws; any other pct value is ignored.  Pure.
 */
#include "config.h"

#include <string.h>

#include "postern/dmarc.h"
#include "postern/util.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_wsp(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_wsp((*p)[*n - 1]))
		(*n)--;
}

static bool
parse_policy(const char *v, size_t n, enum dmarc_policy *out)
{
	if (mem_caseeq(v, n, "none"))
		*out = DMARC_P_NONE;
	else if (mem_caseeq(v, n, "quarantine"))
		*out = DMARC_P_QUARANTINE;
	else if (mem_caseeq(v, n, "reject"))
		*out = DMARC_P_REJECT;
	else
		return false;
	return true;
}

static bool
parse_mode(const char *v, size_t n, bool *strict)
{
	if (mem_caseeq(v, n, "s"))
		*strict = true;
	else if (mem_caseeq(v, n, "r"))
		*strict = false;
	else
		return false;
	return true;
}

/* pct=0 (leading zeros allowed); anything else is ignored. */
static bool
pct_is_zero(const char *v, size_t n)
{
	if (n == 0 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] != '0')
			return false;
	return true;
}

static bool
parse_yn(const char *v, size_t n, bool *out)
{
	if (mem_caseeq(v, n, "y"))
		*out = true;
	else if (mem_caseeq(v, n, "n"))
		*out = false;
	else
		return false;
	return true;
}

static bool
parse_psd(const char *v, size_t n, enum dmarc_psd *out)
{
	if (mem_caseeq(v, n, "y"))
		*out = DMARC_PSD_Y;
	else if (mem_caseeq(v, n, "n"))
		*out = DMARC_PSD_N;
	else if (mem_caseeq(v, n, "u"))
		*out = DMARC_PSD_U;
	else
		return false;
	return true;
}

/* A URI as RFC 3986 scheme ":" rest (rest non-empty, no spaces or
 * controls); a mailto: needs an '@'. */
static bool
uri_ok(const char *u, size_t n)
{
	size_t i = 0;

	if (n == 0 || !((u[0] | 0x20) >= 'a' && (u[0] | 0x20) <= 'z'))
		return false;
	while (i < n && u[i] != ':') {
		char c = u[i];
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') &&
		    c != '+' && c != '-' && c != '.')
			return false;
		i++;
	}
	if (i == n || i + 1 == n)
		return false;
	for (size_t j = i + 1; j < n; j++)
		if ((unsigned char)u[j] <= ' ' || u[j] == 0x7f)
			return false;
	if (mem_caseeq(u, i, "mailto") && memchr(u + i + 1, '@', n - i - 1) == NULL)
		return false;
	return true;
}

/* Keep the valid URIs of a rua= or ruf= list that fit in buf; true if any. */
static bool
parse_uris(const char *v, size_t n, char *buf, size_t size)
{
	size_t pos = 0, out = 0;
	bool any = false;

	buf[0] = '\0';
	while (pos <= n) {
		const char *comma = memchr(v + pos, ',', n - pos);
		size_t end = comma != NULL ? (size_t)(comma - v) : n;
		const char *u = v + pos;
		size_t ulen = end - pos;

		trim(&u, &ulen);
		if (uri_ok(u, ulen)) {
			any = true;
			if (out + ulen + 2 <= size) {
				if (out > 0)
					buf[out++] = ',';
				memcpy(buf + out, u, ulen);
				out += ulen;
				buf[out] = '\0';
			}
		}
		if (comma == NULL)
			break;
		pos = end + 1;
	}
	return any;
}

/* fo=: a colon-separated list of 0, 1, d, s; unknown options are ignored,
 * none valid means the default (0). */
static unsigned
parse_fo(const char *v, size_t n)
{
	size_t pos = 0;
	unsigned fo = 0;

	while (pos <= n) {
		const char *colon = memchr(v + pos, ':', n - pos);
		size_t end = colon != NULL ? (size_t)(colon - v) : n;
		const char *o = v + pos;
		size_t olen = end - pos;

		trim(&o, &olen);
		if (olen == 1) {
			switch (o[0] | 0x20) {
			case '0': fo |= DMARC_FO_0; break;
			case '1': fo |= DMARC_FO_1; break;
			case 'd': fo |= DMARC_FO_D; break;
			case 's': fo |= DMARC_FO_S; break;
			default: break;
			}
		}
		if (colon == NULL)
			break;
		pos = end + 1;
	}
	return fo != 0 ? fo : DMARC_FO_0;
}

bool
dmarc_fo_wants(unsigned fo, const struct dmarc_fo_facts *f)
{
	if ((fo & DMARC_FO_0) && !f->spf_aligned && !f->dkim_aligned)
		return true;
	if ((fo & DMARC_FO_1) && (!f->spf_aligned || !f->dkim_aligned))
		return true;
	if ((fo & DMARC_FO_D) && f->dkim_failed)
		return true;
	if ((fo & DMARC_FO_S) && f->spf_failed)
		return true;
	return false;
}

enum dmarc_rec_status
dmarc_record_parse(const char *buf, size_t len, struct dmarc_record *r)
{
	size_t pos = 0;
	unsigned idx = 0;
	bool have_p = false, have_sp = false, have_np = false, bad_p = false, rua = false;
	bool have_t = false, pct0 = false;

	memset(r, 0, sizeof(*r));
	while (pos <= len) {
		const char *semi = memchr(buf + pos, ';', len - pos);
		size_t end = semi != NULL ? (size_t)(semi - buf) : len;
		const char *tag = buf + pos, *eq, *val;
		size_t tlen = end - pos, vlen;

		pos = end + 1;
		trim(&tag, &tlen);
		if (tlen == 0) {
			if (idx == 0)
				return DMARC_REC_NOT_DMARC;
			if (semi == NULL)
				break;
			continue;   /* empty element, e.g. a trailing ';' */
		}
		eq = memchr(tag, '=', tlen);
		if (eq == NULL)
			return idx == 0 ? DMARC_REC_NOT_DMARC : DMARC_REC_SYNTAX;
		val = eq + 1;
		vlen = tlen - (size_t)(val - tag);
		tlen = (size_t)(eq - tag);
		trim(&tag, &tlen);
		trim(&val, &vlen);
		if (idx == 0) {
			if (!mem_caseeq(tag, tlen, "v") || !(vlen == 6 && memcmp(val, "DMARC1", 6) == 0))
				return DMARC_REC_NOT_DMARC;
		} else if (mem_caseeq(tag, tlen, "p")) {
			have_p = parse_policy(val, vlen, &r->p);
			bad_p = !have_p;
		} else if (mem_caseeq(tag, tlen, "sp")) {
			have_sp = parse_policy(val, vlen, &r->sp);
			bad_p = bad_p || !have_sp;
		} else if (mem_caseeq(tag, tlen, "np")) {
			have_np = parse_policy(val, vlen, &r->np);
			bad_p = bad_p || !have_np;
		} else if (mem_caseeq(tag, tlen, "adkim")) {
			if (!parse_mode(val, vlen, &r->adkim_strict))
				r->adkim_strict = false;
		} else if (mem_caseeq(tag, tlen, "aspf")) {
			if (!parse_mode(val, vlen, &r->aspf_strict))
				r->aspf_strict = false;
		} else if (mem_caseeq(tag, tlen, "t")) {
			have_t = parse_yn(val, vlen, &r->testing);
			if (!have_t)
				r->testing = false;
		} else if (mem_caseeq(tag, tlen, "psd")) {
			if (!parse_psd(val, vlen, &r->psd))
				r->psd = DMARC_PSD_U;
		} else if (mem_caseeq(tag, tlen, "pct")) {
			pct0 = pct_is_zero(val, vlen);
		} else if (mem_caseeq(tag, tlen, "rua")) {
			rua = parse_uris(val, vlen, r->rua, sizeof(r->rua));
		} else if (mem_caseeq(tag, tlen, "ruf")) {
			(void)parse_uris(val, vlen, r->ruf, sizeof(r->ruf));
		} else if (mem_caseeq(tag, tlen, "fo")) {
			r->fo = parse_fo(val, vlen);
		}
		/* rf, ri and unknown tags: ignored */
		idx++;
		if (semi == NULL)
			break;
	}
	if (idx == 0)
		return DMARC_REC_NOT_DMARC;
	if (r->fo == 0)
		r->fo = DMARC_FO_0;
	if (!have_t && pct0)
		r->testing = true;
	if (!have_p || bad_p) {
		if (!rua)
			return bad_p ? DMARC_REC_BAD_VALUE : DMARC_REC_NO_POLICY;
		r->p = r->sp = r->np = DMARC_P_NONE;   /* act as p=none */
		r->p_implied = true;
		return DMARC_REC_OK;
	}
	if (!have_sp)
		r->sp = r->p;
	if (!have_np)
		r->np = r->sp;
	return DMARC_REC_OK;
}
