/*
 * check_spam.c - check "spam": the spam screen over the spam engine
 * (spam.h).  Runs after spf, dkim and dmarc (it reads their results as
 * rules) and before authres (which carries its score).
 *
 * connect: the client address goes to every spam.dnsbl list (dns_start),
 *          unless the client is internal or trusted; nothing waits.
 * RCPT:    inbound only; the answers are collected (once per connection),
 *          listed lists and the HELO rules become hits; a list the
 *          recipient's policy names in spam.dnsbl_reject refuses the
 *          recipient (554 5.7.1 naming the list), a score already over the
 *          policy's spam.reject refuses it too (550 5.7.1).
 * header:  Date / Message-ID presence, 8-bit bytes, To/Cc addresses, the
 *          Subject (for the prefix), X-Spam-* fields (to be removed), the
 *          content rules' header facts (spam_content.c).
 * body:    GTUBE; the decoded text (attach_text_hook) goes to the link
 *          scanner and the content rules.
 * eom:     authentication results become rules (inbound); each governing
 *          policy scores the hits with its own overrides and thresholds
 *          (inbound: spam.tag/quarantine/reject; outbound:
 *          spam.outbound_*); the strictest wins.  Edits: incoming X-Spam-*
 *          removed; tagged mail gets X-Spam-Flag, X-Spam-Score,
 *          X-Spam-Status and the optional subject prefix; inbound mail
 *          gets an A-R clause with the score.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "postern/check_attach.h"
#include "postern/check_authres.h"
#include "postern/check_bayes.h"
#include "postern/check_dkim.h"
#include "postern/check_dmarc.h"
#include "postern/check_helo.h"
#include "postern/check_spam.h"
#include "postern/check_spf.h"
#include "postern/dns.h"
#include "postern/log.h"
#include "postern/mime.h"
#include "postern/spam.h"

#define NAME "spam"
#define XSPAM_MAX 256         /* distinct X-Spam-* field names removed per message;
                                 more and the message is refused (none can stay) */
#define SUBJECT_MAX 998       /* the Subject kept for the prefix */
#define REPLY_RULES 3         /* rules named in a refusal */
#define MANY_RCPTS 50

struct spam_policy {
	int tag, quarantine, reject;
	int out_tag, out_quarantine, out_reject;
	struct strlist scores;
	char *subject_prefix;
	struct strlist dnsbl_reject;
	enum action spamd_down;
};

#define OFF(f) offsetof(struct spam_policy, f)
static const struct ct_key spam_keys[] = {
	{ "spam.tag", CT_SCORE, OFF(tag), "5", 0, 0, NULL,
	  "inbound: a score from here on adds the X-Spam-* headers (\"off\" for never)" },
	{ "spam.quarantine", CT_SCORE, OFF(quarantine), "off", 0, 0, NULL,
	  "inbound: a score from here on puts the message in the MTA's hold queue" },
	{ "spam.reject", CT_SCORE, OFF(reject), "15", 0, 0, NULL,
	  "inbound: a score from here on is refused, 550 5.7.1 naming the strongest rules (at RCPT when the DNSBL and HELO rules reach it)" },
	{ "spam.outbound_tag", CT_SCORE, OFF(out_tag), "off", 0, 0, NULL,
	  "outbound (this domain's senders): score that adds the X-Spam-* headers" },
	{ "spam.outbound_quarantine", CT_SCORE, OFF(out_quarantine), "off", 0, 0, NULL,
	  "outbound: score that holds the message in the MTA's queue" },
	{ "spam.outbound_reject", CT_SCORE, OFF(out_reject), "10", 0, 0, NULL,
	  "outbound: score that refuses the message (550 5.7.1), so a compromised account cannot spam through us" },
	{ "spam.scores", CT_SCORELIST, OFF(scores), NULL, 0, 0, NULL,
	  "per-rule scores for this domain, \"rule=score\" (docs/SPAM.md lists the rules)" },
	{ "spam.subject_prefix", CT_STRING, OFF(subject_prefix), "", 0, 0, NULL,
	  "text put before the Subject of tagged mail (e.g. \"[SPAM]\"); empty for none" },
	{ "spam.dnsbl_reject", CT_STRLIST, OFF(dnsbl_reject), NULL, 0, 0, NULL,
	  "names of spam.dnsbl lists whose listing refuses the recipient at RCPT (554 5.7.1)" },
	{ "spam.spamd_down_action", CT_ACTION, OFF(spamd_down), "accept", 0, 0, NULL,
	  "spam.spamd is configured but did not answer (down, timeout, bad reply): accept (go on without it) or tempfail (451 4.7.1)" },
};
#undef OFF

struct spam_snap {
	struct spam_rules rules;
	struct spamd_addr spamd;         /* family 0: no spamd */
	size_t max_domains;              /* spam.uribl_max_domains */
	bool have_uribl;
};

#define URI_DOMAINS_MAX 64           /* the ceiling of spam.uribl_max_domains */

/* A link's registered domain and its URI-list queries. */
struct uri_domain {
	char name[254];
	struct dns_pending *q[SPAM_MAX_LISTS];
};

struct spam_conn {
	struct dns_pending *q[SPAM_MAX_LISTS];
	bool asked, collected;
	enum spam_listed res[SPAM_MAX_LISTS];
};

struct xspam {
	char *name;                      /* owned */
	unsigned count;
};

