/*
 * arc.c - ARC chain validation (RFC 8617 5.2) for one message.
 *
 * Owns the message's header fields (bounded: ARC_MAX_HDRS fields,
 * ARC_MAX_HDR_BYTES bytes), its ARC sets by instance, the two streaming
 * body hashes (simple, relaxed: nothing of the body is kept) and the keys
 * it fetched (TXT at s._domainkey.d through dns.c, at most ARC_MAX_KEYS).
 * At end of message: structure (each instance 1..N exactly once with its
 * three fields, N <= 50, cv= none for 1 and pass above), the newest AS's
 * cv=fail, the newest AMS, every AS from N down, then (a passing chain
 * only) the oldest-pass value from the older AMSes.
 * Called by check_arc.c and tests/tools/arcrun.
 */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arc_int.h"
#include "postern/arc.h"
#include "postern/dns.h"

enum kind { K_AAR, K_AMS, K_AS, K_NKIND };

struct hdr {
	char *name, *value;
};

struct key {
	char name[ARC_NAME_MAX + 20];
	EVP_PKEY *pkey;  /* NULL: see err */
	char err[64];
};

struct arc_msg {
	struct hdr *h;
	size_t nh, cap, bytes;
	bool present, overflow;
	char bad[96];             /* structure problem found at eoh */
	unsigned n;               /* highest instance */
	int set[ARC_MAX_INSTANCE + 1][K_NKIND]; /* header index or -1 */
	bool hashing;
	struct bodycanon body[2]; /* simple, relaxed */
	unsigned char bh[2][32];
	struct key keys[ARC_MAX_KEYS];
	size_t nkeys;
};

static const char *const kind_name[K_NKIND] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
};

const char *
arc_cv_name(enum arc_cv cv)
{
	return cv == ARC_CV_PASS ? "pass" : cv == ARC_CV_FAIL ? "fail" : "none";
}

struct arc_msg *
arc_msg_new(void)
{
	struct arc_msg *a = xcalloc(1, sizeof(*a));

	memset(a->set, -1, sizeof(a->set));
	return a;
}

void
arc_msg_free(struct arc_msg *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nh; i++) {
		free(a->h[i].name);
		free(a->h[i].value);
	}
	free(a->h);
	if (a->hashing) {
		bodycanon_free(&a->body[0]);
		bodycanon_free(&a->body[1]);
	}
	for (size_t i = 0; i < a->nkeys; i++)
		EVP_PKEY_free(a->keys[i].pkey);
	free(a);
}

static int
kind_of(const char *name)
{
	for (int k = 0; k < K_NKIND; k++)
		if (strcasecmp(name, kind_name[k]) == 0)
			return k;
	return -1;
}

void
arc_msg_header(struct arc_msg *a, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value);

	if (kind_of(name) >= 0)
		a->present = true;
	if (a->overflow)
		return;
	if (a->nh == ARC_MAX_HDRS || a->bytes + len > ARC_MAX_HDR_BYTES) {
		a->overflow = true;
		return;
	}
	if (a->nh == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->h = xrealloc(a->h, a->cap * sizeof(*a->h));
	}
	a->h[a->nh].name = xstrdup(name);
	a->h[a->nh].value = xstrdup(value);
	a->nh++;
	a->bytes += len;
}

bool
arc_msg_present(const struct arc_msg *a)
{
	return a->present;
}

/* The i= of an AMS or AS value: 1..50, 0 if bad. */
static unsigned
sig_instance(const char *v)
{
	struct arc_tags t;
	const struct arc_tag *i;
	unsigned n = 0;

	if (arc_tags_parse(v, strlen(v), &t) != ARC_TAGS_OK || (i = arc_tags_get(&t, "i")) == NULL ||
	    i->vlen == 0 || i->vlen > 2 || i->value[0] == '0')
		return 0;
	for (size_t k = 0; k < i->vlen; k++) {
		if (i->value[k] < '0' || i->value[k] > '9')
			return 0;
		n = n * 10 + (unsigned)(i->value[k] - '0');
	}
	return n <= ARC_MAX_INSTANCE ? n : 0;
}

