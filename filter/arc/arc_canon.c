/*
 * arc_canon.c - DKIM canonicalisation for ARC (RFC 6376 3.4, RFC 8617 5):
 * the body, simple and relaxed, hashed as it streams (nothing but a CR
 * and a count of empty lines is held back), and one header field in
 * simple or relaxed form.  The MTA hands header values with the space
 * after the colon dropped and folds as LF or CRLF: simple form puts one
 * space back and writes CRLF folds (docs/NOTES-arc.md).  Called by arc.c.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "arc_int.h"

static void
emit(struct arc_body *b, const char *p, size_t n)
{
	b->any = true;
	while (n > 0) {
		size_t k = sizeof(b->out) - b->nout;
		if (k > n)
			k = n;
		memcpy(b->out + b->nout, p, k);
		b->nout += k;
		p += k;
		n -= k;
		if (b->nout == sizeof(b->out)) {
			EVP_DigestUpdate(b->md, b->out, b->nout);
			b->nout = 0;
		}
	}
}

void
arc_body_init(struct arc_body *b, bool relaxed)
{
	memset(b, 0, sizeof(*b));
	b->relaxed = relaxed;
	b->line_empty = true;
	if ((b->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1)
		die("arc: EVP_DigestInit failed");
}

/* A content byte of the current line. */
static void
content(struct arc_body *b, char c)
{
	if (b->relaxed && (c == ' ' || c == '\t')) {
		b->wsp = true;
		return;
	}
	if (b->line_empty) {
		for (; b->pending > 0; b->pending--)
			emit(b, "\r\n", 2);
		b->line_empty = false;
	}
	if (b->wsp) {
		emit(b, " ", 1);
		b->wsp = false;
	}
	emit(b, &c, 1);
}

static void
line_end(struct arc_body *b)
{
	b->wsp = false;
	if (b->line_empty)
		b->pending++;
	else
		emit(b, "\r\n", 2);
	b->line_empty = true;
}

void
arc_body_feed(struct arc_body *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)p[i];

		if (b->held_cr) {
			b->held_cr = false;
			if (c == '\n') {
				line_end(b);
				continue;
			}
			content(b, '\r');
		}
		if (c == '\r')
			b->held_cr = true;
		else
			content(b, c);
	}
}

void
arc_body_final(struct arc_body *b, unsigned char *digest)
{
	unsigned len = 32;

	if (b->held_cr)
		content(b, '\r');
	if (!b->line_empty)
		emit(b, "\r\n", 2);
	if (!b->any && !b->relaxed)
		emit(b, "\r\n", 2); /* simple: an empty body is one CRLF */
	if (b->nout > 0)
		EVP_DigestUpdate(b->md, b->out, b->nout);
	b->nout = 0;
	if (EVP_DigestFinal_ex(b->md, digest, &len) != 1)
		die("arc: EVP_DigestFinal failed");
	arc_body_free(b);
}

void
arc_body_free(struct arc_body *b)
{
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
}

void
arc_canon_header(strbuf *out, const char *name, const char *value, bool relaxed, bool crlf)
{
	if (!relaxed) {
		sb_puts(out, name);
		sb_putc(out, ':');   /* value is as written after the colon */
		for (const char *p = value; *p; p++) {
			if (*p == '\n' && (p == value || p[-1] != '\r'))
				sb_putc(out, '\r');
			sb_putc(out, *p);
		}
	} else {
		bool wsp = false, started = false;

		for (const char *p = name; *p; p++)
			if (*p != ' ' && *p != '\t')
				sb_putc(out, (char)tolower((unsigned char)*p));
		sb_putc(out, ':');
		for (const char *p = value; *p; p++) {
			if (*p == '\r' || *p == '\n')
				continue;
			if (*p == ' ' || *p == '\t') {
				wsp = true;
				continue;
			}
			if (wsp && started)
				sb_putc(out, ' ');
			wsp = false;
			started = true;
			sb_putc(out, *p);
		}
	}
	if (crlf)
		sb_append(out, "\r\n", 2);
}
