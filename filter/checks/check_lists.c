/*
 * check_lists.c - check "lists": allow and deny lists in each policy.
 *
 * A client that every policy denies (the default policy's deny.clients,
 * and each domain policy's, all enforcing a refusal) is refused at
 * connect: the connect reply when the milter asked to answer connect
 * (check_lists_connect_denies), and every MAIL FROM.  Otherwise a deny is
 * refused at the earliest phase that knows both the fact and the
 * governing policy: outbound mail (the sender's policy governs from
 * MAIL FROM) at MAIL FROM; inbound mail at RCPT, per recipient (its
 * policy); a From address or domain on deny.senders in the header phase
 * (the reply goes to the first body chunk).  Deny wins over allow.  There
 * is no allow by From: it is what a forger writes, and allowing it would
 * skip the very checks (DKIM, DMARC) that catch the forgery.
 *
 * An allow (sender, client, HELO, recipient) excuses the checks its
 * policy's allow.skip names for this recipient (struct msg rcpt_excused;
 * the pipeline skips their hooks, and keeps them skipped for the message
 * while every accepted recipient is excused).  Never DKIM signing: "dkim"
 * excuses verification of inbound mail only; the attachment screen only
 * when allow.skip names "attach"; excusing "dkim" excuses "dmarc" too
 * (DMARC would otherwise see no signature).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "postern/check_lists.h"
#include "postern/lookup.h"

#define NAME "lists"

struct lists_policy {
	struct lookup *allow_senders, *allow_clients, *allow_helo, *allow_rcpts;
	unsigned long long allow_skip;
	struct lookup *deny_senders, *deny_clients, *deny_helo, *deny_rcpts;
	enum action deny_action;
};

/* allow.skip choices: check names (rows of filter/checks/table.c) */
static const char *const skip_choices[] = { "spf", "dkim", "dmarc", "attach", "helo", NULL };
enum { SKIP_SPF, SKIP_DKIM, SKIP_DMARC, SKIP_ATTACH, SKIP_HELO };

#define OFF(f) offsetof(struct lists_policy, f)
static const struct ct_key keys[] = {
	{ "allow.senders", CT_LOOKUP, OFF(allow_senders), NULL, LK_ADDRESS, 0, NULL,
	  "envelope senders whose mail skips the checks in allow.skip: user@domain, domain (and subdomains), file:PATH" },
	{ "allow.clients", CT_LOOKUP, OFF(allow_clients), NULL, LK_CIDR, 0, NULL,
	  "client networks (CIDR, file:PATH) whose mail skips the checks in allow.skip" },
	{ "allow.helo", CT_LOOKUP, OFF(allow_helo), NULL, LK_NAME, 0, NULL,
	  "HELO names (and names below them, file:PATH) whose mail skips the checks in allow.skip" },
	{ "allow.recipients", CT_LOOKUP, OFF(allow_rcpts), NULL, LK_ADDRESS, 0, NULL,
	  "recipients (user@domain, domain, file:PATH) whose mail skips the checks in allow.skip" },
	{ "allow.skip", CT_FLAGS, OFF(allow_skip), "spf dkim dmarc helo", 0, 0, skip_choices,
	  "checks an allow skips; never DKIM signing (dkim = verification, and implies dmarc); attach only if named" },
	{ "deny.senders", CT_LOOKUP, OFF(deny_senders), NULL, LK_ADDRESS, 0, NULL,
	  "envelope senders refused at RCPT (554 5.7.1), also From domains (header phase): user@domain, domain, file:PATH" },
	{ "deny.clients", CT_LOOKUP, OFF(deny_clients), NULL, LK_CIDR, 0, NULL,
	  "client networks refused (554 5.7.1 at RCPT; outbound at MAIL FROM)" },
	{ "deny.helo", CT_LOOKUP, OFF(deny_helo), NULL, LK_NAME, 0, NULL,
	  "HELO names (and names below them) refused (554 5.7.1 at RCPT)" },
	{ "deny.recipients", CT_LOOKUP, OFF(deny_rcpts), NULL, LK_ADDRESS, 0, NULL,
	  "recipients refused at RCPT (554 5.7.1)" },
	{ "deny.action", CT_ACTION, OFF(deny_action), "reject", 0, 0, NULL,
	  "what a deny-list match gets (reject = 554 5.7.1)" },
};

struct lists_msg {
	const char *deny;       /* what matched a deny list (static), or NULL */
	const char *allow;      /* what matched an allow list, or NULL */
	uint32_t excused;       /* slots excused by the last allow */
};

static const struct lists_policy *
pol(const struct policy *p)
{
	return check_policy(p, &check_lists);
}

static const char *
policy_name(const struct policy *p)
{
	return p->domain[0] ? p->domain : "default";
}

/* The slot of the check row named name, or -1. */
static int
slot_of(const char *name)
{
	for (size_t i = 0; i < check_count; i++)
		if (strcmp(check_table[i]->name, name) == 0)
			return (int)i;
	return -1;
}

static uint32_t
excuse_mask(const struct lists_policy *lp, const struct msg *m)
{
	unsigned long long f = lp->allow_skip;
	uint32_t mask = 0;

	if (f & (1ULL << SKIP_DKIM)) {
		if (m->dir == DIR_OUTBOUND)
			f &= ~(1ULL << SKIP_DKIM);   /* never signing */
		else
			f |= 1ULL << SKIP_DMARC;
	}
	for (size_t j = 0; skip_choices[j] != NULL; j++) {
		int s;

		if ((f & (1ULL << j)) && (s = slot_of(skip_choices[j])) >= 0)
			mask |= 1u << s;
	}
	return mask;
}

