/*
 * metrics.c - the counters and histograms of metrics.h: plain uint64_t
 * cells updated with relaxed atomic adds (no lock on the message path),
 * rendered as Prometheus text by metrics_render.  Layer 0, so dns.c and
 * the pipeline can both count: it cannot include verdict.h or dns.h, and
 * keeps their names in the same order (tests/unit/test_metrics.c checks
 * them against action_name() and dns_status_name()).
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "postern/metrics.h"

#define NACTIONS 6
#define NCHECKS 32        /* distinct deciding check names kept */
#define CODE_MIN 400
#define CODE_MAX 599
#define NBUCKETS 10       /* + the +Inf bucket */

static const char *const action_names[NACTIONS] = { "accept", "tag", "quarantine",
	"discard", "tempfail", "reject" };
static const char *const dns_names[METRICS_NDNS] = { "ok", "nxdomain", "nodata",
	"servfail", "timeout", "error" };
static const char *const phase_names[MP_NPHASES] = { "connect", "helo", "envfrom",
	"envrcpt", "header", "eoh", "body", "eom" };
/* bucket bounds, nanoseconds, and as Prometheus prints them (seconds) */
static const uint64_t bucket_ns[NBUCKETS] = { 100000, 500000, 1000000, 5000000, 10000000,
	50000000, 100000000, 500000000, 1000000000, 5000000000ULL };
static const char *const bucket_le[NBUCKETS] = { "0.0001", "0.0005", "0.001", "0.005",
	"0.01", "0.05", "0.1", "0.5", "1", "5" };

struct hist {
	uint64_t bucket[NBUCKETS + 1];   /* not cumulative; rendered cumulative */
	uint64_t count;
	uint64_t sum_ns;
};

static struct {
	uint64_t messages[2][NACTIONS];
	uint64_t replies[CODE_MAX - CODE_MIN + 1];
	uint64_t decisions[NCHECKS][NACTIONS];
	uint64_t dns[METRICS_NDNS];
	struct hist phase[MP_NPHASES];
	struct hist dns_latency;
	uint64_t dkim_signed, dkim_sign_failed, dkim_unsigned;
	uint64_t connections;
	int64_t active;
} m;

/* authentication results: (method, result) pairs, copied in under the
 * lock, found without it like the check names */
#define NRESULTS 64
#define RESULT_TEXT 24
struct auth_result {
	char method[RESULT_TEXT], result[RESULT_TEXT];
	uint64_t count;
};
static struct auth_result results[NRESULTS];
static void (*source)(strbuf *out);     /* metrics_set_source */
static unsigned nresults;

/* check names: appended under the lock, read without it (a slot's name is
 * written before ncheck is raised, with release/acquire ordering) */
static const char *check_name[NCHECKS];
static unsigned ncheck;
static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;

static inline void
add(uint64_t *cell, uint64_t n)
{
	__atomic_fetch_add(cell, n, __ATOMIC_RELAXED);
}

static inline uint64_t
get(const uint64_t *cell)
{
	return __atomic_load_n(cell, __ATOMIC_RELAXED);
}

uint64_t
metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
observe(struct hist *h, uint64_t ns)
{
	unsigned b = 0;

	while (b < NBUCKETS && ns > bucket_ns[b])
		b++;
	add(&h->bucket[b], 1);
	add(&h->count, 1);
	add(&h->sum_ns, ns);
}

/* the slot of a check name; -1 when the table is full */
static int
check_slot(const char *name)
{
	unsigned n = __atomic_load_n(&ncheck, __ATOMIC_ACQUIRE);
	int slot = -1;

	for (unsigned i = 0; i < n; i++)
		if (strcmp(check_name[i], name) == 0)
			return (int)i;
	pthread_mutex_lock(&check_lock);
	n = ncheck;
	for (unsigned i = 0; i < n; i++)
		if (strcmp(check_name[i], name) == 0)
			slot = (int)i;
	if (slot < 0 && n < NCHECKS) {
		check_name[n] = name;   /* check names are static strings */
		__atomic_store_n(&ncheck, n + 1, __ATOMIC_RELEASE);
		slot = (int)n;
	}
	pthread_mutex_unlock(&check_lock);
	return slot;
}

