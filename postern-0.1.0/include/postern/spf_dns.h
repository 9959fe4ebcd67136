/*
 * spf_dns.h - the libspf2 DNS layer over dns_query() (filter/spf_dns.c).
 * Only filter/spf_eval.c uses it.
 */
#ifndef POSTERN_SPF_DNS_H
#define POSTERN_SPF_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "postern/spf.h"

struct SPF_dns_server_struct;

/* A new layer (owned by the SPF_server it is given to). */
struct SPF_dns_server_struct *spf_dns_layer_new(void);
/* Start the RFC 7208 4.6.4 accounting of one evaluation on this thread,
 * for a client of family (AF_INET/AF_INET6) at ip (4 or 16 bytes). */
void spf_dns_begin(int family, const uint8_t *ip);
/* End it: the facts collected and the first reason (may be ""). */
void spf_dns_end(struct spf_eval_facts *facts, char *why, size_t whylen);

#endif