/* The envelope fact that one of these lists holds ("client", "helo",
 * "sender", "recipient"), or NULL. */
static const char *
matched(const struct conn *c, const struct msg *m, const struct lookup *clients,
    const struct lookup *helo, const struct lookup *senders, const struct lookup *rcpts)
{
	if (c->family != 0 && lookup_ip(clients, c->family, c->ip))
		return "client";
	if (c->helo != NULL && lookup_domain(helo, c->helo))
		return "helo";
	if (m->sender != NULL && m->sender[0] != '\0' && lookup_address(senders, m->sender))
		return "sender";
	if (m->rcpt != NULL && lookup_address(rcpts, m->rcpt))
		return "recipient";
	return NULL;
}

static const char *
denied(const struct conn *c, const struct msg *m, const struct lists_policy *lp)
{
	return matched(c, m, lp->deny_clients, lp->deny_helo, lp->deny_senders, lp->deny_rcpts);
}

static const char *
allowed(const struct conn *c, const struct msg *m, const struct lists_policy *lp)
{
	return matched(c, m, lp->allow_clients, lp->allow_helo, lp->allow_senders, lp->allow_rcpts);
}

static void
refuse(struct verdict *v, const struct policy *p, const char *what)
{
	check_verdict(v, NAME, p, pol(p)->deny_action, 554, "5.7.1",
	    "%s refused by the policy of %s", what, policy_name(p));
}

/* Would p refuse this client (enforced, not observed)? */
static bool
policy_refuses_client(const struct policy *p, const struct conn *c)
{
	const struct lists_policy *lp = pol(p);

	return p->mode == POLICY_ENFORCE && lp->deny_action >= ACT_TEMPFAIL &&
	    lookup_ip(lp->deny_clients, c->family, c->ip);
}

bool
check_lists_connect_denies(const struct snapshot *s)
{
	const struct policy *d = policy_default(s->policies);

	return lookup_count(pol(d)->deny_clients) > 0;
}

static void
lists_connect(struct conn *c, void *cs)
{
	const struct policy_set *ps = c->snap->policies;
	const struct policy *d = policy_default(ps);
	const struct lookup *dl = pol(d)->deny_clients;

	(void)cs;
	if (c->family == 0 || c->internal || !policy_refuses_client(d, c))
		return;
	for (size_t i = 0; i < policy_set_count(ps); i++) {
		const struct policy *p = policy_set_get(ps, i);

		/* an inherited list is the same table: no second look-up */
		if (pol(p)->deny_clients == dl && p->mode == d->mode &&
		    pol(p)->deny_action == pol(d)->deny_action)
			continue;
		if (!policy_refuses_client(p, c))
			return;
	}
	check_verdict(&c->refusal, NAME, d, pol(d)->deny_action, 554, "5.7.1",
	    "client refused by the policy of every domain here");
}

/* Outbound: the sender's policy governs from MAIL FROM. */
static void
lists_envfrom(struct conn *c, struct msg *m, void *ms, const char *const *args, struct verdict *v)
{
	struct lists_msg *s = ms;

	(void)args;
	if (m->npol == 0)
		return;
	if ((s->deny = denied(c, m, pol(m->pol[0]))) != NULL)
		refuse(v, m->pol[0], s->deny);
}

static void
lists_envrcpt(struct conn *c, struct msg *m, void *ms, const struct policy *p, struct verdict *v)
{
	struct lists_msg *s = ms;
	const struct lists_policy *lp = pol(p);
	const char *what;

	if ((what = denied(c, m, lp)) != NULL) {
		s->deny = what;
		refuse(v, p, what);
		return;
	}
	if ((what = allowed(c, m, lp)) != NULL) {
		s->allow = what;
		s->excused = excuse_mask(lp, m);
		m->rcpt_excused |= s->excused;
	}
}

/* A From domain on deny.senders of any governing policy. */
static void
lists_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct lists_msg *s = ms;

	(void)c;
	(void)value;
	if (strcasecmp(name, "From") != 0 || m->author.nfrom != 1 || m->author.domain[0] == '\0')
		return;
	for (size_t i = 0; i < m->npol; i++) {
		const struct lookup *dl = pol(m->pol[i])->deny_senders;

		if (m->author.address[0] != '\0' ? lookup_address(dl, m->author.address) :
		    lookup_domain(dl, m->author.domain)) {
			struct verdict one;

			verdict_clear(&one);
			s->deny = "from";
			refuse(&one, m->pol[i], "From address");
			verdict_merge(v, &one);
		}
	}
}

static void
lists_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct lists_msg *s = ms;

	(void)c;
	if (s->deny != NULL)
		sb_printf(out, " lists=deny:%s", s->deny);
	else if (s->allow != NULL) {
		sb_printf(out, " lists=allow:%s excused=", s->allow);
		if (m->excused == 0)
			sb_puts(out, "none");
		for (size_t i = 0, n = 0; i < check_count; i++)
			if (m->excused & (1u << i))
				sb_printf(out, "%s%s", n++ ? "," : "", check_table[i]->name);
	}
}

const struct check check_lists = {
	.name = NAME,
	.policy_keys = keys,
	.npolicy_keys = NELEM(keys),
	.policy_size = sizeof(struct lists_policy),
	.msg_size = sizeof(struct lists_msg),
	.connect = lists_connect,
	.envfrom = lists_envfrom,
	.envrcpt = lists_envrcpt,
	.header = lists_header,
	.summary = lists_summary,
};
