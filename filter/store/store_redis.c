/*
 * store_redis.c - the shared store backend: Redis through hiredis.  A
 * record is a hash with the fields a and b (HMGET to read, HINCRBY to add,
 * PEXPIRE ... NX for a time to live, Redis >= 7.0); every call is one
 * pipelined round trip.  Connections come from a small pool (hiredis
 * contexts are not thread safe); connect, read and write are bounded by
 * the store's timeout, and after a failure the server is not asked again
 * for RETRY_MS, so a down Redis costs each message nothing.  Opened by
 * store.c on first use.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "postern/util.h"
#include "store_int.h"

#define POOL_MAX 16
#define RETRY_MS 1000
#define HMGET_TAIL "\r\n$1\r\na\r\n$1\r\nb\r\n"   /* after the key: fields a and b */

struct redis_be {
	pthread_mutex_t lock;
	redisContext *idle[POOL_MAX];
	int nidle;
};

static enum store_status
redis_open(struct store *s)
{
	struct redis_be *be = xcalloc(1, sizeof(*be));

	pthread_mutex_init(&be->lock, NULL);
	s->be = be;
	return STORE_OK;
}

static enum store_status
ctx_status(const redisContext *c)
{
	if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS))
		return STORE_TIMEOUT;
	return c->err == REDIS_ERR_PROTOCOL || c->err == REDIS_ERR_OTHER ? STORE_ERROR : STORE_DOWN;
}

static void
set_retry(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	s->retry_at_ms = store_now_ms() + RETRY_MS;
	pthread_mutex_unlock(&s->lock);
}

