/*
 * attach.h - the attachment screen (check "attach", filter/check_attach.c):
 * runs the MIME scanner over the message and refuses, quarantines or tags
 * blocked or oversized attachments and messages over a MIME limit.
 */
#ifndef POSTERN_ATTACH_H
#define POSTERN_ATTACH_H

#include <stdbool.h>

#include "postern/conftab.h"
#include "postern/mime.h"

struct attach;
struct msg;

/* Free accepts NULL; called by msg_reset / msg_free. */
void attach_free(struct attach *a);
/* The MIME facts of the message so far (parts, names, types, sizes), for
 * the spam screen and tools; NULL before the header or when no scan ran. */
const struct mime_facts *attach_facts(const struct msg *m);
/* Does name end in one of the extensions (case-insensitive; trailing dots
 * and blanks ignored, as Windows does)?  Returns the matching entry or NULL. */
const char *attach_blocked_ext(const struct strlist *exts, const char *name, size_t len);
/* Does the type match an entry ("type/subtype" or a "type/" prefix with a star)? */
const char *attach_blocked_type(const struct strlist *types, const char *type);

#endif
