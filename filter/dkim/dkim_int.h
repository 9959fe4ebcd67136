/*
 * dkim_int.h - per-message DKIM state shared by dkim.c (verify, the check
 * row) and dkim_sign.c (sign).  Private to those two files.
 */
#ifndef POSTERN_DKIM_INT_H
#define POSTERN_DKIM_INT_H

#include <opendkim/dkim.h>

#include "postern/dkim.h"

#define DKIM_MAX_SIGNERS 8   /* keys that sign one message */

/* Allocations of one signing handle while its key loads (dkim_sign.c,
 * the libopendkim 2.11 Ed25519 leak work-around). */
struct dkim_memtrack {
	bool on;
	int n;
	void *blk[2];
	size_t sz[2];
};

struct dkim_msg {
	const struct dkim_state *st;
	/* verify (inbound) */
	DKIM *verify;
	bool verify_broken;          /* libopendkim refused the message */
	bool nosig;                  /* no DKIM-Signature at all */
	unsigned npass, nfail, ntemp, nperm, nignored;
	unsigned nsigfields;          /* DKIM-Signature fields seen */
	unsigned nmalformed;          /* DKIM-Signature fields libopendkim could not parse */
	char malformed_why[128];
	char passd[DKIM_MAX_PASS][DKIM_DOMAIN_MAX + 1];   /* d= of passing signatures, lower case */
	size_t npassd;
	/* sign (outbound) */
	strbuf hdrs;                 /* "Name: value\r\n" of every header */
	size_t nhdrs;
	char from_domain[256];
	unsigned nfrom;
	DKIM *sign[DKIM_MAX_SIGNERS];
	const struct dkim_key *signkey[DKIM_MAX_SIGNERS];
	struct dkim_memtrack trk[DKIM_MAX_SIGNERS];
	void *ed_crypto[DKIM_MAX_SIGNERS];   /* see dkim_sign.c */
	size_t nsign;
	unsigned nsigned;
	const char *sign_skipped;    /* why nothing was signed (static text) */
};

/* Append "Name: value\r\n" to sb, folded lines turned into CRLF. */
void dkim_header_line(strbuf *sb, const char *name, const char *value);
/* The domain of the (first) address in a From field value, lower case. */
bool dkim_from_domain(const char *value, size_t len, char *out, size_t size);

/* dkim_sign.c */
void *dkim_track_malloc(void *closure, size_t n);
void dkim_track_free(void *closure, void *p);
void dkim_signer_free(struct dkim_msg *dm, size_t i);
void dkim_sign_eoh(struct conn *c, struct msg *m, struct dkim_msg *dm);
void dkim_sign_body(struct dkim_msg *dm, const unsigned char *buf, size_t len);
void dkim_sign_eom(struct conn *c, struct msg *m, struct dkim_msg *dm, struct edits *e);

#endif
