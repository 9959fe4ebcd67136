/*
 * check_helo.c - check "helo": what the client's HELO/EHLO name claims.
 *
 * Rules, each with its own action (default accept, so that nothing
 * changes until a policy asks): the HELO claims one of our own names
 * (helo.own_names, the MTA's own name) or addresses (helo.own_addresses)
 * from an outside client; a bare IP address (RFC 5321 wants "[addr]");
 * not a fully-qualified name; a name with no A or AAAA record.  Inbound
 * mail from clients outside internal_hosts only, decided at RCPT with the
 * recipient's policy.  The DNS look-up is made once per HELO and only
 * when a governing policy has an action for it; resolver trouble decides
 * nothing (logged as helo_dns=trouble).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "postern/check_helo.h"
#include "postern/dns.h"
#include "postern/lookup.h"

#define NAME "helo"

struct helo_policy {
	struct lookup *own_names;
	struct lookup *own_addrs;
	enum action own_action, bare_ip_action, non_fqdn_action, unresolved_action;
};

#define OFF(f) offsetof(struct helo_policy, f)
static const struct ct_key keys[] = {
	{ "helo.own_names", CT_LOOKUP, OFF(own_names), NULL, LK_NAME, 0, NULL,
	  "our own host names (and names below them, file:PATH); the MTA's own name (macro j) always counts" },
	{ "helo.own_addresses", CT_LOOKUP, OFF(own_addrs), NULL, LK_CIDR, 0, NULL,
	  "our own addresses (CIDR, file:PATH): a HELO [addr] or bare addr in them claims to be us" },
	{ "helo.own_action", CT_ACTION, OFF(own_action), "accept", 0, 0, NULL,
	  "an outside client's HELO claims one of our names or addresses (reject = 550 5.7.1)" },
	{ "helo.bare_ip_action", CT_ACTION, OFF(bare_ip_action), "accept", 0, 0, NULL,
	  "HELO is an address without brackets (reject = 504 5.5.2)" },
	{ "helo.non_fqdn_action", CT_ACTION, OFF(non_fqdn_action), "accept", 0, 0, NULL,
	  "HELO is not a fully-qualified host name (reject = 504 5.5.2)" },
	{ "helo.unresolved_action", CT_ACTION, OFF(unresolved_action), "accept", 0, 0, NULL,
	  "HELO name has no A or AAAA record (reject = 550 5.7.1, tempfail = 451 4.7.1)" },
};

struct helo_conn {
	struct helo_facts f;
};

struct helo_msg {
	const char *decision;
};

static const struct helo_policy *
pol(const struct policy *p)
{
	return check_policy(p, &check_helo);
}

static bool
fqdn(const char *s)
{
	size_t len = strlen(s), label = 0;
	bool dot = false;

	if (len == 0 || len > 253)
		return false;
	if (s[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			dot = true;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return dot && label > 0;
}

static void
compute(struct conn *c, struct helo_facts *f)
{
	const char *h = c->helo != NULL ? c->helo : "";
	size_t len = strlen(h);
	char buf[64];

	memset(f, 0, sizeof(*f));
	f->known = true;
	if (inet_pton(AF_INET, h, f->ip) == 1) {
		f->bare_ip = true;
		f->family = AF_INET;
	} else if (inet_pton(AF_INET6, h, f->ip) == 1) {
		f->bare_ip = true;
		f->family = AF_INET6;
	} else if (len > 2 && len < sizeof(buf) && h[0] == '[' && h[len - 1] == ']') {
		const char *a = h + 1;

		memcpy(buf, h + 1, len - 2);
		buf[len - 2] = '\0';
		if (strncasecmp(buf, "IPv6:", 5) == 0)
			a = buf + 5;
		else
			a = buf;
		if (inet_pton(AF_INET, a, f->ip) == 1)
			f->family = AF_INET;
		else if (inet_pton(AF_INET6, a, f->ip) == 1)
			f->family = AF_INET6;
		f->literal = f->family != 0;
		f->non_fqdn = !f->literal;
	} else {
		f->non_fqdn = !fqdn(h);
	}
	f->is_mta_name = c->mta_name != NULL && !f->bare_ip && !f->literal &&
	    strcasecmp(h, c->mta_name) == 0;
}

const struct helo_facts *
check_helo_facts(struct conn *c)
{
	struct helo_conn *hc = check_conn_state(c, &check_helo);

	if (!hc->f.known)
		compute(c, &hc->f);
	return &hc->f;
}

static enum helo_resolves
resolve(struct conn *c, struct helo_facts *f)
{
	struct dns_answer a;
	enum dns_status st4, st6;

	if (f->resolves != HELO_DNS_UNKNOWN)
		return f->resolves;
	if (f->bare_ip || f->literal || f->non_fqdn) {
		f->resolves = HELO_DNS_NO;
		return f->resolves;
	}
	st4 = dns_query(c->helo, 1, &a);
	dns_answer_free(&a);
	if (st4 == DNS_OK) {
		f->resolves = HELO_DNS_YES;
		return f->resolves;
	}
	st6 = dns_query(c->helo, 28, &a);
	dns_answer_free(&a);
	if (st6 == DNS_OK)
		f->resolves = HELO_DNS_YES;
	else if ((st4 == DNS_NXDOMAIN || st4 == DNS_NODATA) && (st6 == DNS_NXDOMAIN || st6 == DNS_NODATA))
		f->resolves = HELO_DNS_NO;
	else
		f->resolves = HELO_DNS_TROUBLE;
	return f->resolves;
}

static void
helo_helo(struct conn *c, void *cs)
{
	struct helo_conn *hc = cs;

	(void)c;
	memset(&hc->f, 0, sizeof(hc->f));   /* a new HELO: new facts */
}