struct spam_msg {
	struct spam_hits hits;
	struct spam_gtube gtube;
	bool date, msgid, eightbit, malformed;
	unsigned unique_seen;        /* spam_unique_field bits */
	bool date_ok;                    /* the first Date parsed */
	time_t date_t;
	long date_zone;
	unsigned naddr;
	unsigned nsubject;
	char *subject;                   /* the first Subject value; owned */
	struct xspam *xs;                /* grown to XSPAM_MAX; owned */
	size_t nxs, xs_cap;
	bool xs_overflow;
	bool scored;
	int score, threshold;
	enum action action;
	const struct policy *who;        /* the policy whose result decided */
	struct spamd_job *spamd;         /* the spamd check streaming with the message */
	bool spamd_asked;
	enum spamd_status spamd_st;
	struct spamd_result spamd_res;
	const struct spam_snap *snap;    /* for the text callback */
	struct spam_uri_scan uri;
	const struct mime_part *uri_part;
	struct uri_domain *dom;          /* URI_DOMAINS_MAX, allocated at the first link */
	size_t ndom;
	unsigned dom_skipped;            /* distinct domains over the limit */
	bool shortener;
	bool link_mismatch;
	bool html_hidden;
	char href_domain[254];           /* the last <a href>'s registered domain */
	char display_domain[254];        /* an address's domain in the From display name */
	bool uri_hooked;
	struct spam_content content;     /* the content rules' facts */
};

static const struct spam_snap *
snap_of(const struct conn *c)
{
	return check_snap_state(c->snap, &check_spam);
}

static bool
spam_snap_new(const struct config *cfg, void **out, struct ct_errors *errs)
{
	struct spam_snap *s = xcalloc(1, sizeof(*s));
	strbuf problems;
	bool ok;

	sb_init(&problems);
	ok = spam_rules_build(&s->rules, &cfg->spam_dnsbl, &cfg->spam_uribl, &problems);
	s->max_domains = (size_t)cfg->spam_uribl_max_domains;
	for (size_t i = 0; i < s->rules.nlists; i++)
		s->have_uribl = s->have_uribl || s->rules.lists[i].kind == SPAM_LIST_URI;
	for (char *line = problems.s, *nl; line != NULL && *line != '\0'; line = nl + 1) {
		char *colon = strchr(line, ':');
		nl = strchr(line, '\n');
		*nl = '\0';
		*colon = '\0';
		ct_error(errs, cfg->file, 0, line, "%s", colon + 2);
	}
	sb_free(&problems);
	if (cfg->spam_spamd != NULL && cfg->spam_spamd[0] != '\0' &&
	    !spamd_addr_parse(cfg->spam_spamd, &s->spamd)) {
		ct_error(errs, cfg->file, 0, "spam.spamd", "\"%s\" is not ADDR:PORT (IPv6 as [ADDR]:PORT)",
		    cfg->spam_spamd);
		ok = false;
	}
	*out = s;
	return ok;
}

/* One policy's names: every spam.scores rule must exist, every
 * spam.dnsbl_reject list must be one of spam.dnsbl.  An inherited value
 * is reported once, under the first file that shows it. */
static bool
check_one_policy(const struct spam_snap *s, const struct policy *p, struct ct_errors *errs)
{
	const struct spam_policy *sp = check_policy(p, &check_spam);
	bool ok = true;
	strbuf msg;

	sb_init(&msg);
	for (size_t i = 0; i < sp->scores.n; i++) {
		const char *e = sp->scores.v[i];
		size_t nl = strcspn(e, "=");
		if (spam_rule_find(&s->rules, e, nl) >= 0)
			continue;
		sb_reset(&msg);
		sb_printf(&msg, "spam.scores: unknown rule \"%.*s\"", (int)nl, e);
		if (errs->text.s == NULL || strstr(errs->text.s, msg.s) == NULL)
			ct_error(errs, p->file, 0, "spam.scores", "unknown rule \"%.*s\" (docs/SPAM.md)", (int)nl, e);
		ok = false;
	}
	for (size_t i = 0; i < sp->dnsbl_reject.n; i++) {
		bool found = false;
		for (size_t j = 0; j < s->rules.nlists; j++)
			found = found || (s->rules.lists[j].kind == SPAM_LIST_IP &&
			    strcmp(s->rules.lists[j].name, sp->dnsbl_reject.v[i]) == 0);
		if (found)
			continue;
		sb_reset(&msg);
		sb_printf(&msg, "spam.dnsbl_reject: \"%s\" is not", sp->dnsbl_reject.v[i]);
		if (errs->text.s == NULL || strstr(errs->text.s, msg.s) == NULL)
			ct_error(errs, p->file, 0, "spam.dnsbl_reject", "\"%s\" is not the name of a spam.dnsbl list",
			    sp->dnsbl_reject.v[i]);
		ok = false;
	}
	sb_free(&msg);
	return ok;
}

static bool
spam_policies_check(const void *st, const struct policy_set *ps, struct ct_errors *errs)
{
	bool ok = check_one_policy(st, policy_default(ps), errs);

	for (size_t i = 0; i < policy_set_count(ps); i++)
		ok = check_one_policy(st, policy_set_get(ps, i), errs) && ok;
	return ok;
}

static void
spam_snap_free(void *st)
{
	free(st);
}

/* ---- connection: DNS lists ------------------------------------------ */

