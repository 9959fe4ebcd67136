/*
 * config.h - the main configuration file (postern.conf) and the immutable
 * snapshot (config + policies) that connections pin.
 *
 * A reload builds a complete new snapshot; connections keep the one they
 * started with (reference counted) and the old one is freed by the last.
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stdbool.h>

#include "postern/cidr.h"
#include "postern/conftab.h"

struct config {
	char *file;
	char *socket;
	char *socket_owner;
	unsigned long long socket_mode;
	char *pid_file;
	char *user;
	int syslog_facility;
	int log_level;
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
	struct strlist dkim_keys;            /* "domain:selector:/path" rows */
	bool dkim_sign_subdomains;
	int dkim_canon;                      /* index into the canonicalization choices */
	unsigned long long dkim_max_signatures;
	unsigned long long dkim_min_key_bits;
};

extern const struct ct_key config_keys[];
extern const size_t config_nkeys;

/* Load path; on failure returns false with every problem in errs. */
bool config_load(struct config *cfg, const char *path, struct ct_errors *errs);
void config_free(struct config *cfg);
void config_print(const struct config *cfg, strbuf *out);

struct policy_set;
struct dkim_state;

struct snapshot {
	int refs;
	struct config cfg;
	struct policy_set *policies;
	struct dkim_state *dkim;     /* keys + libopendkim handle (dkim.c) */
};

/*
 * Build a snapshot from a config file and its policy directory.  Returns
 * NULL and fills errs on any problem.  Owned by the caller (refs = 1).
 */
struct snapshot *snapshot_build(const char *path, struct ct_errors *errs);
/* Make snap the current one (takes over the caller's reference). */
void snapshot_install(struct snapshot *snap);
/* Pin the current snapshot; release it with snapshot_release. */
struct snapshot *snapshot_acquire(void);
void snapshot_release(struct snapshot *snap);

#endif
