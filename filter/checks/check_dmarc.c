/*
 * check_dmarc.c - check "dmarc": DMARC for inbound mail (RFC 9989).
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
 * dmarc_quarantine_action); a record in testing mode (t=y) gets the next
 * milder policy (RFC 9989).  Outbound mail and clients in trusted_hosts
 * are not evaluated.  Results go to Authentication-Results
 * (dmarc=... header.from=...) and the summary line.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "postern/check_arc.h"
#include "postern/check_authres.h"
#include "postern/check_dkim.h"
#include "postern/check_dmarc.h"
#include "postern/check_spf.h"
#include "postern/dmarc.h"
#include "postern/dmarc_failure.h"
#include "postern/dmarc_spool.h"
#include "postern/log.h"

#define NAME "dmarc"

/* Each policy's DMARC block: the action per published policy. */
struct dmarc_policy_keys {
	enum action reject, quarantine, temperror, unusable_from;
	struct strlist forwarders;      /* trusted forwarder / sealer domains */
	struct cidr_list forwarder_hosts;
	enum action list_action;        /* ceiling for mail with List-Id */
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
	{ "dmarc.trusted_forwarders", CT_STRLIST, OFF(forwarders), NULL, 0, 0, NULL,
	  "forwarders and mailing lists whose mail is not refused for a DMARC failure: a passing "
	  "DKIM d=, SPF-passing MAIL FROM domain or sealer of a passing ARC chain (d= of the newest "
	  "ARC-Seal) equal to or under one of these domains" },
	{ "dmarc.trusted_forwarder_hosts", CT_CIDRLIST, OFF(forwarder_hosts), NULL, 0, 0, NULL,
	  "client addresses (CIDR) of trusted forwarders, treated as dmarc.trusted_forwarders" },
	{ "dmarc.list_action", CT_ACTION, OFF(list_action), "reject", 0, 0, NULL,
	  "the strictest action for a DMARC failure of a message with List-Id "
	  "(e.g. quarantine instead of reject; reject = no change)" },
};
#undef OFF

/* A local override of the domain's policy, named as RFC 9990's
 * PolicyOverrideType. */
enum dmarc_override { OVR_NONE = 0, OVR_FORWARDER, OVR_LIST };

struct dmarc_msg {
	bool evaluated;
	bool list_id;                   /* the message carries List-Id */
	char list_id_val[104];          /* its value, escaped and cut, for the log */
	enum dmarc_override override;
	char override_by[DMARC_NAME_MAX + 4]; /* the forwarder that matched ("arc:" + sealer) */
	const char *arc_sealer;         /* check_arc's passing sealer, or NULL */
	enum action action;             /* what DMARC asked for */
	bool observed;                  /* the deciding policy is in observe mode */
	char rcpt_domain[DMARC_NAME_MAX]; /* the first accepted recipient's domain (envelope_to) */
	struct dmarc_output out;
	strbuf fhdrs;                   /* redacted header fields for a failure report */
	size_t fhdrs_enc;               /* their size as encoded in the spool line */
	bool fhdrs_trunc;               /* some did not fit */
};

/* Per snapshot: the report spool writers, if configured; the failure
 * reports' redaction key (random per snapshot). */
struct dmarc_snap {
	struct dmarc_spool *spool;
	struct dmarc_spool *failure;    /* SPOOL_DIR/failure, dmarc_report.failure */
	unsigned char key[DMARC_FAIL_KEY_LEN];
};

static bool spool_enabled;

void
check_dmarc_spool_enable(void)
{
	spool_enabled = true;
}