static bool
screened_client(const struct conn *c)
{
	return c->family != 0 && !c->internal &&
	    !cidr_list_match(&c->snap->cfg.trusted_hosts, c->family, c->ip);
}

static void
spam_conn_free(void *cs)
{
	struct spam_conn *sc = cs;

	for (size_t i = 0; i < SPAM_MAX_LISTS; i++) {
		dns_discard(sc->q[i]);
		sc->q[i] = NULL;
	}
}

static void
spam_connect(struct conn *c, void *cs)
{
	struct spam_conn *sc = cs;
	const struct spam_snap *s = snap_of(c);

	spam_conn_free(sc);
	memset(sc, 0, sizeof(*sc));
	if (!screened_client(c))
		return;
	for (size_t i = 0; i < s->rules.nlists; i++) {
		const struct spam_list *l = &s->rules.lists[i];
		char qname[256];

		if (l->kind != SPAM_LIST_IP)
			continue;
		if (!spam_dnsbl_name(c->family, c->ip, l->zone, qname, sizeof(qname))) {
			sc->res[i] = SPAM_LIST_ERROR;
			continue;
		}
		sc->q[i] = dns_start(qname, 1 /* A */);
		if (sc->q[i] == NULL)
			sc->res[i] = SPAM_LIST_ERROR;
	}
	sc->asked = true;
}

static enum spam_listed
read_answer(const struct spam_list *l, struct dns_pending *q)
{
	struct dns_answer a;
	enum spam_listed r = SPAM_NOT_LISTED;

	switch (dns_collect(q, &a)) {
	case DNS_OK:
		for (size_t j = 0; j < a.count; j++) {
			enum spam_listed x = spam_list_match(l, a.rdata[j], a.rdlen[j]);
			if (x == SPAM_LISTED || (x == SPAM_LIST_ERROR && r == SPAM_NOT_LISTED))
				r = x;
		}
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		break;
	default:
		r = SPAM_LIST_ERROR;
		break;
	}
	dns_answer_free(&a);
	return r;
}

/* Read every answer (waiting for those still out) once per connection. */
static void
collect(struct conn *c, struct spam_conn *sc)
{
	const struct spam_snap *s = snap_of(c);

	if (!sc->asked || sc->collected)
		return;
	for (size_t i = 0; i < s->rules.nlists; i++) {
		if (sc->q[i] == NULL)
			continue;
		sc->res[i] = read_answer(&s->rules.lists[i], sc->q[i]);
		sc->q[i] = NULL;
		if (sc->res[i] == SPAM_LIST_ERROR)
			plog(PLOG_NOTICE, c->msg.qid, "spam: DNS list %s (%s) could not be asked for %s",
			    s->rules.lists[i].name, s->rules.lists[i].zone, c->addr);
	}
	sc->collected = true;
}

/* Connection-level facts as hits of this message. */
static void
conn_hits(struct conn *c, struct spam_msg *sm)
{
	struct spam_conn *sc = check_conn_state(c, &check_spam);
	const struct spam_snap *s = snap_of(c);
	const char *helo = c->helo != NULL ? c->helo : "";

	collect(c, sc);
	for (size_t i = 0; i < s->rules.nlists; i++) {
		if (sc->res[i] == SPAM_LISTED)
			spam_hit(&sm->hits, s->rules.lists[i].rule, 0);
		else if (sc->res[i] == SPAM_LIST_ERROR)
			spam_hit(&sm->hits, SR_DNSBL_ERROR, 0);
	}
	const struct helo_facts *hf;

	if (*helo == '\0')
		return;
	/* the facts the HELO rules decide on (check_helo.c), scored */
	hf = check_helo_facts(c);
	if (hf->bare_ip || hf->literal)
		spam_hit(&sm->hits, SR_HELO_BARE_IP, 0);
	else if (hf->non_fqdn)
		spam_hit(&sm->hits, SR_HELO_NOT_FQDN, 0);
	if (hf->is_mta_name ||
	    (c->snap->cfg.authserv_id != NULL && strcasecmp(helo, c->snap->cfg.authserv_id) == 0))
		spam_hit(&sm->hits, SR_HELO_OURS, 0);
}

/* ---- scoring under a policy ----------------------------------------- */

static void
thresholds(const struct spam_policy *sp, enum direction d, int *tag, int *quar, int *rej)
{
	*tag = d == DIR_INBOUND ? sp->tag : sp->out_tag;
	*quar = d == DIR_INBOUND ? sp->quarantine : sp->out_quarantine;
	*rej = d == DIR_INBOUND ? sp->reject : sp->out_reject;
}

static enum action
action_for(int score, int tag, int quar, int rej, int *threshold)
{
	if (rej != SCORE_OFF && score >= rej) {
		*threshold = rej;
		return ACT_REJECT;
	}
	if (quar != SCORE_OFF && score >= quar) {
		*threshold = quar;
		return ACT_QUARANTINE;
	}
	if (tag != SCORE_OFF && score >= tag) {
		*threshold = tag;
		return ACT_TAG;
	}
	*threshold = tag != SCORE_OFF ? tag : quar != SCORE_OFF ? quar : rej;
	return ACT_ACCEPT;
}

