/*
 * addr.h - the one address module.
 *
 * The domain of the single author address in a From header field
 * (RFC 5322 3.4, as DMARC needs it: RFC 7489 6.6.1).  Comments, quoted
 * display names and quoted local parts are understood; several addresses,
 * groups, domain literals and garbage are reported, not guessed.  The
 * pipeline parses each message's From once (struct author, session.h);
 * DKIM signing, dkim.require_signature_from and DMARC all read that one
 * answer.  Envelope addresses (MAIL FROM, RCPT TO) have no comments or
 * display names: address_domain() takes the part after the last '@'.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stdbool.h>
#include <stddef.h>

enum from_status {
	FROM_OK = 0,
	FROM_EMPTY,     /* no address at all */
	FROM_MULTIPLE,  /* more than one mailbox, or a group */
	FROM_BAD,       /* unbalanced quotes/comments/brackets, no '@', bad domain */
};

/* Write the lower-cased domain into out (size bytes); FROM_OK on success. */
enum from_status from_header_domain(const char *buf, size_t len, char *out, size_t size);
/* The same parse, also writing the lower-cased addr-spec ("local@domain")
 * into addr (asize bytes); addr is "" when the local part is not a plain
 * token (unquoted blanks, over 64 bytes) or does not fit. */
enum from_status from_header_author(const char *buf, size_t len, char *dom, size_t dsize,
    char *addr, size_t asize);
const char *from_status_name(enum from_status st);

/* The domain part of an envelope address ("user@Dom.Example" ->
 * "dom.example"), written lower-case into buf; false if there is none or
 * it is too long. */
bool address_domain(const char *addr, char *buf, size_t size);

#endif
