/*
 * dkim.c - check "dkim": verification of every inbound signature,
 * streamed (headers as they arrive, body chunk by chunk; nothing is
 * buffered).  At end of message
 * each signature becomes one Authentication-Results clause and the
 * governing policies decide (required signatures, broken signatures, key
 * DNS failures).  Outbound signing lives in dkim_sign.c.
 * Called through the check table (pipeline.c).  The library handle and
 * key table are in dkim_lib.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../dkim/dkim_int.h"
#include "postern/authres.h"
#include "postern/config.h"
#include "postern/log.h"

#define NAME "dkim"
#define AR_B_CHARS 8    /* header.b= prefix length (RFC 6008) */
#define AR_VALUE_MAX 100

/* ---- per message ---------------------------------------------------------- */

void
dkim_msg_free(struct dkim_msg *dm)
{
	if (dm == NULL)
		return;
	if (dm->verify != NULL)
		dkim_free(dm->verify);
	for (size_t i = 0; i < dm->nsign; i++)
		dkim_signer_free(dm, i);
	sb_free(&dm->hdrs);
	free(dm);
}

static struct dkim_msg *
get_dm(struct conn *c, struct msg *m)
{
	if (m->dkim == NULL) {
		m->dkim = xcalloc(1, sizeof(*m->dkim));
		m->dkim->st = c->snap->dkim;
		sb_init(&m->dkim->hdrs);
	}
	return m->dkim;
}

static const unsigned char *
msg_id(const struct msg *m)
{
	return (const unsigned char *)(m->qid[0] ? m->qid : "NOQUEUE");
}

static void
dk_header(struct conn *c, struct msg *m, const char *name, const char *value,
    struct verdict *v)
{
	struct dkim_msg *dm;
	strbuf line;
	DKIM_STAT st;

	(void)v;
	if (c->snap->dkim == NULL)
		return;
	dm = get_dm(c, m);
	if (strcasecmp(name, "From") == 0 &&
	    dm->nfrom++ == 0 && !dkim_from_domain(value, strlen(value), dm->from_domain, sizeof(dm->from_domain)))
		dm->from_domain[0] = '\0';
	sb_init(&line);
	dkim_header_line(&line, name, value);
	if (m->dir == DIR_OUTBOUND) {
		if (dm->st->keys.n > 0 && dm->nhdrs < DKIM_MAX_HEADERS_KEPT) {
			sb_append(&dm->hdrs, line.s, line.len);
			dm->nhdrs++;
		}
	} else if (!dm->verify_broken) {
		if (dm->verify == NULL) {
			dm->verify = dkim_verify(dm->st->lib, msg_id(m), NULL, &st);
			if (dm->verify == NULL) {
				dm->verify_broken = true;
				goto out;
			}
			dkim_set_user_context(dm->verify, dm);
		}
		bool is_sig = strcasecmp(name, "DKIM-Signature") == 0;

		dm->nsigfields += is_sig;
		st = dkim_header(dm->verify, (u_char *)line.s, line.len - 2);
		if (st == DKIM_STAT_SYNTAX && is_sig) {
			/* the field is kept (another signature may cover it);
			 * libopendkim may or may not list this signature */
			if (dm->nmalformed++ == 0) {
				const char *why = dkim_geterror(dm->verify);
				snprintf(dm->malformed_why, sizeof(dm->malformed_why), "%s",
				    why != NULL ? why : "syntax error");
			}
		} else if (st != DKIM_STAT_OK) {
			dm->verify_broken = true;
		}
	}
out:
	sb_free(&line);
}

static void
dk_eoh(struct conn *c, struct msg *m, struct verdict *v)
{
	struct dkim_msg *dm = m->dkim;
	DKIM_STAT st;

	(void)v;
	if (dm == NULL)
		return;
	if (m->dir == DIR_OUTBOUND) {
		dkim_sign_eoh(c, m, dm);
		return;
	}
	if (dm->verify == NULL || dm->verify_broken)
		return;
	st = dkim_eoh(dm->verify);
	if (st == DKIM_STAT_NOSIG) {
		dm->nosig = true;
		dkim_free(dm->verify);
		dm->verify = NULL;
	}
}

static void
dk_body(struct conn *c, struct msg *m, const unsigned char *buf, size_t len,
    struct verdict *v)
{
	struct dkim_msg *dm = m->dkim;

	(void)c;
	(void)v;
	if (dm == NULL)
		return;
	if (dm->verify != NULL)
		(void)dkim_body(dm->verify, (u_char *)buf, len);
	dkim_sign_body(dm, buf, len);
}

