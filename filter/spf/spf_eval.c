/*
 * spf_eval.c - check_host() (RFC 7208 4) on libspf2 with our DNS layer.
 *
 * Owns the one SPF_server (made at start-up: libspf2's SPF_error() aborts
 * on creation failure, so it must not happen per message).  Each
 * evaluation: initial processing of the domain (4.3), then libspf2's
 * record fetch and interpretation, without its loopback free pass, then
 * the mapping of what it said plus our layer's facts to one of the seven
 * results.  Called by spf.c.
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "postern/log.h"
#include "postern/spf.h"
#include "postern/spf_dns.h"

static SPF_server_t *server;
static SPF_dns_server_t *layer;   /* SPF_server_free does not free it */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static void
quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

/* libspf2's warnings quote record text: network text, escaped */
static void
spf_warn(const char *file, int line, const char *msg)
{
	strbuf sb;

	(void)file;
	(void)line;
	if (!log_enabled(PLOG_DEBUG) || msg == NULL)
		return;
	sb_init(&sb);
	sb_escape(&sb, msg, strlen(msg), 200);
	plog(PLOG_DEBUG, NULL, "libspf2: %s", sb.s);
	sb_free(&sb);
}

const char *
spf_res_name(enum spf_res r)
{
	static const char *const names[] = { "none", "neutral", "pass", "fail",
		"softfail", "temperror", "permerror" };

	return (unsigned)r < NELEM(names) ? names[r] : "permerror";
}

bool
spf_engine_init(char *err, size_t errlen)
{
	bool ok = true;

	pthread_mutex_lock(&init_lock);
	if (server == NULL) {
		SPF_warning_handler = spf_warn;
		SPF_info_handler = quiet;
		SPF_debug_handler = quiet;
		layer = spf_dns_layer_new();
		server = SPF_server_new_dns(layer, 0);
		if (server == NULL) {
			snprintf(err, errlen, "libspf2: cannot create the SPF server");
			ok = false;
		} else {
			/* our layer enforces RFC 7208 4.6.4 across includes */
			SPF_server_set_max_dns_mech(server, 100);
			SPF_server_set_max_dns_mx(server, SPF_MAX_MX_PTR);
			SPF_server_set_max_dns_ptr(server, SPF_MAX_MX_PTR);
		}
	}
	pthread_mutex_unlock(&init_lock);
	return ok;
}

void
spf_engine_free(void)
{
	pthread_mutex_lock(&init_lock);
	if (server != NULL)
		SPF_server_free(server);
	if (layer != NULL)
		SPF_dns_free(layer);
	server = NULL;
	layer = NULL;
	pthread_mutex_unlock(&init_lock);
}

enum spf_res
spf_map_result(int spf2_result, int spf2_err, const struct spf_eval_facts *f)
{
	if (f != NULL && f->perm)
		return SPFR_PERMERROR;
	if (f != NULL && f->temp)
		return SPFR_TEMPERROR;
	switch (spf2_result) {
	case SPF_RESULT_PASS:
		return SPFR_PASS;
	case SPF_RESULT_FAIL:
		return SPFR_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return SPFR_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:
		return SPFR_NEUTRAL;
	case SPF_RESULT_NONE:
		return SPFR_NONE;
	case SPF_RESULT_TEMPERROR:
		return SPFR_TEMPERROR;
	case SPF_RESULT_PERMERROR:
		return SPFR_PERMERROR;
	default:
		/* SPF_RESULT_INVALID and anything else never leak */
		if (spf2_err == SPF_E_DNS_ERROR)
			return SPFR_TEMPERROR;
		return SPFR_PERMERROR;
	}
}

static void
copy_clean(char *dst, size_t size, const char *src)
{
	size_t o = 0;

	for (; src != NULL && *src != '\0' && o + 1 < size; src++) {
		unsigned char ch = (unsigned char)*src;
		dst[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	dst[o] = '\0';
}

static void
set_out(struct spf_outcome *out, enum spf_res r, const char *why)
{
	out->result = r;
	copy_clean(out->why, sizeof(out->why), why);
}

void
spf_check_host(const struct spf_query *q, struct spf_outcome *out)
{
	SPF_request_t *req = NULL;
	SPF_response_t *resp = NULL;
	SPF_record_t *rec = NULL;
	SPF_errcode_t err;
	struct spf_eval_facts facts = { false, false };
	char why[SPF_WHY_MAX];
	char init_err[128];
	uint8_t ip[16];
	int family;

	memset(out, 0, sizeof(*out));
	/* RFC 7208 4.3: a malformed domain gives none */
	if (q->domain == NULL || !spf_domain_ok(q->domain, strlen(q->domain), true)) {
		set_out(out, SPFR_NONE, "not a valid domain name");
		return;
	}
	if (server == NULL && !spf_engine_init(init_err, sizeof(init_err))) {
		set_out(out, SPFR_TEMPERROR, init_err);
		return;
	}
	req = SPF_request_new(server);
	if (req == NULL) {
		set_out(out, SPFR_TEMPERROR, "out of memory");
		return;
	}
	if (q->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)q->ip)) {
		/* an IPv4-mapped address is the IPv4 client it maps */
		family = AF_INET;
		memcpy(ip, q->ip + 12, 4);
	} else {
		family = q->family;
		memcpy(ip, q->ip, 16);
	}
	if (family == AF_INET) {
		struct in_addr a4;
		memcpy(&a4, ip, 4);
		SPF_request_set_ipv4(req, a4);
	} else {
		struct in6_addr a6;
		memcpy(&a6, ip, 16);
		SPF_request_set_ipv6(req, a6);
	}
	if (q->helo != NULL && *q->helo != '\0')
		SPF_request_set_helo_dom(req, q->helo);
	if (SPF_request_set_env_from(req, q->sender) != SPF_E_SUCCESS || req->env_from_dp == NULL) {
		SPF_request_free(req);
		set_out(out, SPFR_NONE, "no domain in the identity");
		return;
	}
	req->use_helo = 0;
	req->cur_dom = req->env_from_dp;
	resp = SPF_response_new(req);
	if (resp == NULL) {
		SPF_request_free(req);
		set_out(out, SPFR_TEMPERROR, "out of memory");
		return;
	}
	/* as SPF_request_query_mailfrom, minus the loopback free pass */
	spf_dns_begin(family, ip);
	err = SPF_server_get_record(server, req, resp, &rec);
	if (err != SPF_E_SUCCESS) {
		if (rec != NULL)
			SPF_record_free(rec);
	} else {
		resp->spf_record_exp = rec;
		err = SPF_record_interpret(rec, req, resp, 0);
		SPF_record_free(rec);
	}
	spf_dns_end(&facts, why, sizeof(why));
	out->result = spf_map_result(resp->result, err, &facts);
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "%s", SPF_strerror(err != SPF_E_SUCCESS ? err : resp->err));
	copy_clean(out->why, sizeof(out->why), why);
	if (out->result == SPFR_FAIL)
		copy_clean(out->explanation, sizeof(out->explanation),
		    SPF_response_get_explanation(resp));
	SPF_response_free(resp);
	SPF_request_free(req);
}
