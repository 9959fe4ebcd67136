/*
 * dkim_keycache.c - parsed signing keys for libopendkim, so that no key is
 * parsed per message.
 *
 * libopendkim takes a private key only as text and parses it again for
 * every signing handle (dkim_privkey_load: d2i_PrivateKey_bio for base64
 * DER, PEM_read_bio_PrivateKey for PEM).  With OpenSSL 3 that parse costs
 * more than the signature itself (measured: ~1.1 ms of 1.5 ms per RSA-2048
 * signature, ~0.5 ms of 0.53 ms per Ed25519 one).  postern defines those two
 * OpenSSL functions in its own executable: libopendkim's calls bind to them
 * (symbol interposition), and when the BIO holds exactly the bytes of a
 * registered key the already parsed EVP_PKEY is returned (one more
 * reference; libopendkim frees it as its own).  Any other input goes to
 * OpenSSL's function (dlsym RTLD_NEXT).  Keys are registered when a key
 * table is built and unregistered when it is freed (dkim_keys.c).
 */
#include "config.h"

#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "postern/dkim.h"

struct cached_key {
	unsigned char *bytes;   /* what libopendkim will put in the BIO */
	size_t len;
	EVP_PKEY *pk;
	unsigned refs;          /* key tables holding it */
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct cached_key *keys;
static size_t nkeys;

typedef EVP_PKEY *(*d2i_fn)(BIO *, EVP_PKEY **);
typedef EVP_PKEY *(*pem_fn)(BIO *, EVP_PKEY **, pem_password_cb *, void *);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static d2i_fn real_d2i;
static pem_fn real_pem;

static void
resolve(void)
{
	real_d2i = (d2i_fn)dlsym(RTLD_NEXT, "d2i_PrivateKey_bio");
	real_pem = (pem_fn)dlsym(RTLD_NEXT, "PEM_read_bio_PrivateKey");
}

void
dkim_keycache_add(const void *bytes, size_t len, EVP_PKEY *pk)
{
	pthread_rwlock_wrlock(&lock);
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].len == len && memcmp(keys[i].bytes, bytes, len) == 0) {
			keys[i].refs++;
			pthread_rwlock_unlock(&lock);
			return;
		}
	}
	keys = xrealloc(keys, (nkeys + 1) * sizeof(*keys));
	keys[nkeys].bytes = xmalloc(len);
	memcpy(keys[nkeys].bytes, bytes, len);
	keys[nkeys].len = len;
	keys[nkeys].refs = 1;
	EVP_PKEY_up_ref(pk);
	keys[nkeys++].pk = pk;
	pthread_rwlock_unlock(&lock);
}

void
dkim_keycache_drop(const void *bytes, size_t len)
{
	pthread_rwlock_wrlock(&lock);
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].len != len || memcmp(keys[i].bytes, bytes, len) != 0)
			continue;
		if (--keys[i].refs == 0) {
			EVP_PKEY_free(keys[i].pk);
			OPENSSL_cleanse(keys[i].bytes, keys[i].len);
			free(keys[i].bytes);
			keys[i] = keys[--nkeys];
		}
		break;
	}
	pthread_rwlock_unlock(&lock);
}

/* A new reference to the cached key whose bytes the memory BIO holds. */
static EVP_PKEY *
lookup(BIO *bp)
{
	char *data = NULL;
	long len;
	EVP_PKEY *pk = NULL;

	if (bp == NULL || BIO_method_type(bp) != BIO_TYPE_MEM)
		return NULL;
	len = BIO_get_mem_data(bp, &data);
	if (len <= 0 || data == NULL)
		return NULL;
	pthread_rwlock_rdlock(&lock);
	for (size_t i = 0; i < nkeys && pk == NULL; i++) {
		if (keys[i].len == (size_t)len && memcmp(keys[i].bytes, data, (size_t)len) == 0 &&
		    EVP_PKEY_up_ref(keys[i].pk) == 1)
			pk = keys[i].pk;
	}
	pthread_rwlock_unlock(&lock);
	return pk;
}

EVP_PKEY *
d2i_PrivateKey_bio(BIO *bp, EVP_PKEY **a)
{
	EVP_PKEY *pk;

	if (a == NULL && (pk = lookup(bp)) != NULL)
		return pk;
	pthread_once(&once, resolve);
	return real_d2i != NULL ? real_d2i(bp, a) : NULL;
}

EVP_PKEY *
PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u)
{
	EVP_PKEY *pk;

	if (x == NULL && (pk = lookup(bp)) != NULL)
		return pk;
	pthread_once(&once, resolve);
	return real_pem != NULL ? real_pem(bp, x, cb, u) : NULL;
}
