/*
 * report_smtp.c - hand one report e-mail to an SMTP server (postern-report
 * --smtp HOST[:PORT], dmarc_report.smtp) instead of sendmail -t: EHLO (HELO
 * if refused), STARTTLS when offered (dmarc_report.smtp_tls may; encrypt
 * insists; certificates are not verified, as an MTA's opportunistic TLS),
 * MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT.  Every read and write
 * has the timeout dmarc_report.smtp_timeout; a reply line is at most
 * SMTP_LINE_MAX bytes and a reply SMTP_REPLY_LINES lines.  A 4xx or 5xx
 * reply is a failure whose text (escaped, cut) goes into err.  Called by
 * report_mail.c for each destination.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

#define SMTP_LINE_MAX 2048    /* RFC 5321 4.5.3.1.5: 512; servers write more */
#define SMTP_REPLY_LINES 100

struct smtp {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int timeout_ms;
	char buf[4096];
	size_t have, at;
	char *err;
	size_t errlen;
	const char *where;       /* the step, for messages */
};

/* err := "STEP: what detail"; always false. */
static bool
fail(struct smtp *s, const char *what, const char *detail)
{
	snprintf(s->err, s->errlen, "%s: %s%s", s->where, what, detail != NULL ? detail : "");
	return false;
}

/* Wait until fd is readable (in) or writable; false on timeout. */
static bool
await(struct smtp *s, bool in)
{
	struct pollfd p = { .fd = s->fd, .events = in ? POLLIN : POLLOUT };
	int r;

	while ((r = poll(&p, 1, s->timeout_ms)) < 0 && errno == EINTR)
		;
	return r > 0;
}

