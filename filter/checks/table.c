/*
 * table.c - the check table: one row per check, in the order every phase
 * runs them.  Adding a check is one line here plus its own files
 * (docs/ARCHITECTURE.md, "Adding a check").
 *
 * Order matters at end of message: checks that add Authentication-Results
 * clauses run before check_authres, which writes the header; DMARC runs
 * after SPF and DKIM because it reads their results; spam after DMARC
 * (authentication results are rules) and before authres (which carries
 * its score).
 */
#include "config.h"

#include "postern/check_access.h"
#include "postern/check_arc.h"
#include "postern/check_attach.h"
#include "postern/check_authres.h"
#include "postern/check_bayes.h"
#include "postern/check_dkim.h"
#include "postern/check_dmarc.h"
#include "postern/check_helo.h"
#include "postern/check_lists.h"
#include "postern/check_rate.h"
#include "postern/check_login.h"
#include "postern/check_size.h"
#include "postern/check_spam.h"
#include "postern/check_spf.h"

const struct check *const check_table[] = {
	&check_lists,     /* policy clauses first: a deny or an allow decides */
	&check_access,    /* what the later rows do (docs/POLICY.md) */
	&check_helo,
	&check_login,
	&check_size,
	&check_rate,      /* rate limits over the store (check_bayes opens it) */
	&check_attach,
	&check_spf,
	&check_dkim,
	&check_arc,      /* before dmarc: a trusted ARC sealer excuses a failure */
	&check_dmarc,
	&check_bayes,     /* the classifier: check_spam reads its result */
	&check_spam,
	&check_authres,
};
const size_t check_count = NELEM(check_table);

_Static_assert(NELEM(check_table) <= CHECK_MAX, "raise CHECK_MAX");
