/* test_interpose.c - the interposition of libmilter's libc calls
 * (filter/milter/interpose.c).  The gate opens for libmilter 1.0.1 only.
 * TCP_QUICKACK: with the gate shut read() and accept() pass straight
 * through (no TCP_QUICKACK set); open, every read on an accepted inet
 * connection sets it, a read on a unix socket or a pipe does not, and a
 * read that returns nothing does not.  poll(): with the gate shut, or on
 * any descriptor but the named listening socket, the caller's timeout
 * stands; on the named one alone it is cut to LISTEN_SLICE_MS, and a
 * waiting connection is still reported. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "testutil.h"
#include "postern/interpose.h"

static void
test_gate(void **state)
{
	(void)state;
	assert_true(quickack_gate(1, 0, 1));
	assert_false(quickack_gate(1, 0, 2));
	assert_false(quickack_gate(1, 0, 0));
	assert_false(quickack_gate(1, 1, 1));
	assert_false(quickack_gate(2, 0, 1));
	assert_false(quickack_gate(0, 0, 0));
}

/* A loopback connection accepted through the interposed accept(); the
 * peer writes one byte, the accepted side reads it; returns how many
 * times TCP_QUICKACK was set by that. */
static unsigned long
one_tcp_read(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s;
	unsigned long before = quickack_count();
	char b;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	assert_int_equal(write(c, "x", 1), 1);
	assert_int_equal(read(s, &b, 1), 1);
	close(c);
	assert_int_equal(read(s, &b, 1), 0);  /* end of stream: nothing set */
	close(s);
	close(l);
	return quickack_count() - before;
}

static unsigned long
one_unix_read(void)
{
	int sv[2], p[2];
	unsigned long before = quickack_count();
	char b;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "x", 1), 1);
	assert_int_equal(read(sv[1], &b, 1), 1);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(read(p[0], &b, 1), 1);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	return quickack_count() - before;
}

static void
test_shut_then_open(void **state)
{
	(void)state;
	/* the gate shut: nothing happens */
	assert_false(quickack_enable(1, 0, 2));
	assert_int_equal(one_tcp_read(), 0);
	assert_int_equal(one_unix_read(), 0);
	/* open: the one read with data on the accepted TCP socket */
	assert_true(quickack_enable(1, 0, 1));
	assert_int_equal(one_tcp_read(), 1);
	assert_int_equal(one_unix_read(), 0);
}

static int
listener(struct sockaddr_in *a)
{
	socklen_t al = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)a, &al), 0);
	return l;
}

/* milliseconds one poll() on FDS takes with TIMEOUT; its result in *r */
static long
poll_ms(struct pollfd *fds, nfds_t n, int timeout, int *r)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*r = poll(fds, n, timeout);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

static void
test_listen_slice(void **state)
{
	struct sockaddr_in a;
	int l = listener(&a), p[2], r, c;
	struct pollfd one[1], two[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	one[0] = (struct pollfd){ .fd = l, .events = POLLIN };
	/* the gate shut, or not a listening socket: nothing named */
	assert_false(listen_slice_enable(l, 1, 0, 2));
	assert_false(listen_slice_enable(p[0], 1, 0, 1));
	assert_false(listen_slice_enable(-1, 1, 0, 1));
	assert_true(poll_ms(one, 1, 600, &r) >= 550);
	assert_int_equal(r, 0);
	/* named: the listener's long wait is cut short, as a timeout */
	assert_true(listen_slice_enable(l, 1, 0, 1));
	long ms = poll_ms(one, 1, 5000, &r);
	assert_int_equal(r, 0);
	assert_true(ms >= LISTEN_SLICE_MS - 20 && ms < 1000);
	ms = poll_ms(one, 1, -1, &r);
	assert_int_equal(r, 0);
	assert_true(ms < 1000);
	/* a short wait stands, and a waiting connection is reported */
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_true(poll_ms(one, 1, 5000, &r) < 1000);
	assert_int_equal(r, 1);
	assert_true(one[0].revents & POLLIN);
	int s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	close(s);
	close(c);
	/* any other poll keeps its timeout: another descriptor, or more */
	one[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	assert_true(poll_ms(one, 1, 500, &r) >= 450);
	two[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	two[1] = (struct pollfd){ .fd = l, .events = POLLIN };
	assert_true(poll_ms(two, 2, 500, &r) >= 450);
	assert_int_equal(r, 0);
	close(p[0]);
	close(p[1]);
	close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_shut_then_open),
		cmocka_unit_test(test_listen_slice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
