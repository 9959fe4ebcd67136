/*
 * dmarc.c - the evaluation of one message under RFC 9989: policy discovery
 * by the DNS tree walk from the Author Domain (4.10.1; no public suffix
 * list), the policy that applies (p for the Author Domain's own record,
 * otherwise sp, or np when the Author Domain does not exist, RFC 8020
 * NXDOMAIN), t=y testing mode (one level milder), and identifier
 * alignment: strict is equality, relaxed compares organisational domains
 * found by tree walks from the Author Domain and from each authenticated
 * identifier (4.10.2).  The look-ups of one evaluation share a small cache
 * and a budget (DMARC_MAX_QUERIES).  DNS goes through dns.c.  Called by
 * check_dmarc.c and the tests' dmarcq tool.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postern/dmarc.h"
#include "postern/dns.h"
#include "postern/util.h"

#define CACHE_MAX 24

struct fetch_cache {
	struct {
		char domain[DMARC_NAME_MAX];
		enum dmarc_fetch st;
		struct dmarc_record rec;
	} e[CACHE_MAX];
	size_t n;
	unsigned queries;      /* DNS look-ups made (cache misses) */
	bool over_budget;
};

/* Fetch _dmarc.<domain>: exactly one record starting with v=DMARC1 counts. */
static enum dmarc_fetch
fetch_dns(const char *domain, struct dmarc_record *r)
{
	struct dns_answer a;
	strbuf name, txt;
	enum dns_status st;
	int found = 0;

	sb_init(&name);
	sb_init(&txt);
	sb_printf(&name, "_dmarc.%s", domain);
	if (!dns_name_askable(name.s)) {
		/* a name over 253 octets or with a label over 63 cannot hold a
		 * record: none here (the organisational domain is asked
		 * next), never a temperror a sender could choose (issue 9) */
		sb_free(&name);
		sb_free(&txt);
		return DMARC_FETCH_NONE;
	}
	st = dns_query(name.s, 16, &a);
	if (st == DNS_TIMEOUT || st == DNS_SERVFAIL || st == DNS_ERROR) {
		dns_answer_free(&a);
		sb_free(&name);
		sb_free(&txt);
		return DMARC_FETCH_TEMP;
	}
	for (size_t i = 0; i < a.count; i++) {
		struct dmarc_record tmp;

		if (!dns_txt_join(&a, i, &txt) || txt.len == 0)
			continue;
		enum dmarc_rec_status rs = dmarc_record_parse(txt.s, txt.len, &tmp);
		if (rs == DMARC_REC_NOT_DMARC)
			continue;
		found++;
		if (rs == DMARC_REC_OK)
			*r = tmp;
		else
			found = 99;   /* a broken DMARC record: treated as none */
	}
	dns_answer_free(&a);
	sb_free(&name);
	sb_free(&txt);
	return found == 1 ? DMARC_FETCH_FOUND : DMARC_FETCH_NONE;
}

/* The walk's callback: cached per evaluation, bounded in look-ups. */
static enum dmarc_fetch
fetch_cached(void *ctx, const char *domain, struct dmarc_record *r)
{
	struct fetch_cache *c = ctx;
	enum dmarc_fetch st;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].domain, domain) == 0) {
			if (c->e[i].st == DMARC_FETCH_FOUND)
				*r = c->e[i].rec;
			return c->e[i].st;
		}
	if (c->queries >= DMARC_MAX_QUERIES) {
		c->over_budget = true;
		return DMARC_FETCH_TEMP;
	}
	c->queries++;
	st = fetch_dns(domain, r);
	if (c->n < CACHE_MAX && strlcpy_ok(c->e[c->n].domain, domain, DMARC_NAME_MAX)) {
		c->e[c->n].st = st;
		if (st == DMARC_FETCH_FOUND)
			c->e[c->n].rec = *r;
		c->n++;
	}
	return st;
}

/* RFC 9989 3.2.13 (RFC 8020): NXDOMAIN means the name does not exist. */
static bool
domain_missing(struct fetch_cache *c, const char *domain)
{
	struct dns_answer a;
	enum dns_status st;

	if (!dns_name_askable(domain))
		return true;     /* a name that cannot be asked cannot exist */
	if (c->queries >= DMARC_MAX_QUERIES)
		return false;
	c->queries++;
	st = dns_query(domain, 1, &a);
	dns_answer_free(&a);
	return st == DNS_NXDOMAIN;
}

enum align { ALIGN_NO, ALIGN_YES, ALIGN_TEMP };

/* Is the authenticated identifier id aligned with the Author Domain? */
static enum align
aligned(struct fetch_cache *c, const char *id_in, const char *from, const char *from_org,
    bool strict)
{
	char id[DMARC_NAME_MAX], org[DMARC_NAME_MAX];
	struct dmarc_walk w;

	if (id_in == NULL || !dmarc_domain_norm(id_in, id, sizeof(id)))
		return ALIGN_NO;
	if (strcmp(id, from) == 0)
		return ALIGN_YES;
	if (strict)
		return ALIGN_NO;
	/* org(id) is id or one of its parents: it can only equal from_org
	 * when id lies under from_org, so other identifiers need no walk */
	if (!dmarc_domain_under(id, from_org))
		return ALIGN_NO;
	dmarc_tree_walk(id, false, fetch_cached, c, &w);
	if (w.temperror)
		return ALIGN_TEMP;
	dmarc_walk_org(id, &w, org, sizeof(org));
	return strcmp(org, from_org) == 0 ? ALIGN_YES : ALIGN_NO;
}

