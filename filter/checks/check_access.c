/*
 * check_access.c - check "access": who may hand over mail at all.
 *
 * TLS: a policy may require TLS for all mail to its domain (tls.required)
 * and for mail from named partner domains (tls.required_from, envelope
 * sender domain and its parents), with a minimum protocol version and
 * cipher strength; the facts are the MTA's {tls_version}, {cipher} and
 * {cipher_bits} (struct conn_tls, sent with the HELO after STARTTLS).
 * Refused at RCPT (inbound: the recipient's policy governs) with
 * 530 5.7.0, or 450 4.7.0 when tls.action is tempfail.  Outbound mail
 * (the sender's policy governs from MAIL FROM) may be required to be
 * handed over TLS (tls.required_outbound), refused at MAIL FROM.  The TLS
 * of delivery to other servers is the MTA's (Postfix smtp_tls_policy_maps):
 * a milter never sees it.
 *
 * Submission: mail through a daemon named in submission.daemons (the
 * MTA's {daemon_name}: Postfix's submission/smtps services) without SMTP
 * AUTH gets 530 5.7.0 Authentication required: at MAIL FROM when the
 * sender's policy governs (outbound), else at RCPT.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/check_access.h"
#include "postern/lookup.h"

#define NAME "access"

struct access_policy {
	bool tls_required;
	bool tls_outbound;
	struct lookup *tls_from;
	int tls_min_version;
	unsigned long long tls_min_bits;
	struct strlist tls_deny_ciphers;
	enum action tls_action;
	struct strlist submission_daemons;
	enum action submission_action;
};

static const char *const version_choices[] = { "any", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2",
	"TLSv1.3", NULL };

#define OFF(f) offsetof(struct access_policy, f)
static const struct ct_key keys[] = {
	{ "tls.required", CT_BOOL, OFF(tls_required), "false", 0, 0, NULL,
	  "inbound mail to this domain must arrive over TLS (STARTTLS)" },
	{ "tls.required_outbound", CT_BOOL, OFF(tls_outbound), "false", 0, 0, NULL,
	  "outbound mail from this domain (submission, AUTH, internal clients) must be handed over TLS; refused at MAIL FROM" },
	{ "tls.required_from", CT_LOOKUP, OFF(tls_from), NULL, LK_NAME, 0, NULL,
	  "sender domains (and subdomains, file:PATH) whose mail to this domain must arrive over TLS" },
	{ "tls.min_version", CT_ENUM, OFF(tls_min_version), "any", 0, 0, version_choices,
	  "where TLS is required: the oldest protocol accepted" },
	{ "tls.min_cipher_bits", CT_UINT, OFF(tls_min_bits), "0", 0, 4096, NULL,
	  "where TLS is required: the fewest {cipher_bits} accepted; 0 = any" },
	{ "tls.deny_ciphers", CT_STRLIST, OFF(tls_deny_ciphers), NULL, 0, 0, NULL,
	  "where TLS is required: cipher names ({cipher}) containing one of these (case-insensitive) count as no TLS" },
	{ "tls.action", CT_ACTION, OFF(tls_action), "reject", 0, 0, NULL,
	  "mail without the TLS the policy requires (reject = 530 5.7.0, tempfail = 450 4.7.0)" },
	{ "submission.daemons", CT_STRLIST, OFF(submission_daemons), NULL, 0, 0, NULL,
	  "MTA services ({daemon_name}, e.g. submission, smtps) where SMTP AUTH is required" },
	{ "submission.action", CT_ACTION, OFF(submission_action), "reject", 0, 0, NULL,
	  "unauthenticated mail through a submission daemon (reject = 530 5.7.0)" },
};

struct access_msg {
	const char *decision;   /* static text for the summary, or NULL */
};

static const struct access_policy *
pol(const struct policy *p)
{
	return check_policy(p, &check_access);
}

unsigned
check_access_tls_rank(const char *v)
{
	if (v == NULL || *v == '\0')
		return 0;
	if (strcasecmp(v, "SSLv3") == 0)
		return 1;
	if (strcasecmp(v, "TLSv1") == 0 || strcasecmp(v, "TLSv1.0") == 0)
		return 2;
	if (strncasecmp(v, "TLSv1.", 6) == 0 && v[6] >= '1' && v[6] <= '9' && v[7] == '\0')
		return 2u + (unsigned)(v[6] - '0');
	return 0;
}