/* One SSL call that may want to read or write: wait for that and retry. */
static int
ssl_retry(struct smtp *s, int r)
{
	int e = SSL_get_error(s->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return await(s, true) ? 1 : -1;
	if (e == SSL_ERROR_WANT_WRITE)
		return await(s, false) ? 1 : -1;
	return 0;
}

static bool
put(struct smtp *s, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w;

		if (s->ssl != NULL) {
			int r = SSL_write(s->ssl, p, n > 65536 ? 65536 : (int)n), again;

			if (r > 0) {
				w = r;
			} else if ((again = ssl_retry(s, r)) > 0) {
				continue;
			} else {
				return fail(s, again < 0 ? "timeout writing" : "TLS write failed", NULL);
			}
		} else {
			if (!await(s, false))
				return fail(s, "timeout writing", NULL);
			w = send(s->fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (w <= 0)
				return fail(s, "write: ", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Fill the buffer; false on timeout, error or end of stream. */
static bool
fill(struct smtp *s)
{
	ssize_t r;

	if (s->at > 0) {
		memmove(s->buf, s->buf + s->at, s->have - s->at);
		s->have -= s->at;
		s->at = 0;
	}
	for (;;) {
		if (s->ssl != NULL) {
			int n = SSL_read(s->ssl, s->buf + s->have, (int)(sizeof(s->buf) - s->have)), again;

			if (n > 0) {
				s->have += (size_t)n;
				return true;
			}
			if ((again = ssl_retry(s, n)) > 0)
				continue;
			return fail(s, again < 0 ? "timeout waiting for the reply" :
			    "connection closed (TLS)", NULL);
		}
		if (!await(s, true))
			return fail(s, "timeout waiting for the reply", NULL);
		r = recv(s->fd, s->buf + s->have, sizeof(s->buf) - s->have, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == 0)
			return fail(s, "connection closed by the server", NULL);
		if (r < 0)
			return fail(s, "read: ", strerror(errno));
		s->have += (size_t)r;
		return true;
	}
}

/* One reply line (CRLF or LF cut off) into line; false on a problem. */
static bool
get_line(struct smtp *s, strbuf *line)
{
	sb_reset(line);
	for (;;) {
		char *nl = memchr(s->buf + s->at, '\n', s->have - s->at);
		size_t n = nl != NULL ? (size_t)(nl - (s->buf + s->at)) : s->have - s->at;

		if (line->len + n > SMTP_LINE_MAX)
			return fail(s, "reply line over 2048 bytes", NULL);
		sb_append(line, s->buf + s->at, n);
		if (nl != NULL) {
			s->at += n + 1;
			if (line->len > 0 && line->s[line->len - 1] == '\r')
				line->s[--line->len] = '\0';
			return true;
		}
		s->at = s->have;
		if (!fill(s))
			return false;
	}
}

/*
 * Read one (multi-line) reply: its code, and into text (if not NULL) the
 * lines after the code, LF-separated.  A reply whose lines do not all
 * start with the same three digits is a protocol error (code 0).
 */
static int
reply(struct smtp *s, strbuf *text)
{
	strbuf line;
	int code = 0;

	sb_init(&line);
	if (text != NULL)
		sb_reset(text);
	for (int n = 0; n < SMTP_REPLY_LINES; n++) {
		int c;

		if (!get_line(s, &line)) {
			code = 0;
			break;
		}
		if (line.len < 3 || line.s[0] < '2' || line.s[0] > '5' || line.s[1] < '0' ||
		    line.s[1] > '9' || line.s[2] < '0' || line.s[2] > '9' ||
		    (line.len > 3 && line.s[3] != ' ' && line.s[3] != '-')) {
			strbuf e;

			sb_init(&e);
			sb_escape(&e, line.s, line.len, 100);
			fail(s, "not an SMTP reply: ", e.s);
			sb_free(&e);
			code = 0;
			break;
		}
		c = (line.s[0] - '0') * 100 + (line.s[1] - '0') * 10 + (line.s[2] - '0');
		if (n > 0 && c != code) {
			fail(s, "reply lines with different codes", NULL);
			code = 0;
			break;
		}
		code = c;
		if (text != NULL) {
			if (text->len > 0)
				sb_putc(text, '\n');
			if (line.len > 4)
				sb_append(text, line.s + 4, line.len - 4);
		}
		if (line.len == 3 || line.s[3] == ' ')
			break;
		if (n == SMTP_REPLY_LINES - 1) {
			fail(s, "reply of more than 100 lines", NULL);
			code = 0;
		}
	}
	sb_free(&line);
	return code;
}

/* Whether code is one of the 3-digit codes in want ("250 251"). */
static bool
code_in(int code, const char *want)
{
	const char *w = want;
	char *end;

	while (*w != '\0') {
		long c = strtol(w, &end, 10);

		if (end == w)
			break;
		if (c == code)
			return true;
		for (w = end; *w == ' '; w++)
			;
	}
	return false;
}

/*
 * Send a command, read the reply; true if its code is one of want, the
 * replies RFC 5321 4.3.2 gives for success at that step (greeting and
 * STARTTLS 220, EHLO/HELO/MAIL/end of data 250, RCPT 250 or 251, DATA
 * 354): a server that says 250 to DATA is not taking the message, and the
 * message must not be sent to it as commands.
 */
static bool
command(struct smtp *s, const char *step, const char *cmd, const char *want, strbuf *text)
{
	strbuf t;
	int code;

	s->where = step;
	if (cmd != NULL && !(put(s, cmd, strlen(cmd)) && put(s, "\r\n", 2)))
		return false;
	sb_init(&t);
	code = reply(s, &t);
	if (code == 0) {
		sb_free(&t);
		return false;
	}
	if (code_in(code, want)) {
		if (text != NULL) {
			sb_reset(text);
			sb_append(text, t.s != NULL ? t.s : "", t.len);
		}
		sb_free(&t);
		return true;
	}
	{
		strbuf e;
		char num[8];

		sb_init(&e);
		snprintf(num, sizeof(num), "%d ", code);
		sb_puts(&e, num);
		for (size_t i = 0; i < t.len; i++)   /* one line of text */
			if (t.s[i] == '\n')
				t.s[i] = ' ';
		sb_escape(&e, t.s != NULL ? t.s : "", t.len, 200);
		fail(s, e.s, NULL);
		sb_free(&e);
	}
	sb_free(&t);
	return false;
}

/* HOST, HOST:PORT, [V6], [V6]:PORT; false if malformed. */
static bool
split_hostport(const char *hp, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *h = hp, *p = NULL;
	size_t hl;

	if (*hp == '[') {
		const char *e = strchr(hp, ']');

		if (e == NULL)
			return false;
		h = hp + 1;
		hl = (size_t)(e - h);
		if (e[1] == ':')
			p = e + 2;
		else if (e[1] != '\0')
			return false;
	} else {
		const char *c = strchr(hp, ':');

		if (c != NULL && strchr(c + 1, ':') != NULL)
			return false;   /* a bare IPv6 address needs [] */
		hl = c != NULL ? (size_t)(c - hp) : strlen(hp);
		p = c != NULL ? c + 1 : NULL;
	}
	if (hl == 0 || hl >= hcap || (p != NULL && (*p == '\0' || strlen(p) >= pcap)))
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, pcap, "%s", p != NULL ? p : "25");
	return strspn(port, "0123456789") == strlen(port);
}

static bool
dial(struct smtp *s, const char *hostport)
{
	char host[256], port[8];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int r;

	s->where = "connect";
	if (!split_hostport(hostport, host, sizeof(host), port, sizeof(port)))
		return fail(s, "not HOST[:PORT]: ", hostport);
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0)
		return fail(s, gai_strerror(r), NULL);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e = 0;
		socklen_t el = sizeof(e);

		if (fd < 0)
			continue;
		s->fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && await(s, false) &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0))
			break;
		fail(s, e != 0 ? strerror(e) : errno == EINPROGRESS ? "timeout" : strerror(errno), NULL);
		close(fd);
		s->fd = -1;
	}
	freeaddrinfo(res);
	return s->fd >= 0;
}

