/*
 * check_login.h - check "login": the sender bound to the SMTP AUTH login
 * (or to the internal network) for outbound mail
 * (filter/checks/check_login.c, docs/POLICY.md).
 */
#ifndef POSTERN_CHECK_LOGIN_H
#define POSTERN_CHECK_LOGIN_H

#include "postern/check.h"

extern const struct check check_login;

/* True if this message's envelope sender or From domain is not one its
 * login (or the internal network) may use: such mail is never signed. */
bool check_login_mismatch(const struct msg *m);

#endif
