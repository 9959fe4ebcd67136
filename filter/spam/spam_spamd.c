/*
 * spam_spamd.c - a client for SpamAssassin's spamd (the spamc protocol,
 * SYMBOLS command): the address of the server, and one check per message
 * whose header and body are streamed to spamd as they arrive (no
 * Content-length: the end of the message is the end of the request,
 * shutdown(SHUT_WR)), bounded by spam.spamd_max_size, with one deadline
 * for connect, send and reply.  Called by check_spam.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "postern/spam.h"

bool
spamd_addr_parse(const char *s, struct spamd_addr *out)
{
	char host[64];
	const char *colon, *hs = s;
	size_t hl;
	unsigned long port;
	char *end;

	memset(out, 0, sizeof(*out));
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return false;
		hs = s + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return false;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return false;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return false;
	if (inet_pton(AF_INET, host, out->ip) == 1)
		out->family = AF_INET;
	else if (*s == '[' && inet_pton(AF_INET6, host, out->ip) == 1)
		out->family = AF_INET6;
	else
		return false;
	out->port = (uint16_t)port;
	snprintf(out->text, sizeof(out->text), "%s", s);
	return true;
}

/* ---- one check ---------------------------------------------------------- */

#define SPAMD_REPLY_MAX 8192

struct spamd_job {
	int fd;
	enum spamd_status status;        /* SPAMD_OK while all is well */
	struct timespec deadline;
	size_t sent, max_size;
	char why[96];
};

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

static void
job_fail(struct spamd_job *j, enum spamd_status st, const char *what, int err)
{
	if (j->status != SPAMD_OK)
		return;
	j->status = st;
	if (err != 0)
		snprintf(j->why, sizeof(j->why), "%s: %s", what, strerror(err));
	else
		snprintf(j->why, sizeof(j->why), "%s", what);
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
}

/* Wait until fd is ready for events or the deadline passes. */
static bool
wait_fd(struct spamd_job *j, short events)
{
	struct pollfd pf = { .fd = j->fd, .events = events };

	for (;;) {
		long left = ms_left(&j->deadline);
		int n;

		if (left <= 0) {
			job_fail(j, SPAMD_TIMEOUT, "no answer in time", 0);
			return false;
		}
		n = poll(&pf, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR) {
			job_fail(j, SPAMD_DOWN, "poll", errno);
			return false;
		}
	}
}

static void
send_all(struct spamd_job *j, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0 && j->status == SPAMD_OK) {
		ssize_t n = send(j->fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			wait_fd(j, POLLOUT);
		} else if (n < 0 && errno != EINTR) {
			job_fail(j, SPAMD_DOWN, "send", errno);
		}
	}
}

static void
send_counted(struct spamd_job *j, const void *buf, size_t len)
{
	if (j->status != SPAMD_OK)
		return;
	if (j->sent + len > j->max_size) {
		job_fail(j, SPAMD_TOO_BIG, "message larger than spam.spamd_max_size", 0);
		return;
	}
	j->sent += len;
	send_all(j, buf, len);
}

struct spamd_job *
spamd_start(const struct spamd_addr *a, unsigned timeout_ms, size_t max_size)
{
	struct spamd_job *j = xcalloc(1, sizeof(*j));
	struct sockaddr_storage ss;
	socklen_t sl;
	static const char req[] = "SYMBOLS SPAMC/1.5\r\nUser: postern\r\n\r\n";
	int err = 0;
	socklen_t el = sizeof(err);

	j->fd = -1;
	j->max_size = max_size;
	clock_gettime(CLOCK_MONOTONIC, &j->deadline);
	j->deadline.tv_sec += timeout_ms / 1000;
	j->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (j->deadline.tv_nsec >= 1000000000L) {
		j->deadline.tv_sec++;
		j->deadline.tv_nsec -= 1000000000L;
	}
	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
		sl = sizeof(*s6);
	}
	j->fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (j->fd < 0) {
		job_fail(j, SPAMD_DOWN, "socket", errno);
		return j;
	}
	if (connect(j->fd, (struct sockaddr *)&ss, sl) != 0) {
		if (errno != EINPROGRESS) {
			job_fail(j, SPAMD_DOWN, "connect", errno);
			return j;
		}
		if (!wait_fd(j, POLLOUT))
			return j;
		if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			job_fail(j, SPAMD_DOWN, "connect", err != 0 ? err : errno);
			return j;
		}
	}
	send_all(j, req, sizeof(req) - 1);
	return j;
}

void
spamd_header(struct spamd_job *j, const char *name, const char *value)
{
	strbuf sb;

	if (j == NULL || j->status != SPAMD_OK)
		return;
	sb_init(&sb);
	sb_printf(&sb, "%s: ", name);
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			sb_putc(&sb, '\r');
		sb_putc(&sb, *p);
	}
	sb_puts(&sb, "\r\n");
	send_counted(j, sb.s, sb.len);
	sb_free(&sb);
}

void
spamd_eoh(struct spamd_job *j)
{
	if (j != NULL)
		send_counted(j, "\r\n", 2);
}

void
spamd_body(struct spamd_job *j, const unsigned char *buf, size_t len)
{
	if (j != NULL)
		send_counted(j, buf, len);
}

