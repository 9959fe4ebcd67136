/*
 * pipeline.c - runs the check table at each SMTP phase, resolves the
 * governing policies, applies observe mode, and writes the summary line.
 * Called by milter.c and by anything that replays a session offline.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/addr.h"
#include "postern/json.h"
#include "postern/log.h"
#include "postern/metrics.h"
#include "postern/pipeline.h"

/* Each row of the check table (filter/checks/table.c), in order; i_ is
 * its slot, MS its message state, CS its connection state. */
#define FOR_EACH_CHECK(ck) \
	for (size_t i_ = 0; i_ < check_count && ((ck) = check_table[i_], 1); i_++)
#define MS(m) ((m)->state[i_])
#define CS(c) ((c)->state[i_])
/* Rows an allow list excused (struct msg): for the message, or (RCPT) for
 * the recipient being added. */
#define EXCUSED(m) (((m)->excused >> i_) & 1u)
#define RCPT_EXCUSED(m) (((m)->rcpt_excused >> i_) & 1u)

static void
apply_mode(const struct msg *m, struct verdict *v)
{
	if (m->observe)
		verdict_observe(v);
}

void
pl_connect(struct conn *c, const char *hostname, const char *addr,
    const char *daemon_name)
{
	const struct config *cfg = &c->snap->cfg;

	conn_set_client(c, hostname, addr);
	free(c->daemon_name);
	c->daemon_name = daemon_name != NULL ? xstrdup(daemon_name) : NULL;
	const struct check *ck;

	c->internal = c->family != 0 &&
	    cidr_list_match(&cfg->internal_hosts, c->family, c->ip);
	verdict_clear(&c->refusal);
	FOR_EACH_CHECK(ck) {
		if (ck->connect != NULL)
			ck->connect(c, CS(c));
	}
	if (verdict_refuses(&c->refusal)) {
		strbuf sb, text;

		sb_init(&sb);
		sb_init(&text);
		sb_escape(&sb, c->hostname, strlen(c->hostname), 100);
		sb_escape(&text, c->refusal.text, strlen(c->refusal.text), sizeof(c->refusal.text));
		plog(PLOG_INFO, NULL, "connect: client=%s[%s] check=%s reply=\"%u %s %s\"",
		    sb.s, c->addr, c->refusal.check ? c->refusal.check : "?", c->refusal.code,
		    c->refusal.xcode, text.s);
		sb_free(&text);
		sb_free(&sb);
	}
}

void
pl_connect_reply(const struct conn *c, struct verdict *out)
{
	*out = c->refusal;
}

void
pl_server(struct conn *c, const char *mta_name)
{
	free(c->mta_name);
	c->mta_name = mta_name != NULL && *mta_name != '\0' ? xstrdup(mta_name) : NULL;
}

/* Copy a macro value keeping printable ASCII only. */
static void
copy_token(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; *src != '\0' && i + 1 < size; src++)
		if ((unsigned char)*src > 0x20 && (unsigned char)*src < 0x7f)
			dst[i++] = *src;
	dst[i] = '\0';
}

void
pl_tls(struct conn *c, const char *version, const char *cipher, const char *bits)
{
	unsigned long n = 0;

	if (version == NULL || *version == '\0')
		return;
	copy_token(c->tls.version, sizeof(c->tls.version), version);
	copy_token(c->tls.cipher, sizeof(c->tls.cipher), cipher != NULL ? cipher : "");
	for (const char *b = bits != NULL ? bits : ""; *b >= '0' && *b <= '9' && n < 100000; b++)
		n = n * 10 + (unsigned long)(*b - '0');
	c->tls.bits = (unsigned)n;
}

void
pl_helo(struct conn *c, const char *helo)
{
	const struct check *ck;

	free(c->helo);
	c->helo = xstrdup(helo != NULL ? helo : "");
	FOR_EACH_CHECK(ck) {
		if (ck->helo != NULL)
			ck->helo(c, CS(c));
	}
}