static void
refuse_as_spam(struct verdict *v, const struct spam_rules *rs, const struct spam_policy *sp,
    const struct policy *p, const struct spam_hits *h, int score)
{
	char sc[SCORE_TEXT_MAX];
	strbuf names;

	sb_init(&names);
	spam_format_hits(rs, &sp->scores, h, &names, ", ", false, REPLY_RULES);
	/* no rule fired when spam.reject is 0 or less: names never allocated */
	check_verdict(v, NAME, p, ACT_REJECT, 550, "5.7.1", "message refused as spam (score %s: %s)",
	    score_format(score, sc), names.len > 0 ? names.s : "none");
	sb_free(&names);
}

/* A recipient refusal does not end the transaction: say it in the log. */
static void
log_rcpt_refusal(const struct msg *m, const struct policy *p, const struct verdict *v)
{
	strbuf text;

	sb_init(&text);   /* the reply text may quote message data */
	sb_escape(&text, v->text, strlen(v->text), sizeof(v->text));
	plog(PLOG_NOTICE, m->qid, "spam: recipient refused under policy %s: %u %s %s",
	    p->domain[0] ? p->domain : "default", v->code, v->xcode, text.s);
	sb_free(&text);
}

static void
spam_envrcpt(struct conn *c, struct msg *m, void *ms, const struct policy *p, struct verdict *v)
{
	struct spam_msg *sm = ms;
	struct spam_conn *sc = check_conn_state(c, &check_spam);
	const struct spam_snap *s = snap_of(c);
	const struct spam_policy *sp = check_policy(p, &check_spam);
	int score, tag, quar, rej;

	if (m->dir != DIR_INBOUND || !screened_client(c))
		return;
	conn_hits(c, sm);
	for (size_t i = 0; i < s->rules.nlists; i++) {
		const struct spam_list *l = &s->rules.lists[i];

		if (sc->res[i] != SPAM_LISTED || !strlist_contains(&sp->dnsbl_reject, l->name))
			continue;
		check_verdict(v, NAME, p, ACT_REJECT, 554, "5.7.1", "client %s is listed in %s (%s)",
		    c->addr, l->name, l->zone);
		log_rcpt_refusal(m, p, v);
		return;
	}
	score = spam_total(&s->rules, &sp->scores, &sm->hits);
	thresholds(sp, m->dir, &tag, &quar, &rej);
	if (rej != SCORE_OFF && score >= rej) {
		refuse_as_spam(v, &s->rules, sp, p, &sm->hits, score);
		log_rcpt_refusal(m, p, v);
	}
}

/* ---- header and body ------------------------------------------------ */

static void
spam_reset(void *ms)
{
	struct spam_msg *sm = ms;

	free(sm->subject);
	for (size_t i = 0; i < sm->nxs; i++)
		free(sm->xs[i].name);
	free(sm->xs);
	spamd_free(sm->spamd);
	for (size_t i = 0; i < sm->ndom; i++)
		for (size_t j = 0; j < SPAM_MAX_LISTS; j++)
			dns_discard(sm->dom[i].q[j]);
	free(sm->dom);
}

/* ---- URI lists ------------------------------------------------------ */

static void
on_host(void *ctx, const char *host, size_t len, enum spam_uri_where where)
{
	struct spam_msg *sm = ctx;
	const struct spam_snap *s = sm->snap;
	char rd[254];
	struct uri_domain *d;

	spam_content_host(&sm->content, host, len);
	if (!spam_registered_domain(host, rd, sizeof(rd)))
		return;
	if (spam_is_shortener(rd))
		sm->shortener = true;
	if (where == SPAM_URI_HREF)
		strlcpy_ok(sm->href_domain, rd, sizeof(sm->href_domain));
	else if (where == SPAM_URI_ANCHOR && sm->href_domain[0] != '\0' && strcmp(rd, sm->href_domain) != 0)
		sm->link_mismatch = true;
	if (!s->have_uribl)
		return;
	for (size_t i = 0; i < sm->ndom; i++)
		if (strcmp(sm->dom[i].name, rd) == 0)
			return;
	if (sm->ndom >= s->max_domains || sm->ndom >= URI_DOMAINS_MAX) {
		sm->dom_skipped++;
		return;
	}
	if (sm->dom == NULL)
		sm->dom = xcalloc(URI_DOMAINS_MAX, sizeof(*sm->dom));
	d = &sm->dom[sm->ndom++];
	strlcpy_ok(d->name, rd, sizeof(d->name));
	/* asked now, read at end of message */
	for (size_t j = 0; j < s->rules.nlists; j++) {
		char qname[300];
		if (s->rules.lists[j].kind == SPAM_LIST_URI &&
		    spam_uribl_name(rd, s->rules.lists[j].zone, qname, sizeof(qname)))
			d->q[j] = dns_start(qname, 1 /* A */);
	}
}

static void
on_text(void *ctx, const struct mime_part *p, const unsigned char *buf, size_t len)
{
	struct spam_msg *sm = ctx;

	if (p != sm->uri_part) {
		sm->html_hidden = sm->html_hidden || sm->uri.hidden;
		spam_uri_finish(&sm->uri, on_host, sm);
		sm->uri_part = p;
		sm->uri.html = strcmp(p->type, "text/html") == 0;
		sm->href_domain[0] = '\0';
		spam_content_part(&sm->content, sm->uri.html, p->enc == ENC_BASE64);
	}
	spam_uri_feed(&sm->uri, buf, len, on_host, sm);
	spam_content_text(&sm->content, buf, len);
}

