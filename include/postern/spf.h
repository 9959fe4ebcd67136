/*
 * spf.h - SPF (RFC 7208) for the HELO and MAIL FROM identities.
 *
 * libspf2 interprets records; everything it needs from DNS comes through
 * our resolver (spf_dns.c), which also enforces the RFC 7208 4.6.4 limits.
 * Records are checked by our own parser (spf_record.c) before libspf2
 * compiles them, so that libspf2's parsing gaps give the RFC's answer.
 * The check (filter/checks/check_spf.c, check_spf.h) computes results at
 * MAIL FROM and enforces them at RCPT under the recipient's policy.
 */
#ifndef POSTERN_SPF_H
#define POSTERN_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "postern/util.h"

/* The seven results of RFC 7208 section 2.6; nothing else ever leaves. */
enum spf_res {
	SPFR_NONE = 0,
	SPFR_NEUTRAL,
	SPFR_PASS,
	SPFR_FAIL,
	SPFR_SOFTFAIL,
	SPFR_TEMPERROR,
	SPFR_PERMERROR,
};

#define SPF_MAX_DNS_TERMS 10   /* RFC 7208 4.6.4 */
#define SPF_MAX_VOID 2         /* RFC 7208 4.6.4 */
#define SPF_MAX_MX_PTR 10      /* names looked at per mx / ptr term */
#define SPF_EVAL_DEADLINE_MS 20000 /* one check_host(), all look-ups (RFC 7208 4.6.4) */
#define SPF_RECORD_MAX 4096    /* longest record we evaluate */
#define SPF_WHY_MAX 128

const char *spf_res_name(enum spf_res r);

/* ---- record check (spf_record.c) ---------------------------------------- */
enum spf_rec_status {
	SPF_REC_OK = 0,
	SPF_REC_NOT_SPF,   /* does not start with "v=spf1" */
	SPF_REC_SYNTAX,    /* RFC 7208 grammar violated: permerror */
	SPF_REC_TOO_LONG,
};

/*
 * Check one record against RFC 7208's grammar (sections 4.6.1, 5, 6, 7,
 * 12): term separators, mechanism names and arguments, CIDR lengths,
 * domain-spec endings (toplabel), macro syntax, duplicate redirect=/exp=.
 * On SPF_REC_SYNTAX, why (if not NULL) gets a static description.
 */
enum spf_rec_status spf_record_check(const char *buf, size_t len, const char **why);
/* Is buf an SPF record ("v=spf1" followed by a space or the end)? */
bool spf_record_is_spf(const char *buf, size_t len);
/*
 * Rewrite a record that passed spf_record_check into an equivalent one
 * that libspf2 1.2.10 evaluates as RFC 7208 says: unknown modifiers
 * dropped, redirect= last (dropped after "all"), ip4/ip6 "/0" split into
 * two "/1", a/mx with a "/0" for the client's family turned into a marked
 * name (SPF_CIDR0_MARK) that the DNS layer answers with the client's own
 * address, ptr domains lower-cased outside macros.
 */
void spf_record_rewrite(const char *buf, size_t len, bool v6, strbuf *out);
#define SPF_CIDR0_MARK ".cidr0-postern-internal"

/* A name we may query: labels 1..63 bytes, at most 253 bytes, and (when
 * need_toplabel) a last label that is a valid toplabel (not all digits). */
bool spf_domain_ok(const char *name, size_t len, bool need_toplabel);

/* ---- evaluation (spf_dns.c + spf_eval.c) -------------------------------- */
struct spf_query {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t ip[16];
	const char *helo;      /* may be NULL */
	const char *sender;    /* local@domain (postmaster@helo for HELO) */
	const char *domain;    /* the domain checked */
};

struct spf_outcome {
	enum spf_res result;
	char why[SPF_WHY_MAX];       /* short reason (for comments and logs) */
	char explanation[256];       /* exp= text on fail, sanitised, or "" */
};

/* Create the libspf2 server with our DNS layer.  Call once at start-up
 * (after dns_init); false on failure with a message in err. */
bool spf_engine_init(char *err, size_t errlen);
void spf_engine_free(void);
/* check_host() for one identity.  Blocking (DNS). */
void spf_check_host(const struct spf_query *q, struct spf_outcome *out);

/*
 * Map what libspf2 said (SPF_result_t and SPF_errcode_t as ints) plus the
 * facts our DNS layer collected into one of the seven results.  INVALID
 * and anything unknown never leak: DNS trouble is temperror, the rest
 * permerror.
 */
struct spf_eval_facts {
	bool perm;          /* a limit or a record check failed */
	bool temp;          /* the evaluation ran past SPF_EVAL_DEADLINE_MS */
};
enum spf_res spf_map_result(int spf2_result, int spf2_err, const struct spf_eval_facts *f);

/* ---- Received-SPF (spf_header.c) ---------------------------------------- */
struct spf_header_info {
	enum spf_res result;
	const char *receiver;       /* our host name / authserv-id */
	const char *client_ip;
	const char *identity;       /* "mailfrom" or "helo" */
	const char *envelope_from;  /* may be "" */
	const char *helo;           /* may be NULL */
	const char *comment;        /* free text, sanitised here; may be NULL */
};

/* Write the field body (RFC 7208 9.1) into out: result, comment, then
 * key=value pairs whose values are dot-atoms or quoted strings; bytes
 * outside printable ASCII are replaced, long values cut. */
void spf_received_spf(strbuf *out, const struct spf_header_info *h);
/* Append value as an RFC 5322 dot-atom if it is one, else quoted-string,
 * replacing CR, LF, controls and 8-bit bytes by '?', cut at max bytes. */
void spf_quote_value(strbuf *out, const char *value, size_t max);

#endif
