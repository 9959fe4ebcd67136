/*
 * store_int.h - the store's private parts: the handle and the backend
 * operations.  Shared by store.c (URLs, the registry of open handles,
 * dispatch, health) and the backends store_lmdb.c and store_redis.c.
 * Nothing else includes it.
 */
#ifndef POSTERN_STORE_INT_H
#define POSTERN_STORE_INT_H

#include <pthread.h>

#include "postern/store.h"

struct store_ops {
	/* Reach the backend; called under s->lock, at most once per success. */
	enum store_status (*open)(struct store *s);
	enum store_status (*get)(struct store *s, const struct store_key *k, size_t n,
	    struct store_val *out);
	enum store_status (*add)(struct store *s, const struct store_key *k, size_t n,
	    const struct store_val *d, unsigned ttl_ms);
	/* Bytes the data takes and records held (store_size). */
	enum store_status (*size)(struct store *s, uint64_t *bytes, uint64_t *records);
	void (*close)(struct store *s);
};

struct store {
	char *url;
	enum store_kind kind;
	const struct store_ops *ops;
	unsigned timeout_ms;
	unsigned long long map_size;
	int refs;                 /* under the registry lock */
	struct store *next;
	/* parsed URL */
	char path[512];           /* lmdb file, or redis unix socket */
	char host[256];
	int port, db;
	/* state */
	pthread_mutex_t lock;     /* open, health */
	bool opened;
	long long retry_at_ms;    /* redis: not asked again before this */
	enum store_status health;
	char why[128];
	void *be;                 /* the backend's own */
};

extern const struct store_ops store_lmdb_ops;
extern const struct store_ops store_redis_ops;

long long store_now_ms(void);
/* Record the outcome of a call (thread safe). */
void store_note(struct store *s, enum store_status st, const char *why);

#endif
