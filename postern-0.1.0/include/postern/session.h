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

#include "postern/config.h"
#include "postern/policy.h"
#include "postern/dmarc.h"
#include "postern/spf.h"
#include "postern/util.h"
#include "postern/verdict.h"

struct dkim_msg;

enum direction { DIR_INBOUND = 0, DIR_OUTBOUND };

#define MSG_MAX_POLICIES 8   /* distinct governing policies per transaction */
#define QID_MAX 32

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
	/* size check */
	unsigned long long declared_size;
	unsigned long long size_limit; /* 0 = unlimited */
	unsigned long long size;     /* header + body bytes seen */
	unsigned hdr_count;
	unsigned long long hdr_bytes;
	/* Authentication-Results */
	unsigned ar_seen;            /* A-R fields seen so far (1-based index) */
	unsigned *ar_forged;         /* indices of A-R fields claiming our id */
	size_t nforged;
	strbuf ar_results;           /* resinfo clauses added by checks */
	strbuf notes;                /* extra summary fields from checks */
	struct attach *attach;       /* attachment screen + MIME facts; owned (attach.h) */
	struct dkim_msg *dkim;       /* DKIM verify/sign state (dkim.c); owned */
	struct spf_fact spf;         /* SPF of this transaction (spf.c) */
	struct {                     /* DMARC (check_dmarc.c) */
		unsigned nfrom;              /* From fields seen */
		int from_status;             /* enum from_status of the first */
		char from_domain[256];
		bool evaluated;
		struct dmarc_output out;
	} dmarc;
};

struct conn {
	struct snapshot *snap;       /* pinned at connect */
	char addr[INET6_ADDRSTRLEN]; /* client address text, "" if unknown */
	int family;                  /* AF_INET, AF_INET6 or 0 */
	uint8_t ip[16];
	char *hostname;              /* owned */
	char *helo;                  /* owned */
	char *daemon_name;           /* owned */
	bool internal;
	struct spf_fact spf_helo;    /* SPF of the HELO identity (spf.c) */
	unsigned nmsgs;
	struct msg msg;
};

/* New connection state pinned to the current snapshot. */
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
