/*
 * check_size.c - message size and header limits.
 *
 * MAIL FROM: a declared SIZE= over the limit that certainly applies (the
 * sender policy's for outbound mail, the loosest policy's for inbound mail
 * since no recipient is known yet) -> 552 5.3.4.  RCPT: SIZE= over this
 * recipient's policy refuses the recipient.  Headers and body: bytes are
 * counted as they stream; crossing the strictest governing limit refuses
 * the message from the body callback, without waiting for end of message.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "postern/check_size.h"

#define NAME "size"

/* Parse "SIZE=digits" (case-insensitive); false if absent or malformed. */
static bool
declared_size(const char *const *args, unsigned long long *out)
{
	for (; args != NULL && *args != NULL; args++) {
		const char *a = *args;

		if (strncasecmp(a, "SIZE=", 5) != 0)
			continue;
		a += 5;
		if (*a == '\0' || strspn(a, "0123456789") != strlen(a) || strlen(a) > 18)
			return false;
		*out = 0;
		for (; *a; a++)
			*out = *out * 10 + (unsigned long long)(*a - '0');
		return true;
	}
	return false;
}

/* The governing policy with the strictest limit (the first if none has
 * one); NULL before any policy governs (inbound MAIL FROM). */
static const struct policy *
limit_policy(const struct msg *m)
{
	const struct policy *best;

	if (m->npol == 0)
		return NULL;
	best = m->pol[0];
	for (size_t i = 1; i < m->npol; i++) {
		unsigned long long l = m->pol[i]->max_message_size;
		if (l != 0 && (best->max_message_size == 0 || l < best->max_message_size))
			best = m->pol[i];
	}
	return best;
}

unsigned long long
check_size_limit(const struct conn *c, const struct msg *m)
{
	const struct policy *p = limit_policy(m);

	return p != NULL ? p->max_message_size : policy_set_loosest_size(c->snap->policies);
}

/* The policy a refusal names: the strictest governing one, else default. */
static const struct policy *
refusing_policy(const struct conn *c, const struct msg *m)
{
	const struct policy *p = limit_policy(m);

	return p != NULL ? p : policy_default(c->snap->policies);
}

const struct size_facts *
check_size_facts(const struct msg *m)
{
	return check_msg_state(m, &check_size);
}

static void
oversize(struct verdict *v, const struct policy *p, unsigned long long limit,
    const char *what)
{
	check_verdict(v, NAME, p, p->oversize_action, 552, "5.3.4",
	    "%s exceeds the size limit of %llu bytes", what, limit);
}

static void
size_envfrom(struct conn *c, struct msg *m, void *ms, const char *const *args, struct verdict *v)
{
	struct size_facts *s = ms;
	unsigned long long sz, limit;

	if (!declared_size(args, &sz))
		return;
	s->declared = sz;
	limit = check_size_limit(c, m);
	if (limit != 0 && sz > limit)
		oversize(v, refusing_policy(c, m), limit, "declared message size");
}

static void
size_envrcpt(struct conn *c, struct msg *m, void *ms, const struct policy *p, struct verdict *v)
{
	const struct size_facts *s = ms;

	(void)c;
	(void)m;
	if (p->max_message_size != 0 && s->declared > p->max_message_size)
		oversize(v, p, p->max_message_size, "declared message size");
}

static void
account(struct conn *c, struct msg *m, struct size_facts *s, unsigned long long n,
    struct verdict *v)
{
	unsigned long long limit = check_size_limit(c, m);

	s->size += n;
	if (limit != 0 && s->size > limit)
		oversize(v, refusing_policy(c, m), limit, "message");
}

static void
size_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	const struct config *cfg = &c->snap->cfg;
	struct size_facts *s = ms;
	unsigned long long n = strlen(name) + 2 + strlen(value) + 2;

	s->hdr_count++;
	s->hdr_bytes += n;
	if (s->hdr_count > cfg->max_header_count) {
		check_verdict(v, NAME, refusing_policy(c, m), ACT_REJECT, 552, "5.3.4",
		    "too many header fields (limit %llu)", cfg->max_header_count);
		return;
	}
	if (s->hdr_bytes > cfg->max_header_bytes) {
		check_verdict(v, NAME, refusing_policy(c, m), ACT_REJECT, 552, "5.3.4",
		    "header block exceeds %llu bytes", cfg->max_header_bytes);
		return;
	}
	account(c, m, s, n, v);
}

static void
size_eoh(struct conn *c, struct msg *m, void *ms, struct verdict *v)
{
	account(c, m, ms, 2, v);  /* the empty line */
}

static void
size_body(struct conn *c, struct msg *m, void *ms, const unsigned char *buf, size_t len,
    struct verdict *v)
{
	(void)buf;
	account(c, m, ms, len, v);
}

static void
size_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct size_facts *s = ms;

	(void)c;
	(void)m;
	sb_printf(out, " size=%llu", s->size);
	if (s->declared)
		sb_printf(out, " declared_size=%llu", s->declared);
}

const struct check check_size = {
	.name = NAME,
	.msg_size = sizeof(struct size_facts),
	.envfrom = size_envfrom,
	.envrcpt = size_envrcpt,
	.header = size_header,
	.eoh = size_eoh,
	.body = size_body,
	.summary = size_summary,
};
