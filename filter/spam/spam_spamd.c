/*
 * spam_spamd.c - a client for SpamAssassin's spamd (the spamc protocol,
 * SYMBOLS command): the address of the server, and one check per message
 * whose body is streamed to spamd as it arrives.  Called by
 * check_spam.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "postern/spam.h"

bool
spamd_addr_parse(const char *s, struct spamd_addr *out)
{
	char host[64];
	const char *colon, *hs = s;
	size_t hl;
	unsigned long port;
	char *end;

	memset(out, 0, sizeof(*out));
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return false;
		hs = s + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return false;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return false;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return false;
	if (inet_pton(AF_INET, host, out->ip) == 1)
		out->family = AF_INET;
	else if (*s == '[' && inet_pton(AF_INET6, host, out->ip) == 1)
		out->family = AF_INET6;
	else
		return false;
	out->port = (uint16_t)port;
	snprintf(out->text, sizeof(out->text), "%s", s);
	return true;
}
