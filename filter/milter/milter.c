/*
 * milter.c - the xxfi_* callbacks: dispatch only.
 *
 * Each callback fetches the connection, calls one pipeline function, and
 * maps the verdict to an sfsistat (+ smfi_setreply) in reply().  Option
 * negotiation asks for no-reply on every step where postern never refuses
 * and for only the macros it uses.  Called by libmilter's threads.
 */
#include "config.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "postern/log.h"
#include "postern/memory.h"
#include "postern/milter.h"
#include "postern/pipeline.h"

/* Steps where postern never replies; asked for when the MTA offers them. */
/*
 * End of headers needs no reply of its own either: a header-phase verdict
 * stays in the message and is the reply to the first body chunk (or to end
 * of message when there is no body), one round trip less per message.
 */
#define WANT_STEPS (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | SMFIP_NR_EOH | \
	SMFIP_NR_UNKN | SMFIP_NR_DATA | SMFIP_NOUNKNOWN | SMFIP_NODATA)
#define WANT_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST)

struct mctx {
	struct conn *conn;
	unsigned long steps;   /* negotiated protocol flags */
	bool over_limit;       /* opened beyond limits.connections */
};

/* Milter connections open now (limits.connections), and when the limit
 * was last logged (once a second at most). */
static unsigned long open_conns;
static time_t limit_logged;

static struct mctx *
get(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);
	unsigned long n = 0;

	if (m == NULL) {
		m = xcalloc(1, sizeof(*m));
		if (smfi_setpriv(ctx, m) != MI_SUCCESS) {
			free(m);
			return NULL;
		}
		mem_conn_begin();
		n = __atomic_add_fetch(&open_conns, 1, __ATOMIC_RELAXED);
	}
	if (m->conn == NULL)
		m->conn = conn_new();
	if (m->conn->snap == NULL)   /* no configuration installed: a bug */
		return NULL;
	if (n > 0)
		m->over_limit = n > m->conn->snap->cfg.max_connections;
	return m;
}

/* The reply for a step the MTA was told we do not answer. */
static sfsistat
noreply(const struct mctx *m, unsigned long flag)
{
	return (m->steps & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
reply(SMFICTX *ctx, const struct verdict *v)
{
	char code[8];

	switch (v->action) {
	case ACT_REJECT:
	case ACT_TEMPFAIL:
		snprintf(code, sizeof(code), "%u", v->code);
		if (smfi_setreply(ctx, code, (char *)v->xcode, (char *)v->text) != MI_SUCCESS)
			plog(PLOG_WARNING, NULL, "smfi_setreply %s %s failed", code, v->xcode);
		return v->action == ACT_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	case ACT_DISCARD:
		return SMFIS_DISCARD;
	default:
		return SMFIS_CONTINUE;
	}
}

static const char *
macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static sfsistat
xx_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct mctx *m = get(ctx);

	(void)f2;
	(void)f3;
	if (m == NULL)
		return SMFIS_TEMPFAIL;
	*pf0 = f0 & WANT_ACTIONS;
	*pf1 = f1 & WANT_STEPS;
	*pf2 = 0;
	*pf3 = 0;
	m->steps = *pf1;
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name} {client_addr} j");
		smfi_setsymlist(ctx, SMFIM_HELO, "{tls_version}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} {auth_type}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
		smfi_setsymlist(ctx, SMFIM_EOH, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
xx_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct mctx *m = get(ctx);
	char addr[INET6_ADDRSTRLEN] = "";
	const char *a = NULL;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	if (sa != NULL && sa->sa_family == AF_INET)
		a = inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, addr, sizeof(addr));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		a = inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, addr, sizeof(addr));
	if (a == NULL)
		a = macro(ctx, "{client_addr}");
	pl_connect(m->conn, hostname, a, macro(ctx, "{daemon_name}"));
	return noreply(m, SMFIP_NR_CONN);
}

static sfsistat
xx_helo(SMFICTX *ctx, char *helo)
{
	struct mctx *m = get(ctx);

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	pl_helo(m->conn, helo);
	return noreply(m, SMFIP_NR_HELO);
}

static sfsistat
xx_envfrom(SMFICTX *ctx, char **argv)
{
	struct mctx *m = get(ctx);
	struct verdict v;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	if (m->over_limit) {
		time_t now = time(NULL);

		if (__atomic_exchange_n(&limit_logged, now, __ATOMIC_RELAXED) != now)
			plog(PLOG_WARNING, macro(ctx, "i"), "more than %llu milter connections "
			    "(limits.connections): mail on the extra ones gets 451 4.3.2",
			    m->conn->snap->cfg.max_connections);
		verdict_set(&v, "connections", ACT_TEMPFAIL, 451, "4.3.2",
		    "too many connections to the mail filter, try again later");
		return reply(ctx, &v);
	}
	pl_envfrom(m->conn, argv[0], (const char *const *)argv + 1,
	    macro(ctx, "i"), macro(ctx, "{auth_authen}"), &v);
	return reply(ctx, &v);
}

