/*
 * ml_proto.c - one worker of the load client: plays the MTA side of the
 * milter protocol (version 6) for its share of the messages.
 *
 * Per connection: option negotiation (everything offered; the milter's
 * answer decides which steps are sent and which are answered), macros
 * (filtered by the milter's SETSYMLIST when it sent one), connect, HELO.
 * Per message: MAIL, RCPT..., DATA, headers, EOH, body chunks, EOM, then
 * every modification action up to the final reply.  A message that a
 * step refuses ends with SMFIC_ABORT, as an MTA would do.  Anything
 * outside the protocol (unknown or unexpected reply, reply to a step the
 * milter declared no-reply for, malformed action, closed socket) stops
 * the run with a message in st->err.
 * Called by milterload.c, one thread per worker.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmilter/mfdef.h>

#include "ml_conn.h"
#include "milterload.h"
#include "ml_proto.h"

/* Action flags (SMFIF_* of libmilter's mfapi.h; the client does not link
 * libmilter). */
#define ACT_ADDHDRS     0x001u
#define ACT_CHGBODY     0x002u
#define ACT_ADDRCPT     0x004u
#define ACT_DELRCPT     0x008u
#define ACT_CHGHDRS     0x010u
#define ACT_QUARANTINE  0x020u
#define ACT_CHGFROM     0x040u
#define ACT_ADDRCPT_PAR 0x080u
#define ACT_SETSYMLIST  0x100u
#define ACT_ALL         0x1ffu
#define PROTO_ALL       0x001fffffu   /* every SMFIP_* step flag of v6 */
#define MTA_VERSION     6

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
wk_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	n = (size_t)snprintf(w->st->err, sizeof(w->st->err), "connection %u, message %lu, %s: ",
	    w->id, w->seq, w->step);
	if (n >= sizeof(w->st->err))
		n = sizeof(w->st->err) - 1;
	va_start(ap, fmt);
	vsnprintf(w->st->err + n, sizeof(w->st->err) - n, fmt, ap);
	va_end(ap);
	return RS_ERR;
}

/* A socket-level problem: fatal, or the counted outcome with -e. */
static int
io_status(struct worker *w, enum mc_status st)
{
	char key[ML_KEY_LEN];

	if (st == MC_CLOSED && w->o->expect_close) {
		snprintf(key, sizeof(key), "closed@%s", w->step);
		ml_count(w->st->verdicts, key, 1);
		return RS_CLOSED;
	}
	return wk_fail(w, "%s", mc_strstatus(st));
}

/* Is the macro NAME in the milter's space-separated list?  Braces do not
 * matter ("{auth_authen}" matches "auth_authen"). */
static int
in_symlist(const char *list, const char *name)
{
	size_t nl, tl;
	const char *t;

	if (*name == '{')
		name++;
	nl = strcspn(name, "}");
	for (t = list; *t != '\0'; t += tl) {
		t += strspn(t, " ");
		tl = strcspn(t, " ");
		if (tl == 0)
			break;
		if (*t == '{' && tl >= 2 && t[tl - 1] == '}') {
			if (tl - 2 == nl && strncmp(t + 1, name, nl) == 0)
				return 1;
		} else if (tl == nl && strncmp(t, name, nl) == 0)
			return 1;
	}
	return 0;
}

/* SMFIC_MACRO for a stage, before the command cmd. */
static void
send_macros(struct worker *w, int stage, char cmd)
{
	const struct ml_opts *o = w->o;
	const char *list = w->symlist[stage];
	size_t i;
	int any = 0;

	for (i = 0; i < o->nmacros; i++) {
		const struct ml_macro *m = &o->macros[i];

		if (m->stage != stage || (list != NULL && !in_symlist(list, m->name)))
			continue;
		if (!any)
			mc_begin(&w->c, SMFIC_MACRO), mc_add(&w->c, &cmd, 1);
		any = 1;
		mc_addstr(&w->c, m->name);
		mc_addstr(&w->c, m->value != NULL ? m->value : w->qid);
	}
	if (any)
		mc_end(&w->c);
}

/* Wait for the reply to the step just buffered, unless the milter said it
 * sends none (nr_flag).  *v := the reply command ('c' for no reply). */
