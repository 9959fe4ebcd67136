/*
 * report.h - postern-report's parts (tools/report*.c): the aggregation of
 * spool records into one report per DMARC Policy Domain (report.c), the
 * RFC 9990 XML and its gzip (report_xml.c), and the report e-mail with
 * destination checks, suppression, limits and sending (report_mail.c).
 */
#ifndef POSTERN_TOOLS_REPORT_H
#define POSTERN_TOOLS_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "postern/dmarc_spool.h"
#include "postern/util.h"

/* One row: messages with the same source, identifiers and results. */
struct rep_row {
	struct rep_row *next;        /* hash chain */
	char *key;
	unsigned long long count;
	struct dmarc_spool_rec rec;  /* the first message of the row */
};

/* Everything of one policy domain in the period. */
struct rep_domain {
	struct rep_domain *next;
	char domain[DMARC_NAME_MAX];
	struct dmarc_spool_rec policy;   /* the latest record: the final configuration */
	long long policy_ts;
	struct rep_row **rows;
	size_t nrows, cap;
	unsigned long long messages;
};

enum rep_tls { REP_TLS_MAY, REP_TLS_NONE, REP_TLS_ENCRYPT };   /* dmarc_report.smtp_tls */

struct rep_opts {
	const char *org_name, *email, *submitter;
	long long begin, end;            /* [begin, end) */
	const char *sendmail;            /* command, split at spaces */
	const char *smtp;                /* HOST[:PORT]: SMTP instead of sendmail; NULL: sendmail */
	unsigned long long smtp_timeout; /* seconds per SMTP read or write */
	enum rep_tls smtp_tls;
	const char *dry_run_dir;         /* write files instead of sending */
	unsigned long long max_size;     /* a report's gzip, bytes */
	unsigned long long max_reports;  /* reports sent in one run */
	unsigned long long max_per_host; /* reports to one destination host in one run */
	const char *suppress_file;
	const char *state_dir;           /* sent markers: no duplicate reports */
	bool verbose;
};

/* report_xml.c: the XML of one domain's report into out; report_id names it. */
void rep_xml(const struct rep_opts *o, const struct rep_domain *d, const char *report_id,
    strbuf *out);
/* gzip (RFC 1952) of buf into out; false on a zlib failure. */
bool rep_gzip(const char *buf, size_t len, strbuf *out);

/* report_mail.c: deliver one domain's report to its verified rua
 * destinations.  Returns the number of reports sent (or written). */
struct rep_run {
	unsigned long long sent, skipped, failed;
	struct strlist hosts;            /* destination host per report sent (rate limit) */
	struct strlist suppressed;       /* the suppression list */
};
void rep_deliver(const struct rep_opts *o, const struct rep_domain *d, struct rep_run *run);
bool rep_suppress_load(const char *path, struct strlist *out, char *err, size_t errlen);

/* report_smtp.c: msg (CRLF lines) from o->email to `to` through o->smtp;
 * false with the step and the server's reply (escaped) in err. */
bool rep_smtp_send(const struct rep_opts *o, const char *to, const strbuf *msg, char *err,
    size_t errlen);
/* The same over a connected socket fd that stays open (tests/fuzz/fuzz_smtp.c). */
bool rep_smtp_over(int fd, const struct rep_opts *o, const char *to, const strbuf *msg, char *err,
    size_t errlen);
/* Append p[0..n) to out as DATA: a "." more before every line that starts
 * with one, CRLF added when the last line has no end (RFC 5321 4.5.2). */
void rep_dot_stuff(const char *p, size_t n, strbuf *out);

#endif
