/*
 * ml_conn.c - the milter socket of the load client: connect (inet:,
 * inet6:, unix:), packet building into an output buffer, flushing, and
 * reading reply packets with a deadline.
 *
 * Packets are "uint32 length (network order, counts the command byte),
 * command byte, data".  Steps the milter declared no-reply for are only
 * buffered; the buffer goes out when a reply is awaited, so a milter that
 * saves round trips also saves the client system calls.
 * Called by ml_proto.c (one struct mconn per worker thread).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ml_conn.h"

static int
connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "unix socket path too long");
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "connect unix:%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
connect_inet(int family, const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	const char *at = strchr(spec, '@');
	char port[16];
	int fd = -1, rc;

	if (at == NULL || (size_t)(at - spec) >= sizeof(port) || at == spec) {
		snprintf(err, errlen, "bad socket \"%s\" (want PORT@ADDR)", spec);
		return -1;
	}
	memcpy(port, spec, (size_t)(at - spec));
	port[at - spec] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(at + 1, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(err, errlen, "connect %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
mc_open(struct mconn *c, const char *spec, int timeout_ms, char *err, size_t errlen)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd;

	if (strncmp(spec, "unix:", 5) == 0)
		fd = connect_unix(spec + 5, err, errlen);
	else if (strncmp(spec, "local:", 6) == 0)
		fd = connect_unix(spec + 6, err, errlen);
	else if (strncmp(spec, "inet:", 5) == 0)
		fd = connect_inet(AF_INET, spec + 5, err, errlen);
	else if (strncmp(spec, "inet6:", 6) == 0)
		fd = connect_inet(AF_INET6, spec + 6, err, errlen);
	else if (spec[0] == '/')
		fd = connect_unix(spec, err, errlen);
	else {
		snprintf(err, errlen, "bad socket \"%s\" (inet:PORT@ADDR, inet6:PORT@ADDR, unix:PATH)", spec);
		return -1;
	}
	if (fd < 0)
		return -1;
	/* a milter that stops reading must not hang a send forever */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->sticky = MC_OK;
	c->olen = c->ipos = c->ilen = 0;
	return 0;
}

void
mc_close(struct mconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->olen = c->ipos = c->ilen = 0;
}

static void
reserve(struct mconn *c, size_t more)
{
	if (c->ocap - c->olen >= more)
		return;
	while (c->ocap - c->olen < more)
		c->ocap = c->ocap ? c->ocap * 2 : 65536;
	c->obuf = ml_xrealloc(c->obuf, c->ocap);
}

void
mc_begin(struct mconn *c, char cmd)
{
	reserve(c, 5);
	c->pstart = c->olen;
	c->olen += 4;
	c->obuf[c->olen++] = cmd;
}

void
mc_add(struct mconn *c, const void *data, size_t len)
{
	reserve(c, len);
	memcpy(c->obuf + c->olen, data, len);
	c->olen += len;
}

void
mc_addstr(struct mconn *c, const char *s)
{
	mc_add(c, s, strlen(s) + 1);
}

void
mc_add16(struct mconn *c, uint16_t v)
{
	v = htons(v);
	mc_add(c, &v, 2);
}

void
mc_add32(struct mconn *c, uint32_t v)
{
	v = htonl(v);
	mc_add(c, &v, 4);
}

void
mc_end(struct mconn *c)
{
	uint32_t len = htonl((uint32_t)(c->olen - c->pstart - 4));

	memcpy(c->obuf + c->pstart, &len, 4);
	if (c->per_packet && c->sticky == MC_OK)
		c->sticky = mc_flush(c);
}

enum mc_status
mc_flush(struct mconn *c)
{
	size_t off = 0;
	ssize_t n;

	if (c->sticky != MC_OK) {
		c->olen = 0;
		return c->sticky;
	}
	while (off < c->olen) {
		n = send(c->fd, c->obuf + off, c->olen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		c->olen = 0;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return MC_TIMEOUT;
		return MC_CLOSED;   /* EPIPE, ECONNRESET: the milter hung up */
	}
	c->olen = 0;
	return MC_OK;
}

/* Make at least need bytes readable at ibuf + ipos. */
static enum mc_status
fill(struct mconn *c, size_t need)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	ssize_t n;
	int rc;

	while (c->ilen - c->ipos < need) {
		if (c->ipos > 0) {
			memmove(c->ibuf, c->ibuf + c->ipos, c->ilen - c->ipos);
			c->ilen -= c->ipos;
			c->ipos = 0;
		}
		if (c->icap < need || c->icap - c->ilen < 512) {
			c->icap = (need > 8192 ? need : 8192) * 2;
			c->ibuf = ml_xrealloc(c->ibuf, c->icap);
		}
		n = recv(c->fd, c->ibuf + c->ilen, c->icap - c->ilen, MSG_DONTWAIT);
		if (n > 0) {
			c->ilen += (size_t)n;
			continue;
		}
		if (n == 0)
			return MC_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return MC_CLOSED;
		rc = poll(&pfd, 1, c->timeout_ms);
		if (rc == 0)
			return MC_TIMEOUT;
		if (rc < 0 && errno != EINTR)
			return MC_CLOSED;
	}
	return MC_OK;
}

enum mc_status
mc_read(struct mconn *c, char *cmd, const char **data, size_t *len)
{
	enum mc_status st;
	uint32_t n;

	if (c->sticky != MC_OK)
		return c->sticky;
	for (;;) {
		if ((st = fill(c, 4)) != MC_OK)
			return st;
		memcpy(&n, c->ibuf + c->ipos, 4);
		n = ntohl(n);
		if (n < 1 || n > ML_MAX_REPLY)
			return MC_BADLEN;
		if ((st = fill(c, 4 + (size_t)n)) != MC_OK)
			return st;
		*cmd = c->ibuf[c->ipos + 4];
		*data = c->ibuf + c->ipos + 5;
		*len = n - 1;
		c->ipos += 4 + (size_t)n;
		if (*cmd != 'p')   /* SMFIR_PROGRESS: keep waiting */
			return MC_OK;
	}
}

int
mc_pending(const struct mconn *c)
{
	return c->ilen > c->ipos;
}

const char *
mc_strstatus(enum mc_status st)
{
	switch (st) {
	case MC_OK: return "ok";
	case MC_CLOSED: return "connection closed by the milter";
	case MC_TIMEOUT: return "timed out waiting for the milter";
	case MC_BADLEN: return "reply packet with a bad length";
	}
	return "?";
}
