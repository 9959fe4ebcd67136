/*
 * interpose.c - the one place postern interposes libc calls that
 * libmilter makes (STYLE.md on interposing): read() and accept() for
 * immediate ACKs on inet milter connections, poll() so a stop is prompt.
 *
 * Quick ACKs.  Why: an MTA writes a command's macros and the command as two packets
 * with Nagle on (Postfix does), so the second leaves only when the first
 * is ACKed; Linux delays that ACK (up to 40 ms) hoping to send it with
 * the reply, and there is no reply to macros.  TCP_QUICKACK sends a
 * pending ACK at once but is not sticky: the kernel goes back to delaying
 * after the next reply.  libmilter reads every command itself and offers
 * no hook between its reads, and the callback-time setsockopt measured no
 * gain (docs/PERFORMANCE.md, "inet").  So the read() that libmilter calls
 * is this one: after each read on a connection libmilter accepted on an
 * inet socket, TCP_QUICKACK is set again.  Measured: docs/PERFORMANCE.md
 * "inet: TCP_QUICKACK after libmilter's reads".
 *
 * Gate: only with the libmilter this was measured with (smfi_version
 * 1.0.1, Debian's 8.17.1), only for an inet socket, and only when
 * socket_quickack is on (the default); otherwise read() and accept() pass
 * straight through.  Plan to remove: a libmilter with a hook after its
 * reads (or a socket option that keeps quick ACKs) makes this part go.
 *
 * A prompt stop.  libmilter's listener polls its socket with a 5 s
 * timeout (MI_CHK_TIME) and looks at the stop flag only when that poll
 * returns; SIGTERM sets the flag from libmilter's signal thread, which
 * then waits for the listener's mutex, so a stop took up to 5 s (4 s
 * idle, measured) and a supervisor with a shorter grace killed postern
 * before it drained its callbacks.  The poll() that libmilter calls on
 * the listening socket is given a timeout of at most LISTEN_SLICE_MS: a
 * poll that times out early is a timeout libmilter already handles (it
 * looks at the flag and polls again), so nothing else changes.  Only the
 * one listening descriptor postern names (listen_slice_enable) is
 * touched, with the same gate.  Plan to remove: a libmilter whose stop
 * wakes its listener.
 *
 * The executable exports read, accept and poll (Makefile.am,
 * --export-dynamic-symbol), so libmilter's references bind here; the real
 * functions come from dlsym(RTLD_NEXT) in a constructor, before main and
 * any thread.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "postern/interpose.h"

#define QA_FDS 65536

typedef ssize_t (*read_fn)(int, void *, size_t);
typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);
typedef int (*poll_fn)(struct pollfd *, nfds_t, int);

static read_fn real_read;
static accept_fn real_accept;
static poll_fn real_poll;
static atomic_int listen_fd = -1;       /* libmilter's, once named */
static atomic_bool enabled;
static atomic_uchar tcp_fd[QA_FDS];     /* 1: a connection accepted on inet */
static atomic_ulong acks;

bool
quickack_gate(unsigned major, unsigned minor, unsigned patch)
{
	return major == 1 && minor == 0 && patch == 1;
}

/* Before main (one thread): the real functions, for every caller. */
__attribute__((constructor)) static void
qa_init(void)
{
	real_read = (read_fn)dlsym(RTLD_NEXT, "read");
	real_accept = (accept_fn)dlsym(RTLD_NEXT, "accept");
	real_poll = (poll_fn)dlsym(RTLD_NEXT, "poll");
}

bool
quickack_enable(unsigned major, unsigned minor, unsigned patch)
{
	if (!quickack_gate(major, minor, patch) || real_read == NULL || real_accept == NULL)
		return false;
	atomic_store(&enabled, true);
	return true;
}

unsigned long
quickack_count(void)
{
	return atomic_load(&acks);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	ssize_t r = real_read(fd, buf, n);

	if (r > 0 && fd >= 0 && fd < QA_FDS && atomic_load_explicit(&tcp_fd[fd], memory_order_relaxed)) {
		int saved = errno, one = 1;

		if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) == 0)
			atomic_fetch_add_explicit(&acks, 1, memory_order_relaxed);
		else
			atomic_store(&tcp_fd[fd], 0);   /* no longer that socket */
		errno = saved;
	}
	return r;
}

int
accept(int lfd, struct sockaddr *sa, socklen_t *len)
{
	int fd;

	fd = real_accept(lfd, sa, len);
	if (fd >= 0 && fd < QA_FDS) {
		bool tcp = false;

		if (atomic_load(&enabled)) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			int saved = errno;

			tcp = getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
			    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
			errno = saved;
		}
		atomic_store(&tcp_fd[fd], tcp);
	}
	return fd;
}

bool
listen_slice_enable(int fd, unsigned major, unsigned minor, unsigned patch)
{
	int on = 0;
	socklen_t len = sizeof(on);

	if (!quickack_gate(major, minor, patch) || real_poll == NULL || fd < 0)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 || !on)
		return false;           /* not a listening socket */
	atomic_store(&listen_fd, fd);
	return true;
}

/* glibc declares poll's array write-only (access attribute, for
 * _FORTIFY_SOURCE), but poll reads fd and events from it: the caller's
 * values are initialised, and gcc's warning about reading them is off
 * here alone. */
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int lfd = atomic_load_explicit(&listen_fd, memory_order_relaxed);

	if (lfd >= 0 && n == 1 && fds[0].fd == lfd &&
	    (timeout < 0 || timeout > LISTEN_SLICE_MS))
		timeout = LISTEN_SLICE_MS;
	return real_poll(fds, n, timeout);
}
#pragma GCC diagnostic pop
