/*
 * check_dkim.c - check "dkim": every inbound signature verified and
 * reported, outbound mail signed with every key of the From domain, over
 * the DKIM engine (dkim.h), which knows nothing of checks.
 *
 * Inbound: the engine sees every header and body chunk; at end of message
 * each signature becomes one Authentication-Results clause and the
 * governing policies decide (required signatures, broken signatures, key
 * DNS failures).  Outbound: the engine keeps the headers, starts one
 * signer per key of the From domain (struct author, parsed once by the
 * pipeline) at end of headers, and each signature it returns is inserted
 * at the top.  The key table and library handle are this check's
 * snapshot state (built at start-up and reload).
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/check_authres.h"
#include "postern/check_dkim.h"
#include "postern/check_login.h"
#include "postern/config.h"
#include "postern/metrics.h"

#define NAME "dkim"
#define SIG_FIELD "DKIM-Signature"
#define AR_VALUE_MAX 100

/* ---- policy keys ------------------------------------------------------------ */

struct dkim_policy {
	struct strlist require;      /* From domains that must carry a valid aligned signature */
	enum action require_action;
	enum action broken_action;
	enum action dns_error_action;
	enum action sign_failure_action;
};

#define OFF(f) offsetof(struct dkim_policy, f)
static const struct ct_key dkim_keys[] = {
	{ "dkim.require_signature_from", CT_STRLIST, OFF(require), NULL, 0, 0, NULL,
	  "From domains (and their subdomains) whose mail must carry a valid DKIM signature of that domain or a parent" },
	{ "dkim.require_action", CT_ACTION, OFF(require_action), "reject", 0, 0, NULL,
	  "what mail missing a required signature gets (reject = 550 5.7.20)" },
	{ "dkim.broken_action", CT_ACTION, OFF(broken_action), "tag", 0, 0, NULL,
	  "no signature verifies and at least one fails (RFC 6376 6.3: do not reject for this alone)" },
	{ "dkim.dns_error_action", CT_ACTION, OFF(dns_error_action), "tag", 0, 0, NULL,
	  "no signature verifies and a key lookup failed (tempfail = 451 4.7.5)" },
	{ "dkim.sign_failure_action", CT_ACTION, OFF(sign_failure_action), "tempfail", 0, 0, NULL,
	  "outbound mail that a key of its From domain should sign and whose signature could not be made (tempfail = 451 4.3.0, reject = 554 5.3.0)" },
};
#undef OFF

/* ---- snapshot state: the engine's key table and library handle ------------- */

static bool
dk_snap_new(const struct config *cfg, void **out, struct ct_errors *errs)
{
	struct dkim_settings set = {
		.keys = &cfg->dkim_keys,
		.sign_subdomains = cfg->dkim_sign_subdomains,
		.canon = cfg->dkim_canon,
		.max_signatures = (unsigned)cfg->dkim_max_signatures,
		.min_key_bits = (unsigned)cfg->dkim_min_key_bits,
	};
	strbuf problems;

	sb_init(&problems);
	*out = dkim_state_build(&set, &problems);
	for (const char *line = problems.s; line != NULL && *line != '\0';) {
		size_t n = strcspn(line, "\n");

		ct_error(errs, cfg->file, 0, "dkim.keys", "%.*s", (int)n, line);
		line += n + (line[n] == '\n');
	}
	sb_free(&problems);
	return *out != NULL;
}

static void
dk_snap_free(void *st)
{
	dkim_state_free(st);
}

const struct dkim_state *
check_dkim_state(const struct snapshot *s)
{
	return check_snap_state(s, &check_dkim);
}

/* ---- per message ------------------------------------------------------------ */

