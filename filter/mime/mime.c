/*
 * mime.c - the streaming MIME scanner.
 *
 * Owns one struct mime_scan per message: a stack of open entities (one per
 * nesting level, each multipart keeps its boundary), a line-head buffer
 * just long enough to recognise a boundary line, the raw values of the
 * three Content-* fields of the part whose header is being read, and the
 * facts (struct mime_facts).  Body bytes are never copied except into the
 * line head; leaf bodies go straight to the transfer decoder (counting) or,
 * for zip parts, through a small stack buffer to the zip lister.
 *
 * Lines end in LF or CRLF.  The line break before a boundary belongs to the
 * boundary, so a body's last break is held until the next line is known.
 * Preamble and epilogue are ignored; a missing close delimiter is noted,
 * not fatal; message/rfc822 bodies are parsed as messages.  Limits are
 * decisions: the scan stops and the caller reads facts.limit/reason.
 * This file is the line machine (delimiters, held breaks, feed/finish) and
 * the public API; the entities (headers, kinds, decoding) are in
 * mime_entity.c, the shared state in mime_int.h.
 * Called by check_attach.c and tests/tools/mimescan.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_int.h"

static const char CRLF[] = "\r\n";   /* a held line break: the last 1 or 2 bytes */

static const char *const limit_names[] = {
	"none", "depth", "parts", "header_line", "header_bytes", "boundary",
	"filename", "zip_entries",
};

const char *
mime_limit_name(enum mime_limit l)
{
	return (unsigned)l < NELEM(limit_names) ? limit_names[l] : "?";
}

void
mime_limits_default(struct mime_limits *l)
{
	l->depth = MIME_DEF_DEPTH;
	l->parts = MIME_DEF_PARTS;
	l->header_line = MIME_DEF_HEADER_LINE;
	l->header_bytes = MIME_DEF_HEADER_BYTES;
	l->boundary = MIME_DEF_BOUNDARY;
	l->filename = MIME_DEF_FILENAME;
	l->zip_entries = MIME_DEF_ZIP_ENTRIES;
}

static void
consume(struct mime_scan *s, const char *p, size_t n)
{
	if (s->st == ST_HDR) {
		ms_hdr_bytes(s, p, n);
	} else if (s->st == ST_BODY && n > 0) {
		struct ent *e = ms_top(s);
		if (e != NULL && e->kind == MIME_LEAF)
			ms_leaf_bytes(s, (const unsigned char *)p, n);
	}
}

static void
content(struct mime_scan *s, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (s->held_cr) {
		s->held_cr = false;
		consume(s, "\r", 1);
	}
	if (p[n - 1] == '\r') {
		s->held_cr = true;
		n--;
	}
	consume(s, p, n);
}

/* A new line turned out not to be a boundary: release the held break. */
static void
begin_line(struct mime_scan *s)
{
	s->bol = false;
	if (s->pend_eol && s->st == ST_BODY)
		consume(s, &CRLF[2 - s->pend_eol], s->pend_eol);
	s->pend_eol = 0;
}

static void
line_end(struct mime_scan *s)
{
	unsigned eol = s->held_cr ? 2 : 1;

	s->held_cr = false;
	s->bol = true;
	if (s->st == ST_HDR)
		ms_hdr_eol(s, eol);
	else if (s->st == ST_BODY && s->nbound == 0)
		consume(s, &CRLF[2 - eol], eol);   /* no boundary can follow */
	else
		s->pend_eol = eol;
}

/*
 * The level whose boundary this line is, or -1.  Like Dovecot, MimeKit and
 * mail-parser (the MUAs the mail is for), a line that starts with "--" and
 * the boundary is a delimiter whatever follows, innermost level first; a
 * filter that matched more strictly than the reader would let a part hide.
 */
static long
match_boundary(const struct mime_scan *s, const char *l, size_t n, bool *close)
{
	if (n < 3 || l[0] != '-' || l[1] != '-')
		return -1;
	for (size_t j = s->nstk; j-- > 0;) {
		const struct ent *e = &s->stk[j];
		if (e->kind != MIME_MULTIPART || e->closed || n - 2 < e->blen ||
		    memcmp(l + 2, e->boundary, e->blen) != 0)
			continue;
		*close = n - 2 >= e->blen + 2 && l[2 + e->blen] == '-' && l[3 + e->blen] == '-';
		return (long)j;
	}
	return -1;
}

static void
boundary(struct mime_scan *s, size_t k, bool close)
{
	s->pend_eol = 0;
	ms_close_to(s, k + 1);
	if (s->st == ST_STOP)
		return;
	if (close) {
		s->stk[k].closed = true;
		s->nbound--;
		s->st = ST_BODY;
		return;
	}
	ms_start_entity(s, s->stk[k].depth + 1, s->stk[k].digest);
}

/* The line head is complete (or full): boundary or content? */
static void
decide(struct mime_scan *s, bool complete)
{
	bool close;
	long k;

	s->in_head = false;
	if (complete && (k = match_boundary(s, s->head, s->headlen, &close)) >= 0) {
		s->bol = true;
		boundary(s, (size_t)k, close);
		return;
	}
	begin_line(s);
	content(s, s->head, s->headlen);
	if (complete)
		line_end(s);
}

