/*
 * check_lists.h - check "lists": per-policy allow and deny lists of
 * senders, client networks, HELO names and recipients
 * (filter/checks/check_lists.c, docs/POLICY.md).
 */
#ifndef POSTERN_CHECK_LISTS_H
#define POSTERN_CHECK_LISTS_H

#include "postern/check.h"

extern const struct check check_lists;

/* True if the snapshot's default policy denies client networks: the
 * milter then answers connect (a client every policy denies is refused
 * there) instead of asking for no reply at connect. */
bool check_lists_connect_denies(const struct snapshot *s);

#endif
