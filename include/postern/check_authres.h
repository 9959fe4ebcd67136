/*
 * check_authres.h - check "authres" (filter/checks/check_authres.c):
 * forged Authentication-Results removed, postern's own added.  Other
 * checks hand it their result clauses.
 */
#ifndef POSTERN_CHECK_AUTHRES_H
#define POSTERN_CHECK_AUTHRES_H

#include "postern/check.h"

extern const struct check check_authres;

/*
 * Add one resinfo clause ("spf=pass smtp.mailfrom=example.org") to the
 * message's Authentication-Results; clauses are folded one per line.  The
 * caller is responsible for quoting values.
 */
void authres_add(struct msg *m, const char *clause);
/* How many incoming A-R fields claimed our authserv-id (to be removed). */
size_t authres_forged(const struct msg *m);

#endif
