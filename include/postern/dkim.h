/*
 * dkim.h - the DKIM engine: verification and signing (libopendkim), the
 * signing key table, key checks and the DNS adapter that hands
 * filter/dns/dns.c to libopendkim.  It knows nothing of checks, sessions,
 * policies or header edits: the check (check_dkim.h) feeds it a message
 * and turns what it returns into A-R clauses, verdicts and edits.
 *
 * The key table and the libopendkim library handle belong to a config
 * snapshot: both are built at start-up and reload, never per message.
 * Private keys are read, permission-checked and parsed once; each message
 * gets its own signing/verifying handles.
 */
#ifndef POSTERN_DKIM_H
#define POSTERN_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include "postern/util.h"

#define DKIM_ROW_MAX 4096       /* one "domain:selector:path" row */
#define DKIM_MAX_KEYS 256       /* rows in dkim.keys */
#define DKIM_KEYFILE_MAX 65536  /* bytes of one private key file */
#define DKIM_DOMAIN_MAX 253
#define DKIM_SELECTOR_MAX 63
#define DKIM_MAX_HEADERS_KEPT 1000 /* headers kept for signing (limits.header_count caps it too) */

enum dkim_alg { DKALG_RSA = 0, DKALG_ED25519 };

struct dkim_key {
	char *domain;          /* signing domain (d=), lower case */
	char *selector;        /* s= */
	char *path;            /* private key file */
	enum dkim_alg alg;
	unsigned bits;         /* RSA modulus bits (256 for Ed25519) */
	unsigned char *der;    /* private key, DER, parsed once from the file */
	size_t derlen;
	char *keytext;         /* what dkim_sign() gets: base64 DER ("MII...",
	                          RSA) or PKCS#8 PEM (Ed25519); libopendkim
	                          takes keys only as NUL-terminated text */
	char *pub_b64;         /* the p= value that goes with it */
	bool cached;           /* registered with dkim_keycache_add */
};

struct dkim_keytab {
	struct dkim_key *v;
	size_t n;
};

/* ---- key table rows: "domain:selector:path" ----------------------------- */

enum dkim_row_status {
	DKROW_OK = 0,
	DKROW_TOOLONG,
	DKROW_FIELDS,      /* not three ':'-separated fields */
	DKROW_DOMAIN,      /* not a domain name */
	DKROW_SELECTOR,    /* not a selector (dot-separated labels) */
	DKROW_PATH,        /* not an absolute path */
};

struct dkim_row {
	const char *domain, *selector, *path;   /* point into the buffer */
	size_t domain_len, selector_len, path_len;
};

enum dkim_row_status dkim_row_parse(const char *buf, size_t len, struct dkim_row *out);
const char *dkim_row_strerror(enum dkim_row_status st);

/* ---- key records (tag=value lists, RFC 6376 3.2) ------------------------ */

enum dkim_tag_status { DKTAG_OK = 0, DKTAG_ABSENT, DKTAG_SYNTAX, DKTAG_DUPLICATE };

/* Find tag's value in a tag-list; the value is trimmed of surrounding
 * whitespace and points into buf. */
enum dkim_tag_status dkim_tag_find(const char *buf, size_t len, const char *tag,
    const char **val, size_t *vlen);
/* Copy a base64 value without its folding whitespace into out. */
void dkim_b64_compact(const char *val, size_t vlen, strbuf *out);
/* A key record as libopendkim takes it (dkim_keyrec.c): a PKCS#1
 * RSAPublicKey p= becomes SubjectPublicKeyInfo, g= is dropped (RFC 6376
 * C.7).  True when out holds a changed record (false: use the original). */
bool dkim_keyrec_fix(const char *buf, size_t len, strbuf *out);

/* ---- keys --------------------------------------------------------------- */

/*
 * Check the file's ownership/permissions (not group/world readable, not in
 * a directory writable by others), read it and parse it.  On failure
 * returns false with a message naming the file in err.
 */
bool dkim_key_load(struct dkim_key *k, const char *domain, const char *selector,
    const char *path, char *err, size_t errlen);
void dkim_key_free(struct dkim_key *k);

/* Build the table from the config rows; each problem is one line
 * appended to problems.  The table is owned by the caller. */
bool dkim_keytab_build(struct dkim_keytab *t, const struct strlist *rows, strbuf *problems);
void dkim_keytab_free(struct dkim_keytab *t);

enum dkim_keycheck { KEYCHECK_MATCH = 0, KEYCHECK_MISMATCH, KEYCHECK_NORECORD, KEYCHECK_DNSERROR };
/* Fetch selector._domainkey.domain through the resolver and compare its
 * p= with the private key; msg gets a one-line explanation. */
enum dkim_keycheck dkim_key_check_dns(const struct dkim_key *k, strbuf *msg);

/* ---- parsed keys handed to libopendkim (dkim_keycache.c) ---------------- */