static enum direction
decide_direction(const struct conn *c, const char *auth_user)
{
	const struct config *cfg = &c->snap->cfg;

	if (c->internal)
		return DIR_OUTBOUND;
	if (auth_user != NULL && *auth_user != '\0')
		return DIR_OUTBOUND;
	if (c->daemon_name != NULL && strlist_contains(&cfg->originating_daemons, c->daemon_name))
		return DIR_OUTBOUND;
	return DIR_INBOUND;
}

/* The MTA's queue id goes into every log line: keep it to safe characters. */
static void
set_qid(struct msg *m, const char *qid)
{
	size_t i;

	for (i = 0; qid[i] != '\0' && i + 1 < sizeof(m->qid); i++) {
		unsigned char ch = (unsigned char)qid[i];
		m->qid[i] = (isalnum(ch) || ch == '.' || ch == '-' || ch == '_') ? (char)ch : '?';
	}
	m->qid[i] = '\0';
}

static void
strip_brackets(const char *in, char **out)
{
	size_t len = strlen(in);

	if (len >= 2 && in[0] == '<' && in[len - 1] == '>')
		*out = xstrndup(in + 1, len - 2);
	else
		*out = xstrdup(in);
}

static bool
add_policy(struct msg *m, const struct policy *p)
{
	for (size_t i = 0; i < m->npol; i++)
		if (m->pol[i] == p)
			return true;
	if (m->npol == MSG_MAX_POLICIES)
		return false;
	m->pol[m->npol++] = p;
	m->observe = (m->npol == 1 ? true : m->observe) && p->mode == POLICY_OBSERVE;
	return true;
}

void
pl_envfrom(struct conn *c, const char *sender, const char *const *args,
    const char *qid, const char *auth_user, struct verdict *out)
{
	struct msg *m = &c->msg;
	const struct policy_set *ps = c->snap->policies;
	const struct check *ck;

	if (m->active)
		pl_abort(c);
	msg_reset(m);
	m->active = true;
	c->nmsgs++;
	if (qid != NULL)
		set_qid(m, qid);
	strip_brackets(sender != NULL ? sender : "", &m->sender);
	if (!address_domain(m->sender, m->sender_domain, sizeof(m->sender_domain)))
		m->sender_domain[0] = '\0';
	if (auth_user != NULL && *auth_user != '\0')
		m->auth_user = xstrdup(auth_user);
	m->dir = decide_direction(c, auth_user);
	if (m->dir == DIR_OUTBOUND) {
		add_policy(m, policy_lookup(ps, m->sender_domain));
	} else {
		m->observe = policy_set_all_observe(ps);
	}
	verdict_clear(out);
	if (verdict_refuses(&c->refusal)) {   /* the connection was refused */
		*out = c->refusal;
		verdict_merge(&m->verdict, out);
		return;
	}
	FOR_EACH_CHECK(ck) {
		struct verdict v;

		if (ck->envfrom == NULL)
			continue;
		verdict_clear(&v);
		ck->envfrom(c, m, MS(m), args, &v);
		apply_mode(m, &v);
		verdict_merge(out, &v);
	}
	verdict_merge(&m->verdict, out);
}

static void
refuse_rcpt(struct msg *m, struct verdict *out, const char *why)
{
	check_verdict(out, "policy", NULL, ACT_TEMPFAIL, 452, "4.5.3", "%s", why);
	out->code = 452;
	m->nrcpt_refused++;
	m->last_rcpt = *out;
}

static void envrcpt_run(struct conn *c, const char *rcpt, struct verdict *out);

void
pl_envrcpt(struct conn *c, const char *rcpt, struct verdict *out)
{
	char *bare;

	strip_brackets(rcpt != NULL ? rcpt : "", &bare);
	c->msg.rcpt = bare;
	envrcpt_run(c, rcpt, out);
	c->msg.rcpt = NULL;
	free(bare);
}

