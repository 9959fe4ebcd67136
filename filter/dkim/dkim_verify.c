/*
 * dkim_verify.c - verifying every signature of an inbound message,
 * streamed (headers as they arrive, body chunk by chunk; nothing is
 * buffered), and classifying each one (RFC 8601 result, reason, tags).
 * The body hashes are dkim_bh.c's when libopendkim finished the headers.
 * Called through the dkim_msg_* functions; what the results mean for
 * the message is the check's business (filter/checks/check_dkim.c).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dkim_int.h"

static const char *const sigres_names[] = { "pass", "fail", "neutral", "policy", "temperror",
	"permerror" };

const char *
dkim_sigres_name(enum dkim_sigres r)
{
	return (size_t)r < NELEM(sigres_names) ? sigres_names[r] : "neutral";
}

void
dkim_verify_header(struct dkim_msg *dm, const char *name, const strbuf *line)
{
	DKIM_STAT st;
	bool is_sig;

	if (dm->verify_broken)
		return;
	if (dm->verify == NULL) {
		dm->verify = dkim_verify(dm->st->lib, (const u_char *)(dm->id[0] ? dm->id : "NOQUEUE"),
		    NULL, &st);
		if (dm->verify == NULL) {
			dm->verify_broken = true;
			return;
		}
		dkim_set_user_context(dm->verify, dm);
	}
	is_sig = strcasecmp(name, "DKIM-Signature") == 0;
	dm->nsigfields += is_sig;
	st = dkim_header(dm->verify, (u_char *)line->s, line->len - 2);
	if (st == DKIM_STAT_SYNTAX && is_sig) {
		/* the field is kept (another signature may cover it);
		 * libopendkim may or may not list this signature */
		if (dm->nmalformed++ == 0) {
			const char *why = dkim_geterror(dm->verify);
			snprintf(dm->malformed_why, sizeof(dm->malformed_why), "%s",
			    why != NULL ? why : "syntax error");
		}
	} else if (st != DKIM_STAT_OK) {
		dm->verify_broken = true;
	}
}

void
dkim_verify_eoh(struct dkim_msg *dm)
{
	if (dm->verify == NULL || dm->verify_broken)
		return;
	switch (dkim_eoh(dm->verify)) {
	case DKIM_STAT_NOSIG:
		dm->nosig = true;
		dkim_free(dm->verify);
		dm->verify = NULL;
		break;
	case DKIM_STAT_OK:
		/* every signature checked but for its body: the body
		 * hashes are ours (dkim_bh.c) */
		dkim_bh_setup(dm);
		break;
	default:
		break; /* libopendkim gets the body and decides at eom */
	}
}

static const char *
tagval(DKIM_SIGINFO *sig, const char *tag)
{
	const u_char *v = dkim_sig_gettagvalue(sig, false, (u_char *)tag);

	return v != NULL ? (const char *)v : "";
}

/* flags, err, bh: the signature's state after dkim_eom(), libopendkim's
 * or the one dkim_bh.c rebuilt */
static enum dkim_sigres
classify(DKIM_SIGINFO *sig, unsigned flags, int err, int bh, const char **why)
{
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;

	*why = err != DKIM_SIGERROR_OK ? dkim_sig_geterrorstr(err) : NULL;
	if (flags & DKIM_SIGFLAG_IGNORE) {
		*why = "over the signature limit, not checked";
		return DKSIG_POLICY;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH) {
		(void)dkim_sig_getsignalg(sig, &alg);
		if (alg == DKIM_SIGN_RSASHA1) {
			*why = "rsa-sha1 is not accepted (RFC 8301)";
			return DKSIG_POLICY;
		}
		return DKSIG_PASS;
	}
	if ((flags & DKIM_SIGFLAG_PROCESSED) && bh == DKIM_SIGBH_MISMATCH) {
		*why = "body hash did not verify";
		return DKSIG_FAIL;
	}
	switch (err) {
	case DKIM_SIGERROR_OK:
		if (flags & DKIM_SIGFLAG_PROCESSED) {
			*why = bh == DKIM_SIGBH_MISMATCH ?
			    "body hash did not verify" : "signature did not verify";
			return DKSIG_FAIL;
		}
		*why = "not processed";
		return DKSIG_NEUTRAL;
	case DKIM_SIGERROR_BADSIG:
		*why = "signature did not verify";
		return DKSIG_FAIL;
	case DKIM_SIGERROR_KEYFAIL:
		*why = "key lookup failed";
		return DKSIG_TEMPERROR;
	case DKIM_SIGERROR_KEYTOOSMALL:
		return DKSIG_POLICY;
	case DKIM_SIGERROR_NOKEY: case DKIM_SIGERROR_DNSSYNTAX: case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYVERSION: case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH: case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING: case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYREVOKED: case DKIM_SIGERROR_KEYDECODE:
		return DKSIG_PERMERROR;
	default:
		return DKSIG_NEUTRAL;
	}
}

static void
copy_tag(char *out, size_t size, const char *v)
{
	snprintf(out, size, "%s", v);
}

static void
describe(DKIM_SIGINFO *sig, unsigned flags, int err, int bh, struct dkim_sigresult *r)
{
	unsigned bits = 0;
	size_t bn = 0;

	memset(r, 0, sizeof(*r));
	r->res = classify(sig, flags, err, bh, &r->why);
	if (r->res == DKSIG_PASS && dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK)
		r->bits = bits;
	copy_tag(r->d, sizeof(r->d), tagval(sig, "d"));
	copy_tag(r->i, sizeof(r->i), tagval(sig, "i"));
	copy_tag(r->s, sizeof(r->s), tagval(sig, "s"));
	copy_tag(r->a, sizeof(r->a), tagval(sig, "a"));
	for (const char *p = tagval(sig, "b"); *p && bn + 1 < sizeof(r->b); p++)
		if (isalnum((unsigned char)*p) || *p == '+' || *p == '/')
			r->b[bn++] = *p;
	r->b[bn] = '\0';
}

unsigned
dkim_verify_ignored(const struct dkim_msg *dm)
{
	return dm != NULL ? dm->nignored : 0;
}

bool
dkim_verify_eom(struct dkim_msg *dm,
    void (*cb)(void *ctx, const struct dkim_sigresult *r), void *ctx)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	struct dkim_sigresult r;

	if (dm->verify != NULL) {
		if (!dm->own_body)
			(void)dkim_eom(dm->verify, NULL);
		if (dkim_getsiglist(dm->verify, &sigs, &nsigs) == DKIM_STAT_OK)
			for (int i = 0; i < nsigs; i++) {
				unsigned flags = dkim_sig_getflags(sigs[i]);
				int err = dkim_sig_geterror(sigs[i]), bh = dkim_sig_getbh(sigs[i]);

				if (dm->own_body && (size_t)i < dm->nsnap)
					dkim_bh_state(dm, (size_t)i, sigs[i], &flags, &err, &bh);
				describe(sigs[i], flags, err, bh, &r);
				cb(ctx, &r);
			}
	}
	/* signatures too malformed for libopendkim to list */
	for (unsigned i = (unsigned)nsigs; i < dm->nsigfields && dm->nmalformed > 0; i++) {
		memset(&r, 0, sizeof(r));
		r.res = DKSIG_NEUTRAL;
		r.why = dm->malformed_why;
		cb(ctx, &r);
	}
	return !dm->verify_broken;
}
