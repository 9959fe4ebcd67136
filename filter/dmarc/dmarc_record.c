/*
 * dmarc_record.c - parse a DMARC record (RFC 7489 section 6.3).
 * "v=DMARC1" must come first.  Unknown tags and bad values of optional tags
 * are ignored (defaults apply, section 6.3).  A missing or invalid "p=",
 * or an invalid "sp=", makes the record unusable unless it names a report
 * address (rua=), in which case it acts as p=none (section 6.6.3).  Pure.
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

static bool
parse_pct(const char *v, size_t n, unsigned *out)
{
	unsigned x = 0;

	if (n == 0 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	if (x > 100)
		return false;
	*out = x;
	return true;
}

enum dmarc_rec_status
dmarc_record_parse(const char *buf, size_t len, struct dmarc_record *r)
{
	size_t pos = 0;
	unsigned idx = 0;
	bool have_p = false, have_sp = false, have_np = false, bad_p = false, rua = false;

	memset(r, 0, sizeof(*r));
	r->pct = 100;
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
		} else if (mem_caseeq(tag, tlen, "adkim")) {
			if (!parse_mode(val, vlen, &r->adkim_strict))
				r->adkim_strict = false;
		} else if (mem_caseeq(tag, tlen, "aspf")) {
			if (!parse_mode(val, vlen, &r->aspf_strict))
				r->aspf_strict = false;
		} else if (mem_caseeq(tag, tlen, "pct")) {
			if (!parse_pct(val, vlen, &r->pct))
				r->pct = 100;
		} else if (mem_caseeq(tag, tlen, "rua")) {
			rua = vlen > 0;
		}
		/* rua, ruf, fo, rf, ri and unknown tags: ignored */
		idx++;
		if (semi == NULL)
			break;
	}
	if (idx == 0)
		return DMARC_REC_NOT_DMARC;
	if (!have_p || bad_p) {
		if (!rua)
			return bad_p ? DMARC_REC_BAD_VALUE : DMARC_REC_NO_POLICY;
		r->p = r->sp = r->np = DMARC_P_NONE;   /* act as p=none */
		return DMARC_REC_OK;
	}
	if (!have_sp)
		r->sp = r->p;
	if (!have_np)
		r->np = r->sp;
	return DMARC_REC_OK;
}
