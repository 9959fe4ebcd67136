/*
 * verdict.c - combining check verdicts; action names.
 * Used by the checks and the pipeline; pure functions.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "postern/reply.h"
#include "postern/util.h"
#include "postern/verdict.h"

static const char *const action_names[] = { "accept", "tag", "quarantine",
	"discard", "tempfail", "reject" };

void
verdict_clear(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->action = ACT_ACCEPT;
}

void
verdict_set(struct verdict *v, const char *check, enum action action,
    unsigned code, const char *xcode, const char *text)
{
	verdict_clear(v);
	v->check = check;
	v->action = action;
	v->code = code;
	if (xcode != NULL && !strlcpy_ok(v->xcode, xcode, sizeof(v->xcode)))
		die("verdict_set: xcode too long");
	if ((action == ACT_REJECT || action == ACT_TEMPFAIL) &&
	    !reply_code_valid(code, xcode))
		die("verdict_set: invalid reply %u %s from %s", code,
		    xcode ? xcode : "-", check ? check : "?");
	if (text != NULL)
		reply_sanitise(v->text, sizeof(v->text), text, strlen(text));
}

void
verdict_merge(struct verdict *into, const struct verdict *v)
{
	if (v->action > into->action)
		*into = *v;
	else if (into->action == ACT_ACCEPT && !into->observed && v->observed)
		*into = *v;
}

void
verdict_observe(struct verdict *v)
{
	if (v->action <= ACT_TAG)
		return;
	v->would = v->action;
	v->observed = true;
	v->action = ACT_ACCEPT;
}

bool
verdict_refuses(const struct verdict *v)
{
	return v->action == ACT_TEMPFAIL || v->action == ACT_REJECT;
}

const char *
action_name(enum action a)
{
	if ((unsigned)a >= NELEM(action_names))
		return "?";
	return action_names[a];
}

bool
action_parse(const char *s, enum action *out)
{
	for (size_t i = 0; i < NELEM(action_names); i++) {
		if (strcasecmp(s, action_names[i]) == 0) {
			*out = (enum action)i;
			return true;
		}
	}
	return false;
}
