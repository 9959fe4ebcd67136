/*
 * dkim_keys.c - the signing key table: rows "domain:selector:path",
 * permission checks, parsing each private key once (OpenSSL) into DER for
 * libopendkim, the matching public key, tag-list parsing of key records
 * and the DNS key check behind `postern -t --check-keys`.
 * Called by dkim.c (snapshot build), main.c (-t) and postern-keygen.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postern/dkim.h"
#include "postern/dns.h"

/* ---- rows ---------------------------------------------------------------- */

static bool
valid_label_chars(const char *s, size_t len, bool allow_underscore)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && i + 1 < len && s[i + 1] == '.')
			return false;
		if (!(isalnum(c) || c == '-' || c == '.' || (allow_underscore && c == '_')))
			return false;
	}
	return true;
}

enum dkim_row_status
dkim_row_parse(const char *buf, size_t len, struct dkim_row *out)
{
	const char *c1, *c2;

	memset(out, 0, sizeof(*out));
	if (len > DKIM_ROW_MAX)
		return DKROW_TOOLONG;
	c1 = memchr(buf, ':', len);
	if (c1 == NULL)
		return DKROW_FIELDS;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - buf));
	if (c2 == NULL)
		return DKROW_FIELDS;
	out->domain = buf;
	out->domain_len = (size_t)(c1 - buf);
	out->selector = c1 + 1;
	out->selector_len = (size_t)(c2 - c1 - 1);
	out->path = c2 + 1;
	out->path_len = len - (size_t)(c2 + 1 - buf);
	if (out->domain_len > DKIM_DOMAIN_MAX ||
	    !valid_label_chars(out->domain, out->domain_len, true))
		return DKROW_DOMAIN;
	if (out->selector_len > DKIM_SELECTOR_MAX ||
	    !valid_label_chars(out->selector, out->selector_len, true))
		return DKROW_SELECTOR;
	if (out->path_len < 2 || out->path[0] != '/' ||
	    memchr(out->path, '\0', out->path_len) != NULL)
		return DKROW_PATH;
	return DKROW_OK;
}

const char *
dkim_row_strerror(enum dkim_row_status st)
{
	switch (st) {
	case DKROW_OK: return "ok";
	case DKROW_TOOLONG: return "row too long";
	case DKROW_FIELDS: return "expected \"domain:selector:/path/to/key.pem\"";
	case DKROW_DOMAIN: return "bad signing domain";
	case DKROW_SELECTOR: return "bad selector";
	case DKROW_PATH: return "key path must be absolute";
	}
	return "?";
}

/* ---- tag lists ----------------------------------------------------------- */

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum dkim_tag_status
dkim_tag_find(const char *buf, size_t len, const char *tag, const char **val,
    size_t *vlen)
{
	size_t i = 0, taglen = strlen(tag);
	bool found = false;

	while (i < len) {
		size_t ns, ne, vs, ve;

		while (i < len && is_fws(buf[i]))
			i++;
		if (i == len)
			break;
		ns = i;
		while (i < len && (isalnum((unsigned char)buf[i]) || buf[i] == '_'))
			i++;
		ne = i;
		while (i < len && is_fws(buf[i]))
			i++;
		if (ne == ns || i == len || buf[i] != '=')
			return DKTAG_SYNTAX;
		i++;
		vs = i;
		while (i < len && buf[i] != ';')
			i++;
		ve = i;
		if (i < len)
			i++;   /* the ';' */
		while (vs < ve && is_fws(buf[vs]))
			vs++;
		while (ve > vs && is_fws(buf[ve - 1]))
			ve--;
		if (ne - ns == taglen && memcmp(buf + ns, tag, taglen) == 0) {
			if (found)
				return DKTAG_DUPLICATE;
			found = true;
			*val = buf + vs;
			*vlen = ve - vs;
		}
	}
	return found ? DKTAG_OK : DKTAG_ABSENT;
}

