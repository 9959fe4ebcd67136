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
 * A delimiter is the boundary and only blanks (any number); other text
 * after a boundary and delimiters after a close delimiter are refused as
 * malformed (clients read them differently).  Preamble and epilogue are
 * ignored; a missing close delimiter is noted, not fatal; message/rfc822 bodies are parsed as messages.  Limits are
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
	"filename", "zip_entries", "syntax",
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
	else if (s->st == ST_BODY && s->nmulti == 0)
		consume(s, &CRLF[2 - eol], eol);   /* no boundary can follow */
	else
		s->pend_eol = eol;
}

/* Only blanks (transport padding, RFC 2046 5.1.1) in l[0..n)? */
static bool
padding_only(const char *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] != ' ' && l[i] != '\t')
			return false;
	return true;
}

enum dline { DL_NONE, DL_OPEN, DL_CLOSE, DL_PAD, DL_BAD };

/*
 * Does l[0..n) start with "--" and the boundary of a multipart that an
 * enclosing delimiter ended before its own close delimiter came?  A reader
 * that matches only the innermost boundary (or never saw the enclosing one)
 * is still inside that multipart, and shows the part such a line starts;
 * Python and postern have left it (it is text to them).
 */
static bool
ended_delimiter(const struct mime_scan *s, const char *l, size_t n)
{
	for (size_t i = 0; i + sizeof(size_t) <= s->ended.len;) {
		size_t blen;
		memcpy(&blen, s->ended.s + i, sizeof(blen));
		i += sizeof(blen);
		if (n - 2 >= blen && memcmp(l + 2, s->ended.s + i, blen) == 0)
			return true;
		i += blen;
	}
	return false;
}

/*
 * What a line that starts with "--" is.  A delimiter is "--" boundary,
 * "--" for the close delimiter, then only blanks (any number: DL_PAD when
 * the line head filled up before its end); an open level's exact match
 * wins, innermost first.  Clients differ on the rest, so it is refused
 * (DL_BAD, *why set): a boundary followed by other text ("--B--x", "--Bx",
 * "--B" then a bare CR and more), and a delimiter of a multipart whose
 * close delimiter was seen (a part after the end).  l[0..n) is the line
 * without its LF (a CR before the LF is dropped here); complete is false
 * when the head is full and the line goes on.
 */
static enum dline
classify(const struct mime_scan *s, const char *l, size_t n, bool complete, size_t *level,
    bool *close, const char **why)
{
	bool text = false, after_close = false;

	if (complete && n > 0 && l[n - 1] == '\r')
		n--;
	if (n < 3 || l[0] != '-' || l[1] != '-')
		return DL_NONE;
	for (size_t j = s->nstk; j-- > 0;) {
		const struct ent *e = &s->stk[j];
		if (e->kind != MIME_MULTIPART || n - 2 < e->blen ||
		    memcmp(l + 2, e->boundary, e->blen) != 0)
			continue;
		if (e->closed) {
			after_close = true;
			continue;
		}
		const char *r = l + 2 + e->blen;
		size_t rn = n - 2 - e->blen;
		bool c = rn >= 2 && r[0] == '-' && r[1] == '-';
		if (padding_only(r + (c ? 2 : 0), rn - (c ? 2 : 0))) {
			*level = j;
			*close = c;
			return !complete ? DL_PAD : c ? DL_CLOSE : DL_OPEN;
		}
		text = true;
	}
	if (text) {
		*why = "text after a MIME delimiter";
		return DL_BAD;
	}
	if (after_close) {
		*why = "MIME delimiter after the close delimiter";
		return DL_BAD;
	}
	if (s->ended.len > 0 && ended_delimiter(s, l, n)) {
		*why = "MIME delimiter of a multipart that had ended";
		return DL_BAD;
	}
	return DL_NONE;
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

/* After a bare CR in a multipart's body: read what follows as a line head
 * (a delimiter there is refused, see decide()). */
static void
cr_line(struct mime_scan *s)
{
	s->in_head = true;
	s->head_cr = true;
	s->headlen = 0;
}

/* The line head is complete (or full): boundary or content? */
static void
decide(struct mime_scan *s, bool complete)
{
	const char *why = NULL;
	bool close = false, after_cr = s->head_cr;
	size_t k = 0;
	enum dline d;

	s->in_head = false;
	s->head_cr = false;
	d = classify(s, s->head, s->headlen, complete, &k, &close, &why);
	if (after_cr && d != DL_NONE) {
		ms_violation(s, "bare CR before a MIME delimiter");
		return;
	}
	switch (d) {
	case DL_OPEN:
	case DL_CLOSE:
		s->bol = true;
		boundary(s, k, close);
		return;
	case DL_PAD:     /* a delimiter so far: read its padding to the LF */
		s->in_pad = true;
		s->pad_level = k;
		s->pad_close = close;
		s->pad_cr = false;
		return;
	case DL_BAD:
		ms_violation(s, why);
		return;
	case DL_NONE:
		break;
	}
	begin_line(s);
	content(s, s->head, s->headlen);
	if (complete)
		line_end(s);
}

/* Transport padding past the line head; returns the bytes taken. */
static size_t
padding(struct mime_scan *s, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] == '\n') {
			s->in_pad = false;
			s->bol = true;
			boundary(s, s->pad_level, s->pad_close);
			return i + 1;
		}
		if (s->pad_cr || (b[i] != ' ' && b[i] != '\t' && b[i] != '\r')) {
			s->in_pad = false;
			ms_violation(s, "text after a MIME delimiter");
			return n;
		}
		s->pad_cr = b[i] == '\r';
	}
	return n;
}

