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
 * Called by check_attach.c and tests/tools/mimescan.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/mime.h"

static const char CRLF[] = "\r\n";   /* a held line break: the last 1 or 2 bytes */

enum sstate { ST_HDR, ST_BODY, ST_STOP };
enum hfield { HF_NONE = 0, HF_NAME, HF_CTYPE, HF_CTE, HF_CDISP };

struct ent {
	enum mime_kind kind;
	char *boundary;      /* owned, multipart only */
	size_t blen;
	bool closed;         /* close delimiter seen: now in the epilogue */
	bool digest;         /* multipart/digest: children default to message/rfc822 */
	bool hdr_done;
	size_t part;         /* index into facts.parts */
	unsigned depth;
};

struct mime_scan {
	struct mime_limits lim;
	mime_cb cb;
	void *ctx;
	struct mime_facts f;
	size_t partcap;
	struct ent *stk;
	size_t nstk;
	unsigned nbound;     /* open multiparts on the stack */
	enum sstate st;
	enum mime_status status;
	/* line machine */
	bool bol, in_head, held_cr;
	unsigned pend_eol;
	char *head;
	size_t headlen, headcap;
	/* header machine */
	size_t hline, hblock;
	enum hfield hf;
	char hname[32];
	size_t hnamelen;
	strbuf *hval;        /* where the current field's value goes, or NULL */
	strbuf ctype, cte, cdisp;
	bool have_ctype, have_cte, have_cdisp;
	/* leaf */
	struct mime_dec dec;
	struct zip_lister *zip;
	struct mime_scan *sub;  /* an encoded message/rfc822 part, parsed as decoded */
};

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
limit(struct mime_scan *s, enum mime_limit l, unsigned value, const char *what)
{
	if (s->st == ST_STOP)
		return;
	s->f.limit = l;
	snprintf(s->f.reason, sizeof(s->f.reason), "%s exceeds the limit of %u", what, value);
	s->st = ST_STOP;
	s->status = MIME_LIMIT;
}

static void
stop(struct mime_scan *s)
{
	if (s->st != ST_STOP) {
		s->st = ST_STOP;
		s->status = MIME_STOPPED;
	}
}

static struct ent *
top(struct mime_scan *s)
{
	return s->nstk ? &s->stk[s->nstk - 1] : NULL;
}

static struct mime_part *
top_part(struct mime_scan *s)
{
	return s->nstk ? &s->f.parts[s->stk[s->nstk - 1].part] : NULL;
}

/* ---- entities --------------------------------------------------------- */

static void
start_entity(struct mime_scan *s, unsigned depth, bool digest_child)
{
	struct ent *e;
	struct mime_part *p;

	if (s->f.nparts + 1 > s->lim.parts) {
		limit(s, MIME_LIM_PARTS, s->lim.parts, "number of MIME parts");
		return;
	}
	if (depth > s->lim.depth) {
		limit(s, MIME_LIM_DEPTH, s->lim.depth, "MIME nesting depth");
		return;
	}
	if (s->f.nparts == s->partcap) {
		s->partcap = s->partcap ? s->partcap * 2 : 8;
		s->f.parts = xrealloc(s->f.parts, s->partcap * sizeof(*s->f.parts));
	}
	p = &s->f.parts[s->f.nparts];
	memset(p, 0, sizeof(*p));
	p->depth = depth;
	strcpy(p->type, digest_child ? "message/rfc822" : "text/plain");
	e = &s->stk[s->nstk++];   /* room: depth limit + 2 entries */
	memset(e, 0, sizeof(*e));
	e->part = s->f.nparts++;
	e->depth = depth;
	if (depth > s->f.max_depth)
		s->f.max_depth = depth;
	s->st = ST_HDR;
	s->hline = s->hblock = 0;
	s->hf = HF_NONE;
	s->hval = NULL;
	s->have_ctype = s->have_cte = s->have_cdisp = false;
	sb_reset(&s->ctype);
	sb_reset(&s->cte);
	sb_reset(&s->cdisp);
}

static bool
ends_with_zip(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n >= 4 && strcasecmp(name + n - 4, ".zip") == 0;
}

static bool
zip_entry_cb(void *ctx, const struct zip_entry *z)
{
	struct mime_scan *s = ctx;

	return s->cb != NULL && s->cb(s->ctx, MIME_EV_ZIP_ENTRY, top_part(s), z);
}