#define BAD(...) (snprintf(a->bad, sizeof(a->bad), __VA_ARGS__), (void)0)

void
arc_msg_eoh(struct arc_msg *a)
{
	if (!a->present) {
		/* no ARC field: nothing to verify, drop the copies now */
		for (size_t i = 0; i < a->nh; i++) {
			free(a->h[i].name);
			free(a->h[i].value);
		}
		a->nh = 0;
		return;
	}
	if (a->overflow) {
		BAD("over the header limits");
		return;
	}
	for (size_t h = 0; h < a->nh && a->bad[0] == '\0'; h++) {
		int k = kind_of(a->h[h].name);
		unsigned i;

		if (k < 0)
			continue;
		i = k == K_AAR ? arc_aar_instance(a->h[h].value, strlen(a->h[h].value))
		               : sig_instance(a->h[h].value);
		if (i == 0)
			BAD("%s without a valid i=", kind_name[k]);
		else if (a->set[i][k] >= 0)
			BAD("two %s with i=%u", kind_name[k], i);
		else {
			a->set[i][k] = (int)h;
			if (i > a->n)
				a->n = i;
		}
	}
	for (unsigned i = 1; i <= a->n && a->bad[0] == '\0'; i++)
		for (int k = 0; k < K_NKIND && a->bad[0] == '\0'; k++)
			if (a->set[i][k] < 0)
				BAD("no %s with i=%u", kind_name[k], i);
	if (a->bad[0] != '\0')
		return;
	bodycanon_init(&a->body[0], false, BODYCANON_SHA256, BODYCANON_NOLIMIT);
	bodycanon_init(&a->body[1], true, BODYCANON_SHA256, BODYCANON_NOLIMIT);
	a->hashing = true;
}

void
arc_msg_body(struct arc_msg *a, const unsigned char *buf, size_t len)
{
	if (!a->hashing)
		return;
	bodycanon_feed(&a->body[0], buf, len);
	bodycanon_feed(&a->body[1], buf, len);
}

/* ---- verification ------------------------------------------------------ */

static bool
tag_is(const struct arc_tag *t, const char *s)
{
	return t != NULL && t->vlen == strlen(s) && memcmp(t->value, s, t->vlen) == 0;
}

/* A domain name (or selector): dot-separated labels of letters, digits,
 * hyphens and underscores, none empty. */
static bool
valid_name(const struct arc_tag *t)
{
	size_t lab = 0;

	if (t == NULL || t->vlen == 0 || t->vlen >= ARC_NAME_MAX)
		return false;
	for (size_t i = 0; i < t->vlen; i++) {
		char c = t->value[i];
		if (c == '.') {
			if (lab == 0)
				return false;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		           c == '-' || c == '_') {
			if (++lab > 63)
				return false;
		} else
			return false;
	}
	return lab > 0;
}

static bool
valid_time(const struct arc_tag *t)
{
	if (t == NULL)
		return true;
	if (t->vlen == 0 || t->vlen > 12)
		return false;
	for (size_t i = 0; i < t->vlen; i++)
		if (t->value[i] < '0' || t->value[i] > '9')
			return false;
	return true;
}