static int
await(struct worker *w, unsigned long nr_flag, int body, char *v)
{
	enum mc_status st;
	const char *data;
	size_t len;

	*v = SMFIR_CONTINUE;
	if (w->proto & nr_flag)
		return RS_OK;
	if ((st = mc_flush(&w->c)) != MC_OK || (st = mc_read(&w->c, v, &data, &len)) != MC_OK)
		return io_status(w, st);
	w->st->replies++;
	switch (*v) {
	case SMFIR_CONTINUE: case SMFIR_ACCEPT: case SMFIR_REJECT:
	case SMFIR_TEMPFAIL: case SMFIR_DISCARD: case SMFIR_CONN_FAIL:
	case SMFIR_SHUTDOWN:
		return RS_OK;
	case SMFIR_REPLYCODE:
		return wk_replycode(w, data, len, v);
	case SMFIR_SKIP:
		if (body && (w->proto & SMFIP_SKIP))
			return RS_OK;
		return wk_fail(w, "SMFIR_SKIP where it is not allowed");
	default:
		return wk_fail(w, "unexpected reply '%c' (0x%02x)", *v, (unsigned char)*v);
	}
}

/* Count a message that a step ended before EOM; tell the milter. */
static int
end_early(struct worker *w, char v, double t0)
{
	wk_verdict(w, v);
	w->st->lat[w->st->nlat++] = now_ms() - t0;
	if (v == SMFIR_CONN_FAIL || v == SMFIR_SHUTDOWN)
		return RS_CONNEND;
	mc_begin(&w->c, SMFIC_ABORT);
	mc_end(&w->c);
	return RS_OK;
}

static int
negotiate(struct worker *w)
{
	enum mc_status st;
	const char *d, *end;
	size_t len, i;
	uint32_t f[3];
	char cmd;

	w->step = "negotiate";
	mc_begin(&w->c, SMFIC_OPTNEG);
	mc_add32(&w->c, MTA_VERSION);
	mc_add32(&w->c, ACT_ALL);
	mc_add32(&w->c, w->o->no_leadspc ? PROTO_ALL & ~(uint32_t)SMFIP_HDR_LEADSPC : PROTO_ALL);
	mc_end(&w->c);
	if ((st = mc_flush(&w->c)) != MC_OK || (st = mc_read(&w->c, &cmd, &d, &len)) != MC_OK)
		return io_status(w, st);
	if (cmd != SMFIC_OPTNEG || len < 12)
		return wk_fail(w, "bad negotiation reply '%c' (%zu bytes)", cmd, len);
	for (i = 0; i < 3; i++) {
		memcpy(&f[i], d + 4 * i, 4);
		f[i] = ntohl(f[i]);
	}
	if (f[0] < 2 || f[0] > MTA_VERSION)
		return wk_fail(w, "milter protocol version %u not supported", f[0]);
	if ((f[1] & ~ACT_ALL) != 0 || (f[2] & ~(PROTO_ALL | SMFI_INTERNAL)) != 0)
		return wk_fail(w, "milter asks for more than offered (actions 0x%x, steps 0x%x)",
		    f[1], f[2]);
	w->actions = f[1];
	w->proto = f[2] & PROTO_ALL;
	for (i = 0; i < ST_COUNT; i++) {
		free(w->symlist[i]);
		w->symlist[i] = NULL;
	}
	/* SETSYMLIST: (uint32 stage, NUL-terminated list)... */
	for (d += 12, end = d + (len - 12); d < end;) {
		uint32_t stg;
		const char *nul;

		if (end - d < 5 || (nul = memchr(d + 4, '\0', (size_t)(end - d - 4))) == NULL)
			return wk_fail(w, "malformed macro list in the negotiation reply");
		memcpy(&stg, d, 4);
		stg = ntohl(stg);
		if (stg >= ST_COUNT)
			return wk_fail(w, "macro list for unknown stage %u", stg);
		free(w->symlist[stg]);
		w->symlist[stg] = ml_xstrndup(d + 4, (size_t)(nul - d - 4));
		d = nul + 1;
	}
	return RS_OK;
}

/* Open, negotiate, connect, HELO.  RS_CONNEND: the milter refused the
 * connection (counted as each message's verdict by the caller). */
