/*
 * spf_dns.c - libspf2's DNS layer over our resolver (dns_query), and the
 * per-evaluation accounting of RFC 7208 4.6.4.
 *
 * libspf2 asks this layer for every name (lookup) and for every SPF record
 * (get_spf: the first one of an evaluation, then one per include/redirect).
 * The layer counts DNS-querying terms (include, redirect, a, mx, ptr,
 * exists; at most 10) and void look-ups (at most 2), refuses MX answers
 * with more than 10 names, checks domain syntax of queried names, and runs
 * our record check (spf_record.c) before libspf2 compiles a record.  A
 * violation is remembered in the evaluation's facts (permerror); resolver
 * timeouts and SERVFAIL are TRY_AGAIN for libspf2 (temperror).
 *
 * The accounting is thread-local: each milter thread runs one evaluation
 * at a time between spf_dns_begin() and spf_dns_end().  Only spf_eval.c
 * calls this file.
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "postern/dns.h"
#include "postern/log.h"
#include "postern/spf.h"
#include "postern/spf_dns.h"

#define PENDING_MAX (SPF_MAX_MX_PTR + 1)

struct eval_state {
	struct timespec start;
	int family;             /* the client's, for SPF_CIDR0_MARK names */
	uint8_t ip[16];
	unsigned terms;
	unsigned voids;
	unsigned fetches;
	struct spf_eval_facts facts;
	const char *why;
	/* names from the last MX / PTR answer: their address look-ups are
	 * part of that term, not terms of their own */
	char pending[PENDING_MAX][256];
	bool pending_ptr;       /* they came from a PTR answer */
	unsigned npending;
};

static __thread struct eval_state *cur;

static void
mark(bool perm, const char *why)
{
	if (cur == NULL)
		return;
	if (!cur->facts.perm && !cur->facts.temp)
		cur->why = why;
	if (perm)
		cur->facts.perm = true;
	else
		cur->facts.temp = true;
}

/* 0: not pending, 1: an MX target, 2: a PTR name */
static int
take_pending(const char *name)
{
	if (cur == NULL)
		return 0;
	for (unsigned i = 0; i < cur->npending; i++) {
		if (strcasecmp(cur->pending[i], name) == 0) {
			cur->pending[i][0] = '\0';
			return cur->pending_ptr ? 2 : 1;
		}
	}
	cur->npending = 0;
	return 0;
}

static void
add_pending(const char *name)
{
	if (cur != NULL && cur->npending < PENDING_MAX &&
	    strlcpy_ok(cur->pending[cur->npending], name, sizeof(cur->pending[0])))
		cur->npending++;
}

/* Past the overall deadline?  Then every further look-up fails (temperror),
 * so that a slow DNS cannot hold a message past the MTA's milter timeout. */
static bool
past_deadline(void)
{
	struct timespec now;
	long long ms;

	if (cur == NULL)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - cur->start.tv_sec) * 1000 +
	    (now.tv_nsec - cur->start.tv_nsec) / 1000000;
	if (ms < SPF_EVAL_DEADLINE_MS)
		return false;
	mark(false, "SPF evaluation ran past its deadline");
	return true;
}

/* One more DNS-querying term; false (and permerror) over the limit. */
static bool
count_term(void)
{
	if (cur == NULL)
		return true;
	if (++cur->terms > SPF_MAX_DNS_TERMS) {
		mark(true, "more than 10 DNS-querying terms");
		return false;
	}
	return true;
}

static void
count_void(void)
{
	if (cur != NULL && ++cur->voids > SPF_MAX_VOID)
		mark(true, "more than 2 void lookups");
}

/* A domain name in wire format inside rdata -> dotted text. */
static bool
wire_name(const unsigned char *p, size_t len, size_t off, char *out, size_t outlen)
{
	size_t o = 0;

	while (off < len) {
		size_t l = p[off++];
		if (l == 0) {
			if (o == 0 && outlen > 1)
				out[o++] = '.';
			out[o] = '\0';
			return true;
		}
		if (l > 63 || off + l > len || o + l + 2 > outlen)
			return false;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, p + off, l);
		o += l;
		off += l;
	}
	return false;
}

static bool
rr_add(SPF_dns_rr_t *rr, const void *data, size_t len)
{
	int i = rr->num_rr;

	if (SPF_dns_rr_buf_realloc(rr, i, len + 1) != SPF_E_SUCCESS)
		return false;
	memcpy(rr->rr[i], data, len);
	((char *)rr->rr[i])[len] = '\0';
	rr->num_rr++;
	return true;
}

