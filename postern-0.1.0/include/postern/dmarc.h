/*
 * dmarc.h - DMARC (RFC 7489, with np= from RFC 9091): record parsing,
 * organisational domains (libpsl), identifier alignment, and the
 * evaluation of one message from the SPF and DKIM results.
 *
 * The parser takes (buf, len); the evaluator does its look-ups through
 * dns.c.  No libmilter; the check row that feeds it lives in check_dmarc.c.
 */
#ifndef POSTERN_DMARC_H
#define POSTERN_DMARC_H

#include <stdbool.h>
#include <stddef.h>

enum dmarc_policy { DMARC_P_NONE = 0, DMARC_P_QUARANTINE, DMARC_P_REJECT };

struct dmarc_record {
	enum dmarc_policy p;   /* requested policy */
	enum dmarc_policy sp;  /* for subdomains (defaults to p) */
	enum dmarc_policy np;  /* for non-existent subdomains (defaults to sp) */
	bool adkim_strict;
	bool aspf_strict;
	unsigned pct;          /* 0..100 */
};

enum dmarc_rec_status {
	DMARC_REC_OK = 0,
	DMARC_REC_NOT_DMARC,   /* does not start with v=DMARC1: not a DMARC record */
	DMARC_REC_SYNTAX,      /* a tag-value pair is malformed */
	DMARC_REC_NO_POLICY,   /* p= missing or not first after v= */
	DMARC_REC_BAD_VALUE,   /* a known tag with an invalid value */
};

enum dmarc_rec_status dmarc_record_parse(const char *buf, size_t len, struct dmarc_record *r);

/* Load the public suffix list once at start-up (libpsl: the newest of its
 * built-in list and /usr/share/publicsuffix). */
bool dmarc_psl_init(char *err, size_t errlen);
void dmarc_psl_free(void);
/* The organisational domain of domain (lower-case, no trailing dot) into
 * out; a public suffix itself is its own organisational domain. */
bool dmarc_org_domain(const char *domain, char *out, size_t size);
/* Identifier alignment: strict = equal, relaxed = same organisational domain. */
bool dmarc_aligned(const char *a, const char *b, bool strict);

enum dmarc_result {
	DMARC_NONE = 0,   /* no record (or not applicable) */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,  /* the record could not be fetched */
	DMARC_PERMERROR,  /* no usable From domain */
};

#define DMARC_MAX_DKIM 8

struct dmarc_input {
	const char *from_domain;           /* RFC5322.From domain */
	bool spf_pass;
	const char *spf_domain;            /* MAIL FROM (or HELO) domain SPF passed for */
	const char *dkim_pass[DMARC_MAX_DKIM]; /* d= of each passing signature */
	size_t ndkim;
	unsigned sample;                   /* 0..99, compared with pct */
};

struct dmarc_output {
	enum dmarc_result result;
	enum dmarc_policy policy;          /* the policy that applies (p, sp or np) */
	bool sampled_out;                  /* pct < 100 and this message is outside it */
	bool spf_aligned, dkim_aligned;
	char record_domain[256];           /* where the record was found */
	char org_domain[256];
	char why[96];                      /* short reason for logs/A-R */
};

void dmarc_evaluate(const struct dmarc_input *in, struct dmarc_output *out);

const char *dmarc_result_name(enum dmarc_result r);
const char *dmarc_policy_name(enum dmarc_policy p);

#endif