static const char *
override_name(enum dmarc_override o)
{
	return o == OVR_FORWARDER ? "trusted_forwarder" : o == OVR_LIST ? "mailing_list" : "";
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

/* dmarc=RESULT (p=PUBLISHED[; testing][; psd=DOMAIN][; override=WHY])
 * policy.dmarc=APPLIED header.from=DOMAIN: policy.dmarc is the policy
 * after the record's own options (t=y), as RFC 9989 9.1 registers it; a
 * local override (RFC 9990 PolicyOverrideType names) is in the comment. */
static void
dmarc_authres(struct msg *m, const struct author *au, const struct dmarc_msg *d)
{
	const struct dmarc_output *out = &d->out;
	strbuf ar;

	sb_init(&ar);
	sb_printf(&ar, "dmarc=%s", dmarc_result_name(out->result));
	if (out->result == DMARC_PASS || out->result == DMARC_FAIL) {
		sb_printf(&ar, " (p=%s%s", dmarc_policy_name(out->policy),
		    out->testing ? "; testing" : "");
		if (out->psd_record)
			sb_printf(&ar, "; psd=%s", out->record_domain);
		if (d->override == OVR_FORWARDER)
			sb_printf(&ar, "; override=trusted_forwarder %s", d->override_by);
		else if (d->override == OVR_LIST)
			sb_puts(&ar, "; override=mailing_list");
		sb_printf(&ar, ") policy.dmarc=%s", dmarc_policy_name(out->applied));
	}
	sb_printf(&ar, " header.from=%s", au->domain);
	authres_add(m, ar.s);
	sb_free(&ar);
}

static void dmarc_spool_record(const struct conn *c, const struct msg *m,
    const struct dmarc_msg *d);
static void dmarc_failure_record(const struct conn *c, const struct msg *m,
    const struct dmarc_msg *d);
static void dmarc_decide(const struct conn *c, struct msg *m, struct dmarc_msg *d,
    const struct dmarc_input *in, struct verdict *v);

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
	dmarc_evaluate(&in, out);
	d->evaluated = true;
	d->arc_sealer = check_arc_sealer(m);
	dmarc_decide(c, m, d, &in, v);
	dmarc_authres(m, au, d);
	if (out->result == DMARC_PASS || out->result == DMARC_FAIL) {
		dmarc_spool_record(c, m, d);
		dmarc_failure_record(c, m, d);
	}
}

/* ---- failure reports (RFC 9991, read by postern-report --failure) ------ */

static bool
sig_failed(const struct msg *m)
{
	const struct dkim_report_sig *sigs;
	size_t n = dkim_report_sigs(m, &sigs);

	for (size_t i = 0; i < n; i++)
		if (strcmp(dkim_sigres_name(sigs[i].res), "fail") == 0)
			return true;
	return false;
}

static void
dmarc_failure_record(const struct conn *c, const struct msg *m, const struct dmarc_msg *d)
{
	const struct dmarc_snap *st = check_snap_state(c->snap, &check_dmarc);
	const struct spf_fact *sf = check_spf_fact(m);
	const struct dmarc_output *out = &d->out;
	struct dmarc_fo_facts f;
	struct dmarc_failure_rec *r;
	strbuf line;

	if (st == NULL || st->failure == NULL || out->rec.ruf[0] == '\0' || d->fhdrs.len == 0)
		return;
	memset(&f, 0, sizeof(f));
	f.spf_aligned = out->spf_aligned;
	f.dkim_aligned = out->dkim_aligned;
	f.dkim_failed = sig_failed(m);
	if (sf != NULL && sf->checked) {
		const char *res = spf_res_name(sf->o.result);
		f.spf_failed = strcmp(res, "fail") == 0 || strcmp(res, "softfail") == 0;
	}
	if (!dmarc_fo_wants(out->rec.fo, &f))
		return;
	r = xmalloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->ts = (long long)time(NULL);
	strlcpy_ok(r->host, dmarc_spool_host(st->failure), sizeof(r->host));
	strlcpy_ok(r->ip, c->addr, sizeof(r->ip));
	strlcpy_ok(r->header_from, m->author.domain, sizeof(r->header_from));
	strlcpy_ok(r->env_from, m->sender_domain, sizeof(r->env_from));
	strlcpy_ok(r->policy_domain, out->record_domain, sizeof(r->policy_domain));
	strlcpy_ok(r->ruf, out->rec.ruf, sizeof(r->ruf));
	r->result = out->result;
	r->spf_aligned = out->spf_aligned;
	r->dkim_aligned = out->dkim_aligned;
	r->truncated = d->fhdrs_trunc;
	strlcpy_ok(r->hdrs, d->fhdrs.s != NULL ? d->fhdrs.s : "", sizeof(r->hdrs));
	sb_init(&line);
	if (!dmarc_failure_format(r, &line) || !dmarc_spool_put(st->failure, line.s, line.len))
		plog(PLOG_NOTICE, m->qid, "dmarc failure spool: record dropped (queue full or too long)");
	sb_free(&line);
	free(r);
}

