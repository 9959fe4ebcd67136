/*
 * ml_eom.c - the end of a message as the load client sees it: every
 * modification action (SMFIR_ADDHEADER, INSHEADER, CHGHEADER, ADDRCPT,
 * DELRCPT, CHGFROM, REPLBODY, QUARANTINE) up to the final reply, checked
 * against the negotiated actions and counted; verdict counting; and the
 * worker's envelope (with the hostile --long padding).
 * Called by ml_proto.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfdef.h>

#include "ml_proto.h"

#define ACT_ADDHDRS     0x001u   /* SMFIF_* of mfapi.h */
#define ACT_CHGBODY     0x002u
#define ACT_ADDRCPT     0x004u
#define ACT_DELRCPT     0x008u
#define ACT_CHGHDRS     0x010u
#define ACT_QUARANTINE  0x020u
#define ACT_CHGFROM     0x040u
#define ACT_ADDRCPT_PAR 0x080u

/* "<addr>" unless already bracketed. */
static char *
bracket(const char *a)
{
	size_t n = strlen(a);
	char *s = ml_xmalloc(n + 3);

	if (a[0] == '<')
		memcpy(s, a, n + 1);
	else
		snprintf(s, n + 3, "<%s>", a);
	return s;
}

/* "<aaaa...@domain>" of exactly len bytes (at least the bare address). */
static char *
long_addr(size_t len, const char *domain)
{
	size_t d = strlen(domain), local = len > d + 3 ? len - d - 3 : 1;
	char *s = ml_xmalloc(local + d + 4);

	s[0] = '<';
	memset(s + 1, 'a', local);
	snprintf(s + 1 + local, d + 3, "@%s>", domain);
	return s;
}

static char *
filled(size_t len, char c, const char *tail)
{
	size_t t = strlen(tail), n = len > t ? len - t : 0;
	char *s = ml_xmalloc(n + t + 1);

	memset(s, c, n);
	memcpy(s + n, tail, t + 1);
	return s;
}

void
wk_init(struct worker *w, const struct ml_opts *o, unsigned id, struct ml_stats *st)
{
	const char *at;
	size_t i;

	memset(w, 0, sizeof(*w));
	w->o = o;
	w->st = st;
	w->id = id;
	w->c.fd = -1;
	w->c.per_packet = o->per_packet;
	w->step = "start";
	w->helo = o->long_helo ? filled(o->long_helo, 'h', ".example") :
	    ml_xstrndup(o->helo, strlen(o->helo));
	w->from = o->long_from ? long_addr(o->long_from, "example.org") : bracket(o->from);
	w->nrcpts = o->nrcpts;
	w->rcpts = ml_xmalloc(o->nrcpts * sizeof(char *));
	for (i = 0; i < o->nrcpts; i++)
		w->rcpts[i] = bracket(o->rcpts[i]);
	if (o->long_rcpt && w->nrcpts > 0) {
		char *dom;

		at = strrchr(o->rcpts[0], '@');
		dom = at != NULL ? ml_xstrndup(at + 1, strcspn(at + 1, ">")) :
		    ml_xstrndup("example.com", 11);
		free(w->rcpts[0]);
		w->rcpts[0] = long_addr(o->long_rcpt, dom);
		free(dom);
	}
	if (o->long_header)
		w->longhdr = filled(o->long_header, 'x', "");
}

void
wk_free(struct worker *w)
{
	size_t i;

	for (i = 0; i < ST_COUNT; i++)
		free(w->symlist[i]);
	for (i = 0; i < w->nrcpts; i++)
		free(w->rcpts[i]);
	free(w->rcpts);
	free(w->helo);
	free(w->from);
	free(w->longhdr);
	free(w->added);
	free(w->c.obuf);
	free(w->c.ibuf);
}

