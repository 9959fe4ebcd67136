/*
 * dmarc.h - DMARC (RFC 9989): record parsing, the DNS tree walk that finds
 * the policy record and organisational domains (no public suffix list),
 * identifier alignment, and the evaluation of one message from the SPF
 * and DKIM results.
 *
 * The parser takes (buf, len); the tree walk (dmarc_walk.c) is pure over a
 * look-up callback; the evaluator (dmarc.c) does its look-ups through
 * dns.c.  No libmilter; the check row that feeds it lives in check_dmarc.c.
 */
#ifndef POSTERN_DMARC_H
#define POSTERN_DMARC_H

#include <stdbool.h>
#include <stddef.h>

enum dmarc_policy { DMARC_P_NONE = 0, DMARC_P_QUARANTINE, DMARC_P_REJECT };
enum dmarc_psd { DMARC_PSD_U = 0, DMARC_PSD_Y, DMARC_PSD_N };

#define DMARC_RUA_MAX 512   /* rua= kept for reports: whole URIs that fit */

struct dmarc_record {
	enum dmarc_policy p;   /* requested policy */
	enum dmarc_policy sp;  /* for subdomains (defaults to p) */
	enum dmarc_policy np;  /* for non-existent subdomains (defaults to sp) */
	bool adkim_strict;
	bool aspf_strict;
	bool testing;          /* t=y; an old record's pct=0 without t= (RFC 9989 A.6) */
	enum dmarc_psd psd;    /* psd=y / n / u (default) */
	bool p_implied;        /* no usable p= but a rua=: acts as p=none (4.10.1) */
	char rua[DMARC_RUA_MAX]; /* the rua= value (comma-separated URIs), "" if none */
	char ruf[DMARC_RUA_MAX]; /* the ruf= value (failure reports, RFC 9991), "" if none */
	unsigned fo;           /* fo= options, DMARC_FO_* bits (DMARC_FO_0 by default) */
};

/* fo= (RFC 9991 / RFC 7489 6.3): when a failure report is wanted. */
#define DMARC_FO_0 1u   /* no mechanism produced an aligned pass */
#define DMARC_FO_1 2u   /* some mechanism did not produce an aligned pass */
#define DMARC_FO_D 4u   /* a DKIM signature failed to verify, aligned or not */
#define DMARC_FO_S 8u   /* SPF failed, aligned or not */

struct dmarc_fo_facts {
	bool spf_aligned, dkim_aligned;  /* an aligned pass of each mechanism */
	bool dkim_failed;                /* some signature verified as fail */
	bool spf_failed;                 /* SPF result fail or softfail */
};

/* Does a record's fo= ask for a failure report about a message with these
 * facts?  One answer per message, however many options match.  Pure. */
bool dmarc_fo_wants(unsigned fo, const struct dmarc_fo_facts *f);

enum dmarc_rec_status {
	DMARC_REC_OK = 0,
	DMARC_REC_NOT_DMARC,   /* does not start with v=DMARC1: not a DMARC record */
	DMARC_REC_SYNTAX,      /* a tag-value pair is malformed */
	DMARC_REC_NO_POLICY,   /* p= missing and no valid rua= */
	DMARC_REC_BAD_VALUE,   /* p=, sp= or np= invalid and no valid rua= */
};

enum dmarc_rec_status dmarc_record_parse(const char *buf, size_t len, struct dmarc_record *r);

/* ---- DNS tree walk (RFC 9989 4.10), dmarc_walk.c ---- */

#define DMARC_WALK_MAX 8       /* at most 8 look-ups per walk */
#define DMARC_NAME_MAX 256

enum dmarc_fetch { DMARC_FETCH_FOUND, DMARC_FETCH_NONE, DMARC_FETCH_TEMP };

/* Look up the one DMARC record of _dmarc.<domain> into *r. */
typedef enum dmarc_fetch (*dmarc_fetch_fn)(void *ctx, const char *domain, struct dmarc_record *r);

struct dmarc_walk_hit {
	char domain[DMARC_NAME_MAX];
	struct dmarc_record rec;
};

struct dmarc_walk {
	struct dmarc_walk_hit hit[DMARC_WALK_MAX]; /* records found, longest name first */
	size_t nhit;
	unsigned queries;
	bool temperror;        /* a look-up failed: the walk is incomplete */
};

/* The names a walk from domain queries, in order (at most 8; the 4.10 rule:
 * the domain, then shortened to 7 labels if it had 8 or more, then one
 * label less each time).  Returns the count; 0 for an unusable domain. */
size_t dmarc_walk_targets(const char *domain, char out[DMARC_WALK_MAX][DMARC_NAME_MAX]);
/* Walk from domain (lower-case, no trailing dot), stopping at a record
 * with psd=y or psd=n.  skip_first: start at the second target (policy
 * discovery when the Author Domain itself was already asked). */
void dmarc_tree_walk(const char *domain, bool skip_first, dmarc_fetch_fn f, void *ctx,
    struct dmarc_walk *w);
/* The organisational domain of start from its walk (4.10.2). */
void dmarc_walk_org(const char *start, const struct dmarc_walk *w, char *out, size_t size);
/* Lower-case copy without trailing dots; false if empty or too long. */
bool dmarc_domain_norm(const char *in, char *out, size_t size);
/* d equals suffix or ends with "." suffix. */
bool dmarc_domain_under(const char *d, const char *suffix);

/* ---- evaluation, dmarc.c ---- */

enum dmarc_result {
	DMARC_NONE = 0,   /* no record (or not applicable) */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,  /* the record could not be fetched */
	DMARC_PERMERROR,  /* no usable From domain */
};

#define DMARC_MAX_DKIM 8
#define DMARC_MAX_QUERIES 40  /* all look-ups of one evaluation */

struct dmarc_input {
	const char *from_domain;           /* RFC5322.From domain */
	bool spf_pass;
	const char *spf_domain;            /* MAIL FROM (or HELO) domain SPF passed for */
	const char *dkim_pass[DMARC_MAX_DKIM]; /* d= of each passing signature */
	size_t ndkim;
};

struct dmarc_output {
	enum dmarc_result result;
	enum dmarc_policy policy;          /* the published policy that applies (p, sp or np) */
	enum dmarc_policy applied;         /* after t=y: one level milder (policy.dmarc) */
	bool testing;                      /* the record has t=y */
	bool psd_record;                   /* the record is a Public Suffix Domain's */
	bool spf_aligned, dkim_aligned;
	struct dmarc_record rec;           /* the record applied (pass/fail) */
	char record_domain[DMARC_NAME_MAX]; /* where the record was found */
	char org_domain[DMARC_NAME_MAX];    /* the From domain's organisational domain */
	unsigned queries;                  /* DNS look-ups made */
	char why[96];                      /* short reason for logs/A-R */
};

void dmarc_evaluate(const struct dmarc_input *in, struct dmarc_output *out);
/* The organisational domain of domain by a tree walk through dns.c
 * (false on a DNS failure or an unusable name). */
bool dmarc_org_domain(const char *domain, char *out, size_t size);

const char *dmarc_result_name(enum dmarc_result r);
/* The reverse of dmarc_result_name (case-insensitive); false if unknown. */
bool dmarc_result_parse(const char *v, size_t n, enum dmarc_result *out);
const char *dmarc_policy_name(enum dmarc_policy p);

#endif
