/*
 * check_dkim.h - check "dkim" (filter/checks/check_dkim.c): inbound
 * signatures verified and reported, outbound mail signed, over the DKIM
 * engine (dkim.h).
 */
#ifndef POSTERN_CHECK_DKIM_H
#define POSTERN_CHECK_DKIM_H

#include "postern/check.h"
#include "postern/dkim.h"

extern const struct check check_dkim;

#define DKIM_MAX_PASS 8   /* passing signatures remembered for DMARC */

/* The d= (lower case) of each signature that passed in this inbound
 * message, after the dkim check's eom (for DMARC: run after it).  The
 * strings live until the message is reset.  Returns how many were
 * written to out. */
size_t dkim_pass_domains(const struct msg *m, const char **out, size_t max);
/* Inbound: how many signatures passed and failed (after the dkim
 * check's eom); fail counts DKIM fail results only, not temperrors. */
void dkim_counts(const struct msg *m, unsigned *npass, unsigned *nfail, unsigned *ntemp);
/* Every verified signature of this inbound message (d=, s=, result), for
 * DMARC reports: at most DKIM_MAX_REPORT, passing ones first as they came. */
#define DKIM_MAX_REPORT 8
struct dkim_report_sig {
	char d[DKIM_DOMAIN_MAX + 1];
	char s[DKIM_SELECTOR_MAX + 1];
	enum dkim_sigres res;
};
size_t dkim_report_sigs(const struct msg *m, const struct dkim_report_sig **out);
/* The snapshot's key table and library handle (NULL if none). */
const struct dkim_state *check_dkim_state(const struct snapshot *s);
/* This message's engine job, NULL before the first header (tests). */
struct dkim_msg *check_dkim_job(const struct msg *m);

#endif