static void
fill_records(SPF_dns_rr_t *rr, const struct dns_answer *a, ns_type type, bool marked)
{
	char name[256 + sizeof(SPF_CIDR0_MARK)];
	strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; i < a->count; i++) {
		const unsigned char *d = a->rdata[i];
		size_t dl = (size_t)a->rdlen[i];

		switch (type) {
		case ns_t_a:
			if (dl == 4)
				rr_add(rr, marked && cur->family == AF_INET ? cur->ip : d, 4);
			break;
		case ns_t_aaaa:
			if (dl == 16)
				rr_add(rr, marked && cur->family == AF_INET6 ? cur->ip : d, 16);
			break;
		case ns_t_mx:
			if (dl > 2 && wire_name(d, dl, 2, name, 256)) {
				if (marked)
					strcat(name, SPF_CIDR0_MARK);
				if (rr_add(rr, name, strlen(name)))
					add_pending(name);
			}
			break;
		case ns_t_ptr:
			/* names compare case-insensitively; libspf2 does not */
			if (wire_name(d, dl, 0, name, 256)) {
				for (char *p = name; *p != '\0'; p++)
					*p = (char)tolower((unsigned char)*p);
				if (rr_add(rr, name, strlen(name)))
					add_pending(name);
			}
			break;
		case ns_t_txt:
			if (dns_txt_join(a, i, &sb))
				rr_add(rr, sb.s, sb.len);
			break;
		default:
			break;
		}
	}
	sb_free(&sb);
}

static SPF_dns_stat_t
herrno_of(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return NETDB_SUCCESS;
	case DNS_NODATA:
		return NO_DATA;
	case DNS_NXDOMAIN:
		return HOST_NOT_FOUND;
	default:
		/* SERVFAIL, timeout, or local trouble (resolver not running):
		 * never a definite answer */
		return TRY_AGAIN;
	}
}

static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type, int should_cache)
{
	struct dns_answer a;
	SPF_dns_rr_t *rr;
	bool term = false, marked = false;
	int pending = 0;
	enum dns_status st;
	char real[256];
	size_t dl = strlen(domain), ml = strlen(SPF_CIDR0_MARK);

	if (cur != NULL && dl > ml && dl - ml < sizeof(real) &&
	    strcasecmp(domain + dl - ml, SPF_CIDR0_MARK) == 0) {
		memcpy(real, domain, dl - ml);
		real[dl - ml] = '\0';
		marked = true;
	} else if (!strlcpy_ok(real, domain, sizeof(real))) {
		return SPF_dns_rr_new_init(srv, domain, type, 0, HOST_NOT_FOUND);
	}
	switch (type) {
	case ns_t_a:
	case ns_t_aaaa:
		pending = take_pending(domain);
		term = pending == 0;
		break;
	case ns_t_mx:
	case ns_t_ptr:
		if (cur != NULL) {
			cur->npending = 0;
			cur->pending_ptr = type == ns_t_ptr;
		}
		/* libspf2 asks for PTR with should_cache only for the ptr
		 * mechanism; the %{p} macro's look-up (once per evaluation)
		 * is not a term */
		term = type == ns_t_mx || should_cache;
		break;
	default:
		break;
	}
	if ((term && !count_term()) || past_deadline())
		return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
	/* a macro may expand to something that is not a domain name: no
	 * match (RFC 7208 4.8), and nothing to ask the DNS */
	if (term && type != ns_t_ptr && !spf_domain_ok(real, strlen(real), true))
		return SPF_dns_rr_new_init(srv, domain, type, 0, HOST_NOT_FOUND);
	st = dns_query(real, (int)type, &a);
	rr = SPF_dns_rr_new_init(srv, domain, type, 0, herrno_of(st));
	if (rr == NULL) {
		dns_answer_free(&a);
		return NULL;
	}
	if (st == DNS_OK)
		fill_records(rr, &a, type, marked);
	if (st == DNS_OK && rr->num_rr == 0)
		rr->herrno = NO_DATA;
	/* RFC 7208 5.5: a DNS error on a PTR name's address skips that name;
	 * that is no answer at all, so it is not a void look-up either (a slow
	 * server would otherwise turn skipped names into a permerror) */
	bool skipped = pending == 2 && rr->herrno == TRY_AGAIN;
	if (skipped)
		rr->herrno = HOST_NOT_FOUND;
	if (term && !skipped && (rr->herrno == NO_DATA || rr->herrno == HOST_NOT_FOUND))
		count_void();
	if (log_enabled(PLOG_DEBUG)) {
		strbuf sb;
		sb_init(&sb);
		sb_escape(&sb, domain, strlen(domain), 120);
		plog(PLOG_DEBUG, NULL, "spf dns: %s type %d: %s, %d records%s (terms %u, voids %u)",
		    sb.s, (int)type, dns_status_name(st), rr->num_rr, term ? ", a term" : "",
		    cur ? cur->terms : 0, cur ? cur->voids : 0);
		sb_free(&sb);
	}
	if (type == ns_t_mx && rr->num_rr > SPF_MAX_MX_PTR) {
		mark(true, "more than 10 MX names");
		rr->herrno = TRY_AGAIN;
		rr->num_rr = 0;
	}
	dns_answer_free(&a);
	return rr;
}

