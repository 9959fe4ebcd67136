/*
 * arc_int.h - inside the ARC engine: the header canonicalisation (RFC 6376
 * 3.4) used by arc.c; the body is filter/lib/bodycanon.c's.
 */
#ifndef POSTERN_ARC_INT_H
#define POSTERN_ARC_INT_H

#include "postern/bodycanon.h"
#include "postern/util.h"

/* Append the canonical form of one header field (with CRLF unless last). */
void arc_canon_header(strbuf *out, const char *name, const char *value, bool relaxed, bool crlf);

#endif
