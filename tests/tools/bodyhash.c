/*
 * bodyhash.c - differential test of postern's body canonicaliser
 * (filter/lib/bodycanon.c) against libopendkim's: for each message file,
 * the body (LF made CRLF as the MTA sends it, see replay_crlf) is hashed by
 * bodycanon in 7-byte and 65,535-byte chunks, and signed by libopendkim
 * (simple and relaxed body, rsa-sha256 and rsa-sha1, l= on, a throwaway
 * RSA key) so that its bh= and l= show its own canonical hash and length.
 *
 *     bodyhash [-q] FILE...      (-q: rsa-sha256 only)
 *
 * One line per file and combination that differs:
 *   DIFF <why> <canon>/<hash> FILE
 * where why is "bare-cr" (the body has a CR not followed by LF),
 * "no-final-crlf" (it does not end with CRLF; libopendkim hashes no CRLF
 * for simple and refuses relaxed) or "other"; then one summary line
 *   SUMMARY files=N compared=M agree=A differ=D other=O
 * Exit status 1 when any difference is "other" or the two bodycanon
 * chunkings disagree (a streaming bug).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "postern/bodycanon.h"
#include "postern/replay.h"
#include "postern/util.h"

static char *
make_key(void)
{
	EVP_PKEY *pk = EVP_RSA_gen(1024);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (pk == NULL || bio == NULL || !PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL))
		die("bodyhash: cannot make an RSA key");
	n = BIO_get_mem_data(bio, &data);
	out = xmalloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return out;
}

static void
mine(const char *body, size_t n, bool relaxed, enum bodycanon_hash h, size_t chunk, char *b64,
    unsigned long long *len)
{
	struct bodycanon b;
	unsigned char d[BODYCANON_MAX_DIGEST];
	size_t dl;

	bodycanon_init(&b, relaxed, h, BODYCANON_NOLIMIT);
	for (size_t i = 0; i < n; i += chunk)
		bodycanon_feed(&b, (const unsigned char *)body + i, n - i < chunk ? n - i : chunk);
	dl = bodycanon_final(&b, d, len);
	EVP_EncodeBlock((unsigned char *)b64, d, (int)dl);
}

/* libopendkim's bh= and l= for the body; false when it refuses it */
static bool
theirs(DKIM_LIB *lib, const char *key, const char *body, size_t n, bool relaxed,
    enum bodycanon_hash h, char *b64, size_t b64size, unsigned long long *len)
{
	static const char hdr[] = "From: a@example.com";
	DKIM_STAT st;
	DKIM *dk;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	const char *bh, *l;
	bool ok = false;

	dk = dkim_sign(lib, (const u_char *)"bodyhash", NULL, (dkim_sigkey_t)key,
	    (const u_char *)"s", (const u_char *)"example.com", DKIM_CANON_RELAXED,
	    relaxed ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE,
	    h == BODYCANON_SHA1 ? DKIM_SIGN_RSASHA1 : DKIM_SIGN_RSASHA256, -1, &st);
	if (dk == NULL)
		die("bodyhash: dkim_sign: %d", (int)st);
	if (dkim_setpartial(dk, true) != DKIM_STAT_OK ||
	    dkim_header(dk, (u_char *)hdr, sizeof(hdr) - 1) != DKIM_STAT_OK ||
	    dkim_eoh(dk) != DKIM_STAT_OK)
		die("bodyhash: libopendkim refused the header");
	for (size_t i = 0; i < n; i += 65535)
		(void)dkim_body(dk, (u_char *)body + i, n - i < 65535 ? n - i : 65535);
	if (dkim_eom(dk, NULL) != DKIM_STAT_OK ||
	    dkim_getsighdr_d(dk, 0, &sig, &siglen) != DKIM_STAT_OK)
		goto out;
	bh = strstr((const char *)sig, "bh=");
	l = strstr((const char *)sig, " l=");
	if (bh == NULL || l == NULL)
		goto out;
	bh += 3;
	for (size_t k = 0; k + 1 < b64size && bh[k] && bh[k] != ';'; k++) {
		b64[k] = bh[k];
		b64[k + 1] = '\0';
	}
	*len = strtoull(l + 3, NULL, 10);
	ok = true;
out:
	dkim_free(dk);
	return ok;
}

static const char *
why(const char *body, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (body[i] == '\r' && (i + 1 == n || body[i + 1] != '\n'))
			return "bare-cr";
	if (n > 0 && (n < 2 || memcmp(body + n - 2, "\r\n", 2) != 0))
		return "no-final-crlf";
	return "other";
}

int
main(int argc, char **argv)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	char *key = make_key();
	unsigned long files = 0, compared = 0, agree = 0, differ = 0, other = 0;
	bool bad = false, quick = argc > 1 && strcmp(argv[1], "-q") == 0;

	if (lib == NULL)
		die("bodyhash: dkim_init failed");
	for (int a = quick ? 2 : 1; a < argc; a++) {
		strbuf raw, msg;
		bool cr = false;
		const char *sep;
		const char *body;
		size_t n;

		sb_init(&raw);
		sb_init(&msg);
		if (!replay_read(argv[a], &raw) || raw.len > 8u << 20)
			goto next;
		replay_crlf(&msg, raw.s, raw.len, &cr);
		if ((sep = memmem(msg.s, msg.len, "\r\n\r\n", 4)) == NULL)
			goto next;
		body = sep + 4;
		n = msg.len - (size_t)(body - msg.s);
		files++;
		for (int r = 0; r < 2; r++)
			for (int h = quick; h < 2; h++) {
				char m1[64], m2[64], t[64] = "";
				unsigned long long l1 = 0, l2 = 0, lt = 0;
				bool same;

				mine(body, n, r, h, 7, m1, &l1);
				mine(body, n, r, h, 65535, m2, &l2);
				if (strcmp(m1, m2) != 0 || l1 != l2) {
					printf("CHUNKING %s/%s %s\n", r ? "relaxed" : "simple",
					    h ? "sha256" : "sha1", argv[a]);
					bad = true;
				}
				compared++;
				same = theirs(lib, key, body, n, r, h, t, sizeof(t), &lt) &&
				    strcmp(t, m1) == 0 && lt == l1;
				if (same) {
					agree++;
					continue;
				}
				differ++;
				printf("DIFF %s %s/%s %s\n", why(body, n), r ? "relaxed" : "simple",
				    h ? "sha256" : "sha1", argv[a]);
				if (strcmp(why(body, n), "other") == 0) {
					other++;
					bad = true;
				}
			}
next:
		sb_free(&raw);
		sb_free(&msg);
	}
	printf("SUMMARY files=%lu compared=%lu agree=%lu differ=%lu other=%lu\n", files, compared,
	    agree, differ, other);
	free(key);
	dkim_close(lib);
	return bad ? 1 : 0;
}
