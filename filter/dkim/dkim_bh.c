/*
 * dkim_bh.c - the body hashes (bh=) of a verified message, computed by
 * postern's canonicaliser (filter/lib/bodycanon.c) instead of libopendkim:
 * one pass per distinct (canonicalisation, hash, l=) among the message's
 * signatures, and libopendkim is fed no body at all.
 *
 * Why that is sound (libopendkim 2.11, dkim.c): without
 * DKIM_LIBFLAGS_DELAYSIGPROC, dkim_eoh() runs dkim_sig_process() for every
 * signature: key look-up, header hash, the signature check (sets
 * DKIM_SIGFLAG_PASSED or DKIM_SIGERROR_BADSIG) and the t=s check; the body
 * is not involved.  What dkim_eom() adds depends only on the body:
 *   1. any signature whose l= exceeds the canonical body: error
 *      DKIM_SIGERROR_TOOLARGE_L (its body hash is then never compared);
 *   2. for a signature that passed with no error so far: the bh= check
 *      (MATCH, or MISMATCH with error BADSIG), then error OK;
 *   3. error OK, not Ed25519, key under the minimum size: error
 *      KEYTOOSMALL and PASSED cleared.
 * So the state at end of headers (kept here per signature) plus our own
 * hashes and lengths gives exactly the state dkim_eom() would have left,
 * which dkim_verify.c classifies as before.  When dkim_eoh() did not
 * finish (any status but OK), dkim_verify.c keeps the old path: the body
 * goes to libopendkim and its dkim_eom() decides.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim_int.h"

/* The entry for (relaxed, hash, limit), added when new. */
static int
entry_for(struct dkim_msg *dm, bool relaxed, enum bodycanon_hash hash, long long limit)
{
	for (size_t i = 0; i < dm->nbh; i++)
		if (dm->bh[i].relaxed == relaxed && dm->bh[i].hash == hash && dm->bh[i].limit == limit)
			return (int)i;
	dm->bh[dm->nbh].relaxed = relaxed;
	dm->bh[dm->nbh].hash = hash;
	dm->bh[dm->nbh].limit = limit;
	bodycanon_init(&dm->bh[dm->nbh].bc, relaxed, hash, limit);
	return (int)dm->nbh++;
}

void
dkim_bh_setup(struct dkim_msg *dm)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;

	if (dkim_getsiglist(dm->verify, &sigs, &nsigs) != DKIM_STAT_OK || nsigs <= 0)
		return;
	dm->snap = xcalloc((size_t)nsigs, sizeof(*dm->snap));
	dm->bh = xcalloc((size_t)nsigs, sizeof(*dm->bh));
	dm->nsnap = (size_t)nsigs;
	for (int i = 0; i < nsigs; i++) {
		struct dkim_sigsnap *s = &dm->snap[i];
		dkim_canon_t hc, bc = DKIM_CANON_UNKNOWN;
		dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
		ssize_t signlen = -1;
		bool passed;

		s->flags = dkim_sig_getflags(sigs[i]);
		s->err = dkim_sig_geterror(sigs[i]);
		s->entry = -1;
		if (s->flags & DKIM_SIGFLAG_IGNORE)
			continue;
		/* no body canonicalisation: libopendkim never hashes this one */
		if (dkim_sig_getcanonlen(dm->verify, sigs[i], NULL, NULL, &signlen) != DKIM_STAT_OK)
			continue;
		(void)dkim_sig_getcanons(sigs[i], &hc, &bc);
		(void)dkim_sig_getsignalg(sigs[i], &alg);
		passed = (s->flags & DKIM_SIGFLAG_PASSED) && s->err == DKIM_SIGERROR_UNKNOWN;
		/* the hash matters to a signature that passed; the length to
		 * any with l= (rule 1 above applies to all of them) */
		if (!passed && signlen < 0)
			continue;
		s->entry = entry_for(dm, bc == DKIM_CANON_RELAXED,
		    alg == DKIM_SIGN_RSASHA1 ? BODYCANON_SHA1 : BODYCANON_SHA256,
		    signlen < 0 ? BODYCANON_NOLIMIT : (long long)signlen);
	}
	dm->own_body = true;
}

void
dkim_bh_feed(struct dkim_msg *dm, const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < dm->nbh; i++)
		if (!bodycanon_done(&dm->bh[i].bc))
			bodycanon_feed(&dm->bh[i].bc, buf, len);
}

static void
finish(struct dkim_bh *e)
{
	if (!e->final) {
		e->dlen = bodycanon_final(&e->bc, e->digest, &e->length);
		e->final = true;
	}
}

void
dkim_bh_state(struct dkim_msg *dm, size_t i, DKIM_SIGINFO *sig, unsigned *flags, int *err, int *bh)
{
	const struct dkim_sigsnap *s = &dm->snap[i];
	struct dkim_bh *e;
	const u_char *want;
	char got[2 * BODYCANON_MAX_DIGEST + 4];
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	unsigned bits = 0;

	*flags = s->flags;
	*err = s->err;
	*bh = DKIM_SIGBH_UNTESTED;
	if (s->entry < 0)
		return;
	e = &dm->bh[s->entry];
	finish(e);
	if (e->limit >= 0 && e->length < (unsigned long long)e->limit) {
		*err = DKIM_SIGERROR_TOOLARGE_L;                     /* rule 1 */
		return;
	}
	if (!(s->flags & DKIM_SIGFLAG_PASSED) || s->err != DKIM_SIGERROR_UNKNOWN)
		return;
	want = dkim_sig_gettagvalue(sig, false, (u_char *)"bh");    /* rule 2 */
	EVP_EncodeBlock((unsigned char *)got, e->digest, (int)e->dlen);
	if (want != NULL && strcmp((const char *)want, got) == 0) {
		*bh = DKIM_SIGBH_MATCH;
		*err = DKIM_SIGERROR_OK;
	} else {
		*bh = DKIM_SIGBH_MISMATCH;
		*err = DKIM_SIGERROR_BADSIG;
	}
	(void)dkim_sig_getsignalg(sig, &alg);                       /* rule 3 */
	if (*err == DKIM_SIGERROR_OK && alg != DKIM_SIGN_ED25519SHA256 &&
	    (dkim_sig_getkeysize(sig, &bits) != DKIM_STAT_OK || bits < dm->st->min_key_bits)) {
		*err = DKIM_SIGERROR_KEYTOOSMALL;
		*flags &= ~(unsigned)DKIM_SIGFLAG_PASSED;
	}
}

void
dkim_bh_free(struct dkim_msg *dm)
{
	for (size_t i = 0; i < dm->nbh; i++)
		if (!dm->bh[i].final)
			bodycanon_free(&dm->bh[i].bc);
	free(dm->bh);
	free(dm->snap);
	dm->bh = NULL;
	dm->snap = NULL;
	dm->nbh = dm->nsnap = 0;
}
