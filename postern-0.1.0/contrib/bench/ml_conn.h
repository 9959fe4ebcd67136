/*
 * ml_conn.h - milter socket, packet builder and reply reader of the load
 * client (ml_conn.c).
 */
#ifndef ML_CONN_H
#define ML_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "milterload.h"

enum mc_status { MC_OK = 0, MC_CLOSED, MC_TIMEOUT, MC_BADLEN };

struct mconn {
	int fd;
	int timeout_ms;
	int per_packet;          /* -P: one send() per packet, as Postfix */
	int sticky;              /* failed per-packet send, reported later */
	char *obuf;             /* packets not yet sent */
	size_t olen, ocap, pstart;
	char *ibuf;             /* bytes read, not yet parsed */
	size_t ipos, ilen, icap;
};

/* Connect to SPEC (inet:PORT@ADDR, inet6:PORT@ADDR, unix:PATH). */
int mc_open(struct mconn *c, const char *spec, int timeout_ms, char *err, size_t errlen);
void mc_close(struct mconn *c);

/* Build one packet: mc_begin(cmd), mc_add*()..., mc_end(). */
void mc_begin(struct mconn *c, char cmd);
void mc_add(struct mconn *c, const void *data, size_t len);
void mc_addstr(struct mconn *c, const char *s);   /* with its NUL */
void mc_add16(struct mconn *c, uint16_t v);
void mc_add32(struct mconn *c, uint32_t v);
void mc_end(struct mconn *c);

enum mc_status mc_flush(struct mconn *c);
/* Next reply packet (SMFIR_PROGRESS skipped); data stays valid until the
 * next mc_read. */
enum mc_status mc_read(struct mconn *c, char *cmd, const char **data, size_t *len);
int mc_pending(const struct mconn *c);   /* unread reply bytes buffered? */
const char *mc_strstatus(enum mc_status st);

#endif