struct evp_pkey_st;
/* Register/unregister a parsed key under the exact bytes libopendkim will
 * parse (RSA: DER; Ed25519: PEM text).  Reference counted. */
void dkim_keycache_add(const void *bytes, size_t len, struct evp_pkey_st *pk);
void dkim_keycache_drop(const void *bytes, size_t len);

/* ---- library handle (per snapshot) -------------------------------------- */

struct dkim_opts {
	unsigned min_key_bits;
	unsigned max_signatures;
};

/* A libopendkim library handle configured for postern (header sets, DNS
 * hooks into dns_query, minimum key size).  NULL with err on failure. */
void *dkim_lib_new(const struct dkim_opts *o, char *err, size_t errlen);
void dkim_lib_free(void *lib);
/* Install postern's resolver as libopendkim's (dkim_dns.c). */
void dkim_dns_install(void *lib);

/* Per-snapshot DKIM state: key table + library handle. */
struct dkim_state {
	struct dkim_keytab keys;
	void *lib;
	unsigned max_signatures;
	unsigned min_key_bits;      /* libopendkim's too: dkim_bh.c applies it */
	bool sign_subdomains;
	int canon_hdr, canon_body;  /* DKIM_CANON_* */
};

/* What the per-snapshot state is built from (the dkim.* config keys). */
struct dkim_settings {
	const struct strlist *keys;  /* "domain:selector:/path" rows */
	bool sign_subdomains;
	int canon;                   /* 0 relaxed/relaxed, 1 relaxed/simple, 2 simple/simple, 3 simple/relaxed */
	unsigned max_signatures;
	unsigned min_key_bits;
};

/* NULL with one line per problem appended to problems. */
struct dkim_state *dkim_state_build(const struct dkim_settings *s, strbuf *problems);
void dkim_state_free(struct dkim_state *st);

/* The keys that sign mail whose From domain is `domain` (NULL-terminated
 * into out, at most max). */
size_t dkim_keys_for(const struct dkim_state *st, const char *domain,
    const struct dkim_key **out, size_t max);

/* ---- one message (dkim_verify.c, dkim_sign.c) ---------------------------- */

struct dkim_msg;   /* opaque: dkim_int.h */

/* A verifying (sign = false) or signing job; id names the message in
 * logs and must live as long as the job (the queue id buffer). */
struct dkim_msg *dkim_msg_new(const struct dkim_state *st, const char *id, bool sign);
void dkim_msg_free(struct dkim_msg *dm);
/* Every header field as it arrives; value exactly as written after the
 * colon, leading white space kept (msg->field_raw: pipeline.c). */
void dkim_msg_header(struct dkim_msg *dm, const char *name, const char *value);
/* End of headers.  Signing: domain is the From domain to sign for, or
 * NULL when the From field is unusable (nothing is signed then). */
void dkim_msg_eoh(struct dkim_msg *dm, const char *domain);
void dkim_msg_body(struct dkim_msg *dm, const unsigned char *buf, size_t len);

enum dkim_sigres { DKSIG_PASS, DKSIG_FAIL, DKSIG_NEUTRAL, DKSIG_POLICY, DKSIG_TEMPERROR,
	DKSIG_PERMERROR };
const char *dkim_sigres_name(enum dkim_sigres r);

/* One verified signature (tag values as found, cut to fit). */
struct dkim_sigresult {
	enum dkim_sigres res;
	const char *why;             /* static text or NULL */
	unsigned bits;               /* key size on a pass, else 0 */
	char d[DKIM_DOMAIN_MAX + 1], i[DKIM_DOMAIN_MAX + 66], s[DKIM_SELECTOR_MAX + 1];
	char a[32], b[9];
};

/* Verify: end of message.  cb gets every signature, including the ones
 * too malformed for libopendkim to list (neutral, with why); returns
 * false when the message itself could not be parsed (no results then). */
bool dkim_verify_eom(struct dkim_msg *dm,
    void (*cb)(void *ctx, const struct dkim_sigresult *r), void *ctx);

/* After dkim_verify_eom: signatures not verified because they came after
 * the first dkim.max_signatures (reported as dkim=policy). */
unsigned dkim_verify_ignored(const struct dkim_msg *dm);

/* Sign: end of message.  cb gets each DKIM-Signature field value (to be
 * inserted at the top); returns how many signatures were made. */
unsigned dkim_sign_eom(struct dkim_msg *dm, void (*cb)(void *ctx, const char *value), void *ctx);
/* Why nothing was signed (static text), or NULL. */
const char *dkim_sign_skipped(const struct dkim_msg *dm);
/* After dkim_sign_eom: how many signatures owed (one per key of the From
 * domain) were not made because signing failed (0 when all were made or
 * no key applies). */
unsigned dkim_sign_missing(const struct dkim_msg *dm);

#endif
