/*
 * replay.h - hand a stored message (.eml) to the pipeline the way an MTA
 * hands it to a milter.  `postern explain`, tests/tools/dkimrun and the
 * unit tests use it, so every offline run sees what the daemon would see.
 *
 * The MTA's form (Postfix and Sendmail, SMFIP_HDR_LEADSPC negotiated, as
 * the daemon does whenever the MTA offers it; replay_headers() sets
 * conn->leadspc):
 *   - a header value is exactly what follows the colon (without LEADSPC
 *     the MTA eats one space, never a tab: replay_value(f, false));
 *   - folded lines are joined with a bare LF (the CR of CRLF dropped);
 *   - the first line of the header block that is not a field (no colon,
 *     empty name, over EML_FIELD_MAX) ends the header block and is the
 *     first line of the body, as Postfix's header parser reads it;
 *   - body lines end in CRLF (a bare LF gets its CR), in REPLAY_CHUNK
 *     pieces.
 */
#ifndef POSTERN_REPLAY_H
#define POSTERN_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "postern/eml.h"
#include "postern/session.h"
#include "postern/util.h"

#define REPLAY_CHUNK 65536
#define REPLAY_FILE_MAX (64u << 20)

/* What replay_headers() found in the header block. */
struct replay_head {
	size_t fields;    /* fields handed to pl_header */
	size_t body;      /* offset of the body in the message */
	bool early;       /* a line that is not a field ended the block: */
	size_t bad_at;    /* its offset (== body) */
	enum eml_status bad;  /* and why: EML_BAD_FIELD or EML_TOO_LONG */
};

/* Read a whole file ("-" = stdin) of at most REPLAY_FILE_MAX bytes into
 * out.  False (errno set) if it cannot be read or is larger. */
bool replay_read(const char *path, strbuf *out);

/* The value of a field as the MTA hands it (see above), with its leading
 * white space (leadspc) or with one space eaten; free() it. */
char *replay_value(const struct eml_field *f, bool leadspc);

/* Feed the header block to pl_header; fills *h. */
void replay_headers(struct conn *c, const char *msg, size_t len, struct replay_head *h);

/* Append p[0..n) to out with every bare LF turned into CRLF.  *cr says
 * whether the byte before p was a CR (carried across calls; start false). */
void replay_crlf(strbuf *out, const char *p, size_t n, bool *cr);

/* Feed the body (msg[off..len)) to pl_body in CRLF form and chunks; stops
 * as soon as the verdict refuses.  Returns the bytes fed; *refused says
 * whether it stopped early. */
size_t replay_body(struct conn *c, const char *msg, size_t len, size_t off,
    struct verdict *v, bool *refused);

#endif