/* The key of s._domainkey.d (cached for the message); NULL with why. */
static EVP_PKEY *
get_key(struct arc_msg *a, const struct arc_tag *s, const struct arc_tag *d, const char **why)
{
	char name[ARC_NAME_MAX + 20];
	struct dns_answer ans;
	enum dns_status st;
	struct key *k;
	strbuf txt;

	snprintf(name, sizeof(name), "%.*s._domainkey.%.*s", (int)s->vlen, s->value, (int)d->vlen,
	    d->value);
	for (size_t i = 0; i < a->nkeys; i++)
		if (strcasecmp(a->keys[i].name, name) == 0) {
			*why = a->keys[i].err;
			return a->keys[i].pkey;
		}
	if (a->nkeys == ARC_MAX_KEYS) {
		*why = "too many keys";
		return NULL;
	}
	k = &a->keys[a->nkeys++];
	snprintf(k->name, sizeof(k->name), "%s", name);
	*why = k->err;
	if (!dns_name_askable(name)) {
		snprintf(k->err, sizeof(k->err), "key name cannot be asked");
		return NULL;
	}
	st = dns_query(name, 16, &ans);
	if (st != DNS_OK) {
		snprintf(k->err, sizeof(k->err), "key %s", st == DNS_NXDOMAIN || st == DNS_NODATA
		    ? "not found" : "temperror");
		dns_answer_free(&ans);
		return NULL;
	}
	sb_init(&txt);
	snprintf(k->err, sizeof(k->err), "no usable key record");
	for (size_t r = 0; r < ans.count && k->pkey == NULL; r++) {
		struct arc_tags t;
		const struct arc_tag *p, *v, *kt, *h;
		unsigned char der[2048];
		const unsigned char *q = der;
		size_t dlen;

		sb_reset(&txt);
		if (!dns_txt_join(&ans, r, &txt) || arc_tags_parse(txt.s, txt.len, &t) != ARC_TAGS_OK)
			continue;
		v = arc_tags_get(&t, "v");
		kt = arc_tags_get(&t, "k");
		h = arc_tags_get(&t, "h");
		p = arc_tags_get(&t, "p");
		if ((v != NULL && (!tag_is(v, "DKIM1") || t.t[0].name != v->name)) ||
		    (kt != NULL && !tag_is(kt, "rsa")) || p == NULL)
			continue;
		if (h != NULL && memmem(h->value, h->vlen, "sha256", 6) == NULL)
			continue;
		if (p->vlen == 0) {
			snprintf(k->err, sizeof(k->err), "key revoked");
			continue;
		}
		if (!arc_base64(p->value, p->vlen, der, sizeof(der), &dlen))
			continue;
		if ((k->pkey = d2i_PUBKEY(NULL, &q, (long)dlen)) == NULL) {
			q = der;
			k->pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)dlen); /* PKCS#1 */
		}
		if (k->pkey != NULL && (EVP_PKEY_base_id(k->pkey) != EVP_PKEY_RSA ||
		    EVP_PKEY_bits(k->pkey) < 1024)) {
			snprintf(k->err, sizeof(k->err), "key not RSA or under 1024 bits");
			EVP_PKEY_free(k->pkey);
			k->pkey = NULL;
		}
	}
	sb_free(&txt);
	dns_answer_free(&ans);
	return k->pkey;
}

/* RSA-SHA256 over data with the signature in b=; NULL or why not. */
static const char *
rsa_verify(struct arc_msg *a, const struct arc_tags *t, const strbuf *data)
{
	const struct arc_tag *b = arc_tags_get(t, "b");
	unsigned char sig[1024];
	size_t slen;
	const char *why;
	EVP_PKEY *key;
	EVP_MD_CTX *md;
	int ok;

	if (b == NULL || !arc_base64(b->value, b->vlen, sig, sizeof(sig), &slen))
		return "b= missing or not base64";
	if ((key = get_key(a, arc_tags_get(t, "s"), arc_tags_get(t, "d"), &why)) == NULL)
		return why;
	if ((md = EVP_MD_CTX_new()) == NULL)
		die("arc: EVP_MD_CTX_new failed");
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, slen, (const unsigned char *)data->s, data->len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? NULL : "signature does not verify";
}

/* The field's value with the b= value (and its white space) emptied. */
static void
strip_b(strbuf *out, const char *value, const struct arc_tag *b)
{
	sb_append(out, value, b->raw_off);
	sb_puts(out, value + b->raw_end);
}

