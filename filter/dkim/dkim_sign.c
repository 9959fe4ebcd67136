/*
 * dkim_sign.c - signing outbound mail: every key of the From domain signs
 * (RSA and Ed25519 side by side, RFC 8463), relaxed/relaxed by default.
 * Headers are kept while they arrive (the From domain, and with it the
 * keys, is only known at end of headers); the body streams into every
 * signing handle; at end of message each DKIM-Signature value goes back
 * to the caller (the check inserts it at the top).  Called through the
 * dkim_msg_* functions (dkim_lib.c).
 */
#include "config.h"

#include <stdio.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_int.h"
#include "postern/log.h"

#define SIG_FIELD "DKIM-Signature"

/* libopendkim's error text may quote message data: escape it. */
static void
log_failure(const struct dkim_msg *dm, const struct dkim_key *k, const char *what, const char *why)
{
	strbuf sb;

	sb_init(&sb);
	sb_escape(&sb, why != NULL ? why : "?", why != NULL ? strlen(why) : 1, 100);
	plog(PLOG_ERR, dm->id, "dkim: signing with %s failed%s: %s", k->path, what, sb.s);
	sb_free(&sb);
}

/*
 * libopendkim 2.11 leaks, for every Ed25519 signing handle, the key it
 * parsed (EVP_PKEY), its BIO and a 64-byte output buffer: dkim_free()
 * releases them only for RSA (~700 bytes per signed message; measured
 * with valgrind).  Work-around: load the key explicitly right after
 * dkim_sign() with an allocator that records the handle's allocations;
 * the first is libopendkim's crypto state, the second its output buffer.
 * The state's layout below is libopendkim 2.11's (OpenSSL build); it is
 * used only when the library version is 2.11.0 and the recorded blocks
 * confirm it (size of the state, output pointer and length), so a fixed
 * or different library is left alone (then it may leak, never crash).
 */
struct odk211_crypto {
	unsigned char pad;
	int keysize;
	size_t inlen;
	size_t outlen;
	EVP_PKEY *pkey;
	void *key;
	BIO *keydata;
	unsigned char *in;
	unsigned char *out;
};

static void *
ed25519_state(struct dkim_memtrack *t)
{
	struct odk211_crypto *c;

	if (dkim_libversion() != 0x020B0000 || t->n != 2 || t->sz[0] != sizeof(*c))
		return NULL;
	c = t->blk[0];
	if (c->out != t->blk[1] || c->outlen != t->sz[1] || c->outlen != 64 || c->pkey == NULL ||
	    EVP_PKEY_get_base_id(c->pkey) != EVP_PKEY_ED25519)
		return NULL;
	return c;
}

void
dkim_signer_free(struct dkim_msg *dm, size_t i)
{
	struct odk211_crypto *c = dm->ed_crypto[i];
	EVP_PKEY *pkey = c != NULL ? c->pkey : NULL;
	BIO *bio = c != NULL ? c->keydata : NULL;
	unsigned char *out = c != NULL ? c->out : NULL;

	dkim_free(dm->sign[i]);   /* frees c itself, not what it points to */
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	free(out);
	dm->sign[i] = NULL;
	dm->ed_crypto[i] = NULL;
}

static void
drop_signers(struct dkim_msg *dm)
{
	for (size_t i = 0; i < dm->nsign; i++)
		dkim_signer_free(dm, i);
	dm->nsign = 0;
}

/* Feed the kept headers ("Name: value\r\n" each; a continuation line starts
 * with white space) to one signing handle. */
static bool
feed_headers(DKIM *d, const strbuf *hdrs)
{
	size_t start = 0;

	for (size_t i = 0; i + 1 < hdrs->len; i++) {
		if (hdrs->s[i] != '\r' || hdrs->s[i + 1] != '\n')
			continue;
		if (i + 2 < hdrs->len && (hdrs->s[i + 2] == ' ' || hdrs->s[i + 2] == '\t'))
			continue;
		if (dkim_header(d, (u_char *)hdrs->s + start, i - start) != DKIM_STAT_OK)
			return false;
		start = i + 2;
	}
	return dkim_eoh(d) == DKIM_STAT_OK;
}

