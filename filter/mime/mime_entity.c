/*
 * mime_entity.c - the MIME scanner's entities: a part's header lines (only
 * the three Content-* fields are kept), what the header makes of the part
 * (type, file name, encoding; multipart, message or leaf), the leaf's
 * decoding and zip listing, a nested scanner for a base64/QP-encoded
 * message, and closing parts (sizes final, events).  Limits are checked
 * here as the header is read.  Called by mime.c only (mime_int.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_int.h"

void
ms_limit(struct mime_scan *s, enum mime_limit l, unsigned value, const char *what)
{
	if (s->st == ST_STOP)
		return;
	s->f.limit = l;
	snprintf(s->f.reason, sizeof(s->f.reason), "%s exceeds the limit of %u", what, value);
	s->st = ST_STOP;
	s->status = MIME_LIMIT;
}

/* Malformed structure that clients read differently: a limit decision. */
void
ms_violation(struct mime_scan *s, const char *what)
{
	if (s->st == ST_STOP)
		return;
	s->f.limit = MIME_LIM_SYNTAX;
	snprintf(s->f.reason, sizeof(s->f.reason), "malformed MIME: %s", what);
	s->st = ST_STOP;
	s->status = MIME_LIMIT;
}

void
ms_stop(struct mime_scan *s)
{
	if (s->st != ST_STOP) {
		s->st = ST_STOP;
		s->status = MIME_STOPPED;
	}
}

struct ent *
ms_top(struct mime_scan *s)
{
	return s->nstk ? &s->stk[s->nstk - 1] : NULL;
}

struct mime_part *
ms_top_part(struct mime_scan *s)
{
	return s->nstk ? &s->f.parts[s->stk[s->nstk - 1].part] : NULL;
}

/* ---- entities --------------------------------------------------------- */

