/*
 * check_login.c - check "login": outbound mail may only use the sender
 * addresses and From domains its sender may use.
 *
 * An authenticated client ({auth_authen}) is looked up in the policy's
 * sender_login.map (lookup.h, LK_LOGIN; like Postfix's
 * smtpd_sender_login_maps, keyed the other way round: login -> allowed
 * addresses and domains).  The default map is the rule "*@domain": a
 * login user@dom may use any address at dom, and a login without a domain
 * may use nothing until the map names it.  An internal client without a
 * login is held to sender_login.internal when that list is not empty.
 * The envelope sender is checked at MAIL FROM (the sender's policy governs
 * outbound mail from there; the null sender is not checked), the From
 * domain when the From field arrives.  A mismatch gets sender_login.action
 * (reject = 553 5.7.1) and, whatever the action, check_dkim does not sign.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "postern/check_login.h"
#include "postern/lookup.h"

#define NAME "login"

struct login_policy {
	struct lookup *map;
	struct lookup *internal;
	enum action action;
};

#define OFF(f) offsetof(struct login_policy, f)
static const struct ct_key keys[] = {
	{ "sender_login.map", CT_LOOKUP, OFF(map), "*@domain", LK_LOGIN, 0, NULL,
	  "what each SMTP AUTH login may send as: \"LOGIN addr-or-domain...\" rows, file:PATH, or *@domain (login user@dom may use dom; a bare login nothing)" },
	{ "sender_login.internal", CT_LOOKUP, OFF(internal), NULL, LK_ADDRESS, 0, NULL,
	  "what internal_hosts clients without a login may send as (user@domain, domain, file:PATH); empty = not checked" },
	{ "sender_login.action", CT_ACTION, OFF(action), "reject", 0, 0, NULL,
	  "a sender or From domain the login may not use (reject = 553 5.7.1); such mail is never DKIM-signed" },
};

struct login_msg {
	bool mismatch_sender, mismatch_from;
	bool checked;
};

static const struct login_policy *
pol(const struct policy *p)
{
	return check_policy(p, &check_login);
}

bool
check_login_mismatch(const struct msg *m)
{
	const struct login_msg *s = check_msg_state(m, &check_login);

	return s->mismatch_sender || s->mismatch_from;
}

/* Which list binds this client: the map for a login, the internal list
 * for an internal client without one (NULL: nothing to check). */
static bool
bound(const struct conn *c, const struct msg *m, const struct login_policy *lp)
{
	if (m->dir != DIR_OUTBOUND)
		return false;
	if (m->auth_user != NULL)
		return true;
	return c->internal && lookup_count(lp->internal) > 0;
}

static bool
may_address(const struct msg *m, const struct login_policy *lp, const char *addr)
{
	if (m->auth_user != NULL)
		return lookup_login_address(lp->map, m->auth_user, addr);
	return lookup_address(lp->internal, addr);
}

static bool
may_domain(const struct msg *m, const struct login_policy *lp, const char *dom)
{
	if (m->auth_user != NULL)
		return lookup_login_domain(lp->map, m->auth_user, dom);
	return lookup_domain(lp->internal, dom);
}

static void
refuse(struct verdict *v, const struct policy *p, const struct msg *m, const char *what)
{
	if (m->auth_user != NULL)
		check_verdict(v, NAME, p, pol(p)->action, 553, "5.7.1",
		    "%s not owned by user %.64s", what, m->auth_user);
	else
		check_verdict(v, NAME, p, pol(p)->action, 553, "5.7.1",
		    "%s may not be used from this network", what);
}

static void
login_envfrom(struct conn *c, struct msg *m, void *ms, const char *const *args, struct verdict *v)
{
	struct login_msg *s = ms;
	const struct login_policy *lp;

	(void)args;
	if (m->npol == 0 || !bound(c, m, lp = pol(m->pol[0])))
		return;
	s->checked = true;
	if (m->sender[0] == '\0')
		return;   /* the null sender: bounces carry no identity to bind */
	if (!may_address(m, lp, m->sender)) {
		s->mismatch_sender = true;
		refuse(v, m->pol[0], m, "sender address");
	}
}

static void
login_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct login_msg *s = ms;
	const struct login_policy *lp;

	(void)value;
	if (strcasecmp(name, "From") != 0 || m->npol == 0 || !bound(c, m, lp = pol(m->pol[0])))
		return;
	s->checked = true;
	if (m->author.nfrom > 1 || m->author.status != FROM_OK) {
		s->mismatch_from = true;   /* no single author to bind */
		refuse(v, m->pol[0], m, "From header without one usable address");
		return;
	}
	if (m->author.nfrom == 1 && !may_domain(m, lp, m->author.domain)) {
		s->mismatch_from = true;
		refuse(v, m->pol[0], m, "From domain");
	}
}

static void
login_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct login_msg *s = ms;

	(void)c;
	(void)m;
	if (!s->checked)
		return;
	if (s->mismatch_sender || s->mismatch_from)
		sb_printf(out, " sender_login=mismatch:%s", s->mismatch_sender ? "sender" : "from");
	else
		sb_puts(out, " sender_login=ok");
}

const struct check check_login = {
	.name = NAME,
	.policy_keys = keys,
	.npolicy_keys = NELEM(keys),
	.policy_size = sizeof(struct login_policy),
	.msg_size = sizeof(struct login_msg),
	.envfrom = login_envfrom,
	.header = login_header,
	.summary = login_summary,
};
