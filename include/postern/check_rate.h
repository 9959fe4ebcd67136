/*
 * check_rate.h - check "rate": messages and recipients per rate.window
 * per authenticated user, per sender domain and per client address,
 * counted in the state store (filter/checks/check_rate.c).
 */
#ifndef POSTERN_CHECK_RATE_H
#define POSTERN_CHECK_RATE_H

#include "postern/check.h"

extern const struct check check_rate;

#endif
