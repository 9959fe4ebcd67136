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

#include "postern/check.h"

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

static const struct policy *
limit_policy(const struct conn *c, const struct msg *m)
{
	if (m->npol > 0) {
		const struct policy *best = m->pol[0];
		for (size_t i = 1; i < m->npol; i++) {
			unsigned long long l = m->pol[i]->max_message_size;
			if (l != 0 && (best->max_message_size == 0 || l < best->max_message_size))
				best = m->pol[i];
		}
		return best;
	}
	return policy_default(c->snap->policies);
}

static void
oversize(struct verdict *v, const struct policy *p, unsigned long long limit,
    const char *what)
{
	check_verdict(v, NAME, p, p->oversize_action, 552, "5.3.4",
	    "%s exceeds the size limit of %llu bytes", what, limit);
}

static void
size_envfrom(struct conn *c, struct msg *m, const char *const *args, struct verdict *v)
{
	unsigned long long sz;

	if (!declared_size(args, &sz))
		return;
	m->declared_size = sz;
	if (m->size_limit != 0 && sz > m->size_limit)
		oversize(v, limit_policy(c, m), m->size_limit, "declared message size");
}

static void
size_envrcpt(struct conn *c, struct msg *m, const struct policy *p, struct verdict *v)
{
	(void)c;
	if (p->max_message_size != 0 && m->declared_size > p->max_message_size)
		oversize(v, p, p->max_message_size, "declared message size");
}

static void
account(struct conn *c, struct msg *m, unsigned long long n, struct verdict *v)
{
	m->size += n;
	if (m->size_limit != 0 && m->size > m->size_limit)
		oversize(v, limit_policy(c, m), m->size_limit, "message");
}

static void
size_header(struct conn *c, struct msg *m, const char *name, const char *value,
    struct verdict *v)
{
	const struct config *cfg = &c->snap->cfg;
	unsigned long long n = strlen(name) + 2 + strlen(value) + 2;

	m->hdr_count++;
	m->hdr_bytes += n;
	if (m->hdr_count > cfg->max_header_count) {
		check_verdict(v, NAME, limit_policy(c, m), ACT_REJECT, 552, "5.3.4",
		    "too many header fields (limit %llu)", cfg->max_header_count);
		return;
	}
	if (m->hdr_bytes > cfg->max_header_bytes) {
		check_verdict(v, NAME, limit_policy(c, m), ACT_REJECT, 552, "5.3.4",
		    "header block exceeds %llu bytes", cfg->max_header_bytes);
		return;
	}
	account(c, m, n, v);
}

static void
size_eoh(struct conn *c, struct msg *m, struct verdict *v)
{
	account(c, m, 2, v);  /* the empty line */
}

static void
size_body(struct conn *c, struct msg *m, const unsigned char *buf, size_t len,
    struct verdict *v)
{
	(void)buf;
	account(c, m, len, v);
}

static void
size_summary(const struct conn *c, const struct msg *m, strbuf *out)
{
	(void)c;
	sb_printf(out, " size=%llu", m->size);
	if (m->declared_size)
		sb_printf(out, " declared_size=%llu", m->declared_size);
}

const struct check check_size = {
	.name = NAME,
	.envfrom = size_envfrom,
	.envrcpt = size_envrcpt,
	.header = size_header,
	.eoh = size_eoh,
	.body = size_body,
	.summary = size_summary,
};