/* The current entity's header is complete: type, name, encoding, kind. */
static void
headers_done(struct mime_scan *s)
{
	struct ent *e = top(s);
	struct mime_part *p = &s->f.parts[e->part];
	char tok[MIME_TYPE_MAX], disp[32];
	char *bbuf = xmalloc(s->lim.boundary + 1), *nbuf = xmalloc(s->lim.filename + 1);
	char *fbuf = xmalloc(s->lim.filename + 1);
	struct mime_pval ct[2] = {
		{ .name = "boundary", .buf = bbuf, .cap = s->lim.boundary + 1 },
		{ .name = "name", .buf = nbuf, .cap = s->lim.filename + 1 },
	};
	struct mime_pval fn = { .name = "filename", .buf = fbuf, .cap = s->lim.filename + 1 };
	bool digest_parent = s->nstk >= 2 && s->stk[s->nstk - 2].digest;

	e->hdr_done = true;
	s->st = ST_BODY;
	s->pend_eol = 0;
	if (s->have_ctype) {
		mime_parse_field(s->ctype.s, s->ctype.len, tok, sizeof(tok), ct, 2);
		if (ct[0].toolong) {
			limit(s, MIME_LIM_BOUNDARY, s->lim.boundary, "MIME boundary length");
			goto out;
		}
		const char *slash = strchr(tok, '/');
		if (slash != NULL && slash != tok && slash[1] != '\0')
			snprintf(p->type, sizeof(p->type), "%s", tok);
		else
			strcpy(p->type, digest_parent ? "message/rfc822" : "text/plain");
	}
	if (s->have_cdisp) {
		mime_parse_field(s->cdisp.s, s->cdisp.len, disp, sizeof(disp), &fn, 1);
		p->attachment = strcmp(disp, "attachment") == 0;
	}
	if (fn.toolong || (!fn.found && ct[1].toolong)) {
		limit(s, MIME_LIM_FILENAME, s->lim.filename, "attachment file name length");
		goto out;
	}
	if (fn.found || ct[1].found) {
		/* Content-Disposition's filename wins over Content-Type's name */
		const struct mime_pval *v = fn.found ? &fn : &ct[1];
		if (v->len > 0)
			p->filename = xstrndup(v->buf, v->len);
	}
	p->enc = s->have_cte ? mime_parse_enc(s->cte.s, s->cte.len) : ENC_7BIT;
	if (strncmp(p->type, "multipart/", 10) == 0 && ct[0].found && ct[0].len > 0) {
		p->kind = e->kind = MIME_MULTIPART;
		e->boundary = xstrndup(ct[0].buf, ct[0].len);
		e->blen = ct[0].len;
		e->digest = strcmp(p->type, "multipart/digest") == 0;
		s->nbound++;
	} else if ((strcmp(p->type, "message/rfc822") == 0 || strcmp(p->type, "message/global") == 0) &&
	    p->enc != ENC_BASE64 && p->enc != ENC_QP) {
		p->kind = e->kind = MIME_MESSAGE;
	} else if (strcmp(p->type, "message/rfc822") == 0 || strcmp(p->type, "message/global") == 0) {
		/* base64 / QP encoded message: a leaf here, whose decoded bytes
		 * a nested scanner reads as a message within what is left of
		 * the limits; its parts join this message's at the end */
		p->kind = e->kind = MIME_LEAF;
		mime_dec_init(&s->dec, p->enc);
		if (e->depth + 1 <= s->lim.depth && s->f.nparts < s->lim.parts) {
			struct mime_limits sl = s->lim;
			sl.depth = s->lim.depth - (e->depth + 1);
			sl.parts = s->lim.parts - (unsigned)s->f.nparts;
			s->sub = mime_scan_new(&sl, false, s->cb, s->ctx);
		}
	} else {
		p->kind = e->kind = MIME_LEAF;
		mime_dec_init(&s->dec, p->enc);
		p->is_zip = strcmp(p->type, "application/zip") == 0 ||
		    strcmp(p->type, "application/x-zip-compressed") == 0 ||
		    strcmp(p->type, "application/x-zip") == 0 || ends_with_zip(p->filename);
		if (p->is_zip)
			s->zip = zip_new(s->lim.zip_entries, zip_entry_cb, s);
	}
	if (s->cb != NULL && s->cb(s->ctx, MIME_EV_PART, p, NULL)) {
		stop(s);
		goto out;
	}
	if (e->kind == MIME_MESSAGE)
		start_entity(s, e->depth + 1, false);
out:
	free(bbuf);
	free(nbuf);
	free(fbuf);
}

