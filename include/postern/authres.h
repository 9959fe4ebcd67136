/*
 * authres.h - Authentication-Results (RFC 8601): reading the authserv-id
 * of incoming fields (to remove forgeries of ours) and writing our own.
 */
#ifndef POSTERN_AUTHRES_H
#define POSTERN_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

enum ar_status { AR_OK = 0, AR_EMPTY, AR_BAD_QUOTE, AR_BAD_COMMENT, AR_BAD_CHAR };

/*
 * Find the authserv-id at the start of an A-R field body (after CFWS; a
 * token or quoted-string).  On AR_OK, *id and *idlen point into buf (for a
 * quoted string: between the quotes, escapes not undone).
 */
enum ar_status authres_parse_id(const char *buf, size_t len, const char **id, size_t *idlen);

/* Does the field body claim authserv-id `ours` (case-insensitive, a
 * quoted id compared after its quoted-pairs are undone: "mx\.example.net"
 * is mx.example.net)?  A field whose id cannot be parsed does not claim it. */
int authres_claims(const char *buf, size_t len, const char *ours);

/* A value (quoted: the text between the quotes, quoted-pairs not undone)
 * equal to ours, case-insensitively, once quoted-pairs are undone. */
/* Does a Received-SPF field body claim our receiver: a receiver= (key or
 * in a comment) naming ours, or no receiver= at all? */
int received_spf_claims(const char *buf, size_t len, const char *ours);

bool authres_value_eq(const char *v, size_t len, bool quoted, const char *ours);


#endif
