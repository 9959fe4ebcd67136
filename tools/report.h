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

/* A mailto: destination of rua= or ruf=, verified. */
#define REP_MAX_DEST 8   /* destinations per report (the receiver's limit) */
struct rep_dest {
	char addr[320];
	char host[DMARC_NAME_MAX];
	unsigned long long limit;    /* "!size" of the URI, 0 = none */
};
/* The usable destinations of the URI list uris for policy domain domain:
 * mailto: only, the external-destination check (RFC 9990 section 4) and
 * the suppression list applied.  Returns the count; *temp when a DNS
 * failure left one undecided (retry later). */
size_t rep_destinations(const struct rep_opts *o, const char *domain, const char *uris,
    struct rep_run *run, struct rep_dest *out, bool *temp);
/* Pipe msg to the sendmail command (split at spaces); true if it exited 0. */
bool rep_pipe_to(const char *cmd, const strbuf *msg);
bool rep_write_file(const char *path, const strbuf *b);
/* How many times host is in l. */
unsigned long long rep_host_count(const struct strlist *l, const char *host);

/* report_failure.c: postern-report --failure: every failure record (RFC
 * 9991) of dir not handled yet becomes one RFC 6591 ARF message per
 * verified ruf= destination, at most per_hour to one destination domain
 * per hour; handled files last written before expire_before are removed.
 * False on an error that leaves records for a later run. */
bool rep_failure_run(const struct rep_opts *o, const char *dir, unsigned long long per_hour,
    long long expire_before, struct rep_run *run);
/* The ARF message for one record to one address into out. */
struct dmarc_failure_rec;
void rep_failure_mail(const struct rep_opts *o, const struct dmarc_failure_rec *r,
    const char *to, strbuf *out);
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