static void
envrcpt_run(struct conn *c, const char *rcpt, struct verdict *out)
{
	struct msg *m = &c->msg;
	const struct policy *p;
	const struct check *ck;
	char domain[256];
	bool observe_before = m->observe;
	size_t npol_before = m->npol;

	verdict_clear(out);
	m->rcpt_excused = 0;
	if (m->nrcpt >= c->snap->cfg.max_recipients) {
		char why[80];

		snprintf(why, sizeof(why), "too many recipients in one transaction (limit %llu)",
		    c->snap->cfg.max_recipients);
		refuse_rcpt(m, out, why);
		return;
	}
	if (m->dir == DIR_OUTBOUND) {
		p = m->pol[0];
	} else {
		if (!address_domain(rcpt, domain, sizeof(domain)))
			domain[0] = '\0';
		p = policy_lookup(c->snap->policies, domain);
		bool known = false;
		for (size_t i = 0; i < m->npol; i++)
			known = known || m->pol[i] == p;
		if (!known && m->npol > 0) {
			bool split = p->conflict == CONFLICT_SPLIT;
			for (size_t i = 0; i < m->npol; i++)
				split = split || m->pol[i]->conflict == CONFLICT_SPLIT;
			if (split) {
				refuse_rcpt(m, out, "recipient is under another policy; send it in a separate transaction");
				return;
			}
		}
		if (!add_policy(m, p)) {
			refuse_rcpt(m, out, "too many policies in one transaction");
			return;
		}
	}
	FOR_EACH_CHECK(ck) {
		struct verdict v;

		if (ck->envrcpt == NULL || RCPT_EXCUSED(m))
			continue;
		verdict_clear(&v);
		ck->envrcpt(c, m, MS(m), p, &v);
		if (p->mode == POLICY_OBSERVE)
			verdict_observe(&v);
		verdict_merge(out, &v);
	}
	if (verdict_refuses(out)) {
		/* this recipient is not part of the transaction: undo its policy */
		m->npol = npol_before;
		m->observe = observe_before;
		m->nrcpt_refused++;
		m->last_rcpt = *out;
		return;
	}
	/* a row stays excused while every accepted recipient excuses it */
	m->excused = m->nrcpt == 0 ? m->rcpt_excused : (m->excused & m->rcpt_excused);
	m->nrcpt++;
	if (out->action > ACT_ACCEPT || out->observed)
		verdict_merge(&m->verdict, out);
	verdict_clear(out);
}

/* The author: every From field counted, the first one parsed (addr.c). */
static void
note_author(struct msg *m, const char *name, const char *value)
{
	struct author *a = &m->author;

	if (strcasecmp(name, "From") != 0 || a->nfrom++ > 0)
		return;
	a->status = from_header_author(value, strlen(value), a->domain, sizeof(a->domain),
	    a->address, sizeof(a->address));
	if (a->status != FROM_OK) {
		a->domain[0] = '\0';
		a->address[0] = '\0';
	}
}

/*
 * The one place that knows the MTA's form of a header value.  With
 * SMFIP_HDR_LEADSPC (c->leadspc) value is exactly what followed the colon;
 * without it the MTA ate one space (never a tab), which is put back as the
 * best guess of the original.  The hooks get the field in both forms:
 * m->field_raw as written (DKIM and ARC canonicalise it) and `value` with
 * one leading space removed (everything else parses it).
 */
void
pl_header(struct conn *c, const char *name, const char *value)
{
	struct msg *m = &c->msg;
	const struct check *ck;
	strbuf raw;

	sb_init(&raw);
	if (c->leadspc) {
		m->field_raw = value;
		if (value[0] == ' ')
			value++;
	} else {
		sb_putc(&raw, ' ');
		sb_puts(&raw, value);
		m->field_raw = raw.s;
	}
	note_author(m, name, value);
	FOR_EACH_CHECK(ck) {
		struct verdict v;

		if (ck->header == NULL || EXCUSED(m))
			continue;
		verdict_clear(&v);
		ck->header(c, m, MS(m), name, value, &v);
		apply_mode(m, &v);
		verdict_merge(&m->verdict, &v);
	}
	m->field_raw = NULL;
	sb_free(&raw);
}

void
pl_eoh(struct conn *c, struct verdict *out)
{
	struct msg *m = &c->msg;
	const struct check *ck;

	FOR_EACH_CHECK(ck) {
		struct verdict v;

		if (ck->eoh == NULL || EXCUSED(m) || verdict_refuses(&m->verdict))
			continue;
		verdict_clear(&v);
		ck->eoh(c, m, MS(m), &v);
		apply_mode(m, &v);
		verdict_merge(&m->verdict, &v);
	}
	*out = m->verdict;
}

