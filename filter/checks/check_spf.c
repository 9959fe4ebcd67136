/*
 * check_spf.c - check "spf": SPF for the HELO and MAIL FROM identities.
 *
 * HELO: the HELO identity (as postmaster@helo) is checked at the first
 * null-sender MAIL FROM, whose result it decides, and kept in the
 * connection.  MAIL FROM: the sender is checked; the null sender takes the
 * HELO result.  Outbound mail and clients in trusted_hosts are not
 * checked.  The result is enforced at each RCPT under that recipient's
 * policy (spf.*_action keys; the old spf_*_action names are deprecated
 * aliases), reported in Authentication-Results
 * (spf=... smtp.mailfrom / smtp.helo) and in a Received-SPF field at eom.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "postern/check_authres.h"
#include "postern/check_spf.h"

#define NAME "spf"
#define FIELD "Received-SPF"

/* The action per RFC 7208 result, in each policy's SPF block. */
struct spf_policy {
	enum action fail, softfail, neutral, none, temperror, permerror;
};

#define OFF(f) offsetof(struct spf_policy, f)
static const struct ct_key spf_keys[] = {
	{ "spf.fail_action", CT_ACTION, OFF(fail), "reject", 0, 0, NULL,
	  "SPF fail (reject = 550 5.7.23)" },
	{ "spf.softfail_action", CT_ACTION, OFF(softfail), "tag", 0, 0, NULL,
	  "SPF softfail (reject = 550 5.7.23)" },
	{ "spf.neutral_action", CT_ACTION, OFF(neutral), "accept", 0, 0, NULL,
	  "SPF neutral" },
	{ "spf.none_action", CT_ACTION, OFF(none), "accept", 0, 0, NULL,
	  "no SPF record" },
	{ "spf.temperror_action", CT_ACTION, OFF(temperror), "tempfail", 0, 0, NULL,
	  "SPF temperror, DNS trouble (tempfail = 451 4.7.24)" },
	{ "spf.permerror_action", CT_ACTION, OFF(permerror), "tag", 0, 0, NULL,
	  "SPF permerror, broken record (reject = 550 5.7.24)" },
	/* the names before 0.2, still read; postern -t warns */
	{ "spf_fail_action", CT_ALIAS, 0, "spf.fail_action", 0, 0, NULL, NULL },
	{ "spf_softfail_action", CT_ALIAS, 0, "spf.softfail_action", 0, 0, NULL, NULL },
	{ "spf_neutral_action", CT_ALIAS, 0, "spf.neutral_action", 0, 0, NULL, NULL },
	{ "spf_none_action", CT_ALIAS, 0, "spf.none_action", 0, 0, NULL, NULL },
	{ "spf_temperror_action", CT_ALIAS, 0, "spf.temperror_action", 0, 0, NULL, NULL },
	{ "spf_permerror_action", CT_ALIAS, 0, "spf.permerror_action", 0, 0, NULL, NULL },
};
#undef OFF

static bool
skip_client(const struct conn *c)
{
	return c->family == 0 || c->internal ||
	    cidr_list_match(&c->snap->cfg.trusted_hosts, c->family, c->ip);
}

static void
run(const struct conn *c, const char *sender, const char *domain, struct spf_outcome *o)
{
	struct spf_query q;

	memset(&q, 0, sizeof(q));
	q.family = c->family;
	memcpy(q.ip, c->ip, sizeof(q.ip));
	q.helo = c->helo;
	q.sender = sender;
	q.domain = domain;
	spf_check_host(&q, o);
}

/*
 * The HELO identity is checked lazily, at the first null-sender MAIL FROM
 * of the connection (the only case where its result decides), and kept in
 * the connection: a connection that never sends a bounce costs no HELO
 * look-ups and no HELO latency.
 */
static void
helo_check(struct conn *c, struct spf_fact *h)
{
	strbuf sender;

	if (h->checked || c->helo == NULL || *c->helo == '\0')
		return;
	sb_init(&sender);
	sb_printf(&sender, "postmaster@%s", c->helo);
	run(c, sender.s, c->helo, &h->o);
	sb_free(&sender);
	h->checked = true;
	h->helo_identity = true;
}

/* A new HELO/EHLO (or one after STARTTLS) forgets the previous result. */
static void
spf_helo(struct conn *c, void *cs)
{
	(void)c;
	memset(cs, 0, sizeof(struct spf_fact));
}

/* A-R pvalue: plain if it is made of safe characters, else quoted. */
static void
ar_value(strbuf *out, const char *v)
{
	size_t n = strlen(v);
	bool plain = n > 0 && n <= 255;

	for (size_t i = 0; plain && i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr(".-_+@", ch) != NULL;
	}
	if (plain)
		sb_append(out, v, n);
	else
		spf_quote_value(out, v, 255);
}

static void
spf_envfrom(struct conn *c, struct msg *m, void *ms, const char *const *args, struct verdict *v)
{
	struct spf_fact *f = ms;
	const char *at;
	strbuf clause, sender;

	(void)args;
	(void)v;
	if (m->dir != DIR_INBOUND || skip_client(c))
		return;
	at = strrchr(m->sender, '@');
	if (m->sender[0] == '\0' || at == NULL) {
		/* null sender (or no domain): the HELO identity decides */
		struct spf_fact *h = check_conn_state(c, &check_spf);

		helo_check(c, h);
		*f = *h;
		if (!f->checked) {
			f->checked = true;
			f->helo_identity = true;
			f->o.result = SPFR_NONE;
			strlcpy_ok(f->o.why, "no HELO name", sizeof(f->o.why));
		}
	} else {
		sb_init(&sender);
		if (at == m->sender)
			sb_printf(&sender, "postmaster%s", at);   /* RFC 7208 4.3 */
		else
			sb_puts(&sender, m->sender);
		run(c, sender.s, at + 1, &f->o);
		sb_free(&sender);
		f->checked = true;
	}
	sb_init(&clause);
	sb_printf(&clause, "spf=%s ", spf_res_name(f->o.result));
	if (f->helo_identity) {
		sb_puts(&clause, "smtp.helo=");
		ar_value(&clause, c->helo != NULL ? c->helo : "");
	} else {
		sb_puts(&clause, "smtp.mailfrom=");
		ar_value(&clause, m->sender);
	}
	authres_add(m, clause.s);
	sb_free(&clause);
}