void
wk_verdict(struct worker *w, char v)
{
	const char *kind;
	char key[ML_KEY_LEN];

	switch (v) {
	case SMFIR_CONTINUE: kind = "continue"; break;
	case SMFIR_ACCEPT: kind = "accept"; break;
	case SMFIR_REJECT: kind = "reject"; break;
	case SMFIR_TEMPFAIL: kind = "tempfail"; break;
	case SMFIR_DISCARD: kind = "discard"; break;
	case SMFIR_CONN_FAIL: kind = "connfail"; break;
	case SMFIR_SHUTDOWN: kind = "shutdown"; break;
	default: kind = "other"; break;
	}
	if (strcmp(w->step, "eom") == 0)
		ml_count(w->st->verdicts, kind, 1);
	else {
		snprintf(key, sizeof(key), "%s@%s", kind, w->step);
		ml_count(w->st->verdicts, key, 1);
	}
}

/* Printable copy of network text, cut to fit. */
static void
printable(char *dst, size_t size, const char *src, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++)
		dst[o++] = src[i] > 0x20 && src[i] < 0x7f ? src[i] : (src[i] == ' ' ? ' ' : '?');
	dst[o] = '\0';
}

int
wk_replycode(struct worker *w, const char *data, size_t len, char *v)
{
	if (len < 4 || data[len - 1] != '\0' || (data[0] != '4' && data[0] != '5') ||
	    data[1] < '0' || data[1] > '9' || data[2] < '0' || data[2] > '9' ||
	    (data[3] != ' ' && data[3] != '-' && data[3] != '\0'))
		return wk_fail(w, "malformed SMFIR_REPLYCODE (%zu bytes)", len);
	if (w->st->sample_reply[0] == '\0')
		printable(w->st->sample_reply, sizeof(w->st->sample_reply), data, len - 1);
	*v = data[0] == '5' ? SMFIR_REJECT : SMFIR_TEMPFAIL;
	return RS_OK;
}

/* Split data into at least n NUL-terminated strings. */
static int
strings(const char *data, size_t len, size_t n, const char **out)
{
	const char *p = data, *end = data + len, *nul;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p >= end || (nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return -1;
		out[i] = p;
		p = nul + 1;
	}
	return 0;
}

/* -w: keep "name:value" of an added field, value as the milter sent it. */
static void
keep_header(struct worker *w, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	int sp = !(w->proto & SMFIP_HDR_LEADSPC);

	w->added = ml_xrealloc(w->added, w->addedlen + nl + vl + 3);
	memcpy(w->added + w->addedlen, name, nl);
	w->addedlen += nl;
	w->added[w->addedlen++] = ':';
	if (sp)
		w->added[w->addedlen++] = ' ';
	memcpy(w->added + w->addedlen, value, vl);
	w->addedlen += vl;
	w->added[w->addedlen++] = '\n';
}

int
wk_write(struct worker *w, const struct ml_msg *m)
{
	const char *base = strrchr(m->path, '/');
	char path[4096];
	FILE *f;
	int fd;

	base = base != NULL ? base + 1 : m->path;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", w->o->outdir, base) >= sizeof(path))
		return wk_fail(w, "-w path too long");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return errno == EEXIST ? RS_OK : wk_fail(w, "%s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	if (f == NULL || fwrite(w->added, 1, w->addedlen, f) != w->addedlen ||
	    fwrite(m->raw, 1, m->rawlen, f) != m->rawlen || fclose(f) != 0)
		return wk_fail(w, "%s: write failed", path);
	return RS_OK;
}

static void
count_header(struct worker *w, const char *what, const char *name, const char *value)
{
	char key[ML_KEY_LEN], nm[48];
	size_t i;

	if (w->o->outdir != NULL && strcmp(what, "delete") != 0 && strcmp(what, "change") != 0)
		keep_header(w, name, value);

	printable(nm, sizeof(nm), name, strlen(name));
	snprintf(key, sizeof(key), "%s %s", what, nm);
	ml_count(w->st->changes, key, 1);
	for (i = 0; i < w->o->ntexts; i++)
		if (strstr(value, w->o->texts[i]) != NULL)
			w->st->text_hits[i]++;
}

