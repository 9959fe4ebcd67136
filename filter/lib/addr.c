/*
 * addr.c - the one address module: the author domain of a From header
 * field body (every check that needs it reads the pipeline's one parse,
 * struct author), and the domain of an envelope address.
 * A single left-to-right pass removes comments, keeps quoted strings
 * opaque, splits mailboxes at top-level commas and finds the angle-addr;
 * then the domain after the last unquoted '@' is validated.  Pure; fuzzed
 * by tests/fuzz/fuzz_addr.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "postern/addr.h"

#define ADDR_MAX 998   /* longest field line RFC 5322 allows */

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Copy buf without comments into spec (quoted strings kept with their
 * quotes); the part inside the first top-level <...> wins when present.
 */
static enum from_status
strip(const char *buf, size_t len, char *spec, size_t *slen)
{
	char all[ADDR_MAX + 1], angle[ADDR_MAX + 1];
	size_t na = 0, ng = 0;
	int depth = 0;
	bool quoted = false, in_angle = false, had_angle = false, seen = false;
	bool at_outside = false;   /* '@', '[' or ']' outside quotes and <> */

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\\' && (quoted || depth > 0)) {
			if (++i >= len)
				return FROM_BAD;
			if (depth > 0)
				continue;
			if (na + 2 > ADDR_MAX || ng + 2 > ADDR_MAX)
				return FROM_BAD;
			all[na++] = c;
			all[na++] = buf[i];
			if (in_angle) {
				angle[ng++] = c;
				angle[ng++] = buf[i];
			}
			continue;
		}
		if (depth > 0) {
			depth += c == '(' ? 1 : c == ')' ? -1 : 0;
			continue;
		}
		if (!quoted && c == '(') {
			/* a comment is CFWS: it separates like a space, so a
			 * comment inside an addr-spec makes it unusable */
			depth = 1;
			c = ' ';
			if (na >= ADDR_MAX)
				return FROM_BAD;
			all[na++] = c;
			if (in_angle)
				angle[ng++] = c;
			continue;
		}
		if (!quoted && had_angle && !in_angle && !is_wsp(c) && c != ',')
			return FROM_BAD;           /* text after the angle-addr */
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == ',' )
			return seen ? FROM_MULTIPLE : FROM_BAD;
		else if (!quoted && (c == ':' || c == ';') && !in_angle)
			return FROM_MULTIPLE;      /* group syntax */
		else if (!quoted && c == '<') {
			if (had_angle || in_angle || at_outside)
				return FROM_BAD;
			in_angle = had_angle = true;
			continue;
		} else if (!quoted && c == '>') {
			if (!in_angle)
				return FROM_BAD;
			in_angle = false;
			seen = true;
			continue;
		}
		if (!quoted && !in_angle && (c == '@' || c == '[' || c == ']'))
			at_outside = true;  /* an address-like display name is no phrase */
		if (!is_wsp(c))
			seen = true;
		if (na >= ADDR_MAX)
			return FROM_BAD;
		all[na++] = c;
		if (in_angle)
			angle[ng++] = c;
	}
	if (depth != 0 || quoted || in_angle)
		return FROM_BAD;
	if (had_angle) {
		if (at_outside)
			return FROM_BAD;   /* "a@b.example <c@d.example>": which one? */
		memcpy(spec, angle, ng);
		*slen = ng;
	} else {
		memcpy(spec, all, na);
		*slen = na;
	}
	return FROM_OK;
}

static bool
valid_domain(const char *d, size_t n)
{
	if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80))
			return false;
		if (c == '.' && i + 1 < n && d[i + 1] == '.')
			return false;
	}
	return true;
}

/*
 * The one From parse: the domain into dom (dsize bytes) and, when addr is
 * not NULL, the lower-cased addr-spec "local@domain" into addr (asize
 * bytes; "" when the local part is not one plain token: unquoted blanks,
 * over 64 bytes, or no room).
 */
static enum from_status
parse_author(const char *buf, size_t len, char *dom, size_t dsize, char *addr, size_t asize)
{
	char spec[ADDR_MAX + 1];
	size_t n = 0, at = (size_t)-1, start, end, lstart, lend;
	bool quoted = false;
	enum from_status st;

	if ((st = strip(buf, len, spec, &n)) != FROM_OK)
		return st;
	for (start = 0; start < n && is_wsp(spec[start]); start++)
		;
	for (end = n; end > start && is_wsp(spec[end - 1]); end--)
		;
	if (start == end)
		return FROM_EMPTY;
	for (size_t i = start; i < end; i++) {
		if (spec[i] == '\\' && quoted) {
			i++;
			continue;
		}
		if (spec[i] == '"')
			quoted = !quoted;
		else if (spec[i] == '@' && !quoted)
			at = i;
		else if (is_wsp(spec[i]) && !quoted)
			return FROM_BAD;   /* "a@ b.example", "a@(c)b.example", "a b@c" */
	}
	if (at == (size_t)-1 || at == start)
		return FROM_BAD;
	lstart = start;
	lend = at;
	while (lend > lstart && is_wsp(spec[lend - 1]))
		lend--;
	start = at + 1;
	while (end > start && spec[end - 1] == '.')
		end--;
	if (!valid_domain(spec + start, end - start) || end - start >= dsize)
		return FROM_BAD;
	for (size_t i = start; i < end; i++)
		dom[i - start] = (char)tolower((unsigned char)spec[i]);
	dom[end - start] = '\0';
	if (addr == NULL)
		return FROM_OK;
	addr[0] = '\0';
	if (lend - lstart > 64 || (lend - lstart) + 1 + (end - start) >= asize)
		return FROM_OK;
	for (size_t i = lstart; i < lend; i++)
		if (is_wsp(spec[i]) || (unsigned char)spec[i] < 0x21 || (unsigned char)spec[i] > 0x7e)
			return FROM_OK;
	n = 0;
	for (size_t i = lstart; i < lend; i++)
		addr[n++] = (char)tolower((unsigned char)spec[i]);
	addr[n++] = '@';
	memcpy(addr + n, dom, end - start + 1);
	return FROM_OK;
}

enum from_status
from_header_domain(const char *buf, size_t len, char *out, size_t size)
{
	return parse_author(buf, len, out, size, NULL, 0);
}

enum from_status
from_header_author(const char *buf, size_t len, char *dom, size_t dsize, char *addr, size_t asize)
{
	return parse_author(buf, len, dom, dsize, addr, asize);
}

const char *
from_status_name(enum from_status st)
{
	switch (st) {
	case FROM_OK: return "ok";
	case FROM_EMPTY: return "empty";
	case FROM_MULTIPLE: return "multiple";
	case FROM_BAD: return "malformed";
	}
	return "?";
}

bool
address_domain(const char *addr, char *buf, size_t size)
{
	const char *at = strrchr(addr, '@');
	size_t len;

	if (at == NULL || at[1] == '\0')
		return false;
	at++;
	len = strcspn(at, ">");
	while (len > 0 && at[len - 1] == '.')
		len--;
	if (len == 0 || len >= size)
		return false;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)at[i]);
	buf[len] = '\0';
	return true;
}
