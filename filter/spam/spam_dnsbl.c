/*
 * spam_dnsbl.c - DNS blocklist query names (RFC 5782 section 2.1 for
 * IPv4, 2.4 for IPv6; domain lists as in section 3) and what an answer
 * means under a list's codes and mask.  The queries themselves go
 * through dns.c (check_spam.c starts them at connect).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "postern/spam.h"

bool
spam_dnsbl_name(int family, const uint8_t ip[16], const char *zone, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	strbuf sb;
	bool ok;

	sb_init(&sb);
	if (family == AF_INET) {
		sb_printf(&sb, "%u.%u.%u.%u.", ip[3], ip[2], ip[1], ip[0]);
	} else if (family == AF_INET6) {
		for (int i = 15; i >= 0; i--) {
			sb_putc(&sb, hex[ip[i] & 0xf]);
			sb_putc(&sb, '.');
			sb_putc(&sb, hex[ip[i] >> 4]);
			sb_putc(&sb, '.');
		}
	} else {
		sb_free(&sb);
		return false;
	}
	sb_puts(&sb, zone);
	ok = sb.len <= 253 && strlcpy_ok(out, sb.s, cap);
	sb_free(&sb);
	return ok;
}

bool
spam_uribl_name(const char *domain, const char *zone, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s.%s", domain, zone);

	return n > 0 && (size_t)n < cap && n <= 253;
}

enum spam_listed
spam_list_match(const struct spam_list *l, const unsigned char *rdata, int rdlen)
{
	uint32_t a;

	if (rdlen != 4)
		return SPAM_LIST_ERROR;
	a = (uint32_t)rdata[0] << 24 | (uint32_t)rdata[1] << 16 | (uint32_t)rdata[2] << 8 | rdata[3];
	if ((a >> 24) != 127 || (a >> 8) == 0x7fffffu)
		return SPAM_LIST_ERROR;
	if (l->ncodes > 0) {
		bool found = false;
		for (size_t i = 0; i < l->ncodes; i++)
			found = found || l->codes[i] == a;
		if (!found)
			return SPAM_NOT_LISTED;
	}
	if (l->mask != 0 && (a & l->mask) == 0)
		return SPAM_NOT_LISTED;
	return SPAM_LISTED;
}
