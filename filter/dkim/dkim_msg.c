/*
 * dkim_msg.c - one message's DKIM job: a verifying or a signing job fed
 * header by header and chunk by chunk (dkim_verify.c, dkim_sign.c do the
 * work).  The engine's entry points for the dkim check.
 */
#include "config.h"

#include <stdlib.h>

#include "dkim_int.h"

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
	dkim_bh_free(dm);
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
	if (dm->own_body)
		dkim_bh_feed(dm, buf, len);
	else if (dm->verify != NULL)
		(void)dkim_body(dm->verify, (u_char *)buf, len);
	dkim_sign_body(dm, buf, len);
}