void
metrics_message(int outbound, int action, const char *check, unsigned code)
{
	if (action < 0 || action >= NACTIONS)
		return;
	add(&m.messages[outbound ? 1 : 0][action], 1);
	if (code >= CODE_MIN && code <= CODE_MAX)
		add(&m.replies[code - CODE_MIN], 1);
	if (check != NULL) {
		int s = check_slot(check);
		if (s >= 0)
			add(&m.decisions[s][action], 1);
	}
}

/* the word at p (up to end or a stop byte) into w; false unless it is
 * 1..RESULT_TEXT-1 bytes of [a-z0-9_-] */
static bool
word(const char *p, size_t n, char *w)
{
	if (n == 0 || n >= RESULT_TEXT)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
		w[i] = c;
	}
	w[n] = '\0';
	return true;
}

void
metrics_auth_result(const char *clause)
{
	char method[RESULT_TEXT], result[RESULT_TEXT];
	const char *eq, *end;
	unsigned n;

	if (clause == NULL || (eq = strchr(clause, '=')) == NULL)
		return;
	end = eq + 1 + strcspn(eq + 1, " ;\t\n");
	if (!word(clause, (size_t)(eq - clause), method) ||
	    !word(eq + 1, (size_t)(end - eq - 1), result))
		return;
	n = __atomic_load_n(&nresults, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(results[i].method, method) == 0 && strcmp(results[i].result, result) == 0) {
			add(&results[i].count, 1);
			return;
		}
	}
	pthread_mutex_lock(&check_lock);
	n = nresults;
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(results[i].method, method) == 0 && strcmp(results[i].result, result) == 0) {
			add(&results[i].count, 1);
			pthread_mutex_unlock(&check_lock);
			return;
		}
	}
	if (n < NRESULTS) {
		memcpy(results[n].method, method, sizeof(method));
		memcpy(results[n].result, result, sizeof(result));
		results[n].count = 1;
		__atomic_store_n(&nresults, n + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&check_lock);
}

void
metrics_dkim_sign(unsigned nsigned, unsigned nfailed, int unsigned_msg)
{
	add(&m.dkim_signed, nsigned);
	add(&m.dkim_sign_failed, nfailed);
	if (unsigned_msg)
		add(&m.dkim_unsigned, 1);
}

void
metrics_phase(enum metrics_phase p, uint64_t ns)
{
	if ((unsigned)p < MP_NPHASES)
		observe(&m.phase[p], ns);
}

void
metrics_dns(int st, uint64_t ns)
{
	if (st < 0 || st >= METRICS_NDNS)
		st = METRICS_NDNS - 1;
	add(&m.dns[st], 1);
	observe(&m.dns_latency, ns);
}

void
metrics_connection(int delta)
{
	if (delta > 0)
		add(&m.connections, 1);
	__atomic_fetch_add(&m.active, (int64_t)delta, __ATOMIC_RELAXED);
}

static void
header(strbuf *out, const char *name, const char *type, const char *help)
{
	sb_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_hist(strbuf *out, const char *name, const char *label, const struct hist *h)
{
	uint64_t cum = 0;
	const char *sep = label[0] ? "," : "";

	for (unsigned b = 0; b <= NBUCKETS; b++) {
		cum += get(&h->bucket[b]);
		sb_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, label, sep,
		    b < NBUCKETS ? bucket_le[b] : "+Inf", (unsigned long long)cum);
	}
	sb_printf(out, "%s_sum%s%s%s %.9f\n", name, label[0] ? "{" : "", label, label[0] ? "}" : "",
	    (double)get(&h->sum_ns) / 1e9);
	sb_printf(out, "%s_count%s%s%s %llu\n", name, label[0] ? "{" : "", label, label[0] ? "}" : "",
	    (unsigned long long)get(&h->count));
}