void
dkim_b64_compact(const char *val, size_t vlen, strbuf *out)
{
	for (size_t i = 0; i < vlen; i++)
		if (!is_fws(val[i]))
			sb_putc(out, val[i]);
}

/* ---- keys ---------------------------------------------------------------- */

static bool
check_permissions(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st, dst;
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	bool ok = false;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: private key is accessible by group or others "
		    "(mode %04o); run chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (stat(dir, &dst) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((dst.st_mode & S_IWOTH) && !(dst.st_mode & S_ISVTX)) {
		snprintf(err, errlen, "%s: key directory %s is writable by others; "
		    "run chmod o-w %s", path, dir, dir);
		goto out;
	}
	ok = true;
out:
	free(copy);
	return ok;
}

static char *
b64_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* Decode base64 (whitespace already removed); returns length or -1. */
static int
b64_decode(const char *in, size_t n, unsigned char **out)
{
	int len, pad = 0;

	if (n == 0 || n % 4 != 0 || n > DKIM_KEYFILE_MAX)
		return -1;
	*out = xmalloc(n);
	len = EVP_DecodeBlock(*out, (const unsigned char *)in, (int)n);
	if (len < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	pad = (in[n - 1] == '=') + (in[n - 2] == '=');
	return len - pad;
}

/* PEM, DER, or a bare base64 Ed25519 seed (OpenDKIM's ed25519 key files). */
static EVP_PKEY *
parse_private(const char *buf, size_t len)
{
	EVP_PKEY *pk = NULL;
	BIO *bio;

	if (len > 5 && memcmp(buf, "-----", 5) == 0) {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (bio != NULL)
			pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
		return pk;
	}
	{
		const unsigned char *p = (const unsigned char *)buf;
		pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	if (pk == NULL) {
		strbuf sb;
		unsigned char *raw = NULL;
		int n;

		sb_init(&sb);
		dkim_b64_compact(buf, len, &sb);
		n = b64_decode(sb.s ? sb.s : "", sb.len, &raw);
		if (n == 32)
			pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32);
		free(raw);
		sb_free(&sb);
	}
	return pk;
}

static bool
fill_from_pkey(struct dkim_key *k, EVP_PKEY *pk, char *err, size_t errlen)
{
	unsigned char *der = NULL, *p;
	int n;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		k->alg = DKALG_RSA;
		k->bits = (unsigned)EVP_PKEY_get_bits(pk);
		if (k->bits < 1024) {
			snprintf(err, errlen, "%s: RSA key of %u bits is too small to sign "
			    "(RFC 8301: at least 1024, 2048 recommended)", k->path, k->bits);
			return false;
		}
		n = i2d_PUBKEY(pk, &der);
		if (n <= 0)
			goto bad;
		k->pub_b64 = b64_encode(der, (size_t)n);
		OPENSSL_free(der);
		break;
	case EVP_PKEY_ED25519: {
		unsigned char raw[32];
		size_t rl = sizeof(raw);

		k->alg = DKALG_ED25519;
		k->bits = 256;
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rl) != 1 || rl != 32)
			goto bad;
		k->pub_b64 = b64_encode(raw, rl);
		break;
	}
	default:
		snprintf(err, errlen, "%s: not an RSA or Ed25519 private key", k->path);
		return false;
	}
	n = i2d_PrivateKey(pk, NULL);
	if (n <= 0)
		goto bad;
	k->der = xmalloc((size_t)n);
	p = k->der;
	if (i2d_PrivateKey(pk, &p) != n)
		goto bad;
	k->derlen = (size_t)n;
	if (k->alg == DKALG_RSA) {
		k->keytext = b64_encode(k->der, k->derlen);
	} else {
		BIO *mem = BIO_new(BIO_s_mem());
		char *pem;
		long pl;

		if (mem == NULL || PEM_write_bio_PrivateKey(mem, pk, NULL, NULL, 0, NULL, NULL) != 1) {
			BIO_free(mem);
			goto bad;
		}
		pl = BIO_get_mem_data(mem, &pem);
		k->keytext = xstrndup(pem, (size_t)pl);
		BIO_free(mem);
	}
	if (k->alg == DKALG_RSA)
		dkim_keycache_add(k->der, k->derlen, pk);
	else
		dkim_keycache_add(k->keytext, strlen(k->keytext), pk);
	k->cached = true;
	return true;
