/* test_store.c - the state store (store.h): URLs (malformed rows as many
 * as well-formed), and the same operations on LMDB and on a real Redis
 * (started here on a loopback port the test picks) giving the same
 * answers: absent keys, batches, negative deltas, binary keys, time to
 * live; Redis down, silent and back again within the timeout; one handle
 * per URL; LMDB's map full. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "testutil.h"
#include "testredis.h"
#include "postern/store.h"

static struct test_redis redis;
static char *tmpdir;

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void
test_urls(void **state)
{
	static const struct { const char *url; bool ok; } rows[] = {
		{ "lmdb:/var/lib/postern/state.mdb", true },
		{ "redis:127.0.0.1:6379", true },
		{ "redis:localhost:6379/2", true },
		{ "redis:[::1]:6379", true },
		{ "redis:/run/redis/redis.sock", true },
		{ "lmdb:relative.mdb", false },
		{ "lmdb:", false },
		{ "redis:", false },
		{ "redis:127.0.0.1", false },
		{ "redis:127.0.0.1:0", false },
		{ "redis:127.0.0.1:70000", false },
		{ "redis:127.0.0.1:6379/x", false },
		{ "redis:127.0.0.1:6379x", false },
		{ "redis:::1:6379", false },
		{ "redis:[::1:6379", false },
		{ "redis::6379", false },
		{ "memcached:127.0.0.1:11211", false },
		{ "", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *why = NULL;
		bool ok = store_url_check(rows[i].url, &why);
		if (ok != rows[i].ok)
			fail_msg("row %zu \"%s\": ok=%d", i, rows[i].url, ok);
		if (!ok && why == NULL)
			fail_msg("row %zu: no reason", i);
	}
}

/* The same script on a backend; returns a text of every answer. */
static void
script(struct store *s, char *out, size_t cap)
{
	struct store_key k[600];
	struct store_val d[600], v[600];
	size_t o = 0;
	unsigned char bin[5] = { 'x', 0, 0xff, '\n', 0 };

	for (size_t i = 0; i < 600; i++) {
		char name[32];
		int n = snprintf(name, sizeof(name), "tok%zu", i);
		store_key_make(&k[i], 't', name, (size_t)n);
		d[i].a = (int64_t)i;
		d[i].b = -(int64_t)(i % 7);
	}
	assert_int_equal(store_get(s, k, 600, v), STORE_OK);
	for (size_t i = 0; i < 600; i++)
		assert_true(v[i].a == 0 && v[i].b == 0);
	assert_int_equal(store_add(s, k, 600, d, 0), STORE_OK);
	assert_int_equal(store_add(s, k, 300, d, 0), STORE_OK);
	assert_int_equal(store_get(s, k, 600, v), STORE_OK);
	for (size_t i = 0; i < 600; i++) {
		int64_t mul = i < 300 ? 2 : 1;
		if (v[i].a != mul * (int64_t)i || v[i].b != -mul * (int64_t)(i % 7))
			fail_msg("key %zu: %lld %lld", i, (long long)v[i].a, (long long)v[i].b);
		o += (size_t)snprintf(out + o, cap - o, "%lld,%lld;", (long long)v[i].a, (long long)v[i].b);
	}
	/* binary keys: NUL, 0xff, newline; distinct from their prefixes */
	store_key_make(&k[0], 'b', bin, sizeof(bin));
	store_key_make(&k[1], 'b', bin, 1);
	d[0].a = 5; d[0].b = 6;
	assert_int_equal(store_add(s, k, 1, d, 0), STORE_OK);
	assert_int_equal(store_get(s, k, 2, v), STORE_OK);
	assert_true(v[0].a == 5 && v[0].b == 6 && v[1].a == 0 && v[1].b == 0);
	o += (size_t)snprintf(out + o, cap - o, "bin:%lld,%lld,%lld;", (long long)v[0].a,
	    (long long)v[0].b, (long long)v[1].a);
	/* time to live: counts while it lives, zero after, fresh again */
	store_key_make(&k[0], 'r', "window", 6);
	d[0].a = 1; d[0].b = 3;
	assert_int_equal(store_add(s, k, 1, d, 400), STORE_OK);
	assert_int_equal(store_add(s, k, 1, d, 400), STORE_OK);
	assert_int_equal(store_get(s, k, 1, v), STORE_OK);
	assert_true(v[0].a == 2 && v[0].b == 6);
	sleep_ms(600);
	assert_int_equal(store_get(s, k, 1, v), STORE_OK);
	assert_true(v[0].a == 0 && v[0].b == 0);
	assert_int_equal(store_add(s, k, 1, d, 400), STORE_OK);
	assert_int_equal(store_get(s, k, 1, v), STORE_OK);
	assert_true(v[0].a == 1 && v[0].b == 3);
	o += (size_t)snprintf(out + o, cap - o, "ttl:%lld,%lld", (long long)v[0].a, (long long)v[0].b);
	/* too large a batch is refused, not truncated */
	assert_int_equal(store_get(s, k, STORE_BATCH_MAX + 1, v), STORE_ERROR);
}