static SPF_errcode_t
done_with(SPF_response_t *resp, SPF_result_t result, SPF_errcode_t err, const char *why)
{
	resp->result = result;
	resp->reason = SPF_REASON_FAILURE;
	if (result == SPF_RESULT_PERMERROR)
		mark(true, why);
	return SPF_response_add_error(resp, err, "%s", why);
}

/* The SPF record of request->cur_dom, checked and compiled. */
static SPF_errcode_t
layer_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
    SPF_record_t **recp)
{
	const char *domain = req->cur_dom;
	bool top = cur == NULL || ++cur->fetches == 1;
	struct dns_answer a;
	strbuf txt, found;
	size_t nfound = 0;
	enum dns_status st;
	SPF_errcode_t err;
	const char *why = NULL;

	*recp = NULL;
	if (!top) {
		if (cur != NULL)
			cur->npending = 0;
		if (!count_term())
			return done_with(resp, SPF_RESULT_PERMERROR, SPF_E_BIG_DNS, "too many DNS lookups");
		if (!spf_domain_ok(domain, strlen(domain), true))
			return done_with(resp, SPF_RESULT_PERMERROR, SPF_E_INVALID_CHAR,
			    "invalid include/redirect domain");
	}
	if (past_deadline())
		return done_with(resp, SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, "SPF evaluation ran past its deadline");
	st = dns_query(domain, ns_t_txt, &a);
	if (st == DNS_TIMEOUT || st == DNS_SERVFAIL || st == DNS_ERROR) {
		dns_answer_free(&a);
		return done_with(resp, SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, "DNS failure fetching the record");
	}
	if (!top && st != DNS_OK)
		count_void();
	sb_init(&txt);
	sb_init(&found);
	for (size_t i = 0; st == DNS_OK && i < a.count; i++) {
		if (dns_txt_join(&a, i, &txt) && spf_record_is_spf(txt.s, txt.len)) {
			if (nfound++ == 0)
				sb_append(&found, txt.s, txt.len);
		}
	}
	dns_answer_free(&a);
	sb_free(&txt);
	if (nfound == 0) {
		sb_free(&found);
		resp->result = SPF_RESULT_NONE;
		resp->reason = SPF_REASON_FAILURE;
		return SPF_response_add_error(resp, SPF_E_NOT_SPF, "no SPF record");
	}
	if (nfound > 1) {
		sb_free(&found);
		return done_with(resp, SPF_RESULT_PERMERROR, SPF_E_MULTIPLE_RECORDS, "more than one SPF record");
	}
	if (memchr(found.s, '\0', found.len) != NULL ||
	    spf_record_check(found.s, found.len, &why) != SPF_REC_OK) {
		sb_free(&found);
		return done_with(resp, SPF_RESULT_PERMERROR, SPF_E_SYNTAX,
		    why != NULL ? why : "record syntax error");
	}
	sb_init(&txt);
	spf_record_rewrite(found.s, found.len, cur != NULL && cur->family == AF_INET6, &txt);
	sb_free(&found);
	err = SPF_record_compile(server, resp, recp, txt.s);
	sb_free(&txt);
	if (err != SPF_E_SUCCESS) {
		if (*recp != NULL)
			SPF_record_free(*recp);
		*recp = NULL;
		return done_with(resp, SPF_RESULT_PERMERROR, err, "libspf2 could not compile the record");
	}
	return SPF_E_SUCCESS;
}

static void
layer_destroy(SPF_dns_server_t *srv)
{
	free(srv);
}

SPF_dns_server_t *
spf_dns_layer_new(void)
{
	SPF_dns_server_t *srv = xcalloc(1, sizeof(*srv));

	srv->destroy = layer_destroy;
	srv->lookup = layer_lookup;
	srv->get_spf = layer_get_spf;
	srv->name = "postern";
	return srv;
}

void
spf_dns_begin(int family, const uint8_t *ip)
{
	cur = xcalloc(1, sizeof(*cur));
	clock_gettime(CLOCK_MONOTONIC, &cur->start);
	cur->family = family;
	memcpy(cur->ip, ip, family == AF_INET ? 4 : 16);
}

void
spf_dns_end(struct spf_eval_facts *facts, char *why, size_t whylen)
{
	if (cur == NULL)
		return;
	*facts = cur->facts;
	if (why != NULL && whylen > 0) {
		why[0] = '\0';
		if (cur->why != NULL)
			strlcpy_ok(why, cur->why, whylen);
	}
	free(cur);
	cur = NULL;
}
