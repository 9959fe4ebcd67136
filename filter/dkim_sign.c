/*
 * dkim_sign.c - signing outbound mail: every key of the From domain signs
 * (RSA and Ed25519 side by side, RFC 8463), relaxed/relaxed by default.
 * Headers were kept by dkim.c while they arrived (the From domain, and
 * with it the keys, is only known at end of headers); the body streams
 * into every signing handle; at end of message each DKIM-Signature is
 * inserted at the top.  Called by dkim.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_int.h"
#include "postern/log.h"

#define SIG_FIELD "DKIM-Signature"

static void
drop_signers(struct dkim_msg *dm)
{
	for (size_t i = 0; i < dm->nsign; i++)
		dkim_free(dm->sign[i]);
	dm->nsign = 0;
}

/* Feed the kept headers ("Name: value\r\n" each; a continuation line starts
 * with white space) to one signing handle. */
static bool
feed_headers(DKIM *d, const strbuf *hdrs)
{
	size_t start = 0;

	for (size_t i = 0; i + 1 < hdrs->len; i++) {
		if (hdrs->s[i] != '\r' || hdrs->s[i + 1] != '\n')
			continue;
		if (i + 2 < hdrs->len && (hdrs->s[i + 2] == ' ' || hdrs->s[i + 2] == '\t'))
			continue;
		if (dkim_header(d, (u_char *)hdrs->s + start, i - start) != DKIM_STAT_OK)
			return false;
		start = i + 2;
	}
	return dkim_eoh(d) == DKIM_STAT_OK;
}

void
dkim_sign_eoh(struct conn *c, struct msg *m, struct dkim_msg *dm)
{
	const struct dkim_state *st = dm->st;
	const struct dkim_key *keys[DKIM_MAX_SIGNERS];
	size_t nk;

	(void)c;
	if (st->keys.n == 0)
		return;
	if (dm->nfrom != 1 || dm->from_domain[0] == '\0') {
		dm->sign_skipped = dm->nfrom == 0 ? "no From header" :
		    dm->nfrom > 1 ? "several From headers" : "no domain in From";
		return;
	}
	if (dm->nhdrs >= DKIM_MAX_HEADERS_KEPT) {
		dm->sign_skipped = "too many headers";
		return;
	}
	nk = dkim_keys_for(st, dm->from_domain, keys, DKIM_MAX_SIGNERS);
	if (nk == 0) {
		dm->sign_skipped = "no key for the From domain";
		return;
	}
	for (size_t i = 0; i < nk; i++) {
		DKIM_STAT s;
		DKIM *d = dkim_sign(st->lib, (const u_char *)(m->qid[0] ? m->qid : "NOQUEUE"), NULL,
		    (dkim_sigkey_t)keys[i]->keytext, (const u_char *)keys[i]->selector,
		    (const u_char *)keys[i]->domain, st->canon_hdr, st->canon_body,
		    keys[i]->alg == DKALG_RSA ? DKIM_SIGN_RSASHA256 : DKIM_SIGN_ED25519SHA256,
		    -1, &s);

		if (d == NULL) {
			plog(PLOG_ERR, m->qid, "dkim: cannot sign with %s: %s", keys[i]->path,
			    dkim_getresultstr(s));
			continue;
		}
		dm->sign[dm->nsign] = d;
		dm->signkey[dm->nsign++] = keys[i];
		if (!feed_headers(d, &dm->hdrs)) {
			plog(PLOG_ERR, m->qid, "dkim: signing with %s failed on the headers: %s",
			    keys[i]->path, dkim_geterror(d) ? dkim_geterror(d) : "?");
			dkim_free(d);
			dm->nsign--;
		}
	}
	if (dm->nsign == 0)
		dm->sign_skipped = "signing failed";
	sb_free(&dm->hdrs);   /* not needed any more */
}

void
dkim_sign_body(struct dkim_msg *dm, const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < dm->nsign; i++)
		(void)dkim_body(dm->sign[i], (u_char *)buf, len);
}

/* libopendkim folds with CRLF; milter header values fold with LF. */
static char *
unfold_crlf(const unsigned char *p, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		out[o++] = (char)p[i];
	}
	out[o] = '\0';
	return out;
}

void
dkim_sign_eom(struct conn *c, struct msg *m, struct dkim_msg *dm, struct edits *e)
{
	(void)c;
	for (size_t i = 0; i < dm->nsign; i++) {
		u_char *hdr = NULL;
		size_t len = 0;
		DKIM_STAT s = dkim_eom(dm->sign[i], NULL);

		if (s == DKIM_STAT_OK)
			s = dkim_getsighdr_d(dm->sign[i], strlen(SIG_FIELD) + 2, &hdr, &len);
		if (s != DKIM_STAT_OK || hdr == NULL) {
			const char *why = dkim_geterror(dm->sign[i]);
			plog(PLOG_ERR, m->qid, "dkim: signing with %s failed: %s",
			    dm->signkey[i]->path, why != NULL ? why : dkim_getresultstr(s));
			continue;
		}
		char *val = unfold_crlf(hdr, len);
		edits_insert(e, 0, SIG_FIELD, val);
		free(val);
		dm->nsigned++;
	}
	drop_signers(dm);
}