void
pl_body(struct conn *c, const unsigned char *buf, size_t len, struct verdict *out)
{
	struct msg *m = &c->msg;
	const struct check *ck;

	FOR_EACH_CHECK(ck) {
		struct verdict v;

		if (ck->body == NULL || EXCUSED(m) || verdict_refuses(&m->verdict))
			continue;
		verdict_clear(&v);
		ck->body(c, m, MS(m), buf, len, &v);
		apply_mode(m, &v);
		verdict_merge(&m->verdict, &v);
	}
	*out = m->verdict;
}

/* The summary line as one JSON object (log_format = "json"): the
 * pipeline's own fields as members (network text JSON-escaped and cut as
 * in the text form), the checks' key=value tokens turned into members
 * (json.c). */
static void
log_summary_json(struct conn *c, const char *event, const char *checks, size_t nchecks)
{
	const struct msg *m = &c->msg;
	const struct verdict *v = &m->verdict;
	strbuf js, pol;

	sb_init(&js);
	sb_init(&pol);
	sb_putc(&js, '{');
	json_member_str(&js, "qid", m->qid[0] ? m->qid : "NOQUEUE", m->qid[0] ? strlen(m->qid) : 7);
	json_member_str(&js, "event", event, strlen(event));
	json_member_net(&js, "client", c->hostname ? c->hostname : "unknown",
	    c->hostname ? strlen(c->hostname) : 7, 100);
	json_member_str(&js, "client_addr", c->addr, strlen(c->addr));
	json_member_str(&js, "dir", direction_name(m->dir), strlen(direction_name(m->dir)));
	json_member_net(&js, "from", m->sender, strlen(m->sender), 100);
	json_member_uint(&js, "rcpts", m->nrcpt);
	json_member_uint(&js, "refused_rcpts", m->nrcpt_refused);
	if (m->auth_user != NULL)
		json_member_net(&js, "auth", m->auth_user, strlen(m->auth_user), 64);
	for (size_t i = 0; i < m->npol; i++)
		sb_printf(&pol, "%s%s", i ? "," : "", m->pol[i]->domain[0] ? m->pol[i]->domain : "default");
	json_member_str(&js, "policy", m->npol ? pol.s : "-", m->npol ? pol.len : 1);
	json_members_from_tokens(&js, checks, nchecks);
	json_member_str(&js, "verdict", action_name(v->action), strlen(action_name(v->action)));
	if (v->observed)
		json_member_str(&js, "observe_would", action_name(v->would), strlen(action_name(v->would)));
	if (v->check != NULL)
		json_member_str(&js, "check", v->check, strlen(v->check));
	if (v->code != 0) {
		json_member_uint(&js, "reply_code", v->code);
		json_member_str(&js, "reply_xcode", v->xcode, strlen(v->xcode));
		json_member_str(&js, "reply_text", v->text, strlen(v->text));
	} else if (v->observed || v->text[0]) {
		json_member_str(&js, "reason", v->text, strlen(v->text));
	}
	sb_putc(&js, '}');
	plog(PLOG_INFO, m->qid, "%s", js.s);
	sb_free(&pol);
	sb_free(&js);
}

