/*
 * verdict.h - actions, verdicts and their combination.
 *
 * A check reports a verdict: an action plus the SMTP reply that goes with
 * it.  A message's verdict is the strictest one any check asked for.
 * Ordering: accept < tag < quarantine < discard < tempfail < reject.
 * Discard sits below tempfail/reject so that a check that wants the sender
 * told always wins over a silent drop; it is never a default.
 */
#ifndef POSTERN_VERDICT_H
#define POSTERN_VERDICT_H

#include <stdbool.h>

enum action {
	ACT_ACCEPT = 0,
	ACT_TAG,
	ACT_QUARANTINE,
	ACT_DISCARD,
	ACT_TEMPFAIL,
	ACT_REJECT,
};

#define VERDICT_TEXT_MAX 200

struct verdict {
	enum action action;
	const char *check;       /* static name of the deciding check */
	unsigned code;           /* 550, 451, ... (0 for accept/tag) */
	char xcode[16];          /* "5.3.4" */
	char text[VERDICT_TEXT_MAX]; /* human text, sanitised when set */
	bool observed;           /* downgraded by observe mode */
	enum action would;       /* the action observe mode suppressed */
};

void verdict_clear(struct verdict *v);
/* Set v to (action, code, xcode, text) for check; text is sanitised. */
void verdict_set(struct verdict *v, const char *check, enum action action,
    unsigned code, const char *xcode, const char *text);
/* Keep the stricter of *into and *v; ties keep the earlier one. */
void verdict_merge(struct verdict *into, const struct verdict *v);
/* Observe mode: record what would have happened and accept instead. */
void verdict_observe(struct verdict *v);
bool verdict_refuses(const struct verdict *v);

const char *action_name(enum action a);
bool action_parse(const char *s, enum action *out);

#endif