/* ---- the report spool (RFC 9990 data, read by postern-report) ---------- */

static enum dmarc_disp
disposition(const struct dmarc_msg *d)
{
	if (d->out.result == DMARC_PASS)
		return d->out.policy == DMARC_P_NONE ? DMARC_DISP_NONE : DMARC_DISP_PASS;
	if (d->observed)
		return DMARC_DISP_NONE;
	switch (d->action) {
	case ACT_REJECT: return DMARC_DISP_REJECT;
	case ACT_QUARANTINE: return DMARC_DISP_QUARANTINE;
	default: return DMARC_DISP_NONE;
	}
}

/* The override reason (RFC 9990 PolicyOverrideType) for the record. */
static void
override_of(const struct dmarc_msg *d, struct dmarc_spool_rec *r)
{
	if (d->out.result != DMARC_FAIL)
		return;
	if (d->override == OVR_FORWARDER) {
		strlcpy_ok(r->override_type, "trusted_forwarder", sizeof(r->override_type));
		strlcpy_ok(r->override_comment, d->override_by, sizeof(r->override_comment));
	} else if (d->override == OVR_LIST) {
		strlcpy_ok(r->override_type, "mailing_list", sizeof(r->override_type));
		strlcpy_ok(r->override_comment, "List-Id", sizeof(r->override_comment));
	} else if (d->observed && d->action > ACT_TAG) {
		strlcpy_ok(r->override_type, "local_policy", sizeof(r->override_type));
		strlcpy_ok(r->override_comment, "observe mode", sizeof(r->override_comment));
	} else if (d->out.testing && d->out.policy > DMARC_P_NONE) {
		strlcpy_ok(r->override_type, "policy_test_mode", sizeof(r->override_type));
	}
}

/*
 * RFC 9990 <envelope_to>: the domain of the first accepted recipient.  A
 * hook sees m->nrcpt recipients accepted before this one, so while none is,
 * each call replaces the domain; the one accepted first stays.
 */
static void
dmarc_envrcpt(struct conn *c, struct msg *m, void *ms, const struct policy *p, struct verdict *v)
{
	struct dmarc_msg *d = ms;
	const char *at;

	(void)c;
	(void)p;
	(void)v;
	if (m->nrcpt > 0 || m->rcpt == NULL)
		return;
	at = strrchr(m->rcpt, '@');
	if (at == NULL || !dmarc_domain_norm(at + 1, d->rcpt_domain, sizeof(d->rcpt_domain)))
		d->rcpt_domain[0] = '\0';
}

