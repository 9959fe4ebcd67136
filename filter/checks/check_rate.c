/*
 * check_rate.c - check "rate": rate limits over the state store (the one
 * check_bayes opens from the "store" key; with Redis the counters are
 * shared by every host).  Three subjects are counted, each in a record
 * of its own that lives rate.window seconds from its first message (a
 * fixed window): the authenticated user (SMTP AUTH), the envelope sender's
 * domain, the client address; each record holds messages (a) and
 * recipients (b).
 *
 * RCPT: under the recipient's governing policy, a recipient that would
 * take a subject over one of the policy's rate.* limits gets 451 4.7.1
 * (the client retries later: nothing is lost) and a log line; otherwise
 * it is counted (the message once, at its first accepted recipient).
 * A store that is down or slow skips the limits (mail keeps flowing) and
 * the summary says rate=down.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "postern/check_bayes.h"
#include "postern/check_rate.h"
#include "postern/log.h"
#include "postern/store.h"

#define NAME "rate"
#define NSUBJ 3

struct rate_policy {
	unsigned long long msgs[NSUBJ], rcpts[NSUBJ];
};

#define OFF(f) offsetof(struct rate_policy, f)
static const struct ct_key rate_keys[] = {
	{ "rate.user_messages", CT_UINT, OFF(msgs[0]), "0", 0, 100000000, NULL,
	  "messages per rate.window from one authenticated user (SMTP AUTH); over it: 451 4.7.1; 0: no limit" },
	{ "rate.user_recipients", CT_UINT, OFF(rcpts[0]), "0", 0, 100000000, NULL,
	  "recipients per rate.window from one authenticated user; 0: no limit" },
	{ "rate.domain_messages", CT_UINT, OFF(msgs[1]), "0", 0, 100000000, NULL,
	  "messages per rate.window from one envelope sender domain; 0: no limit" },
	{ "rate.domain_recipients", CT_UINT, OFF(rcpts[1]), "0", 0, 100000000, NULL,
	  "recipients per rate.window from one envelope sender domain; 0: no limit" },
	{ "rate.ip_messages", CT_UINT, OFF(msgs[2]), "0", 0, 100000000, NULL,
	  "messages per rate.window from one client address; 0: no limit" },
	{ "rate.ip_recipients", CT_UINT, OFF(rcpts[2]), "0", 0, 100000000, NULL,
	  "recipients per rate.window from one client address; 0: no limit" },
};
#undef OFF

static const char *const subj_name[NSUBJ] = { "user", "sender domain", "client" };

struct rate_msg {
	bool counted;            /* the message is counted (first recipient) */
	bool limited;            /* a recipient was refused */
	bool down;
	unsigned refused;
};

/* The subject's name for subject i, or NULL when it has none. */
static const char *
subject(const struct conn *c, const struct msg *m, int i)
{
	switch (i) {
	case 0: return m->auth_user != NULL && m->auth_user[0] != '\0' ? m->auth_user : NULL;
	case 1: return m->sender_domain[0] != '\0' ? m->sender_domain : NULL;
	default: return c->addr[0] != '\0' ? c->addr : NULL;
	}
}

static void
rate_envrcpt(struct conn *c, struct msg *m, void *ms, const struct policy *p, struct verdict *v)
{
	struct rate_msg *rm = ms;
	const struct rate_policy *rp = check_policy(p, &check_rate);
	struct store *s = check_bayes_store(c);
	struct store_key k[NSUBJ];
	struct store_val cur[NSUBJ], d[NSUBJ];
	const char *who[NSUBJ];
	int idx[NSUBJ];
	size_t n = 0;
	enum store_status st;

	if (s == NULL)
		return;
	for (int i = 0; i < NSUBJ; i++) {
		char kb[STORE_KEY_MAX];
		int kl;

		if ((rp->msgs[i] == 0 && rp->rcpts[i] == 0) || (who[n] = subject(c, m, i)) == NULL)
			continue;
		kl = snprintf(kb, sizeof(kb), "%c:%s", "udi"[i], who[n]);
		if (kl < 0)
			continue;
		store_key_make(&k[n], 'r', kb, (size_t)kl);
		idx[n++] = i;
	}
	if (n == 0)
		return;
	if ((st = store_get(s, k, n, cur)) != STORE_OK) {
		rm->down = true;
		return;
	}
	for (size_t j = 0; j < n; j++) {
		int i = idx[j];
		bool over_m = !rm->counted && rp->msgs[i] > 0 && (unsigned long long)cur[j].a >= rp->msgs[i];
		bool over_r = rp->rcpts[i] > 0 && (unsigned long long)cur[j].b >= rp->rcpts[i];

		if (!over_m && !over_r)
			continue;
		rm->limited = true;
		rm->refused++;
		check_verdict(v, NAME, p, ACT_TEMPFAIL, 451, "4.7.1",
		    "rate limit reached for this %s, try again later", subj_name[i]);
		{
			strbuf esc;
			sb_init(&esc);
			sb_escape(&esc, who[j], strlen(who[j]), 100);
			plog(PLOG_NOTICE, m->qid, "rate: %s %s over %llu %s per %llu s (policy %s): 451 4.7.1",
			    subj_name[i], esc.s, over_m ? rp->msgs[i] : rp->rcpts[i],
			    over_m ? "messages" : "recipients", c->snap->cfg.rate_window,
			    p->domain[0] ? p->domain : "default");
			sb_free(&esc);
		}
		return;
	}
	for (size_t j = 0; j < n; j++) {
		d[j].a = rm->counted ? 0 : 1;
		d[j].b = 1;
	}
	if (store_add(s, k, n, d, (unsigned)(c->snap->cfg.rate_window * 1000)) != STORE_OK) {
		rm->down = true;
		return;
	}
	rm->counted = true;
}

static void
rate_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct rate_msg *rm = ms;

	(void)c;
	(void)m;
	if (rm->down)
		sb_puts(out, " rate=down");
	else if (rm->limited)
		sb_printf(out, " rate=limited(%u)", rm->refused);
}

const struct check check_rate = {
	.name = NAME,
	.policy_keys = rate_keys,
	.npolicy_keys = NELEM(rate_keys),
	.policy_size = sizeof(struct rate_policy),
	.msg_size = sizeof(struct rate_msg),
	.envrcpt = rate_envrcpt,
	.summary = rate_summary,
};
