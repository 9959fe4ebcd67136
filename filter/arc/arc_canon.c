/*
 * arc_canon.c - DKIM header canonicalisation for ARC (RFC 6376 3.4, RFC
 * 8617 5): one header field in simple or relaxed form (the body is
 * filter/lib/bodycanon.c's, shared with DKIM).  The MTA hands header
 * values with the space after the colon dropped and folds as LF or CRLF:
 * simple form puts one space back and writes CRLF folds
 * (docs/NOTES-arc.md).  Called by arc.c.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "arc_int.h"

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