void
ms_start_entity(struct mime_scan *s, unsigned depth, bool digest_child)
{
	struct ent *e;
	struct mime_part *p;

	if (s->f.nparts + 1 > s->lim.parts) {
		ms_limit(s, MIME_LIM_PARTS, s->lim.parts, "number of MIME parts");
		return;
	}
	if (depth > s->lim.depth) {
		ms_limit(s, MIME_LIM_DEPTH, s->lim.depth, "MIME nesting depth");
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
	sb_reset(&s->dup_ctype);
	sb_reset(&s->dup_cdisp);
	sb_reset(&s->dup_cte);
}

static bool
ends_with_zip(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n >= 4 && strcasecmp(name + n - 4, ".zip") == 0;
}

/* A part whose decoded bytes go to the text callback. */
static bool
ms_text_part(const struct mime_part *mp)
{
	return mp->kind == MIME_LEAF && !mp->attachment && strncmp(mp->type, "text/", 5) == 0;
}

static bool
zip_entry_cb(void *ctx, const struct zip_entry *z)
{
	struct mime_scan *s = ctx;

	return s->cb != NULL && s->cb(s->ctx, MIME_EV_ZIP_ENTRY, ms_top_part(s), z);
}

/* A nested scanner whose parts will sit at depth and below, within what is
 * left of the limits; NULL (and the limit crossed) when there is no room
 * for its own entity, as an unencoded message/rfc822 part would cross it. */
struct mime_scan *
ms_sub_new(struct mime_scan *s, unsigned depth)
{
	struct mime_limits sl = s->lim;
	struct mime_scan *sub;

	if (depth > s->lim.depth) {
		ms_limit(s, MIME_LIM_DEPTH, s->lim.depth, "MIME nesting depth");
		return NULL;
	}
	if (s->f.nparts >= s->lim.parts) {
		ms_limit(s, MIME_LIM_PARTS, s->lim.parts, "number of MIME parts");
		return NULL;
	}
	sl.depth = s->lim.depth - depth;
	sl.parts = s->lim.parts - (unsigned)s->f.nparts;
	sub = mime_scan_new(&sl, false, s->cb, s->ctx);
	mime_set_text_cb(sub, s->text_cb, s->text_ctx);
	return sub;
}

/* What the header makes of the part: multipart, message or leaf. */
static void
set_kind(struct mime_scan *s, struct ent *e, struct mime_part *p, const struct mime_pval *bnd)
{
	/* every message/ subtype is read as a message (Python's email package
	 * does; a reader that shows it as one must not show an unscreened
	 * attachment), except a fragment: message/partial cannot be screened
	 * until it is put together, so it is refused as malformed */
	bool message = strncmp(p->type, "message/", 8) == 0;

	if (strcmp(p->type, "message/partial") == 0) {
		ms_violation(s, "message/partial (a fragment) cannot be screened");
		return;
	}
	if (strncmp(p->type, "multipart/", 10) == 0 && bnd->found && bnd->len > 0) {
		p->kind = e->kind = MIME_MULTIPART;
		e->boundary = xstrndup(bnd->buf, bnd->len);
		e->blen = bnd->len;
		e->digest = strcmp(p->type, "multipart/digest") == 0;
		s->nbound++;
		s->nmulti++;
	} else if (message && !MIME_ENC_DECODED(p->enc)) {
		p->kind = e->kind = MIME_MESSAGE;
	} else if (message) {
		/* base64 / QP encoded message: a leaf here, whose decoded bytes
		 * a nested scanner reads as a message within what is left of
		 * the limits; its parts join this message's at the end */
		p->kind = e->kind = MIME_LEAF;
		mime_dec_init(&s->dec, p->enc);
		s->nmagic = 4;
		s->sub = ms_sub_new(s, e->depth + 1);
	} else {
		p->kind = e->kind = MIME_LEAF;
		mime_dec_init(&s->dec, p->enc);
		p->is_zip = strcmp(p->type, "application/zip") == 0 ||
		    strcmp(p->type, "application/x-zip-compressed") == 0 ||
		    strcmp(p->type, "application/x-zip") == 0 || ends_with_zip(p->filename);
		if (p->is_zip)
			s->zip = zip_new(s->lim.zip_entries, zip_entry_cb, s);
		s->nmagic = p->is_zip ? 4 : 0;   /* else look at the first bytes */
		/* a client shows uuencoded blocks in a plain-text body as files */
		s->uu.on = !p->attachment && strcmp(p->type, "text/plain") == 0;
	}
}

struct names_ctx {
	struct mime_part *p;
	bool toolong;
};

/* One name a client may show: kept unless it is the file name or known. */
static void
add_name(void *ctx, const char *v, size_t n, bool toolong)
{
	struct names_ctx *nc = ctx;
	struct mime_part *p = nc->p;

	if (toolong) {
		nc->toolong = true;
		return;
	}
	if (n == 0 || (p->filename != NULL && strlen(p->filename) == n && memcmp(p->filename, v, n) == 0))
		return;
	for (unsigned i = 0; i < p->nnames; i++)
		if (strlen(p->names[i]) == n && memcmp(p->names[i], v, n) == 0)
			return;
	p->names = xrealloc(p->names, (p->nnames + 1) * sizeof(*p->names));
	p->names[p->nnames++] = xstrndup(v, n);
}

/* Every name of the part a reader may show: both parameters, each of their
 * forms (filename= twice, filename*= beside filename=, sections); false if
 * one is over the file name limit. */
static bool
all_names(struct mime_scan *s, struct mime_part *p, char *buf)
{
	struct names_ctx nc = { .p = p };

	if (s->have_cdisp)
		mime_param_variants(s->cdisp.s, s->cdisp.len, "filename", buf, s->lim.filename + 1,
		    add_name, &nc);
	if (s->have_ctype)
		mime_param_variants(s->ctype.s, s->ctype.len, "name", buf, s->lim.filename + 1,
		    add_name, &nc);
	for (int d = 0; d < 2; d++) {   /* the later fields of each, one by one */
		const strbuf *sb = d ? &s->dup_cdisp : &s->dup_ctype;
		for (size_t i = 0; i < sb->len;) {
			const char *nl = memchr(sb->s + i, '\n', sb->len - i);
			size_t e = nl ? (size_t)(nl - sb->s) : sb->len;
			mime_param_variants(sb->s + i, e - i, d ? "filename" : "name", buf,
			    s->lim.filename + 1, add_name, &nc);
			i = e + 1;
		}
	}
	return !nc.toolong;
}

struct bnd_ctx {
	const char *b;       /* the boundary the scanner follows */
	size_t blen;
	bool differ;
};

static void
cmp_boundary(void *ctx, const char *v, size_t n, bool toolong)
{
	struct bnd_ctx *bc = ctx;

	if (toolong || n != bc->blen || memcmp(v, bc->b, n) != 0)
		bc->differ = true;
}

/* Does any form of a boundary parameter (each occurrence, RFC 2231
 * sections, the quoted and cut variants), in the Content-Type field or a
 * later one, name another boundary than e's?  Readers take the first, the
 * last, or the sections before the plain value (Python: the plain value;
 * postern: the sections), so the parts a reader shows are not the ones
 * screened. */
static bool
boundary_disagrees(struct mime_scan *s, const struct ent *e, char *buf)
{
	struct bnd_ctx bc = { .b = e->boundary, .blen = e->blen };

	mime_param_variants(s->ctype.s, s->ctype.len, "boundary", buf, s->lim.boundary + 1,
	    cmp_boundary, &bc);
	for (size_t i = 0; i < s->dup_ctype.len && !bc.differ;) {
		const char *l = s->dup_ctype.s + i, *nl = memchr(l, '\n', s->dup_ctype.len - i);
		size_t n = nl ? (size_t)(nl - l) : s->dup_ctype.len - i;
		mime_param_variants(l, n, "boundary", buf, s->lim.boundary + 1, cmp_boundary, &bc);
		i += n + 1;
	}
	return bc.differ;
}

/* A later Content-Type or Content-Transfer-Encoding field that says other
 * than the first: clients differ on which one wins (some read the last), so
 * the part they decode or show is not the one screened.  Fields that agree
 * (a charset parameter aside) are harmless; boundary parameters must agree
 * too (boundary_disagrees()). */
static const char *
disagree(struct mime_scan *s, const struct ent *e, const char *type, enum mime_enc enc,
    char *bbuf)
{
	char tok[MIME_TYPE_MAX];

	for (size_t i = 0; i < s->dup_ctype.len;) {
		const char *l = s->dup_ctype.s + i, *nl = memchr(l, '\n', s->dup_ctype.len - i);
		size_t n = nl ? (size_t)(nl - l) : s->dup_ctype.len - i;
		mime_parse_field(l, n, tok, sizeof(tok), NULL, 0);
		if (strcasecmp(tok, type) != 0)
			return "two Content-Type fields that disagree";
		i += n + 1;
	}
	for (size_t i = 0; i < s->dup_cte.len;) {
		const char *l = s->dup_cte.s + i, *nl = memchr(l, '\n', s->dup_cte.len - i);
		size_t n = nl ? (size_t)(nl - l) : s->dup_cte.len - i;
		if (mime_parse_enc(l, n) != enc)
			return "two Content-Transfer-Encoding fields that disagree";
		i += n + 1;
	}
	if (e->kind == MIME_MULTIPART && boundary_disagrees(s, e, bbuf))
		return "boundary parameters that disagree";
	return NULL;
}

/* The current entity's header is complete: type, name, encoding, kind. */
void
ms_headers_done(struct mime_scan *s)
{
	struct ent *e = ms_top(s);
	struct mime_part *p = &s->f.parts[e->part];
	char tok[MIME_TYPE_MAX], disp[32];
	char *bbuf = xmalloc(s->lim.boundary + 1), *nbuf = xmalloc(s->lim.filename + 1);
	char *fbuf = xmalloc(s->lim.filename + 1);
	char cbuf[MIME_CHARSET_MAX];
	struct mime_pval ct[3] = {
		{ .name = "boundary", .buf = bbuf, .cap = s->lim.boundary + 1 },
		{ .name = "name", .buf = nbuf, .cap = s->lim.filename + 1 },
		{ .name = "charset", .buf = cbuf, .cap = sizeof(cbuf) },
	};
	struct mime_pval fn = { .name = "filename", .buf = fbuf, .cap = s->lim.filename + 1 };
	bool digest_parent = s->nstk >= 2 && s->stk[s->nstk - 2].digest;

	e->hdr_done = true;
	s->st = ST_BODY;
	s->pend_eol = 0;
	if (s->have_ctype) {
		mime_parse_field(s->ctype.s, s->ctype.len, tok, sizeof(tok), ct, 3);
		if (ct[2].found && !ct[2].toolong)
			snprintf(p->charset, sizeof(p->charset), "%.*s", (int)ct[2].len, cbuf);
		if (ct[0].toolong) {
			ms_limit(s, MIME_LIM_BOUNDARY, s->lim.boundary, "MIME boundary length");
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
		ms_limit(s, MIME_LIM_FILENAME, s->lim.filename, "attachment file name length");
		goto out;
	}
	if (fn.found || ct[1].found) {
		/* Content-Disposition's filename wins over Content-Type's name */
		const struct mime_pval *v = fn.found ? &fn : &ct[1];
		if (v->len > 0)
			p->filename = xstrndup(v->buf, v->len);
	}
	if (!all_names(s, p, fbuf)) {
		ms_limit(s, MIME_LIM_FILENAME, s->lim.filename, "attachment file name length");
		goto out;
	}
	p->enc = s->have_cte ? mime_parse_enc(s->cte.s, s->cte.len) : ENC_7BIT;
	set_kind(s, e, p, &ct[0]);
	if (s->cb != NULL && s->cb(s->ctx, MIME_EV_PART, p, NULL)) {
		ms_stop(s);
		goto out;
	}
	/* after the part's names were screened: a blocked name says more */
	const char *why = disagree(s, e, s->have_ctype ? tok : "", p->enc, bbuf);
	if (why != NULL) {
		ms_violation(s, why);
		goto out;
	}
	if (e->kind == MIME_MESSAGE)
		ms_start_entity(s, e->depth + 1, false);
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
		ms_stop(s);
	}
}

/* Decoded bytes of an encoded message part (or of a uuencoded block in a
 * text body) go to its own scanner; its limit is ours. */
void
ms_sub_feed(struct mime_scan *s, struct mime_scan *sub, const unsigned char *p, size_t n)
{
	switch (mime_feed(sub, p, n)) {
	case MIME_LIMIT:
		s->f.limit = sub->f.limit;
		memcpy(s->f.reason, sub->f.reason, sizeof(s->f.reason));
		s->st = ST_STOP;
		s->status = MIME_LIMIT;
		break;
	case MIME_STOPPED:
		ms_stop(s);
		break;
	default:
		break;
	}
}

/* A nested scanner's input ended: its parts join ours, depth + base, and
 * it is freed. */
void
ms_sub_merge(struct mime_scan *s, struct mime_scan *sub, unsigned base)
{
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
		q->names = NULL;
		q->nnames = 0;
	}
	if (sub->f.nparts > 0 && sub->f.max_depth + base > s->f.max_depth)
		s->f.max_depth = sub->f.max_depth + base;
	s->f.unterminated = s->f.unterminated || sub->f.unterminated;
	mime_scan_free(sub);
}