struct dk_msg {
	struct dkim_msg *job;        /* the engine's verifying or signing job */
	bool broken;                 /* the engine could not parse the message */
	unsigned npass, nfail, ntemp, nperm;
	char passd[DKIM_MAX_PASS][DKIM_DOMAIN_MAX + 1];   /* d= of passing signatures, lower case */
	size_t npassd;
	char tempd[DKIM_MAX_PASS][DKIM_DOMAIN_MAX + 1];   /* d= of signatures whose key lookup failed */
	size_t ntempd;
	unsigned nsigned, nmissing;
	struct dkim_report_sig sigs[DKIM_MAX_REPORT]; /* for DMARC reports */
	size_t nsigs;
	const char *sign_skipped;    /* why nothing was signed (static text) */
	struct msg *m;               /* for the engine's callbacks */
};

static void
dk_reset(void *ms)
{
	struct dk_msg *d = ms;

	dkim_msg_free(d->job);
}

struct dkim_msg *
check_dkim_job(const struct msg *m)
{
	const struct dk_msg *d = check_msg_state(m, &check_dkim);

	return d->job;
}

static void
dk_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct dk_msg *d = ms;
	const struct dkim_state *st = check_dkim_state(c->snap);

	(void)v;
	if (st == NULL)
		return;
	if (d->job == NULL)
		d->job = dkim_msg_new(st, m->qid, m->dir == DIR_OUTBOUND);
	(void)value;
	dkim_msg_header(d->job, name, m->field_raw);
}

/* Signing needs exactly one From field with one usable address. */
static const char *
sign_domain(const struct msg *m, struct dk_msg *d)
{
	const struct author *au = &m->author;

	if (check_login_mismatch(m)) {
		d->sign_skipped = "sender not bound to the login (sender_login)";
		return NULL;
	}
	if (au->nfrom == 1 && au->status == FROM_OK)
		return au->domain;
	d->sign_skipped = au->nfrom == 0 ? "no From header" :
	    au->nfrom > 1 ? "several From headers" : "unusable From address";
	return NULL;
}

static void
dk_eoh(struct conn *c, struct msg *m, void *ms, struct verdict *v)
{
	struct dk_msg *d = ms;
	const struct dkim_state *st = check_dkim_state(c->snap);

	(void)v;
	if (d->job == NULL)
		return;
	dkim_msg_eoh(d->job, m->dir == DIR_OUTBOUND && st->keys.n > 0 ? sign_domain(m, d) : NULL);
}

static void
dk_body(struct conn *c, struct msg *m, void *ms, const unsigned char *buf, size_t len,
    struct verdict *v)
{
	struct dk_msg *d = ms;

	(void)c;
	(void)m;
	(void)v;
	if (d->job != NULL)
		dkim_msg_body(d->job, buf, len);
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

static void
lower_d(char *o, const char *d)
{
	size_t k = 0;

	for (; d[k] != '\0' && k < DKIM_DOMAIN_MAX; k++)
		o[k] = (char)tolower((unsigned char)d[k]);
	o[k] = '\0';
}

/* Remember a signature for reports; a pass displaces a failure when full. */
static void
keep_sig(struct dk_msg *d, const struct dkim_sigresult *r)
{
	struct dkim_report_sig *k = NULL;

	if (r->d[0] == '\0')
		return;
	if (d->nsigs < DKIM_MAX_REPORT) {
		k = &d->sigs[d->nsigs++];
	} else if (r->res == DKSIG_PASS) {
		for (size_t i = 0; i < d->nsigs && k == NULL; i++)
			if (d->sigs[i].res != DKSIG_PASS)
				k = &d->sigs[i];
	}
	if (k == NULL)
		return;
	strlcpy_ok(k->d, r->d, sizeof(k->d));
	strlcpy_ok(k->s, r->s, sizeof(k->s));
	k->res = r->res;
}

size_t
dkim_report_sigs(const struct msg *m, const struct dkim_report_sig **out)
{
	const struct dk_msg *d = check_msg_state(m, &check_dkim);

	*out = d->sigs;
	return d->nsigs;
}

/* One signature: an A-R clause and the counts the policies decide on. */
static void
report_sig(void *ctx, const struct dkim_sigresult *r)
{
	struct dk_msg *d = ctx;
	strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "dkim=%s", dkim_sigres_name(r->res));
	if (r->res == DKSIG_PASS && r->bits > 0)
		sb_printf(&sb, " (%u-bit key)", r->bits);
	if (r->why != NULL)
		ar_pair(&sb, "reason", r->why);
	if (*r->d)
		ar_pair(&sb, "header.d", r->d);
	if (*r->i) {
		ar_pair(&sb, "header.i", r->i);
	} else if (*r->d) {
		char at[DKIM_DOMAIN_MAX + 2];
		snprintf(at, sizeof(at), "@%s", r->d);
		ar_pair(&sb, "header.i", at);
	}
	if (*r->s)
		ar_pair(&sb, "header.s", r->s);
	if (*r->a)
		ar_pair(&sb, "header.a", r->a);
	if (*r->b)
		ar_pair(&sb, "header.b", r->b);
	authres_add(d->m, sb.s);
	sb_free(&sb);
	keep_sig(d, r);
	switch (r->res) {
	case DKSIG_PASS:
		d->npass++;
		if (d->npassd < DKIM_MAX_PASS && *r->d)
			lower_d(d->passd[d->npassd++], r->d);
		break;
	case DKSIG_FAIL: d->nfail++; break;
	case DKSIG_TEMPERROR:
		d->ntemp++;
		if (d->ntempd < DKIM_MAX_PASS && *r->d)
			lower_d(d->tempd[d->ntempd++], r->d);
		break;
	default: d->nperm++; break;
	}
}

