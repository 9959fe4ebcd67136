/*
 * dkim_lib.c - the per-snapshot DKIM state: libopendkim's library handle
 * (allocator, header lists, minimum key size, the prescreen that enforces
 * dkim.max_signatures, DNS hooks) and the key table, and the header helper
 * shared by verifying and signing.  Called by the dkim check (snapshot
 * build) and dkim_msg.c.
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

/* ---- allocator: records a signing handle's first allocations (the
 * libopendkim 2.11 Ed25519 leak work-around in dkim_sign.c) ------------ */

void *
dkim_track_malloc(void *closure, size_t n)
{
	struct dkim_memtrack *t = closure;
	void *p = malloc(n);

	if (t != NULL && t->on && p != NULL && t->n < 2) {
		t->blk[t->n] = p;
		t->sz[t->n++] = n;
	}
	return p;
}

void
dkim_track_free(void *closure, void *p)
{
	(void)closure;
	free(p);
}

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
	st->min_key_bits = o.min_key_bits;
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

/* ---- header helpers ------------------------------------------------------ */

void
dkim_header_line(strbuf *sb, const char *name, const char *value)
{
	sb_puts(sb, name);
	sb_putc(sb, ':');    /* value is as written after the colon */
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			sb_putc(sb, '\r');
		sb_putc(sb, *p);
	}
	sb_puts(sb, "\r\n");
}
