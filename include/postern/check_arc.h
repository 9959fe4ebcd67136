/*
 * check_arc.h - the ARC check row: verifies the ARC chain of inbound mail
 * (filter/arc/), adds arc= to Authentication-Results and hands the
 * sealer of a passing chain to check_dmarc's trusted-forwarder match.
 */
#ifndef POSTERN_CHECK_ARC_H
#define POSTERN_CHECK_ARC_H

#include "postern/arc.h"
#include "postern/check.h"

extern const struct check check_arc;

/* This inbound message's result; NULL when it was not verified (outbound
 * mail, a trusted host, before end of message). */
const struct arc_result *check_arc_result(const struct msg *m);
/* The d= of the newest ARC-Seal when the chain passed, else NULL. */
const char *check_arc_sealer(const struct msg *m);

#endif
