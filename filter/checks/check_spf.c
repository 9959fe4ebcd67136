/*
 * spf.c - check "spf": SPF for the HELO and MAIL FROM identities.
 *
 * HELO: the HELO identity (as postmaster@helo) is checked at the first
 * null-sender MAIL FROM, whose result it decides, and kept in the
 * connection.  MAIL FROM: the sender is checked; the null sender takes the
 * HELO result.  Outbound mail and clients in trusted_hosts are not
 * checked.  The result is enforced at each RCPT under that recipient's
 * policy (spf_*_action keys), reported in Authentication-Results
 * (spf=... smtp.mailfrom / smtp.helo) and in a Received-SPF field at eom.
 */
#include "config.h"

#include <string.h>

#include "postern/authres.h"
#include "postern/check.h"
#include "postern/spf.h"

#define NAME "spf"
#define FIELD "Received-SPF"

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
helo_check(struct conn *c)
{
	strbuf sender;

	if (c->spf_helo.checked || c->helo == NULL || *c->helo == '\0')
		return;
	sb_init(&sender);
	sb_printf(&sender, "postmaster@%s", c->helo);
	run(c, sender.s, c->helo, &c->spf_helo.o);
	sb_free(&sender);
	c->spf_helo.checked = true;
	c->spf_helo.helo_identity = true;
}

/* A new HELO/EHLO (or one after STARTTLS) forgets the previous result. */
static void
spf_helo(struct conn *c)
{
	memset(&c->spf_helo, 0, sizeof(c->spf_helo));
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
spf_envfrom(struct conn *c, struct msg *m, const char *const *args, struct verdict *v)
{
	const char *at;
	strbuf clause, sender;

	(void)args;
	(void)v;
	if (m->dir != DIR_INBOUND || skip_client(c))
		return;
	at = strrchr(m->sender, '@');
	if (m->sender[0] == '\0' || at == NULL) {
		/* null sender (or no domain): the HELO identity decides */
		helo_check(c);
		m->spf = c->spf_helo;
		if (!m->spf.checked) {
			m->spf.checked = true;
			m->spf.helo_identity = true;
			m->spf.o.result = SPFR_NONE;
			strlcpy_ok(m->spf.o.why, "no HELO name", sizeof(m->spf.o.why));
		}
	} else {
		sb_init(&sender);
		if (at == m->sender)
			sb_printf(&sender, "postmaster%s", at);   /* RFC 7208 4.3 */
		else
			sb_puts(&sender, m->sender);
		run(c, sender.s, at + 1, &m->spf.o);
		sb_free(&sender);
		m->spf.checked = true;
	}
	sb_init(&clause);
	sb_printf(&clause, "spf=%s ", spf_res_name(m->spf.o.result));
	if (m->spf.helo_identity) {
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
spf_envrcpt(struct conn *c, struct msg *m, const struct policy *p, struct verdict *v)
{
	const char *dom;
	enum action act;
	unsigned code = 550;
	const char *xcode = "5.7.23";

	if (!m->spf.checked)
		return;
	dom = m->spf.helo_identity ? (c->helo != NULL ? c->helo : "") : m->sender_domain;
	switch (m->spf.o.result) {
	case SPFR_FAIL:
		act = p->spf_fail_action;
		break;
	case SPFR_SOFTFAIL:
		act = p->spf_softfail_action;
		break;
	case SPFR_NEUTRAL:
		act = p->spf_neutral_action;
		break;
	case SPFR_NONE:
		act = p->spf_none_action;
		break;
	case SPFR_TEMPERROR:
		act = p->spf_temperror_action;
		xcode = "5.7.24";
		break;
	case SPFR_PERMERROR:
		act = p->spf_permerror_action;
		xcode = "5.7.24";
		break;
	default:
		return;
	}
	if (act == ACT_ACCEPT)
		return;
	if (m->spf.o.result == SPFR_TEMPERROR)
		check_verdict(v, NAME, p, act, code, xcode,
		    "SPF temporary error for %.100s: try again later", dom);
	else if (m->spf.o.result == SPFR_PERMERROR)
		check_verdict(v, NAME, p, act, code, xcode,
		    "SPF permanent error for %.100s: %.80s", dom, m->spf.o.why);
	else
		check_verdict(v, NAME, p, act, code, xcode,
		    "SPF %s: %s is not allowed to send mail for %.100s",
		    spf_res_name(m->spf.o.result), c->addr, dom);
}

/* The comment of Received-SPF (RFC 7208 9.1 examples). */
static void
describe(strbuf *out, const struct conn *c, const struct msg *m)
{
	const char *who = m->spf.helo_identity ? "postmaster@" : "";
	const char *id = m->spf.helo_identity ? (c->helo != NULL ? c->helo : "") : m->sender;
	const char *recv = c->snap->cfg.authserv_id;

	sb_printf(out, "%s: ", recv);
	switch (m->spf.o.result) {
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
		sb_printf(out, "%.100s", m->spf.o.why);
		break;
	}
}

static void
spf_eom(struct conn *c, struct msg *m, struct edits *e, struct verdict *v)
{
	struct spf_header_info h;
	strbuf val, comment;

	(void)v;
	if (!m->spf.checked || m->dir != DIR_INBOUND)
		return;
	memset(&h, 0, sizeof(h));
	h.result = m->spf.o.result;
	h.receiver = c->snap->cfg.authserv_id;
	h.client_ip = c->addr;
	h.identity = m->spf.helo_identity ? "helo" : "mailfrom";
	h.envelope_from = m->sender;
	h.helo = c->helo;
	sb_init(&comment);
	describe(&comment, c, m);
	h.comment = comment.s;
	sb_init(&val);
	spf_received_spf(&val, &h);
	edits_insert(e, 0, FIELD, val.s);
	sb_free(&val);
	sb_free(&comment);
}

static void
spf_summary(const struct conn *c, const struct msg *m, strbuf *out)
{
	(void)c;
	if (!m->spf.checked)
		return;
	sb_printf(out, " spf=%s spf_identity=%s", spf_res_name(m->spf.o.result),
	    m->spf.helo_identity ? "helo" : "mailfrom");
}

const struct check check_spf = {
	.name = NAME,
	.helo = spf_helo,
	.envfrom = spf_envfrom,
	.envrcpt = spf_envrcpt,
	.eom = spf_eom,
	.summary = spf_summary,
};

bool
spf_dmarc_identity(const struct conn *c, const struct msg *m, const char **domain)
{
	if (!m->spf.checked || m->spf.o.result != SPFR_PASS)
		return false;
	*domain = m->spf.helo_identity ? c->helo : m->sender_domain;
	return *domain != NULL && **domain != '\0';
}
