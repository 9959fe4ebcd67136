/* test_quickack.c - the TCP_QUICKACK interposition (filter/milter/
 * quickack.c): the gate opens for libmilter 1.0.1 only; with the gate
 * shut read() and accept() pass straight through (no TCP_QUICKACK set);
 * open, every read on an accepted inet connection sets it, a read on a
 * unix socket or a pipe does not, and a read that returns nothing does
 * not. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "testutil.h"
#include "postern/quickack.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_shut_then_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
