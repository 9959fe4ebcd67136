/*
 * check_attach.h - the attachment screen (check "attach",
 * filter/checks/check_attach.c) over the MIME engine (mime.h):
 * runs the MIME scanner over the message and refuses, quarantines or tags
 * blocked or oversized attachments and messages over a MIME limit.
 */
#ifndef POSTERN_CHECK_ATTACH_H
#define POSTERN_CHECK_ATTACH_H

#include <stdbool.h>

#include "postern/check.h"
#include "postern/conftab.h"
#include "postern/mime.h"

extern const struct check check_attach;

/* The MIME facts of the message so far (parts, names, types, sizes), for
 * the spam screen and tools; NULL before the header or when no scan ran. */
const struct mime_facts *attach_facts(const struct msg *m);
/* Hand the decoded text of the message's text parts to text as it streams
 * (mime_set_text_cb on the scanner), and the part events (begin and end of
 * each part; part may be NULL, its return value is ignored) to part, so
 * the message is parsed once for every check that reads its text (spam's
 * link scanner, the classifier).  Call before the first body byte; false
 * before the first header. */
bool attach_text_hook(struct msg *m, mime_cb part, mime_text_cb text, void *ctx);
/* Does name end in one of the extensions (case-insensitive; trailing dots
 * and blanks ignored, as Windows does)?  Returns the matching entry or NULL. */
const char *attach_blocked_ext(const struct strlist *exts, const char *name, size_t len);
/* Does the type match an entry ("type/subtype" or a "type/" prefix with a star)? */
const char *attach_blocked_type(const struct strlist *types, const char *type);

#endif