static void
dmarc_spool_record(const struct conn *c, const struct msg *m, const struct dmarc_msg *d)
{
	const struct dmarc_snap *st = check_snap_state(c->snap, &check_dmarc);
	const struct spf_fact *sf = check_spf_fact(m);
	const struct dkim_report_sig *sigs;
	struct dmarc_spool_rec *r;
	size_t n;
	strbuf line;

	if (st == NULL || st->spool == NULL)
		return;
	r = xmalloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->ts = (long long)time(NULL);
	strlcpy_ok(r->host, dmarc_spool_host(st->spool), sizeof(r->host));
	strlcpy_ok(r->ip, c->addr, sizeof(r->ip));
	strlcpy_ok(r->header_from, m->author.domain, sizeof(r->header_from));
	strlcpy_ok(r->env_from, m->sender_domain, sizeof(r->env_from));
	strlcpy_ok(r->env_to, d->rcpt_domain, sizeof(r->env_to));
	strlcpy_ok(r->policy_domain, d->out.record_domain, sizeof(r->policy_domain));
	r->rec = d->out.rec;
	r->psd_record = d->out.psd_record;
	r->result = d->out.result;
	r->disp = disposition(d);
	r->dkim_aligned = d->out.dkim_aligned;
	r->spf_aligned = d->out.spf_aligned;
	override_of(d, r);
	if (sf != NULL && sf->checked) {
		const char *dom = sf->helo_identity ? c->helo : m->sender_domain;
		strlcpy_ok(r->spf_domain, dom != NULL ? dom : "", sizeof(r->spf_domain));
		strlcpy_ok(r->spf_scope, sf->helo_identity ? "helo" : "mfrom", sizeof(r->spf_scope));
		strlcpy_ok(r->spf_res, spf_res_name(sf->o.result), sizeof(r->spf_res));
	}
	n = dkim_report_sigs(m, &sigs);
	for (size_t i = 0; i < n && r->ndkim < DMARC_SPOOL_SIGS; i++) {
		struct dmarc_spool_sig *s = &r->dkim[r->ndkim++];
		strlcpy_ok(s->d, sigs[i].d, sizeof(s->d));
		strlcpy_ok(s->s, sigs[i].s, sizeof(s->s));
		strlcpy_ok(s->res, dkim_sigres_name(sigs[i].res), sizeof(s->res));
	}
	sb_init(&line);
	if (!dmarc_spool_format(r, &line) || !dmarc_spool_put(st->spool, line.s, line.len))
		plog(PLOG_NOTICE, m->qid, "dmarc report spool: record dropped (queue full or too long)");
	sb_free(&line);
	free(r);
}

/* SPOOL_DIR/failure (made if absent) and its writer; the redaction key. */
static bool
failure_open(const struct config *cfg, struct dmarc_snap *st, struct ct_errors *errs)
{
	strbuf dir;
	char err[256];
	bool ok = true;

	if (getrandom(st->key, sizeof(st->key), 0) != (ssize_t)sizeof(st->key)) {
		ct_error(errs, cfg->file, 0, "dmarc_report.failure", "no random bytes: %s",
		    strerror(errno));
		return false;
	}
	sb_init(&dir);
	sb_printf(&dir, "%s/failure", cfg->dmarc_report_spool);
	if (mkdir(dir.s, 0750) != 0 && errno != EEXIST) {
		ct_error(errs, cfg->file, 0, "dmarc_report.failure", "%s: %s", dir.s, strerror(errno));
		ok = false;
	} else if ((st->failure = dmarc_spool_open(dir.s, (size_t)cfg->dmarc_report_queue, err,
	    sizeof(err))) == NULL) {
		ct_error(errs, cfg->file, 0, "dmarc_report.failure", "%s", err);
		ok = false;
	}
	sb_free(&dir);
	return ok;
}

static bool
dmarc_snap_new(const struct config *cfg, void **out, struct ct_errors *errs)
{
	struct dmarc_snap *st;
	char err[256];

	*out = NULL;
	if (cfg->dmarc_report_spool == NULL || cfg->dmarc_report_spool[0] == '\0')
		return true;
	if (access(cfg->dmarc_report_spool, W_OK | X_OK) != 0) {
		ct_error(errs, cfg->file, 0, "dmarc_report.spool_dir", "%s: %s",
		    cfg->dmarc_report_spool, strerror(errno));
		return false;
	}
	if (!spool_enabled)
		return true;   /* postern -t, -n, explain: nothing is recorded */
	st = xmalloc(sizeof(*st));
	st->spool = dmarc_spool_open(cfg->dmarc_report_spool, (size_t)cfg->dmarc_report_queue,
	    err, sizeof(err));
	if (st->spool == NULL) {
		ct_error(errs, cfg->file, 0, "dmarc_report.spool_dir", "%s", err);
		free(st);
		return false;
	}
	st->failure = NULL;
	if (cfg->dmarc_report_failure && !failure_open(cfg, st, errs)) {
		dmarc_spool_close(st->spool);
		free(st);
		return false;
	}
	*out = st;
	return true;
}