/* One modification action; RS_OK or a protocol error. */
static int
modification(struct worker *w, char cmd, const char *d, size_t len)
{
	const char *s[2];
	unsigned long need;
	int idx = cmd == SMFIR_INSHEADER || cmd == SMFIR_CHGHEADER;

	switch (cmd) {
	case SMFIR_ADDHEADER: case SMFIR_INSHEADER: need = ACT_ADDHDRS; break;
	case SMFIR_CHGHEADER: need = ACT_CHGHDRS; break;
	case SMFIR_ADDRCPT: need = ACT_ADDRCPT; break;
	case SMFIR_ADDRCPT_PAR: need = ACT_ADDRCPT_PAR; break;
	case SMFIR_DELRCPT: need = ACT_DELRCPT; break;
	case SMFIR_CHGFROM: need = ACT_CHGFROM; break;
	case SMFIR_REPLBODY: need = ACT_CHGBODY; break;
	case SMFIR_QUARANTINE: need = ACT_QUARANTINE; break;
	default:
		return wk_fail(w, "unexpected reply '%c' (0x%02x) at end of message",
		    cmd, (unsigned char)cmd);
	}
	if (!(w->actions & need))
		return wk_fail(w, "modification '%c' without the negotiated action", cmd);
	if (cmd == SMFIR_REPLBODY) {
		ml_count(w->st->changes, "replbody", 1);
		return RS_OK;
	}
	if (idx && len < 4)
		return wk_fail(w, "modification '%c' too short", cmd);
	if (strings(d + 4 * idx, len - 4 * idx, cmd == SMFIR_ADDHEADER || idx ? 2 : 1, s) != 0)
		return wk_fail(w, "modification '%c' with unterminated strings", cmd);
	switch (cmd) {
	case SMFIR_ADDHEADER: count_header(w, "add", s[0], s[1]); break;
	case SMFIR_INSHEADER: count_header(w, "insert", s[0], s[1]); break;
	case SMFIR_CHGHEADER:
		count_header(w, s[1][0] == '\0' ? "delete" : "change", s[0], s[1]);
		break;
	case SMFIR_ADDRCPT: case SMFIR_ADDRCPT_PAR:
		ml_count(w->st->changes, "addrcpt", 1); break;
	case SMFIR_DELRCPT: ml_count(w->st->changes, "delrcpt", 1); break;
	case SMFIR_CHGFROM: ml_count(w->st->changes, "chgfrom", 1); break;
	default: ml_count(w->st->changes, "quarantine", 1); break;
	}
	return RS_OK;
}

int
wk_eom(struct worker *w)
{
	enum mc_status st;
	const char *d;
	size_t len;
	char cmd;
	int rc;

	w->addedlen = 0;
	if ((st = mc_flush(&w->c)) != MC_OK)
		goto io;
	for (;;) {
		if ((st = mc_read(&w->c, &cmd, &d, &len)) != MC_OK)
			goto io;
		w->st->replies++;
		switch (cmd) {
		case SMFIR_CONTINUE: case SMFIR_ACCEPT: case SMFIR_REJECT:
		case SMFIR_TEMPFAIL: case SMFIR_DISCARD:
			wk_verdict(w, cmd);
			return RS_OK;
		case SMFIR_CONN_FAIL: case SMFIR_SHUTDOWN:
			wk_verdict(w, cmd);
			return RS_CONNEND;
		case SMFIR_REPLYCODE:
			if ((rc = wk_replycode(w, d, len, &cmd)) != RS_OK)
				return rc;
			wk_verdict(w, cmd);
			return RS_OK;
		default:
			if ((rc = modification(w, cmd, d, len)) != RS_OK)
				return rc;
		}
	}
io:
	if (st == MC_CLOSED && w->o->expect_close) {
		ml_count(w->st->verdicts, "closed@eom", 1);
		return RS_CLOSED;
	}
	return wk_fail(w, "%s", mc_strstatus(st));
}
