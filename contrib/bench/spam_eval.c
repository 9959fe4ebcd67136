/*
 * spam_eval.c - contrib/bench/spam-eval: how well the spam screen does,
 * measured.  Trains the classifier on labelled directories, then runs the
 * whole pipeline (the check table, as the daemon and postern explain run
 * it: rules + classifier) on other labelled directories it never trained
 * on, and prints spam caught and ham tagged at each threshold and at the
 * shipped defaults (tag 5, reject 15).
 *
 *   spam-eval [-c postern.conf] --train-spam DIR --train-ham DIR ...
 *             --test-spam DIR --test-ham DIR ... [--client IP] [--dump FILE]
 *
 * The config names the store (a fresh LMDB file or a Redis database:
 * it is trained from empty, so use a scratch store), the policies and a
 * DNS server; for "network rules off" point dns.nameservers at a server
 * that refuses every query and the policies' temperror actions at accept (the
 * wrapper script contrib/bench/spam-eval writes such a config).  X-Spam-*
 * fields already in the messages are ignored by the tokenizer and removed
 * by check_spam, as in the daemon.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "postern/check_bayes.h"
#include "postern/classify.h"
#include "postern/dns.h"
#include "postern/log.h"
#include "postern/pipeline.h"
#include "postern/replay.h"
#include "postern/snapshot.h"

struct result {
	double score;
	bool tagged, rejected, tempfailed;
};

struct set {
	struct result *v;
	size_t n, cap;
	size_t unreadable;
	const char *label;
};

static FILE *dump;      /* --dump FILE: each measured message's summary line */

static const char *client = "192.0.2.25";
static const char *cur_path;   /* the message being read (--dump) */
static double cpu_ms;

typedef void (*visit_fn)(void *ctx, const char *msg, size_t len);

static void
walk(const char *dir, visit_fn fn, void *ctx, size_t *unreadable)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0) {
		fprintf(stderr, "spam-eval: %s: %s\n", dir, strerror(errno));
		exit(2);
	}
	for (int i = 0; i < n; i++) {
		strbuf p, m;
		struct stat sb;

		if (ents[i]->d_name[0] == '.') {
			free(ents[i]);
			continue;
		}
		sb_init(&p);
		sb_init(&m);
		sb_printf(&p, "%s/%s", dir, ents[i]->d_name);
		if (stat(p.s, &sb) == 0 && S_ISDIR(sb.st_mode))
			walk(p.s, fn, ctx, unreadable);
		else if (stat(p.s, &sb) == 0 && S_ISREG(sb.st_mode) && replay_read(p.s, &m)) {
			/* a one-message mbox (the SpamAssassin corpus): skip its From_ line */
			const char *s = m.s != NULL ? m.s : "";
			size_t len = m.len, skip = 0;
			if (len > 5 && memcmp(s, "From ", 5) == 0) {
				const char *nl = memchr(s, '\n', len);
				skip = nl != NULL ? (size_t)(nl - s) + 1 : len;
			}
			cur_path = p.s;
			fn(ctx, s + skip, len - skip);
			cur_path = NULL;
		}
		else
			(*unreadable)++;
		sb_free(&p);
		sb_free(&m);
		free(ents[i]);
	}
	free(ents);
}

struct train {
	struct store *s;
	struct learn_batch *b;
	bool spam;
	size_t n;
};

static void
train_one(void *ctx, const char *msg, size_t len)
{
	struct train *t = ctx;
	struct classify *c = classify_new(true);
	enum store_status st;

	size_t lost;

	classify_message(c, msg, len);
	if (learn_batch_add(t->b, c, t->spam, false, &st, &lost) == LEARN_ERROR) {
		fprintf(stderr, "spam-eval: store: %s\n", store_status_name(st));
		exit(2);
	}
	classify_free(c);
	t->n++;
}

static double
score_of(const char *summary)
{
	const char *p = strstr(summary, " spam=");

	return p != NULL ? strtod(p + 6, NULL) : 0.0;
}

static void
test_one(void *ctx, const char *msg, size_t len)
{
	struct set *set = ctx;
	struct conn *c = conn_new();
	struct verdict v;
	struct edits e;
	strbuf summary;
	struct replay_head h;
	bool refused = false;
	struct result r = { 0 };
	clock_t t0 = clock();

	sb_init(&summary);
	c->summary_copy = &summary;
	pl_connect(c, "mail.example.net", client, NULL);
	pl_helo(c, "mail.example.net");
	pl_envfrom(c, "", NULL, "EVAL", NULL, &v);
	pl_envrcpt(c, "user@example.org", &v);
	if (!verdict_refuses(&v)) {
		replay_headers(c, msg, len, &h);
		pl_eoh(c, &v);
		if (!verdict_refuses(&v))
			replay_body(c, msg, len, h.body, &v, &refused);
		if (!verdict_refuses(&v)) {
			edits_init(&e);
			pl_eom(c, NULL, &e, &v);
			edits_free(&e);
		}
	}
	r.rejected = v.action == ACT_REJECT;
	r.tempfailed = v.action == ACT_TEMPFAIL;
	r.tagged = v.action >= ACT_TAG;
	pl_close(c);
	r.score = score_of(summary.s != NULL ? summary.s : "");
	if (dump != NULL)
		fprintf(dump, "%s %s %s\n", set->label, cur_path != NULL ? cur_path : "-",
		    summary.s != NULL ? summary.s : "");
	c->summary_copy = NULL;
	conn_free(c);
	sb_free(&summary);
	cpu_ms += (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 1024;
		set->v = realloc(set->v, set->cap * sizeof(*set->v));
		if (set->v == NULL)
			abort();
	}
	set->v[set->n++] = r;
}

static size_t
count_at(const struct set *s, double thr)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		k += s->v[i].score >= thr - 1e-9;
	return k;
}

