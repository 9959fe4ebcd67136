/*
 * store.h - the state store: the one piece of state postern keeps (the
 * classifier's token counts, the trained-message digests, the rate
 * counters).  One small interface, two backends: LMDB (store_lmdb.c, one
 * file, no server; the default) and Redis (store_redis.c, hiredis; several
 * MTA hosts share one view).  Both give the same answers.
 *
 * A record is a key (at most STORE_KEY_MAX bytes, any bytes) holding two
 * signed 64-bit counters.  store_get reads many keys at once (one read
 * transaction / one pipelined round trip); store_add adds deltas to many
 * keys at once (one write transaction / one pipeline), optionally giving
 * new records a time to live (rate windows).  Records never written read
 * as zero.
 *
 * A handle is opened once per URL and shared (LMDB must not be opened
 * twice in one process): store_open of an URL already open returns the
 * same handle with one more reference.  The backend is reached lazily, on
 * first use, so a daemon opens its files after dropping privileges and a
 * Redis that is down at start-up does not stop it.  Every call is bounded
 * by the handle's timeout (Redis connect, read and write); a failed Redis
 * is not retried for a second, so a down store costs a message nothing.
 * Thread safe.  Knows nothing of sessions or policies.
 */
#ifndef POSTERN_STORE_H
#define POSTERN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_KEY_MAX 128
#define STORE_BATCH_MAX 4096          /* keys per store_get call */
#define STORE_ADD_MAX (1u << 17)       /* keys per store_add call (postern-learn's batches) */
#define STORE_DEF_TIMEOUT_MS 200
#define STORE_DEF_MAP_SIZE (1ULL << 30)   /* LMDB map: 1 GiB of address space */

struct store_key {
	unsigned len;
	unsigned char b[STORE_KEY_MAX];
};

struct store_val {
	int64_t a, b;
};

enum store_status {
	STORE_OK = 0,
	STORE_DOWN,       /* cannot reach / open the backend */
	STORE_TIMEOUT,    /* it did not answer in time */
	STORE_FULL,       /* LMDB map full */
	STORE_ERROR,      /* a bad reply or any other failure */
};

enum store_kind { STORE_LMDB = 1, STORE_REDIS };

struct store;

/*
 * Parse "lmdb:/path/file.mdb" or "redis:HOST:PORT[/DB]" ("redis:[::1]:6379",
 * "redis:/path/redis.sock" for a unix socket); false with a static
 * description in why when malformed.  Nothing is opened.
 */
bool store_url_check(const char *url, const char **why);
/* A shared handle for url (see above); NULL with why when malformed.
 * timeout_ms bounds each call; map_size is LMDB's map (0: default). */
struct store *store_open(const char *url, unsigned timeout_ms, unsigned long long map_size,
    const char **why);
/* Drop one reference (NULL is fine); the last one closes the backend. */
void store_close(struct store *s);

enum store_status store_get(struct store *s, const struct store_key *k, size_t n,
    struct store_val *out);
/* Add d[i] to k[i].  ttl_ms > 0: a record created now (or found expired)
 * lives ttl_ms from now; 0: for ever. */
enum store_status store_add(struct store *s, const struct store_key *k, size_t n,
    const struct store_val *d, unsigned ttl_ms);

/* How big the store is: LMDB the bytes of its file in use and its
 * records; Redis the server's used_memory and the database's keys. */
enum store_status store_size(struct store *s, uint64_t *bytes, uint64_t *records);

enum store_kind store_kind(const struct store *s);
/* The URL, for logs and the status. */
const char *store_url(const struct store *s);
/* The last call's outcome and, on failure, why (a short text), for the
 * status line; thread safe copy into buf. */
enum store_status store_health(struct store *s, char *buf, size_t cap);
const char *store_status_name(enum store_status st);

/* Key helpers: a key from a prefix byte and len bytes of data (cut to
 * fit STORE_KEY_MAX). */
void store_key_make(struct store_key *k, char prefix, const void *data, size_t len);

#endif
