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
 * yEnc blocks ("=ybegin ... name=NAME" .. "=yend"), which the same clients
 * show too, are decoded here (each byte minus 42, "=" escapes the next one
 * minus 64 more; "=ypart" lines skipped) and handed to a nested scanner
 * that reads them as binary.
 *
 * Bounded: one line head of sizeof(head) bytes is kept while looking for a
 * begin line; inside a uuencoded block the bytes go straight to the nested
 * scanner, inside a yEnc block through a fixed decoding buffer.
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

/* "=ybegin" ... " name=" NAME (the last parameter, blanks allowed): the
 * name's offset, else 0. */
static size_t
ybegin_line(const char *l, size_t n)
{
	if (n < 14 || memcmp(l, "=ybegin ", 8) != 0)
		return 0;
	for (size_t i = 7; i + 6 < n; i++)
		if (l[i] == ' ' && memcmp(l + i + 1, "name=", 5) == 0)
			return i + 6 < n ? i + 6 : 0;
	return 0;
}

/* The nested scanner for one block, given its name and kind. */
static void
block_start(struct mime_scan *s, const char *name, size_t n, bool yenc)
{
	struct mime_part *tp = ms_top_part(s);
	char hdr[64 + 2 * MIME_UU_NAME_MAX];
	size_t o;

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
	o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "\"\r\nContent-Transfer-Encoding: %s\r\n\r\n",
	    yenc ? "binary" : "x-uuencode");
	if ((s->uu.sub = ms_sub_new(s, tp->depth + 1)) == NULL)
		return;
	s->uu.base = tp->depth + 1;
	s->uu.yenc = yenc;
	s->uu.yesc = false;
	ms_sub_feed(s, s->uu.sub, (const unsigned char *)hdr, o);
}

/* The block ended (its "end" line, or the text part did). */
static void
block_end(struct mime_scan *s)
{
	struct mime_scan *sub = s->uu.sub;
	size_t first = s->f.nparts;

	s->uu.sub = NULL;
	ms_sub_merge(s, sub, s->uu.base);
	for (size_t i = first; i < s->f.nparts; i++)
		s->f.parts[i].in_text = true;
}

/* A complete line head outside a block (without its line break). */
static void
outside_line(struct mime_scan *s, const char *l, size_t n)
{
	size_t at;

	if ((at = ybegin_line(l, n)) != 0) {
		block_start(s, l + at, n - at, true);
		return;
	}
	if ((at = begin_line(l, n)) == 0)
		return;
	block_start(s, l + at, n - at, false);
	if (s->uu.sub != NULL && s->st != ST_STOP) {
		ms_sub_feed(s, s->uu.sub, (const unsigned char *)l, n);
		ms_sub_feed(s, s->uu.sub, (const unsigned char *)"\r\n", 2);
	}
}

/* yEnc data bytes of one line (no line break) to the block's scanner. */
static void
ydecode(struct mime_scan *s, const unsigned char *p, size_t n)
{
	struct mime_uu *u = &s->uu;
	unsigned char out[512];
	size_t o = 0;

	for (size_t i = 0; i < n && s->st != ST_STOP; i++) {
		if (p[i] == '\r' || p[i] == '\n')
			continue;
		if (!u->yesc && p[i] == '=') {
			u->yesc = true;
			continue;
		}
		out[o++] = (unsigned char)(p[i] - 42 - (u->yesc ? 64 : 0));
		u->yesc = false;
		if (o == sizeof(out)) {
			ms_sub_feed(s, u->sub, out, o);
			o = 0;
		}
	}
	if (o > 0 && s->st != ST_STOP)
		ms_sub_feed(s, u->sub, out, o);
}

/* A piece of a line inside a yEnc block: the line's head is kept until it
 * is known not to be a control line ("=ypart", "=yend"). */
static void
yenc_piece(struct mime_scan *s, const unsigned char *p, size_t n, bool eol)
{
	struct mime_uu *u = &s->uu;
	size_t k = 0;

	if (!u->overlong) {
		while (k < n && u->headlen < sizeof(u->head))
			u->head[u->headlen++] = (char)p[k++];
		if (k < n) {          /* too long for a control line: data */
			u->overlong = true;
			ydecode(s, (const unsigned char *)u->head, u->headlen);
		}
	}
	if (u->overlong && k < n)
		ydecode(s, p + k, n - k);
	if (!eol || s->st == ST_STOP)
		return;
	if (!u->overlong) {
		size_t h = u->headlen;
		while (h > 0 && (u->head[h - 1] == '\r' || u->head[h - 1] == ' ' || u->head[h - 1] == '\t'))
			h--;
		if (h >= 5 && memcmp(u->head, "=yend", 5) == 0 && (h == 5 || u->head[5] == ' '))
			block_end(s);
		else if (!(h >= 7 && memcmp(u->head, "=ypart ", 7) == 0))
			ydecode(s, (const unsigned char *)u->head, u->headlen);
	}
	u->yesc = false;     /* an escape does not run over a line break */
	u->headlen = 0;
	u->overlong = false;
}

void
ms_uu_text(struct mime_scan *s, const unsigned char *p, size_t n)
{
	struct mime_uu *u = &s->uu;

	for (size_t i = 0; i < n && s->st != ST_STOP;) {
		const unsigned char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;   /* this piece of the line: i .. e */

		if (u->sub != NULL && u->yenc) {
			yenc_piece(s, p + i, e - i, nl != NULL);
			i = e + (nl != NULL);
			continue;
		}
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
	if (u->sub != NULL && u->yenc && u->headlen > 0 && s->st != ST_STOP)
		yenc_piece(s, NULL, 0, true);   /* its last line, without a break */
	if (u->sub != NULL)
		block_end(s);   /* no end line: a client still shows the block */
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
