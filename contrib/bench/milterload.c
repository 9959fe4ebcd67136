/*
 * milterload.c - a milter load client: plays the MTA against any milter
 * socket with N concurrent connections (threads) of M messages each and
 * reports messages/s, latency percentiles, verdicts and header changes.
 *
 * This file owns the options, the threads and the report; the protocol is
 * in ml_proto.c/ml_eom.c/ml_conn.c, message loading in ml_msg.c.  Exit
 * status: 0 run complete, 1 protocol or connection error (message on
 * stderr), 2 usage.  See docs/PERFORMANCE.md.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "milterload.h"

static const char usage[] =
"usage: milterload -s SOCKET -m FILE|DIR [options]\n"
"  -s SOCKET    inet:PORT@ADDR, inet6:PORT@ADDR or unix:PATH\n"
"  -m PATH      an .eml file, or a directory: every *.eml in it (sorted)\n"
"  -c N         concurrent connections (threads), default 1\n"
"  -n M         messages per thread, default 10\n"
"  -k K         messages per milter connection, then reconnect (default M)\n"
"  -a IP        client address (default 192.0.2.10)\n"
"  -N NAME      client host name (default client.bench.example)\n"
"  -H NAME      HELO name (default client.bench.example)\n"
"  -f ADDR      envelope sender (default sender@example.org)\n"
"  -r ADDR      recipient, repeatable (default user@example.com)\n"
"  -D [STAGE:]NAME=VALUE  macro, repeatable; STAGE connect|helo|mail|rcpt|\n"
"               data|eoh|eom, else guessed ({auth_*} mail, {tls_*} helo,\n"
"               others connect).  Sent by default: j and {client_addr} at\n"
"               connect, i (a fresh queue id per message) from mail to eom\n"
"  -X WHAT=BYTES  hostile sizes: helo, from, rcpt (first recipient) or\n"
"               header (an extra X-Bench-Long field) of BYTES bytes\n"
"  -e           a connection the milter closes is counted (closed@STEP),\n"
"               not an error (with -X)\n"
"  -C TEXT      count added/inserted/changed header values containing TEXT\n"
"               (repeatable, up to 8)\n"
"  -t SECS      reply timeout (default 30)\n"
"  -q           print only the result: line\n"
"  -P           one send() per packet, as Postfix writes them (default:\n"
"               packets of no-reply steps go out with the next answered one)\n"
"  -L           do not offer SMFIP_HDR_LEADSPC: each header value loses one\n"
"               space after the colon, as from an MTA without it\n"
"  -w DIR       write each message file once to DIR with the header fields\n"
"               the milter added (e.g. to make signed test messages)\n";

struct thr {
	pthread_t t;
	unsigned id;
	struct ml_stats st;
	int rc;
};

static const struct ml_opts *g_opts;
static const struct ml_msg *g_msgs;
static size_t g_nmsgs;
static pthread_barrier_t g_start;

void *
ml_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fputs("milterload: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
ml_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL) {
		fputs("milterload: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *
ml_xstrndup(const char *s, size_t n)
{
	char *d = ml_xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void
ml_count(struct ml_counter *tab, const char *key, unsigned long n)
{
	size_t i;

	for (i = 0; i < ML_MAX_COUNTERS - 1 && tab[i].key[0] != '\0'; i++)
		if (strcmp(tab[i].key, key) == 0)
			break;
	if (i == ML_MAX_COUNTERS - 1 && strcmp(tab[i].key, key) != 0)
		key = "other";
	if (tab[i].key[0] == '\0')
		snprintf(tab[i].key, sizeof(tab[i].key), "%s", key);
	tab[i].n += n;
}

static int
stage_of(const char *name)
{
	static const struct { const char *prefix; int stage; } guess[] = {
		{ "{auth_", ST_MAIL }, { "{mail_", ST_MAIL }, { "{rcpt_", ST_RCPT },
		{ "{tls_", ST_HELO }, { "{cipher", ST_HELO }, { "{cert_", ST_HELO },
	};
	size_t i;

	for (i = 0; i < sizeof(guess) / sizeof(guess[0]); i++)
		if (strncmp(name, guess[i].prefix, strlen(guess[i].prefix)) == 0)
			return guess[i].stage;
	return ST_CONNECT;
}

/* Add or replace macro NAME at STAGE (value NULL = the message's queue id). */
static void
set_macro(struct ml_opts *o, int stage, const char *name, size_t nl, const char *value)
{
	size_t i;

	for (i = 0; i < o->nmacros; i++)
		if (o->macros[i].stage == stage && strlen(o->macros[i].name) == nl &&
		    strncmp(o->macros[i].name, name, nl) == 0)
			break;
	if (i == o->nmacros) {
		o->macros = ml_xrealloc(o->macros, (o->nmacros + 1) * sizeof(*o->macros));
		o->macros[o->nmacros++].name = ml_xstrndup(name, nl);
	}
	o->macros[i].stage = stage;
	o->macros[i].value = value != NULL ? ml_xstrndup(value, strlen(value)) : NULL;
}

