/*
 * pipeline.h - the phases of one SMTP session, run over the check table.
 *
 * milter.c calls one function per callback; tools and tests call the same
 * functions without an MTA.  Nothing here knows libmilter.  Verdicts
 * returned: envfrom -> the transaction, envrcpt -> this recipient,
 * eoh/body/eom -> the message.
 */
#ifndef POSTERN_PIPELINE_H
#define POSTERN_PIPELINE_H

#include <stddef.h>

#include "postern/check.h"
#include "postern/session.h"

void pl_connect(struct conn *c, const char *hostname, const char *addr,
    const char *daemon_name);
/* The reply to connect: a refusal of the whole connection, or accept. */
void pl_connect_reply(const struct conn *c, struct verdict *out);
void pl_helo(struct conn *c, const char *helo);
/* Session facts from the MTA's macros: its own name (j, at connect) and the
 * TLS of the session ({tls_version} {cipher} {cipher_bits}, at the HELO
 * after STARTTLS; NULL version: no news, the facts stay). */
void pl_server(struct conn *c, const char *mta_name);
void pl_tls(struct conn *c, const char *version, const char *cipher, const char *bits);
void pl_envfrom(struct conn *c, const char *sender, const char *const *args,
    const char *qid, const char *auth_user, struct verdict *out);
void pl_envrcpt(struct conn *c, const char *rcpt, struct verdict *out);
void pl_header(struct conn *c, const char *name, const char *value);
void pl_eoh(struct conn *c, struct verdict *out);
void pl_body(struct conn *c, const unsigned char *buf, size_t len, struct verdict *out);
/* Record the MTA's queue id once it is known (Postfix assigns it after
 * the first accepted RCPT unless smtpd_delay_open_until_valid_rcpt=no). */
void pl_queue_id(struct conn *c, const char *qid);
/* qid may arrive late (Postfix sends "i" with later stages too). */
void pl_eom(struct conn *c, const char *qid, struct edits *e, struct verdict *out);
/* The transaction ended without eom (RSET, abort, refused recipients). */
void pl_abort(struct conn *c);
void pl_close(struct conn *c);
/* Record a refusal decided outside the checks (e.g. internal error). */
void pl_note_failure(struct conn *c, const char *why);

#endif
