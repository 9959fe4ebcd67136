/*
 * check_lists.h - check "lists": per-policy allow and deny lists of
 * senders, client networks, HELO names and recipients
 * (filter/checks/check_lists.c, docs/POLICY.md).
 */
#ifndef POSTERN_CHECK_LISTS_H
#define POSTERN_CHECK_LISTS_H

#include "postern/check.h"

extern const struct check check_lists;

#endif