enum mime_status
mime_feed(struct mime_scan *s, const unsigned char *ubuf, size_t len)
{
	const char *buf = (const char *)ubuf;
	size_t i = 0;

	while (i < len && s->st != ST_STOP) {
		if (s->bol && !s->in_head) {
			if (s->nbound > 0 && buf[i] == '-') {
				s->in_head = true;
				s->headlen = 0;
				s->bol = false;
			} else {
				begin_line(s);
			}
		}
		if (s->in_head) {
			size_t room = s->headcap - s->headlen, avail = len - i;
			size_t k = avail < room ? avail : room;
			const char *nl = memchr(buf + i, '\n', k);
			if (nl != NULL)
				k = (size_t)(nl - (buf + i));
			memcpy(s->head + s->headlen, buf + i, k);
			s->headlen += k;
			i += k;
			if (nl != NULL) {
				i++;
				decide(s, true);
			} else if (s->headlen == s->headcap) {
				decide(s, false);
			}
			continue;
		}
		if (s->st == ST_BODY && s->nbound == 0) {
			/* nothing but this leaf until the end: take the rest */
			content(s, buf + i, len - i);
			break;
		}
		const char *nl = memchr(buf + i, '\n', len - i);
		if (s->st == ST_BODY) {
			/* a line that does not start with '-' is no delimiter: its
			 * break is content, so take lines in one run up to the last
			 * break before a '-' (or the chunk's last break) */
			while (nl != NULL && nl + 1 < buf + len && nl[1] != '-') {
				const char *next = memchr(nl + 1, '\n', (size_t)(buf + len - nl - 1));
				if (next == NULL)
					break;
				nl = next;
			}
		}
		size_t k = nl ? (size_t)(nl - (buf + i)) : len - i;
		content(s, buf + i, k);
		i += k;
		if (nl != NULL) {
			i++;
			if (s->st != ST_STOP)
				line_end(s);
		}
	}
	return s->status;
}

enum mime_status
mime_finish(struct mime_scan *s)
{
	if (s->st == ST_STOP)
		return s->status;
	if (s->in_head)
		decide(s, true);
	if (s->held_cr && s->st != ST_STOP) {
		s->held_cr = false;
		consume(s, "\r", 1);
	}
	if (s->st == ST_HDR && s->hline > 0)
		ms_hdr_eol(s, 0);
	if (s->pend_eol && s->st == ST_BODY)
		consume(s, &CRLF[2 - s->pend_eol], s->pend_eol);
	s->pend_eol = 0;
	while (s->nstk > 0 && s->st != ST_STOP)
		ms_end_entity(s);
	return s->status;
}

/* ---- construction and the milter's header path ----------------------- */

struct mime_scan *
mime_scan_new(const struct mime_limits *l, bool headers_fed, mime_cb cb, void *ctx)
{
	struct mime_scan *s = xcalloc(1, sizeof(*s));

	s->lim = *l;
	if (s->lim.boundary > MIME_MAX_BOUNDARY)
		s->lim.boundary = MIME_MAX_BOUNDARY;
	s->cb = cb;
	s->ctx = ctx;
	s->stk = xcalloc(s->lim.depth + 2, sizeof(*s->stk));
	s->headcap = 2 + s->lim.boundary + 2 + 64;
	s->head = xmalloc(s->headcap);
	sb_init(&s->ctype);
	sb_init(&s->cte);
	sb_init(&s->cdisp);
	s->bol = true;
	ms_start_entity(s, 0, false);
	(void)headers_fed;    /* both ways start in the header state */
	return s;
}

void
mime_set_text_cb(struct mime_scan *s, mime_text_cb cb, void *ctx)
{
	s->text_cb = cb;
	s->text_ctx = ctx;
	if (s->sub != NULL)
		mime_set_text_cb(s->sub, cb, ctx);
}

void
mime_scan_free(struct mime_scan *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nstk; i++)
		free(s->stk[i].boundary);
	for (size_t i = 0; i < s->f.nparts; i++)
		free(s->f.parts[i].filename);
	free(s->f.parts);
	free(s->stk);
	free(s->head);
	zip_free(s->zip);
	mime_scan_free(s->sub);
	sb_free(&s->ctype);
	sb_free(&s->cte);
	sb_free(&s->cdisp);
	free(s);
}

enum mime_status
mime_header(struct mime_scan *s, const char *name, size_t nlen, const char *value, size_t vlen)
{
	if (s->st != ST_HDR || s->nstk != 1)
		return s->status;
	if (nlen > sizeof(s->hname))
		return s->status;
	memcpy(s->hname, name, nlen);
	s->hnamelen = nlen;
	ms_field_name_done(s);
	for (size_t i = 0; s->hval != NULL && i < vlen && s->hval->len < s->lim.header_bytes; i++)
		if (value[i] != '\r' && value[i] != '\n')   /* unfold */
			sb_putc(s->hval, value[i]);
	s->hval = NULL;
	s->hf = HF_NONE;
	return s->status;
}

enum mime_status
mime_end_headers(struct mime_scan *s)
{
	if (s->st == ST_HDR && s->nstk == 1)
		ms_headers_done(s);
	s->bol = true;
	return s->status;
}

const struct mime_facts *
mime_facts(const struct mime_scan *s)
{
	return &s->f;
}

const struct mime_part *
mime_current(const struct mime_scan *s)
{
	const struct ent *e = s->nstk ? &s->stk[s->nstk - 1] : NULL;

	return e != NULL && e->kind == MIME_LEAF && e->hdr_done ? &s->f.parts[e->part] : NULL;
}