static bool
starttls(struct smtp *s)
{
	s->where = "STARTTLS";
	if ((s->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION) ||
	    (s->ssl = SSL_new(s->ctx)) == NULL || !SSL_set_fd(s->ssl, s->fd))
		return fail(s, "TLS set-up failed", NULL);
	SSL_set_verify(s->ssl, SSL_VERIFY_NONE, NULL);   /* opportunistic, as an MTA */
	for (;;) {
		int r = SSL_connect(s->ssl), again;

		if (r == 1)
			return true;
		if ((again = ssl_retry(s, r)) <= 0) {
			char e[160];

			ERR_error_string_n(ERR_get_error(), e, sizeof(e));
			return fail(s, again < 0 ? "timeout in the TLS handshake" : "TLS handshake: ", again < 0 ? NULL : e);
		}
	}
}

/* Does the EHLO text list the keyword (a line of its own, case-insensitive)? */
static bool
has_ext(const strbuf *ehlo, const char *kw)
{
	size_t kl = strlen(kw);

	for (const char *p = ehlo->s; p != NULL && *p != '\0';) {
		const char *e = strchr(p, '\n');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if (n >= kl && strncasecmp(p, kw, kl) == 0 && (n == kl || p[kl] == ' '))
			return true;
		p = e != NULL ? e + 1 : NULL;
	}
	return false;
}

static bool
greet(struct smtp *s, const char *helo, strbuf *ehlo)
{
	strbuf cmd;
	bool ok;

	sb_init(&cmd);
	sb_printf(&cmd, "EHLO %s", helo);
	ok = command(s, "EHLO", cmd.s, "250", ehlo);
	if (!ok && s->fd >= 0 && strstr(s->err, "EHLO: 5") == s->err) {
		sb_reset(&cmd);   /* an old server: HELO, no extensions */
		sb_printf(&cmd, "HELO %s", helo);
		sb_reset(ehlo);
		ok = command(s, "HELO", cmd.s, "250", NULL);
	}
	sb_free(&cmd);
	return ok;
}

