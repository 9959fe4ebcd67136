/* testredis.h - a real redis-server for unit tests: started on a loopback
 * port the test picks (no persistence, its own directory), stopped and
 * waited for; nothing is left running. */
#ifndef TESTREDIS_H
#define TESTREDIS_H

#include <sys/types.h>

struct test_redis {
	pid_t pid;
	int port;
	char *dir;
	char url[64];        /* "redis:127.0.0.1:PORT" */
};

/* Start (port 0: pick a free one); fails the test if it does not come up
 * within 10 s.  REDIS_SERVER names the binary (default redis-server). */
void tr_start(struct test_redis *r, int port);
void tr_stop(struct test_redis *r);
/* A loopback port nobody listens on right now. */
int tr_free_port(void);

#endif