static void
dmarc_snap_free(void *p)
{
	struct dmarc_snap *st = p;

	if (st == NULL)
		return;
	if (st->spool != NULL) {
		struct dmarc_spool_stats ss;

		dmarc_spool_flush(st->spool);
		dmarc_spool_stats(st->spool, &ss);
		plog(PLOG_INFO, NULL, "dmarc report spool: %llu records written, %llu dropped, "
		    "%llu write errors", ss.written, ss.dropped, ss.errors);
	}
	dmarc_spool_close(st->spool);
	dmarc_spool_flush(st->failure);
	dmarc_spool_close(st->failure);
	free(st);
}

static bool
name_listed(const struct strlist *l, const char *domain, char *by, size_t size)
{
	char dn[DMARC_NAME_MAX], en[DMARC_NAME_MAX];

	if (domain == NULL || !dmarc_domain_norm(domain, dn, sizeof(dn)))
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (dmarc_domain_norm(l->v[i], en, sizeof(en)) && dmarc_domain_under(dn, en)) {
			strlcpy_ok(by, en, size);   /* the configured name, not network text */
			return true;
		}
	return false;
}

/* Does the message come through one of this policy's trusted forwarders?
 * By client address, a passing DKIM d=, the SPF-passing identity, or the
 * sealer (d= of the newest ARC-Seal) of a chain that passed (check_arc). */
static bool
forwarder_match(const struct conn *c, const struct dmarc_policy_keys *p,
    const struct dmarc_input *in, const char *arc_sealer, char *by, size_t size)
{
	char en[DMARC_NAME_MAX];

	if (cidr_list_match(&p->forwarder_hosts, c->family, c->ip)) {
		strlcpy_ok(by, c->addr, size);
		return true;
	}
	for (size_t i = 0; i < in->ndkim; i++)
		if (name_listed(&p->forwarders, in->dkim_pass[i], by, size))
			return true;
	if (in->spf_pass && name_listed(&p->forwarders, in->spf_domain, by, size))
		return true;
	if (arc_sealer != NULL && name_listed(&p->forwarders, arc_sealer, en, sizeof(en))) {
		if (size <= 4 || !strlcpy_ok(by + 4, en, size - 4))
			return false;
		memcpy(by, "arc:", 4);
		return true;
	}
	return false;
}

/* A failing message's action under one policy, after its overrides. */
static enum action
fail_action(const struct conn *c, const struct dmarc_policy_keys *p, const struct dmarc_msg *d,
    const struct dmarc_input *in, enum dmarc_override *ovr, char *by, size_t size)
{
	enum action a = act_policy(p, (int)d->out.applied);

	*ovr = OVR_NONE;
	if (a == ACT_ACCEPT)
		return a;
	if (forwarder_match(c, p, in, d->arc_sealer, by, size)) {
		*ovr = OVR_FORWARDER;
		return ACT_ACCEPT;
	}
	if (d->list_id && p->list_action < a) {
		*ovr = OVR_LIST;
		return p->list_action;
	}
	return a;
}

/* The verdict for an evaluated message: temperror, or the policy that
 * applies after t= for a failing one, with this installation's overrides
 * (trusted forwarders, List-Id); the strictest governing policy wins. */
