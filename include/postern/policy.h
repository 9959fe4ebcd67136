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

/*
 * The keys every policy has (policy.c).  Each check's own keys live in a
 * block after these, declared by the check's row (check.h) and read with
 * check_policy(); the key table is the core keys followed by each row's.
 */
struct policy {
	char *domain;       /* "" for the default policy */
	char *file;         /* the file that defined it ("built-in" if none) */
	int mode;           /* enum policy_mode */
	int conflict;       /* enum policy_conflict */
	char *reply_url;    /* appended to refusal texts when not empty */
	unsigned long long max_message_size; /* 0 = unlimited */
	enum action oversize_action;
};

/* The whole key table: core keys, then each check's (built once). */
const struct ct_key *policy_key_table(size_t *n);
/* Check slot i's block of p (check_policy() is the way checks ask). */
const void *policy_block(const struct policy *p, size_t slot);

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
/* A Markdown table of every policy key (postern -k). */
void policy_print_reference(strbuf *out);

#endif
