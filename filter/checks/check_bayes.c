/*
 * check_bayes.c - check "bayes": the classifier (classify.h) fed as the
 * message streams - header fields, then the part events and decoded text
 * of the attachment screen's MIME scanner (attach_text_hook: the message
 * is parsed once) - and scored at end of message with one batched read of the
 * store (store.h), which the snapshot opens from the "store" key and
 * shares with check_rate.  A store that is down or slow (store.timeout)
 * skips the classifier: the result says so, check_spam shows the rule
 * bayes_error (no score), the summary line carries bayes=down and a
 * warning is logged at most once a minute; mail keeps flowing.
 *
 * Auto-learning (policy keys bayes.autolearn_spam / _ham, off by
 * default): check_spam hands over each governing policy's score without
 * the classifier's own rule (check_bayes_autolearn) and inbound mail over
 * the spam threshold, or under the ham one, is learnt at end of message,
 * once per message digest (a message already trained, by hand or before,
 * is left alone).  The digest is only made when a policy asks for it.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postern/check_attach.h"
#include "postern/check_bayes.h"
#include "postern/log.h"
#include "postern/metrics.h"
#include "postern/snapshot.h"

#define NAME "bayes"

struct bayes_snap {
	struct store *store;
};

/* Each policy's block: the auto-learning thresholds. */
struct bayes_policy {
	int autolearn_spam, autolearn_ham;     /* SCORE_OFF: off */
};

#define OFF(f) offsetof(struct bayes_policy, f)
static const struct ct_key bayes_keys[] = {
	{ "bayes.autolearn_spam", CT_SCORE, OFF(autolearn_spam), "off", 0, 0, NULL,
	  "inbound mail whose spam score without the classifier's bayes_* rule is at least this is "
	  "learnt as spam at end of message (once per message; \"off\": never)" },
	{ "bayes.autolearn_ham", CT_SCORE, OFF(autolearn_ham), "off", 0, 0, NULL,
	  "inbound mail whose spam score without the classifier's bayes_* rule is at most this is "
	  "learnt as ham (once per message; \"off\": never)" },
};
#undef OFF

#define BP(p) ((const struct bayes_policy *)check_policy((p), &check_bayes))

enum autolearnt { AL_NONE = 0, AL_SPAM, AL_HAM, AL_ALREADY, AL_ERROR };

struct bayes_msg {
	struct classify *cl;
	bool done;
	bool digest;               /* a policy auto-learns: the digest is made */
	enum autolearnt learnt;
	struct bayes_result r;
};

static bool
bayes_snap_new(const struct config *cfg, void **out, struct ct_errors *errs)
{
	struct bayes_snap *s = xcalloc(1, sizeof(*s));
	const char *why = NULL;

	*out = s;
	if (cfg->store == NULL || cfg->store[0] == '\0')
		return true;
	s->store = store_open(cfg->store, (unsigned)cfg->store_timeout, cfg->store_map_size, &why);
	if (s->store == NULL) {
		ct_error(errs, cfg->file, 0, "store.url", "\"%s\": %s", cfg->store, why);
		return false;
	}
	return true;
}

static void
bayes_snap_free(void *st)
{
	struct bayes_snap *s = st;

	if (s != NULL)
		store_close(s->store);
	free(s);
}

static const struct bayes_snap *
snap_of(const struct conn *c)
{
	return check_snap_state(c->snap, &check_bayes);
}

struct store *
check_bayes_store(const struct conn *c)
{
	const struct bayes_snap *s = snap_of(c);

	return s != NULL ? s->store : NULL;
}

static void
bayes_reset(void *ms)
{
	struct bayes_msg *bm = ms;

	classify_free(bm->cl);
}

/* The classifier, hooked to the attachment screen's scanner (check_attach
 * is earlier in the table: its scanner exists from the first header on),
 * before that scanner sees the end of the header, where a single-part
 * message's part begins. */
static bool
autolearn_on(const struct msg *m)
{
	for (size_t i = 0; i < m->npol; i++)
		if (BP(m->pol[i])->autolearn_spam != SCORE_OFF ||
		    BP(m->pol[i])->autolearn_ham != SCORE_OFF)
			return true;
	return false;
}

static void
hook(struct msg *m, struct bayes_msg *bm)
{
	bm->digest = m->dir == DIR_INBOUND && autolearn_on(m);
	bm->cl = classify_new_hooked(bm->digest);
	(void)attach_text_hook(m, classify_on_part, classify_on_text, bm->cl);
}

static void
bayes_header(struct conn *c, struct msg *m, void *ms, const char *name, const char *value,
    struct verdict *v)
{
	struct bayes_msg *bm = ms;

	(void)m;
	(void)v;
	if (check_bayes_store(c) == NULL)
		return;
	if (bm->cl == NULL)
		hook(m, bm);
	classify_header(bm->cl, name, value);
}

static void
bayes_eoh(struct conn *c, struct msg *m, void *ms, struct verdict *v)
{
	struct bayes_msg *bm = ms;

	(void)m;
	(void)v;
	if (check_bayes_store(c) == NULL)
		return;
	if (bm->cl == NULL)
		hook(m, bm);
	classify_eoh(bm->cl);
}

/* Only for the digest (auto-learning); the text comes from the hook. */
static void
bayes_body(struct conn *c, struct msg *m, void *ms, const unsigned char *buf, size_t len,
    struct verdict *v)
{
	struct bayes_msg *bm = ms;

