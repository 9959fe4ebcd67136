/*
 * dmarc.c - organisational domains (libpsl, loaded once), alignment, and
 * the evaluation of one message: record discovery at the From domain then
 * its organisational domain (RFC 7489 6.6.3), SPF/DKIM alignment, the
 * policy that applies (p, sp, or np for a non-existent subdomain), pct.
 * DNS goes through dns.c.  Called by check_dmarc.c and tests.
 */
#include "config.h"

#include <ctype.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "postern/dmarc.h"
#include "postern/dns.h"
#include "postern/util.h"

/*
 * The public suffix list: loaded once, by the first caller (the daemon
 * calls dmarc_psl_init at start-up; tools and tests on first use), under
 * pthread_once so that concurrent first uses cannot race.
 */
static const psl_ctx_t *psl;
static bool psl_owned;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void
psl_load(void)
{
	psl_ctx_t *p = psl_latest(NULL);

	if (p != NULL) {
		psl = p;
		psl_owned = true;
	} else {
		psl = psl_builtin();
		psl_owned = false;
	}
}

bool
dmarc_psl_init(char *err, size_t errlen)
{
	pthread_once(&psl_once, psl_load);
	if (psl == NULL) {
		snprintf(err, errlen, "no public suffix list (install publicsuffix)");
		return false;
	}
	return true;
}

static const psl_ctx_t *
get_psl(void)
{
	pthread_once(&psl_once, psl_load);
	return psl;
}

/* At exit, after every user is gone; the list is not loaded again. */
void
dmarc_psl_free(void)
{
	pthread_once(&psl_once, psl_load);
	if (psl_owned)
		psl_free((psl_ctx_t *)psl);
	psl = NULL;
	psl_owned = false;
}

static bool
lower_copy(const char *in, char *out, size_t size)
{
	size_t n = strlen(in);

	while (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return true;
}

bool
dmarc_org_domain(const char *domain, char *out, size_t size)
{
	char lower[256];
	const char *reg;

	if (!lower_copy(domain, lower, sizeof(lower)))
		return false;
	const psl_ctx_t *list = get_psl();

	reg = list != NULL ? psl_registrable_domain(list, lower) : NULL;
	return strlcpy_ok(out, reg != NULL ? reg : lower, size);
}

bool
dmarc_aligned(const char *a, const char *b, bool strict)
{
	char oa[256], ob[256];

	if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
		return false;
	if (strict) {
		if (!lower_copy(a, oa, sizeof(oa)) || !lower_copy(b, ob, sizeof(ob)))
			return false;
		return strcmp(oa, ob) == 0;
	}
	return dmarc_org_domain(a, oa, sizeof(oa)) && dmarc_org_domain(b, ob, sizeof(ob)) &&
	    strcmp(oa, ob) == 0;
}

enum fetch { FETCH_FOUND, FETCH_NONE, FETCH_TEMP };

/* Fetch _dmarc.<domain>: exactly one record starting with v=DMARC1 counts. */
static enum fetch
fetch_record(const char *domain, struct dmarc_record *r)
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
		return FETCH_NONE;
	}
	st = dns_query(name.s, 16, &a);
	if (st == DNS_TIMEOUT || st == DNS_SERVFAIL || st == DNS_ERROR) {
		dns_answer_free(&a);
		sb_free(&name);
		sb_free(&txt);
		return FETCH_TEMP;
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
	return found == 1 ? FETCH_FOUND : FETCH_NONE;
}

/* RFC 9091: a domain is non-existent when A, AAAA and MX all give NXDOMAIN. */
static bool
domain_missing(const char *domain)
{
	static const int types[] = { 1, 28, 15 };

	if (!dns_name_askable(domain))
		return true;     /* a name that cannot be asked cannot exist */
	for (size_t i = 0; i < NELEM(types); i++) {
		struct dns_answer a;
		enum dns_status st = dns_query(domain, types[i], &a);

		dns_answer_free(&a);
		if (st != DNS_NXDOMAIN)
			return false;
	}
	return true;
}

void
dmarc_evaluate(const struct dmarc_input *in, struct dmarc_output *out)
{
	struct dmarc_record r;
	char from[256];
	enum fetch f;

	memset(out, 0, sizeof(*out));
	if (in->from_domain == NULL || !lower_copy(in->from_domain, from, sizeof(from)) ||
	    !dmarc_org_domain(from, out->org_domain, sizeof(out->org_domain))) {
		out->result = DMARC_PERMERROR;
		strlcpy_ok(out->why, "no usable From domain", sizeof(out->why));
		return;
	}
	f = fetch_record(from, &r);
	strlcpy_ok(out->record_domain, from, sizeof(out->record_domain));
	if (f == FETCH_NONE && strcmp(from, out->org_domain) != 0) {
		f = fetch_record(out->org_domain, &r);
		strlcpy_ok(out->record_domain, out->org_domain, sizeof(out->record_domain));
	}
	if (f == FETCH_TEMP) {
		out->result = DMARC_TEMPERROR;
		strlcpy_ok(out->why, "DNS failure fetching the record", sizeof(out->why));
		return;
	}
	if (f == FETCH_NONE) {
		out->result = DMARC_NONE;
		out->record_domain[0] = '\0';
		strlcpy_ok(out->why, "no record", sizeof(out->why));
		return;
	}
	out->spf_aligned = in->spf_pass && dmarc_aligned(in->spf_domain, from, r.aspf_strict);
	for (size_t i = 0; i < in->ndkim && i < DMARC_MAX_DKIM; i++)
		out->dkim_aligned = out->dkim_aligned || dmarc_aligned(in->dkim_pass[i], from, r.adkim_strict);
	if (strcmp(out->record_domain, from) == 0)
		out->policy = r.p;
	else
		out->policy = r.np != r.sp && domain_missing(from) ? r.np : r.sp;
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = DMARC_PASS;
		snprintf(out->why, sizeof(out->why), "aligned %s",
		    out->dkim_aligned ? (out->spf_aligned ? "dkim+spf" : "dkim") : "spf");
		return;
	}
	out->result = DMARC_FAIL;
	out->sampled_out = in->sample >= r.pct;
	strlcpy_ok(out->why, "no aligned pass", sizeof(out->why));
}

const char *
dmarc_result_name(enum dmarc_result r)
{
	static const char *const names[] = { "none", "pass", "fail", "temperror", "permerror" };

	return (unsigned)r < NELEM(names) ? names[r] : "?";
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	static const char *const names[] = { "none", "quarantine", "reject" };

	return (unsigned)p < NELEM(names) ? names[p] : "?";
}