static sfsistat
xx_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mctx *m = get(ctx);
	struct verdict v;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	pl_queue_id(m->conn, macro(ctx, "i"));
	pl_envrcpt(m->conn, argv[0], &v);
	return reply(ctx, &v);
}

static sfsistat
xx_header(SMFICTX *ctx, char *name, char *value)
{
	struct mctx *m = get(ctx);

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	pl_header(m->conn, name, value);
	return noreply(m, SMFIP_NR_HDR);
}

static sfsistat
xx_eoh(SMFICTX *ctx)
{
	struct mctx *m = get(ctx);
	struct verdict v;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	pl_queue_id(m->conn, macro(ctx, "i"));
	pl_eoh(m->conn, &v);
	if (m->steps & SMFIP_NR_EOH)
		return SMFIS_NOREPLY;   /* v is kept in the message: see WANT_STEPS */
	return reply(ctx, &v);
}

static sfsistat
xx_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct mctx *m = get(ctx);
	struct verdict v;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	pl_body(m->conn, buf, len, &v);
	return reply(ctx, &v);
}

/* Apply header edits; false if the MTA refused one. */
static bool
apply_edits(SMFICTX *ctx, const struct edits *e)
{
	bool ok = true;

	for (size_t i = 0; i < e->n; i++) {
		const struct hdr_edit *h = &e->v[i];
		int r;

		if (h->op == EDIT_DELETE)
			r = smfi_chgheader(ctx, h->name, (int)h->index, NULL);
		else
			r = smfi_insheader(ctx, (int)h->index, h->name, h->value);
		if (r != MI_SUCCESS) {
			plog(PLOG_ERR, NULL, "the MTA refused to %s header %s",
			    h->op == EDIT_DELETE ? "delete" : "insert", h->name);
			ok = false;
		}
	}
	if (e->quarantine && smfi_quarantine(ctx, (char *)e->reason) != MI_SUCCESS) {
		plog(PLOG_ERR, NULL, "the MTA refused to quarantine");
		ok = false;
	}
	return ok;
}

static sfsistat
xx_eom(SMFICTX *ctx)
{
	struct mctx *m = get(ctx);
	struct edits e;
	struct verdict v;
	sfsistat r;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	edits_init(&e);
	pl_eom(m->conn, macro(ctx, "i"), &e, &v);
	if (!verdict_refuses(&v) && v.action != ACT_DISCARD && !apply_edits(ctx, &e))
		verdict_set(&v, "internal", ACT_TEMPFAIL, 451, "4.3.0",
		    "temporary failure while changing the message, try again later");
	r = reply(ctx, &v);
	edits_free(&e);
	return r;
}

static sfsistat
xx_abort(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);

	if (m != NULL && m->conn != NULL)
		pl_abort(m->conn);
	return SMFIS_CONTINUE;
}

static sfsistat
xx_close(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);

	if (m != NULL) {
		if (m->conn != NULL)
			pl_close(m->conn);
		conn_free(m->conn);
		free(m);
		smfi_setpriv(ctx, NULL);
		__atomic_sub_fetch(&open_conns, 1, __ATOMIC_RELAXED);
		mem_conn_end();
	}
	return SMFIS_CONTINUE;
}

static sfsistat
xx_unknown(SMFICTX *ctx, const char *cmd)
{
	struct mctx *m = smfi_getpriv(ctx);

	(void)cmd;
	return m != NULL ? noreply(m, SMFIP_NR_UNKN) : SMFIS_CONTINUE;
}

static sfsistat
xx_data(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);

	return m != NULL ? noreply(m, SMFIP_NR_DATA) : SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = (char *)"postern",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = WANT_ACTIONS,
	.xxfi_connect = xx_connect,
	.xxfi_helo = xx_helo,
	.xxfi_envfrom = xx_envfrom,
	.xxfi_envrcpt = xx_envrcpt,
	.xxfi_header = xx_header,
	.xxfi_eoh = xx_eoh,
	.xxfi_body = xx_body,
	.xxfi_eom = xx_eom,
	.xxfi_abort = xx_abort,
	.xxfi_close = xx_close,
	.xxfi_unknown = xx_unknown,
	.xxfi_data = xx_data,
	.xxfi_negotiate = xx_negotiate,
};

struct smfiDesc *
milter_desc(void)
{
	return &desc;
}