/* A signature in list (d= values) of the From domain or one of its parents. */
static bool
aligned_in(const char (*list)[DKIM_DOMAIN_MAX + 1], size_t n, const char *from)
{
	for (const char *p = from; p != NULL && *p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL)
		for (size_t i = 0; i < n; i++)
			if (strcmp(list[i], p) == 0)
				return true;
	return false;
}

size_t
dkim_pass_domains(const struct msg *m, const char **out, size_t max)
{
	const struct dk_msg *d = check_msg_state(m, &check_dkim);
	size_t n = 0;

	for (size_t i = 0; i < d->npassd && n < max; i++)
		out[n++] = d->passd[i];
	return n;
}

void
dkim_counts(const struct msg *m, unsigned *npass, unsigned *nfail, unsigned *ntemp)
{
	const struct dk_msg *d = check_msg_state(m, &check_dkim);

	*npass = d->npass;
	*nfail = d->nfail;
	*ntemp = d->ntemp;
}

static bool
required_for(const struct dkim_policy *p, const char *from)
{
	for (size_t i = 0; i < p->require.n; i++)
		if (domain_under(from, strlen(from), p->require.v[i]))
			return true;
	return false;
}

static void
decide(const struct msg *m, const struct dk_msg *d, const struct policy *pol, struct verdict *v)
{
	const struct dkim_policy *p = check_policy(pol, &check_dkim);
	const struct author *au = &m->author;
	const char *from = au->nfrom == 1 && au->status == FROM_OK ? au->domain : "";

	if (*from == '\0' && p->require.n > 0)
		/* fail closed: without one parsed author, no requirement can
		 * be shown to be met (issue 9) */
		check_verdict(v, NAME, pol, p->require_action, 550, "5.7.20",
		    "no single usable From address to check the required DKIM signature against");
	else if (*from && required_for(p, from) && !aligned_in(d->passd, d->npassd, from)) {
		if (aligned_in(d->tempd, d->ntempd, from))
			/* the key could not be fetched: retry, never lose the
			 * mail (never stricter than a tempfail, never milder
			 * than require_action asks) */
			check_verdict(v, NAME, pol,
			    p->require_action > ACT_TEMPFAIL ? ACT_TEMPFAIL : p->require_action,
			    451, "4.7.5", "DKIM key of %s could not be fetched, try again later", from);
		else
			check_verdict(v, NAME, pol, p->require_action, 550, "5.7.20",
			    "no valid DKIM signature from %s", from);
	} else if (d->npass == 0 && d->ntemp > 0)
		check_verdict(v, NAME, pol, p->dns_error_action, 550, "5.7.5",
		    "DKIM key lookup failed");
	else if (d->npass == 0 && d->nfail > 0)
		check_verdict(v, NAME, pol, p->broken_action, 550, "5.7.20",
		    "DKIM signature did not verify");
}

