/*
 * check_authres.c - check "authres": notes incoming A-R fields that claim
 * our authserv-id (forgeries, RFC 8601 section 5) for removal, and adds
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

#define NAME "authres"
#define AR_FIELD "Authentication-Results"

struct ar_policy {
	bool add;                    /* add_authentication_results */
};

static const struct ct_key ar_keys[] = {
	{ "add_authentication_results", CT_BOOL, offsetof(struct ar_policy, add), "true", 0, 0, NULL,
	  "add an Authentication-Results header to inbound mail" },
};

struct ar_msg {
	unsigned seen;               /* A-R fields seen so far (1-based index) */
	unsigned *forged;            /* indices of A-R fields claiming our id */
	size_t nforged;
	strbuf results;              /* resinfo clauses added by checks */
};

static void
ar_reset(void *ms)
{
	struct ar_msg *s = ms;

	free(s->forged);
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
}

size_t
authres_forged(const struct msg *m)
{
	const struct ar_msg *s = check_msg_state(m, &check_authres);

	return s->nforged;
}

static void
ar_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct ar_msg *s = ms;

	(void)m;
	(void)v;
	if (strcasecmp(name, AR_FIELD) != 0)
		return;
	s->seen++;
	if (authres_claims(value, strlen(value), c->snap->cfg.authserv_id)) {
		s->forged = xrealloc(s->forged, (s->nforged + 1) * sizeof(*s->forged));
		s->forged[s->nforged++] = s->seen;
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
	/* highest index first, so earlier deletions do not renumber later ones */
	for (size_t i = s->nforged; i > 0; i--)
		edits_delete(e, AR_FIELD, s->forged[i - 1]);
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
	if (s->nforged)
		sb_printf(out, " forged_authres=%zu", s->nforged);
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
