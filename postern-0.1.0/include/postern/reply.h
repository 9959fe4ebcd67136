/*
 * reply.h - SMTP reply text that is safe to hand to the MTA.
 *
 * Network data never reaches a reply unfiltered: only printable ASCII
 * survives, '%' is doubled (libmilter treats a single '%' as a format
 * escape and drops the text), the result is bounded.
 */
#ifndef POSTERN_REPLY_H
#define POSTERN_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* Write a sanitised copy of src[0..len) into dst (always NUL-terminated);
 * returns the number of bytes written.  Truncation is marked with "...". */
size_t reply_sanitise(char *dst, size_t dstsize, const char *src, size_t len);

/* true if code/xcode form a valid pair: 4xx with 4.x.y, 5xx with 5.x.y. */
bool reply_code_valid(unsigned code, const char *xcode);

#endif