/* A spamd number ("7.3", "-0.1", "1004.2"): hundredths, clamped to
 * +-SCORE_LIMIT; further decimals are dropped. */
static bool
parse_num(const char *s, size_t len, int *out)
{
	size_t i = 0, nd = 0;
	bool neg = false;
	long v = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
		if (v <= SCORE_LIMIT)
			v = v * 10 + (s[i] - '0');
	if (nd == 0)
		return false;
	v *= 100;
	if (i < len && s[i] == '.') {
		size_t nf = 0;
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nf++) {
			if (nf == 0)
				v += (s[i] - '0') * 10;
			else if (nf == 1)
				v += s[i] - '0';
		}
		if (nf == 0)
			return false;
	}
	if (i != len)
		return false;
	if (v > SCORE_LIMIT)
		v = SCORE_LIMIT;
	*out = neg ? (int)-v : (int)v;
	return true;
}

/* "Spam: True ; 7.3 / 5.0" */
static bool
parse_spam_line(const char *v, size_t len, struct spamd_result *out)
{
	const char *semi = memchr(v, ';', len), *slash, *end = v + len;
	const char *s, *e;

	if (semi == NULL)
		return false;
	out->spam = (size_t)(semi - v) >= 4 && strncasecmp(v, "True", 4) == 0;
	slash = memchr(semi, '/', (size_t)(end - semi));
	if (slash == NULL)
		return false;
	for (s = semi + 1; s < slash && *s == ' '; s++)
		;
	for (e = slash; e > s && e[-1] == ' '; e--)
		;
	if (!parse_num(s, (size_t)(e - s), &out->score))
		return false;
	for (s = slash + 1; s < end && *s == ' '; s++)
		;
	for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\r'); e--)
		;
	return parse_num(s, (size_t)(e - s), &out->threshold);
}

enum spamd_status
spamd_reply_parse(const char *buf, size_t len, struct spamd_result *out)
{
	size_t i = 0;
	bool have_spam = false, first = true;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i);
		size_t ll;

		if (nl == NULL)
			return SPAMD_PROTOCOL;
		ll = (size_t)(nl - line);
		i += ll + 1;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (first) {
			/* "SPAMD/1.1 0 EX_OK" */
			if (ll < 11 || memcmp(line, "SPAMD/", 6) != 0)
				return SPAMD_PROTOCOL;
			const char *sp = memchr(line, ' ', ll);
			if (sp == NULL || (size_t)(sp - line) + 2 > ll || sp[1] != '0' || (sp[2] != ' ' && sp + 2 != line + ll))
				return SPAMD_PROTOCOL;
			first = false;
			continue;
		}
		if (ll == 0)
			break;
		if (ll > 5 && strncasecmp(line, "Spam:", 5) == 0) {
			size_t k = 5;
			while (k < ll && line[k] == ' ')
				k++;
			if (!parse_spam_line(line + k, ll - k, out))
				return SPAMD_PROTOCOL;
			have_spam = true;
		}
	}
	if (!have_spam)
		return SPAMD_PROTOCOL;
	/* the body: the rule names, comma-separated; keep printable ASCII */
	{
		size_t n = 0;
		for (; i < len && n + 1 < sizeof(out->symbols); i++) {
			unsigned char ch = (unsigned char)buf[i];
			if (ch == '\r' || ch == '\n')
				continue;
			out->symbols[n++] = (ch >= 0x20 && ch < 0x7f && ch != '"') ? (char)ch : '?';
		}
		out->symbols[n] = '\0';
	}
	return SPAMD_OK;
}

enum spamd_status
spamd_finish(struct spamd_job *j, struct spamd_result *out)
{
	char buf[SPAMD_REPLY_MAX];
	size_t len = 0;
	enum spamd_status st;

	memset(out, 0, sizeof(*out));
	if (j->status == SPAMD_OK && shutdown(j->fd, SHUT_WR) != 0)
		job_fail(j, SPAMD_DOWN, "shutdown", errno);
	while (j->status == SPAMD_OK) {
		ssize_t n;

		if (len == sizeof(buf)) {
			job_fail(j, SPAMD_PROTOCOL, "reply too long", 0);
			break;
		}
		n = recv(j->fd, buf + len, sizeof(buf) - len, 0);
		if (n > 0) {
			len += (size_t)n;
		} else if (n == 0) {
			break;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			wait_fd(j, POLLIN);
		} else if (errno != EINTR) {
			job_fail(j, SPAMD_DOWN, "recv", errno);
		}
	}
	if (j->status != SPAMD_OK) {
		snprintf(out->why, sizeof(out->why), "%s", j->why);
		return j->status;
	}
	st = spamd_reply_parse(buf, len, out);
	if (st != SPAMD_OK)
		snprintf(out->why, sizeof(out->why), "unexpected reply");
	return st;
}

void
spamd_free(struct spamd_job *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

const char *
spamd_status_name(enum spamd_status st)
{
	static const char *const names[] = { "ok", "down", "timeout", "protocol", "too_big" };

	return (unsigned)st < NELEM(names) ? names[st] : "?";
}
