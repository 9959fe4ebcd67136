/*
 * check_helo.h - check "helo": HELO/EHLO name rules per policy
 * (filter/checks/check_helo.c, docs/POLICY.md).  The facts are kept per
 * connection for the spam rules to score as well.
 */
#ifndef POSTERN_CHECK_HELO_H
#define POSTERN_CHECK_HELO_H

#include "postern/check.h"

extern const struct check check_helo;

enum helo_resolves { HELO_DNS_UNKNOWN = 0, HELO_DNS_YES, HELO_DNS_NO, HELO_DNS_TROUBLE };

/* Facts about the connection's HELO name, independent of the policy. */
struct helo_facts {
	bool known;             /* computed for the current HELO */
	bool bare_ip;           /* "192.0.2.1", not "[192.0.2.1]" */
	bool literal;           /* "[192.0.2.1]" */
	bool non_fqdn;          /* no dot, or not a valid host name */
	bool is_mta_name;       /* equals the MTA's own name (macro j) */
	enum helo_resolves resolves;   /* A/AAAA look-up, done when a policy needs it */
	int family;             /* of the literal / bare IP */
	unsigned char ip[16];
};

/* The facts for c's HELO (computed on first use). */
const struct helo_facts *check_helo_facts(struct conn *c);

#endif
