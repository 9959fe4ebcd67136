/*
 * learn.c - postern-learn: train the classifier (classify.h) from stored
 * messages into the store the daemon reads.
 *
 *   postern-learn [-c FILE] [--store URL] --spam|--ham [--forget] [-q] PATH...
 *   postern-learn --tokens PATH...     (print each message's tokens)
 *
 * PATH is a message file (.eml), an mbox file (it starts with "From "),
 * a maildir or any directory (every regular file under it, dot files
 * skipped).  Messages are written in batches (--batch N, default 100: one
 * store write per batch).  A message trained twice counts once (its digest is kept);
 * training a ham message as spam moves it; --forget takes it back.  A
 * progress line goes to stderr, a summary to stdout; the exit status is 1
 * when the store failed or nothing could be read.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postern/classify.h"
#include "postern/config.h"
#include "postern/replay.h"
#include "postern/util.h"

#define DEFAULT_CONF SYSCONFDIR "/postern/postern.conf"
#define DEPTH_MAX 8

#define BATCH_DEFAULT 100
#define BATCH_MAX 10000

struct learn {
	struct store *store;
	struct learn_batch *batch;
	bool spam, forget, quiet, tty, tokens;
	unsigned long done, already, unknown, unreadable, failed, seen;
	enum store_status last_st;
	char why[160];             /* the last failure's reason */
};

static void
progress(struct learn *l, bool final)
{
	if (l->quiet || (!l->tty && !final))
		return;
	if (!final && l->seen % 50 != 0)
		return;
	fprintf(stderr, "\rpostern-learn: %lu messages (%lu %s, %lu already)%s", l->seen, l->done,
	    l->forget ? "forgotten" : "learned", l->already, final ? "\n" : "");
	fflush(stderr);
}

static void
print_token(void *ctx, const char *tok, size_t len)
{
	strbuf sb;

	(void)ctx;
	sb_init(&sb);
	sb_escape(&sb, tok, len, 300);
	printf("%s\n", sb.s);
	sb_free(&sb);
}

/* A batch write failed: its messages were counted as done. */
static void
lose(struct learn *l, size_t lost, enum store_status st)
{
	if (lost == 0)
		return;
	l->done -= lost;
	l->failed += lost;
	l->last_st = st;
	store_health(l->store, l->why, sizeof(l->why));
}

static void
one(struct learn *l, const char *msg, size_t len)
{
	struct classify *c = classify_new(true);
	enum store_status st;

	if (l->tokens) {
		classify_set_trace(c, print_token, NULL);
		classify_message(c, msg, len);
		printf("-- %zu distinct tokens%s\n", classify_ntokens(c),
		    classify_truncated(c) ? " (a limit was reached)" : "");
		classify_free(c);
		l->seen++;
		return;
	}
	classify_message(c, msg, len);
	size_t lost;
	enum learn_outcome out = learn_batch_add(l->batch, c, l->spam, l->forget, &st, &lost);
	lose(l, lost, st);
	switch (out) {
	case LEARN_DONE: l->done++; break;
	case LEARN_ALREADY: l->already++; break;
	case LEARN_UNKNOWN: l->unknown++; break;
	case LEARN_ERROR:
		l->failed++;
		l->last_st = st;
		store_health(l->store, l->why, sizeof(l->why));
		break;
	}
	classify_free(c);
	l->seen++;
	progress(l, false);
}

/* An mbox: messages start at "From " lines; ">From " lines lose one '>'. */
static void
mbox(struct learn *l, FILE *f)
{
	strbuf m;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool in = false, big = false;

	sb_init(&m);
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (strncmp(line, "From ", 5) == 0) {
			if (in && !big)
				one(l, m.s != NULL ? m.s : "", m.len);
			else if (in)
				l->unreadable++;
			m.len = 0;
			in = true;
			big = false;
			continue;
		}
		if (!in || big)
			continue;
		const char *p = line;
		size_t k = 0;
		while (p[k] == '>')
			k++;
		if (k > 0 && strncmp(p + k, "From ", 5) == 0) {
			p++;
			n--;
		}
		if (m.len + (size_t)n > REPLAY_FILE_MAX)
			big = true;
		else
			sb_append(&m, p, (size_t)n);
	}
	if (in && !big)
		one(l, m.s != NULL ? m.s : "", m.len);
	else if (in)
		l->unreadable++;
	free(line);
	sb_free(&m);
}