static double
pct(size_t a, size_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: spam-eval -c postern.conf --train-spam DIR --train-ham DIR ...\n"
	    "       --test-spam DIR --test-ham DIR ... [--client IP]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "train-spam", required_argument, NULL, 'S' }, { "train-ham", required_argument, NULL, 'H' },
		{ "test-spam", required_argument, NULL, 's' }, { "test-ham", required_argument, NULL, 'h' },
		{ "client", required_argument, NULL, 'C' }, { "dump", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct strlist trs = { 0 }, trh = { 0 }, tes = { 0 }, teh = { 0 };
	const char *conf = NULL;
	struct ct_errors errs;
	struct snapshot *snap;
	struct dns_options dopt = { 0 };
	char err[256];
	struct set spam = { .label = "spam" }, ham = { .label = "ham" };
	struct train t = { 0 };
	size_t unread = 0, ntrs, tspam, tham, rspam, rham, tf = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'S': strlist_add(&trs, optarg); break;
		case 'H': strlist_add(&trh, optarg); break;
		case 's': strlist_add(&tes, optarg); break;
		case 'h': strlist_add(&teh, optarg); break;
		case 'C': client = optarg; break;
		case 'D':
			if ((dump = fopen(optarg, "w")) == NULL) {
				fprintf(stderr, "spam-eval: %s: %s\n", optarg, strerror(errno));
				return 2;
			}
			break;
		default: usage();
		}
	}
	if (conf == NULL || tes.n + teh.n == 0)
		usage();
	log_open("spam-eval", 0, true);
	ct_errors_init(&errs);
	if ((snap = snapshot_build(conf, &errs)) == NULL) {
		fputs(errs.text.s, stderr);
		return 2;
	}
	ct_errors_free(&errs);
	log_set_level(PLOG_ERR);
	snapshot_install(snap);
	dopt.nameservers = &snap->cfg.dns_nameservers;
	dopt.timeout_ms = (unsigned)snap->cfg.dns_timeout;
	dopt.cache_size = snap->cfg.dns_cache_size;
	if (!dns_init(&dopt, err, sizeof(err)))
		fprintf(stderr, "spam-eval: resolver: %s\n", err);
	{
		struct conn *c0 = conn_new();
		pl_connect(c0, "x", client, NULL);
		t.s = check_bayes_store(c0);
		pl_close(c0);
		conn_free(c0);
	}
	if (t.s == NULL && trs.n + trh.n > 0) {
		fprintf(stderr, "spam-eval: %s names no store to train\n", conf);
		return 2;
	}
	t.spam = true;
	if (t.s != NULL)
		t.b = learn_batch_new(t.s, 100);
	for (size_t i = 0; i < trs.n; i++)
		walk(trs.v[i], train_one, &t, &unread);
	ntrs = t.n;
	t.spam = false;
	t.n = 0;
	for (size_t i = 0; i < trh.n; i++)
		walk(trh.v[i], train_one, &t, &unread);
	if (t.b != NULL) {
		size_t lost;
		enum store_status st = learn_batch_flush(t.b, &lost);
		if (st != STORE_OK) {
			fprintf(stderr, "spam-eval: store: %s\n", store_status_name(st));
			return 2;
		}
		learn_batch_free(t.b);
	}
	if (t.s != NULL)
		printf("trained: %zu spam, %zu ham (%s)\n", ntrs, t.n, store_url(t.s));
	else
		printf("no store: rules only, no classifier\n");
	for (size_t i = 0; i < tes.n; i++)
		walk(tes.v[i], test_one, &spam, &unread);
	for (size_t i = 0; i < teh.n; i++)
		walk(teh.v[i], test_one, &ham, &unread);
	printf("measured: %zu spam, %zu ham (never trained on); %zu unreadable\n", spam.n, ham.n, unread);
	printf("| threshold | spam caught | ham tagged |\n|---:|---:|---:|\n");
	static const double thr[] = { 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15 };
	for (size_t i = 0; i < sizeof(thr) / sizeof(thr[0]); i++) {
		size_t cs = count_at(&spam, thr[i]), ch2 = count_at(&ham, thr[i]);
		printf("| %g | %.2f %% (%zu/%zu) | %.2f %% (%zu/%zu) |\n", thr[i], pct(cs, spam.n), cs,
		    spam.n, pct(ch2, ham.n), ch2, ham.n);
	}
	tspam = tham = rspam = rham = 0;
	for (size_t i = 0; i < spam.n; i++) {
		tspam += spam.v[i].tagged;
		rspam += spam.v[i].rejected;
		tf += spam.v[i].tempfailed;
	}
	for (size_t i = 0; i < ham.n; i++) {
		tham += ham.v[i].tagged;
		rham += ham.v[i].rejected;
		tf += ham.v[i].tempfailed;
	}
	printf("defaults (the policies' spam.tag / spam.reject): spam tagged or refused %.2f %% "
	    "(%zu/%zu), spam rejected %.2f %% (%zu); ham tagged or refused %.2f %% (%zu/%zu), "
	    "ham rejected %zu; tempfailed %zu\n",
	    pct(tspam, spam.n), tspam, spam.n, pct(rspam, spam.n), rspam, pct(tham, ham.n), tham,
	    ham.n, rham, tf);
	printf("cost: %.2f CPU ms per measured message (whole pipeline)\n",
	    spam.n + ham.n ? cpu_ms / (double)(spam.n + ham.n) : 0.0);
	if (dump != NULL)
		fclose(dump);
	dns_shutdown();
	snapshot_install(NULL);
	free(spam.v);
	free(ham.v);
	strlist_free(&trs);
	strlist_free(&trh);
	strlist_free(&tes);
	strlist_free(&teh);
	return 0;
}
