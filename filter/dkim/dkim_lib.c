/*
 * dkim_lib.c - the per-snapshot DKIM state: libopendkim's library handle
 * (header lists, minimum key size, the prescreen that enforces
 * dkim.max_signatures, DNS hooks), the key table, the keys for a From
 * domain, and the header helpers shared by verifying and signing.
 * Called by config.c (snapshot build) and dkim.c / dkim_sign.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_int.h"
#include "postern/config.h"

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
dkim_state_build(const struct config *cfg, struct ct_errors *errs)
{
	struct dkim_state *st = xcalloc(1, sizeof(*st));
	struct dkim_opts o = { (unsigned)cfg->dkim_min_key_bits, (unsigned)cfg->dkim_max_signatures };
	char err[256];

	st->max_signatures = o.max_signatures;
	st->sign_subdomains = cfg->dkim_sign_subdomains;
	st->canon_hdr = canon_hdr[cfg->dkim_canon];
	st->canon_body = canon_body[cfg->dkim_canon];
	if (!dkim_keytab_build(&st->keys, &cfg->dkim_keys, cfg->file, errs))
		goto bad;
	if ((st->lib = dkim_lib_new(&o, err, sizeof(err))) == NULL) {
		ct_error(errs, cfg->file, 0, "dkim", "%s", err);
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

/*
 * The first mailbox of a From field: the first "<...>" outside quoted
 * strings and comments, else the text up to the first ',' outside them.
 * A second mailbox makes the field ambiguous for signing: false.
 */
bool
dkim_from_domain(const char *value, size_t len, char *out, size_t size)
{
	const char *start = value, *end = value + len, *at = NULL;
	bool quoted = false, angle = false, done = false;
	int comment = 0;
	size_t n = 0;

	for (const char *p = value; p < value + len; p++) {
		char ch = *p;

		if (ch == '\\' && (quoted || comment) && p + 1 < value + len) {
			p++;
			continue;
		}
		if (quoted) {
			quoted = ch != '"';
		} else if (comment > 0) {
			comment += ch == '(' ? 1 : ch == ')' ? -1 : 0;
		} else if (ch == '"') {
			quoted = true;
		} else if (ch == '(') {
			comment = 1;
		} else if (done && ch == ',') {
			return false;            /* a second mailbox */
		} else if (ch == '<' && !done) {
			start = p + 1;
			angle = true;
		} else if (ch == '>' && angle && !done) {
			end = p;
			done = true;
		} else if (ch == ',' && !angle) {
			end = p;
			done = true;
			for (const char *q = p + 1; q < value + len; q++)
				if (!isspace((unsigned char)*q))
					return false;   /* a second mailbox */
			break;
		}
	}
	if (angle && !done)
		return false;
	for (const char *p = start; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return false;
	for (const char *p = at + 1; p < end; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isspace(ch) || ch == '(')
			break;
		if (!(isalnum(ch) || ch == '.' || ch == '-' || ch == '_') || n + 1 >= size)
			return false;
		out[n++] = (char)tolower(ch);
	}
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
	return n > 0;
}