void
ms_end_entity(struct mime_scan *s)
{
	struct ent *e = ms_top(s);
	struct mime_part *p = &s->f.parts[e->part];

	if (!e->hdr_done && s->st != ST_STOP)
		ms_headers_done(s);
	e = ms_top(s);          /* headers_done may have pushed a message body */
	if (e->part != (size_t)(p - s->f.parts))
		return;          /* the caller's loop closes that child first */
	if (e->kind == MIME_LEAF && e->hdr_done) {
		unsigned char tail[MIME_DEC_SLACK];
		size_t n = mime_dec_finish(&s->dec, tail);
		p->dec_size += n;
		s->f.total_decoded += n;
		if (n > 0 && s->st != ST_STOP && s->text_cb != NULL && ms_text_part(p))
			s->text_cb(s->text_ctx, p, tail, n);
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
			struct mime_scan *sub = s->sub;
			s->sub = NULL;
			if (n > 0 && s->st != ST_STOP)
				ms_sub_feed(s, sub, tail, n);
			ms_sub_merge(s, sub, e->depth + 1);
			p = &s->f.parts[e->part];   /* the parts array may have moved */
		}
		if (s->uu.on) {
			if (n > 0 && s->st != ST_STOP)
				ms_uu_text(s, tail, n);
			ms_uu_end(s);
			p = &s->f.parts[e->part];
		}
		if (s->st != ST_STOP && s->cb != NULL && s->cb(s->ctx, MIME_EV_PART_END, p, NULL))
			ms_stop(s);
	}
	if (e->kind == MIME_MULTIPART) {
		if (!e->closed) {
			s->f.unterminated = true;
			s->nbound--;
			if (s->st != ST_STOP) {   /* remember it: see ended_delimiter() */
				sb_append(&s->ended, (const char *)&e->blen, sizeof(e->blen));
				sb_append(&s->ended, e->boundary, e->blen);
			}
		}
		s->nmulti--;
		free(e->boundary);
	}
	s->nstk--;
}

