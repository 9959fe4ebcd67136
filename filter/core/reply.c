/*
 * reply.c - sanitising SMTP reply text and checking reply codes.
 * Used by verdict_set(); pure functions.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "postern/reply.h"

size_t
reply_sanitise(char *dst, size_t dstsize, const char *src, size_t len)
{
	size_t o = 0;
	bool cut = false;

	if (dstsize == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = c == '%' ? 2 : 1;

		if (o + need + 4 > dstsize) { /* room for "..." and NUL */
			cut = true;
			break;
		}
		if (c == '%') {
			dst[o++] = '%';
			dst[o++] = '%';
		} else if (c >= 0x20 && c < 0x7f) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '?';
		}
	}
	if (cut) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return o;
}

bool
reply_code_valid(unsigned code, const char *xcode)
{
	unsigned cls = code / 100;
	const char *p = xcode;
	int parts = 0;

	if (code < 400 || code > 599)
		return false;
	if (xcode == NULL || (unsigned)(xcode[0] - '0') != cls || xcode[1] != '.')
		return false;
	p += 2;
	for (parts = 0; parts < 2; parts++) {
		size_t n = 0;

		while (isdigit((unsigned char)p[n]))
			n++;
		if (n == 0 || n > 3)
			return false;
		p += n;
		if (parts == 0) {
			if (*p != '.')
				return false;
			p++;
		}
	}
	return *p == '\0';
}
