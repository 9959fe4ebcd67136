/*
 * spam_uri.c - host names of http(s) links in decoded text, found as the
 * text streams (any chunking, nothing buffered beyond one host name), and
 * their registered domains (libpsl, loaded once).  Called by
 * check_spam.c over the MIME scanner's decoded text parts.
 */
#include "config.h"

#include <ctype.h>
#include <libpsl.h>
#include <pthread.h>
#include <string.h>

#include "postern/spam.h"

static bool
host_char(unsigned char ch)
{
	return isalnum(ch) || ch == '.' || ch == '-' || ch == '_';
}

static void
emit(struct spam_uri_scan *u, spam_uri_cb cb, void *ctx)
{
	while (u->hlen > 0 && u->host[u->hlen - 1] == '.')
		u->hlen--;
	if (!u->overflow && u->hlen > 0 && memchr(u->host, '.', u->hlen) != NULL) {
		u->host[u->hlen] = '\0';
		/* inside another tag (an <img src> within an anchor) is not what
		 * the reader sees */
		cb(ctx, u->host, u->hlen, !u->html ? SPAM_URI_TEXT : u->in_a_tag ? SPAM_URI_HREF :
		    u->in_anchor && u->tag == 0 ? SPAM_URI_ANCHOR : SPAM_URI_TEXT);
	}
	u->in_host = false;
	u->hlen = u->hend = 0;
	u->overflow = false;
}

/* Inside a tag: styles that hide text, blanks ignored. */
static void
css_char(struct spam_uri_scan *u, unsigned char ch)
{
	static const char *const pats[] = { "display:none", "visibility:hidden", "font-size:0;",
		"font-size:0\"", "font-size:0'", "font-size:0px" };
	size_t n = sizeof(u->css) - 1;

	if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
		return;
	memmove(u->css, u->css + 1, n - 1);
	u->css[n - 1] = (char)tolower(ch);
	u->css[n] = '\0';
	for (size_t i = 0; i < NELEM(pats); i++) {
		size_t pl = strlen(pats[i]);
		if (memcmp(u->css + n - pl, pats[i], pl) == 0)
			u->hidden = true;
	}
}

/* HTML: just enough of the tag structure to tell <a ...> and </a>. */
static void
html_char(struct spam_uri_scan *u, unsigned char ch)
{
	if (u->tag != 0)
		css_char(u, ch);
	switch (u->tag) {
	case 0:
		if (ch == '<') {
			u->tag = 1;
			u->tnlen = 0;
		}
		return;
	case 1:
		if ((isalpha(ch) || (ch == '/' && u->tnlen == 0)) && u->tnlen < sizeof(u->tname)) {
			u->tname[u->tnlen++] = (char)tolower(ch);
			return;
		}
		if (u->tnlen == 1 && u->tname[0] == 'a' && (ch == ' ' || ch == '\t' || ch == '\r' ||
		    ch == '\n' || ch == '>'))
			u->in_a_tag = true;
		else if (u->tnlen == 2 && u->tname[0] == '/' && u->tname[1] == 'a')
			u->in_anchor = false;
		u->tag = 2;
		/* FALLTHROUGH */
	default:
		if (ch == '>') {
			u->tag = 0;
			if (u->in_a_tag) {
				u->in_a_tag = false;
				u->in_anchor = true;
			}
		}
		return;
	}
}

void
spam_uri_feed(struct spam_uri_scan *u, const unsigned char *buf, size_t len, spam_uri_cb cb, void *ctx)
{
	static const char http[] = "http://", https[] = "https://";

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = buf[i];

		if (u->in_host) {
			if (host_char(ch)) {
				if (u->hlen < SPAM_URI_HOST_MAX)
					u->host[u->hlen++] = (char)tolower(ch);
				else
					u->overflow = true;
				continue;
			}
			if (ch == ':' && u->hend == 0) {   /* a port, or user:password@ */
				u->hend = u->hlen + 1;
				continue;
			}
			if (ch == '@') {      /* that was user info */
				u->hlen = u->hend = 0;
				u->overflow = false;
				continue;
			}
			if (u->hend > 0)
				u->hlen = u->hend - 1;
			emit(u, cb, ctx);
		}
		if (u->html)
			html_char(u, ch);
		/* the last 8 bytes, lower case, for the scheme */
		memmove(u->tail, u->tail + 1, sizeof(u->tail) - 1);
		u->tail[sizeof(u->tail) - 1] = (char)tolower(ch);
		if (memcmp(u->tail + 1, http, 7) == 0 || memcmp(u->tail, https, 8) == 0) {
			u->in_host = true;
			u->hlen = u->hend = 0;
			u->overflow = false;
		}
	}
}

void
spam_uri_finish(struct spam_uri_scan *u, spam_uri_cb cb, void *ctx)
{
	if (u->in_host) {
		if (u->hend > 0)
			u->hlen = u->hend - 1;
		emit(u, cb, ctx);
	}
	memset(u, 0, sizeof(*u));
}

static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void
psl_load(void)
{
	psl = psl_latest(NULL);
	if (psl == NULL)
		psl = psl_builtin();
}

bool
spam_registered_domain(const char *host, char *out, size_t cap)
{
	const char *rd;

	pthread_once(&psl_once, psl_load);
	if (psl == NULL)
		return false;
	rd = psl_registrable_domain(psl, host);
	return rd != NULL && strlcpy_ok(out, rd, cap);
}
