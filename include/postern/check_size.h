/*
 * check_size.h - check "size": SIZE=, per-recipient limits, header and
 * body byte counting (filter/checks/check_size.c).
 */
#ifndef POSTERN_CHECK_SIZE_H
#define POSTERN_CHECK_SIZE_H

#include "postern/check.h"

extern const struct check check_size;

/* What the size check counted in this message. */
struct size_facts {
	unsigned long long declared;   /* SIZE= of MAIL FROM, 0 if none */
	unsigned long long size;       /* header + body bytes seen */
	unsigned hdr_count;
	unsigned long long hdr_bytes;
};

const struct size_facts *check_size_facts(const struct msg *m);
/* The limit that applies now: the strictest of the governing policies,
 * or (inbound, before any recipient) the loosest of all; 0 = none. */
unsigned long long check_size_limit(const struct conn *c, const struct msg *m);

#endif