void
rep_dot_stuff(const char *p, size_t n, strbuf *out)
{
	size_t run = 0;
	bool bol = true;

	for (size_t i = 0; i < n; i++) {
		if (bol && p[i] == '.') {
			sb_append(out, p + run, i - run);
			sb_putc(out, '.');
			run = i;
		}
		bol = p[i] == '\n';
	}
	sb_append(out, p + run, n - run);
	if (n > 0 && p[n - 1] != '\n')
		sb_append(out, "\r\n", 2);
}

static bool
send_data(struct smtp *s, const strbuf *msg)
{
	strbuf wire;
	bool ok;

	s->where = "DATA";
	sb_init(&wire);
	rep_dot_stuff(msg->s, msg->len, &wire);
	ok = put(s, wire.s != NULL ? wire.s : "", wire.len);
	sb_free(&wire);
	return ok && command(s, "end of DATA", ".", "250", NULL);
}

/* The session on a connected s->fd (closed by the caller). */
static bool
session(struct smtp *s, const struct rep_opts *o, const char *to, const strbuf *msg)
{
	strbuf ehlo, cmd;
	bool ok = false;

	sb_init(&ehlo);
	sb_init(&cmd);
	if (!command(s, "greeting", NULL, "220", NULL) || !greet(s, o->submitter, &ehlo))
		goto out;
	if (o->smtp_tls != REP_TLS_NONE && has_ext(&ehlo, "STARTTLS")) {
		if (!command(s, "STARTTLS", "STARTTLS", "220", NULL) || !starttls(s) ||
		    !greet(s, o->submitter, &ehlo))
			goto out;
	} else if (o->smtp_tls == REP_TLS_ENCRYPT) {
		s->where = "STARTTLS";
		fail(s, "not offered by the server (dmarc_report.smtp_tls = encrypt)", NULL);
		goto out;
	}
	sb_printf(&cmd, "MAIL FROM:<%s>", o->email);
	if (!command(s, "MAIL FROM", cmd.s, "250", NULL))
		goto out;
	sb_reset(&cmd);
	sb_printf(&cmd, "RCPT TO:<%s>", to);
	if (!command(s, "RCPT TO", cmd.s, "250 251", NULL) ||
	    !command(s, "DATA", "DATA", "354", NULL) || !send_data(s, msg))
		goto out;
	ok = true;
	(void)command(s, "QUIT", "QUIT", "221", NULL);   /* the mail is taken either way */
	if (s->ssl != NULL)
		SSL_shutdown(s->ssl);
out:
	sb_free(&ehlo);
	sb_free(&cmd);
	return ok;
}

static bool
checked_addresses(struct smtp *s, const struct rep_opts *o, const char *to)
{
	if (strpbrk(o->email, "\r\n<> ") != NULL || strpbrk(to, "\r\n<> ") != NULL)
		return fail(s, "unusable address", NULL);
	return true;
}

static void
smtp_close(struct smtp *s)
{
	SSL_free(s->ssl);
	SSL_CTX_free(s->ctx);
	if (s->fd >= 0)
		close(s->fd);
}

bool
rep_smtp_send(const struct rep_opts *o, const char *to, const strbuf *msg, char *err,
    size_t errlen)
{
	struct smtp s = { .fd = -1, .timeout_ms = (int)o->smtp_timeout * 1000, .err = err,
		.errlen = errlen, .where = "connect" };
	bool ok;

	err[0] = '\0';
	ok = checked_addresses(&s, o, to) && dial(&s, o->smtp) && session(&s, o, to, msg);
	smtp_close(&s);
	return ok;
}

bool
rep_smtp_over(int fd, const struct rep_opts *o, const char *to, const strbuf *msg, char *err,
    size_t errlen)
{
	struct smtp s = { .fd = fd, .timeout_ms = (int)o->smtp_timeout * 1000, .err = err,
		.errlen = errlen, .where = "greeting" };
	bool ok;

	err[0] = '\0';
	ok = checked_addresses(&s, o, to) && session(&s, o, to, msg);
	s.fd = -1;   /* the caller's */
	smtp_close(&s);
	return ok;
}
