/*
 * dns_cache.c - the resolver's answer cache in front of libunbound
 * (dns_cache.h).  libunbound keeps its own cache, but a question it
 * answers from there still crosses to the dispatcher thread and back, and
 * it cannot say whether an answer came from its cache.  This cache answers
 * in the asking thread, and its hits and misses are the resolver's cache
 * hit rate (postern_dns_cache_total).
 *
 * Direct-mapped: DNS_CACHE_SLOTS slots, a question hashes to one; a new
 * answer replaces the slot's.  Only answers with records and a TTL above
 * zero are kept, for their TTL and at most DNS_CACHE_MAX_TTL seconds.
 * Negative answers (no such name, no such record) are left to libunbound,
 * which knows the negative TTL from the SOA; failures and timeouts are
 * never kept. An entry is
 * shared by reference: a reader keeps it until dns_answer_free, so
 * replacing or flushing never frees what a caller still reads.  One mutex
 * guards the slots (held for a compare and a reference, never for I/O).
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_cache.h"
#include "postern/util.h"

#define DNS_CACHE_SLOTS 8192
#define DNS_CACHE_MAX_TTL 3600

struct dns_centry {
	unsigned refs;                  /* the slot's one, and each reader's */
	int rrtype;
	enum dns_status status;
	int rcode;
	long long expires_ms;           /* monotonic */
	size_t count;
	const unsigned char **rdata;    /* into blob */
	int *rdlen;
	char *canonname;                /* into blob, or NULL */
	char name[256];                 /* lower case */
	unsigned char blob[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct dns_centry *slot[DNS_CACHE_SLOTS];
static unsigned long long hits, misses;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the key: the name in lower case without a trailing dot; false when it
 * does not fit */
static bool
key_of(const char *name, char *out)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[n] = '\0';
	return true;
}

static unsigned
hash_of(const char *key, int rrtype)
{
	uint32_t h = 2166136261u ^ (uint32_t)rrtype;   /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h % DNS_CACHE_SLOTS;
}

/* drop one reference; the caller holds lock */
static void
unref_locked(struct dns_centry *e)
{
	if (e != NULL && --e->refs == 0)
		free(e);
}

bool
dns_cache_get(const char *name, int rrtype, struct dns_answer *out)
{
	char key[256];
	struct dns_centry *e;
	bool hit = false;

	if (!key_of(name, key))
		return false;
	pthread_mutex_lock(&lock);
	e = slot[hash_of(key, rrtype)];
	if (e != NULL && e->rrtype == rrtype && strcmp(e->name, key) == 0 && e->expires_ms > now_ms()) {
		e->refs++;
		hit = true;
		hits++;
	} else {
		misses++;
	}
	pthread_mutex_unlock(&lock);
	if (!hit)
		return false;
	memset(out, 0, sizeof(*out));
	out->status = e->status;
	out->rcode = e->rcode;
	out->count = e->count;
	out->rdata = e->rdata;
	out->rdlen = e->rdlen;
	out->canonname = e->canonname;
	out->priv = e;
	out->cached = true;
	return true;
}

void
dns_cache_put(const char *name, int rrtype, const struct dns_answer *a, int ttl)
{
	char key[256];
	size_t bytes = 0, off;
	struct dns_centry *e, **s;

	if (ttl <= 0 || a->status != DNS_OK || !key_of(name, key))
		return;
	if (ttl > DNS_CACHE_MAX_TTL)
		ttl = DNS_CACHE_MAX_TTL;
	for (size_t i = 0; i < a->count; i++)
		bytes += (size_t)a->rdlen[i];
	if (a->canonname != NULL)
		bytes += strlen(a->canonname) + 1;
	/* pointers first (aligned), then the bytes */
	off = a->count * (sizeof(unsigned char *) + sizeof(int));
	e = xcalloc(1, sizeof(*e) + off + bytes);
	e->refs = 1;
	e->rrtype = rrtype;
	e->status = a->status;
	e->rcode = a->rcode;
	e->count = a->count;
	e->expires_ms = now_ms() + (long long)ttl * 1000;
	strcpy(e->name, key);
	e->rdata = (const unsigned char **)(void *)e->blob;
	e->rdlen = (int *)(void *)(e->blob + a->count * sizeof(unsigned char *));
	for (size_t i = 0; i < a->count; i++) {
		memcpy(e->blob + off, a->rdata[i], (size_t)a->rdlen[i]);
		e->rdata[i] = e->blob + off;
		e->rdlen[i] = a->rdlen[i];
		off += (size_t)a->rdlen[i];
	}
	if (a->canonname != NULL) {
		e->canonname = (char *)e->blob + off;
		strcpy(e->canonname, a->canonname);
	}
	pthread_mutex_lock(&lock);
	s = &slot[hash_of(key, rrtype)];
	unref_locked(*s);
	*s = e;
	pthread_mutex_unlock(&lock);
}

void
dns_cache_release(void *priv)
{
	pthread_mutex_lock(&lock);
	unref_locked(priv);
	pthread_mutex_unlock(&lock);
}

void
dns_cache_flush(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < DNS_CACHE_SLOTS; i++) {
		unref_locked(slot[i]);
		slot[i] = NULL;
	}
	pthread_mutex_unlock(&lock);
}

void
dns_cache_counts(unsigned long long *h, unsigned long long *m)
{
	pthread_mutex_lock(&lock);
	*h = hits;
	*m = misses;
	pthread_mutex_unlock(&lock);
}
