/*
 * mime_uu.c - uuencoded blocks inside a text/plain body.
 *
 * Thunderbird (libmime's untyped-text object) and Outlook show a block
 *     begin 644 name.exe
 *     M...
 *     end
 * inside a plain-text body as an attachment called name.exe.  What a client
 * shows is screened, so each such block becomes a part of its own: a nested
 * scanner gets a made-up header (application/octet-stream, the block's name,
 * x-uuencode) and the block's lines, and decodes, sniffs and lists it like
 * any uuencoded part; its parts join the message's at the text part's depth
 * + 1 (sub_merge), inside what is left of the part and depth limits.
 *
 * Bounded: one line head of UU_HEAD bytes is kept while looking for a begin
 * line; inside a block the bytes go straight to the nested scanner.
 */
#include "mime_int.h"

#include <stdio.h>
#include <string.h>

/* "begin" SP 3*4 octal digits SP name: the name's offset, else 0. */
static size_t
begin_line(const char *l, size_t n)
{
	size_t i = 6, d = 0;

	if (n < 11 || memcmp(l, "begin ", 6) != 0)
		return 0;
	while (i < n && l[i] >= '0' && l[i] <= '7' && d < 5)
		i++, d++;
	if (d < 3 || d > 4 || i >= n || l[i] != ' ')
		return 0;
	while (i < n && l[i] == ' ')
		i++;
	return i < n ? i : 0;
}

/* The nested scanner for one block, given its header. */
static void
block_start(struct mime_scan *s, const char *name, size_t n)
{
	struct mime_part *tp = ms_top_part(s);
	struct mime_limits sl = s->lim;
	char hdr[64 + 2 * MIME_UU_NAME_MAX];
	size_t o;

	if (tp->depth + 1 > s->lim.depth) {
		ms_limit(s, MIME_LIM_DEPTH, s->lim.depth, "MIME nesting depth");
		return;
	}
	if (s->f.nparts >= s->lim.parts) {
		ms_limit(s, MIME_LIM_PARTS, s->lim.parts, "number of MIME parts");
		return;
	}
	if (n > s->lim.filename || n > MIME_UU_NAME_MAX) {
		ms_limit(s, MIME_LIM_FILENAME, s->lim.filename, "attachment file name length");
		return;
	}
	o = (size_t)snprintf(hdr, sizeof(hdr), "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"");
	for (size_t i = 0; i < n; i++) {   /* a quoted-string: \ and " escaped */
		if (name[i] == '"' || name[i] == '\\')
			hdr[o++] = '\\';
		hdr[o++] = name[i];
	}
	o += (size_t)snprintf(hdr + o, sizeof(hdr) - o,
	    "\"\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n");
	sl.depth = s->lim.depth - (tp->depth + 1);
	sl.parts = s->lim.parts - (unsigned)s->f.nparts;
	s->uu.sub = mime_scan_new(&sl, false, s->cb, s->ctx);
	s->uu.base = tp->depth + 1;
	ms_sub_feed(s, s->uu.sub, (const unsigned char *)hdr, o);
}

/* The block ended (its "end" line, or the text part did). */
static void
block_end(struct mime_scan *s)
{
	struct mime_scan *sub = s->uu.sub;

	s->uu.sub = NULL;
	ms_sub_merge(s, sub, s->uu.base);
}

/* A complete line head outside a block (without its line break). */
static void
outside_line(struct mime_scan *s, const char *l, size_t n)
{
	size_t at;

	if ((at = begin_line(l, n)) == 0)
		return;
	block_start(s, l + at, n - at);
	if (s->uu.sub != NULL && s->st != ST_STOP) {
		ms_sub_feed(s, s->uu.sub, (const unsigned char *)l, n);
		ms_sub_feed(s, s->uu.sub, (const unsigned char *)"\r\n", 2);
	}
}

void
ms_uu_text(struct mime_scan *s, const unsigned char *p, size_t n)
{
	struct mime_uu *u = &s->uu;

	for (size_t i = 0; i < n && s->st != ST_STOP;) {
		const unsigned char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;   /* this piece of the line: i .. e */

		for (size_t k = i; k < e; k++) {         /* the line's head */
			if (u->headlen < sizeof(u->head))
				u->head[u->headlen++] = (char)p[k];
			else
				u->overlong = true;
		}
		if (u->sub != NULL)   /* inside a block: its bytes go on */
			ms_sub_feed(s, u->sub, p + i, e - i + (nl != NULL));
		if (nl != NULL && s->st != ST_STOP) {
			size_t h = u->headlen;
			while (h > 0 && (u->head[h - 1] == '\r' || u->head[h - 1] == ' ' || u->head[h - 1] == '\t'))
				h--;
			if (u->sub != NULL) {
				if (!u->overlong && h == 3 && memcmp(u->head, "end", 3) == 0)
					block_end(s);
			} else if (!u->overlong) {
				outside_line(s, u->head, h);
			} else if (begin_line(u->head, u->headlen) != 0) {
				ms_limit(s, MIME_LIM_FILENAME, s->lim.filename, "attachment file name length");
			}
			u->headlen = 0;
			u->overlong = false;
		}
		i = e + (nl != NULL);
	}
}

void
ms_uu_end(struct mime_scan *s)
{
	struct mime_uu *u = &s->uu;

	if (u->sub == NULL && !u->overlong && u->headlen > 0 && s->st != ST_STOP) {
		size_t h = u->headlen;   /* a last line without a break */
		while (h > 0 && (u->head[h - 1] == '\r' || u->head[h - 1] == ' ' || u->head[h - 1] == '\t'))
			h--;
		outside_line(s, u->head, h);
	}
	if (u->sub != NULL)
		block_end(s);   /* no "end" line: a client still shows the block */
	u->on = false;
	u->headlen = 0;
	u->overlong = false;
}

void
ms_uu_free(struct mime_scan *s)
{
	mime_scan_free(s->uu.sub);
	s->uu.sub = NULL;
}