static int
open_session(struct worker *w, char *v)
{
	const struct ml_opts *o = w->o;
	char fam;
	int rc;

	*v = SMFIR_CONTINUE;
	w->step = "connect";
	if (mc_open(&w->c, o->sock, o->timeout_ms, w->st->err, sizeof(w->st->err)) != 0)
		return RS_ERR;
	w->st->connections++;
	if ((rc = negotiate(w)) != RS_OK)
		return rc;
	w->step = "connect";
	if (!(w->proto & SMFIP_NOCONNECT)) {
		send_macros(w, ST_CONNECT, SMFIC_CONNECT);
		mc_begin(&w->c, SMFIC_CONNECT);
		mc_addstr(&w->c, o->client_name);
		fam = strchr(o->client_ip, ':') != NULL ? SMFIA_INET6 : SMFIA_INET;
		mc_add(&w->c, &fam, 1);
		mc_add16(&w->c, 25000 + (uint16_t)(w->id % 30000));
		mc_addstr(&w->c, o->client_ip);
		mc_end(&w->c);
		if ((rc = await(w, SMFIP_NR_CONN, 0, v)) != RS_OK || *v != SMFIR_CONTINUE)
			return rc != RS_OK ? rc : RS_CONNEND;
	}
	w->step = "helo";
	if (!(w->proto & SMFIP_NOHELO)) {
		send_macros(w, ST_HELO, SMFIC_HELO);
		mc_begin(&w->c, SMFIC_HELO);
		mc_addstr(&w->c, w->helo);
		mc_end(&w->c);
		if ((rc = await(w, SMFIP_NR_HELO, 0, v)) != RS_OK || *v != SMFIR_CONTINUE)
			return rc != RS_OK ? rc : RS_CONNEND;
	}
	return RS_OK;
}

static void
send_header(struct worker *w, const char *name, const char *value)
{
	if (!(w->proto & SMFIP_HDR_LEADSPC) && *value == ' ')
		value++;   /* Postfix and Sendmail eat one space, never a tab */
	mc_begin(&w->c, SMFIC_HEADER);
	mc_addstr(&w->c, name);
	mc_addstr(&w->c, value);
	mc_end(&w->c);
}

/* RCPT for every recipient; *ok := how many were taken. */
static int
send_rcpts(struct worker *w, char *v, size_t *ok)
{
	size_t i;
	int rc;

	*ok = 0;
	for (i = 0; i < w->nrcpts; i++) {
		send_macros(w, ST_RCPT, SMFIC_RCPT);
		mc_begin(&w->c, SMFIC_RCPT);
		mc_addstr(&w->c, w->rcpts[i]);
		mc_end(&w->c);
		if ((rc = await(w, SMFIP_NR_RCPT, 0, v)) != RS_OK)
			return rc;
		if (*v == SMFIR_CONTINUE)
			(*ok)++;
		else if (*v == SMFIR_REJECT || *v == SMFIR_TEMPFAIL)
			ml_count(w->st->verdicts, *v == SMFIR_REJECT ? "rcpt-refused(reject)" :
			    "rcpt-refused(tempfail)", 1);
		else
			return RS_OK;   /* accept/discard/conn-fail: message-level */
	}
	*v = SMFIR_CONTINUE;
	return RS_OK;
}

/* Headers, EOH and body: everything between DATA and EOM. */
static int
send_content(struct worker *w, const struct ml_msg *m, char *v)
{
	enum mc_status st;
	size_t i, off, n;
	int rc;

	w->step = "header";
	if (!(w->proto & SMFIP_NOHDRS)) {
		for (i = 0; i < m->nhdrs; i++) {
			send_header(w, m->hdrs[i].name, m->hdrs[i].value);
			if ((rc = await(w, SMFIP_NR_HDR, 0, v)) != RS_OK || *v != SMFIR_CONTINUE)
				return rc;
		}
		if (w->longhdr != NULL) {
			send_header(w, "X-Bench-Long", w->longhdr);
			if ((rc = await(w, SMFIP_NR_HDR, 0, v)) != RS_OK || *v != SMFIR_CONTINUE)
				return rc;
		}
	}
	w->step = "eoh";
	if (!(w->proto & SMFIP_NOEOH)) {
		send_macros(w, ST_EOH, SMFIC_EOH);
		mc_begin(&w->c, SMFIC_EOH);
		mc_end(&w->c);
		if ((rc = await(w, SMFIP_NR_EOH, 0, v)) != RS_OK || *v != SMFIR_CONTINUE)
			return rc;
	}
	w->step = "body";
	if (w->proto & SMFIP_NOBODY)
		return RS_OK;
	for (off = 0; off < m->bodylen; off += n) {
		n = m->bodylen - off < ML_BODY_CHUNK ? m->bodylen - off : ML_BODY_CHUNK;
		mc_begin(&w->c, SMFIC_BODY);
		mc_add(&w->c, m->body + off, n);
		mc_end(&w->c);
		if (w->c.olen > 4 * ML_BODY_CHUNK && (w->proto & SMFIP_NR_BODY) &&
		    (st = mc_flush(&w->c)) != MC_OK)
			return io_status(w, st);
		if ((rc = await(w, SMFIP_NR_BODY, 1, v)) != RS_OK)
			return rc;
		if (*v == SMFIR_SKIP) {
			*v = SMFIR_CONTINUE;
			break;
		}
		if (*v != SMFIR_CONTINUE)
			return RS_OK;
	}
	return RS_OK;
}

