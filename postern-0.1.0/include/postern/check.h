/*
 * check.h - the check table and the header edits a check can ask for.
 *
 * A check is one row {name, phase hooks}; adding a check adds a row, not a
 * branch in every callback.  Hooks may be NULL.  Hooks write a verdict only
 * when they want something other than accept; the pipeline combines them.
 */
#ifndef POSTERN_CHECK_H
#define POSTERN_CHECK_H

#include <stddef.h>

#include "postern/policy.h"
#include "postern/session.h"
#include "postern/verdict.h"

enum edit_op { EDIT_INSERT, EDIT_DELETE };

struct hdr_edit {
	enum edit_op op;
	unsigned index;   /* insert position, or 1-based occurrence to delete */
	char *name;
	char *value;      /* NULL for delete */
};

/* What end-of-message asks the MTA to do, in order. */
struct edits {
	struct hdr_edit *v;
	size_t n;
	bool quarantine;
	char reason[128];
};

void edits_init(struct edits *e);
void edits_free(struct edits *e);
void edits_insert(struct edits *e, unsigned index, const char *name, const char *value);
void edits_delete(struct edits *e, const char *name, unsigned occurrence);

struct check {
	const char *name;
	/* connection-level facts go into struct conn; they are enforced later,
	 * when a governing policy is known (RCPT) */
	void (*connect)(struct conn *c);
	void (*helo)(struct conn *c);
	void (*envfrom)(struct conn *c, struct msg *m, const char *const *args, struct verdict *v);
	void (*envrcpt)(struct conn *c, struct msg *m, const struct policy *p, struct verdict *v);
	void (*header)(struct conn *c, struct msg *m, const char *name, const char *value, struct verdict *v);
	void (*eoh)(struct conn *c, struct msg *m, struct verdict *v);
	void (*body)(struct conn *c, struct msg *m, const unsigned char *buf, size_t len, struct verdict *v);
	void (*eom)(struct conn *c, struct msg *m, struct edits *e, struct verdict *v);
	/* Append " key=value" fields to the summary line. */
	void (*summary)(const struct conn *c, const struct msg *m, strbuf *out);
};

extern const struct check check_size;
extern const struct check check_authres;
extern const struct check check_attach;
extern const struct check check_dmarc;

/*
 * Fill v for a check result that maps to action under policy p: reject
 * uses code/xcode (5xx), tempfail the same with 451/4.x.y, quarantine,
 * tag and accept carry no reply.  text is printf-style, sanitised, and
 * followed by the policy's reply_url.
 */
void check_verdict(struct verdict *v, const char *check, const struct policy *p,
    enum action action, unsigned code, const char *xcode, const char *fmt, ...)
    PST_PRINTF(7, 8);

#endif
