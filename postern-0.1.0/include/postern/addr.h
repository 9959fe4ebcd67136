/*
 * addr.h - the domain of the single author address in a From header field
 * (RFC 5322 3.4, as DMARC needs it: RFC 7489 6.6.1).  Comments, quoted
 * display names and quoted local parts are understood; several addresses,
 * groups, domain literals and garbage are reported, not guessed.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stddef.h>

enum from_status {
	FROM_OK = 0,
	FROM_EMPTY,     /* no address at all */
	FROM_MULTIPLE,  /* more than one mailbox, or a group */
	FROM_BAD,       /* unbalanced quotes/comments/brackets, no '@', bad domain */
};

/* Write the lower-cased domain into out (size bytes); FROM_OK on success. */
enum from_status from_header_domain(const char *buf, size_t len, char *out, size_t size);
const char *from_status_name(enum from_status st);

#endif