static void
insert_signature(void *ctx, const char *value)
{
	edits_insert(ctx, 0, SIG_FIELD, value);
}

static void
dk_eom(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v)
{
	struct dk_msg *d = ms;

	(void)c;
	if (d->job == NULL)
		return;
	if (m->dir == DIR_OUTBOUND) {
		d->nsigned = dkim_sign_eom(d->job, insert_signature, e);
		if (d->sign_skipped == NULL)
			d->sign_skipped = dkim_sign_skipped(d->job);
		d->nmissing = dkim_sign_missing(d->job);
		metrics_dkim_sign(d->nsigned, d->nmissing, d->nsigned == 0 && d->sign_skipped != NULL);
		if (d->nmissing > 0)
			/* never unsigned (or half-signed) mail with only a log
			 * line: the sender's policy decides (issue 9) */
			for (size_t i = 0; i < m->npol; i++) {
				const struct dkim_policy *p = check_policy(m->pol[i], &check_dkim);
				struct verdict pv;

				verdict_clear(&pv);
				check_verdict(&pv, NAME, m->pol[i], p->sign_failure_action, 554, "5.3.0",
				    "the message could not be DKIM-signed");
				if (m->pol[i]->mode == POLICY_OBSERVE)
					verdict_observe(&pv);
				verdict_merge(v, &pv);
			}
		return;
	}
	d->m = m;
	if (!dkim_verify_eom(d->job, report_sig, d)) {
		d->broken = true;
		authres_add(m, "dkim=permerror reason=\"message could not be parsed\"");
	}
	/* no signature at all: dkim=none (RFC 8601 2.7.1) */
	if (!d->broken && d->npass + d->nfail + d->ntemp + d->nperm == 0)
		authres_add(m, "dkim=none");
	for (size_t i = 0; i < m->npol; i++) {
		struct verdict pv;

		verdict_clear(&pv);
		decide(m, d, m->pol[i], &pv);
		if (m->pol[i]->mode == POLICY_OBSERVE)
			verdict_observe(&pv);
		verdict_merge(v, &pv);
	}
}

static void
dk_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct dk_msg *d = ms;
	const char *pd[DKIM_MAX_PASS];
	size_t n;

	(void)c;
	if (d->job == NULL)
		return;
	if (m->dir == DIR_OUTBOUND) {
		sb_printf(out, " dkim_signed=%u", d->nsigned);
		if (d->nmissing > 0)
			sb_printf(out, " dkim_sign_failed=%u", d->nmissing);
		if (d->nsigned == 0 && d->sign_skipped != NULL)
			sb_printf(out, " dkim_sign=\"%s\"", d->sign_skipped);
		return;
	}
	if (d->npass + d->nfail + d->ntemp + d->nperm == 0 && !d->broken)
		sb_puts(out, " dkim=none");
	else
		sb_printf(out, " dkim=pass:%u,fail:%u,temperror:%u,other:%u",
		    d->npass, d->nfail, d->ntemp, d->nperm);
	if (dkim_verify_ignored(d->job) > 0)
		sb_printf(out, " dkim_unverified=%u(limit)", dkim_verify_ignored(d->job));
	n = dkim_pass_domains(m, pd, DKIM_MAX_PASS);
	for (size_t i = 0; i < n; i++) {
		sb_puts(out, i == 0 ? " dkim_pass_d=" : ",");
		sb_escape(out, pd[i], strlen(pd[i]), 100);
	}
}

const struct check check_dkim = {
	.name = NAME,
	.policy_keys = dkim_keys,
	.npolicy_keys = NELEM(dkim_keys),
	.policy_size = sizeof(struct dkim_policy),
	.snap_new = dk_snap_new,
	.snap_free = dk_snap_free,
	.msg_size = sizeof(struct dk_msg),
	.msg_reset = dk_reset,
	.header = dk_header,
	.eoh = dk_eoh,
	.body = dk_body,
	.eom = dk_eom,
	.summary = dk_summary,
};