static void
sub_feed_finish(struct mime_scan *s, struct mime_scan *sub)
{
	if (mime_finish(sub) == MIME_LIMIT) {
		s->f.limit = sub->f.limit;
		memcpy(s->f.reason, sub->f.reason, sizeof(s->f.reason));
		s->st = ST_STOP;
		s->status = MIME_LIMIT;
	} else if (sub->status == MIME_STOPPED) {
		stop(s);
	}
}

/* Decoded bytes of an encoded message part go to its own scanner. */
static void
sub_feed(struct mime_scan *s, const unsigned char *p, size_t n)
{
	switch (mime_feed(s->sub, p, n)) {
	case MIME_LIMIT:
		s->f.limit = s->sub->f.limit;
		memcpy(s->f.reason, s->sub->f.reason, sizeof(s->f.reason));
		s->st = ST_STOP;
		s->status = MIME_LIMIT;
		break;
	case MIME_STOPPED:
		stop(s);
		break;
	default:
		break;
	}
}

/* The encoded message ended: its parts join ours, depth + base. */
static void
sub_done(struct mime_scan *s, unsigned base)
{
	struct mime_scan *sub = s->sub;

	s->sub = NULL;
	if (s->st != ST_STOP)
		sub_feed_finish(s, sub);
	for (size_t i = 0; i < sub->f.nparts; i++) {
		struct mime_part *q = &sub->f.parts[i];
		if (s->f.nparts == s->partcap) {
			s->partcap = s->partcap ? s->partcap * 2 : 8;
			s->f.parts = xrealloc(s->f.parts, s->partcap * sizeof(*s->f.parts));
		}
		s->f.parts[s->f.nparts] = *q;
		s->f.parts[s->f.nparts++].depth += base;
		q->filename = NULL;      /* ownership moved */
	}
	if (sub->f.nparts > 0 && sub->f.max_depth + base > s->f.max_depth)
		s->f.max_depth = sub->f.max_depth + base;
	s->f.unterminated = s->f.unterminated || sub->f.unterminated;
	mime_scan_free(sub);
}

static void
end_entity(struct mime_scan *s)
{
	struct ent *e = top(s);
	struct mime_part *p = &s->f.parts[e->part];

	if (!e->hdr_done && s->st != ST_STOP)
		headers_done(s);
	e = top(s);          /* headers_done may have pushed a message body */
	if (e->part != (size_t)(p - s->f.parts))
		return;          /* the caller's loop closes that child first */
	if (e->kind == MIME_LEAF && e->hdr_done) {
		unsigned char tail[MIME_DEC_SLACK];
		size_t n = mime_dec_finish(&s->dec, tail);
		p->dec_size += n;
		s->f.total_decoded += n;
		if (s->zip != NULL) {
			if (n > 0 && s->st != ST_STOP)
				zip_feed(s->zip, tail, n);
			p->zip_entries = zip_count(s->zip);
			p->zip_encrypted = zip_encrypted(s->zip);
			p->zip_broken = zip_broken(s->zip);
			zip_free(s->zip);
			s->zip = NULL;
		}
		if (s->sub != NULL) {
			if (n > 0 && s->st != ST_STOP)
				sub_feed(s, tail, n);
			sub_done(s, e->depth + 1);
			p = &s->f.parts[e->part];   /* the parts array may have moved */
		}
		if (s->st != ST_STOP && s->cb != NULL && s->cb(s->ctx, MIME_EV_PART_END, p, NULL))
			stop(s);
	}
	if (e->kind == MIME_MULTIPART) {
		if (!e->closed) {
			s->f.unterminated = true;
			s->nbound--;
		}
		free(e->boundary);
	}
	s->nstk--;
}

/* Close entities until only keep remain. */
static void
close_to(struct mime_scan *s, size_t keep)
{
	while (s->nstk > keep)
		end_entity(s);
}

/* ---- header lines ----------------------------------------------------- */

