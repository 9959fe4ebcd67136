/*
 * arc_int.h - inside the ARC engine: the streaming body canonicaliser and
 * the header canonicalisation (RFC 6376 3.4), shared by arc.c.
 */
#ifndef POSTERN_ARC_INT_H
#define POSTERN_ARC_INT_H

#include <openssl/evp.h>

#include "postern/util.h"

/* One body canonicalisation hashed with SHA-256 as the body streams. */
struct arc_body {
	EVP_MD_CTX *md;
	bool relaxed;
	bool held_cr;         /* a CR waits for its LF */
	bool line_empty;      /* nothing on the current line yet */
	bool wsp;             /* relaxed: white space waits */
	bool any;             /* something was hashed */
	unsigned long long pending; /* empty lines not yet hashed */
	unsigned char out[4096];
	size_t nout;
};

void arc_body_init(struct arc_body *b, bool relaxed);
void arc_body_feed(struct arc_body *b, const unsigned char *p, size_t n);
/* Finish into digest[32]; the context is released. */
void arc_body_final(struct arc_body *b, unsigned char *digest);
void arc_body_free(struct arc_body *b);

/* Append the canonical form of one header field (with CRLF unless last). */
void arc_canon_header(strbuf *out, const char *name, const char *value, bool relaxed, bool crlf);

#endif
