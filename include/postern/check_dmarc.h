/*
 * check_dmarc.h - check "dmarc" (filter/checks/check_dmarc.c): DMARC of
 * inbound mail over the DMARC engine (dmarc.h), from the SPF and DKIM
 * checks' results.
 */
#ifndef POSTERN_CHECK_DMARC_H
#define POSTERN_CHECK_DMARC_H

#include "postern/check.h"

extern const struct check check_dmarc;

/* The daemon records into the report spool (dmarc_report.spool_dir);
 * postern -t, -n and explain do not.  Call before building snapshots. */
void check_dmarc_spool_enable(void);

#endif
