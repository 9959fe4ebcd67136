/*
 * cidr.h - IPv4/IPv6 network lists (internal_hosts and friends).
 *
 * Parsed once at config load; matching is a linear scan of a small list.
 * IPv4-mapped IPv6 client addresses match IPv4 entries.
 */
#ifndef POSTERN_CIDR_H
#define POSTERN_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cidr {
	int family;         /* AF_INET or AF_INET6 */
	uint8_t addr[16];   /* network order, masked to prefix */
	unsigned prefix;
};

struct cidr_list {
	struct cidr *v;
	size_t n;
};

enum cidr_status { CIDR_OK = 0, CIDR_BAD_ADDR, CIDR_BAD_PREFIX, CIDR_HOST_BITS };

/* Parse "addr" or "addr/prefix" from a counted buffer.  Host bits set below
 * the prefix are an error (CIDR_HOST_BITS): a typo there is usually a bug. */
enum cidr_status cidr_parse(const char *buf, size_t len, struct cidr *out);
const char *cidr_strerror(enum cidr_status st);

void cidr_list_add(struct cidr_list *l, const struct cidr *c);
void cidr_list_free(struct cidr_list *l);

/* Format c as "addr/prefix" into buf. */
void inet_ntop_cidr(const struct cidr *c, char *buf, size_t size);

/* Match a binary address (4 or 16 bytes). */
bool cidr_list_match(const struct cidr_list *l, int family, const uint8_t *addr);
/* Match a textual address; false if it does not parse. */
bool cidr_list_match_str(const struct cidr_list *l, const char *addr);

#endif
