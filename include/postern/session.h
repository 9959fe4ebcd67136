/*
 * session.h - per-connection and per-message state.
 *
 * A conn lives from connect to close and pins one config snapshot; its msg
 * is reset on MAIL FROM, abort and close, so nothing leaks from one
 * transaction into the next.  No libmilter types appear here.
 */
#ifndef POSTERN_SESSION_H
#define POSTERN_SESSION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "postern/addr.h"
#include "postern/policy.h"
#include "postern/snapshot.h"
#include "postern/util.h"
#include "postern/verdict.h"

enum direction { DIR_INBOUND = 0, DIR_OUTBOUND };

#define MSG_MAX_POLICIES 8   /* distinct governing policies per transaction */
#define QID_MAX 32
#define CHECK_MAX 16         /* rows in the check table (check.h) */

/* The author of the message: every From field, parsed once (addr.c) for
 * every check that needs it (DKIM signing and requirements, DMARC). */
struct author {
	unsigned nfrom;              /* From fields seen */
	enum from_status status;     /* of the first one */
	char domain[256];            /* its domain, lower case, "" unless FROM_OK */
	char address[322];           /* local@domain, lower case, "" if not plain */
};

struct msg {
	bool active;                 /* a MAIL FROM started this transaction */
	bool logged;                 /* the summary line has been written */
	char qid[QID_MAX];
	char *sender;                /* envelope sender without <>; owned */
	char sender_domain[256];
	char *auth_user;             /* {auth_authen}; owned */
	enum direction dir;
	unsigned nrcpt;              /* accepted recipients */
	unsigned nrcpt_refused;
	const struct policy *pol[MSG_MAX_POLICIES];
	size_t npol;
	bool observe;                /* every governing policy is in observe mode */
	struct verdict verdict;      /* strictest message-level verdict so far */
	struct verdict last_rcpt;    /* verdict of the last refused recipient */
	struct author author;        /* From, parsed as the header arrives */
	strbuf notes;                /* extra summary fields from checks */
	/* Check slots whose hooks the pipeline skips: set per recipient by a
	 * check (an allow list, check_lists), kept for the message while every
	 * accepted recipient excuses them. */
	uint32_t rcpt_excused, excused;
	const char *rcpt;            /* the recipient being added, without <>
	                              * (during RCPT only; borrowed) */
	/* The field being handed to the header hooks, exactly as written after
	 * the colon (leading whitespace and LF folds kept): what DKIM and ARC
	 * canonicalise.  The hooks' `value` argument is the same text with one
	 * leading space removed, the form every other check reads.  Set by
	 * pl_header() (the one place that knows the MTA's form) for the
	 * duration of the hooks only; borrowed. */
	const char *field_raw;
	void *state[CHECK_MAX];      /* each check's message state (check.h) */
};

/* TLS of the SMTP session, from the MTA's HELO macros (after STARTTLS). */
struct conn_tls {
	char version[16];            /* "TLSv1.3", "" without TLS */
	char cipher[64];
	unsigned bits;               /* {cipher_bits}, 0 if unknown */
};

struct conn {
	struct snapshot *snap;       /* pinned at connect */
	char addr[INET6_ADDRSTRLEN]; /* client address text, "" if unknown */
	int family;                  /* AF_INET, AF_INET6 or 0 */
	uint8_t ip[16];
	char *hostname;              /* owned */
	char *helo;                  /* owned */
	char *daemon_name;           /* owned */
	char *mta_name;              /* the MTA's own name ("j"); owned */
	struct conn_tls tls;
	strbuf *summary_copy;        /* explain: the summary line also goes here */
	/* A refusal of the whole connection, written by a check's connect
	 * hook (check_lists: a client every policy denies); the reply to
	 * connect, and to every MAIL FROM. */
	struct verdict refusal;
	bool internal;
	/* Header values arrive with their leading whitespace (the milter
	 * negotiated SMFIP_HDR_LEADSPC; replay.c always does).  Without it the
	 * MTA ate one space after the colon.  Only pipeline.c reads it. */
	bool leadspc;
	unsigned nmsgs;
	void *state[CHECK_MAX];      /* each check's connection state (check.h) */
	struct msg msg;
};

struct conn *conn_new(void);
/* Free accepts NULL; releases the snapshot. */
void conn_free(struct conn *c);
void msg_init(struct msg *m);
/* Back to the empty state, keeping allocations where useful. */
void msg_reset(struct msg *m);
void msg_free(struct msg *m);

/* Set the client from a textual address; false if it does not parse. */
bool conn_set_client(struct conn *c, const char *hostname, const char *addr);
const char *direction_name(enum direction d);

#endif
