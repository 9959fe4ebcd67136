/*
 * check_authres.c - check "authres": notes incoming fields that claim to
 * be postern's own for removal (A-R with our authserv-id, RFC 8601
 * section 5; inbound also Received-SPF naming our receiver and every
 * X-Postern-* field), and adds
 * our own A-R field to inbound mail with the clauses other checks gave
 * authres_add() ("none" when there are none).  Runs last at end of
 * message (filter/checks/table.c).
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/authres.h"
#include "postern/check_authres.h"
#include "postern/metrics.h"

#define NAME "authres"
#define AR_FIELD "Authentication-Results"
#define SPF_FIELD "Received-SPF"
#define OUR_PREFIX "X-Postern-"

struct ar_policy {
	bool add;                    /* add_authentication_results */
};

static const struct ct_key ar_keys[] = {
	{ "add_authentication_results", CT_BOOL, offsetof(struct ar_policy, add), "true", 0, 0, NULL,
	  "add an Authentication-Results header to inbound mail" },
};

/* One header name's occurrences so far (1-based, as the MTA counts them). */
struct ar_name {
	char *name;
	unsigned seen;
};

/* A field to remove at end of message: name and occurrence index. */
struct ar_del {
	size_t name;                 /* index into names[] */
	unsigned index;
};

struct ar_msg {
	struct ar_name *names;       /* A-R, Received-SPF, X-Postern-* seen */
	size_t nnames;
	struct ar_del *del;          /* fields claiming to be ours, in arrival order */
	size_t ndel;
	unsigned nforged_ar, nforged_spf, nforged_ours;
	strbuf results;              /* resinfo clauses added by checks */
};

static void
ar_reset(void *ms)
{
	struct ar_msg *s = ms;

	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i].name);
	free(s->names);
	free(s->del);
	sb_free(&s->results);
}

void
authres_add(struct msg *m, const char *clause)
{
	struct ar_msg *s = check_msg_state(m, &check_authres);

	if (s->results.len > 0)
		sb_putc(&s->results, ';');
	sb_puts(&s->results, "\n\t");
	sb_puts(&s->results, clause);
	metrics_auth_result(clause);
}

size_t
authres_forged(const struct msg *m)
{
	const struct ar_msg *s = check_msg_state(m, &check_authres);

	return s->nforged_ar;
}

/* Count this occurrence of name; returns its slot. */
static size_t
count_name(struct ar_msg *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nnames; i++)
		if (strcasecmp(s->names[i].name, name) == 0)
			break;
	if (i == s->nnames) {
		s->names = xrealloc(s->names, (s->nnames + 1) * sizeof(*s->names));
		s->names[i].name = xstrdup(name);
		s->names[i].seen = 0;
		s->nnames++;
	}
	s->names[i].seen++;
	return i;
}

static void
note_delete(struct ar_msg *s, size_t slot)
{
	s->del = xrealloc(s->del, (s->ndel + 1) * sizeof(*s->del));
	s->del[s->ndel].name = slot;
	s->del[s->ndel].index = s->names[slot].seen;
	s->ndel++;
}

/*
 * Fields that claim to be postern's own: an A-R with our authserv-id (in
 * either direction, RFC 8601 5); inbound, a Received-SPF naming our
 * receiver (or none) and any X-Postern-* field (issue 9: what a reader
 * takes for our verdict is ours alone to write).
 */
static void
ar_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct ar_msg *s = ms;
	const char *ours = c->snap->cfg.authserv_id;
	bool inbound = m->dir == DIR_INBOUND;
	size_t slot;

	(void)v;
	if (strcasecmp(name, AR_FIELD) == 0) {
		slot = count_name(s, name);
		if (authres_claims(value, strlen(value), ours)) {
			note_delete(s, slot);
			s->nforged_ar++;
		}
	} else if (strcasecmp(name, SPF_FIELD) == 0) {
		slot = count_name(s, name);
		if (inbound && received_spf_claims(value, strlen(value), ours)) {
			note_delete(s, slot);
			s->nforged_spf++;
		}
	} else if (strncasecmp(name, OUR_PREFIX, sizeof(OUR_PREFIX) - 1) == 0) {
		slot = count_name(s, name);
		if (inbound) {
			note_delete(s, slot);
			s->nforged_ours++;
		}
	}
}

static bool
wants_authres(const struct msg *m)
{
	for (size_t i = 0; i < m->npol; i++) {
		const struct ar_policy *p = check_policy(m->pol[i], &check_authres);
		if (p->add)
			return true;
	}
	return false;
}

static void
ar_eom(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v)
{
	const struct ar_msg *s = ms;
	strbuf val;

	(void)v;
	/* highest index first, so earlier deletions do not renumber later
	 * ones; the MTA gets every deletion before any insertion (milter.c) */
	for (size_t i = s->ndel; i > 0; i--)
		edits_delete(e, s->names[s->del[i - 1].name].name, s->del[i - 1].index);
	if (m->dir != DIR_INBOUND || !wants_authres(m))
		return;
	sb_init(&val);
	sb_printf(&val, "%s;", c->snap->cfg.authserv_id);
	if (s->results.len == 0)
		sb_puts(&val, " none");
	else
		sb_append(&val, s->results.s, s->results.len);
	edits_insert(e, 0, AR_FIELD, val.s);
	sb_free(&val);
}

static void
ar_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct ar_msg *s = ms;

	(void)c;
	(void)m;
	if (s->nforged_ar)
		sb_printf(out, " forged_authres=%u", s->nforged_ar);
	if (s->nforged_spf)
		sb_printf(out, " forged_received_spf=%u", s->nforged_spf);
	if (s->nforged_ours)
		sb_printf(out, " forged_x_postern=%u", s->nforged_ours);
}

const struct check check_authres = {
	.name = NAME,
	.policy_keys = ar_keys,
	.npolicy_keys = NELEM(ar_keys),
	.policy_size = sizeof(struct ar_policy),
	.msg_size = sizeof(struct ar_msg),
	.msg_reset = ar_reset,
	.header = ar_header,
	.eom = ar_eom,
	.summary = ar_summary,
};
