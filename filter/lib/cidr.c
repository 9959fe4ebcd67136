/*
 * cidr.c - parse and match IPv4/IPv6 prefixes.  Used by config (lists) and
 * session (direction).  Pure functions; no state.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "postern/cidr.h"
#include "postern/util.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

enum cidr_status
cidr_parse(const char *buf, size_t len, struct cidr *out)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen;
	unsigned maxp, prefix;

	memset(out, 0, sizeof(*out));
	slash = memchr(buf, '/', len);
	alen = slash != NULL ? (size_t)(slash - buf) : len;
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return CIDR_BAD_ADDR;
	memcpy(tmp, buf, alen);
	tmp[alen] = '\0';
	if (inet_pton(AF_INET, tmp, out->addr) == 1) {
		out->family = AF_INET;
		maxp = 32;
	} else if (inet_pton(AF_INET6, tmp, out->addr) == 1) {
		out->family = AF_INET6;
		maxp = 128;
	} else {
		return CIDR_BAD_ADDR;
	}
	prefix = maxp;
	if (slash != NULL) {
		const char *p = slash + 1, *end = buf + len;

		if (p == end || end - p > 3)
			return CIDR_BAD_PREFIX;
		prefix = 0;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return CIDR_BAD_PREFIX;
			prefix = prefix * 10 + (unsigned)(*p - '0');
		}
		if (prefix > maxp)
			return CIDR_BAD_PREFIX;
	}
	out->prefix = prefix;
	for (unsigned bit = prefix; bit < maxp; bit++) {
		if (out->addr[bit / 8] & (0x80 >> (bit % 8)))
			return CIDR_HOST_BITS;
	}
	return CIDR_OK;
}

const char *
cidr_strerror(enum cidr_status st)
{
	switch (st) {
	case CIDR_OK: return "ok";
	case CIDR_BAD_ADDR: return "not an IPv4 or IPv6 address";
	case CIDR_BAD_PREFIX: return "bad prefix length";
	case CIDR_HOST_BITS: return "address has bits set beyond the prefix";
	}
	return "?";
}

void
cidr_list_add(struct cidr_list *l, const struct cidr *c)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = *c;
}

void
cidr_list_free(struct cidr_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool
cidr_list_match(const struct cidr_list *l, int family, const uint8_t *addr)
{
	const uint8_t *a4 = NULL;

	if (family == AF_INET)
		a4 = addr;
	else if (family == AF_INET6 && memcmp(addr, v4mapped, 12) == 0)
		a4 = addr + 12;
	for (size_t i = 0; i < l->n; i++) {
		const struct cidr *c = &l->v[i];

		if (c->family == AF_INET && a4 != NULL) {
			if (prefix_eq(c->addr, a4, c->prefix))
				return true;
		} else if (c->family == AF_INET6 && family == AF_INET6) {
			if (prefix_eq(c->addr, addr, c->prefix))
				return true;
		}
	}
	return false;
}

bool
cidr_list_match_str(const struct cidr_list *l, const char *addr)
{
	uint8_t bin[16];

	if (inet_pton(AF_INET, addr, bin) == 1)
		return cidr_list_match(l, AF_INET, bin);
	if (inet_pton(AF_INET6, addr, bin) == 1)
		return cidr_list_match(l, AF_INET6, bin);
	return false;
}

void
inet_ntop_cidr(const struct cidr *c, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, a, sizeof(a)) == NULL)
		strlcpy_ok(a, "?", sizeof(a));
	snprintf(buf, size, "%s/%u", a, c->prefix);
}
