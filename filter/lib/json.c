/*
 * json.c - see json.h.  Called by pipeline.c's summary line.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "postern/json.h"

static void
sep(strbuf *out)
{
	if (out->len > 0 && out->s[out->len - 1] != '{')
		sb_putc(out, ',');
}

static void
json_string(strbuf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	sb_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\') {
			sb_putc(out, '\\');
			sb_putc(out, (char)c);
		} else if (c >= 0x20 && c < 0x7f) {
			sb_putc(out, (char)c);
		} else {
			/* a byte, as the code point of the same value: valid JSON */
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			sb_append(out, e, 6);
		}
	}
	sb_putc(out, '"');
}

void
json_member_str(strbuf *out, const char *key, const char *value, size_t n)
{
	sep(out);
	json_string(out, key, strlen(key));
	sb_putc(out, ':');
	json_string(out, value != NULL ? value : "", value != NULL ? n : 0);
}

void
json_member_net(strbuf *out, const char *key, const char *value, size_t n, size_t max)
{
	size_t lim = n < max ? n : max;

	sep(out);
	json_string(out, key, strlen(key));
	sb_putc(out, ':');
	if (lim == n) {
		json_string(out, value, n);
	} else {
		json_string(out, value, lim);
		out->len--;   /* reopen the string for the marker */
		sb_puts(out, "...\"");
	}
}

void
json_member_uint(strbuf *out, const char *key, unsigned long long v)
{
	sep(out);
	json_string(out, key, strlen(key));
	sb_printf(out, ":%llu", v);
}

static bool
is_number(const char *p, size_t n)
{
	if (n == 0 || n > 15 || (p[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

void
json_members_from_tokens(strbuf *out, const char *text, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start, eq = 0, end;
		bool quoted = false, has_eq = false;

		while (i < n && text[i] == ' ')
			i++;
		if (i >= n)
			break;
		start = i;
		for (; i < n && (quoted || text[i] != ' '); i++) {
			if (text[i] == '"')
				quoted = !quoted;
			else if (text[i] == '=' && !has_eq && !quoted) {
				has_eq = true;
				eq = i;
			}
		}
		end = i;
		if (!has_eq || eq == start) {
			sep(out);
			json_string(out, text + start, end - start);
			sb_puts(out, ":true");
			continue;
		}
		sep(out);
		json_string(out, text + start, eq - start);
		sb_putc(out, ':');
		{
			const char *v = text + eq + 1;
			size_t vn = end - eq - 1;

			if (is_number(v, vn))
				sb_append(out, v, vn);
			else if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"' &&
			    memchr(v + 1, '"', vn - 2) == NULL)
				json_string(out, v + 1, vn - 2);
			else
				json_string(out, v, vn);
		}
	}
}