static void
log_summary(struct conn *c, const char *event)
{
	struct msg *m = &c->msg;
	const struct verdict *v = &m->verdict;
	const struct check *ck;
	strbuf sb;
	size_t ck0, ck1;

	if (!m->active || m->logged)
		return;
	m->logged = true;
	sb_init(&sb);
	sb_printf(&sb, "%s: client=", event);
	sb_escape(&sb, c->hostname ? c->hostname : "unknown", c->hostname ? strlen(c->hostname) : 7, 100);
	sb_printf(&sb, "[%s] dir=%s from=<", c->addr, direction_name(m->dir));
	sb_escape(&sb, m->sender, strlen(m->sender), 100);
	sb_printf(&sb, "> rcpts=%u refused_rcpts=%u", m->nrcpt, m->nrcpt_refused);
	if (m->auth_user != NULL) {
		sb_puts(&sb, " auth=");
		sb_escape(&sb, m->auth_user, strlen(m->auth_user), 64);
	}
	sb_puts(&sb, " policy=");
	for (size_t i = 0; i < m->npol; i++)
		sb_printf(&sb, "%s%s", i ? "," : "", m->pol[i]->domain[0] ? m->pol[i]->domain : "default");
	if (m->npol == 0)
		sb_puts(&sb, "-");
	ck0 = sb.len;
	FOR_EACH_CHECK(ck) {
		if (ck->summary != NULL)
			ck->summary(c, m, MS(m), &sb);
	}
	if (m->notes.len)
		sb_append(&sb, m->notes.s, m->notes.len);
	ck1 = sb.len;
	sb_printf(&sb, " verdict=%s", action_name(v->action));
	if (v->observed)
		sb_printf(&sb, " observe_would=%s", action_name(v->would));
	if (v->check != NULL)
		sb_printf(&sb, " check=%s", v->check);
	/* the reply text may quote message data (a file name, a domain) */
	if (v->code != 0) {
		sb_printf(&sb, " reply=\"%u %s ", v->code, v->xcode);
		sb_escape(&sb, v->text, strlen(v->text), sizeof(v->text));
		sb_putc(&sb, '"');
	} else if (v->observed || v->text[0]) {
		sb_puts(&sb, " reason=\"");
		sb_escape(&sb, v->text, strlen(v->text), sizeof(v->text));
		sb_putc(&sb, '"');
	}
	if (m->nrcpt > 0 && m->nrcpt_refused > 0 && m->last_rcpt.code != 0) {
		sb_printf(&sb, " last_refused_rcpt=\"%u %s ", m->last_rcpt.code, m->last_rcpt.xcode);
		sb_escape(&sb, m->last_rcpt.text, strlen(m->last_rcpt.text), sizeof(m->last_rcpt.text));
		sb_putc(&sb, '"');
	}
	if (c->snap->cfg.log_format == LOG_FORMAT_JSON)
		log_summary_json(c, event, sb.s + ck0, ck1 - ck0);
	else
		plog(PLOG_INFO, m->qid, "%s", sb.s);
	if (c->summary_copy != NULL)
		sb_append(c->summary_copy, sb.s, sb.len);
	sb_free(&sb);
	metrics_message(m->dir == DIR_OUTBOUND, (int)v->action, v->check, v->code);
}

void
pl_queue_id(struct conn *c, const char *qid)
{
	if (qid != NULL && *qid != '\0' && c->msg.qid[0] == '\0')
		set_qid(&c->msg, qid);
}

void
pl_eom(struct conn *c, const char *qid, struct edits *e, struct verdict *out)
{
	struct msg *m = &c->msg;
	const struct check *ck;

	pl_queue_id(c, qid);
	FOR_EACH_CHECK(ck) {
		struct verdict v;

		if (ck->eom == NULL || EXCUSED(m) || verdict_refuses(&m->verdict))
			continue;
		verdict_clear(&v);
		ck->eom(c, m, MS(m), e, &v);
		apply_mode(m, &v);
		verdict_merge(&m->verdict, &v);
	}
	if (m->verdict.action == ACT_QUARANTINE) {
		e->quarantine = true;
		strlcpy_ok(e->reason, m->verdict.text[0] ? m->verdict.text : "postern", sizeof(e->reason));
	}
	*out = m->verdict;
	log_summary(c, "eom");
	msg_reset(m);
}

void
pl_abort(struct conn *c)
{
	struct msg *m = &c->msg;

	if (m->active && !m->logged) {
		if (m->verdict.action == ACT_ACCEPT && m->nrcpt == 0 && m->nrcpt_refused > 0)
			m->verdict = m->last_rcpt;
		log_summary(c, "abort");
	}
	msg_reset(m);
}

void
pl_close(struct conn *c)
{
	pl_abort(c);
}

void
pl_note_failure(struct conn *c, const char *why)
{
	struct msg *m = &c->msg;

	check_verdict(&m->verdict, "internal", NULL, ACT_TEMPFAIL, 451, "4.3.0", "%s", why);
}