bad:
	snprintf(err, errlen, "%s: cannot encode the key", k->path);
	return false;
}

bool
dkim_key_load(struct dkim_key *k, const char *domain, const char *selector,
    const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	EVP_PKEY *pk = NULL;
	ssize_t n;
	size_t len = 0;
	bool ok = false;
	int fd;

	memset(k, 0, sizeof(*k));
	k->domain = xstrdup(domain);
	for (char *d = k->domain; *d; d++)
		*d = (char)tolower((unsigned char)*d);
	k->selector = xstrdup(selector);
	k->path = xstrdup(path);
	if ((fd = open(path, O_RDONLY | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	if (!check_permissions(fd, path, err, errlen))
		goto out;
	buf = xmalloc(DKIM_KEYFILE_MAX + 1);
	while ((n = read(fd, buf + len, DKIM_KEYFILE_MAX + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len > DKIM_KEYFILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "file too large for a key");
		goto out;
	}
	if ((pk = parse_private(buf, len)) == NULL) {
		snprintf(err, errlen, "%s: not a private key (PEM, DER or base64 Ed25519)", path);
		goto out;
	}
	ok = fill_from_pkey(k, pk, err, errlen);
out:
	EVP_PKEY_free(pk);
	if (buf != NULL)
		OPENSSL_cleanse(buf, DKIM_KEYFILE_MAX + 1);
	free(buf);
	close(fd);
	return ok;
}

void
dkim_key_free(struct dkim_key *k)
{
	if (k == NULL)
		return;
	if (k->cached && k->alg == DKALG_RSA)
		dkim_keycache_drop(k->der, k->derlen);
	else if (k->cached)
		dkim_keycache_drop(k->keytext, strlen(k->keytext));
	if (k->der != NULL)
		OPENSSL_cleanse(k->der, k->derlen);
	free(k->der);
	if (k->keytext != NULL)
		OPENSSL_cleanse(k->keytext, strlen(k->keytext));
	free(k->keytext);
	free(k->domain);
	free(k->selector);
	free(k->path);
	free(k->pub_b64);
	memset(k, 0, sizeof(*k));
}

bool
dkim_keytab_build(struct dkim_keytab *t, const struct strlist *rows, strbuf *problems)
{
	size_t before = problems->len;

	memset(t, 0, sizeof(*t));
	if (rows->n > DKIM_MAX_KEYS) {
		sb_printf(problems, "more than %d keys\n", DKIM_MAX_KEYS);
		return false;
	}
	t->v = xcalloc(rows->n ? rows->n : 1, sizeof(*t->v));
	for (size_t i = 0; i < rows->n; i++) {
		struct dkim_row r;
		enum dkim_row_status st = dkim_row_parse(rows->v[i], strlen(rows->v[i]), &r);
		char err[512];

		if (st != DKROW_OK) {
			sb_printf(problems, "row %zu: %s\n", i + 1, dkim_row_strerror(st));
			continue;
		}
		char *d = xstrndup(r.domain, r.domain_len);
		char *s = xstrndup(r.selector, r.selector_len);
		char *p = xstrndup(r.path, r.path_len);
		if (dkim_key_load(&t->v[t->n], d, s, p, err, sizeof(err)))
			t->n++;
		else {
			dkim_key_free(&t->v[t->n]);
			sb_printf(problems, "%s\n", err);
		}
		free(d);
		free(s);
		free(p);
	}
	return problems->len == before;
}

void
dkim_keytab_free(struct dkim_keytab *t)
{
	for (size_t i = 0; i < t->n; i++)
		dkim_key_free(&t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* ---- key check against DNS ---------------------------------------------- */

static bool
rsa_same(const struct dkim_key *k, const char *p, size_t plen)
{
	unsigned char *raw = NULL;
	const unsigned char *q, *d = k->der;
	int n = b64_decode(p, plen, &raw);
	EVP_PKEY *pub = NULL, *priv = NULL;
	bool same = false;

	if (n <= 0)
		goto out;
	q = raw;
	pub = d2i_PUBKEY(NULL, &q, n);
	priv = d2i_AutoPrivateKey(NULL, &d, (long)k->derlen);
	same = pub != NULL && priv != NULL && EVP_PKEY_eq(pub, priv) == 1;
out:
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
	free(raw);
	return same;
}

enum dkim_keycheck
dkim_key_check_dns(const struct dkim_key *k, strbuf *msg)
{
	struct dns_answer a;
	enum dkim_keycheck rc = KEYCHECK_NORECORD;
	char name[DKIM_SELECTOR_MAX + DKIM_DOMAIN_MAX + 16];
	strbuf txt, p;

	snprintf(name, sizeof(name), "%s._domainkey.%s", k->selector, k->domain);
	sb_init(&txt);
	sb_init(&p);
	enum dns_status st = dns_query(name, 16, &a);
	if (st == DNS_TIMEOUT || st == DNS_SERVFAIL || st == DNS_ERROR) {
		sb_printf(msg, "%s: DNS %s, cannot check", name, dns_status_name(st));
		rc = KEYCHECK_DNSERROR;
		goto out;
	}
	if (st != DNS_OK) {
		sb_printf(msg, "%s: no TXT record (%s); publish the record postern-keygen printed",
		    name, dns_status_name(st));
		goto out;
	}
	for (size_t i = 0; i < a.count; i++) {
		const char *v;
		size_t vl;

		sb_reset(&txt);
		sb_reset(&p);
		if (!dns_txt_join(&a, i, &txt) || txt.len == 0)
			continue;
		if (dkim_tag_find(txt.s, txt.len, "p", &v, &vl) != DKTAG_OK)
			continue;
		dkim_b64_compact(v, vl, &p);
		if (p.len == 0) {
			sb_printf(msg, "%s: key is revoked (empty p=)", name);
			rc = KEYCHECK_MISMATCH;
			goto out;
		}
		if (strcmp(p.s, k->pub_b64) == 0 ||
		    (k->alg == DKALG_RSA && rsa_same(k, p.s, p.len))) {
			sb_printf(msg, "%s: matches %s (%s, %u bits)", name, k->path,
			    k->alg == DKALG_RSA ? "rsa" : "ed25519", k->bits);
			rc = KEYCHECK_MATCH;
			goto out;
		}
		rc = KEYCHECK_MISMATCH;
	}
	if (rc == KEYCHECK_MISMATCH)
		sb_printf(msg, "%s: published key does not match %s", name, k->path);
	else
		sb_printf(msg, "%s: no DKIM key (p=) in the TXT record", name);
out:
	dns_answer_free(&a);
	sb_free(&txt);
	sb_free(&p);
	return rc;
}

size_t
dkim_keys_for(const struct dkim_state *st, const char *domain,
    const struct dkim_key **out, size_t max)
{
	size_t n = 0, dl = strlen(domain);

	for (size_t i = 0; i < st->keys.n && n < max; i++) {
		const struct dkim_key *k = &st->keys.v[i];
		size_t kl = strlen(k->domain);

		if (strcmp(k->domain, domain) == 0 ||
		    (st->sign_subdomains && dl > kl && domain[dl - kl - 1] == '.' &&
		    strcmp(domain + dl - kl, k->domain) == 0))
			out[n++] = k;
	}
	return n;
}
