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

#include "postern/dns.h"
#include "postern/log.h"

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
static unsigned query_timeout_ms = 5000;

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
	    query_timeout_ms < PROBE_TIMEOUT_MS ? query_timeout_ms : PROBE_TIMEOUT_MS, &a);
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

	query_timeout_ms = opt->timeout_ms;
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
	strlist_free(&saved_ns);
	free(saved_resolv_conf);
	saved_resolv_conf = NULL;
}

void
dns_set_timeout(unsigned timeout_ms)
{
	query_timeout_ms = timeout_ms;
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

/* Resolve on r before timeout_ms; releases one reference of r.  A query
 * still waiting when a fresh context replaces r is cancelled there and
 * asked again on the fresh one, within the same deadline: a server that
 * answers again is asked at once, not after this query's deadline. */
static enum dns_status
resolve_on(struct resolver *r, const char *name, int rrtype, unsigned timeout_ms,
    struct dns_answer *out)
{
	struct waiter w;
	struct timespec ts;
	pthread_condattr_t ca;
	int id, rc;

	memset(out, 0, sizeof(*out));
	out->status = DNS_ERROR;
	if (name == NULL || *name == '\0' || strlen(name) > 253 + 1) {
		resolver_release(r);
		return out->status;
	}
	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);
	deadline_after(&ts, timeout_ms);
	for (;;) {
		bool expired = false, done;
		struct resolver *next;

		w.done = w.moved = false;
		w.err = 0;
		w.result = NULL;
		waiter_link(r, &w, true);
		rc = ub_resolve_async(r->ctx, name, rrtype, 1 /* IN */, &w, on_result, &id);
		if (rc != 0) {
			waiter_link(r, &w, false);
			plog(PLOG_WARNING, NULL, "resolver: %s", ub_strerror(rc));
			goto out;
		}
		pthread_mutex_lock(&w.lock);
		while (!w.done && !w.moved && !expired)
			expired = pthread_cond_timedwait(&w.cond, &w.lock, &ts) == ETIMEDOUT;
		done = w.done;
		pthread_mutex_unlock(&w.lock);
		if (!done && ub_cancel(r->ctx, id) != 0) {
			/* the callback is being delivered: wait for it */
			pthread_mutex_lock(&w.lock);
			while (!w.done)
				pthread_cond_wait(&w.cond, &w.lock);
			pthread_mutex_unlock(&w.lock);
			done = true;
		}
		waiter_link(r, &w, false);
		if (done)
			break;
		/* cancelled: the callback will never run */
		if (expired || (next = resolver_acquire()) == NULL) {
			out->status = DNS_TIMEOUT;
			goto out;
		}
		resolver_release(r);
		r = next;
	}
	if (w.err != 0 || w.result == NULL) {
		out->status = DNS_SERVFAIL;
		if (w.result != NULL)
			ub_resolve_free(w.result);
		goto out;
	}
	fill_answer(out, w.result);
out:
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	resolver_release(r);
	return out->status;
}

enum dns_status
dns_query(const char *name, int rrtype, struct dns_answer *out)
{
	struct resolver *r = resolver_acquire();
	enum dns_status st;

	if (r == NULL) {
		memset(out, 0, sizeof(*out));
		return out->status = DNS_ERROR;
	}
	st = resolve_on(r, name, rrtype, query_timeout_ms, out);
	if (st == DNS_TIMEOUT || st == DNS_SERVFAIL)
		suspect();
	return st;
}


void
dns_answer_free(struct dns_answer *a)
{
	if (a->priv != NULL)
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