static void
helo_envrcpt(struct conn *c, struct msg *m, void *ms, const struct policy *p, struct verdict *v)
{
	struct helo_msg *s = ms;
	struct helo_conn *hc = check_conn_state(c, &check_helo);
	const struct helo_policy *hp = pol(p);
	const struct helo_facts *f;
	const char *h;

	if (m->dir != DIR_INBOUND || c->internal || c->helo == NULL)
		return;
	f = check_helo_facts(c);
	h = c->helo;
	if (hp->own_action > ACT_ACCEPT &&
	    (f->is_mta_name || (!f->bare_ip && !f->literal && lookup_domain(hp->own_names, h)) ||
	    (f->family != 0 && lookup_ip(hp->own_addrs, f->family, f->ip)))) {
		s->decision = "own_name";
		check_verdict(v, NAME, p, hp->own_action, 550, "5.7.1",
		    "HELO claims to be this server");
		return;
	}
	if (f->bare_ip && hp->bare_ip_action > ACT_ACCEPT) {
		s->decision = "bare_ip";
		check_verdict(v, NAME, p, hp->bare_ip_action, 504, "5.5.2",
		    "HELO must be a host name or an address in brackets");
		return;
	}
	if (f->non_fqdn && hp->non_fqdn_action > ACT_ACCEPT) {
		s->decision = "non_fqdn";
		check_verdict(v, NAME, p, hp->non_fqdn_action, 504, "5.5.2",
		    "HELO must be a fully-qualified host name");
		return;
	}
	if (hp->unresolved_action > ACT_ACCEPT && !f->bare_ip && !f->literal && !f->non_fqdn &&
	    resolve(c, &hc->f) == HELO_DNS_NO) {
		s->decision = "unresolved";
		check_verdict(v, NAME, p, hp->unresolved_action, 550, "5.7.1",
		    "HELO name has no address record");
		if (v->action == ACT_TEMPFAIL)
			strlcpy_ok(v->xcode, "4.7.1", sizeof(v->xcode));
	}
}

static void
helo_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct helo_msg *s = ms;
	const struct helo_conn *hc = check_conn_state(c, &check_helo);
	const struct helo_facts *f = &hc->f;

	(void)m;
	if (f->known && (f->bare_ip || f->non_fqdn || f->is_mta_name))
		sb_printf(out, " helo_facts=%s%s%s", f->bare_ip ? "bare_ip" : "",
		    f->non_fqdn ? "non_fqdn" : "", f->is_mta_name ? (f->bare_ip || f->non_fqdn ? ",mta_name" : "mta_name") : "");
	if (f->resolves == HELO_DNS_NO)
		sb_puts(out, " helo_dns=none");
	else if (f->resolves == HELO_DNS_TROUBLE)
		sb_puts(out, " helo_dns=trouble");
	if (s->decision != NULL)
		sb_printf(out, " helo=%s", s->decision);
}

const struct check check_helo = {
	.name = NAME,
	.policy_keys = keys,
	.npolicy_keys = NELEM(keys),
	.policy_size = sizeof(struct helo_policy),
	.conn_size = sizeof(struct helo_conn),
	.msg_size = sizeof(struct helo_msg),
	.helo = helo_helo,
	.envrcpt = helo_envrcpt,
	.summary = helo_summary,
};