/* A connection: an idle one or a new one; NULL with the status noted. */
static redisContext *
take(struct store *s, enum store_status *st)
{
	struct redis_be *be = s->be;
	struct timeval tv = { (time_t)(s->timeout_ms / 1000), (suseconds_t)(s->timeout_ms % 1000) * 1000 };
	redisContext *c = NULL;
	long long retry;
	char why[160];

	pthread_mutex_lock(&be->lock);
	if (be->nidle > 0)
		c = be->idle[--be->nidle];
	pthread_mutex_unlock(&be->lock);
	if (c != NULL)
		return c;
	pthread_mutex_lock(&s->lock);
	retry = s->retry_at_ms;
	pthread_mutex_unlock(&s->lock);
	if (retry > store_now_ms()) {
		*st = STORE_DOWN;
		return NULL;   /* the last failure stands in the health */
	}
	c = s->path[0] != '\0' ? redisConnectUnixWithTimeout(s->path, tv)
	                       : redisConnectWithTimeout(s->host, s->port, tv);
	if (c == NULL) {
		*st = STORE_DOWN;
		store_note(s, STORE_DOWN, "redis: out of memory");
		set_retry(s);
		return NULL;
	}
	if (c->err != 0) {
		*st = ctx_status(c);
		if (*st == STORE_ERROR)
			*st = STORE_DOWN;
		snprintf(why, sizeof(why), "redis %s: %s", s->url + 6, c->errstr);
		store_note(s, *st, why);
		set_retry(s);
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (s->db != 0) {
		redisReply *r = redisCommand(c, "SELECT %d", s->db);
		bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
		if (r != NULL)
			freeReplyObject(r);
		if (!ok) {
			*st = STORE_ERROR;
			store_note(s, STORE_ERROR, "redis: SELECT failed");
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

static void
give_back(struct store *s, redisContext *c)
{
	struct redis_be *be = s->be;

	pthread_mutex_lock(&be->lock);
	if (be->nidle < POOL_MAX) {
		be->idle[be->nidle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&be->lock);
	if (c != NULL)
		redisFree(c);
}

/* A connection that failed is dropped, never reused. */
static enum store_status
broken(struct store *s, redisContext *c, const char *what)
{
	enum store_status st = c->err != 0 ? ctx_status(c) : STORE_ERROR;
	char why[160];

	snprintf(why, sizeof(why), "redis %s: %s", what, c->err != 0 ? c->errstr : "unexpected reply");
	store_note(s, st, why);
	if (st != STORE_ERROR)
		set_retry(s);
	redisFree(c);
	return st;
}

static bool
reply_int(const redisReply *r, int64_t *v)
{
	char *end;

	if (r->type == REDIS_REPLY_NIL) {
		*v = 0;
		return true;
	}
	if (r->type == REDIS_REPLY_INTEGER) {
		*v = r->integer;
		return true;
	}
	if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 20)
		return false;
	errno = 0;
	*v = strtoll(r->str, &end, 10);
	return errno == 0 && end == r->str + r->len;
}

static enum store_status
redis_get(struct store *s, const struct store_key *k, size_t n, struct store_val *out)
{
	enum store_status st = STORE_OK;
	redisContext *c = take(s, &st);
	size_t i;

	if (c == NULL)
		return st;
	/* the whole pipeline as one RESP buffer, appended once: hiredis's
	 * format parser and one allocation per command were most of the
	 * client side's cost per token (docs/PERFORMANCE.md) */
	strbuf cmd;
	bool appended;
	sb_init(&cmd);
	for (i = 0; i < n; i++) {
		sb_printf(&cmd, "*4\r\n$5\r\nHMGET\r\n$%u\r\n", (unsigned)k[i].len);
		sb_append(&cmd, (const char *)k[i].b, k[i].len);
		sb_append(&cmd, HMGET_TAIL, sizeof(HMGET_TAIL) - 1);
	}
	appended = n == 0 || redisAppendFormattedCommand(c, cmd.s, cmd.len) == REDIS_OK;
	sb_free(&cmd);
	if (!appended)
		return broken(s, c, "HMGET");
	for (i = 0; i < n; i++) {
		void *rv = NULL;
		redisReply *r;
		bool ok;

		if (redisGetReply(c, &rv) != REDIS_OK || rv == NULL)
			return broken(s, c, "HMGET");
		r = rv;
		ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    reply_int(r->element[0], &out[i].a) && reply_int(r->element[1], &out[i].b);
		freeReplyObject(r);
		if (!ok)
			return broken(s, c, "HMGET");
	}
	give_back(s, c);
	store_note(s, STORE_OK, NULL);
	return STORE_OK;
}

/* DBSIZE and INFO memory's used_memory, pipelined. */
static enum store_status
redis_size(struct store *s, uint64_t *bytes, uint64_t *records)
{
	enum store_status st = STORE_OK;
	redisContext *c = take(s, &st);
	void *rv = NULL;
	redisReply *r;
	const char *um;
	bool ok;

	if (c == NULL)
		return st;
	if (redisAppendCommand(c, "DBSIZE") != REDIS_OK || redisAppendCommand(c, "INFO memory") != REDIS_OK)
		return broken(s, c, "DBSIZE");
	if (redisGetReply(c, &rv) != REDIS_OK || rv == NULL)
		return broken(s, c, "DBSIZE");
	r = rv;
	ok = r->type == REDIS_REPLY_INTEGER && r->integer >= 0;
	*records = ok ? (uint64_t)r->integer : 0;
	freeReplyObject(r);
	if (!ok)
		return broken(s, c, "DBSIZE");
	if (redisGetReply(c, &rv) != REDIS_OK || rv == NULL)
		return broken(s, c, "INFO");
	r = rv;
	ok = r->type == REDIS_REPLY_STRING &&
	    (um = strstr(r->str, "used_memory:")) != NULL;
	if (ok)
		*bytes = strtoull(um + 12, NULL, 10);
	freeReplyObject(r);
	if (!ok)
		return broken(s, c, "INFO");
	give_back(s, c);
	store_note(s, STORE_OK, NULL);
	return STORE_OK;
}

static enum store_status
redis_add(struct store *s, const struct store_key *k, size_t n, const struct store_val *d,
    unsigned ttl_ms)
{
	enum store_status st = STORE_OK;
	redisContext *c = take(s, &st);
	size_t i, expect = 0;

	if (c == NULL)
		return st;
	for (i = 0; i < n; i++) {
		const char *kb = (const char *)k[i].b;
		size_t kl = k[i].len;
		if (redisAppendCommand(c, "HINCRBY %b a %lld", kb, kl, (long long)d[i].a) != REDIS_OK ||
		    redisAppendCommand(c, "HINCRBY %b b %lld", kb, kl, (long long)d[i].b) != REDIS_OK)
			return broken(s, c, "HINCRBY");
		expect += 2;
		if (ttl_ms > 0) {
			if (redisAppendCommand(c, "PEXPIRE %b %u NX", kb, kl, ttl_ms) != REDIS_OK)
				return broken(s, c, "PEXPIRE");
			expect++;
		}
	}
	for (i = 0; i < expect; i++) {
		void *rv = NULL;
		bool ok;

		if (redisGetReply(c, &rv) != REDIS_OK || rv == NULL)
			return broken(s, c, "HINCRBY");
		ok = ((redisReply *)rv)->type == REDIS_REPLY_INTEGER;
		freeReplyObject(rv);
		if (!ok)
			return broken(s, c, "HINCRBY");
	}
	give_back(s, c);
	store_note(s, STORE_OK, NULL);
	return STORE_OK;
}

static void
redis_close(struct store *s)
{
	struct redis_be *be = s->be;

	if (be == NULL)
		return;
	while (be->nidle > 0)
		redisFree(be->idle[--be->nidle]);
	pthread_mutex_destroy(&be->lock);
	free(be);
	s->be = NULL;
}

const struct store_ops store_redis_ops = {
	.open = redis_open,
	.get = redis_get,
	.add = redis_add,
	.size = redis_size,
	.close = redis_close,
};