static void
uri_hits(struct conn *c, struct spam_msg *sm)
{
	const struct spam_snap *s = snap_of(c);

	if (!sm->uri_hooked)
		return;
	sm->html_hidden = sm->html_hidden || sm->uri.hidden;
	spam_uri_finish(&sm->uri, on_host, sm);
	for (size_t i = 0; i < sm->ndom; i++) {
		for (size_t j = 0; j < s->rules.nlists; j++) {
			const struct spam_list *l = &s->rules.lists[j];
			enum spam_listed r;

			if (l->kind != SPAM_LIST_URI)
				continue;
			r = sm->dom[i].q[j] != NULL ? read_answer(l, sm->dom[i].q[j]) : SPAM_LIST_ERROR;
			sm->dom[i].q[j] = NULL;
			if (r == SPAM_LISTED)
				spam_hit(&sm->hits, l->rule, 0);
			else if (r == SPAM_LIST_ERROR)
				spam_hit(&sm->hits, SR_URIBL_ERROR, 0);
		}
	}
}

static void
note_xspam(struct spam_msg *sm, const char *name)
{
	for (size_t i = 0; i < sm->nxs; i++) {
		if (strcasecmp(sm->xs[i].name, name) == 0) {
			sm->xs[i].count++;
			return;
		}
	}
	if (sm->nxs == XSPAM_MAX) {
		sm->xs_overflow = true;
		return;
	}
	if (sm->nxs == sm->xs_cap) {
		sm->xs_cap = sm->xs_cap == 0 ? 8 : sm->xs_cap * 2;
		sm->xs = xrealloc(sm->xs, sm->xs_cap * sizeof(*sm->xs));
	}
	sm->xs[sm->nxs].name = xstrdup(name);
	sm->xs[sm->nxs++].count = 1;
}

static void
spam_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct spam_msg *sm = ms;
	const struct spam_snap *s = snap_of(c);
	size_t vlen = strlen(value);

	(void)v;
	if (!sm->spamd_asked && s->spamd.family != 0 &&
	    (m->dir == DIR_OUTBOUND || screened_client(c))) {
		const struct config *cfg = &c->snap->cfg;
		sm->spamd_asked = true;
		sm->spamd = spamd_start(&s->spamd, (unsigned)cfg->spam_spamd_timeout,
		    (size_t)cfg->spam_spamd_max_size);
	}
	spamd_header(sm->spamd, name, value);
	if (strcasecmp(name, "Date") == 0 && !sm->date) {
		sm->date = true;
		sm->date_ok = spam_parse_date(value, vlen, &sm->date_t, &sm->date_zone);
	}
	else if (strcasecmp(name, "Message-ID") == 0)
		sm->msgid = true;
	else if (strcasecmp(name, "To") == 0 || strcasecmp(name, "Cc") == 0)
		sm->naddr += spam_count_addresses(value, vlen);
	else if (strcasecmp(name, "Subject") == 0 && sm->nsubject++ == 0)
		sm->subject = xstrndup(value, vlen > SUBJECT_MAX ? SUBJECT_MAX : vlen);
	else if (strncasecmp(name, "X-Spam-", 7) == 0)
		note_xspam(sm, name);
	else if (strcasecmp(name, "From") == 0 && m->author.nfrom == 1 &&
	    !spam_display_domain(value, vlen, sm->display_domain, sizeof(sm->display_domain)))
		sm->display_domain[0] = '\0';
	if (strcasecmp(name, "Subject") == 0) {
		char dec[SUBJECT_MAX + 1];
		size_t n = mime_decode_words(value, vlen > SUBJECT_MAX ? SUBJECT_MAX : vlen, dec, sizeof(dec));
		if (n == (size_t)-1)
			spam_content_header(&sm->content, name, value, vlen);
		else
			spam_content_header(&sm->content, name, dec, n);
	} else {
		spam_content_header(&sm->content, name, value, vlen);
	}
	if (spam_has_8bit(value, vlen))
		sm->eightbit = true;
	{
		unsigned u = spam_unique_field(name);

		if ((u & sm->unique_seen) != 0 || spam_header_malformed(name, value, vlen))
			sm->malformed = true;
		sm->unique_seen |= u;
	}
}

static void
spam_body(struct conn *c, struct msg *m, void *ms, const unsigned char *buf, size_t len,
    struct verdict *v)
{
	struct spam_msg *sm = ms;

	(void)c;
	(void)m;
	(void)v;
	spam_gtube_feed(&sm->gtube, buf, len);
	spamd_body(sm->spamd, buf, len);
}

static void
spam_eoh(struct conn *c, struct msg *m, void *ms, struct verdict *v)
{
	struct spam_msg *sm = ms;
	const struct spam_snap *s = snap_of(c);

	(void)v;
	spamd_eoh(sm->spamd);
	if (m->dir == DIR_OUTBOUND || screened_client(c)) {
		sm->snap = s;
		sm->uri_hooked = attach_text_hook(m, NULL, on_text, sm);
	}
}

/* spamd trouble is logged at most once a minute (every message shows it
 * in its summary line). */
static void
log_spamd_trouble(const struct conn *c, const struct msg *m, const struct spam_msg *sm)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t last;
	time_t now = time(NULL);
	bool say;

	pthread_mutex_lock(&lock);
	say = now - last >= 60 || now < last;
	if (say)
		last = now;
	pthread_mutex_unlock(&lock);
	if (say) {
		strbuf why;

		sb_init(&why);   /* spamd's words: text from a socket */
		sb_escape(&why, sm->spamd_res.why, strlen(sm->spamd_res.why), 100);
		plog(PLOG_WARNING, m->qid, "spam: spamd %s: %s (%s); going on per spam.spamd_down_action",
		    snap_of(c)->spamd.text, spamd_status_name(sm->spamd_st), why.s);
		sb_free(&why);
	}
}