static int
parse_macro(struct ml_opts *o, const char *arg)
{
	static const char *const stages[ST_COUNT] = {
		"connect", "helo", "mail", "rcpt", "data", "eom", "eoh"
	};
	const char *eq = strchr(arg, '='), *colon = strchr(arg, ':');
	int s, stage = -1;

	if (eq == NULL || eq == arg)
		return -1;
	if (colon != NULL && colon < eq) {
		for (s = 0; s < ST_COUNT; s++)
			if ((size_t)(colon - arg) == strlen(stages[s]) &&
			    strncmp(arg, stages[s], (size_t)(colon - arg)) == 0)
				stage = s;
		if (stage < 0)
			return -1;
		arg = colon + 1;
	}
	if (stage < 0 && eq - arg == 1 && arg[0] == 'i') {   /* queue id: everywhere */
		for (s = ST_MAIL; s < ST_COUNT; s++)
			set_macro(o, s, "i", 1, eq + 1);
		return 0;
	}
	set_macro(o, stage >= 0 ? stage : stage_of(arg), arg, (size_t)(eq - arg), eq + 1);
	return 0;
}

static int
parse_long(struct ml_opts *o, const char *arg)
{
	static const char *const what[] = { "helo=", "from=", "rcpt=", "header=" };
	size_t *dst[] = { &o->long_helo, &o->long_from, &o->long_rcpt, &o->long_header };
	char *end;
	size_t i;
	unsigned long long v;

	for (i = 0; i < 4; i++)
		if (strncmp(arg, what[i], strlen(what[i])) == 0) {
			v = strtoull(arg + strlen(what[i]), &end, 10);
			if (*end != '\0' || v == 0 || v > 512ull * 1024 * 1024)
				return -1;
			*dst[i] = (size_t)v;
			return 0;
		}
	return -1;
}

static int
posint(const char *s, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end != '\0' || v < 1 || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static void
parse_opts(int argc, char **argv, struct ml_opts *o)
{
	int c, secs = 30, s;

	memset(o, 0, sizeof(*o));
	o->conns = 1;
	o->count = 10;
	o->client_ip = "192.0.2.10";
	o->client_name = o->helo = "client.bench.example";
	o->from = "sender@example.org";
	set_macro(o, ST_CONNECT, "j", 1, "milterload.example");
	for (s = ST_MAIL; s < ST_COUNT; s++)
		set_macro(o, s, "i", 1, NULL);
	while ((c = getopt(argc, argv, "s:m:c:n:k:a:N:H:f:r:D:X:eC:t:qw:PLh")) != -1) {
		switch (c) {
		case 's': o->sock = optarg; break;
		case 'm': o->msgpath = optarg; break;
		case 'c': if (posint(optarg, 4096, &o->conns)) goto bad; break;
		case 'n': if (posint(optarg, 100000000, &o->count)) goto bad; break;
		case 'k': if (posint(optarg, 100000000, &o->per_conn)) goto bad; break;
		case 'a': o->client_ip = optarg; break;
		case 'N': o->client_name = optarg; break;
		case 'H': o->helo = optarg; break;
		case 'f': o->from = optarg; break;
		case 'r':
			o->rcpts = ml_xrealloc(o->rcpts, (o->nrcpts + 1) * sizeof(char *));
			o->rcpts[o->nrcpts++] = optarg;
			break;
		case 'D': if (parse_macro(o, optarg)) goto bad; break;
		case 'X': if (parse_long(o, optarg)) goto bad; break;
		case 'e': o->expect_close = 1; break;
		case 'C':
			if (o->ntexts == ML_MAX_TEXTS)
				goto bad;
			o->texts[o->ntexts++] = optarg;
			break;
		case 't': if (posint(optarg, 3600, &secs)) goto bad; break;
		case 'q': o->quiet = 1; break;
		case 'w': o->outdir = optarg; break;
		case 'P': o->per_packet = 1; break;
		case 'L': o->no_leadspc = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: goto bad;
		}
	}
	if (o->sock == NULL || o->msgpath == NULL || optind != argc)
		goto bad;
	if (o->nrcpts == 0) {
		static char *def[] = { "user@example.com" };

		o->rcpts = def;
		o->nrcpts = 1;
	}
	if (o->per_conn == 0)
		o->per_conn = o->count;
	set_macro(o, ST_CONNECT, "{client_addr}", 13, o->client_ip);
	o->timeout_ms = secs * 1000;
	return;
bad:
	if (optind > 0 && optind <= argc && argv[optind - 1] != NULL)
		fprintf(stderr, "milterload: bad or missing argument near \"%s\"\n", argv[optind - 1]);
	fputs(usage, stderr);
	exit(2);
}

static void *
thread_main(void *arg)
{
	struct thr *t = arg;

	pthread_barrier_wait(&g_start);
	t->rc = ml_run_worker(g_opts, g_msgs, g_nmsgs, t->id, &t->st);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p * (double)n + 0.999999);

	if (n == 0)
		return 0;
	return v[k == 0 ? 0 : (k > n ? n - 1 : k - 1)];
}

