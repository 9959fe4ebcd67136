/*
 * dns_cache.h - the answer cache in front of libunbound (dns_cache.c),
 * private to filter/dns.
 */
#ifndef POSTERN_DNS_CACHE_H
#define POSTERN_DNS_CACHE_H

#include <stdbool.h>

#include "postern/dns.h"

/* A live answer to name/rrtype: fills out (out->cached, a reference kept
 * until dns_cache_release(out->priv)) and counts a hit; else counts a miss. */
bool dns_cache_get(const char *name, int rrtype, struct dns_answer *out);
/* Keep a copy of a's answer for ttl seconds (answers only, ttl > 0). */
void dns_cache_put(const char *name, int rrtype, const struct dns_answer *a, int ttl);
void dns_cache_release(void *priv);
/* Forget every answer (a fresh libunbound context; shutdown). */
void dns_cache_flush(void);
void dns_cache_counts(unsigned long long *hits, unsigned long long *misses);

#endif
