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

#include "postern/check.h"
#include "postern/session.h"

/*
 * Each check's connection and message state is allocated once per
 * connection (the sizes are in the rows) and zeroed between messages:
 * no allocation per message for the state itself.
 */
struct conn *
conn_new(void)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->snap = snapshot_acquire();
	msg_init(&c->msg);
	for (size_t i = 0; i < check_count; i++)
		if (check_table[i]->conn_size > 0)
			c->state[i] = xcalloc(1, check_table[i]->conn_size);
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	msg_free(&c->msg);
	for (size_t i = 0; i < check_count; i++) {
		if (c->state[i] == NULL)
			continue;
		if (check_table[i]->conn_free != NULL)
			check_table[i]->conn_free(c->state[i]);
		free(c->state[i]);
	}
	free(c->hostname);
	free(c->helo);
	free(c->daemon_name);
	free(c->mta_name);
	snapshot_release(c->snap);
	free(c);
}

void
msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	sb_init(&m->notes);
	verdict_clear(&m->verdict);
	verdict_clear(&m->last_rcpt);
	for (size_t i = 0; i < check_count; i++)
		if (check_table[i]->msg_size > 0)
			m->state[i] = xcalloc(1, check_table[i]->msg_size);
}

static void
reset_states(struct msg *m)
{
	for (size_t i = 0; i < check_count; i++) {
		if (m->state[i] == NULL)
			continue;
		if (check_table[i]->msg_reset != NULL)
			check_table[i]->msg_reset(m->state[i]);
		memset(m->state[i], 0, check_table[i]->msg_size);
	}
}

void
msg_reset(struct msg *m)
{
	strbuf notes = m->notes;
	void *state[CHECK_MAX];

	reset_states(m);
	memcpy(state, m->state, sizeof(state));
	free(m->sender);
	free(m->auth_user);
	sb_reset(&notes);
	memset(m, 0, sizeof(*m));
	m->notes = notes;
	memcpy(m->state, state, sizeof(state));
	verdict_clear(&m->verdict);
	verdict_clear(&m->last_rcpt);
}

void
msg_free(struct msg *m)
{
	reset_states(m);
	for (size_t i = 0; i < check_count; i++)
		free(m->state[i]);
	free(m->sender);
	free(m->auth_user);
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
