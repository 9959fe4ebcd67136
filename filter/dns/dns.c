/*
 * dns.c - the resolver: libunbound with its cache, a hard per-query
 * deadline, and one dispatcher thread per context that runs ub_process()
 * for all waiting callers.  Owned by main.c (init/shutdown); used by every
 * check.
 *
 * Recovery after an outage: libunbound remembers a server that stopped
 * answering (its infrastructure cache backs the retransmit timeout off up
 * to 120 s and then sends one probe per backoff period; the iterator also
 * caches the SERVFAIL it gives for a name for 5 s), so a server that comes
 * back is not asked again for seconds to minutes.  A failed query (timeout
 * or SERVFAIL) therefore wakes a monitor thread that asks the servers a
 * probe question (". NS") through a fresh context, every PROBE_GAP_MS
 * while they fail (each probe waits PROBE_TIMEOUT_MS at most).  Once a probe is answered after a failed one, that
 * fresh context (no memory of the outage) replaces the current one; the
 * old one is deleted when its last waiter is done.  A failure of one name
 * while the probe is answered (a broken domain) changes nothing.
 * docs/NOTES-reliability.md has the measurements.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "dns_cache.h"
#include "postern/dns.h"
#include "postern/log.h"
#include "postern/metrics.h"

#define PROBE_GAP_MS 100        /* between probes while the servers fail */
#define PROBE_TIMEOUT_MS 400    /* a probe's deadline (at most dns.timeout): a
                                 * server that is back answers ". NS" at once,
                                 * and a stopped one is not reported by
                                 * libunbound before the deadline */
#define CALM_MS 1000            /* after a probe that found them well */

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	bool moved;                     /* its context was replaced */
	int err;
	struct ub_result *result;
	struct waiter *prev, *next;     /* the context's waiters (res_lock) */
};

/* One libunbound context with its dispatcher thread.  refs: one for being
 * `current`, one per query in progress; guarded by res_lock. */
struct resolver {
	struct ub_ctx *ctx;
	pthread_t dispatcher;
	int stop_pipe[2];
	unsigned refs;
	struct waiter *waiters;         /* queries in progress */
};

static pthread_mutex_t res_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resolver *current;
static unsigned query_timeout_ms = 5000;   /* set by the reload thread: atomic */

static unsigned
timeout_now(void)
{
	return __atomic_load_n(&query_timeout_ms, __ATOMIC_RELAXED);
}

/* what a replacement context is built from (copied at dns_init) */
static struct strlist saved_ns;
static char *saved_resolv_conf;
static unsigned long long saved_cache_size;

/* the monitor: woken by a failed query, probes until the servers answer */
static pthread_t monitor;
static bool monitor_running;
static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mon_cond;
static bool mon_suspect, mon_stop;
static unsigned long replacements;

static void
on_result(void *arg, int err, struct ub_result *result)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->err = err;
	w->result = result;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void *
dispatch(void *arg)
{
	struct resolver *r = arg;
	struct pollfd pf[2];

	pf[0].fd = ub_fd(r->ctx);
	pf[0].events = POLLIN;
	pf[1].fd = r->stop_pipe[0];
	pf[1].events = POLLIN;
	for (;;) {
		int n = poll(pf, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (pf[1].revents & (POLLIN | POLLHUP)))
			break;
		if (pf[0].revents & POLLIN)
			ub_process(r->ctx);
	}
	return NULL;
}

static const char *const doc_reverse_zones[] = {
	"2.0.192.in-addr.arpa.",
	"100.51.198.in-addr.arpa.",
	"113.0.203.in-addr.arpa.",
	"8.b.d.0.1.0.0.2.ip6.arpa.",
};

static bool
set_opt(struct ub_ctx *ctx, const char *opt, const char *val, char *err, size_t errlen)
{
	int r = ub_ctx_set_option(ctx, opt, val);

	if (r != 0) {
		snprintf(err, errlen, "resolver option %s %s: %s", opt, val, ub_strerror(r));
		return false;
	}
	return true;
}

