/*
 * check_dmarc.h - check "dmarc" (filter/checks/check_dmarc.c): DMARC of
 * inbound mail over the DMARC engine (dmarc.h), from the SPF and DKIM
 * checks' results.
 */
#ifndef POSTERN_CHECK_DMARC_H
#define POSTERN_CHECK_DMARC_H

#include "postern/check.h"
#include "postern/dmarc.h"

extern const struct check check_dmarc;

/* This message's DMARC result after the dmarc check's eom; false when
 * none was evaluated (outbound, trusted client, no policy). */
bool check_dmarc_result(const struct msg *m, enum dmarc_result *out);
/* Was a DMARC failure of m excused by a trusted forwarder (the sender is
 * vouched for: the spam score does not count the failure either)? */
bool check_dmarc_forwarded(const struct msg *m);
/* The daemon records into the report spool (dmarc_report.spool_dir);
 * postern -t, -n and explain do not.  Call before building snapshots. */
void check_dmarc_spool_enable(void);

#endif