static void
test_same_answers(void **state)
{
	static char a[32768], b[32768];
	char url[600];
	const char *why = NULL;
	struct store *l, *r;

	(void)state;
	snprintf(url, sizeof(url), "lmdb:%s/state.mdb", tmpdir);
	l = store_open(url, 200, 16 << 20, &why);
	assert_non_null(l);
	assert_int_equal(store_kind(l), STORE_LMDB);
	r = store_open(redis.url, 200, 0, &why);
	assert_non_null(r);
	assert_int_equal(store_kind(r), STORE_REDIS);
	script(l, a, sizeof(a));
	script(r, b, sizeof(b));
	assert_string_equal(a, b);
	/* sizes (records may differ: Redis drops expired ones, LMDB rewrites
	 * them when next written) */
	uint64_t lb, lr, rb, rr;
	assert_int_equal(store_size(l, &lb, &lr), STORE_OK);
	assert_int_equal(store_size(r, &rb, &rr), STORE_OK);
	assert_true(lb >= 4096 && lr > 0 && rb > 0 && rr > 0);
	/* one handle per URL */
	assert_ptr_equal(store_open(url, 200, 0, &why), l);
	store_close(l);
	store_close(l);
	store_close(r);
}

/* a second process-level user of the LMDB file sees the first's writes */
static void
test_lmdb_reopen(void **state)
{
	char url[600];
	const char *why;
	struct store *s;
	struct store_key k;
	struct store_val d = { 7, 8 }, v;

	(void)state;
	snprintf(url, sizeof(url), "lmdb:%s/reopen.mdb", tmpdir);
	s = store_open(url, 200, 0, &why);
	store_key_make(&k, 'n', "x", 1);
	assert_int_equal(store_add(s, &k, 1, &d, 0), STORE_OK);
	uint64_t bytes, records;
	assert_int_equal(store_size(s, &bytes, &records), STORE_OK);
	assert_int_equal(records, 1);
	assert_true(bytes > 0);
	store_close(s);
	s = store_open(url, 200, 0, &why);
	assert_int_equal(store_get(s, &k, 1, &v), STORE_OK);
	assert_true(v.a == 7 && v.b == 8);
	store_close(s);
	/* a directory that cannot hold it: down, with the reason */
	s = store_open("lmdb:/nonexistent-dir/x.mdb", 200, 0, &why);
	assert_int_equal(store_get(s, &k, 1, &v), STORE_DOWN);
	{
		char buf[160];
		assert_int_equal(store_health(s, buf, sizeof(buf)), STORE_DOWN);
		assert_non_null(strstr(buf, "/nonexistent-dir/x.mdb"));
	}
	store_close(s);
}

/* LMDB's map full (store.map_size): writes of new records end in
 * STORE_FULL with LMDB's reason in the health, no partial batch is kept,
 * every record written before reads back, the file stays within the map;
 * a bigger map on reopen makes room again. */