/* Stop the dispatcher and delete the context.  Accepts NULL. */
static void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	if (r->stop_pipe[1] >= 0) {
		if (write(r->stop_pipe[1], "x", 1) != 1)
			plog(PLOG_WARNING, NULL, "resolver stop: %s", strerror(errno));
		pthread_join(r->dispatcher, NULL);
		close(r->stop_pipe[0]);
		close(r->stop_pipe[1]);
	}
	if (r->ctx != NULL)
		ub_ctx_delete(r->ctx);
	free(r);
}

/* A new context from the saved options, its dispatcher running, refs = 1.
 * NULL with a message in err on failure. */
static struct resolver *
resolver_new(char *err, size_t errlen)
{
	struct resolver *r = calloc(1, sizeof(*r));
	char num[32];
	int rc;

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->stop_pipe[0] = r->stop_pipe[1] = -1;
	r->refs = 1;
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		snprintf(err, errlen, "cannot create the resolver context");
		goto fail;
	}
	if ((rc = ub_ctx_async(r->ctx, 1)) != 0) {
		snprintf(err, errlen, "resolver threads: %s", ub_strerror(rc));
		goto fail;
	}
	snprintf(num, sizeof(num), "%llu", saved_cache_size / 2);
	if (!set_opt(r->ctx, "do-not-query-localhost:", "no", err, errlen) ||
	    !set_opt(r->ctx, "msg-cache-size:", num, err, errlen) ||
	    !set_opt(r->ctx, "rrset-cache-size:", num, err, errlen) ||
	    !set_opt(r->ctx, "module-config:", "iterator", err, errlen) ||
	    !set_opt(r->ctx, "infra-keep-probing:", "yes", err, errlen) ||
	    !set_opt(r->ctx, "unblock-lan-zones:", "yes", err, errlen))
		goto fail;
	if (saved_ns.n > 0) {
		for (size_t i = 0; i < saved_ns.n; i++) {
			if ((rc = ub_ctx_set_fwd(r->ctx, saved_ns.v[i])) != 0) {
				snprintf(err, errlen, "nameserver \"%s\": %s",
				    saved_ns.v[i], ub_strerror(rc));
				goto fail;
			}
		}
	} else if ((rc = ub_ctx_resolvconf(r->ctx, saved_resolv_conf)) != 0) {
		snprintf(err, errlen, "reading %s: %s",
		    saved_resolv_conf ? saved_resolv_conf : "/etc/resolv.conf", ub_strerror(rc));
		goto fail;
	}
	/* libunbound answers the reverse zones of private and documentation
	 * prefixes itself (NXDOMAIN); ask the configured servers instead, as
	 * for any other name (a site resolver may serve them).  Zone adds
	 * finalize the context: they come after every setting. */
	for (size_t i = 0; i < NELEM(doc_reverse_zones); i++) {
		if ((rc = ub_ctx_zone_add(r->ctx, doc_reverse_zones[i], "transparent")) != 0) {
			snprintf(err, errlen, "local zone %s: %s", doc_reverse_zones[i], ub_strerror(rc));
			goto fail;
		}
	}
	if (pipe(r->stop_pipe) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		r->stop_pipe[0] = r->stop_pipe[1] = -1;
		goto fail;
	}
	if ((rc = pthread_create(&r->dispatcher, NULL, dispatch, r)) != 0) {
		snprintf(err, errlen, "resolver thread: %s", strerror(rc));
		close(r->stop_pipe[0]);
		close(r->stop_pipe[1]);
		r->stop_pipe[0] = r->stop_pipe[1] = -1;
		goto fail;
	}
	return r;
fail:
	resolver_free(r);
	return NULL;
}

static struct resolver *
resolver_acquire(void)
{
	struct resolver *r;

	pthread_mutex_lock(&res_lock);
	r = current;
	if (r != NULL)
		r->refs++;
	pthread_mutex_unlock(&res_lock);
	return r;
}