/* Verify the AMS of instance i; NULL or why not. */
static const char *
verify_ams(struct arc_msg *a, unsigned i)
{
	int self = a->set[i][K_AMS];
	const char *value = a->h[self].value, *why;
	const struct arc_tag *c, *h, *bh;
	bool used[ARC_MAX_HDRS] = { false };
	bool hrel, brel;
	unsigned char want[64];
	size_t wlen;
	struct arc_tags t;
	strbuf data, stripped;

	if (arc_tags_parse(value, strlen(value), &t) != ARC_TAGS_OK)
		return "AMS tag list malformed";
	if (!tag_is(arc_tags_get(&t, "a"), "rsa-sha256"))
		return "AMS a= not rsa-sha256";
	if (!valid_name(arc_tags_get(&t, "d")) || !valid_name(arc_tags_get(&t, "s")))
		return "AMS d= or s= missing or invalid";
	if (arc_tags_get(&t, "l") != NULL)
		return "AMS l= not allowed";
	if (!valid_time(arc_tags_get(&t, "t")))
		return "AMS t= invalid";
	if ((h = arc_tags_get(&t, "h")) == NULL)
		return "AMS h= missing";
	if ((c = arc_tags_get(&t, "c")) == NULL || tag_is(c, "simple") || tag_is(c, "simple/simple"))
		hrel = brel = false;
	else if (tag_is(c, "relaxed") || tag_is(c, "relaxed/simple"))
		hrel = true, brel = false;
	else if (tag_is(c, "relaxed/relaxed"))
		hrel = brel = true;
	else if (tag_is(c, "simple/relaxed"))
		hrel = false, brel = true;
	else
		return "AMS c= invalid";
	if ((bh = arc_tags_get(&t, "bh")) == NULL ||
	    !arc_base64(bh->value, bh->vlen, want, sizeof(want), &wlen) || wlen != 32)
		return "AMS bh= missing or invalid";
	if (arc_tags_get(&t, "b") == NULL || arc_tags_get(&t, "b")->vlen == 0)
		return "AMS b= missing";
	if (memcmp(want, a->bh[brel], 32) != 0)
		return "AMS body hash differs";

	sb_init(&data);
	sb_init(&stripped);
	why = NULL;
	for (size_t p = 0; p <= h->vlen && why == NULL;) {
		size_t e = p, s, f;
		while (e < h->vlen && h->value[e] != ':')
			e++;
		s = p, f = e;
		while (s < f && (h->value[s] == ' ' || h->value[s] == '\t' || h->value[s] == '\r' ||
		                 h->value[s] == '\n'))
			s++;
		while (f > s && (h->value[f - 1] == ' ' || h->value[f - 1] == '\t' ||
		                 h->value[f - 1] == '\r' || h->value[f - 1] == '\n'))
			f--;
		if (f - s == 8 && strncasecmp(h->value + s, "arc-seal", 8) == 0)
			why = "AMS h= signs ARC-Seal";
		for (size_t k = a->nh; why == NULL && f > s && k-- > 0;) {
			if ((int)k == self || used[k] || strlen(a->h[k].name) != f - s ||
			    strncasecmp(a->h[k].name, h->value + s, f - s) != 0)
				continue;
			used[k] = true;
			arc_canon_header(&data, a->h[k].name, a->h[k].value, hrel, true);
			break;
		}
		p = e + 1;
	}
	if (why == NULL) {
		strip_b(&stripped, value, arc_tags_get(&t, "b"));
		arc_canon_header(&data, a->h[self].name, stripped.s, hrel, false);
		why = rsa_verify(a, &t, &data);
	}
	sb_free(&stripped);
	sb_free(&data);
	return why;
}