static void
field_name_done(struct mime_scan *s)
{
	size_t n = s->hnamelen;

	while (n > 0 && (s->hname[n - 1] == ' ' || s->hname[n - 1] == '\t'))
		n--;
	s->hval = NULL;
	s->hf = HF_NONE;
	if (mem_caseeq(s->hname, n, "content-type") && !s->have_ctype) {
		s->hf = HF_CTYPE;
		s->have_ctype = true;
		s->hval = &s->ctype;
	} else if (mem_caseeq(s->hname, n, "content-transfer-encoding") && !s->have_cte) {
		s->hf = HF_CTE;
		s->have_cte = true;
		s->hval = &s->cte;
	} else if (mem_caseeq(s->hname, n, "content-disposition") && !s->have_cdisp) {
		s->hf = HF_CDISP;
		s->have_cdisp = true;
		s->hval = &s->cdisp;
	}
}

static void
hdr_bytes(struct mime_scan *s, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (s->hline == 0 && p[0] != ' ' && p[0] != '\t') {
		s->hf = HF_NAME;             /* a new field */
		s->hnamelen = 0;
		s->hval = NULL;
	}
	s->hline += n;
	s->hblock += n;
	if (s->hline > s->lim.header_line) {
		limit(s, MIME_LIM_HEADER_LINE, s->lim.header_line, "MIME header line length");
		return;
	}
	if (s->hblock > s->lim.header_bytes) {
		limit(s, MIME_LIM_HEADER_BYTES, s->lim.header_bytes, "MIME header block size");
		return;
	}
	if (s->hf == HF_NAME) {
		const char *colon = memchr(p, ':', n);
		size_t k = colon ? (size_t)(colon - p) : n;
		for (size_t i = 0; i < k && s->hnamelen < sizeof(s->hname); i++)
			s->hname[s->hnamelen++] = p[i];
		if (colon == NULL)
			return;
		field_name_done(s);
		p += k + 1;
		n -= k + 1;
	}
	if (s->hval != NULL)
		sb_append(s->hval, p, n);
}

static void
hdr_eol(struct mime_scan *s, unsigned eol)
{
	if (s->hline == 0) {
		headers_done(s);
		return;
	}
	if (s->hf == HF_NAME)     /* a line without a colon: not a field */
		s->hf = HF_NONE;
	s->hblock += eol;    /* unfolding removes the line break only */
	s->hline = 0;
}

/* ---- body bytes ------------------------------------------------------- */

static void
leaf_bytes(struct mime_scan *s, const unsigned char *p, size_t n)
{
	struct mime_part *mp = top_part(s);
	unsigned char out[4096 + MIME_DEC_SLACK];
	size_t got;

	mp->enc_size += n;
	if (s->zip == NULL && s->sub == NULL) {
		got = mime_dec_feed(&s->dec, p, n, NULL);
		mp->dec_size += got;
		s->f.total_decoded += got;
		return;
	}
	for (size_t i = 0; i < n && s->st != ST_STOP; i += 4096) {
		size_t k = n - i < 4096 ? n - i : 4096;
		got = mime_dec_feed(&s->dec, p + i, k, out);
		mp = top_part(s);
		mp->dec_size += got;
		s->f.total_decoded += got;
		if (s->sub != NULL) {
			sub_feed(s, out, got);
			continue;
		}
		switch (zip_feed(s->zip, out, got)) {
		case ZIP_TOOMANY:
			limit(s, MIME_LIM_ZIP_ENTRIES, s->lim.zip_entries, "number of zip entries");
			break;
		case ZIP_STOP:
			stop(s);
			break;
		default:
			break;
		}
	}
}

/* Line content that is not a boundary goes to the header or body. */
static void
consume(struct mime_scan *s, const char *p, size_t n)
{
	if (s->st == ST_HDR) {
		hdr_bytes(s, p, n);
	} else if (s->st == ST_BODY && n > 0) {
		struct ent *e = top(s);
		if (e != NULL && e->kind == MIME_LEAF)
			leaf_bytes(s, (const unsigned char *)p, n);
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
		hdr_eol(s, eol);
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
	close_to(s, k + 1);
	if (s->st == ST_STOP)
		return;
	if (close) {
		s->stk[k].closed = true;
		s->nbound--;
		s->st = ST_BODY;
		return;
	}
	start_entity(s, s->stk[k].depth + 1, s->stk[k].digest);
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
		hdr_eol(s, 0);
	if (s->pend_eol && s->st == ST_BODY)
		consume(s, &CRLF[2 - s->pend_eol], s->pend_eol);
	s->pend_eol = 0;
	while (s->nstk > 0 && s->st != ST_STOP)
		end_entity(s);
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
	start_entity(s, 0, false);
	(void)headers_fed;    /* both ways start in the header state */
	return s;
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
	field_name_done(s);
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
		headers_done(s);
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