static enum action
act_spamd_down(const void *pol, int unused)
{
	(void)unused;
	return ((const struct spam_policy *)pol)->spamd_down;
}

/* Read spamd's answer; false when the message must wait (tempfail). */
static bool
spamd_hits(struct conn *c, struct msg *m, struct spam_msg *sm, struct verdict *v)
{
	const struct policy *who;
	enum action a;

	if (sm->spamd == NULL)
		return true;
	sm->spamd_st = spamd_finish(sm->spamd, &sm->spamd_res);
	spamd_free(sm->spamd);
	sm->spamd = NULL;
	if (sm->spamd_st == SPAMD_OK) {
		spam_hit(&sm->hits, SR_SPAMD, sm->spamd_res.score);
		return true;
	}
	if (sm->spamd_st == SPAMD_TOO_BIG)
		return true;
	spam_hit(&sm->hits, SR_SPAMD_ERROR, 0);
	log_spamd_trouble(c, m, sm);
	a = check_strictest(m, &check_spam, act_spamd_down, 0, &who);
	if (a >= ACT_TEMPFAIL) {
		check_verdict(v, NAME, who, ACT_TEMPFAIL, 451, "4.7.1",
		    "spam check unavailable, try again later");
		return false;
	}
	return true;
}

/* ---- end of message ------------------------------------------------- */

static bool
from_domain_signed(const struct msg *m)
{
	const char *pd[DKIM_MAX_PASS];
	size_t n = dkim_pass_domains(m, pd, DKIM_MAX_PASS);
	const char *from = m->author.domain;

	for (size_t i = 0; i < n; i++)
		if (domain_under(from, strlen(from), pd[i]))
			return true;
	return false;
}

/* A From address at a free mail service that no relay of the service
 * handled (Received hops, the client's verified name) and no signature of
 * its domain covers (spam_freemail.c). */
static void
freemail_hits(const struct conn *c, const struct msg *m, struct spam_msg *sm)
{
	int svc = spam_freemail_service(m->author.domain);
	unsigned seen = sm->content.freemail_relays;

	if (svc < 0)
		return;
	if (c->hostname != NULL)
		seen |= spam_freemail_relays(c->hostname, strlen(c->hostname));
	if (!(seen & (1u << svc)) && !from_domain_signed(m))
		spam_hit(&sm->hits, SR_FREEMAIL_FORGED, 0);
}

static void
auth_hits(const struct conn *c, const struct msg *m, struct spam_msg *sm)
{
	const struct spf_fact *spf = check_spf_fact(m);
	enum dmarc_result dr;
	unsigned npass, nfail, ntemp;
	bool spf_pass = false, spf_temp = false;

	(void)c;
	if (spf != NULL && spf->checked) {
		if (spf->o.result == SPFR_FAIL)
			spam_hit(&sm->hits, SR_SPF_FAIL, 0);
		else if (spf->o.result == SPFR_SOFTFAIL)
			spam_hit(&sm->hits, SR_SPF_SOFTFAIL, 0);
		spf_pass = spf->o.result == SPFR_PASS;
		spf_temp = spf->o.result == SPFR_TEMPERROR;
	}
	dkim_counts(m, &npass, &nfail, &ntemp);
	if (nfail > 0 && npass == 0)
		spam_hit(&sm->hits, SR_DKIM_FAIL, 0);
	if (check_dmarc_result(m, &dr) && dr == DMARC_FAIL && !check_dmarc_forwarded(m))
		spam_hit(&sm->hits, SR_DMARC_FAIL, 0);
	/* a DNS error is no verdict: "nothing passed" is then unknown, shown
	 * as auth_error (0), as a list that could not be asked is dnsbl_error */
	if (!spf_pass && npass == 0)
		spam_hit(&sm->hits, spf_temp || ntemp > 0 ? SR_AUTH_ERROR : SR_AUTH_NONE, 0);
	if (from_domain_signed(m))
		spam_hit(&sm->hits, SR_DKIM_FROM_PASS, 0);
}

/* The classifier's band as a rule (check_bayes); a store that did not
 * answer shows bayes_error. */
static void
bayes_hits(const struct msg *m, struct spam_msg *sm)
{
	const struct bayes_result *r = check_bayes_result(m);

	if (r == NULL)
		return;
	if (r->st != STORE_OK)
		spam_hit(&sm->hits, SR_BAYES_ERROR, 0);
	else if (r->scored)
		spam_hit(&sm->hits, spam_bayes_rule(r->p), 0);
}

/* What the classifier's bayes_* rule adds under a policy's scores. */
static int
bayes_score(const struct spam_rules *rs, const struct strlist *ovr, const struct spam_hits *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].rule >= SR_BAYES_00 && h->v[i].rule <= SR_BAYES_999)
			return spam_hit_score(rs, ovr, &h->v[i]);
	return 0;
}