/* Close entities until only keep remain. */
void
ms_close_to(struct mime_scan *s, size_t keep)
{
	while (s->nstk > keep)
		ms_end_entity(s);
}

/* ---- header lines ----------------------------------------------------- */

void
ms_field_name_done(struct mime_scan *s)
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
	} else if (mem_caseeq(s->hname, n, "content-type") || mem_caseeq(s->hname, n, "content-disposition")) {
		/* a second field: the first decides the type, but a client that
		 * reads the last one shows its name, so its names are kept */
		s->hval = (n == 12) ? &s->dup_ctype : &s->dup_cdisp;
		if (s->hval->len > 0)
			sb_putc(s->hval, '\n');
	} else if (mem_caseeq(s->hname, n, "content-transfer-encoding")) {
		s->hval = &s->dup_cte;   /* compared with the first (disagree()) */
		if (s->hval->len > 0)
			sb_putc(s->hval, '\n');
	}
}

void
ms_hdr_bytes(struct mime_scan *s, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (memchr(p, '\r', n) != NULL) {
		/* only a bare CR reaches here (a CR before LF is the line end):
		 * a reader that ends lines at it sees other header fields */
		ms_violation(s, "bare CR in a MIME header");
		return;
	}
	if (s->hline == 0 && p[0] != ' ' && p[0] != '\t') {
		s->hf = HF_NAME;             /* a new field */
		s->hnamelen = 0;
		s->hval = NULL;
	}
	s->hline += n;
	s->hblock += n;
	if (s->hline > s->lim.header_line) {
		ms_limit(s, MIME_LIM_HEADER_LINE, s->lim.header_line, "MIME header line length");
		return;
	}
	if (s->hblock > s->lim.header_bytes) {
		ms_limit(s, MIME_LIM_HEADER_BYTES, s->lim.header_bytes, "MIME header block size");
		return;
	}
	if (s->hf == HF_NAME) {
		const char *colon = memchr(p, ':', n);
		size_t k = colon ? (size_t)(colon - p) : n;
		for (size_t i = 0; i < k && s->hnamelen < sizeof(s->hname); i++)
			s->hname[s->hnamelen++] = p[i];
		if (colon == NULL)
			return;
		ms_field_name_done(s);
		p += k + 1;
		n -= k + 1;
	}
	if (s->hval != NULL)
		sb_append(s->hval, p, n);
}

