/*
 * dns.c - the resolver: libunbound with its cache, a hard per-query
 * deadline, and one dispatcher thread that runs ub_process() for all
 * waiting callers.  Owned by main.c (init/shutdown); used by every check.
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

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int err;
	struct ub_result *result;
};

static struct ub_ctx *ctx;
static pthread_t dispatcher;
static int stop_pipe[2] = { -1, -1 };
static unsigned query_timeout_ms = 5000;   /* set by the reload thread: atomic */

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
	struct pollfd pf[2];

	(void)arg;
	pf[0].fd = ub_fd(ctx);
	pf[0].events = POLLIN;
	pf[1].fd = stop_pipe[0];
	pf[1].events = POLLIN;
	for (;;) {
		int n = poll(pf, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (pf[1].revents & (POLLIN | POLLHUP)))
			break;
		if (pf[0].revents & POLLIN)
			ub_process(ctx);
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
set_opt(const char *opt, const char *val, char *err, size_t errlen)
{
	int r = ub_ctx_set_option(ctx, opt, val);

	if (r != 0) {
		snprintf(err, errlen, "resolver option %s %s: %s", opt, val, ub_strerror(r));
		return false;
	}
	return true;
}

bool
dns_init(const struct dns_options *opt, char *err, size_t errlen)
{
	char num[32];
	int r;

	ctx = ub_ctx_create();
	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create the resolver context");
		return false;
	}
	__atomic_store_n(&query_timeout_ms, opt->timeout_ms, __ATOMIC_RELAXED);
	if ((r = ub_ctx_async(ctx, 1)) != 0) {
		snprintf(err, errlen, "resolver threads: %s", ub_strerror(r));
		goto fail;
	}
	snprintf(num, sizeof(num), "%llu", opt->cache_size / 2);
	if (!set_opt("do-not-query-localhost:", "no", err, errlen) ||
	    !set_opt("msg-cache-size:", num, err, errlen) ||
	    !set_opt("rrset-cache-size:", num, err, errlen) ||
	    !set_opt("module-config:", "iterator", err, errlen) ||
	    !set_opt("infra-keep-probing:", "yes", err, errlen) ||
	    !set_opt("unblock-lan-zones:", "yes", err, errlen))
		goto fail;
	if (opt->nameservers != NULL && opt->nameservers->n > 0) {
		for (size_t i = 0; i < opt->nameservers->n; i++) {
			if ((r = ub_ctx_set_fwd(ctx, opt->nameservers->v[i])) != 0) {
				snprintf(err, errlen, "nameserver \"%s\": %s",
				    opt->nameservers->v[i], ub_strerror(r));
				goto fail;
			}
		}
	} else if ((r = ub_ctx_resolvconf(ctx, opt->resolv_conf)) != 0) {
		snprintf(err, errlen, "reading %s: %s",
		    opt->resolv_conf ? opt->resolv_conf : "/etc/resolv.conf", ub_strerror(r));
		goto fail;
	}
	/* libunbound answers the reverse zones of private and documentation
	 * prefixes itself (NXDOMAIN); ask the configured servers instead, as
	 * for any other name (a site resolver may serve them).  Zone adds
	 * finalize the context: they come after every setting. */
	for (size_t i = 0; i < NELEM(doc_reverse_zones); i++) {
		if ((r = ub_ctx_zone_add(ctx, doc_reverse_zones[i], "transparent")) != 0) {
			snprintf(err, errlen, "local zone %s: %s", doc_reverse_zones[i], ub_strerror(r));
			goto fail;
		}
	}
	if (pipe(stop_pipe) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((r = pthread_create(&dispatcher, NULL, dispatch, NULL)) != 0) {
		snprintf(err, errlen, "resolver thread: %s", strerror(r));
		goto fail_pipe;
	}
	return true;

fail_pipe:
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	stop_pipe[0] = stop_pipe[1] = -1;
fail:
	ub_ctx_delete(ctx);
	ctx = NULL;
	return false;
}

void
dns_shutdown(void)
{
	if (ctx == NULL)
		return;
	if (write(stop_pipe[1], "x", 1) != 1)
		plog(PLOG_WARNING, NULL, "resolver stop: %s", strerror(errno));
	pthread_join(dispatcher, NULL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	stop_pipe[0] = stop_pipe[1] = -1;
	ub_ctx_delete(ctx);
	ctx = NULL;
}

void
dns_set_timeout(unsigned timeout_ms)
{
	__atomic_store_n(&query_timeout_ms, timeout_ms, __ATOMIC_RELAXED);
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

struct dns_pending {
	struct waiter w;
	struct timespec deadline;
	int id;
	bool started;
};

struct dns_pending *
dns_start(const char *name, int rrtype)
{
	struct dns_pending *p;
	pthread_condattr_t ca;
	int r;

	if (ctx == NULL || name == NULL || *name == '\0' || strlen(name) > 253 + 1)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->w.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->w.cond, &ca);
	pthread_condattr_destroy(&ca);
	deadline_after(&p->deadline, __atomic_load_n(&query_timeout_ms, __ATOMIC_RELAXED));
	r = ub_resolve_async(ctx, name, rrtype, 1 /* IN */, &p->w, on_result, &p->id);
	if (r != 0)
		plog(PLOG_WARNING, NULL, "resolver: %s", ub_strerror(r));
	else
		p->started = true;
	return p;
}

static void
pending_free(struct dns_pending *p)
{
	pthread_cond_destroy(&p->w.cond);
	pthread_mutex_destroy(&p->w.lock);
	free(p);
}

/* Wait for the answer until the deadline (or forever); false if it was
 * cancelled before the callback ran. */
static bool
pending_wait(struct dns_pending *p, bool until_deadline)
{
	struct waiter *w = &p->w;

	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		if (!until_deadline) {
			pthread_mutex_unlock(&w->lock);
			if (ub_cancel(ctx, p->id) == 0)
				return false;
			pthread_mutex_lock(&w->lock);
			while (!w->done)
				pthread_cond_wait(&w->cond, &w->lock);
			break;
		}
		if (pthread_cond_timedwait(&w->cond, &w->lock, &p->deadline) == ETIMEDOUT && !w->done)
			until_deadline = false;
	}
	pthread_mutex_unlock(&w->lock);
	return true;
}

enum dns_status
dns_collect(struct dns_pending *p, struct dns_answer *out)
{
	memset(out, 0, sizeof(*out));
	out->status = DNS_ERROR;
	if (p == NULL)
		return out->status;
	if (!p->started)
		goto out;
	if (!pending_wait(p, true)) {
		/* cancelled: the callback will never run */
		out->status = DNS_TIMEOUT;
		goto out;
	}
	if (p->w.err != 0 || p->w.result == NULL) {
		out->status = DNS_SERVFAIL;
		if (p->w.result != NULL)
			ub_resolve_free(p->w.result);
		goto out;
	}
	fill_answer(out, p->w.result);
out:
	pending_free(p);
	return out->status;
}

void
dns_discard(struct dns_pending *p)
{
	if (p == NULL)
		return;
	if (p->started && pending_wait(p, false) && p->w.result != NULL)
		ub_resolve_free(p->w.result);
	pending_free(p);
}

enum dns_status
dns_query(const char *name, int rrtype, struct dns_answer *out)
{
	return dns_collect(dns_start(name, rrtype), out);
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