void
metrics_render(strbuf *out)
{
	static const char *const dir[2] = { "inbound", "outbound" };
	unsigned n = __atomic_load_n(&ncheck, __ATOMIC_ACQUIRE);
	char label[64];

	header(out, "postern_messages_total", "counter",
	    "Transactions finished (one per summary line), by direction and verdict.");
	for (int d = 0; d < 2; d++)
		for (int a = 0; a < NACTIONS; a++)
			sb_printf(out, "postern_messages_total{direction=\"%s\",verdict=\"%s\"} %llu\n",
			    dir[d], action_names[a], (unsigned long long)get(&m.messages[d][a]));
	header(out, "postern_decisions_total", "counter",
	    "Transactions whose verdict a check decided, by check and action.");
	for (unsigned i = 0; i < n; i++)
		for (int a = 0; a < NACTIONS; a++)
			if (get(&m.decisions[i][a]) != 0)
				sb_printf(out, "postern_decisions_total{check=\"%s\",action=\"%s\"} %llu\n",
				    check_name[i], action_names[a], (unsigned long long)get(&m.decisions[i][a]));
	header(out, "postern_auth_results_total", "counter",
	    "Authentication results (the clauses of Authentication-Results), by method and result.");
	for (unsigned i = 0, nr = __atomic_load_n(&nresults, __ATOMIC_ACQUIRE); i < nr; i++)
		sb_printf(out, "postern_auth_results_total{method=\"%s\",result=\"%s\"} %llu\n",
		    results[i].method, results[i].result, (unsigned long long)get(&results[i].count));
	header(out, "postern_dkim_signatures_total", "counter",
	    "Outbound DKIM signatures: added (signed), or a configured key could not sign (failed).");
	sb_printf(out, "postern_dkim_signatures_total{result=\"signed\"} %llu\n",
	    (unsigned long long)get(&m.dkim_signed));
	sb_printf(out, "postern_dkim_signatures_total{result=\"failed\"} %llu\n",
	    (unsigned long long)get(&m.dkim_sign_failed));
	header(out, "postern_dkim_unsigned_total", "counter",
	    "Outbound messages sent on without a signature (no key for the From domain, no From, sender not bound to the login).");
	sb_printf(out, "postern_dkim_unsigned_total %llu\n", (unsigned long long)get(&m.dkim_unsigned));
	header(out, "postern_replies_total", "counter",
	    "SMTP replies postern gave (4xx and 5xx), by code.");
	for (unsigned c = CODE_MIN; c <= CODE_MAX; c++)
		if (get(&m.replies[c - CODE_MIN]) != 0)
			sb_printf(out, "postern_replies_total{code=\"%u\"} %llu\n", c,
			    (unsigned long long)get(&m.replies[c - CODE_MIN]));
	header(out, "postern_phase_duration_seconds", "histogram",
	    "Time spent in each pipeline phase call (header and body: per call).");
	for (int p = 0; p < MP_NPHASES; p++) {
		snprintf(label, sizeof(label), "phase=\"%s\"", phase_names[p]);
		render_hist(out, "postern_phase_duration_seconds", label, &m.phase[p]);
	}
	header(out, "postern_dns_queries_total", "counter",
	    "DNS queries through the resolver, by outcome (timeout: the deadline passed).");
	for (int s = 0; s < METRICS_NDNS; s++)
		sb_printf(out, "postern_dns_queries_total{result=\"%s\"} %llu\n", dns_names[s],
		    (unsigned long long)get(&m.dns[s]));
	header(out, "postern_dns_query_duration_seconds", "histogram",
	    "DNS query time, answers from the cache included.");
	render_hist(out, "postern_dns_query_duration_seconds", "", &m.dns_latency);
	header(out, "postern_connections_total", "counter", "Milter connections opened.");
	sb_printf(out, "postern_connections_total %llu\n", (unsigned long long)get(&m.connections));
	header(out, "postern_connections_active", "gauge", "Milter connections open now.");
	sb_printf(out, "postern_connections_active %lld\n",
	    (long long)__atomic_load_n(&m.active, __ATOMIC_RELAXED));
	void (*src)(strbuf *) = __atomic_load_n(&source, __ATOMIC_ACQUIRE);
	if (src != NULL)
		src(out);
}

void
metrics_set_source(void (*render)(strbuf *out))
{
	__atomic_store_n(&source, render, __ATOMIC_RELEASE);
}

void
metrics_reset(void)
{
	pthread_mutex_lock(&check_lock);
	memset(&m, 0, sizeof(m));
	memset(results, 0, sizeof(results));
	nresults = 0;
	pthread_mutex_unlock(&check_lock);
}

const char *
metrics_action_name(int a)
{
	return a >= 0 && a < NACTIONS ? action_names[a] : NULL;
}

const char *
metrics_dns_name(int st)
{
	return st >= 0 && st < METRICS_NDNS ? dns_names[st] : NULL;
}
