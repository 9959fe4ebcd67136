/*
 * dmarc_failure.h - DMARC failure reports (RFC 9991), the daemon's half
 * (filter/dmarc/dmarc_failure.c): the redaction of the failed message's
 * header fields and the failure-spool line, written by check_dmarc.c
 * through a dmarc_spool writer into SPOOL_DIR/failure/ and read back by
 * postern-report --failure, which builds the RFC 6591 ARF messages.
 *
 * The line: "v=1" then key=value pairs encoded as in dmarc_spool.h, one
 * failed message each; hdrs= holds the redacted header fields
 * ("Name: value\r\n" each, at most DMARC_FAIL_HDRS_MAX bytes encoded,
 * whole fields only; trunc=1 when some were left out).  No body.
 */
#ifndef POSTERN_DMARC_FAILURE_H
#define POSTERN_DMARC_FAILURE_H

#include <stdbool.h>
#include <stddef.h>

#include "postern/dmarc.h"
#include "postern/util.h"

#define DMARC_FAIL_HDRS_MAX 6000   /* encoded header bytes in one line */
#define DMARC_FAIL_KEY_LEN 16      /* the redaction key (random per start) */

struct dmarc_failure_rec {
	long long ts;
	char host[64];
	char ip[48];
	char header_from[DMARC_NAME_MAX];
	char env_from[DMARC_NAME_MAX];
	char policy_domain[DMARC_NAME_MAX];
	char ruf[DMARC_RUA_MAX];
	enum dmarc_result result;
	bool spf_aligned, dkim_aligned;
	bool truncated;               /* some header fields were left out */
	char hdrs[DMARC_FAIL_HDRS_MAX]; /* redacted header fields */
};

/* Is this a field whose addresses are redacted (From, To, Cc, Reply-To,
 * Sender, Received, Return-Path, Delivered-To, X-Original-To)? */
bool dmarc_redact_field(const char *name);
/* Append value with the local part of every address (local@domain)
 * replaced by "x" and 12 hex digits of HMAC-SHA256(key, local part):
 * the same address gives the same token within one key, a dictionary of
 * names gives nothing without it.  Pure. */
void dmarc_redact_addrs(const char *value, size_t len,
    const unsigned char key[DMARC_FAIL_KEY_LEN], strbuf *out);

/* Append "name: value\r\n" to hdrs, redacted if dmarc_redact_field(name),
 * if the whole field still fits the line's budget (*enc_len: the encoded
 * size of hdrs so far, kept up to date); false (nothing added) if not. */
bool dmarc_failure_add_field(strbuf *hdrs, size_t *enc_len, const char *name, const char *value,
    const unsigned char key[DMARC_FAIL_KEY_LEN]);

/* Format r as one line (no newline); false if it does not fit. */
bool dmarc_failure_format(const struct dmarc_failure_rec *r, strbuf *out);
/* Parse one line; false if it is not a complete failure record. */
bool dmarc_failure_parse(const char *buf, size_t len, struct dmarc_failure_rec *r);

#endif