/* The first "\r-" in p[0..n), or NULL: memmem(p, n, "\r-", 2), but
 * memchr's word-at-a-time scan for the CR (once a line in CRLF text) costs
 * a fraction of glibc's memmem on a 2-byte needle (a 2 MB body: ~16 million
 * instructions in memmem, see docs/PERFORMANCE.md). */
static const char *
find_cr_dash(const char *p, size_t n)
{
	const char *end = p + n;

	while ((size_t)(end - p) >= 2 && (p = memchr(p, '\r', (size_t)(end - p) - 1)) != NULL) {
		if (p[1] == '-')
			return p;
		p++;
	}
	return NULL;
}

enum mime_status
mime_feed(struct mime_scan *s, const unsigned char *ubuf, size_t len)
{
	const char *buf = (const char *)ubuf;
	size_t i = 0;

	while (i < len && s->st != ST_STOP) {
		if (s->in_pad) {
			i += padding(s, buf + i, len - i);
			continue;
		}
		if (s->held_cr && !s->in_head && s->st == ST_BODY && s->nmulti > 0 && buf[i] == '-') {
			cr_line(s);       /* a bare CR ended the last chunk */
			continue;
		}
		if (s->bol && !s->in_head) {
			if (s->nmulti > 0 && buf[i] == '-') {
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
		if (s->st == ST_BODY && s->nmulti == 0) {
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
		const char *cr = s->st == ST_BODY ? find_cr_dash(buf + i, k) : NULL;
		if (cr != NULL) {
			/* a bare CR, then '-': a reader that ends lines at a bare
			 * CR may see a delimiter here */
			content(s, buf + i, (size_t)(cr - (buf + i)) + 1);
			i = (size_t)(cr - buf) + 1;
			cr_line(s);
			continue;
		}
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
	if (s->in_pad) {     /* a padded delimiter ends the message */
		s->in_pad = false;
		s->bol = true;
		boundary(s, s->pad_level, s->pad_close);
	}
	if (s->st == ST_STOP)
		return s->status;
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
	sb_init(&s->dup_ctype);
	sb_init(&s->dup_cdisp);
	sb_init(&s->dup_cte);
	sb_init(&s->ended);
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
	for (size_t i = 0; i < s->f.nparts; i++) {
		struct mime_part *p = &s->f.parts[i];
		free(p->filename);
		for (unsigned j = 0; j < p->nnames; j++)
			free(p->names[j]);
		free(p->names);
	}
	free(s->f.parts);
	free(s->stk);
	free(s->head);
	zip_free(s->zip);
	mime_scan_free(s->sub);
	ms_uu_free(s);
	sb_free(&s->ctype);
	sb_free(&s->cte);
	sb_free(&s->cdisp);
	sb_free(&s->dup_ctype);
	sb_free(&s->dup_cdisp);
	sb_free(&s->dup_cte);
	sb_free(&s->ended);
	free(s);
}

enum mime_status
mime_header(struct mime_scan *s, const char *name, size_t nlen, const char *value, size_t vlen)
{
	if (s->st != ST_HDR || s->nstk != 1)
		return s->status;
	if (nlen > sizeof(s->hname))
		return s->status;
	for (size_t i = 0; i < vlen; i++)
		if (value[i] == '\r' && (i + 1 == vlen || value[i + 1] != '\n')) {
			ms_violation(s, "bare CR in a MIME header");
			return s->status;
		}
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
