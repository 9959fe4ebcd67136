/*
 * config.h - the main configuration file (postern.conf): its key table,
 * loading and printing.  The snapshot that connections pin (config +
 * policies + each check's start-up state) is in snapshot.h.
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stdbool.h>

#include "postern/cidr.h"
#include "postern/conftab.h"

enum { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON = 1 };   /* log_format choices, in order */

struct config {
	char *file;
	char *socket;
	char *socket_owner;
	unsigned long long socket_mode;
	bool socket_quickack;
	char *pid_file;
	char *user;
	int syslog_facility;
	int log_level;
	int log_format;                      /* LOG_FORMAT_TEXT or LOG_FORMAT_JSON */
	char *authserv_id;
	struct cidr_list internal_hosts;
	struct cidr_list trusted_hosts;
	struct strlist originating_daemons;
	char *policy_dir;
	struct strlist dns_nameservers;
	unsigned long long dns_timeout;
	unsigned long long dns_cache_size;
	unsigned long long max_header_count;
	unsigned long long max_header_bytes;
	unsigned long long max_recipients;
	unsigned long long max_connections;  /* milter connections at once */
	struct strlist dkim_keys;            /* "domain:selector:/path" rows */
	bool dkim_sign_subdomains;
	int dkim_canon;                      /* index into the canonicalization choices */
	unsigned long long dkim_max_signatures;
	unsigned long long dkim_min_key_bits;
	struct strlist spam_dnsbl;           /* "NAME ZONE score=S ..." rows (spam.h) */
	struct strlist spam_uribl;
	unsigned long long spam_uribl_max_domains;
	char *spam_spamd;                    /* "ADDR:PORT" or "" */
	unsigned long long spam_spamd_timeout;
	unsigned long long spam_spamd_max_size;
	char *metrics_listen;                /* "" = no metrics endpoint */
	char *dmarc_report_spool;            /* "" = no report spool */
	unsigned long long dmarc_report_queue;
	char *dmarc_report_org, *dmarc_report_email, *dmarc_report_submitter;
	char *dmarc_report_sendmail, *dmarc_report_suppress, *dmarc_report_state;
	char *dmarc_report_smtp;             /* HOST[:PORT], "" = sendmail */
	int dmarc_report_smtp_tls;           /* 0 may, 1 none, 2 encrypt (tools/report.h) */
	unsigned long long dmarc_report_smtp_timeout;
	unsigned long long dmarc_report_max_size, dmarc_report_max_reports;
	unsigned long long dmarc_report_max_per_host, dmarc_report_keep_days;
	bool dmarc_report_failure;           /* record failure reports (RFC 9991) */
	unsigned long long dmarc_report_failure_per_hour;
	char *store;                         /* "lmdb:/path" or "redis:HOST:PORT", "" = none (store.h) */
	unsigned long long store_timeout;    /* ms per store call */
	unsigned long long store_map_size;
	int store_on_error;                  /* STORE_ON_ERROR_TEMPFAIL or _CONTINUE */
	unsigned long long bayes_min_learns;
	unsigned long long rate_window;      /* seconds */
};

enum { STORE_ON_ERROR_TEMPFAIL = 0, STORE_ON_ERROR_CONTINUE = 1 };

extern const struct ct_key config_keys[];
extern const size_t config_nkeys;

/* Load path; on failure returns false with every problem in errs. */
bool config_load(struct config *cfg, const char *path, struct ct_errors *errs);
void config_free(struct config *cfg);
void config_print(const struct config *cfg, strbuf *out);
/* Keys a SIGUSR1 reload does not apply (read once at start). */
bool config_restart_key(const char *name);
/* Append to out, comma-separated, the restart-only keys whose values
 * differ between old and cur. */
void config_restart_changes(const struct config *old, const struct config *cur, strbuf *out);

#endif