/* One message; the session is open. */
static int
run_message(struct worker *w, const struct ml_msg *m)
{
	double t0 = now_ms();
	size_t ok;
	char v;
	int rc;

	snprintf(w->qid, sizeof(w->qid), "%02X%09lX", w->id & 0xff, w->seq);
	w->step = "mail";
	if (!(w->proto & SMFIP_NOMAIL)) {
		send_macros(w, ST_MAIL, SMFIC_MAIL);
		mc_begin(&w->c, SMFIC_MAIL);
		mc_addstr(&w->c, w->from);
		mc_end(&w->c);
		if ((rc = await(w, SMFIP_NR_MAIL, 0, &v)) != RS_OK)
			return rc;
		if (v != SMFIR_CONTINUE)
			return end_early(w, v, t0);
	}
	w->step = "rcpt";
	if (!(w->proto & SMFIP_NORCPT)) {
		if ((rc = send_rcpts(w, &v, &ok)) != RS_OK)
			return rc;
		if (v != SMFIR_CONTINUE)
			return end_early(w, v, t0);
		if (ok == 0)
			return end_early(w, SMFIR_REJECT, t0);
	}
	w->step = "data";
	if (!(w->proto & SMFIP_NODATA)) {
		send_macros(w, ST_DATA, SMFIC_DATA);
		mc_begin(&w->c, SMFIC_DATA);
		mc_end(&w->c);
		if ((rc = await(w, SMFIP_NR_DATA, 0, &v)) != RS_OK)
			return rc;
		if (v != SMFIR_CONTINUE)
			return end_early(w, v, t0);
	}
	if ((rc = send_content(w, m, &v)) != RS_OK)
		return rc;
	if (v != SMFIR_CONTINUE)
		return end_early(w, v, t0);
	w->step = "eom";
	send_macros(w, ST_EOM, SMFIC_BODYEOB);
	mc_begin(&w->c, SMFIC_BODYEOB);
	mc_end(&w->c);
	if ((rc = wk_eom(w)) != RS_OK && rc != RS_CONNEND)
		return rc;
	w->st->lat[w->st->nlat++] = now_ms() - t0;
	if (rc == RS_OK && mc_pending(&w->c))
		return wk_fail(w, "reply data after the end-of-message reply");
	if (rc == RS_OK && w->o->outdir != NULL && wk_write(w, m) != RS_OK)
		return RS_ERR;
	return rc;
}

static void
quit(struct worker *w)
{
	mc_begin(&w->c, SMFIC_QUIT);
	mc_end(&w->c);
	(void)mc_flush(&w->c);
	mc_close(&w->c);
}

int
ml_run_worker(const struct ml_opts *o, const struct ml_msg *msgs, size_t nmsgs,
    unsigned id, struct ml_stats *st)
{
	struct worker w;
	int rc = RS_OK, open = 0, k;
	unsigned long i, in_conn = 0;
	char v;

	wk_init(&w, o, id, st);
	st->lat = ml_xmalloc(((size_t)o->count + 1) * sizeof(double));
	for (i = 0; i < (unsigned long)o->count; i++) {
		w.seq = i;
		if (!open) {
			rc = open_session(&w, &v);
			if (rc == RS_CONNEND || rc == RS_CLOSED) {
				if (rc == RS_CONNEND)
					wk_verdict(&w, v);
				mc_close(&w.c);
				st->messages++;
				continue;
			}
			if (rc != RS_OK)
				break;
			open = 1;
			in_conn = 0;
		}
		k = (int)((id * (unsigned long)o->count + i) % nmsgs);
		rc = run_message(&w, &msgs[k]);
		st->messages++;
		if (rc == RS_ERR)
			break;
		if (rc == RS_CLOSED || rc == RS_CONNEND) {
			mc_close(&w.c);
			open = 0;
			rc = RS_OK;
			continue;
		}
		if (++in_conn >= (unsigned long)o->per_conn) {
			quit(&w);
			open = 0;
		}
	}
	if (open && rc == RS_OK)
		quit(&w);
	mc_close(&w.c);
	wk_free(&w);
	return rc == RS_ERR ? -1 : 0;
}
