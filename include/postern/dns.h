/*
 * dns.h - the one resolver (libunbound), shared by every check.
 *
 * Created once at start-up.  Queries are synchronous for the caller (a
 * milter thread) with a hard deadline; one dispatcher thread drives
 * libunbound's asynchronous interface, so any number of threads may wait
 * at once and all share libunbound's cache.  Answers with a TTL are also
 * kept in postern's own cache (dns_cache.c), which answers a repeated
 * question in the asking thread and counts hits and misses.  The SPF and DKIM adapters and
 * the DNSBL queries (dns_start/dns_collect) are built on it.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "postern/util.h"

enum dns_status {
	DNS_OK = 0,     /* answer with at least one record */
	DNS_NXDOMAIN,   /* the name does not exist */
	DNS_NODATA,     /* the name exists, no record of that type */
	DNS_SERVFAIL,   /* the servers failed or refused */
	DNS_TIMEOUT,    /* no answer before the deadline */
	DNS_ERROR,      /* local trouble (bad name, resolver not started) */
};

struct dns_answer {
	enum dns_status status;
	int rcode;
	size_t count;                   /* records */
	const unsigned char *const *rdata; /* wire-format RDATA of each record */
	const int *rdlen;
	const char *canonname;          /* after CNAMEs, or NULL */
	void *priv;                     /* the libunbound result, or the cache entry */
	bool cached;                    /* from postern's answer cache (dns_cache.c) */
};

struct dns_options {
	const struct strlist *nameservers; /* "addr" or "addr@port"; none = resolv.conf */
	unsigned timeout_ms;
	unsigned long long cache_size;
	const char *resolv_conf;        /* NULL = /etc/resolv.conf */
};

/* Start the resolver.  On failure returns false with a message in err. */
bool dns_init(const struct dns_options *opt, char *err, size_t errlen);
void dns_shutdown(void);
void dns_set_timeout(unsigned timeout_ms);
/* The answer cache's hits and misses since start (the cache hit rate):
 * a question answered from the cache in the asking thread, or sent on. */
void dns_cache_stats(unsigned long long *hits, unsigned long long *misses);
/* How often a fresh context replaced one that saw the servers fail. */
unsigned long dns_replacements(void);

/* Resolve name/type (type as in RFC 1035: 1 = A, 16 = TXT, ...).  The
 * answer must be released with dns_answer_free whatever the status. */
enum dns_status dns_query(const char *name, int rrtype, struct dns_answer *out);
void dns_answer_free(struct dns_answer *a);

/* Can name be asked at all (RFC 1035 2.3.4: labels of 1..63 octets, at
 * most 253 octets without the root dot)?  A name that cannot be asked
 * cannot exist: that is an answer (no such name), not a DNS failure. */
bool dns_name_askable(const char *name);
/*
 * The same query in two steps, so that a caller can ask early (DNSBL at
 * connect) and read the answer when it needs it: dns_start sends it (the
 * deadline, dns.timeout, counts from now) and returns a handle, NULL when
 * the name is unusable or the resolver is not running; dns_collect waits
 * until the answer or the deadline, fills out as dns_query does and frees
 * the handle (NULL gives DNS_ERROR); dns_discard frees a handle whose
 * answer is no longer wanted.  Each handle is collected or discarded
 * exactly once, by any thread.
 */
struct dns_pending;
struct dns_pending *dns_start(const char *name, int rrtype);
enum dns_status dns_collect(struct dns_pending *p, struct dns_answer *out);
void dns_discard(struct dns_pending *p);

/* The character-strings of TXT record i, concatenated (RFC 7208 3.3); out
 * replaces what it held and is a string on true, even for an empty record. */
bool dns_txt_join(const struct dns_answer *a, size_t i, strbuf *out);
const char *dns_status_name(enum dns_status st);

#endif
