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
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "postern/check_lists.h"
#include "postern/log.h"
#include "postern/metrics.h"
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

/*
 * Callbacks in flight: smfi_main() returns when libmilter stops listening,
 * while its session threads (Debian's libmilter: a worker pool) may still
 * run callbacks, and sessions it abandons never get their close callback.
 * Every callback runs between cb_enter and cb_leave; main.c's stop calls
 * milter_drain, after which a callback does nothing (tempfail; close frees
 * nothing, the process is exiting), so the engines can then be freed.
 */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_cond = PTHREAD_COND_INITIALIZER;
static unsigned live;
static bool stopping;

static bool
cb_enter(void)
{
	bool okay;

	pthread_mutex_lock(&live_lock);
	okay = !stopping;
	if (okay)
		live++;
	pthread_mutex_unlock(&live_lock);
	return okay;
}

static void
cb_leave(void)
{
	pthread_mutex_lock(&live_lock);
	if (--live == 0 && stopping)
		pthread_cond_broadcast(&live_cond);
	pthread_mutex_unlock(&live_lock);
}

unsigned
milter_drain(unsigned timeout_ms)
{
	struct timespec ts;
	unsigned left;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&live_lock);
	stopping = true;
	while (live > 0 && pthread_cond_timedwait(&live_cond, &live_lock, &ts) == 0)
		;
	left = live;
	pthread_mutex_unlock(&live_lock);
	return left;
}

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
	if (m->conn == NULL) {
		m->conn = conn_new();
		metrics_connection(1);
	}
	if (m->conn->snap == NULL)   /* no configuration installed: a bug */
		return NULL;
	if (n > 0)
		m->over_limit = n > m->conn->snap->cfg.max_connections;
	return m;
}

/* one pipeline call, timed into its phase's histogram */
#define TIMED(phase, call) do { \
	uint64_t t0_ = metrics_now(); \
	call; \
	metrics_phase(phase, metrics_now() - t0_); \
} while (0)

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
do_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
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
	if (check_lists_connect_denies(m->conn->snap))
		*pf1 &= ~(unsigned long)SMFIP_NR_CONN;   /* connect may be refused */
	/* header values with their leading white space, as written: DKIM and
	 * ARC simple canonicalisation need "Name:value" told from "Name: value"
	 * (pipeline.c gives the other checks the old form) */
	if (f1 & SMFIP_HDR_LEADSPC)
		*pf1 |= SMFIP_HDR_LEADSPC;
	m->conn->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	*pf2 = 0;
	*pf3 = 0;
	m->steps = *pf1;
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name} {client_addr} j");
		smfi_setsymlist(ctx, SMFIM_HELO, "{tls_version} {cipher} {cipher_bits}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} {auth_type}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
		smfi_setsymlist(ctx, SMFIM_EOH, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
do_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct mctx *m = get(ctx);
	struct verdict v;
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
	/* Sendmail names a client without a PTR "[addr]" where Postfix says
	 * "unknown": one form in the summary line */
	if (hostname != NULL && hostname[0] == '[')
		hostname = NULL;
	TIMED(MP_CONNECT, pl_connect(m->conn, hostname, a, macro(ctx, "{daemon_name}")));
	pl_server(m->conn, macro(ctx, "j"));
	if (m->steps & SMFIP_NR_CONN)
		return SMFIS_NOREPLY;
	pl_connect_reply(m->conn, &v);
	return reply(ctx, &v);
}

static sfsistat
do_helo(SMFICTX *ctx, char *helo)
{
	struct mctx *m = get(ctx);

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	pl_tls(m->conn, macro(ctx, "{tls_version}"), macro(ctx, "{cipher}"),
	    macro(ctx, "{cipher_bits}"));
	TIMED(MP_HELO, pl_helo(m->conn, helo));
	return noreply(m, SMFIP_NR_HELO);
}

static sfsistat
do_envfrom(SMFICTX *ctx, char **argv)
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
	TIMED(MP_ENVFROM, pl_envfrom(m->conn, argv[0], (const char *const *)argv + 1,
	    macro(ctx, "i"), macro(ctx, "{auth_authen}"), &v));
	return reply(ctx, &v);
}

static sfsistat
do_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mctx *m = get(ctx);
	struct verdict v;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	pl_queue_id(m->conn, macro(ctx, "i"));
	TIMED(MP_ENVRCPT, pl_envrcpt(m->conn, argv[0], &v));
	return reply(ctx, &v);
}

static sfsistat
do_header(SMFICTX *ctx, char *name, char *value)
{
	struct mctx *m = get(ctx);

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	TIMED(MP_HEADER, pl_header(m->conn, name, value));
	return noreply(m, SMFIP_NR_HDR);
}

static sfsistat
do_eoh(SMFICTX *ctx)
{
	struct mctx *m = get(ctx);
	struct verdict v;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	pl_queue_id(m->conn, macro(ctx, "i"));
	TIMED(MP_EOH, pl_eoh(m->conn, &v));
	if (m->steps & SMFIP_NR_EOH)
		return SMFIS_NOREPLY;   /* v is kept in the message: see WANT_STEPS */
	return reply(ctx, &v);
}

static sfsistat
do_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct mctx *m = get(ctx);
	struct verdict v;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	TIMED(MP_BODY, pl_body(m->conn, buf, len, &v));
	return reply(ctx, &v);
}

/* Apply header edits; false if the MTA refused one.  The checks write
 * values without the space after the colon; with SMFIP_HDR_LEADSPC the MTA
 * adds none, so it goes in here. */