/* Body shape from the MIME scanner's facts. */
static void
body_hits(const struct msg *m, struct spam_msg *sm)
{
	const struct mime_facts *f = attach_facts(m);
	bool plain = false, html = false, image = false;

	if (sm->shortener)
		spam_hit(&sm->hits, SR_URL_SHORTENER, 0);
	if (sm->link_mismatch)
		spam_hit(&sm->hits, SR_LINK_MISMATCH, 0);
	if (sm->html_hidden)
		spam_hit(&sm->hits, SR_HTML_HIDDEN, 0);
	if (sm->display_domain[0] != '\0' && m->author.domain[0] != '\0' &&
	    strcmp(sm->display_domain, m->author.domain) != 0) {
		char a[254], b[254];
		/* the same organisation (a subdomain) is no spoof */
		if (!spam_registered_domain(sm->display_domain, a, sizeof(a)) ||
		    !spam_registered_domain(m->author.domain, b, sizeof(b)) || strcmp(a, b) != 0)
			spam_hit(&sm->hits, SR_FROM_NAME_DOMAIN, 0);
	}
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nparts; i++) {
		const struct mime_part *p = &f->parts[i];
		if (p->kind != MIME_LEAF)
			continue;
		if (!p->attachment && strcmp(p->type, "text/plain") == 0 && p->dec_size > 2)
			plain = true;
		else if (!p->attachment && strcmp(p->type, "text/html") == 0)
			html = true;
		else if (strncmp(p->type, "image/", 6) == 0)
			image = true;
	}
	if (html && !plain)
		spam_hit(&sm->hits, SR_HTML_ONLY, 0);
	if (image && !plain && !html)
		spam_hit(&sm->hits, SR_IMAGE_ONLY, 0);
}

static void
header_hits(struct spam_msg *sm, time_t now)
{
	if (!sm->date)
		spam_hit(&sm->hits, SR_NO_DATE, 0);
	else if (!sm->date_ok)
		spam_hit(&sm->hits, SR_DATE_INVALID, 0);
	else if (sm->date_t > now + SPAM_DATE_FUTURE_S)
		spam_hit(&sm->hits, SR_DATE_FUTURE, 0);
	else if (sm->date_t < now - SPAM_DATE_PAST_S)
		spam_hit(&sm->hits, SR_DATE_PAST, 0);
	if (sm->date_ok && spam_date_zone_odd(sm->date_zone))
		spam_hit(&sm->hits, SR_DATE_ZONE_ODD, 0);
	if (!sm->msgid)
		spam_hit(&sm->hits, SR_NO_MESSAGE_ID, 0);
	if (sm->eightbit)
		spam_hit(&sm->hits, SR_HEADER_8BIT, 0);
	if (sm->malformed)
		spam_hit(&sm->hits, SR_HEADER_MALFORMED, 0);
	if (sm->naddr > MANY_RCPTS)
		spam_hit(&sm->hits, SR_MANY_RCPTS, 0);
	if (sm->gtube.found)
		spam_hit(&sm->hits, SR_GTUBE, 0);
}

/* Append "name=score" items to val, folding before an item that would
 * take the line past 76 columns (col: the current line's length). */
static void
fold_items(strbuf *val, const char *items, size_t col)
{
	const char *p = items;

	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t n = e != NULL ? (size_t)(e - p) + 1 : strlen(p);

		if (col + n > 76 && col > 8) {
			sb_puts(val, "\n\t");
			col = 8;
		}
		sb_append(val, p, n);
		col += n;
		p += n;
	}
}

static void
add_headers(struct msg *m, struct spam_msg *sm, const struct spam_rules *rs,
    const struct spam_policy *sp, struct edits *e)
{
	char sc[SCORE_TEXT_MAX], th[SCORE_TEXT_MAX];
	strbuf val, items;

	(void)m;
	sb_init(&val);
	sb_init(&items);
	edits_insert(e, 0, "X-Spam-Flag", "YES");
	edits_insert(e, 0, "X-Spam-Score", score_format(sm->score, sc));
	sb_printf(&val, "Yes, score=%s required=%s tests=", sc, score_format(sm->threshold, th));
	spam_format_hits(rs, &sp->scores, &sm->hits, &items, ",", true, 0);
	fold_items(&val, items.len == 0 ? "none" : items.s, val.len + 15);
	edits_insert(e, 0, "X-Spam-Status", val.s);
	if (sp->subject_prefix != NULL && sp->subject_prefix[0] != '\0' &&
	    (sm->subject == NULL || strncmp(sm->subject, sp->subject_prefix, strlen(sp->subject_prefix)) != 0)) {
		sb_reset(&val);
		sb_puts(&val, sp->subject_prefix);
		if (sm->subject != NULL) {
			sb_putc(&val, ' ');
			sb_puts(&val, sm->subject);
			edits_change(e, "Subject", 1, val.s);
		} else {
			edits_insert(e, 0, "Subject", val.s);
		}
	}
	sb_free(&items);
	sb_free(&val);
}

