/*
 * eml.h - reading a stored message (.eml, mbox-free RFC 5322 text) for the
 * offline tools: split the header block into fields and find the body.
 * Accepts CRLF or bare LF line ends; never reads past len.
 */
#ifndef POSTERN_EML_H
#define POSTERN_EML_H

#include <stddef.h>

enum eml_status {
	EML_FIELD = 0,   /* a field was returned */
	EML_END,         /* end of the header block: *off is the body offset */
	EML_BAD_FIELD,   /* a line without a colon or with an empty name */
	EML_TOO_LONG,    /* a field over EML_FIELD_MAX bytes */
};

#define EML_FIELD_MAX (1024 * 1024)

struct eml_field {
	const char *name;
	size_t namelen;
	const char *value;   /* after the colon, leading whitespace kept; folded */
	size_t valuelen;     /* without the final line end */
};

/* Next header field starting at *off; advances *off past it. */
enum eml_status eml_next_field(const char *buf, size_t len, size_t *off, struct eml_field *f);

#endif
