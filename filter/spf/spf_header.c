/*
 * spf_header.c - the Received-SPF field (RFC 7208 9.1) written by us:
 * libspf2's own lacks receiver=/identity= and copies HELO unescaped.
 * Every value is a dot-atom or a quoted-string; network text is cut and
 * stripped of CR, LF, controls and 8-bit bytes, so a hostile HELO or
 * sender cannot add fields or break the header.  Called by spf.c.
 */
#include "config.h"

#include <string.h>

#include "postern/spf.h"

#define VALUE_MAX 256     /* longest value we copy from the network */
#define COMMENT_MAX 200

static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool
is_dot_atom(const char *v, size_t n)
{
	if (n == 0 || v[0] == '.' || v[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '.') {
			if (v[i - 1] == '.')
				return false;
		} else if (!is_atext(c)) {
			return false;
		}
	}
	return true;
}

void
spf_quote_value(strbuf *out, const char *value, size_t max)
{
	size_t n = value != NULL ? strlen(value) : 0;

	if (n > max)
		n = max;
	if (is_dot_atom(value, n)) {
		sb_append(out, value, n);
		return;
	}
	sb_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == '"' || c == '\\') {
			sb_putc(out, '\\');
			sb_putc(out, (char)c);
		} else {
			sb_putc(out, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
		}
	}
	sb_putc(out, '"');
}

/* A comment: printable ASCII, no parentheses or backslashes. */
static void
put_comment(strbuf *out, const char *s)
{
	size_t n = strlen(s);

	if (n > COMMENT_MAX)
		n = COMMENT_MAX;
	sb_puts(out, " (");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		sb_putc(out, (c >= 0x20 && c < 0x7f && c != '(' && c != ')' && c != '\\') ? (char)c : '?');
	}
	sb_putc(out, ')');
}

static void
pair(strbuf *out, const char *key, const char *value)
{
	sb_printf(out, "\n\t%s=", key);
	spf_quote_value(out, value, VALUE_MAX);
	sb_putc(out, ';');
}

void
spf_received_spf(strbuf *out, const struct spf_header_info *h)
{
	sb_puts(out, spf_res_name(h->result));
	if (h->comment != NULL && *h->comment != '\0')
		put_comment(out, h->comment);
	pair(out, "client-ip", h->client_ip != NULL ? h->client_ip : "");
	pair(out, "envelope-from", h->envelope_from != NULL ? h->envelope_from : "");
	if (h->helo != NULL && *h->helo != '\0')
		pair(out, "helo", h->helo);
	pair(out, "identity", h->identity);
	pair(out, "receiver", h->receiver != NULL ? h->receiver : "unknown");
	/* no trailing ';' after the last pair */
	out->len--;
	out->s[out->len] = '\0';
}
