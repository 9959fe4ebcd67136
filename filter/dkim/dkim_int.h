/*
 * dkim_int.h - the DKIM engine's per-message state, shared by its files
 * (dkim_verify.c, dkim_bh.c, dkim_sign.c, dkim_lib.c).  Private to filter/dkim/
 * (and the unit test that looks inside a signing job).
 */
#ifndef POSTERN_DKIM_INT_H
#define POSTERN_DKIM_INT_H

#include <opendkim/dkim.h>

#include "postern/bodycanon.h"
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

/* One distinct (canonicalisation, hash, l=) of a verified message (dkim_bh.c). */
struct dkim_bh {
	struct bodycanon bc;
	bool relaxed;
	enum bodycanon_hash hash;
	long long limit;
	bool final;
	unsigned char digest[BODYCANON_MAX_DIGEST];
	size_t dlen;
	unsigned long long length;   /* canonical bytes hashed */
};

/* A signature's state when dkim_eoh() returned (dkim_bh.c). */
struct dkim_sigsnap {
	unsigned flags;
	int err;
	int entry;                   /* its dkim_bh, or -1 */
};

struct dkim_msg {
	const struct dkim_state *st;
	const char *id;              /* message id for logs (the queue id) */
	bool signing;
	/* verify (inbound) */
	DKIM *verify;
	bool verify_broken;          /* libopendkim refused the message */
	bool nosig;                  /* no DKIM-Signature at all */
	unsigned nignored;           /* signatures over dkim.max_signatures */
	unsigned nsigfields;          /* DKIM-Signature fields seen */
	unsigned nmalformed;          /* DKIM-Signature fields libopendkim could not parse */
	char malformed_why[128];
	bool own_body;               /* body hashes are ours (dkim_bh.c) */
	struct dkim_bh *bh;
	size_t nbh;
	struct dkim_sigsnap *snap;   /* one per listed signature */
	size_t nsnap;
	/* sign (outbound) */
	strbuf hdrs;                 /* "Name: value\r\n" of every header */
	size_t nhdrs;
	DKIM *sign[DKIM_MAX_SIGNERS];
	const struct dkim_key *signkey[DKIM_MAX_SIGNERS];
	struct dkim_memtrack trk[DKIM_MAX_SIGNERS];
	void *ed_crypto[DKIM_MAX_SIGNERS];   /* see dkim_sign.c */
	size_t nsign;
	const char *sign_skipped;    /* why nothing was signed (static text) */
	unsigned sign_expected;      /* keys of the From domain: signatures owed */
	unsigned sign_made;
};

/* Append "Name: value\r\n" to sb, folded lines turned into CRLF. */
void dkim_header_line(strbuf *sb, const char *name, const char *value);

/* dkim_sign.c */
void *dkim_track_malloc(void *closure, size_t n);
void dkim_track_free(void *closure, void *p);
void dkim_signer_free(struct dkim_msg *dm, size_t i);
void dkim_sign_eoh(struct dkim_msg *dm, const char *domain);
void dkim_sign_body(struct dkim_msg *dm, const unsigned char *buf, size_t len);
/* dkim_bh.c: set up after a complete dkim_eoh(); feed; the state
 * dkim_eom() would have left for signature i of the list */
void dkim_bh_setup(struct dkim_msg *dm);
void dkim_bh_feed(struct dkim_msg *dm, const unsigned char *buf, size_t len);
void dkim_bh_state(struct dkim_msg *dm, size_t i, DKIM_SIGINFO *sig, unsigned *flags, int *err, int *bh);
void dkim_bh_free(struct dkim_msg *dm);
/* dkim_verify.c */
void dkim_verify_header(struct dkim_msg *dm, const char *name, const strbuf *line);
void dkim_verify_eoh(struct dkim_msg *dm);

#endif
