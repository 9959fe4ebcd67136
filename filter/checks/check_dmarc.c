/*
 * check_dmarc.c - check "dmarc": DMARC for inbound mail (RFC 9989).
 *
 * The author domain is the message's From, parsed once by the pipeline
 * (struct author, addr.c); more than one From field or address is a
 * decision of its own.  End of
 * message (after check_spf and check_dkim in the table): the SPF identity
 * that passed and the d= of each passing DKIM signature are evaluated
 * against the From domain's record (dmarc.c over dns.c).  A failing
 * message gets the action the governing policies map the published
 * policy to (p=reject -> dmarc_reject_action, p=quarantine ->
 * dmarc_quarantine_action); a record in testing mode (t=y) gets the next
 * milder policy (RFC 9989).  Outbound mail and clients in trusted_hosts
 * are not evaluated.  Results go to Authentication-Results
 * (dmarc=... header.from=...) and the summary line.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "postern/check_authres.h"
#include "postern/check_dkim.h"
#include "postern/check_dmarc.h"
#include "postern/check_spf.h"
#include "postern/dmarc.h"

#define NAME "dmarc"

/* Each policy's DMARC block: the action per published policy. */
struct dmarc_policy_keys {
	enum action reject, quarantine, temperror, multiple_from;
};

#define OFF(f) offsetof(struct dmarc_policy_keys, f)
static const struct ct_key dmarc_keys[] = {
	{ "dmarc.reject_action", CT_ACTION, OFF(reject), "reject", 0, 0, NULL,
	  "DMARC fail where the domain publishes p=reject (reject = 550 5.7.1)" },
	{ "dmarc.quarantine_action", CT_ACTION, OFF(quarantine), "quarantine", 0, 0, NULL,
	  "DMARC fail where the domain publishes p=quarantine (quarantine = the MTA's hold queue)" },
	{ "dmarc.temperror_action", CT_ACTION, OFF(temperror), "accept", 0, 0, NULL,
	  "the DMARC record could not be fetched (tempfail = 451 4.7.5)" },
	{ "dmarc.multiple_from_action", CT_ACTION, OFF(multiple_from), "reject", 0, 0, NULL,
	  "several From fields or addresses, which DMARC cannot evaluate (reject = 550 5.7.1)" },
};
#undef OFF

struct dmarc_msg {
	bool evaluated;
	struct dmarc_output out;
};

static enum action
act_policy(const void *pol, int dp)
{
	const struct dmarc_policy_keys *p = pol;

	switch ((enum dmarc_policy)dp) {
	case DMARC_P_REJECT: return p->reject;
	case DMARC_P_QUARANTINE: return p->quarantine;
	default: return ACT_ACCEPT;
	}
}

static enum action
act_temperror(const void *pol, int unused)
{
	(void)unused;
	return ((const struct dmarc_policy_keys *)pol)->temperror;
}

static enum action
act_multifrom(const void *pol, int unused)
{
	(void)unused;
	return ((const struct dmarc_policy_keys *)pol)->multiple_from;
}

/* dmarc=RESULT (p=PUBLISHED[; testing][; psd=DOMAIN]) policy.dmarc=APPLIED
 * header.from=DOMAIN: policy.dmarc is the policy after the record's own
 * options (t=y), as RFC 9989 9.1 registers it. */
static void
dmarc_authres(struct msg *m, const struct author *au, const struct dmarc_output *out)
{
	strbuf ar;

	sb_init(&ar);
	sb_printf(&ar, "dmarc=%s", dmarc_result_name(out->result));
	if (out->result == DMARC_PASS || out->result == DMARC_FAIL) {
		sb_printf(&ar, " (p=%s%s", dmarc_policy_name(out->policy),
		    out->testing ? "; testing" : "");
		if (out->psd_record)
			sb_printf(&ar, "; psd=%s", out->record_domain);
		sb_printf(&ar, ") policy.dmarc=%s", dmarc_policy_name(out->applied));
	}
	sb_printf(&ar, " header.from=%s", au->domain);
	authres_add(m, ar.s);
	sb_free(&ar);
}