/* Why the session's TLS falls short of what p requires, or NULL. */
static const char *
tls_short(const struct conn *c, const struct msg *m, const struct access_policy *ap)
{
	bool required = m->dir == DIR_OUTBOUND ? ap->tls_outbound : (ap->tls_required ||
	    (m->sender_domain[0] != '\0' && lookup_domain(ap->tls_from, m->sender_domain)));
	unsigned rank = check_access_tls_rank(c->tls.version);

	if (!required)
		return NULL;
	if (c->tls.version[0] == '\0')
		return "none";
	/* version index i of version_choices has rank i (any = 0) */
	if (ap->tls_min_version > 0 && rank < (unsigned)ap->tls_min_version)
		return "old_version";
	if (ap->tls_min_bits > 0 && c->tls.bits < ap->tls_min_bits)
		return "weak_cipher";
	for (size_t i = 0; i < ap->tls_deny_ciphers.n; i++)
		if (strcasestr(c->tls.cipher, ap->tls_deny_ciphers.v[i]) != NULL)
			return "denied_cipher";
	return NULL;
}

static void
tls_refuse(struct verdict *v, const struct policy *p, const char *why)
{
	const struct access_policy *ap = pol(p);

	if (strcmp(why, "none") == 0)
		check_verdict(v, NAME, p, ap->tls_action, 530, "5.7.0",
		    "Must issue a STARTTLS command first: TLS is required by the policy of %s",
		    p->domain[0] ? p->domain : "default");
	else
		check_verdict(v, NAME, p, ap->tls_action, 530, "5.7.0",
		    "the TLS of this session is too weak for the policy of %s (%s)",
		    p->domain[0] ? p->domain : "default", why);
	if (v->action == ACT_TEMPFAIL)
		v->code = 450;
}

static bool
unauth_submission(const struct conn *c, const struct msg *m, const struct access_policy *ap)
{
	return c->daemon_name != NULL && m->auth_user == NULL &&
	    strlist_contains(&ap->submission_daemons, c->daemon_name);
}

static void
sub_refuse(struct verdict *v, const struct policy *p)
{
	check_verdict(v, NAME, p, pol(p)->submission_action, 530, "5.7.0",
	    "Authentication required");
}

static void
access_envfrom(struct conn *c, struct msg *m, void *ms, const char *const *args,
    struct verdict *v)
{
	struct access_msg *s = ms;
	const char *why;

	(void)args;
	if (m->npol == 0)
		return;
	if (unauth_submission(c, m, pol(m->pol[0]))) {
		s->decision = "submission_unauthenticated";
		sub_refuse(v, m->pol[0]);
	} else if ((why = tls_short(c, m, pol(m->pol[0]))) != NULL) {
		s->decision = strcmp(why, "none") == 0 ? "tls_required" : why;
		tls_refuse(v, m->pol[0], why);
	}
}

static void
access_envrcpt(struct conn *c, struct msg *m, void *ms, const struct policy *p,
    struct verdict *v)
{
	struct access_msg *s = ms;
	const struct access_policy *ap = pol(p);
	const char *why;

	if (unauth_submission(c, m, ap)) {
		s->decision = "submission_unauthenticated";
		sub_refuse(v, p);
		return;
	}
	if (m->dir == DIR_INBOUND && (why = tls_short(c, m, ap)) != NULL) {
		s->decision = strcmp(why, "none") == 0 ? "tls_required" : why;
		tls_refuse(v, p, why);
	}
}

static void
access_summary(const struct conn *c, const struct msg *m, const void *ms, strbuf *out)
{
	const struct access_msg *s = ms;

	(void)m;
	sb_puts(out, " tls=");   /* {tls_version}: the MTA's macro */
	if (c->tls.version[0] != '\0')
		sb_escape(out, c->tls.version, strlen(c->tls.version), 32);
	else
		sb_puts(out, "none");
	if (s->decision != NULL)
		sb_printf(out, " access=%s", s->decision);
}

const struct check check_access = {
	.name = NAME,
	.policy_keys = keys,
	.npolicy_keys = NELEM(keys),
	.policy_size = sizeof(struct access_policy),
	.msg_size = sizeof(struct access_msg),
	.envfrom = access_envfrom,
	.envrcpt = access_envrcpt,
	.summary = access_summary,
};