void
dkim_sign_eoh(struct dkim_msg *dm, const char *domain)
{
	const struct dkim_state *st = dm->st;
	const struct dkim_key *keys[DKIM_MAX_SIGNERS];
	size_t nk;

	if (st->keys.n == 0)
		return;
	if (domain == NULL || *domain == '\0') {
		dm->sign_skipped = "no usable From domain";
		return;
	}
	nk = dkim_keys_for(st, domain, keys, DKIM_MAX_SIGNERS);
	if (nk == 0) {
		dm->sign_skipped = "no key for the From domain";
		return;
	}
	dm->sign_expected = (unsigned)nk;   /* from here on, a missing signature is a failure */
	if (dm->nhdrs >= DKIM_MAX_HEADERS_KEPT) {
		dm->sign_skipped = "too many headers";
		return;
	}
	for (size_t i = 0; i < nk; i++) {
		DKIM_STAT s;
		size_t n = dm->nsign;
		DKIM *d = dkim_sign(st->lib, (const u_char *)(dm->id[0] ? dm->id : "NOQUEUE"), &dm->trk[n],
		    (dkim_sigkey_t)keys[i]->keytext, (const u_char *)keys[i]->selector,
		    (const u_char *)keys[i]->domain, st->canon_hdr, st->canon_body,
		    keys[i]->alg == DKALG_RSA ? DKIM_SIGN_RSASHA256 : DKIM_SIGN_ED25519SHA256,
		    -1, &s);

		if (d == NULL) {
			log_failure(dm, keys[i], "", dkim_getresultstr(s));
			continue;
		}
		dm->sign[n] = d;
		dm->signkey[n] = keys[i];
		dm->ed_crypto[n] = NULL;
		dm->nsign++;
		if (keys[i]->alg == DKALG_ED25519) {
			memset(&dm->trk[n], 0, sizeof(dm->trk[n]));
			dm->trk[n].on = true;
			s = dkim_privkey_load(d);
			dm->trk[n].on = false;
			if (s == DKIM_STAT_OK)
				dm->ed_crypto[n] = ed25519_state(&dm->trk[n]);
		}
		if (!feed_headers(d, &dm->hdrs)) {
			log_failure(dm, keys[i], " on the headers", dkim_geterror(d));
			dkim_signer_free(dm, n);
			dm->nsign--;
		}
	}
	if (dm->nsign == 0)
		dm->sign_skipped = "signing failed";
	sb_free(&dm->hdrs);   /* not needed any more */
}

void
dkim_sign_body(struct dkim_msg *dm, const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < dm->nsign; i++)
		(void)dkim_body(dm->sign[i], (u_char *)buf, len);
}

/* libopendkim folds with CRLF; milter header values fold with LF. */
static char *
unfold_crlf(const unsigned char *p, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		out[o++] = (char)p[i];
	}
	out[o] = '\0';
	return out;
}

unsigned
dkim_sign_eom(struct dkim_msg *dm, void (*cb)(void *ctx, const char *value), void *ctx)
{
	unsigned nsigned = 0;

	for (size_t i = 0; i < dm->nsign; i++) {
		u_char *hdr = NULL;
		size_t len = 0;
		DKIM_STAT s = dkim_eom(dm->sign[i], NULL);

		if (s == DKIM_STAT_OK)
			s = dkim_getsighdr_d(dm->sign[i], strlen(SIG_FIELD) + 2, &hdr, &len);
		if (s != DKIM_STAT_OK || hdr == NULL) {
			const char *why = dkim_geterror(dm->sign[i]);
			log_failure(dm, dm->signkey[i], "", why != NULL ? why : dkim_getresultstr(s));
			continue;
		}
		char *val = unfold_crlf(hdr, len);
		cb(ctx, val);
		free(val);
		nsigned++;
	}
	drop_signers(dm);
	dm->sign_made = nsigned;
	if (nsigned == 0 && dm->sign_skipped == NULL && dm->st->keys.n > 0)
		dm->sign_skipped = "signing failed";
	return nsigned;
}

const char *
dkim_sign_skipped(const struct dkim_msg *dm)
{
	return dm->sign_skipped;
}

unsigned
dkim_sign_missing(const struct dkim_msg *dm)
{
	return dm->sign_expected > dm->sign_made ? dm->sign_expected - dm->sign_made : 0;
}
