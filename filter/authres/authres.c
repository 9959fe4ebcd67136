/*
 * authres.c - reading Authentication-Results (RFC 8601): the authserv-id
 * at the start of a field body, and whether a field claims ours.  Pure;
 * fuzzed by tests/fuzz/fuzz_authres.c.  The check that removes forgeries
 * and writes postern's own field is filter/checks/check_authres.c.
 */
#include "config.h"

#include <string.h>

#include "postern/authres.h"
#include "postern/util.h"

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

int
authres_claims(const char *buf, size_t len, const char *ours)
{
	const char *id;
	size_t idlen;

	if (authres_parse_id(buf, len, &id, &idlen) != AR_OK)
		return 0;
	return mem_caseeq(id, idlen, ours);
}