static void dmarc_decide(struct msg *m, struct dmarc_msg *d, struct verdict *v);

#define strictest(m, f, arg, who) check_strictest((m), &check_dmarc, (f), (arg), (who))

static void
dmarc_eom(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v)
{
	struct dmarc_msg *d = ms;
	const struct author *au = &m->author;
	struct dmarc_input in;
	struct dmarc_output *out = &d->out;
	const struct policy *who;
	enum action a;

	(void)e;
	if (m->dir != DIR_INBOUND || m->npol == 0 || c->family == 0 ||
	    cidr_list_match(&c->snap->cfg.trusted_hosts, c->family, c->ip))
		return;
	if (au->nfrom != 1 || au->status != FROM_OK) {
		d->evaluated = true;
		out->result = DMARC_PERMERROR;
		strlcpy_ok(out->why, au->nfrom == 0 ? "no From field" :
		    au->nfrom > 1 ? "several From fields" : from_status_name(au->status),
		    sizeof(out->why));
		authres_add(m, "dmarc=permerror (unusable From)");
		if (au->nfrom > 1 || au->status == FROM_MULTIPLE) {
			a = strictest(m, act_multifrom, 0, &who);
			check_verdict(v, NAME, who, a, 550, "5.7.1",
			    "more than one author address in From");
		}
		return;
	}
	memset(&in, 0, sizeof(in));
	in.from_domain = au->domain;
	in.spf_pass = spf_dmarc_identity(c, m, &in.spf_domain);
	in.ndkim = dkim_pass_domains(m, in.dkim_pass, DMARC_MAX_DKIM);
	dmarc_evaluate(&in, out);
	d->evaluated = true;
	dmarc_authres(m, au, out);
	dmarc_decide(m, d, v);
}

/* The verdict for an evaluated message: temperror, or the policy that
 * applies after t= for a failing one. */
static void
dmarc_decide(struct msg *m, struct dmarc_msg *d, struct verdict *v)
{
	const struct author *au = &m->author;
	const struct dmarc_output *out = &d->out;
	const struct policy *who;
	enum action a;

	if (out->result == DMARC_TEMPERROR) {
		a = strictest(m, act_temperror, 0, &who);
		check_verdict(v, NAME, who, a, 451, "4.7.5",
		    "DMARC record of %s could not be fetched, try again later", au->domain);
		return;
	}
	if (out->result != DMARC_FAIL)
		return;
	a = strictest(m, act_policy, (int)out->applied, &who);
	check_verdict(v, NAME, who, a, 550, "5.7.1",
	    "DMARC policy of %s: no aligned SPF or DKIM pass", au->domain);
}

static void
dmarc_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct dmarc_msg *d = ms;
	const struct author *au = &m->author;

	(void)c;
	if (!d->evaluated)
		return;
	sb_printf(out, " dmarc=%s", dmarc_result_name(d->out.result));
	if (d->out.result == DMARC_PASS || d->out.result == DMARC_FAIL)
		sb_printf(out, "(p=%s%s) policy.dmarc=%s", dmarc_policy_name(d->out.policy),
		    d->out.testing ? ",testing" : "", dmarc_policy_name(d->out.applied));
	if (au->domain[0] != '\0') {
		sb_puts(out, " header.from=");
		sb_escape(out, au->domain, strlen(au->domain), 100);
	}
}

const struct check check_dmarc = {
	.name = NAME,
	.policy_keys = dmarc_keys,
	.npolicy_keys = NELEM(dmarc_keys),
	.policy_size = sizeof(struct dmarc_policy_keys),
	.msg_size = sizeof(struct dmarc_msg),
	.eom = dmarc_eom,
	.summary = dmarc_summary,
};
