/*
 * check_arc.c - ARC (RFC 8617) verification of inbound mail.
 *
 * Inbound mail from clients not in trusted_hosts: every header field,
 * end of headers and every body chunk go to the engine (filter/arc/), which
 * keeps the headers (bounded) and hashes the body as it streams; at end of
 * message the chain is validated and Authentication-Results gets
 * "arc=pass|fail|none" with smtp.remote-ip and, for a pass,
 * header.oldest-pass (RFC 8617 7.2).  ARC alone never refuses mail: the
 * result is a fact that check_dmarc uses (a trusted sealer, the d= of the
 * newest ARC-Seal of a passing chain, accepts a DMARC failure).  Runs
 * before check_dmarc in the table.  No policy keys.
 */
#include "config.h"

#include <string.h>

#include "postern/check_arc.h"
#include "postern/check_authres.h"
#include "postern/cidr.h"
#include "postern/snapshot.h"

#define NAME "arc"

struct arc_check_msg {
	struct arc_msg *job;
	struct arc_result r;
	bool done;
};

static void
ar_reset(void *ms)
{
	struct arc_check_msg *a = ms;

	arc_msg_free(a->job);
}

static bool
wanted(const struct conn *c, const struct msg *m)
{
	return m->dir == DIR_INBOUND && !(c->family != 0 &&
	    cidr_list_match(&c->snap->cfg.trusted_hosts, c->family, c->ip));
}

static void
ar_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct arc_check_msg *a = ms;

	(void)v;
	if (a->job == NULL) {
		if (!wanted(c, m))
			return;
		a->job = arc_msg_new();
	}
	(void)value;
	arc_msg_header(a->job, name, m->field_raw);
}

static void
ar_eoh(struct conn *c, struct msg *m, void *ms, struct verdict *v)
{
	struct arc_check_msg *a = ms;

	(void)v;
	if (a->job == NULL && wanted(c, m))
		a->job = arc_msg_new(); /* a message without header fields */
	if (a->job != NULL)
		arc_msg_eoh(a->job);
}

static void
ar_body(struct conn *c, struct msg *m, void *ms, const unsigned char *buf, size_t len,
    struct verdict *v)
{
	struct arc_check_msg *a = ms;

	(void)c;
	(void)m;
	(void)v;
	if (a->job != NULL)
		arc_msg_body(a->job, buf, len);
}

static void
ar_eom(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v)
{
	struct arc_check_msg *a = ms;
	strbuf sb;

	(void)e;
	(void)v;
	if (a->job == NULL)
		return;
	arc_msg_eom(a->job, &a->r);
	a->done = true;
	/* free what the engine holds now: the headers are not needed again */
	arc_msg_free(a->job);
	a->job = NULL;
	sb_init(&sb);
	sb_printf(&sb, "arc=%s", arc_cv_name(a->r.cv));
	/* the reason and the sealer are the engine's own text: fixed words,
	 * numbers and a d= of letters, digits, '-', '_' and '.' */
	if (a->r.cv == ARC_CV_PASS)
		sb_printf(&sb, " (i=%u sealer %s)", a->r.instances, a->r.sealer);
	else if (a->r.cv == ARC_CV_FAIL)
		sb_printf(&sb, " (%s)", a->r.reason);
	/* an IPv6 address holds ':', a tspecial: quoted (RFC 8601 2.2) */
	if (a->r.cv != ARC_CV_NONE && c->addr[0] != '\0')
		sb_printf(&sb, strchr(c->addr, ':') != NULL ? " smtp.remote-ip=\"%s\"" :
		    " smtp.remote-ip=%s", c->addr);
	if (a->r.cv == ARC_CV_PASS)
		sb_printf(&sb, " header.oldest-pass=%u", a->r.oldest_pass);
	authres_add(m, sb.s);
	sb_free(&sb);
}

static void
ar_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct arc_check_msg *a = ms;

	(void)c;
	(void)m;
	if (!a->done)
		return;
	sb_printf(out, " arc=%s", arc_cv_name(a->r.cv));
	if (a->r.cv == ARC_CV_PASS)
		sb_printf(out, "(i=%u,sealer=%s)", a->r.instances, a->r.sealer);
	else if (a->r.cv == ARC_CV_FAIL) {
		sb_puts(out, "(");
		sb_escape(out, a->r.reason, strlen(a->r.reason), 100);
		sb_puts(out, ")");
	}
}

const struct arc_result *
check_arc_result(const struct msg *m)
{
	const struct arc_check_msg *a = check_msg_state(m, &check_arc);

	return a->done ? &a->r : NULL;
}

const char *
check_arc_sealer(const struct msg *m)
{
	const struct arc_result *r = check_arc_result(m);

	return r != NULL && r->cv == ARC_CV_PASS && r->sealer[0] != '\0' ? r->sealer : NULL;
}

const struct check check_arc = {
	.name = NAME,
	.msg_size = sizeof(struct arc_check_msg),
	.msg_reset = ar_reset,
	.header = ar_header,
	.eoh = ar_eoh,
	.body = ar_body,
	.eom = ar_eom,
	.summary = ar_summary,
};