static void
resolver_release(struct resolver *r)
{
	bool last;

	pthread_mutex_lock(&res_lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&res_lock);
	if (last)
		resolver_free(r);
}

/* Make r (refs = 1, ours) the current context; queries waiting on the old
 * one move over (resolve_on); it goes when its last query is done. */
static void
resolver_replace(struct resolver *r)
{
	struct resolver *old;

	pthread_mutex_lock(&res_lock);
	old = current;
	current = r;
	for (struct waiter *w = old != NULL ? old->waiters : NULL; w != NULL; w = w->next) {
		pthread_mutex_lock(&w->lock);
		w->moved = true;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_unlock(&res_lock);
	/* a fresh context starts with an empty cache, and so does ours */
	dns_cache_flush();
	if (old != NULL)
		resolver_release(old);
}

static enum dns_status resolve_on(struct resolver *r, const char *name, int rrtype,
    unsigned timeout_ms, struct dns_answer *out);

/* Wait up to ms on the monitor's condition; false once stopping. */
static bool
monitor_sleep(unsigned ms)
{
	struct timespec ts;
	bool go;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mon_lock);
	while (!mon_stop && pthread_cond_timedwait(&mon_cond, &mon_lock, &ts) != ETIMEDOUT)
		;
	go = !mon_stop;
	pthread_mutex_unlock(&mon_lock);
	return go;
}

/* One probe through a fresh context: NULL when the servers did not
 * answer, else the context (refs = 1), which has no memory of an outage. */
static struct resolver *
probe(void)
{
	char err[256];
	struct resolver *r = resolver_new(err, sizeof(err));
	struct dns_answer a;
	enum dns_status st;

	if (r == NULL) {
		plog(PLOG_WARNING, NULL, "resolver probe: %s", err);
		return NULL;
	}
	r->refs++;      /* resolve_on releases one */
	st = resolve_on(r, ".", 2 /* NS */,
	    timeout_now() < PROBE_TIMEOUT_MS ? timeout_now() : PROBE_TIMEOUT_MS, &a);
	dns_answer_free(&a);
	if (st == DNS_OK || st == DNS_NODATA || st == DNS_NXDOMAIN)
		return r;
	resolver_release(r);
	return NULL;
}

static void *
monitor_main(void *arg)
{
	(void)arg;
	for (;;) {
		bool down = false;

		pthread_mutex_lock(&mon_lock);
		while (!mon_suspect && !mon_stop)
			pthread_cond_wait(&mon_cond, &mon_lock);
		if (mon_stop) {
			pthread_mutex_unlock(&mon_lock);
			break;
		}
		pthread_mutex_unlock(&mon_lock);
		for (;;) {
			struct resolver *fresh = probe();

			pthread_mutex_lock(&mon_lock);
			mon_suspect = false;    /* what happened until now is probed */
			pthread_mutex_unlock(&mon_lock);
			if (fresh != NULL && down) {
				resolver_replace(fresh);
				pthread_mutex_lock(&res_lock);
				replacements++;
				pthread_mutex_unlock(&res_lock);
				plog(PLOG_NOTICE, NULL, "resolver: the name servers answer again; "
				    "a fresh resolver context replaces the one that saw them fail");
				break;
			}
			if (fresh != NULL) {
				resolver_release(fresh);        /* one name failed, not the servers */
				break;
			}
			if (!down)
				plog(PLOG_WARNING, NULL, "resolver: the name servers do not answer; "
				    "probing every %d ms", PROBE_GAP_MS);
			down = true;
			if (!monitor_sleep(PROBE_GAP_MS))
				return NULL;
		}
		if (!monitor_sleep(down ? 0 : CALM_MS))
			break;
	}
	return NULL;
}

static void
suspect(void)
{
	if (!monitor_running)
		return;
	pthread_mutex_lock(&mon_lock);
	if (!mon_suspect) {
		mon_suspect = true;
		pthread_cond_signal(&mon_cond);
	}
	pthread_mutex_unlock(&mon_lock);
}

