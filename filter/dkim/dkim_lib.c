/*
 * dkim_lib.c - the per-snapshot DKIM state: libopendkim's library handle
 * (header lists, minimum key size, the prescreen that enforces
 * dkim.max_signatures, DNS hooks), the key table, the keys for a From
 * domain, the per-message job (dkim_msg_*: verify or sign), and the header
 * helper shared by verifying and signing.
 * Called by the dkim check (snapshot build, each message).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_int.h"

/* RFC 6376 5.4.1 plus Message-ID and the MIME headers. */
static const char *const sign_hdrs[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "message-id",
	"resent-date", "resent-from", "resent-to", "resent-cc",
	"in-reply-to", "references", "list-id", "list-help", "list-unsubscribe",
	"list-subscribe", "list-post", "list-owner", "list-archive",
	"mime-version", "content-type", "content-transfer-encoding", NULL,
};
/* Signed once more than they occur, so that none can be added later. */
static const char *const oversign_hdrs[] = {
	"from", "to", "cc", "subject", "date", "reply-to", "message-id",
	"mime-version", "content-type", "content-transfer-encoding", NULL,
};

/* ---- library handle ------------------------------------------------------ */

/* libopendkim calls this once per message with every signature found:
 * signatures beyond dkim.max_signatures are not processed. */
static DKIM_CBSTAT
prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkim_msg *dm = dkim_get_user_context(dkim);
	unsigned max = dm != NULL ? dm->st->max_signatures : 8;

	for (int i = (int)max; i < nsigs; i++) {
		dkim_sig_ignore(sigs[i]);
		if (dm != NULL)
			dm->nignored++;
	}
	return DKIM_CBSTAT_CONTINUE;
}

void *
dkim_lib_new(const struct dkim_opts *o, char *err, size_t errlen)
{
	DKIM_LIB *lib = dkim_init(dkim_track_malloc, dkim_track_free);
	unsigned flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	unsigned bits = o->min_key_bits;

	if (lib == NULL) {
		snprintf(err, errlen, "libopendkim: dkim_init failed");
		return NULL;
	}
	if (!dkim_libfeature(lib, DKIM_FEATURE_ED25519)) {
		snprintf(err, errlen, "libopendkim was built without Ed25519 support");
		goto bad;
	}
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits, sizeof(bits)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, (void *)sign_hdrs, sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, (void *)oversign_hdrs, sizeof(char **)) != DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim refused postern's options");
		goto bad;
	}
	if (dkim_set_prescreen(lib, prescreen) != DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim: cannot set the prescreen callback");
		goto bad;
	}
	dkim_dns_install(lib);
	return lib;
bad:
	dkim_close(lib);
	return NULL;
}

void
dkim_lib_free(void *lib)
{
	if (lib != NULL)
		dkim_close(lib);
}

static const int canon_hdr[] = { DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE };
static const int canon_body[] = { DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };

struct dkim_state *
dkim_state_build(const struct dkim_settings *set, strbuf *problems)
{
	struct dkim_state *st = xcalloc(1, sizeof(*st));
	struct dkim_opts o = { set->min_key_bits, set->max_signatures };
	char err[256];
	int canon = set->canon >= 0 && set->canon < 4 ? set->canon : 0;

	st->max_signatures = o.max_signatures;
	st->sign_subdomains = set->sign_subdomains;
	st->canon_hdr = canon_hdr[canon];
	st->canon_body = canon_body[canon];
	if (!dkim_keytab_build(&st->keys, set->keys, problems))
		goto bad;
	if ((st->lib = dkim_lib_new(&o, err, sizeof(err))) == NULL) {
		sb_printf(problems, "%s\n", err);
		goto bad;
	}
	return st;
bad:
	dkim_state_free(st);
	return NULL;
}

void
dkim_state_free(struct dkim_state *st)
{
	if (st == NULL)
		return;
	dkim_keytab_free(&st->keys);
	dkim_lib_free(st->lib);
	free(st);
}

size_t
dkim_keys_for(const struct dkim_state *st, const char *domain,
    const struct dkim_key **out, size_t max)
{
	size_t n = 0, dl = strlen(domain);

	for (size_t i = 0; i < st->keys.n && n < max; i++) {
		const struct dkim_key *k = &st->keys.v[i];
		size_t kl = strlen(k->domain);

		if (strcmp(k->domain, domain) == 0 ||
		    (st->sign_subdomains && dl > kl && domain[dl - kl - 1] == '.' &&
		    strcmp(domain + dl - kl, k->domain) == 0))
			out[n++] = k;
	}
	return n;
}

/* ---- header helpers ------------------------------------------------------ */

void
dkim_header_line(strbuf *sb, const char *name, const char *value)
{
	sb_puts(sb, name);
	sb_puts(sb, ": ");
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			sb_putc(sb, '\r');
		sb_putc(sb, *p);
	}
	sb_puts(sb, "\r\n");
}

/* ---- one message ----------------------------------------------------------- */

struct dkim_msg *
dkim_msg_new(const struct dkim_state *st, const char *id, bool sign)
{
	struct dkim_msg *dm = xcalloc(1, sizeof(*dm));

	dm->st = st;
	dm->id = id;
	dm->signing = sign;
	sb_init(&dm->hdrs);
	return dm;
}

void
dkim_msg_free(struct dkim_msg *dm)
{
	if (dm == NULL)
		return;
	if (dm->verify != NULL)
		dkim_free(dm->verify);
	for (size_t i = 0; i < dm->nsign; i++)
		dkim_signer_free(dm, i);
	sb_free(&dm->hdrs);
	free(dm);
}

void
dkim_msg_header(struct dkim_msg *dm, const char *name, const char *value)
{
	strbuf line;

	sb_init(&line);
	dkim_header_line(&line, name, value);
	if (dm->signing) {
		if (dm->st->keys.n > 0 && dm->nhdrs < DKIM_MAX_HEADERS_KEPT) {
			sb_append(&dm->hdrs, line.s, line.len);
			dm->nhdrs++;
		}
	} else {
		dkim_verify_header(dm, name, &line);
	}
	sb_free(&line);
}

void
dkim_msg_eoh(struct dkim_msg *dm, const char *domain)
{
	if (dm->signing)
		dkim_sign_eoh(dm, domain);
	else
		dkim_verify_eoh(dm);
}

void
dkim_msg_body(struct dkim_msg *dm, const unsigned char *buf, size_t len)
{
	if (dm->verify != NULL)
		(void)dkim_body(dm->verify, (u_char *)buf, len);
	dkim_sign_body(dm, buf, len);
}