static void
spf_envrcpt(struct conn *c, struct msg *m, void *ms, const struct policy *pol, struct verdict *v)
{
	const struct spf_fact *f = ms;
	const struct spf_policy *p = check_policy(pol, &check_spf);
	const char *dom;
	enum action act;
	unsigned code = 550;
	const char *xcode = "5.7.23";

	if (!f->checked)
		return;
	dom = f->helo_identity ? (c->helo != NULL ? c->helo : "") : m->sender_domain;
	switch (f->o.result) {
	case SPFR_FAIL:
		act = p->fail;
		break;
	case SPFR_SOFTFAIL:
		act = p->softfail;
		break;
	case SPFR_NEUTRAL:
		act = p->neutral;
		break;
	case SPFR_NONE:
		act = p->none;
		break;
	case SPFR_TEMPERROR:
		act = p->temperror;
		xcode = "5.7.24";
		break;
	case SPFR_PERMERROR:
		act = p->permerror;
		xcode = "5.7.24";
		break;
	default:
		return;
	}
	if (act == ACT_ACCEPT)
		return;
	if (f->o.result == SPFR_TEMPERROR)
		check_verdict(v, NAME, pol, act, code, xcode,
		    "SPF temporary error for %.100s: try again later", dom);
	else if (f->o.result == SPFR_PERMERROR)
		check_verdict(v, NAME, pol, act, code, xcode,
		    "SPF permanent error for %.100s: %.80s", dom, f->o.why);
	else
		check_verdict(v, NAME, pol, act, code, xcode,
		    "SPF %s: %s is not allowed to send mail for %.100s",
		    spf_res_name(f->o.result), c->addr, dom);
}

/* The comment of Received-SPF (RFC 7208 9.1 examples). */
static void
describe(strbuf *out, const struct conn *c, const struct msg *m, const struct spf_fact *f)
{
	const char *who = f->helo_identity ? "postmaster@" : "";
	const char *id = f->helo_identity ? (c->helo != NULL ? c->helo : "") : m->sender;
	const char *recv = c->snap->cfg.authserv_id;

	sb_printf(out, "%s: ", recv);
	switch (f->o.result) {
	case SPFR_PASS:
		sb_printf(out, "domain of %s%.100s designates %s as permitted sender", who, id, c->addr);
		break;
	case SPFR_FAIL:
	case SPFR_SOFTFAIL:
		sb_printf(out, "domain of %s%.100s does not designate %s as permitted sender", who, id, c->addr);
		break;
	case SPFR_NEUTRAL:
		sb_printf(out, "%s is neither permitted nor denied by domain of %s%.100s", c->addr, who, id);
		break;
	case SPFR_NONE:
		sb_printf(out, "no SPF record for %s%.100s", who, id);
		break;
	default:
		sb_printf(out, "%.100s", f->o.why);
		break;
	}
}

static void
spf_eom(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v)
{
	const struct spf_fact *f = ms;
	struct spf_header_info h;
	strbuf val, comment;

	(void)v;
	if (!f->checked || m->dir != DIR_INBOUND)
		return;
	memset(&h, 0, sizeof(h));
	h.result = f->o.result;
	h.receiver = c->snap->cfg.authserv_id;
	h.client_ip = c->addr;
	h.identity = f->helo_identity ? "helo" : "mailfrom";
	h.envelope_from = m->sender;
	h.helo = c->helo;
	sb_init(&comment);
	describe(&comment, c, m, f);
	h.comment = comment.s;
	sb_init(&val);
	spf_received_spf(&val, &h);
	edits_insert(e, 0, FIELD, val.s);
	sb_free(&val);
	sb_free(&comment);
}

static void
spf_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct spf_fact *f = ms;

	(void)c;
	(void)m;
	if (!f->checked)
		return;
	sb_printf(out, " spf=%s spf_identity=%s", spf_res_name(f->o.result),
	    f->helo_identity ? "helo" : "mailfrom");
}

const struct check check_spf = {
	.name = NAME,
	.policy_keys = spf_keys,
	.npolicy_keys = NELEM(spf_keys),
	.policy_size = sizeof(struct spf_policy),
	.conn_size = sizeof(struct spf_fact),
	.msg_size = sizeof(struct spf_fact),
	.helo = spf_helo,
	.envfrom = spf_envfrom,
	.envrcpt = spf_envrcpt,
	.eom = spf_eom,
	.summary = spf_summary,
};

const struct spf_fact *
check_spf_fact(const struct msg *m)
{
	return check_msg_state(m, &check_spf);
}

bool
spf_dmarc_identity(const struct conn *c, const struct msg *m, const char **domain)
{
	const struct spf_fact *f = check_spf_fact(m);

	if (!f->checked || f->o.result != SPFR_PASS)
		return false;
	*domain = f->helo_identity ? c->helo : m->sender_domain;
	return *domain != NULL && **domain != '\0';
}
