/*
 * check_dmarc.c - check "dmarc": DMARC for inbound mail (RFC 7489).
 *
 * The author domain is the message's From, parsed once by the pipeline
 * (struct author, addr.c); a From that names no single author (none,
 * several fields or addresses, one that cannot be parsed) is a decision
 * of its own, dmarc.unusable_from_action.  End of
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
	enum action reject, quarantine, temperror, unusable_from;
};

#define OFF(f) offsetof(struct dmarc_policy_keys, f)
static const struct ct_key dmarc_keys[] = {
	{ "dmarc.reject_action", CT_ACTION, OFF(reject), "reject", 0, 0, NULL,
	  "DMARC fail where the domain publishes p=reject (reject = 550 5.7.1)" },
	{ "dmarc.quarantine_action", CT_ACTION, OFF(quarantine), "quarantine", 0, 0, NULL,
	  "DMARC fail where the domain publishes p=quarantine (quarantine = the MTA's hold queue)" },
	{ "dmarc.temperror_action", CT_ACTION, OFF(temperror), "accept", 0, 0, NULL,
	  "the DMARC record could not be fetched (tempfail = 451 4.7.5)" },
	{ "dmarc.unusable_from_action", CT_ACTION, OFF(unusable_from), "reject", 0, 0, NULL,
	  "no From field, several From fields or addresses, or one that cannot be parsed: DMARC cannot name the author (reject = 550 5.7.1)" },
	{ "dmarc.multiple_from_action", CT_ALIAS, 0, "dmarc.unusable_from_action", 0, 0, NULL, NULL },
};
#undef OFF

struct dmarc_msg {
	bool evaluated;
	struct dmarc_output out;
};

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
act_unusable(const void *pol, int unused)
{
	(void)unused;
	return ((const struct dmarc_policy_keys *)pol)->unusable_from;
}

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
	strbuf ar;

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
		/* issue 9: what cannot name one author is refused by policy,
		 * never evaluated as "no policy" (fail closed) */
		a = strictest(m, act_unusable, 0, &who);
		check_verdict(v, NAME, who, a, 550, "5.7.1",
		    au->nfrom > 1 || au->status == FROM_MULTIPLE ?
		    "more than one author address in From" :
		    au->nfrom == 0 ? "no From header field" : "From address cannot be parsed");
		return;
	}
	memset(&in, 0, sizeof(in));
	in.from_domain = au->domain;
	in.spf_pass = spf_dmarc_identity(c, m, &in.spf_domain);
	in.ndkim = dkim_pass_domains(m, in.dkim_pass, DMARC_MAX_DKIM);
	in.sample = sample_of(m);
	dmarc_evaluate(&in, out);
	d->evaluated = true;

	sb_init(&ar);
	sb_printf(&ar, "dmarc=%s", dmarc_result_name(out->result));
	if (out->result == DMARC_PASS || out->result == DMARC_FAIL)
		sb_printf(&ar, " (p=%s%s)", dmarc_policy_name(out->policy),
		    out->sampled_out ? " pct-sampled-out" : "");
	sb_printf(&ar, " header.from=%s", au->domain);
	authres_add(m, ar.s);
	sb_free(&ar);

	if (out->result == DMARC_TEMPERROR) {
		a = strictest(m, act_temperror, 0, &who);
		check_verdict(v, NAME, who, a, 451, "4.7.5",
		    "DMARC record of %s could not be fetched, try again later", au->domain);
		return;
	}
	if (out->result != DMARC_FAIL)
		return;
	enum dmarc_policy dp = out->policy;
	if (out->sampled_out && dp > DMARC_P_NONE)
		dp = (enum dmarc_policy)(dp - 1);
	a = strictest(m, act_policy, (int)dp, &who);
	check_verdict(v, NAME, who, a, 550, "5.7.1",
	    "DMARC policy of %s: no aligned SPF or DKIM pass", au->domain);
}

bool
check_dmarc_result(const struct msg *m, enum dmarc_result *out)
{
	const struct dmarc_msg *d = check_msg_state(m, &check_dmarc);

	if (!d->evaluated)
		return false;
	*out = d->out.result;
	return true;
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
		sb_printf(out, "(p=%s%s)", dmarc_policy_name(d->out.policy),
		    d->out.sampled_out ? ",sampled-out" : "");
	if (d->out.result == DMARC_PERMERROR && d->out.why[0] != '\0') {
		sb_puts(out, " dmarc_why=");
		sb_escape(out, d->out.why, strlen(d->out.why), 100);
	}
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