static void
path(struct learn *l, const char *p, unsigned depth)
{
	struct stat sb;

	if (stat(p, &sb) != 0) {
		fprintf(stderr, "postern-learn: %s: %s\n", p, strerror(errno));
		l->unreadable++;
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		struct dirent **ents;
		int n;

		if (depth >= DEPTH_MAX)
			return;
		n = scandir(p, &ents, NULL, alphasort);
		if (n < 0) {
			fprintf(stderr, "postern-learn: %s: %s\n", p, strerror(errno));
			l->unreadable++;
			return;
		}
		for (int i = 0; i < n; i++) {
			if (ents[i]->d_name[0] != '.') {
				strbuf sub;
				sb_init(&sub);
				sb_printf(&sub, "%s/%s", p, ents[i]->d_name);
				path(l, sub.s, depth + 1);
				sb_free(&sub);
			}
			free(ents[i]);
		}
		free(ents);
		return;
	}
	if (!S_ISREG(sb.st_mode))
		return;
	FILE *f = fopen(p, "rb");
	char head[5];
	if (f == NULL) {
		fprintf(stderr, "postern-learn: %s: %s\n", p, strerror(errno));
		l->unreadable++;
		return;
	}
	if (fread(head, 1, 5, f) == 5 && memcmp(head, "From ", 5) == 0) {
		rewind(f);
		mbox(l, f);
		fclose(f);
		return;
	}
	fclose(f);
	strbuf m;
	sb_init(&m);
	if (!replay_read(p, &m)) {
		fprintf(stderr, "postern-learn: %s: %s\n", p, strerror(errno));
		l->unreadable++;
	} else {
		one(l, m.s != NULL ? m.s : "", m.len);
	}
	sb_free(&m);
}

static void
usage(int st)
{
	fprintf(st ? stderr : stdout,
	    "usage: postern-learn [-c FILE] [--store URL] --spam|--ham [--forget] [-q] [--batch N] PATH...\n"
	    "       postern-learn --tokens PATH...\n"
	    "  PATH: a message (.eml), an mbox file, a maildir or a directory of messages\n");
	exit(st);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "spam", no_argument, NULL, 's' }, { "ham", no_argument, NULL, 'h' },
		{ "forget", no_argument, NULL, 'f' }, { "store", required_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' }, { "tokens", no_argument, NULL, 'T' }, { "help", no_argument, NULL, 'H' },
		{ "batch", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = DEFAULT_CONF, *url = NULL, *why = NULL;
	struct learn l = { 0 };
	struct config cfg;
	struct ct_errors errs;
	int ch, which = 0;
	int64_t ns = 0, nh = 0;
	bool have_cfg = false;
	unsigned long batch = BATCH_DEFAULT;
	char *end;

	while ((ch = getopt_long(argc, argv, "c:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 's': which |= 1; break;
		case 'h': which |= 2; break;
		case 'f': l.forget = true; break;
		case 'S': url = optarg; break;
		case 'q': l.quiet = true; break;
		case 'T': l.tokens = true; break;
		case 'B':
			batch = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || batch < 1 || batch > BATCH_MAX) {
				fprintf(stderr, "postern-learn: --batch: 1 to %d messages\n", BATCH_MAX);
				return 2;
			}
			break;
		case 'H': usage(0); break;
		default: usage(2);
		}
	}
	if (l.tokens && optind < argc) {
		/* print the tokens of each message; no store */
		l.quiet = true;
		for (int i = optind; i < argc; i++)
			path(&l, argv[i], 0);
		return 0;
	}
	if ((which != 1 && which != 2) || optind == argc)
		usage(2);
	l.spam = which == 1;
	l.tty = isatty(2);
	ct_errors_init(&errs);
	if (url == NULL || access(conf, R_OK) == 0) {
		if (!config_load(&cfg, conf, &errs)) {
			fputs(ct_errors_text(&errs, "postern-learn: configuration error\n"), stderr);
			return 2;
		}
		have_cfg = true;
		if (url == NULL)
			url = cfg.store;
	}
	ct_errors_free(&errs);
	if (url == NULL || *url == '\0') {
		fprintf(stderr, "postern-learn: %s: no store configured (key \"store\"), and no --store\n", conf);
		return 2;
	}
	l.store = store_open(url, have_cfg ? (unsigned)cfg.store_timeout * 10 : 2000,
	    have_cfg ? cfg.store_map_size : 0, &why);
	if (l.store == NULL) {
		fprintf(stderr, "postern-learn: store \"%s\": %s\n", url, why);
		return 2;
	}
	l.batch = learn_batch_new(l.store, batch);
	for (int i = optind; i < argc; i++)
		path(&l, argv[i], 0);
	{
		size_t lost;
		enum store_status st = learn_batch_flush(l.batch, &lost);
		lose(&l, lost, st);
	}
	learn_batch_free(l.batch);
	progress(&l, true);
	classify_totals(l.store, &ns, &nh);
	printf("postern-learn: %lu messages as %s%s: %lu %s, %lu already%s, %lu not trained before, "
	    "%lu unreadable, %lu failed; the store now holds %lld spam and %lld ham\n",
	    l.seen, l.spam ? "spam" : "ham", l.forget ? " (forget)" : "", l.done,
	    l.forget ? "forgotten" : "learned", l.already, l.forget ? "" : " trained so",
	    l.unknown, l.unreadable, l.failed, (long long)ns, (long long)nh);
	if (l.failed > 0)
		fprintf(stderr, "postern-learn: store %s: %s (%s)\n", url, store_status_name(l.last_st),
		    l.why);
	store_close(l.store);
	if (have_cfg)
		config_free(&cfg);
	return l.failed > 0 || (l.seen == 0 && l.unreadable > 0) ? 1 : 0;
}
