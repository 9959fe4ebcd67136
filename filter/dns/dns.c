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
#include "postern/metrics.h"

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
static unsigned query_timeout_ms = 5000;

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
	query_timeout_ms = opt->timeout_ms;
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
	query_timeout_ms = timeout_ms;
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

enum dns_status
dns_query(const char *name, int rrtype, struct dns_answer *out)
{
	struct waiter w;
	struct timespec ts;
	uint64_t t0 = metrics_now();
	int id, r;

	memset(out, 0, sizeof(*out));
	out->status = DNS_ERROR;
	if (ctx == NULL || name == NULL || *name == '\0' || strlen(name) > 253 + 1)
		return out->status;
	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.lock, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&w.cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	r = ub_resolve_async(ctx, name, rrtype, 1 /* IN */, &w, on_result, &id);
	if (r != 0) {
		plog(PLOG_WARNING, NULL, "resolver: %s", ub_strerror(r));
		goto out;
	}
	deadline_after(&ts, query_timeout_ms);
	pthread_mutex_lock(&w.lock);
	while (!w.done) {
		if (pthread_cond_timedwait(&w.cond, &w.lock, &ts) == ETIMEDOUT && !w.done) {
			pthread_mutex_unlock(&w.lock);
			if (ub_cancel(ctx, id) == 0) {
				/* cancelled: the callback will never run */
				out->status = DNS_TIMEOUT;
				goto out;
			}
			/* the callback is being delivered: wait for it */
			pthread_mutex_lock(&w.lock);
			while (!w.done)
				pthread_cond_wait(&w.cond, &w.lock);
			break;
		}
	}
	pthread_mutex_unlock(&w.lock);
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
	metrics_dns((int)out->status, metrics_now() - t0);
	return out->status;
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