/* Verify the AS of instance i over the sets 1..i; NULL or why not. */
static const char *
verify_as(struct arc_msg *a, unsigned i)
{
	int self = a->set[i][K_AS];
	const char *value = a->h[self].value, *why;
	struct arc_tags t;
	const struct arc_tag *cv;
	strbuf data, stripped;

	if (arc_tags_parse(value, strlen(value), &t) != ARC_TAGS_OK)
		return "AS tag list malformed";
	if (!tag_is(arc_tags_get(&t, "a"), "rsa-sha256"))
		return "AS a= not rsa-sha256";
	if (!valid_name(arc_tags_get(&t, "d")) || !valid_name(arc_tags_get(&t, "s")))
		return "AS d= or s= missing or invalid";
	if (arc_tags_get(&t, "h") != NULL)
		return "AS h= not allowed";
	if (!valid_time(arc_tags_get(&t, "t")))
		return "AS t= invalid";
	cv = arc_tags_get(&t, "cv");
	if (!tag_is(cv, i == 1 ? "none" : "pass"))
		return i == 1 ? "AS i=1 cv= not none" : "AS cv= not pass";
	if (arc_tags_get(&t, "b") == NULL || arc_tags_get(&t, "b")->vlen == 0)
		return "AS b= missing";
	sb_init(&data);
	sb_init(&stripped);
	for (unsigned j = 1; j <= i; j++) {
		const struct hdr *aar = &a->h[a->set[j][K_AAR]], *ams = &a->h[a->set[j][K_AMS]],
		    *as = &a->h[a->set[j][K_AS]];
		arc_canon_header(&data, aar->name, aar->value, true, true);
		arc_canon_header(&data, ams->name, ams->value, true, true);
		if (j < i)
			arc_canon_header(&data, as->name, as->value, true, true);
	}
	strip_b(&stripped, value, arc_tags_get(&t, "b"));
	arc_canon_header(&data, a->h[self].name, stripped.s, true, false);
	why = rsa_verify(a, &t, &data);
	sb_free(&stripped);
	sb_free(&data);
	return why;
}

#define FAIL(...) (out->cv = ARC_CV_FAIL, snprintf(out->reason, sizeof(out->reason), __VA_ARGS__), (void)0)

void
arc_msg_eom(struct arc_msg *a, struct arc_result *out)
{
	struct arc_tags t;
	const struct arc_tag *d;
	const char *why;
	const char *newest;

	memset(out, 0, sizeof(*out));
	if (!a->present)
		return;
	out->instances = a->n;
	if (a->bad[0] != '\0') {
		FAIL("%s", a->bad);
		return;
	}
	if (!a->hashing) {
		FAIL("end of headers not seen");
		return;
	}
	(void)bodycanon_final(&a->body[0], a->bh[0], NULL);
	(void)bodycanon_final(&a->body[1], a->bh[1], NULL);
	a->hashing = false;
	newest = a->h[a->set[a->n][K_AS]].value;
	if (arc_tags_parse(newest, strlen(newest), &t) != ARC_TAGS_OK) {
		FAIL("AS i=%u tag list malformed", a->n);
		return;
	}
	if (tag_is(arc_tags_get(&t, "cv"), "fail")) {
		FAIL("AS i=%u says cv=fail", a->n);
		return;
	}
	if ((why = verify_ams(a, a->n)) != NULL) {
		FAIL("AMS i=%u: %s", a->n, why);
		return;
	}
	for (unsigned i = a->n; i >= 1; i--)
		if ((why = verify_as(a, i)) != NULL) {
			FAIL("AS i=%u: %s", i, why);
			return;
		}
	/* oldest-pass (RFC 8617 5.2 step 5, optional) only for a chain that
	 * passes, so a broken chain costs no further key look-ups */
	for (unsigned i = a->n; i-- > 1;)
		if (verify_ams(a, i) != NULL) {
			out->oldest_pass = i + 1;
			break;
		}
	out->cv = ARC_CV_PASS;
	d = arc_tags_get(&t, "d");
	snprintf(out->sealer, sizeof(out->sealer), "%.*s", (int)d->vlen, d->value);
}
