/*
 * authres.c - the Authentication-Results check: notes incoming A-R fields
 * that claim our authserv-id (forgeries, RFC 8601 section 5) for removal,
 * and adds our own A-R field to inbound mail with the results other checks
 * collected in msg->ar_results ("none" when there are none).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/authres.h"
#include "postern/check.h"
#include "postern/util.h"

#define NAME "authres"
#define AR_FIELD "Authentication-Results"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 tspecials plus CTLs and space end a token. */
static bool
is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

enum ar_status
authres_parse_id(const char *buf, size_t len, const char **id, size_t *idlen)
{
	size_t i = 0;

	for (;;) {
		while (i < len && is_wsp(buf[i]))
			i++;
		if (i < len && buf[i] == '(') {
			int depth = 0;
			for (; i < len; i++) {
				if (buf[i] == '\\') {
					i++;
					continue;
				}
				if (buf[i] == '(')
					depth++;
				else if (buf[i] == ')' && --depth == 0)
					break;
			}
			if (i >= len)
				return AR_BAD_COMMENT;
			i++;
			continue;
		}
		break;
	}
	if (i >= len)
		return AR_EMPTY;
	if (buf[i] == '"') {
		size_t start = ++i;
		for (; i < len && buf[i] != '"'; i++) {
			if (buf[i] == '\\')
				i++;
		}
		if (i >= len)
			return AR_BAD_QUOTE;
		*id = buf + start;
		*idlen = i - start;
		return *idlen ? AR_OK : AR_EMPTY;
	}
	size_t start = i;
	/* '.', '-' and '_' are fine; '@' and '/' are not tspecials in a
	 * domain-ish authserv-id written by real MTAs, accept them too. */
	while (i < len && (is_token_char((unsigned char)buf[i]) || buf[i] == '@' || buf[i] == '/'))
		i++;
	if (i == start)
		return AR_BAD_CHAR;
	*id = buf + start;
	*idlen = i - start;
	return AR_OK;
}

int
authres_claims(const char *buf, size_t len, const char *ours)
{
	const char *id;
	size_t idlen;

	if (authres_parse_id(buf, len, &id, &idlen) != AR_OK)
		return 0;
	return mem_caseeq(id, idlen, ours);
}

void
authres_add(struct msg *m, const char *clause)
{
	if (m->ar_results.len > 0)
		sb_putc(&m->ar_results, ';');
	sb_puts(&m->ar_results, "\n\t");
	sb_puts(&m->ar_results, clause);
}

static void
ar_header(struct conn *c, struct msg *m, const char *name, const char *value,
    struct verdict *v)
{
	(void)v;
	if (strcasecmp(name, AR_FIELD) != 0)
		return;
	m->ar_seen++;
	if (authres_claims(value, strlen(value), c->snap->cfg.authserv_id)) {
		m->ar_forged = xrealloc(m->ar_forged, (m->nforged + 1) * sizeof(*m->ar_forged));
		m->ar_forged[m->nforged++] = m->ar_seen;
	}
}

static bool
wants_authres(const struct msg *m)
{
	for (size_t i = 0; i < m->npol; i++)
		if (m->pol[i]->add_authres)
			return true;
	return false;
}

static void
ar_eom(struct conn *c, struct msg *m, struct edits *e, struct verdict *v)
{
	strbuf val;

	(void)v;
	/* highest index first, so earlier deletions do not renumber later ones */
	for (size_t i = m->nforged; i > 0; i--)
		edits_delete(e, AR_FIELD, m->ar_forged[i - 1]);
	if (m->dir != DIR_INBOUND || !wants_authres(m))
		return;
	sb_init(&val);
	sb_printf(&val, "%s;", c->snap->cfg.authserv_id);
	if (m->ar_results.len == 0)
		sb_puts(&val, " none");
	else
		sb_append(&val, m->ar_results.s, m->ar_results.len);
	edits_insert(e, 0, AR_FIELD, val.s);
	sb_free(&val);
}

static void
ar_summary(const struct conn *c, const struct msg *m, strbuf *out)
{
	(void)c;
	if (m->nforged)
		sb_printf(out, " forged_authres=%zu", m->nforged);
}

const struct check check_authres = {
	.name = NAME,
	.header = ar_header,
	.eom = ar_eom,
	.summary = ar_summary,
};
