/*
 * authres.c - reading the trace fields postern writes, to find forgeries
 * of ours: the authserv-id at the start of an Authentication-Results body
 * (RFC 8601) and whether it claims ours; whether a Received-SPF field
 * (RFC 7208 9.1) names our receiver or none at all.  Pure;
 * fuzzed by tests/fuzz/fuzz_authres.c.  The check that removes forgeries
 * and writes postern's own field is filter/checks/check_authres.c.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "postern/authres.h"
#include "postern/util.h"

static char
ascii_tolower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 tspecials plus CTLs and space end a token. */
static bool
is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

enum ar_status
authres_parse_id(const char *buf, size_t len, const char **id, size_t *idlen)
{
	size_t i = 0;

	for (;;) {
		while (i < len && is_wsp(buf[i]))
			i++;
		if (i < len && buf[i] == '(') {
			int depth = 0;
			for (; i < len; i++) {
				if (buf[i] == '\\') {
					i++;
					continue;
				}
				if (buf[i] == '(')
					depth++;
				else if (buf[i] == ')' && --depth == 0)
					break;
			}
			if (i >= len)
				return AR_BAD_COMMENT;
			i++;
			continue;
		}
		break;
	}
	if (i >= len)
		return AR_EMPTY;
	if (buf[i] == '"') {
		size_t start = ++i;
		for (; i < len && buf[i] != '"'; i++) {
			if (buf[i] == '\\')
				i++;
		}
		if (i >= len)
			return AR_BAD_QUOTE;
		*id = buf + start;
		*idlen = i - start;
		return *idlen ? AR_OK : AR_EMPTY;
	}
	size_t start = i;
	/* '.', '-' and '_' are fine; '@' and '/' are not tspecials in a
	 * domain-ish authserv-id written by real MTAs, accept them too. */
	while (i < len && (is_token_char((unsigned char)buf[i]) || buf[i] == '@' || buf[i] == '/'))
		i++;
	if (i == start)
		return AR_BAD_CHAR;
	*id = buf + start;
	*idlen = i - start;
	return AR_OK;
}

/* Does the (possibly quoted, quoted-pairs not undone) value equal ours,
 * case-insensitively, once "\x" is read as "x" (RFC 5322 3.2.1)? */
bool
authres_value_eq(const char *v, size_t len, bool quoted, const char *ours)
{
	size_t k = 0, n = strlen(ours);

	for (size_t i = 0; i < len; i++, k++) {
		char c = v[i];

		if (quoted && c == '\\' && i + 1 < len)
			c = v[++i];
		if (k >= n || ascii_tolower(c) != ascii_tolower(ours[k]))
			return false;
	}
	return k == n;
}

int
authres_claims(const char *buf, size_t len, const char *ours)
{
	const char *id;
	size_t idlen;

	if (authres_parse_id(buf, len, &id, &idlen) != AR_OK)
		return 0;
	return authres_value_eq(id, idlen, id > buf && id[-1] == '"', ours);
}

/*
 * A Received-SPF claims ours when any receiver= in it (as a key or inside
 * a comment: a reader may take either) names ours, or when it has no
 * receiver= at all (nothing tells it from ours).
 */
int
received_spf_claims(const char *buf, size_t len, const char *ours)
{
	static const char key[] = "receiver=";
	const size_t kl = sizeof(key) - 1;
	bool any = false;

	for (size_t i = 0; i + kl <= len; i++) {
		size_t k = 0, start, end;
		bool quoted = false;

		while (k < kl && ascii_tolower(buf[i + k]) == key[k])
			k++;
		if (k < kl)
			continue;
		any = true;
		start = i + kl;
		while (start < len && is_wsp(buf[start]))
			start++;
		if (start < len && buf[start] == '"') {
			quoted = true;
			for (end = ++start; end < len && buf[end] != '"'; end++)
				if (buf[end] == '\\')
					end++;
			if (end > len)
				end = len;
		} else {
			for (end = start; end < len && !is_wsp(buf[end]) &&
			    strchr(";()", buf[end]) == NULL; end++)
				;
		}
		if (authres_value_eq(buf + start, end - start, quoted, ours))
			return 1;
	}
	return !any;
}