bool
dns_init(const struct dns_options *opt, char *err, size_t errlen)
{
	struct resolver *r;
	pthread_condattr_t ca;
	int rc;

	__atomic_store_n(&query_timeout_ms, opt->timeout_ms, __ATOMIC_RELAXED);
	saved_cache_size = opt->cache_size;
	memset(&saved_ns, 0, sizeof(saved_ns));
	for (size_t i = 0; opt->nameservers != NULL && i < opt->nameservers->n; i++)
		strlist_add(&saved_ns, opt->nameservers->v[i]);
	saved_resolv_conf = opt->resolv_conf != NULL ? xstrdup(opt->resolv_conf) : NULL;
	if ((r = resolver_new(err, errlen)) == NULL)
		goto fail;
	current = r;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&mon_cond, &ca);
	pthread_condattr_destroy(&ca);
	mon_stop = mon_suspect = false;
	if ((rc = pthread_create(&monitor, NULL, monitor_main, NULL)) != 0) {
		snprintf(err, errlen, "resolver monitor thread: %s", strerror(rc));
		pthread_cond_destroy(&mon_cond);
		current = NULL;
		resolver_free(r);
		goto fail;
	}
	monitor_running = true;
	return true;
fail:
	strlist_free(&saved_ns);
	free(saved_resolv_conf);
	saved_resolv_conf = NULL;
	return false;
}

void
dns_shutdown(void)
{
	struct resolver *r;

	if (monitor_running) {
		pthread_mutex_lock(&mon_lock);
		mon_stop = true;
		pthread_cond_signal(&mon_cond);
		pthread_mutex_unlock(&mon_lock);
		pthread_join(monitor, NULL);
		pthread_cond_destroy(&mon_cond);
		monitor_running = false;
	}
	pthread_mutex_lock(&res_lock);
	r = current;
	current = NULL;
	pthread_mutex_unlock(&res_lock);
	if (r != NULL)
		resolver_release(r);
	dns_cache_flush();
	strlist_free(&saved_ns);
	free(saved_resolv_conf);
	saved_resolv_conf = NULL;
}

void
dns_set_timeout(unsigned timeout_ms)
{
	__atomic_store_n(&query_timeout_ms, timeout_ms, __ATOMIC_RELAXED);
}

unsigned long
dns_replacements(void)
{
	unsigned long n;

	pthread_mutex_lock(&res_lock);
	n = replacements;
	pthread_mutex_unlock(&res_lock);
	return n;
}

static void
deadline_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void
fill_answer(struct dns_answer *out, struct ub_result *res)
{
	out->priv = res;
	out->rcode = res->rcode;
	out->canonname = res->canonname;
	if (res->havedata) {
		size_t n = 0;
		while (res->data[n] != NULL)
			n++;
		out->count = n;
		out->rdata = (const unsigned char *const *)res->data;
		out->rdlen = res->len;
		out->status = DNS_OK;
	} else if (res->nxdomain) {
		out->status = DNS_NXDOMAIN;
	} else if (res->rcode == 0) {
		out->status = DNS_NODATA;
	} else {
		out->status = DNS_SERVFAIL;
	}
}

bool
dns_name_askable(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0, label = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (name[i] != '.') {
			if (++label > 63)
				return false;
			continue;
		}
		if (label == 0)
			return false;
		label = 0;
	}
	return label > 0;
}

/* Add w to r's waiters, or take it off (under res_lock). */
static void
waiter_link(struct resolver *r, struct waiter *w, bool on)
{
	pthread_mutex_lock(&res_lock);
	if (on) {
		w->prev = NULL;
		w->next = r->waiters;
		if (r->waiters != NULL)
			r->waiters->prev = w;
		r->waiters = w;
	} else {
		if (w->prev != NULL)
			w->prev->next = w->next;
		else
			r->waiters = w->next;
		if (w->next != NULL)
			w->next->prev = w->prev;
	}
	pthread_mutex_unlock(&res_lock);
}

