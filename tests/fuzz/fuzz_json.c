/* fuzz_json.c - libFuzzer target for json_members_from_tokens and
 * json_member_str: whatever the bytes, the object written is valid JSON
 * (checked by a strict validator for what json.c may write: one object of
 * string keys with string, unsigned integer or true values). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postern/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
string(const char **p, const char *end)
{
	const char *s = *p;

	if (s >= end || *s++ != '"')
		return false;
	while (s < end && *s != '"') {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			return false;   /* json.c escapes everything outside ASCII */
		if (c == '\\') {
			s++;
			if (s >= end)
				return false;
			if (*s == 'u') {
				if (end - s < 5)
					return false;
				for (int i = 1; i <= 4; i++)
					if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
						return false;
				s += 4;
			} else if (*s != '"' && *s != '\\') {
				return false;
			}
		}
		s++;
	}
	if (s >= end)
		return false;
	*p = s + 1;
	return true;
}

static bool
valid(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	if (p >= end || *p++ != '{')
		return false;
	if (p < end && *p == '}')
		return p + 1 == end;
	for (;;) {
		if (!string(&p, end) || p >= end || *p++ != ':')
			return false;
		if (p < end && *p == '"') {
			if (!string(&p, end))
				return false;
		} else if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
			p += 4;
		} else {
			const char *d = p;

			while (p < end && *p >= '0' && *p <= '9')
				p++;
			if (p == d || (*d == '0' && p - d > 1))
				return false;
		}
		if (p >= end)
			return false;
		if (*p == '}')
			return p + 1 == end;
		if (*p++ != ',')
			return false;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strbuf sb;

	sb_init(&sb);
	sb_putc(&sb, '{');
	json_members_from_tokens(&sb, (const char *)data, size);
	json_member_str(&sb, "raw", (const char *)data, size);
	json_member_net(&sb, "cut", (const char *)data, size, 7);
	sb_putc(&sb, '}');
	if (!valid(sb.s, sb.len))
		__builtin_trap();
	sb_free(&sb);
	return 0;
}
