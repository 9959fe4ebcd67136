/*
 * dmarc_failure.c - DMARC failure reports (RFC 9991): redaction of the
 * failed message's header fields and the failure-spool line (format and
 * parse, bounded).  Pure; the writer is dmarc_spool.c's, the caller
 * check_dmarc.c, the reader postern-report --failure.  dmarc_failure.h.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "postern/dmarc_failure.h"
#include "postern/dmarc_spool.h"

bool
dmarc_redact_field(const char *name)
{
	static const char *const fields[] = { "From", "To", "Cc", "Reply-To", "Sender",
		"Received", "Return-Path", "Delivered-To", "X-Original-To" };

	for (size_t i = 0; i < NELEM(fields); i++)
		if (strcasecmp(name, fields[i]) == 0)
			return true;
	return false;
}

/* RFC 5322 atext and '.', the dot-atom local part. */
static bool
local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

static bool
domain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '[' || c >= 0x80;
}

/* Where the local part that ends before v[at] starts (at if none). */
static size_t
local_start(const char *v, size_t at)
{
	size_t i = at;

	if (i > 0 && v[i - 1] == '"') {   /* quoted-string local part */
		size_t j = i - 1;
		while (j > 0) {
			j--;
			if (v[j] == '"' && (j == 0 || v[j - 1] != '\\'))
				return j;
		}
		return at;
	}
	while (i > 0 && local_char((unsigned char)v[i - 1]))
		i--;
	return i;
}

void
dmarc_redact_addrs(const char *value, size_t len, const unsigned char key[DMARC_FAIL_KEY_LEN],
    strbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t done = 0;

	for (size_t at = 0; at < len; at++) {
		size_t st;
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;

		if (value[at] == '"') {
			/* a quoted local part is one piece, '@'s inside and all
			 * ("a@b"@x.example): hashed whole, not from its inner '@' */
			size_t q = at + 1;

			while (q < len && value[q] != '"')
				q += value[q] == '\\' ? 2 : 1;
			if (q + 2 >= len || value[q + 1] != '@' || !domain_char((unsigned char)value[q + 2]))
				continue;   /* not a local part: its inside is scanned */
			st = at;
			at = q + 1;
		} else if (value[at] != '@' || at + 1 >= len || !domain_char((unsigned char)value[at + 1])) {
			continue;
		} else {
			st = local_start(value, at);
		}
		if (st < done || st == at)
			continue;
		sb_append(out, value + done, st - done);
		if (HMAC(EVP_sha256(), key, DMARC_FAIL_KEY_LEN, (const unsigned char *)value + st,
		    at - st, md, &mdlen) == NULL || mdlen < 6) {
			sb_puts(out, "redacted");
		} else {
			sb_putc(out, 'x');
			for (unsigned i = 0; i < 6; i++) {
				sb_putc(out, hex[md[i] >> 4]);
				sb_putc(out, hex[md[i] & 15]);
			}
		}
		done = at;
	}
	sb_append(out, value + done, len - done);
}

bool
dmarc_failure_add_field(strbuf *hdrs, size_t *enc_len, const char *name, const char *value,
    const unsigned char key[DMARC_FAIL_KEY_LEN])
{
	strbuf f, enc;
	size_t vlen = strlen(value);
	bool fits;

	sb_init(&f);
	sb_init(&enc);
	sb_puts(&f, name);
	sb_putc(&f, ':');
	if (vlen > 0 && value[0] != ' ' && value[0] != '\t')
		sb_putc(&f, ' ');
	if (dmarc_redact_field(name))
		dmarc_redact_addrs(value, vlen, key, &f);
	else
		sb_append(&f, value, vlen);
	sb_puts(&f, "\r\n");
	dmarc_spool_enc(&enc, f.s);
	fits = *enc_len + enc.len <= DMARC_FAIL_HDRS_MAX - 1 && hdrs->len + f.len < DMARC_FAIL_HDRS_MAX;
	if (fits) {
		sb_append(hdrs, f.s, f.len);
		*enc_len += enc.len;
	}
	sb_free(&f);
	sb_free(&enc);
	return fits;
}