static void
test_lmdb_map_full(void **state)
{
	char url[600], buf[160];
	const char *why;
	struct store *s;
	enum store_status st = STORE_OK;
	struct store_key k[16];
	struct store_val d[16], v[16];
	unsigned n = 0;

	(void)state;
	snprintf(url, sizeof(url), "lmdb:%s/full.mdb", tmpdir);
	s = store_open(url, 200, 1 << 20, &why);
	assert_non_null(s);
	for (n = 0; n < 100000; n++) {
		char name[32];
		int len = snprintf(name, sizeof(name), "key-%08u", n);
		for (unsigned j = 0; j < 16; j++) {
			name[len] = (char)('a' + j);
			store_key_make(&k[j], 'f', name, (size_t)len + 1);
			d[j].a = n;
			d[j].b = j;
		}
		if ((st = store_add(s, k, 16, d, 0)) != STORE_OK)
			break;
	}
	assert_int_equal(st, STORE_FULL);
	assert_true(n > 100 && n < 100000);
	assert_int_equal(store_health(s, buf, sizeof(buf)), STORE_FULL);
	assert_non_null(strstr(buf, "MDB_MAP_FULL"));
	/* the failed batch left nothing; the first and the last whole batch read back */
	assert_int_equal(store_get(s, k, 16, v), STORE_OK);
	for (unsigned j = 0; j < 16; j++)
		assert_true(v[j].a == 0 && v[j].b == 0);
	for (unsigned probe = 0; probe < 2; probe++) {
		unsigned at = probe == 0 ? 0 : n - 1;
		char name[32];
		int len = snprintf(name, sizeof(name), "key-%08u", at);
		for (unsigned j = 0; j < 16; j++) {
			name[len] = (char)('a' + j);
			store_key_make(&k[j], 'f', name, (size_t)len + 1);
		}
		assert_int_equal(store_get(s, k, 16, v), STORE_OK);
		for (unsigned j = 0; j < 16; j++)
			assert_true(v[j].a == (int64_t)at && v[j].b == (int64_t)j);
	}
	{
		uint64_t bytes, records;
		assert_int_equal(store_size(s, &bytes, &records), STORE_OK);
		assert_true(bytes <= 1 << 20);
		assert_int_equal(records, (uint64_t)n * 16);
	}
	store_close(s);
	/* a bigger map: room again */
	s = store_open(url, 200, 4 << 20, &why);
	d[0].a = 1;
	store_key_make(&k[0], 'f', "after", 5);
	assert_int_equal(store_add(s, k, 1, d, 0), STORE_OK);
	store_close(s);
}

/* Redis stopped: the call fails fast, the health says so, calls within
 * the retry pause cost nothing; started again: it works again. */
static void
test_redis_down(void **state)
{
	const char *why;
	struct store *s;
	struct store_key k;
	struct store_val d = { 1, 1 }, v;
	long long t0;
	char buf[160];

	(void)state;
	s = store_open(redis.url, 300, 0, &why);
	store_key_make(&k, 'd', "down", 4);
	assert_int_equal(store_add(s, &k, 1, &d, 0), STORE_OK);
	tr_stop(&redis);
	t0 = now_ms();
	assert_int_not_equal(store_get(s, &k, 1, &v), STORE_OK);   /* the pooled connection breaks */
	assert_int_not_equal(store_get(s, &k, 1, &v), STORE_OK);
	assert_true(now_ms() - t0 < 1000);
	assert_true(v.a == 0 && v.b == 0);
	assert_int_not_equal(store_health(s, buf, sizeof(buf)), STORE_OK);
	assert_non_null(strstr(buf, "redis"));
	t0 = now_ms();
	for (int i = 0; i < 100; i++)
		assert_int_equal(store_get(s, &k, 1, &v), STORE_DOWN);
	assert_true(now_ms() - t0 < 100);
	tr_start(&redis, redis.port);
	sleep_ms(1100);
	assert_int_equal(store_add(s, &k, 1, &d, 0), STORE_OK);
	assert_int_equal(store_get(s, &k, 1, &v), STORE_OK);
	assert_true(v.a == 1);     /* no persistence: a fresh server */
	assert_int_equal(store_health(s, buf, sizeof(buf)), STORE_OK);
	store_close(s);
}

static void *
silent_accept(void *arg)
{
	int fd = *(int *)arg, c;

	c = accept(fd, NULL, NULL);
	sleep_ms(1500);
	if (c >= 0)
		close(c);
	return NULL;
}

/* A server that accepts and never answers: a timeout, within bounds. */
static void
test_redis_silent(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	const char *why;
	struct store *s;
	struct store_key k;
	struct store_val v;
	pthread_t th;
	long long t0, took;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	snprintf(url, sizeof(url), "redis:127.0.0.1:%d", ntohs(sa.sin_port));
	pthread_create(&th, NULL, silent_accept, &fd);
	s = store_open(url, 250, 0, &why);
	store_key_make(&k, 'd', "silent", 6);
	t0 = now_ms();
	assert_int_equal(store_get(s, &k, 1, &v), STORE_TIMEOUT);
	took = now_ms() - t0;
	if (took < 200 || took > 800)
		fail_msg("timeout took %lld ms (timeout 250)", took);
	store_close(s);
	pthread_join(th, NULL);
	close(fd);
}

static int
setup(void **state)
{
	(void)state;
	tmpdir = tu_mkdtemp();
	tr_start(&redis, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tr_stop(&redis);
	tu_rmdir(redis.dir);
	tu_rmdir(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_same_answers),
		cmocka_unit_test(test_lmdb_reopen),
		cmocka_unit_test(test_lmdb_map_full),
		cmocka_unit_test(test_redis_down),
		cmocka_unit_test(test_redis_silent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