/* One query: asked on r (one reference held), answered, moved to a
 * fresh context when one replaces r, or given up at the deadline. */
struct dns_pending {
	struct resolver *r;
	struct waiter w;
	struct timespec deadline;
	int id;
	bool asked;                  /* a query is out on r (w linked) */
	int rrtype;
	uint64_t t0;                 /* metrics: when it was asked */
	bool hit;                    /* answered from the cache: hit_ans */
	struct dns_answer hit_ans;
	char name[256];
};

/* Ask p's question on p->r; false (not linked) when libunbound refused. */
static bool
pending_ask(struct dns_pending *p)
{
	int rc;

	p->w.done = p->w.moved = false;
	p->w.err = 0;
	p->w.result = NULL;
	waiter_link(p->r, &p->w, true);
	rc = ub_resolve_async(p->r->ctx, p->name, p->rrtype, 1 /* IN */, &p->w, on_result, &p->id);
	if (rc != 0) {
		waiter_link(p->r, &p->w, false);
		plog(PLOG_WARNING, NULL, "resolver: %s", ub_strerror(rc));
	}
	return p->asked = rc == 0;
}

/* A query on r (takes over one reference of r) with timeout_ms from now.
 * NULL for a name that cannot be sent (r released). */
static struct dns_pending *
pending_new(struct resolver *r, const char *name, int rrtype, unsigned timeout_ms)
{
	struct dns_pending *p;
	pthread_condattr_t ca;

	if (name == NULL || *name == '\0' || strlen(name) > 253 + 1) {
		resolver_release(r);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->r = r;
	p->rrtype = rrtype;
	snprintf(p->name, sizeof(p->name), "%s", name);
	pthread_mutex_init(&p->w.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->w.cond, &ca);
	pthread_condattr_destroy(&ca);
	p->t0 = metrics_now();
	deadline_after(&p->deadline, timeout_ms);
	pending_ask(p);
	return p;
}

static void
pending_free(struct dns_pending *p)
{
	pthread_cond_destroy(&p->w.cond);
	pthread_mutex_destroy(&p->w.lock);
	resolver_release(p->r);
	free(p);
}

/* Cancel p's query on its context, or wait for the callback that is being
 * delivered; unlinks the waiter.  True when the callback ran. */
static bool
pending_stop(struct dns_pending *p)
{
	bool done;

	pthread_mutex_lock(&p->w.lock);
	done = p->w.done;
	pthread_mutex_unlock(&p->w.lock);
	if (!done && ub_cancel(p->r->ctx, p->id) != 0) {
		pthread_mutex_lock(&p->w.lock);
		while (!p->w.done)
			pthread_cond_wait(&p->w.cond, &p->w.lock);
		pthread_mutex_unlock(&p->w.lock);
		done = true;
	}
	waiter_link(p->r, &p->w, false);
	p->asked = false;
	return done;
}

/* Wait for p's answer until its deadline; a query still waiting when a
 * fresh context replaces its own is cancelled there and asked again on
 * the fresh one, within the same deadline: a server that answers again is
 * asked at once, not after this query's deadline.  Frees p. */
static enum dns_status
pending_collect(struct dns_pending *p, struct dns_answer *out)
{
	memset(out, 0, sizeof(*out));
	out->status = DNS_ERROR;
	while (p->asked) {
		bool expired = false;
		struct resolver *next;

		pthread_mutex_lock(&p->w.lock);
		while (!p->w.done && !p->w.moved && !expired)
			expired = pthread_cond_timedwait(&p->w.cond, &p->w.lock, &p->deadline) == ETIMEDOUT;
		pthread_mutex_unlock(&p->w.lock);
		if (pending_stop(p)) {
			if (p->w.err != 0 || p->w.result == NULL) {
				out->status = DNS_SERVFAIL;
				if (p->w.result != NULL)
					ub_resolve_free(p->w.result);
			} else {
				fill_answer(out, p->w.result);
				dns_cache_put(p->name, p->rrtype, out, p->w.result->ttl);
			}
			break;
		}
		/* cancelled: the callback will never run */
		if (expired || (next = resolver_acquire()) == NULL) {
			out->status = DNS_TIMEOUT;
			break;
		}
		resolver_release(p->r);
		p->r = next;
		pending_ask(p);
	}
	pending_free(p);
	return out->status;
}

/* Resolve on r before timeout_ms; releases one reference of r. */
static enum dns_status
resolve_on(struct resolver *r, const char *name, int rrtype, unsigned timeout_ms,
    struct dns_answer *out)
{
	struct dns_pending *p = pending_new(r, name, rrtype, timeout_ms);

	if (p == NULL) {
		memset(out, 0, sizeof(*out));
		return out->status = DNS_ERROR;
	}
	return pending_collect(p, out);
}

struct dns_pending *
dns_start(const char *name, int rrtype)
{
	struct resolver *r;
	struct dns_answer a;

	if (name != NULL && dns_cache_get(name, rrtype, &a)) {
		struct dns_pending *p = xcalloc(1, sizeof(*p));

		p->hit = true;
		p->hit_ans = a;
		p->t0 = metrics_now();
		return p;
	}
	r = resolver_acquire();
	return r != NULL ? pending_new(r, name, rrtype, timeout_now()) : NULL;
}

enum dns_status
dns_collect(struct dns_pending *p, struct dns_answer *out)
{
	uint64_t t0;
	enum dns_status st;

	if (p == NULL) {
		memset(out, 0, sizeof(*out));
		return out->status = DNS_ERROR;
	}
	t0 = p->t0;
	if (p->hit) {
		*out = p->hit_ans;
		free(p);
		metrics_dns((int)out->status, metrics_now() - t0);
		return out->status;
	}
	st = pending_collect(p, out);
	/* an early query (DNSBL at connect) counts until it is read */
	metrics_dns((int)st, metrics_now() - t0);
	if (st == DNS_TIMEOUT || st == DNS_SERVFAIL)
		suspect();
	return st;
}

void
dns_discard(struct dns_pending *p)
{
	if (p == NULL)
		return;
	if (p->hit) {
		dns_cache_release(p->hit_ans.priv);
		free(p);
		return;
	}
	if (p->asked && pending_stop(p) && p->w.result != NULL)
		ub_resolve_free(p->w.result);
	pending_free(p);
}

enum dns_status
dns_query(const char *name, int rrtype, struct dns_answer *out)
{
	return dns_collect(dns_start(name, rrtype), out);
}

void
dns_cache_stats(unsigned long long *hits, unsigned long long *misses)
{
	dns_cache_counts(hits, misses);
}

void
dns_answer_free(struct dns_answer *a)
{
	if (a->priv != NULL && a->cached)
		dns_cache_release(a->priv);
	else if (a->priv != NULL)
		ub_resolve_free(a->priv);
	memset(a, 0, sizeof(*a));
}

bool
dns_txt_join(const struct dns_answer *a, size_t i, strbuf *out)
{
	const unsigned char *p;
	int len, off = 0;

	if (i >= a->count)
		return false;
	p = a->rdata[i];
	len = a->rdlen[i];
	sb_reset(out);
	sb_append(out, "", 0);   /* a string even for an RDATA of no bytes */
	while (off < len) {
		int sl = p[off++];
		if (off + sl > len)
			return false;
		sb_append(out, (const char *)p + off, (size_t)sl);
		off += sl;
	}
	return true;
}

const char *
dns_status_name(enum dns_status st)
{
	static const char *const names[] = { "ok", "nxdomain", "nodata",
		"servfail", "timeout", "error" };

	return (unsigned)st < NELEM(names) ? names[st] : "?";
}
