/*
 * check.c - shared helpers for checks: verdict construction and the
 * header edit list handed to the MTA at end of message.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "postern/check.h"

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