/* Append " key=value" with value a token or a quoted-string (RFC 8601). */
static void
ar_pair(strbuf *sb, const char *key, const char *val)
{
	size_t n = strlen(val);
	bool token = n > 0 && n <= AR_VALUE_MAX;

	for (size_t i = 0; token && i < n; i++) {
		unsigned char ch = (unsigned char)val[i];
		token = isalnum(ch) || strchr(".-_@+/", ch) != NULL;
	}
	sb_printf(sb, " %s=", key);
	if (token) {
		sb_puts(sb, val);
		return;
	}
	sb_putc(sb, '"');
	for (size_t i = 0; i < n && i < AR_VALUE_MAX; i++) {
		unsigned char ch = (unsigned char)val[i];
		if (ch < ' ' || ch >= 127)
			continue;
		if (ch == '"' || ch == '\\')
			sb_putc(sb, '\\');
		sb_putc(sb, (char)ch);
	}
	sb_putc(sb, '"');
}

static const char *
tagval(DKIM_SIGINFO *sig, const char *tag)
{
	const u_char *v = dkim_sig_gettagvalue(sig, false, (u_char *)tag);

	return v != NULL ? (const char *)v : "";
}

enum sigres { SR_PASS, SR_FAIL, SR_NEUTRAL, SR_POLICY, SR_TEMPERROR, SR_PERMERROR };
static const char *const sigres_name[] = { "pass", "fail", "neutral", "policy", "temperror", "permerror" };

static enum sigres
classify(DKIM_SIGINFO *sig, const char **why)
{
	unsigned flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig);
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;

	*why = err != DKIM_SIGERROR_OK ? dkim_sig_geterrorstr(err) : NULL;
	if (flags & DKIM_SIGFLAG_IGNORE) {
		*why = "over the signature limit, not checked";
		return SR_POLICY;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
		(void)dkim_sig_getsignalg(sig, &alg);
		if (alg == DKIM_SIGN_RSASHA1) {
			*why = "rsa-sha1 is not accepted (RFC 8301)";
			return SR_POLICY;
		}
		return SR_PASS;
	}
	if ((flags & DKIM_SIGFLAG_PROCESSED) && dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
		*why = "body hash did not verify";
		return SR_FAIL;
	}
	switch (err) {
	case DKIM_SIGERROR_OK:
		if (flags & DKIM_SIGFLAG_PROCESSED) {
			*why = dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH ?
			    "body hash did not verify" : "signature did not verify";
			return SR_FAIL;
		}
		*why = "not processed";
		return SR_NEUTRAL;
	case DKIM_SIGERROR_BADSIG:
		*why = "signature did not verify";
		return SR_FAIL;
	case DKIM_SIGERROR_KEYFAIL:
		*why = "key lookup failed";
		return SR_TEMPERROR;
	case DKIM_SIGERROR_KEYTOOSMALL:
		return SR_POLICY;
	case DKIM_SIGERROR_NOKEY: case DKIM_SIGERROR_DNSSYNTAX: case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYVERSION: case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH: case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING: case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYREVOKED: case DKIM_SIGERROR_KEYDECODE:
		return SR_PERMERROR;
	default:
		return SR_NEUTRAL;
	}
}

static void
report_sig(struct msg *m, struct dkim_msg *dm, DKIM_SIGINFO *sig)
{
	const char *why, *d = tagval(sig, "d"), *i = tagval(sig, "i");
	enum sigres r = classify(sig, &why);
	char b[AR_B_CHARS + 1];
	unsigned bits = 0;
	strbuf sb;
	size_t bn = 0;

	sb_init(&sb);
	sb_printf(&sb, "dkim=%s", sigres_name[r]);
	if (r == SR_PASS && dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK && bits > 0)
		sb_printf(&sb, " (%u-bit key)", bits);
	if (why != NULL)
		ar_pair(&sb, "reason", why);
	if (*d)
		ar_pair(&sb, "header.d", d);
	if (*i) {
		ar_pair(&sb, "header.i", i);
	} else if (*d) {
		char at[DKIM_DOMAIN_MAX + 2];
		snprintf(at, sizeof(at), "@%s", d);
		ar_pair(&sb, "header.i", at);
	}
	if (*tagval(sig, "s"))
		ar_pair(&sb, "header.s", tagval(sig, "s"));
	if (*tagval(sig, "a"))
		ar_pair(&sb, "header.a", tagval(sig, "a"));
	for (const char *p = tagval(sig, "b"); *p && bn < AR_B_CHARS; p++)
		if (isalnum((unsigned char)*p) || *p == '+' || *p == '/')
			b[bn++] = *p;
	b[bn] = '\0';
	if (bn > 0)
		ar_pair(&sb, "header.b", b);
	authres_add(m, sb.s);
	sb_free(&sb);
	switch (r) {
	case SR_PASS:
		dm->npass++;
		if (dm->npassd < DKIM_MAX_PASS && strlen(d) <= DKIM_DOMAIN_MAX) {
			char *o = dm->passd[dm->npassd++];
			size_t k = 0;
			for (; d[k] != '\0'; k++)
				o[k] = (char)tolower((unsigned char)d[k]);
			o[k] = '\0';
		}
		break;
	case SR_FAIL: dm->nfail++; break;
	case SR_TEMPERROR: dm->ntemp++; break;
	default: dm->nperm++; break;
	}
}

