/*
 * eml.c - split a stored message's header block into fields.  Used by
 * `postern explain` and test tools; a parser of hostile input with its
 * own fuzz target (tests/fuzz/fuzz_eml.c).
 */
#include "config.h"

#include <string.h>

#include "postern/eml.h"

/* Offset just past the line starting at p (its LF), or len. */
static size_t
line_end(const char *buf, size_t len, size_t p)
{
	const char *nl = memchr(buf + p, '\n', len - p);

	return nl != NULL ? (size_t)(nl - buf) + 1 : len;
}

enum eml_status
eml_next_field(const char *buf, size_t len, size_t *off, struct eml_field *f)
{
	size_t p = *off, colon, name_end, end;

	if (p >= len)
		return EML_END;
	/* the empty line ends the header block */
	if (buf[p] == '\n' || (buf[p] == '\r' && p + 1 < len && buf[p + 1] == '\n')) {
		*off = p + (buf[p] == '\r' ? 2 : 1);
		return EML_END;
	}
	end = line_end(buf, len, p);
	for (colon = p; colon < end && buf[colon] != ':'; colon++) {
		unsigned char c = (unsigned char)buf[colon];
		if (c <= ' ' || c >= 0x7f)
			break;
	}
	name_end = colon;
	/* "Name :" is a field too (Postfix's is_header); the name ends before the blanks */
	while (colon > p && colon < end && (buf[colon] == ' ' || buf[colon] == '\t'))
		colon++;
	if (colon == p || colon >= end || buf[colon] != ':') {
		*off = end;
		return EML_BAD_FIELD;
	}
	/* continuation lines start with space or tab */
	while (end < len && (buf[end] == ' ' || buf[end] == '\t'))
		end = line_end(buf, len, end);
	if (end - p > EML_FIELD_MAX) {
		*off = end;
		return EML_TOO_LONG;
	}
	f->name = buf + p;
	f->namelen = name_end - p;
	f->value = buf + colon + 1;
	f->valuelen = end - (colon + 1);
	/* drop the final line end */
	if (f->valuelen > 0 && f->value[f->valuelen - 1] == '\n')
		f->valuelen--;
	if (f->valuelen > 0 && f->value[f->valuelen - 1] == '\r')
		f->valuelen--;
	*off = end;
	return EML_FIELD;
}
