/*
 * ml_proto.h - a load client worker's state, shared by ml_proto.c (the
 * session and message steps) and ml_eom.c (end of message, verdicts,
 * modification actions).
 */
#ifndef ML_PROTO_H
#define ML_PROTO_H

#include "ml_conn.h"
#include "milterload.h"

/* Step results. */
enum {
	RS_ERR = -1,    /* protocol error: stop the run (st->err set) */
	RS_OK = 0,
	RS_CLOSED,      /* the milter closed the socket (counted, -e only) */
	RS_CONNEND      /* the milter ended the connection (conn-fail, shutdown,
	                  refusal at connect/HELO) */
};

struct worker {
	const struct ml_opts *o;
	struct ml_stats *st;
	struct mconn c;
	unsigned id;
	unsigned long seq;          /* message number in this worker */
	const char *step;           /* for error messages and counters */
	char qid[32];               /* macro i of the current message */
	unsigned long actions, proto;   /* negotiated */
	char *symlist[ST_COUNT];    /* macros the milter asked for, or NULL */
	char *helo, *from, *longhdr;
	char **rcpts;
	size_t nrcpts;
	char *added;               /* -w: header fields added at EOM */
	size_t addedlen;
};

void wk_init(struct worker *w, const struct ml_opts *o, unsigned id, struct ml_stats *st);
void wk_free(struct worker *w);
int wk_fail(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Count the verdict v ('a', 'r', 't', 'd', 'c', 'f', '4') at w->step. */
void wk_verdict(struct worker *w, char v);
/* An SMFIR_REPLYCODE packet: validated; *v := 'r' (5xx) or 't' (4xx). */
int wk_replycode(struct worker *w, const char *data, size_t len, char *v);
/* Flush the EOM packet and read modifications up to the final reply. */
int wk_eom(struct worker *w);
/* -w: write DIR/<name of m> = added fields + the message (once per file). */
int wk_write(struct worker *w, const struct ml_msg *m);

#endif
