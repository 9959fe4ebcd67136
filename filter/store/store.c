/*
 * store.c - the state store's front (store.h): URL parsing, the registry
 * of open handles (one per URL in a process), lazy opening, dispatch to
 * the backend and the health shown in the status.  Called by the
 * classifier (classify.c), the rate limits (check_rate.c) and
 * postern-learn.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postern/util.h"
#include "store_int.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *registry;

long long
store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
parse_port(const char *s, int *port, int *db)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || v < 1 || v > 65535)
		return false;
	*port = (int)v;
	*db = 0;
	if (*end == '/') {
		const char *d = end + 1;
		v = strtol(d, &end, 10);
		if (end == d || v < 0 || v > 1000)
			return false;
		*db = (int)v;
	}
	return *end == '\0';
}

/* Fill the parsed fields of s (may be a scratch struct). */
static bool
parse_url(const char *url, struct store *s, const char **why)
{
	if (strncmp(url, "lmdb:", 5) == 0) {
		s->kind = STORE_LMDB;
		if (url[5] != '/') {
			*why = "lmdb: wants an absolute file name (lmdb:/var/lib/postern/state.mdb)";
			return false;
		}
		if (!strlcpy_ok(s->path, url + 5, sizeof(s->path))) {
			*why = "file name too long";
			return false;
		}
		return true;
	}
	if (strncmp(url, "redis:", 6) == 0) {
		const char *h = url + 6, *colon;
		s->kind = STORE_REDIS;
		if (*h == '/') {
			if (!strlcpy_ok(s->path, h, sizeof(s->path))) {
				*why = "socket name too long";
				return false;
			}
			return true;
		}
		if (*h == '[') {
			const char *rb = strchr(h, ']');
			if (rb == NULL || rb[1] != ':' || (size_t)(rb - h - 1) >= sizeof(s->host)) {
				*why = "redis: wants [ADDR]:PORT for IPv6";
				return false;
			}
			memcpy(s->host, h + 1, (size_t)(rb - h - 1));
			s->host[rb - h - 1] = '\0';
			colon = rb + 1;
		} else {
			colon = strrchr(h, ':');
			if (colon == NULL || colon == h || (size_t)(colon - h) >= sizeof(s->host) ||
			    memchr(h, ':', (size_t)(colon - h)) != NULL) {
				*why = "redis: wants HOST:PORT[/DB], [ADDR]:PORT or /path/socket";
				return false;
			}
			memcpy(s->host, h, (size_t)(colon - h));
			s->host[colon - h] = '\0';
		}
		if (!parse_port(colon + 1, &s->port, &s->db)) {
			*why = "redis: bad port or database number";
			return false;
		}
		return true;
	}
	*why = "a store is lmdb:/path/file.mdb or redis:HOST:PORT";
	return false;
}

bool
store_url_check(const char *url, const char **why)
{
	struct store *s = xcalloc(1, sizeof(*s));
	bool ok = parse_url(url, s, why);

	free(s);
	return ok;
}

struct store *
store_open(const char *url, unsigned timeout_ms, unsigned long long map_size, const char **why)
{
	struct store *s;

	pthread_mutex_lock(&registry_lock);
	for (s = registry; s != NULL; s = s->next)
		if (strcmp(s->url, url) == 0)
			break;
	if (s != NULL) {
		s->refs++;
		pthread_mutex_unlock(&registry_lock);
		return s;
	}
	s = xcalloc(1, sizeof(*s));
	if (!parse_url(url, s, why)) {
		pthread_mutex_unlock(&registry_lock);
		free(s);
		return NULL;
	}
	s->url = xstrdup(url);
	s->ops = s->kind == STORE_LMDB ? &store_lmdb_ops : &store_redis_ops;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : STORE_DEF_TIMEOUT_MS;
	s->map_size = map_size > 0 ? map_size : STORE_DEF_MAP_SIZE;
	s->refs = 1;
	pthread_mutex_init(&s->lock, NULL);
	s->next = registry;
	registry = s;
	pthread_mutex_unlock(&registry_lock);
	return s;
}

void
store_close(struct store *s)
{
	struct store **pp;

	if (s == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	if (--s->refs > 0) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
	if (s->opened)
		s->ops->close(s);
	pthread_mutex_destroy(&s->lock);
	free(s->url);
	free(s);
}

void
store_note(struct store *s, enum store_status st, const char *why)
{
	pthread_mutex_lock(&s->lock);
	s->health = st;
	if (st == STORE_OK)
		s->why[0] = '\0';
	else
		snprintf(s->why, sizeof(s->why), "%s", why != NULL ? why : store_status_name(st));
	pthread_mutex_unlock(&s->lock);
}

static enum store_status
ensure_open(struct store *s)
{
	enum store_status st = STORE_OK;

	pthread_mutex_lock(&s->lock);
	if (!s->opened) {
		st = s->ops->open(s);
		s->opened = st == STORE_OK;
		if (st == STORE_OK) {
			s->health = STORE_OK;
			s->why[0] = '\0';
		}
	}
	pthread_mutex_unlock(&s->lock);
	return st;
}

enum store_status
store_get(struct store *s, const struct store_key *k, size_t n, struct store_val *out)
{
	enum store_status st;

	if (n > STORE_BATCH_MAX)
		return STORE_ERROR;
	memset(out, 0, n * sizeof(*out));
	if ((st = ensure_open(s)) != STORE_OK)
		return st;
	if (n == 0)
		return STORE_OK;
	st = s->ops->get(s, k, n, out);
	if (st != STORE_OK)
		memset(out, 0, n * sizeof(*out));
	return st;
}

enum store_status
store_add(struct store *s, const struct store_key *k, size_t n, const struct store_val *d,
    unsigned ttl_ms)
{
	enum store_status st;

	if (n > STORE_ADD_MAX)
		return STORE_ERROR;
	if ((st = ensure_open(s)) != STORE_OK)
		return st;
	if (n == 0)
		return STORE_OK;
	return s->ops->add(s, k, n, d, ttl_ms);
}

enum store_status
store_size(struct store *s, uint64_t *bytes, uint64_t *records)
{
	enum store_status st;

	*bytes = *records = 0;
	if ((st = ensure_open(s)) != STORE_OK)
		return st;
	return s->ops->size(s, bytes, records);
}

enum store_kind
store_kind(const struct store *s)
{
	return s->kind;
}

const char *
store_url(const struct store *s)
{
	return s->url;
}

enum store_status
store_health(struct store *s, char *buf, size_t cap)
{
	enum store_status st;

	pthread_mutex_lock(&s->lock);
	st = s->health;
	if (cap > 0)
		snprintf(buf, cap, "%s", s->why);
	pthread_mutex_unlock(&s->lock);
	return st;
}

const char *
store_status_name(enum store_status st)
{
	switch (st) {
	case STORE_OK: return "ok";
	case STORE_DOWN: return "down";
	case STORE_TIMEOUT: return "timeout";
	case STORE_FULL: return "full";
	case STORE_ERROR: return "error";
	}
	return "?";
}

void
store_key_make(struct store_key *k, char prefix, const void *data, size_t len)
{
	if (len > STORE_KEY_MAX - 1)
		len = STORE_KEY_MAX - 1;
	k->b[0] = (unsigned char)prefix;
	memcpy(k->b + 1, data, len);
	k->len = (unsigned)(len + 1);
}
