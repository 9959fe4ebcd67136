/*
 * dmarc_spool.h - the DMARC report spool (filter/dmarc/dmarc_spool.c):
 * one line per evaluated inbound message, appended to a per-day file of
 * this host, read back by postern-report (RFC 9990 aggregate reports).
 *
 * The line: "v=1" then space-separated key=value pairs, values
 * percent-encoded (any byte outside [A-Za-z0-9._@:/+!*-] as %XX), unknown
 * keys ignored by the reader, at most DMARC_SPOOL_LINE_MAX bytes.  The
 * writer never blocks a milter thread on the disk: lines go to a bounded
 * queue that a thread of its own writes out; a full queue drops the line
 * (counted).  Until the state store of the spam-learning issue exists,
 * this spool is where report data lives.
 */
#ifndef POSTERN_DMARC_SPOOL_H
#define POSTERN_DMARC_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "postern/dmarc.h"
#include "postern/util.h"

#define DMARC_SPOOL_LINE_MAX 8192
#define DMARC_SPOOL_SIGS 8

enum dmarc_disp { DMARC_DISP_NONE = 0, DMARC_DISP_PASS, DMARC_DISP_QUARANTINE, DMARC_DISP_REJECT };

struct dmarc_spool_sig {
	char d[DMARC_NAME_MAX];
	char s[64];
	char res[12];               /* RFC 8601 result name */
};

/* One evaluated message. */
struct dmarc_spool_rec {
	long long ts;               /* arrival, seconds since the epoch */
	char host[64];              /* the reporting host (several hosts merge) */
	char ip[48];                /* source IP */
	char header_from[DMARC_NAME_MAX];
	char env_from[DMARC_NAME_MAX];  /* MAIL FROM domain, "" for the null sender */
	char env_to[DMARC_NAME_MAX];    /* the first recipient's domain */
	char policy_domain[DMARC_NAME_MAX]; /* where the record was found */
	struct dmarc_record rec;    /* p, sp, np, adkim, aspf, t, psd, rua */
	bool psd_record;
	enum dmarc_result result;
	enum dmarc_disp disp;
	bool dkim_aligned, spf_aligned;
	char override_type[24];     /* RFC 9990 PolicyOverrideType or "" */
	char override_comment[128];
	char spf_domain[DMARC_NAME_MAX];
	char spf_scope[8];          /* "mfrom" or "helo" */
	char spf_res[12];
	struct dmarc_spool_sig dkim[DMARC_SPOOL_SIGS];
	size_t ndkim;
};

enum dmarc_spool_status {
	DMARC_SPOOL_OK = 0,
	DMARC_SPOOL_NOT_RECORD,     /* not a "v=1" line */
	DMARC_SPOOL_SYNTAX,         /* bad pair or encoding */
	DMARC_SPOOL_TOO_LONG,
	DMARC_SPOOL_MISSING,        /* ts, ip, header_from or policy domain missing */
};

/* Format r as one line (no newline) into out; false if it cannot fit. */
bool dmarc_spool_format(const struct dmarc_spool_rec *r, strbuf *out);
/* Parse one line (with or without its newline). */
enum dmarc_spool_status dmarc_spool_parse(const char *buf, size_t len, struct dmarc_spool_rec *r);

const char *dmarc_disp_name(enum dmarc_disp d);
/* The value encoding: append s encoded; decode v[0..n) into out (size
 * bytes with the NUL), false on bad encoding, a NUL byte or no room. */
void dmarc_spool_enc(strbuf *out, const char *s);
bool dmarc_spool_dec(const char *v, size_t n, char *out, size_t size);
/* A decimal of 1 to 18 digits. */
bool dmarc_spool_dec_int(const char *v, size_t n, long long *out);

/* ---- the writer ---- */
struct dmarc_spool;
struct dmarc_spool_stats {
	unsigned long long queued, written, dropped, errors;
};

/* Start a writer for directory dir (it must exist and be writable);
 * queue_max lines wait at most.  NULL with a message in err. */
struct dmarc_spool *dmarc_spool_open(const char *dir, size_t queue_max, char *err, size_t errlen);
/* Queue one line (copied); never waits for the disk.  False if dropped. */
bool dmarc_spool_put(struct dmarc_spool *s, const char *line, size_t len);
/* The host name the writer names its files after (sanitised). */
const char *dmarc_spool_host(const struct dmarc_spool *s);
/* Wait until every queued line is written (tests, shutdown). */
void dmarc_spool_flush(struct dmarc_spool *s);
void dmarc_spool_stats(struct dmarc_spool *s, struct dmarc_spool_stats *out);
/* Write what is queued, stop the thread, free.  Accepts NULL. */
void dmarc_spool_close(struct dmarc_spool *s);
/* The file a line of day (UTC) goes to: DIR/HOST-YYYYMMDD.spool. */
void dmarc_spool_path(const char *dir, const char *host, long long ts, strbuf *out);

#endif
