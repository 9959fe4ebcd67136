/*
 * check_dmarc.c - check "dmarc": DMARC for inbound mail (RFC 7489).
 *
 * Header phase: the From field(s) give the author domain (addr.c); more
 * than one From field or address is a decision of its own.  End of
 * message (after check_spf and check_dkim in the table): the SPF identity
 * that passed and the d= of each passing DKIM signature are evaluated
 * against the From domain's record (dmarc.c over dns.c).  A failing
 * message gets the action the governing policies map the published
 * policy to (p=reject -> dmarc_reject_action, p=quarantine ->
 * dmarc_quarantine_action); a message outside pct= gets the next milder
 * policy (RFC 7489 6.6.4).  Outbound mail and clients in trusted_hosts
 * are not evaluated.  Results go to Authentication-Results
 * (dmarc=... header.from=...) and the summary line.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/addr.h"
#include "postern/authres.h"
#include "postern/check.h"
#include "postern/dkim.h"
#include "postern/dmarc.h"
#include "postern/spf.h"

#define NAME "dmarc"

static void
dmarc_header(struct conn *c, struct msg *m, const char *name, const char *value,
    struct verdict *v)
{
	(void)c;
	(void)v;
	if (strcasecmp(name, "From") != 0)
		return;
	if (++m->dmarc.nfrom > 1)
		return;
	m->dmarc.from_status = from_header_domain(value, strlen(value),
	    m->dmarc.from_domain, sizeof(m->dmarc.from_domain));
}

/* A stable 0..99 sample per message (FNV-1a of the queue id and sender). */
static unsigned
sample_of(const struct msg *m)
{
	unsigned h = 2166136261u;

	for (const char *p = m->qid; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (const char *p = m->sender ? m->sender : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % 100;
}

static enum action
policy_action(const struct policy *p, enum dmarc_policy dp)
{
	switch (dp) {
	case DMARC_P_REJECT: return p->dmarc_reject_action;
	case DMARC_P_QUARANTINE: return p->dmarc_quarantine_action;
	default: return ACT_ACCEPT;
	}
}

/* The strictest action the governing policies give; *who gets that policy. */
static enum action
strictest(const struct msg *m, enum action (*f)(const struct policy *, int), int arg,
    const struct policy **who)
{
	enum action best = ACT_ACCEPT;

	*who = m->npol ? m->pol[0] : NULL;
	for (size_t i = 0; i < m->npol; i++) {
		enum action a = f(m->pol[i], arg);
		if (a > best) {
			best = a;
			*who = m->pol[i];
		}
	}
	return best;
}

static enum action
act_policy(const struct policy *p, int dp)
{
	return policy_action(p, (enum dmarc_policy)dp);
}

static enum action
act_temperror(const struct policy *p, int unused)
{
	(void)unused;
	return p->dmarc_temperror_action;
}

static enum action
act_multifrom(const struct policy *p, int unused)
{
	(void)unused;
	return p->dmarc_multiple_from_action;
}

static void
dmarc_eom(struct conn *c, struct msg *m, struct edits *e, struct verdict *v)
{
	struct dmarc_input in;
	struct dmarc_output *out = &m->dmarc.out;
	const struct policy *who;
	enum action a;
	strbuf ar;

	(void)e;
	if (m->dir != DIR_INBOUND || m->npol == 0 || c->family == 0 ||
	    cidr_list_match(&c->snap->cfg.trusted_hosts, c->family, c->ip))
		return;
	if (m->dmarc.nfrom != 1 || m->dmarc.from_status != FROM_OK) {
		m->dmarc.evaluated = true;
		out->result = DMARC_PERMERROR;
		strlcpy_ok(out->why, m->dmarc.nfrom == 0 ? "no From field" :
		    m->dmarc.nfrom > 1 ? "several From fields" : from_status_name(m->dmarc.from_status),
		    sizeof(out->why));
		authres_add(m, "dmarc=permerror (unusable From)");
		if (m->dmarc.nfrom > 1 || m->dmarc.from_status == FROM_MULTIPLE) {
			a = strictest(m, act_multifrom, 0, &who);
			check_verdict(v, NAME, who, a, 550, "5.7.1",
			    "more than one author address in From");
		}
		return;
	}
	memset(&in, 0, sizeof(in));
	in.from_domain = m->dmarc.from_domain;
	in.spf_pass = spf_dmarc_identity(c, m, &in.spf_domain);
	in.ndkim = dkim_pass_domains(m, in.dkim_pass, DMARC_MAX_DKIM);
	in.sample = sample_of(m);
	dmarc_evaluate(&in, out);
	m->dmarc.evaluated = true;

	sb_init(&ar);
	sb_printf(&ar, "dmarc=%s", dmarc_result_name(out->result));
	if (out->result == DMARC_PASS || out->result == DMARC_FAIL)
		sb_printf(&ar, " (p=%s%s)", dmarc_policy_name(out->policy),
		    out->sampled_out ? " pct-sampled-out" : "");
	sb_printf(&ar, " header.from=%s", m->dmarc.from_domain);
	authres_add(m, ar.s);
	sb_free(&ar);

	if (out->result == DMARC_TEMPERROR) {
		a = strictest(m, act_temperror, 0, &who);
		check_verdict(v, NAME, who, a, 451, "4.7.5",
		    "DMARC record of %s could not be fetched, try again later", m->dmarc.from_domain);
		return;
	}
	if (out->result != DMARC_FAIL)
		return;
	enum dmarc_policy dp = out->policy;
	if (out->sampled_out && dp > DMARC_P_NONE)
		dp = (enum dmarc_policy)(dp - 1);
	a = strictest(m, act_policy, (int)dp, &who);
	check_verdict(v, NAME, who, a, 550, "5.7.1",
	    "DMARC policy of %s: no aligned SPF or DKIM pass", m->dmarc.from_domain);
}

static void
dmarc_summary(const struct conn *c, const struct msg *m, strbuf *out)
{
	(void)c;
	if (!m->dmarc.evaluated)
		return;
	sb_printf(out, " dmarc=%s", dmarc_result_name(m->dmarc.out.result));
	if (m->dmarc.out.result == DMARC_PASS || m->dmarc.out.result == DMARC_FAIL)
		sb_printf(out, "(p=%s%s)", dmarc_policy_name(m->dmarc.out.policy),
		    m->dmarc.out.sampled_out ? ",sampled-out" : "");
	if (m->dmarc.from_domain[0] != '\0') {
		sb_puts(out, " header.from=");
		sb_escape(out, m->dmarc.from_domain, strlen(m->dmarc.from_domain), 100);
	}
}

const struct check check_dmarc = {
	.name = NAME,
	.header = dmarc_header,
	.eom = dmarc_eom,
	.summary = dmarc_summary,
};