static bool
aligned_pass(const struct dkim_msg *dm)
{
	const char *from = dm->from_domain;

	for (const char *p = from; p != NULL && *p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL)
		for (size_t i = 0; i < dm->npassd; i++)
			if (strcmp(dm->passd[i], p) == 0)
				return true;
	return false;
}

size_t
dkim_pass_domains(const struct msg *m, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; m->dkim != NULL && i < m->dkim->npassd && n < max; i++)
		out[n++] = m->dkim->passd[i];
	return n;
}

static bool
required_for(const struct policy *p, const char *from)
{
	size_t fl = strlen(from);

	for (size_t i = 0; i < p->dkim_require.n; i++) {
		const char *d = p->dkim_require.v[i];
		size_t dl = strlen(d);

		if (strcasecmp(d, from) == 0 ||
		    (fl > dl && from[fl - dl - 1] == '.' && strcasecmp(from + fl - dl, d) == 0))
			return true;
	}
	return false;
}

static void
decide(const struct msg *m, const struct dkim_msg *dm, const struct policy *p,
    struct verdict *v)
{
	if (dm->from_domain[0] && required_for(p, dm->from_domain) && !aligned_pass(dm))
		check_verdict(v, NAME, p, p->dkim_require_action, 550, "5.7.20",
		    "no valid DKIM signature from %s", dm->from_domain);
	else if (dm->npass == 0 && dm->ntemp > 0)
		check_verdict(v, NAME, p, p->dkim_dns_error_action, 550, "5.7.5",
		    "DKIM key lookup failed");
	else if (dm->npass == 0 && dm->nfail > 0)
		check_verdict(v, NAME, p, p->dkim_broken_action, 550, "5.7.20",
		    "DKIM signature did not verify");
	(void)m;
}

static void
dk_eom(struct conn *c, struct msg *m, struct edits *e, struct verdict *v)
{
	struct dkim_msg *dm = m->dkim;
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;

	if (dm == NULL)
		return;
	if (m->dir == DIR_OUTBOUND) {
		dkim_sign_eom(c, m, dm, e);
		return;
	}
	if (dm->verify != NULL) {
		(void)dkim_eom(dm->verify, NULL);
		if (dkim_getsiglist(dm->verify, &sigs, &nsigs) == DKIM_STAT_OK)
			for (int i = 0; i < nsigs; i++)
				report_sig(m, dm, sigs[i]);
	}
	/* signatures too malformed for libopendkim to list */
	for (unsigned i = (unsigned)nsigs; i < dm->nsigfields && dm->nmalformed > 0; i++) {
		strbuf sb;

		sb_init(&sb);
		sb_puts(&sb, "dkim=neutral");
		ar_pair(&sb, "reason", dm->malformed_why);
		authres_add(m, sb.s);
		sb_free(&sb);
		dm->nperm++;
	}
	if (dm->verify_broken)
		authres_add(m, "dkim=permerror reason=\"message could not be parsed\"");
	/* no signature: nothing in A-R ("none" stays the whole header's
	 * result when no check has anything to say), dkim=none in the log */
	for (size_t i = 0; i < m->npol; i++) {
		struct verdict pv;

		verdict_clear(&pv);
		decide(m, dm, m->pol[i], &pv);
		if (m->pol[i]->mode == POLICY_OBSERVE)
			verdict_observe(&pv);
		verdict_merge(v, &pv);
	}
}

static void
dk_summary(const struct conn *c, const struct msg *m, strbuf *out)
{
	const struct dkim_msg *dm = m->dkim;

	(void)c;
	if (dm == NULL)
		return;
	if (m->dir == DIR_OUTBOUND) {
		sb_printf(out, " dkim_signed=%u", dm->nsigned);
		if (dm->nsigned == 0 && dm->sign_skipped != NULL)
			sb_printf(out, " dkim_sign=\"%s\"", dm->sign_skipped);
		return;
	}
	if (dm->npass + dm->nfail + dm->ntemp + dm->nperm == 0 && !dm->verify_broken)
		sb_puts(out, " dkim=none");
	else
		sb_printf(out, " dkim=pass:%u,fail:%u,temperror:%u,other:%u",
		    dm->npass, dm->nfail, dm->ntemp, dm->nperm);
	const char *d[DKIM_MAX_PASS];
	size_t n = dkim_pass_domains(m, d, DKIM_MAX_PASS);
	for (size_t i = 0; i < n; i++) {
		sb_puts(out, i == 0 ? " dkim_pass_d=" : ",");
		sb_escape(out, d[i], strlen(d[i]), 100);
	}
}

const struct check check_dkim = {
	.name = NAME,
	.header = dk_header,
	.eoh = dk_eoh,
	.body = dk_body,
	.eom = dk_eom,
	.summary = dk_summary,
};
