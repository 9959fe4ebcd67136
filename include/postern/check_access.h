/*
 * check_access.h - check "access": TLS requirements ({tls_version},
 * {cipher}, {cipher_bits}) and submission rules ({daemon_name} without
 * SMTP AUTH) per policy (filter/checks/check_access.c, docs/POLICY.md).
 */
#ifndef POSTERN_CHECK_ACCESS_H
#define POSTERN_CHECK_ACCESS_H

#include "postern/check.h"

extern const struct check check_access;

/* Rank of a TLS protocol name: SSLv3 1, TLSv1 2, TLSv1.1 3, TLSv1.2 4,
 * TLSv1.3 5, a later TLSv1.N 2+N; 0 for none or unknown. */
unsigned check_access_tls_rank(const char *version);

#endif