static void
print_counters(const char *label, const struct ml_counter *tab, int quiet, FILE *res)
{
	size_t i;
	char key[ML_KEY_LEN], *p;

	if (!quiet)
		printf("%-13s", label);
	for (i = 0; i < ML_MAX_COUNTERS && tab[i].key[0] != '\0'; i++) {
		if (!quiet)
			printf(" %s=%lu", tab[i].key, tab[i].n);
		snprintf(key, sizeof(key), "%s", tab[i].key);
		for (p = key; *p != '\0'; p++)
			if (*p == ' ')
				*p = ':';
		fprintf(res, " %s=%lu", key, tab[i].n);
	}
	if (!quiet)
		printf("%s\n", i == 0 ? " none" : "");
}

static void
report(const struct ml_opts *o, struct thr *th, double secs)
{
	struct ml_stats all;
	size_t i, j, n = 0;
	double *lat;
	char res[16384];
	FILE *r = fmemopen(res, sizeof(res), "w");

	memset(&all, 0, sizeof(all));
	for (i = 0; i < (size_t)o->conns; i++)
		n += th[i].st.nlat;
	lat = ml_xmalloc((n + 1) * sizeof(double));
	for (i = 0, n = 0; i < (size_t)o->conns; i++) {
		struct ml_stats *s = &th[i].st;

		memcpy(lat + n, s->lat, s->nlat * sizeof(double));
		n += s->nlat;
		all.messages += s->messages;
		all.connections += s->connections;
		all.replies += s->replies;
		for (j = 0; j < ML_MAX_COUNTERS && s->verdicts[j].key[0]; j++)
			ml_count(all.verdicts, s->verdicts[j].key, s->verdicts[j].n);
		for (j = 0; j < ML_MAX_COUNTERS && s->changes[j].key[0]; j++)
			ml_count(all.changes, s->changes[j].key, s->changes[j].n);
		for (j = 0; j < o->ntexts; j++)
			all.text_hits[j] += s->text_hits[j];
		if (all.sample_reply[0] == '\0')
			memcpy(all.sample_reply, s->sample_reply, sizeof(all.sample_reply));
	}
	qsort(lat, n, sizeof(double), cmp_double);
	fprintf(r, "result: messages=%lu secs=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f"
	    " connections=%lu replies=%lu", all.messages, secs, (double)all.messages / secs,
	    pct(lat, n, 0.50), pct(lat, n, 0.99), n ? lat[n - 1] : 0.0, all.connections,
	    all.replies);
	if (!o->quiet) {
		printf("milterload   %s: %d connection(s) x %d message(s), %zu file(s) from %s\n",
		    o->sock, o->conns, o->count, g_nmsgs, o->msgpath);
		printf("messages     %lu in %.3f s = %.1f msg/s (%lu milter connections, %lu replies read)\n",
		    all.messages, secs, (double)all.messages / secs, all.connections, all.replies);
		printf("latency ms   p50 %.3f  p99 %.3f  max %.3f\n", pct(lat, n, 0.50),
		    pct(lat, n, 0.99), n ? lat[n - 1] : 0.0);
	}
	print_counters("verdicts", all.verdicts, o->quiet, r);
	print_counters("changes", all.changes, o->quiet, r);
	for (j = 0; j < o->ntexts; j++) {
		if (!o->quiet)
			printf("text         \"%s\" in %lu changed header(s)\n", o->texts[j], all.text_hits[j]);
		fprintf(r, " text%zu=%lu", j + 1, all.text_hits[j]);
	}
	if (!o->quiet && all.sample_reply[0] != '\0')
		printf("sample reply %s\n", all.sample_reply);
	fclose(r);
	printf("%s\n", res);
	free(lat);
}

int
main(int argc, char **argv)
{
	struct ml_opts o;
	struct ml_msg *msgs;
	struct thr *th;
	struct timespec t0, t1;
	int i, failed = 0;

	signal(SIGPIPE, SIG_IGN);
	parse_opts(argc, argv, &o);
	if (o.outdir != NULL && mkdir(o.outdir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "milterload: %s: %s\n", o.outdir, strerror(errno));
		return 2;
	}
	g_nmsgs = ml_load_messages(o.msgpath, &msgs);
	if (g_nmsgs == 0)
		return 2;
	g_opts = &o;
	g_msgs = msgs;
	th = calloc((size_t)o.conns, sizeof(*th));
	if (th == NULL || pthread_barrier_init(&g_start, NULL, (unsigned)o.conns + 1) != 0) {
		fputs("milterload: cannot set up threads\n", stderr);
		return 1;
	}
	for (i = 0; i < o.conns; i++) {
		th[i].id = (unsigned)i;
		if (pthread_create(&th[i].t, NULL, thread_main, &th[i]) != 0) {
			fputs("milterload: cannot start threads\n", stderr);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_barrier_wait(&g_start);
	for (i = 0; i < o.conns; i++)
		pthread_join(th[i].t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < o.conns; i++)
		if (th[i].rc != 0) {
			fprintf(stderr, "milterload: PROTOCOL ERROR: %s\n", th[i].st.err);
			failed = 1;
		}
	if (failed)
		return 1;
	report(&o, th, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
