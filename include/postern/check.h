/*
 * check.h - the check table: a check is one row, and the row owns
 * everything the check keeps.
 *
 * A row names its phase hooks (any may be NULL), the state it keeps per
 * message, per connection and per config snapshot, and the policy keys it
 * reads.  The pipeline allocates the state, zeroes it, hands it back to
 * the row's hooks and calls the row's reset/free hooks; struct msg, struct
 * conn, struct snapshot and struct policy name no check.  Adding a check is
 * one row in filter/checks/table.c plus the check's own files
 * (docs/ARCHITECTURE.md, "Adding a check").
 *
 * Hooks write a verdict only when they want something other than accept;
 * the pipeline combines them.
 */
#ifndef POSTERN_CHECK_H
#define POSTERN_CHECK_H

#include <stddef.h>

#include "postern/conftab.h"
#include "postern/policy.h"
#include "postern/session.h"
#include "postern/verdict.h"

enum edit_op { EDIT_INSERT, EDIT_DELETE, EDIT_CHANGE };

struct hdr_edit {
	enum edit_op op;
	unsigned index;   /* insert position, or 1-based occurrence to delete / change */
	char *name;
	char *value;      /* NULL for delete; the new value for change */
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
void edits_change(struct edits *e, const char *name, unsigned occurrence, const char *value);

struct config;

struct check {
	const char *name;

	/* ---- what the check keeps ------------------------------------------ */
	/* Policy keys, with offsets into the check's own block of each policy
	 * (policy_size bytes; read it with check_policy()). */
	const struct ct_key *policy_keys;
	size_t npolicy_keys;
	size_t policy_size;
	/* Per snapshot (start-up and each reload): keys, library handles.
	 * Returns false with errors in errs; *out may stay NULL. */
	bool (*snap_new)(const struct config *cfg, void **out, struct ct_errors *errs);
	void (*snap_free)(void *st);
	/* After snap_new: check the policies' values against the snapshot's
	 * state (names the config defines); false with errors in errs. */
	bool (*policies_check)(const void *st, const struct policy_set *ps, struct ct_errors *errs);
	/* Per connection: conn_size bytes, zeroed at connect; conn_free
	 * releases what the state owns (not the state itself). */
	size_t conn_size;
	void (*conn_free)(void *cs);
	/* Per message: msg_size bytes, zeroed at MAIL FROM; msg_reset
	 * releases what the state owns, the pipeline zeroes it afterwards. */
	size_t msg_size;
	void (*msg_reset)(void *ms);

	/* ---- phase hooks: ms is this check's message state ---------------- */
	/* connection-level facts go into the connection state; they are
	 * enforced later, when a governing policy is known (RCPT) */
	void (*connect)(struct conn *c, void *cs);
	void (*helo)(struct conn *c, void *cs);
	void (*envfrom)(struct conn *c, struct msg *m, void *ms, const char *const *args, struct verdict *v);
	void (*envrcpt)(struct conn *c, struct msg *m, void *ms, const struct policy *p, struct verdict *v);
	void (*header)(struct conn *c, struct msg *m, void *ms, const char *name, const char *value, struct verdict *v);
	void (*eoh)(struct conn *c, struct msg *m, void *ms, struct verdict *v);
	void (*body)(struct conn *c, struct msg *m, void *ms, const unsigned char *buf, size_t len, struct verdict *v);
	void (*eom)(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v);
	/* Append " key=value" fields to the summary line. */
	void (*summary)(const struct conn *c, const struct msg *m, const void *ms, strbuf *out);
};

/* The table (filter/checks/table.c), in the order the phases run them. */
extern const struct check *const check_table[];
extern const size_t check_count;

/* The row's index in check_table (its state slot); aborts if absent. */
size_t check_slot(const struct check *ck);
/* This check's state in a message / connection / snapshot. */
void *check_msg_state(const struct msg *m, const struct check *ck);
void *check_conn_state(const struct conn *c, const struct check *ck);
void *check_snap_state(const struct snapshot *s, const struct check *ck);
/* This check's block of a policy (its policy_keys' struct). */
const void *check_policy(const struct policy *p, const struct check *ck);

/*
 * Fill v for a check result that maps to action under policy p: reject
 * uses code/xcode (5xx), tempfail the same with 451/4.x.y, quarantine,
 * tag and accept carry no reply.  text is printf-style, sanitised, and
 * followed by the policy's reply_url.
 */
void check_verdict(struct verdict *v, const char *check, const struct policy *p,
    enum action action, unsigned code, const char *xcode, const char *fmt, ...)
    PST_PRINTF(7, 8);

/*
 * The strictest action the governing policies of m give for a result:
 * f(policy block of ck, arg) per policy.  *who gets the policy that gave
 * it (the first one on a tie; NULL when there is none).
 */
enum action check_strictest(const struct msg *m, const struct check *ck,
    enum action (*f)(const void *pol, int arg), int arg, const struct policy **who);

#endif