static void
spam_eom(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v)
{
	struct spam_msg *sm = ms;
	const struct spam_snap *s = snap_of(c);
	const struct spam_policy *best = NULL;
	char sc[SCORE_TEXT_MAX], th[SCORE_TEXT_MAX];
	int nobayes[MSG_MAX_POLICIES];
	strbuf ar;

	/* incoming X-Spam-* fields go, whatever the verdict */
	for (size_t i = 0; i < sm->nxs; i++)
		for (unsigned k = sm->xs[i].count; k > 0; k--)
			edits_delete(e, sm->xs[i].name, k);
	if (sm->xs_overflow) {
		/* some could not be tracked, so some would stay: a sender's
		 * pre-label must not get through */
		plog(PLOG_NOTICE, m->qid, "spam: more than %d distinct X-Spam-* field names", XSPAM_MAX);
		check_verdict(v, NAME, m->npol > 0 ? m->pol[0] : NULL, ACT_REJECT, 550, "5.7.1",
		    "message refused: more than %d distinct X-Spam-* header fields", XSPAM_MAX);
		return;
	}
	if (m->npol == 0 || (m->dir == DIR_INBOUND && !screened_client(c)))
		return;
	if (m->dir == DIR_INBOUND) {
		conn_hits(c, sm);
		auth_hits(c, m, sm);
		freemail_hits(c, m, sm);
	}
	header_hits(sm, time(NULL));
	uri_hits(c, sm);
	body_hits(m, sm);
	spam_content_hits(&sm->content, &sm->hits);
	bayes_hits(m, sm);
	if (!spamd_hits(c, m, sm, v))
		return;
	sm->scored = true;
	sm->action = ACT_ACCEPT;
	for (size_t i = 0; i < m->npol; i++) {
		const struct spam_policy *sp = check_policy(m->pol[i], &check_spam);
		int tag, quar, rej, thr, score = spam_total(&s->rules, &sp->scores, &sm->hits);
		enum action a;

		nobayes[i] = score - bayes_score(&s->rules, &sp->scores, &sm->hits);

		thresholds(sp, m->dir, &tag, &quar, &rej);
		a = action_for(score, tag, quar, rej, &thr);
		if (sm->gtube.found)
			a = ACT_REJECT;
		if (best == NULL || a > sm->action) {
			best = sp;
			sm->who = m->pol[i];
			sm->action = a;
			sm->score = score;
			sm->threshold = thr;
		}
	}
	/* auto-learning judges by the other rules, never by the classifier's
	 * own verdict (as SpamAssassin does); the GTUBE test teaches nothing */
	if (m->dir == DIR_INBOUND && !sm->gtube.found)
		check_bayes_autolearn(c, m, nobayes);
	if (m->dir == DIR_INBOUND) {
		sb_init(&ar);
		sb_printf(&ar, "x-spam=%s (score=%s required=%s)",
		    sm->action >= ACT_TAG ? "spam" : "ham", score_format(sm->score, sc),
		    sm->threshold == SCORE_OFF ? "off" : score_format(sm->threshold, th));
		authres_add(m, ar.s);
		sb_free(&ar);
	}
	switch (sm->action) {
	case ACT_REJECT:
		if (sm->gtube.found)
			check_verdict(v, NAME, sm->who, ACT_REJECT, 550, "5.7.1",
			    "message refused as spam (GTUBE test message)");
		else
			refuse_as_spam(v, &s->rules, best, sm->who, &sm->hits, sm->score);
		break;
	case ACT_QUARANTINE:
	case ACT_TAG:
		add_headers(m, sm, &s->rules, best, e);
		check_verdict(v, NAME, sm->who, sm->action, 0, "", "spam score %s (threshold %s)",
		    score_format(sm->score, sc), score_format(sm->threshold, th));
		break;
	default:
		break;
	}
}

static void
spam_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct spam_msg *sm = ms;
	const struct spam_snap *s = snap_of(c);
	const struct strlist *ovr = NULL;
	char sc[SCORE_TEXT_MAX], th[SCORE_TEXT_MAX];

	if (sm->who != NULL)
		ovr = &((const struct spam_policy *)check_policy(sm->who, &check_spam))->scores;
	else if (m->npol > 0)
		ovr = &((const struct spam_policy *)check_policy(m->pol[0], &check_spam))->scores;
	if (sm->scored)
		sb_printf(out, " spam=%s/%s", score_format(sm->score, sc),
		    sm->threshold == SCORE_OFF ? "off" : score_format(sm->threshold, th));
	if (sm->hits.n > 0) {
		sb_puts(out, " spam_rules=");
		spam_format_hits(&s->rules, ovr, &sm->hits, out, ",", true, 0);
	}
	if (sm->spamd_asked && sm->spamd == NULL) {
		sb_printf(out, " spamd=%s", spamd_status_name(sm->spamd_st));
		if (sm->spamd_st == SPAMD_OK)
			sb_printf(out, "(%s)", score_format(sm->spamd_res.score, sc));
	}
	if (sm->ndom > 0 || sm->dom_skipped > 0)
		sb_printf(out, " uri_domains=%zu%s", sm->ndom + sm->dom_skipped, sm->dom_skipped ? "(limit)" : "");
	if (sm->nxs > 0 || sm->xs_overflow)
		sb_printf(out, " xspam_removed=%zu%s", sm->nxs, sm->xs_overflow ? "+" : "");
}

const struct check check_spam = {
	.name = NAME,
	.policy_keys = spam_keys,
	.npolicy_keys = NELEM(spam_keys),
	.policy_size = sizeof(struct spam_policy),
	.snap_new = spam_snap_new,
	.snap_free = spam_snap_free,
	.policies_check = spam_policies_check,
	.conn_size = sizeof(struct spam_conn),
	.conn_free = spam_conn_free,
	.msg_size = sizeof(struct spam_msg),
	.msg_reset = spam_reset,
	.connect = spam_connect,
	.envrcpt = spam_envrcpt,
	.header = spam_header,
	.eoh = spam_eoh,
	.body = spam_body,
	.eom = spam_eom,
	.summary = spam_summary,
};
