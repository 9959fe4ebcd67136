/* testredis.c - see testredis.h. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "testutil.h"
#include "testredis.h"

int
tr_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		fail_msg("tr_free_port: %s", strerror(errno));
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
try_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc;
}

void
tr_start(struct test_redis *r, int port)
{
	const char *bin = getenv("REDIS_SERVER");
	char portbuf[16];

	if (bin == NULL || *bin == '\0')
		bin = "redis-server";
	if (r->dir == NULL)
		r->dir = tu_mkdtemp();
	r->port = port > 0 ? port : tr_free_port();
	snprintf(portbuf, sizeof(portbuf), "%d", r->port);
	snprintf(r->url, sizeof(r->url), "redis:127.0.0.1:%d", r->port);
	r->pid = fork();
	if (r->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (r->pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		if (nul >= 0) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execlp(bin, bin, "--port", portbuf, "--bind", "127.0.0.1", "--save", "",
		    "--appendonly", "no", "--dir", r->dir, "--daemonize", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		int st;
		if (try_connect(r->port) == 0)
			return;
		if (waitpid(r->pid, &st, WNOHANG) == r->pid)
			fail_msg("%s did not start (exit %d): install redis-server (contrib/deps.sh)", bin,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		nanosleep(&ts, NULL);
	}
	fail_msg("redis-server did not listen on port %d within 10 s", r->port);
}

void
tr_stop(struct test_redis *r)
{
	int st;

	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, &st, 0);
		r->pid = 0;
	}
}
