/*
 * session.c - connection and message state: new, reset, free.
 * Called by milter.c (callbacks) and by tests and tools that run the
 * pipeline without an MTA.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "postern/attach.h"
#include "postern/dkim.h"
#include "postern/session.h"

struct conn *
conn_new(void)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->snap = snapshot_acquire();
	msg_init(&c->msg);
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	msg_free(&c->msg);
	free(c->hostname);
	free(c->helo);
	free(c->daemon_name);
	snapshot_release(c->snap);
	free(c);
}

void
msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	sb_init(&m->ar_results);
	sb_init(&m->notes);
	verdict_clear(&m->verdict);
	verdict_clear(&m->last_rcpt);
}

void
msg_reset(struct msg *m)
{
	strbuf ar = m->ar_results, notes = m->notes;
	unsigned *forged = m->ar_forged;

	free(m->sender);
	free(m->auth_user);
	attach_free(m->attach);
	dkim_msg_free(m->dkim);
	sb_reset(&ar);
	sb_reset(&notes);
	memset(m, 0, sizeof(*m));
	m->ar_results = ar;
	m->notes = notes;
	m->ar_forged = forged;    /* capacity is tracked by ar_seen bound */
	verdict_clear(&m->verdict);
	verdict_clear(&m->last_rcpt);
}

void
msg_free(struct msg *m)
{
	free(m->sender);
	free(m->auth_user);
	free(m->ar_forged);
	attach_free(m->attach);
	dkim_msg_free(m->dkim);
	sb_free(&m->ar_results);
	sb_free(&m->notes);
	memset(m, 0, sizeof(*m));
}

bool
conn_set_client(struct conn *c, const char *hostname, const char *addr)
{
	free(c->hostname);
	c->hostname = xstrdup(hostname != NULL ? hostname : "unknown");
	c->family = 0;
	c->addr[0] = '\0';
	if (addr == NULL)
		return false;
	if (inet_pton(AF_INET, addr, c->ip) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, c->ip) == 1)
		c->family = AF_INET6;
	else
		return false;
	inet_ntop(c->family, c->ip, c->addr, sizeof(c->addr));
	return true;
}

const char *
direction_name(enum direction d)
{
	return d == DIR_OUTBOUND ? "outbound" : "inbound";
}