	(void)c;
	(void)m;
	(void)v;
	if (bm->digest)
		classify_body(bm->cl, buf, len);
}

static void
log_store_trouble(const struct conn *c, const struct msg *m)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t last;
	struct store *s = check_bayes_store(c);
	time_t now = time(NULL);
	char why[160];
	bool say;

	pthread_mutex_lock(&lock);
	say = now - last >= 60 || now < last;
	if (say)
		last = now;
	pthread_mutex_unlock(&lock);
	if (say) {
		enum store_status st = store_health(s, why, sizeof(why));
		plog(PLOG_WARNING, m->qid, "bayes: store %s is %s (%s); classifier skipped",
		    store_url(s), store_status_name(st), why);
	}
}

static void
bayes_eom(struct conn *c, struct msg *m, void *ms, struct edits *e, struct verdict *v)
{
	struct bayes_msg *bm = ms;
	struct store *s = check_bayes_store(c);

	(void)e;
	(void)v;
	if (s == NULL || bm->cl == NULL || m->npol == 0)
		return;
	classify_score(bm->cl, s, c->snap->cfg.bayes_min_learns, &bm->r);
	bm->done = true;
	if (bm->r.st != STORE_OK)
		log_store_trouble(c, m);
}

void
check_bayes_autolearn(struct conn *c, struct msg *m, const int *scores)
{
	struct bayes_msg *bm = check_msg_state(m, &check_bayes);
	struct store *s = check_bayes_store(c);
	bool spam = false, ham = false;
	enum store_status st;

	if (!bm->done || !bm->digest || bm->r.st != STORE_OK || bm->learnt != AL_NONE)
		return;
	for (size_t i = 0; i < m->npol; i++) {
		const struct bayes_policy *bp = BP(m->pol[i]);
		if (bp->autolearn_spam != SCORE_OFF && scores[i] >= bp->autolearn_spam)
			spam = true;
		else if (bp->autolearn_ham != SCORE_OFF && scores[i] <= bp->autolearn_ham)
			ham = true;
	}
	if (!spam && !ham)
		return;       /* a policy calling it spam wins over one calling it ham */
	switch (classify_autolearn(bm->cl, s, spam, &st)) {
	case LEARN_DONE:
		bm->learnt = spam ? AL_SPAM : AL_HAM;
		break;
	case LEARN_ALREADY:
		bm->learnt = AL_ALREADY;
		break;
	default:
		bm->learnt = AL_ERROR;
		log_store_trouble(c, m);
		break;
	}
}

const struct bayes_result *
check_bayes_result(const struct msg *m)
{
	const struct bayes_msg *bm = check_msg_state(m, &check_bayes);

	return bm->done ? &bm->r : NULL;
}

static void
bayes_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct bayes_msg *bm = ms;

	(void)c;
	(void)m;
	if (!bm->done)
		return;
	if (bm->r.st != STORE_OK)
		sb_printf(out, " bayes=%s", store_status_name(bm->r.st));
	else if (!bm->r.scored)
		sb_printf(out, " bayes=untrained(%lld/%lld)", (long long)bm->r.nspam, (long long)bm->r.nham);
	else
		sb_printf(out, " bayes=%.4f(%u/%zu)", bm->r.p, bm->r.used, bm->r.ntokens);
	if (bm->learnt != AL_NONE) {
		static const char *const names[] = { "", "spam", "ham", "already", "error" };
		sb_printf(out, " bayes_autolearn=%s", names[bm->learnt]);
	}
}

void
check_bayes_metrics(strbuf *out)
{
	struct snapshot *snap = snapshot_acquire();
	const struct bayes_snap *bs = snap != NULL ? check_snap_state(snap, &check_bayes) : NULL;
	uint64_t bytes = 0, records = 0;
	enum store_status st;

	if (bs != NULL && bs->store != NULL) {
		st = store_size(bs->store, &bytes, &records);
		sb_printf(out, "# HELP postern_store_up The state store answered (1) or not (0).\n"
		    "# TYPE postern_store_up gauge\npostern_store_up{kind=\"%s\"} %d\n",
		    store_kind(bs->store) == STORE_LMDB ? "lmdb" : "redis", st == STORE_OK);
		if (st == STORE_OK)
			sb_printf(out, "# HELP postern_store_bytes Bytes the state store takes (LMDB: "
			    "the file's pages in use; Redis: the server's used_memory).\n"
			    "# TYPE postern_store_bytes gauge\npostern_store_bytes %llu\n"
			    "# HELP postern_store_records Records in the state store (classifier tokens, "
			    "digests, rate counters).\n"
			    "# TYPE postern_store_records gauge\npostern_store_records %llu\n",
			    (unsigned long long)bytes, (unsigned long long)records);
	}
	if (snap != NULL)
		snapshot_release(snap);
}

const struct check check_bayes = {
	.name = NAME,
	.policy_keys = bayes_keys,
	.npolicy_keys = NELEM(bayes_keys),
	.policy_size = sizeof(struct bayes_policy),
	.snap_new = bayes_snap_new,
	.snap_free = bayes_snap_free,
	.msg_size = sizeof(struct bayes_msg),
	.msg_reset = bayes_reset,
	.header = bayes_header,
	.eoh = bayes_eoh,
	.body = bayes_body,
	.eom = bayes_eom,
	.summary = bayes_summary,
};
