/*
 * policy.h - per-domain policies: load, inherit, resolve.
 *
 * policies/default.conf plus one DOMAIN.conf per domain.  A domain's
 * effective policy is default, overlaid by each parent domain's file from
 * the top down, overlaid by its own file: a file overrides only the keys it
 * names.  All of it is computed at load; lookup is a binary search per
 * label.  A policy_set is immutable once loaded and belongs to a snapshot.
 */
#ifndef POSTERN_POLICY_H
#define POSTERN_POLICY_H

#include <stdbool.h>

#include "postern/conftab.h"
#include "postern/verdict.h"

enum policy_mode { POLICY_ENFORCE = 0, POLICY_OBSERVE };
enum policy_conflict { CONFLICT_STRICT = 0, CONFLICT_SPLIT };

struct policy {
	char *domain;       /* "" for the default policy */
	char *file;         /* the file that defined it ("built-in" if none) */
	int mode;           /* enum policy_mode */
	int conflict;       /* enum policy_conflict */
	char *reply_url;    /* appended to refusal texts when not empty */
	unsigned long long max_message_size; /* 0 = unlimited */
	enum action oversize_action;
	bool add_authres;
	/* attachment screen (check_attach.c, docs/ATTACHMENTS.md) */
	unsigned long long max_attachment_size;   /* decoded bytes per part; 0 = unlimited */
	unsigned long long max_attachments_total; /* decoded bytes of all parts; 0 = unlimited */
	struct strlist blocked_extensions;
	struct strlist blocked_types;
	enum action blocked_action;
	enum action mime_limit_action;
	unsigned long long mime_max_depth, mime_max_parts, mime_max_header_line,
	    mime_max_header_bytes, mime_max_boundary, mime_max_filename, zip_max_entries;
	struct strlist dkim_require;  /* From domains that must carry a valid aligned signature */
	enum action dkim_require_action;
	enum action dkim_broken_action;
	enum action dkim_dns_error_action;
	/* DMARC (check_dmarc.c): action per published policy of a failing message */
	enum action dmarc_reject_action;
	enum action dmarc_quarantine_action;
	enum action dmarc_temperror_action;
	enum action dmarc_multiple_from_action;
	/* SPF (spf.c, docs/SPF.md): action per RFC 7208 result */
	enum action spf_fail_action;
	enum action spf_softfail_action;
	enum action spf_neutral_action;
	enum action spf_none_action;
	enum action spf_temperror_action;
	enum action spf_permerror_action;
};

extern const struct ct_key policy_keys[];
extern const size_t policy_nkeys;

struct policy_set;

/* Load dir/default.conf (optional) and dir/DOMAIN.conf files.  Returns NULL
 * with errors in errs if any file is bad. */
struct policy_set *policy_set_load(const char *dir, struct ct_errors *errs);
void policy_set_free(struct policy_set *ps);

/* The governing policy for a domain (exact, then parents, then default).
 * domain may be NULL or empty (default).  Never returns NULL. */
const struct policy *policy_lookup(const struct policy_set *ps, const char *domain);
const struct policy *policy_default(const struct policy_set *ps);
/* Largest max_message_size over all policies (0 if any is unlimited). */
unsigned long long policy_set_loosest_size(const struct policy_set *ps);
/* true if every policy in the set is in observe mode. */
bool policy_set_all_observe(const struct policy_set *ps);
size_t policy_set_count(const struct policy_set *ps);
const struct policy *policy_set_get(const struct policy_set *ps, size_t i);

void policy_print(const struct policy *p, strbuf *out);
/* The domain part of an address ("user@Dom.Example" -> "dom.example"),
 * written lower-case into buf; false if there is none or it is too long. */
bool address_domain(const char *addr, char *buf, size_t size);

#endif
