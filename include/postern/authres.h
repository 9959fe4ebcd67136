/*
 * authres.h - Authentication-Results (RFC 8601): reading the authserv-id
 * of incoming fields (to remove forgeries of ours) and writing our own.
 */
#ifndef POSTERN_AUTHRES_H
#define POSTERN_AUTHRES_H

#include <stddef.h>

enum ar_status { AR_OK = 0, AR_EMPTY, AR_BAD_QUOTE, AR_BAD_COMMENT, AR_BAD_CHAR };

/*
 * Find the authserv-id at the start of an A-R field body (after CFWS; a
 * token or quoted-string).  On AR_OK, *id and *idlen point into buf (for a
 * quoted string: between the quotes, escapes not undone).
 */
enum ar_status authres_parse_id(const char *buf, size_t len, const char **id, size_t *idlen);

/* Does the field body claim authserv-id `ours` (case-insensitive)?  A field
 * whose id cannot be parsed does not claim it. */
int authres_claims(const char *buf, size_t len, const char *ours);


#endif
