/*
 * check_spam.h - check "spam" (filter/checks/check_spam.c): the spam
 * screen over the spam engine (spam.h): DNS lists asked at connect and
 * enforced at RCPT, header and body rules, authentication results as
 * rules, per-policy thresholds and scores, X-Spam-* headers.
 */
#ifndef POSTERN_CHECK_SPAM_H
#define POSTERN_CHECK_SPAM_H

#include "postern/check.h"

extern const struct check check_spam;

#endif