/* ---- the spool line ----------------------------------------------------- */

static void
pair(strbuf *out, const char *key, const char *val)
{
	sb_printf(out, " %s=", key);
	dmarc_spool_enc(out, val);
}

bool
dmarc_failure_format(const struct dmarc_failure_rec *r, strbuf *out)
{
	sb_reset(out);
	sb_printf(out, "v=1 kind=failure ts=%lld", r->ts);
	pair(out, "host", r->host);
	pair(out, "ip", r->ip);
	pair(out, "from", r->header_from);
	pair(out, "mfrom", r->env_from);
	pair(out, "pdom", r->policy_domain);
	pair(out, "ruf", r->ruf);
	sb_printf(out, " res=%s spfa=%d dkima=%d trunc=%d",
	    dmarc_result_name(r->result),
	    r->spf_aligned, r->dkim_aligned, r->truncated);
	pair(out, "hdrs", r->hdrs);
	return out->len < DMARC_SPOOL_LINE_MAX;
}

static bool
flag(const char *v, size_t n, bool *out)
{
	if (n != 1 || (v[0] != '0' && v[0] != '1'))
		return false;
	*out = v[0] == '1';
	return true;
}

#define DEC(field) dmarc_spool_dec(val, vlen, r->field, sizeof(r->field))

static bool
parse_pair(const char *key, size_t klen, const char *val, size_t vlen,
    struct dmarc_failure_rec *r, bool *kind)
{
	if (mem_caseeq(key, klen, "kind")) {
		*kind = mem_caseeq(val, vlen, "failure");
		return true;
	}
	if (mem_caseeq(key, klen, "ts"))
		return dmarc_spool_dec_int(val, vlen, &r->ts);
	if (mem_caseeq(key, klen, "host"))
		return DEC(host);
	if (mem_caseeq(key, klen, "ip"))
		return DEC(ip);
	if (mem_caseeq(key, klen, "from"))
		return DEC(header_from);
	if (mem_caseeq(key, klen, "mfrom"))
		return DEC(env_from);
	if (mem_caseeq(key, klen, "pdom"))
		return DEC(policy_domain);
	if (mem_caseeq(key, klen, "ruf"))
		return DEC(ruf);
	if (mem_caseeq(key, klen, "hdrs"))
		return DEC(hdrs);
	if (mem_caseeq(key, klen, "res"))
		return dmarc_result_parse(val, vlen, &r->result);
	if (mem_caseeq(key, klen, "spfa"))
		return flag(val, vlen, &r->spf_aligned);
	if (mem_caseeq(key, klen, "dkima"))
		return flag(val, vlen, &r->dkim_aligned);
	if (mem_caseeq(key, klen, "trunc"))
		return flag(val, vlen, &r->truncated);
	return true;   /* unknown keys: a later version's */
}
#undef DEC

bool
dmarc_failure_parse(const char *buf, size_t len, struct dmarc_failure_rec *r)
{
	size_t pos = 0;
	bool first = true, kind = false;

	memset(r, 0, sizeof(*r));
	r->ts = -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len > DMARC_SPOOL_LINE_MAX)
		return false;
	while (pos < len) {
		const char *sp = memchr(buf + pos, ' ', len - pos);
		size_t end = sp != NULL ? (size_t)(sp - buf) : len;
		const char *tok = buf + pos, *eq = memchr(tok, '=', end - pos);

		pos = end + 1;
		if (eq == NULL)
			return false;
		if (first) {
			if ((size_t)(buf + end - tok) != 3 || memcmp(tok, "v=1", 3) != 0)
				return false;
			first = false;
			continue;
		}
		if (!parse_pair(tok, (size_t)(eq - tok), eq + 1, (size_t)(buf + end - eq - 1), r, &kind))
			return false;
	}
	return kind && r->ts >= 0 && r->ip[0] != '\0' && r->header_from[0] != '\0' &&
	    r->policy_domain[0] != '\0' && r->ruf[0] != '\0' && r->hdrs[0] != '\0';
}
