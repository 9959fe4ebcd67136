/*
 * quickack.c - immediate ACKs on inet milter connections, by interposing
 * libmilter's read() and accept() (the one place postern does this; see
 * STYLE.md on interposing).
 *
 * Why: an MTA writes a command's macros and the command as two packets
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
 * milter.quickack is on (the default); otherwise read() and accept() pass
 * straight through.  Plan to remove: a libmilter with a hook after its
 * reads (or a socket option that keeps quick ACKs) makes this file go.
 *
 * The executable exports read and accept (Makefile.am, --export-dynamic-
 * symbol), so libmilter's references bind here; the real functions come
 * from dlsym(RTLD_NEXT) in a constructor, before main and any thread.
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
#include <sys/socket.h>

#include "postern/quickack.h"

#define QA_FDS 65536

typedef ssize_t (*read_fn)(int, void *, size_t);
typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);

static read_fn real_read;
static accept_fn real_accept;
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
