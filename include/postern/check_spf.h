/*
 * check_spf.h - check "spf" (filter/checks/check_spf.c): SPF of the HELO
 * and MAIL FROM identities over the SPF engine (spf.h), enforced per
 * recipient, reported in Authentication-Results and Received-SPF.
 */
#ifndef POSTERN_CHECK_SPF_H
#define POSTERN_CHECK_SPF_H

#include "postern/check.h"
#include "postern/spf.h"

extern const struct check check_spf;

/* What a connection (the HELO identity) and a transaction keep. */
struct spf_fact {
	bool checked;
	bool helo_identity;          /* the HELO identity decided */
	struct spf_outcome o;
};

/* This transaction's SPF result (checked = false when none ran). */
const struct spf_fact *check_spf_fact(const struct msg *m);

/* For DMARC: true when SPF passed for this transaction; *domain is the
 * identity that passed (the MAIL FROM domain, or the HELO name when the
 * HELO identity decided).  The pointer lives as long as the message. */
bool spf_dmarc_identity(const struct conn *c, const struct msg *m, const char **domain);

#endif