void
ms_hdr_eol(struct mime_scan *s, unsigned eol)
{
	if (s->hline == 0) {
		ms_headers_done(s);
		return;
	}
	if (s->hf == HF_NAME)     /* a line without a colon: not a field */
		s->hf = HF_NONE;
	s->hblock += eol;    /* unfolding removes the line break only */
	s->hline = 0;
}

/* ---- body bytes ------------------------------------------------------- */

static void
zip_bytes(struct mime_scan *s, const unsigned char *p, size_t n)
{
	switch (zip_feed(s->zip, p, n)) {
	case ZIP_TOOMANY:
		ms_limit(s, MIME_LIM_ZIP_ENTRIES, s->lim.zip_entries, "number of zip entries");
		break;
	case ZIP_STOP:
		ms_stop(s);
		break;
	default:
		break;
	}
}

/*
 * The first decoded bytes of a part not typed or named as a zip: an archive
 * renamed to .pdf or sent as application/octet-stream is listed too.
 * Returns true while the part still needs its decoded bytes.
 */
static bool
sniff(struct mime_scan *s, struct mime_part *mp, const unsigned char *out, size_t got)
{
	size_t take = 4 - s->nmagic < got ? 4 - s->nmagic : got;

	memcpy(s->magic + s->nmagic, out, take);
	s->nmagic += take;
	if (s->nmagic < 4)
		return true;
	if (memcmp(s->magic, "PK\3\4", 4) != 0)
		return false;
	mp->is_zip = true;
	s->zip = zip_new(s->lim.zip_entries, zip_entry_cb, s);
	zip_bytes(s, s->magic, 4);
	if (s->st != ST_STOP && got > take)
		zip_bytes(s, out + take, got - take);
	return true;
}

void
ms_leaf_bytes(struct mime_scan *s, const unsigned char *p, size_t n)
{
	struct mime_part *mp = ms_top_part(s);
	unsigned char out[4096 + MIME_DEC_SLACK];
	size_t got, i;
	bool text = s->text_cb != NULL && ms_text_part(mp);

	mp->enc_size += n;
	for (i = 0; i < n && s->st != ST_STOP; i += 4096) {
		size_t k = n - i < 4096 ? n - i : 4096;
		if (s->zip == NULL && s->sub == NULL && s->nmagic == 4 && !text && !s->uu.on)
			break;       /* nothing needs the bytes: count the rest */
		got = mime_dec_feed(&s->dec, p + i, k, out);
		mp->dec_size += got;
		s->f.total_decoded += got;
		if (text && got > 0)
			s->text_cb(s->text_ctx, mp, out, got);
		if (s->uu.on && got > 0) {
			ms_uu_text(s, out, got);
			/* a uuencoded or yEnc block that ended joined its parts to
			 * ours: the parts array may have moved */
			mp = ms_top_part(s);
		}
		if (s->sub != NULL)
			ms_sub_feed(s, s->sub, out, got);
		else if (s->zip != NULL)
			zip_bytes(s, out, got);
		else if (!sniff(s, mp, out, got))
			s->nmagic = 4;
	}
	if (i < n && s->st != ST_STOP) {
		got = mime_dec_feed(&s->dec, p + i, n - i, NULL);
		mp->dec_size += got;
		s->f.total_decoded += got;
	}
}

/* Line content that is not a boundary goes to the header or body. */
