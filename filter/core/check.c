/*
 * check.c - the check table's plumbing (state slots, policy blocks) and
 * shared helpers for checks: verdict construction, the strictest action
 * over the governing policies, and the header edit list handed to the MTA
 * at end of message.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "postern/check.h"
#include "postern/log.h"

void
edits_init(struct edits *e)
{
	memset(e, 0, sizeof(*e));
}

void
edits_free(struct edits *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].name);
		free(e->v[i].value);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static struct hdr_edit *
edits_add(struct edits *e)
{
	e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
	memset(&e->v[e->n], 0, sizeof(e->v[e->n]));
	return &e->v[e->n++];
}

void
edits_insert(struct edits *e, unsigned index, const char *name, const char *value)
{
	struct hdr_edit *h = edits_add(e);

	h->op = EDIT_INSERT;
	h->index = index;
	h->name = xstrdup(name);
	h->value = xstrdup(value);
}

void
edits_delete(struct edits *e, const char *name, unsigned occurrence)
{
	struct hdr_edit *h = edits_add(e);

	h->op = EDIT_DELETE;
	h->index = occurrence;
	h->name = xstrdup(name);
}

void
edits_change(struct edits *e, const char *name, unsigned occurrence, const char *value)
{
	struct hdr_edit *h = edits_add(e);

	h->op = EDIT_CHANGE;
	h->index = occurrence;
	h->name = xstrdup(name);
	h->value = xstrdup(value);
}

void
check_verdict(struct verdict *v, const char *check, const struct policy *p,
    enum action action, unsigned code, const char *xcode, const char *fmt, ...)
{
	char x[16];
	strbuf text;
	va_list ap;

	sb_init(&text);
	va_start(ap, fmt);
	sb_vprintf(&text, fmt, ap);
	va_end(ap);
	if (p != NULL && p->reply_url != NULL && p->reply_url[0] != '\0')
		sb_printf(&text, " - see %s", p->reply_url);
	if (action == ACT_TEMPFAIL) {
		strlcpy_ok(x, xcode, sizeof(x));
		x[0] = '4';
		verdict_set(v, check, action, 451, x, text.s);
	} else if (action == ACT_REJECT) {
		verdict_set(v, check, action, code, xcode, text.s);
	} else {
		verdict_set(v, check, action, 0, NULL, text.s);
	}
	sb_free(&text);
}

size_t
check_slot(const struct check *ck)
{
	for (size_t i = 0; i < check_count; i++)
		if (check_table[i] == ck)
			return i;
	die("check %s is not in the check table", ck->name);
}

void *
check_msg_state(const struct msg *m, const struct check *ck)
{
	return m->state[check_slot(ck)];
}

void *
check_conn_state(const struct conn *c, const struct check *ck)
{
	return c->state[check_slot(ck)];
}

void *
check_snap_state(const struct snapshot *s, const struct check *ck)
{
	return s != NULL ? s->state[check_slot(ck)] : NULL;
}

const void *
check_policy(const struct policy *p, const struct check *ck)
{
	return policy_block(p, check_slot(ck));
}

enum action
check_strictest(const struct msg *m, const struct check *ck,
    enum action (*f)(const void *pol, int arg), int arg, const struct policy **who)
{
	enum action best = ACT_ACCEPT;

	*who = m->npol ? m->pol[0] : NULL;
	for (size_t i = 0; i < m->npol; i++) {
		enum action a = f(check_policy(m->pol[i], ck), arg);
		if (a > best) {
			best = a;
			*who = m->pol[i];
		}
	}
	return best;
}