static bool
apply_edits(SMFICTX *ctx, const struct edits *e, bool leadspc)
{
	bool ok = true;
	strbuf val;

	/* every deletion first: its index counts the fields as they arrived,
	 * and the MTA counts the fields inserted before it too */
	for (size_t i = 0; i < 2 * e->n; i++) {
		const struct hdr_edit *h = &e->v[i % e->n];
		int r;

		if ((h->op == EDIT_DELETE) != (i < e->n))
			continue;
		sb_init(&val);
		if (h->op != EDIT_DELETE && leadspc) {
			sb_putc(&val, ' ');
			sb_puts(&val, h->value);
		}
		if (h->op == EDIT_DELETE)
			r = smfi_chgheader(ctx, h->name, (int)h->index, NULL);
		else if (h->op == EDIT_CHANGE)
			r = smfi_chgheader(ctx, h->name, (int)h->index, leadspc ? val.s : h->value);
		else
			r = smfi_insheader(ctx, (int)h->index, h->name, leadspc ? val.s : h->value);
		sb_free(&val);
		if (r != MI_SUCCESS) {
			strbuf nm;

			sb_init(&nm);    /* a deleted field's name came from the network */
			sb_escape(&nm, h->name, strlen(h->name), 100);
			plog(PLOG_ERR, NULL, "the MTA refused to %s header %s",
			    h->op == EDIT_DELETE ? "delete" : h->op == EDIT_CHANGE ? "change" : "insert", nm.s);
			sb_free(&nm);
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
do_eom(SMFICTX *ctx)
{
	struct mctx *m = get(ctx);
	struct edits e;
	struct verdict v;
	sfsistat r;

	if (m == NULL)
		return SMFIS_TEMPFAIL;
	edits_init(&e);
	TIMED(MP_EOM, pl_eom(m->conn, macro(ctx, "i"), &e, &v));
	if (!verdict_refuses(&v) && v.action != ACT_DISCARD && !apply_edits(ctx, &e, m->conn->leadspc))
		verdict_set(&v, "internal", ACT_TEMPFAIL, 451, "4.3.0",
		    "temporary failure while changing the message, try again later");
	r = reply(ctx, &v);
	edits_free(&e);
	return r;
}

static sfsistat
do_abort(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);

	if (m != NULL && m->conn != NULL)
		pl_abort(m->conn);
	return SMFIS_CONTINUE;
}

static sfsistat
do_close(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);

	if (m != NULL) {
		if (m->conn != NULL) {
			pl_close(m->conn);
			metrics_connection(-1);
		}
		conn_free(m->conn);
		free(m);
		smfi_setpriv(ctx, NULL);
		__atomic_sub_fetch(&open_conns, 1, __ATOMIC_RELAXED);
		mem_conn_end();
	}
	return SMFIS_CONTINUE;
}

static sfsistat
do_unknown(SMFICTX *ctx, const char *cmd)
{
	struct mctx *m = smfi_getpriv(ctx);

	(void)cmd;
	return m != NULL ? noreply(m, SMFIP_NR_UNKN) : SMFIS_CONTINUE;
}

static sfsistat
do_data(SMFICTX *ctx)
{
	struct mctx *m = smfi_getpriv(ctx);

	return m != NULL ? noreply(m, SMFIP_NR_DATA) : SMFIS_CONTINUE;
}

/* ---- the callbacks libmilter calls, each guarded by cb_enter ------------- */

#define GUARDED(call, refused) do {           \
		sfsistat r_;                  \
		if (!cb_enter())              \
			return (refused);     \
		r_ = (call);                  \
		cb_leave();                   \
		return r_;                    \
	} while (0)

static sfsistat
xx_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	GUARDED(do_negotiate(ctx, f0, f1, f2, f3, pf0, pf1, pf2, pf3), SMFIS_TEMPFAIL);
}

static sfsistat
xx_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	GUARDED(do_connect(ctx, hostname, sa), SMFIS_TEMPFAIL);
}

static sfsistat
xx_helo(SMFICTX *ctx, char *helo)
{
	GUARDED(do_helo(ctx, helo), SMFIS_TEMPFAIL);
}
static sfsistat
xx_envfrom(SMFICTX *ctx, char **argv)
{
	GUARDED(do_envfrom(ctx, argv), SMFIS_TEMPFAIL);
}
static sfsistat
xx_envrcpt(SMFICTX *ctx, char **argv)
{
	GUARDED(do_envrcpt(ctx, argv), SMFIS_TEMPFAIL);
}
static sfsistat
xx_header(SMFICTX *ctx, char *n, char *v)
{
	GUARDED(do_header(ctx, n, v), SMFIS_TEMPFAIL);
}
static sfsistat
xx_eoh(SMFICTX *ctx)
{
	GUARDED(do_eoh(ctx), SMFIS_TEMPFAIL);
}
static sfsistat
xx_body(SMFICTX *ctx, unsigned char *b, size_t n)
{
	GUARDED(do_body(ctx, b, n), SMFIS_TEMPFAIL);
}
static sfsistat
xx_eom(SMFICTX *ctx)
{
	GUARDED(do_eom(ctx), SMFIS_TEMPFAIL);
}
static sfsistat
xx_abort(SMFICTX *ctx)
{
	GUARDED(do_abort(ctx), SMFIS_CONTINUE);
}
static sfsistat
xx_close(SMFICTX *ctx)
{
	GUARDED(do_close(ctx), SMFIS_CONTINUE);
}
static sfsistat
xx_unknown(SMFICTX *ctx, const char *c)
{
	GUARDED(do_unknown(ctx, c), SMFIS_TEMPFAIL);
}
static sfsistat
xx_data(SMFICTX *ctx)
{
	GUARDED(do_data(ctx), SMFIS_TEMPFAIL);
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