static void
dmarc_decide(const struct conn *c, struct msg *m, struct dmarc_msg *d,
    const struct dmarc_input *in, struct verdict *v)
{
	const struct author *au = &m->author;
	const struct dmarc_output *out = &d->out;
	const struct policy *who;
	enum action a;

	if (out->result == DMARC_TEMPERROR) {
		a = strictest(m, act_temperror, 0, &who);
		d->action = a;
		check_verdict(v, NAME, who, a, 451, "4.7.5",
		    "DMARC record of %s could not be fetched, try again later", au->domain);
		return;
	}
	if (out->result != DMARC_FAIL)
		return;
	a = ACT_ACCEPT;
	who = m->pol[0];
	for (size_t i = 0; i < m->npol; i++) {
		enum dmarc_override ovr;
		char by[DMARC_NAME_MAX + 4] = "";
		enum action pa = fail_action(c, check_policy(m->pol[i], &check_dmarc), d, in, &ovr,
		    by, sizeof(by));

		if (i == 0 || pa > a) {
			a = pa;
			who = m->pol[i];
			d->override = ovr;
			strlcpy_ok(d->override_by, by, sizeof(d->override_by));
		}
	}
	d->action = a;
	d->observed = who != NULL && who->mode == POLICY_OBSERVE;
	check_verdict(v, NAME, who, a, 550, "5.7.1",
	    "DMARC policy of %s: no aligned SPF or DKIM pass", au->domain);
}

static void
dmarc_reset(void *ms)
{
	struct dmarc_msg *d = ms;

	sb_free(&d->fhdrs);
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

bool
check_dmarc_forwarded(const struct msg *m)
{
	const struct dmarc_msg *d = check_msg_state(m, &check_dmarc);

	return d->evaluated && d->override == OVR_FORWARDER;
}

/* List-Id (RFC 2919): mail from a list may get dmarc.list_action. */
static void
dmarc_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct dmarc_msg *d = ms;
	const struct dmarc_snap *st = check_snap_state(c->snap, &check_dmarc);
	strbuf t;

	(void)m;
	(void)v;
	if (st != NULL && st->failure != NULL && m->dir == DIR_INBOUND && !d->fhdrs_trunc &&
	    !dmarc_failure_add_field(&d->fhdrs, &d->fhdrs_enc, name, value, st->key))
		d->fhdrs_trunc = true;   /* whole fields only, in order */
	if (strcasecmp(name, "List-Id") != 0 || d->list_id)
		return;
	d->list_id = true;
	sb_init(&t);
	sb_escape(&t, value, strlen(value), 100);
	strlcpy_ok(d->list_id_val, t.s, sizeof(d->list_id_val));   /* sb_escape allocates */
	sb_free(&t);
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
	if (d->out.result == DMARC_PERMERROR && d->out.why[0] != '\0') {
		sb_puts(out, " dmarc_why=");
		sb_escape(out, d->out.why, strlen(d->out.why), 100);
	}
	if (au->domain[0] != '\0') {
		sb_puts(out, " header.from=");
		sb_escape(out, au->domain, strlen(au->domain), 100);
	}
	if (d->override != OVR_NONE) {
		sb_printf(out, " dmarc_override=%s", override_name(d->override));
		if (d->override == OVR_FORWARDER)
			sb_printf(out, "(%s)", d->override_by);
		else
			sb_printf(out, "(list-id=%s)", d->list_id_val);
	}
}

const struct check check_dmarc = {
	.name = NAME,
	.policy_keys = dmarc_keys,
	.npolicy_keys = NELEM(dmarc_keys),
	.policy_size = sizeof(struct dmarc_policy_keys),
	.msg_size = sizeof(struct dmarc_msg),
	.msg_reset = dmarc_reset,
	.snap_new = dmarc_snap_new,
	.snap_free = dmarc_snap_free,
	.envrcpt = dmarc_envrcpt,
	.header = dmarc_header,
	.eom = dmarc_eom,
	.summary = dmarc_summary,
};