bool
dmarc_org_domain(const char *domain, char *out, size_t size)
{
	struct fetch_cache c;
	struct dmarc_walk w;
	char d[DMARC_NAME_MAX];

	memset(&c, 0, sizeof(c));
	if (!dmarc_domain_norm(domain, d, sizeof(d)))
		return false;
	dmarc_tree_walk(d, false, fetch_cached, &c, &w);
	if (w.temperror)
		return false;
	dmarc_walk_org(d, &w, out, size);
	return true;
}

/* The record that applies (4.10.1): the Author Domain's own, else the
 * organisational domain's, else the Public Suffix Domain's (psd=y). */
static const struct dmarc_walk_hit *
policy_hit(const struct dmarc_walk *w, const char *from, const char *org)
{
	if (w->nhit == 0)
		return NULL;
	if (strcmp(w->hit[0].domain, from) == 0)
		return &w->hit[0];
	for (size_t i = 0; i < w->nhit; i++)
		if (strcmp(w->hit[i].domain, org) == 0)
			return &w->hit[i];
	return &w->hit[w->nhit - 1];
}

static void
set_why(struct dmarc_output *out, const char *why)
{
	strlcpy_ok(out->why, why, sizeof(out->why));
}

void
dmarc_evaluate(const struct dmarc_input *in, struct dmarc_output *out)
{
	static struct fetch_cache zero;
	struct fetch_cache *c;
	const struct dmarc_walk_hit *h;
	struct dmarc_walk w;
	char from[DMARC_NAME_MAX];
	bool temp = false;
	enum align al;

	memset(out, 0, sizeof(*out));
	if (in->from_domain == NULL || !dmarc_domain_norm(in->from_domain, from, sizeof(from))) {
		out->result = DMARC_PERMERROR;
		set_why(out, "no usable From domain");
		return;
	}
	c = xmalloc(sizeof(*c));
	*c = zero;
	dmarc_tree_walk(from, false, fetch_cached, c, &w);
	out->queries = c->queries;
	if (w.temperror && (w.nhit == 0 || strcmp(w.hit[0].domain, from) != 0)) {
		out->result = DMARC_TEMPERROR;
		set_why(out, "DNS failure fetching the record");
		goto done;
	}
	if (w.nhit == 0) {
		out->result = DMARC_NONE;
		set_why(out, "no record");
		goto done;
	}
	/* with the Author Domain's own record, a failure further up leaves
	 * only the organisational domain uncertain: a pass still counts */
	temp = w.temperror;
	dmarc_walk_org(from, &w, out->org_domain, sizeof(out->org_domain));
	h = policy_hit(&w, from, out->org_domain);
	out->rec = h->rec;
	strlcpy_ok(out->record_domain, h->domain, sizeof(out->record_domain));
	out->psd_record = h->rec.psd == DMARC_PSD_Y && strcmp(h->domain, out->org_domain) != 0;
	if (strcmp(h->domain, from) == 0)
		out->policy = h->rec.p;
	else
		out->policy = h->rec.np != h->rec.sp && domain_missing(c, from) ? h->rec.np : h->rec.sp;
	out->testing = h->rec.testing;
	out->applied = out->testing && out->policy > DMARC_P_NONE ?
	    (enum dmarc_policy)(out->policy - 1) : out->policy;

	al = in->spf_pass ? aligned(c, in->spf_domain, from, out->org_domain, h->rec.aspf_strict) :
	    ALIGN_NO;
	out->spf_aligned = al == ALIGN_YES;
	temp = temp || al == ALIGN_TEMP;
	for (size_t i = 0; i < in->ndkim && i < DMARC_MAX_DKIM && !out->dkim_aligned; i++) {
		al = aligned(c, in->dkim_pass[i], from, out->org_domain, h->rec.adkim_strict);
		out->dkim_aligned = al == ALIGN_YES;
		temp = temp || al == ALIGN_TEMP;
	}
	out->queries = c->queries;
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = DMARC_PASS;
		snprintf(out->why, sizeof(out->why), "aligned %s",
		    out->dkim_aligned ? (out->spf_aligned ? "dkim+spf" : "dkim") : "spf");
		goto done;
	}
	if (temp) {
		out->result = DMARC_TEMPERROR;
		set_why(out, c->over_budget ? "DNS look-up budget spent during alignment" :
		    "DNS failure during alignment");
		goto done;
	}
	out->result = DMARC_FAIL;
	set_why(out, "no aligned pass");
done:
	free(c);
}

static const char *const result_names[] = { "none", "pass", "fail", "temperror", "permerror" };

const char *
dmarc_result_name(enum dmarc_result r)
{
	return (unsigned)r < NELEM(result_names) ? result_names[r] : "?";
}

bool
dmarc_result_parse(const char *v, size_t n, enum dmarc_result *out)
{
	for (size_t i = 0; i < NELEM(result_names); i++)
		if (mem_caseeq(v, n, result_names[i])) {
			*out = (enum dmarc_result)i;
			return true;
		}
	return false;
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	static const char *const names[] = { "none", "quarantine", "reject" };

	return (unsigned)p < NELEM(names) ? names[p] : "?";
}
