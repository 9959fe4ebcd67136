/*
 * dkim_keyrec.c - DKIM key records (RFC 6376 3.6.1) rewritten into the form
 * libopendkim accepts, before its DNS hook hands them over (dkim_dns.c):
 *   - p= holding a PKCS#1 RSAPublicKey (published by real domains; RFC 6376
 *     asks for SubjectPublicKeyInfo but verifiers such as Mail::DKIM and
 *     dkimpy take both, libopendkim refuses it) is wrapped into a
 *     SubjectPublicKeyInfo with the rsaEncryption algorithm, checked with
 *     OpenSSL before it is used;
 *   - g= is dropped: RFC 6376 removed the granularity tag of RFC 4871 and
 *     says to ignore it (appendix C.7), libopendkim still enforces it.
 * Pure apart from OpenSSL; (buf, len) in, a new record out.
 */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

#include "postern/dkim.h"

#define KEY_MAX 8192   /* decoded key bytes */

/* DER length at p (n bytes left): sets *len and *hdr (bytes of the
 * length octets); false if malformed. */
static bool
der_len(const unsigned char *p, size_t n, size_t *len, size_t *hdr)
{
	if (n == 0)
		return false;
	if (p[0] < 0x80) {
		*len = p[0];
		*hdr = 1;
		return true;
	}
	size_t k = p[0] & 0x7f, v = 0;
	if (k == 0 || k > 3 || n < 1 + k)
		return false;
	for (size_t i = 0; i < k; i++)
		v = v << 8 | p[1 + i];
	*len = v;
	*hdr = 1 + k;
	return true;
}

static size_t
put_len(unsigned char *o, size_t len)
{
	if (len < 0x80) {
		o[0] = (unsigned char)len;
		return 1;
	}
	if (len < 0x100) {
		o[0] = 0x81;
		o[1] = (unsigned char)len;
		return 2;
	}
	o[0] = 0x82;
	o[1] = (unsigned char)(len >> 8);
	o[2] = (unsigned char)len;
	return 3;
}

/* A PKCS#1 RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e } filling der. */
static bool
is_pkcs1(const unsigned char *der, size_t n)
{
	size_t len, hdr;

	if (n < 2 || der[0] != 0x30 || !der_len(der + 1, n - 1, &len, &hdr) || 1 + hdr + len != n)
		return false;
	return der[1 + hdr] == 0x02;
}

/* Wrap PKCS#1 der into SubjectPublicKeyInfo; out needs n + 32 bytes. */
static size_t
wrap_spki(const unsigned char *der, size_t n, unsigned char *out)
{
	static const unsigned char alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
		0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
	unsigned char bitlen[4], seqlen[4];
	size_t bl = put_len(bitlen, n + 1), inner = sizeof(alg) + 1 + bl + 1 + n,
	       sl = put_len(seqlen, inner), o = 0;

	out[o++] = 0x30;
	memcpy(out + o, seqlen, sl);
	o += sl;
	memcpy(out + o, alg, sizeof(alg));
	o += sizeof(alg);
	out[o++] = 0x03;
	memcpy(out + o, bitlen, bl);
	o += bl;
	out[o++] = 0x00;   /* no unused bits */
	memcpy(out + o, der, n);
	return o + n;
}

/* The SubjectPublicKeyInfo base64 for a PKCS#1 p= value, or false. */
static bool
convert_p(const char *val, size_t vlen, strbuf *out)
{
	strbuf b64;
	unsigned char *der = NULL, *spki = NULL, *enc = NULL;
	const unsigned char *q;
	EVP_PKEY *pk = NULL;
	size_t n, pad = 0, sn;
	int dl;
	bool ok = false;

	sb_init(&b64);
	dkim_b64_compact(val, vlen, &b64);
	if (b64.len == 0 || b64.len % 4 != 0 || b64.len / 4 * 3 > KEY_MAX)
		goto out;
	der = xmalloc(b64.len / 4 * 3 + 1);
	dl = EVP_DecodeBlock(der, (const unsigned char *)b64.s, (int)b64.len);
	if (dl < 0)
		goto out;
	while (pad < 2 && b64.len > pad && b64.s[b64.len - 1 - pad] == '=')
		pad++;
	n = (size_t)dl - pad;
	if (!is_pkcs1(der, n))
		goto out;
	spki = xmalloc(n + 32);
	sn = wrap_spki(der, n, spki);
	q = spki;
	pk = d2i_PUBKEY(NULL, &q, (long)sn);
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA || q != spki + sn)
		goto out;
	enc = xmalloc(sn / 3 * 4 + 8);
	dl = EVP_EncodeBlock(enc, spki, (int)sn);
	sb_append(out, (const char *)enc, (size_t)dl);
	ok = true;
out:
	EVP_PKEY_free(pk);
	free(enc);
	free(spki);
	free(der);
	sb_free(&b64);
	return ok;
}

static bool
wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool
dkim_keyrec_fix(const char *buf, size_t len, strbuf *out)
{
	size_t pos = 0;
	bool changed = false, first = true;

	sb_reset(out);
	while (pos <= len) {
		const char *semi = memchr(buf + pos, ';', len - pos);
		size_t end = semi != NULL ? (size_t)(semi - buf) : len;
		const char *t = buf + pos, *eq;
		size_t tl = end - pos, nl;

		pos = end + 1;
		while (tl > 0 && wsp(*t))
			t++, tl--;
		while (tl > 0 && wsp(t[tl - 1]))
			tl--;
		if (tl > 0) {
			eq = memchr(t, '=', tl);
			nl = eq != NULL ? (size_t)(eq - t) : tl;
			while (nl > 0 && wsp(t[nl - 1]))
				nl--;
			if (eq != NULL && nl == 1 && t[0] == 'g') {
				changed = true;   /* RFC 6376 C.7: ignored */
			} else {
				if (!first)
					sb_puts(out, "; ");
				first = false;
				if (eq != NULL && nl == 1 && t[0] == 'p') {
					const char *v = eq + 1;
					size_t vl = tl - (size_t)(v - t);
					strbuf conv;

					sb_init(&conv);
					if (convert_p(v, vl, &conv)) {
						sb_puts(out, "p=");
						sb_append(out, conv.s, conv.len);
						changed = true;
					} else {
						sb_append(out, t, tl);
					}
					sb_free(&conv);
				} else {
					sb_append(out, t, tl);
				}
			}
		}
		if (semi == NULL)
			break;
	}
	return changed;
}
