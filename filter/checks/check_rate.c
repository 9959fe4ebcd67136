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
 * A store that fails (down, slow, map full, disk full) cannot count: by
 * store.on_error the recipient gets 451 4.3.0 (tempfail, the default: a
 * limit is never passed unchecked, the mail stays queued at the sender)
 * or is let through (continue); the summary says rate=down either way.
 * The failure is logged once a minute (with how many calls failed since
 * the last line), and its end once.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

#define TROUBLE_LOG_S 60

/* Store trouble: logged when it starts and then once a minute, with the
 * number of failed calls; its end is logged once.  Process-wide: one
 * store serves every snapshot. */
static pthread_mutex_t trouble_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t trouble_logged;
static unsigned long trouble_count;
static bool trouble;

static void
store_failed(const struct conn *c, const struct msg *m, struct store *s)
{
	time_t now = time(NULL);
	unsigned long n;
	bool say;
	char why[160];

	pthread_mutex_lock(&trouble_lock);
	n = ++trouble_count;
	say = !trouble || now - trouble_logged >= TROUBLE_LOG_S || now < trouble_logged;
	trouble = true;
	if (say) {
		trouble_logged = now;
		trouble_count = 0;
	}
	pthread_mutex_unlock(&trouble_lock);
	if (say) {
		enum store_status st = store_health(s, why, sizeof(why));
		plog(PLOG_WARNING, m->qid, "rate: store %s is %s (%s), %lu call(s) failed; rate limits %s",
		    store_url(s), store_status_name(st), why, n,
		    c->snap->cfg.store_on_error == STORE_ON_ERROR_CONTINUE ?
		    "not applied (store.on_error continue)" : "tempfail (451 4.3.0)");
	}
}

static void
store_worked(const struct msg *m, struct store *s)
{
	unsigned long n = 0;
	bool was;

	pthread_mutex_lock(&trouble_lock);
	was = trouble;
	if (was) {
		n = trouble_count;
		trouble = false;
		trouble_count = 0;
	}
	pthread_mutex_unlock(&trouble_lock);
	if (was)
		plog(PLOG_NOTICE, m->qid, "rate: store %s works again (%lu call(s) failed since the last line)",
		    store_url(s), n);
}

/* The store failed: rate=down, and 451 4.3.0 unless store.on_error continue. */
static void
rate_down(const struct conn *c, const struct msg *m, struct rate_msg *rm, const struct policy *p,
    struct store *s, struct verdict *v)
{
	rm->down = true;
	store_failed(c, m, s);
	if (c->snap->cfg.store_on_error != STORE_ON_ERROR_CONTINUE)
		check_verdict(v, NAME, p, ACT_TEMPFAIL, 451, "4.3.0",
		    "rate limit cannot be counted now, try again later");
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
		rate_down(c, m, rm, p, s, v);
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
		rate_down(c, m, rm, p, s, v);
		return;
	}
	store_worked(m, s);
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
