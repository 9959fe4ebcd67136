/*
 * conftab.h - table-driven configuration files (libconfig syntax).
 *
 * One table describes every key of a file: name, type, default, bounds and
 * help.  The main configuration (config.c) and the domain policies
 * (policy.c) are both described this way.  Unknown keys, wrong types and
 * out-of-range values are reported as "file:line: key: problem".
 */
#ifndef POSTERN_CONFTAB_H
#define POSTERN_CONFTAB_H

#include <stdbool.h>
#include <stddef.h>

#include "postern/cidr.h"
#include "postern/lookup.h"
#include "postern/util.h"

enum ct_type {
	CT_STRING,   /* char * */
	CT_BOOL,     /* bool */
	CT_UINT,     /* unsigned long long, integer */
	CT_SIZE,     /* unsigned long long, integer or "10M" */
	CT_OCTAL,    /* unsigned long long, "0660" */
	CT_ACTION,   /* enum action */
	CT_ENUM,     /* int index into choices */
	CT_FACILITY, /* int syslog facility */
	CT_STRLIST,  /* struct strlist */
	CT_CIDRLIST, /* struct cidr_list */
	CT_LOOKUP,   /* struct lookup *, kind in min (lookup.h); inline entries
	              * and "file:PATH" elements (relative to the naming file) */
	CT_FLAGS,    /* unsigned long long: bit i set for choices[i] listed */
	CT_SCORE,    /* int, hundredths of a point: 5, -1.5, "2.25", "off" (util.h) */
	CT_SCORELIST, /* struct strlist of "name=score" (name: a-z 0-9 _) */
	CT_ALIAS,    /* a deprecated name: def is the key it stands for */
};

#define CT_NAME_MAX 48   /* the name part of a CT_SCORELIST element */

struct ct_key {
	const char *name;            /* dotted path: "dns.timeout" */
	enum ct_type type;
	size_t offset;
	const char *def;             /* default, in the file's text form */
	unsigned long long min, max; /* CT_UINT/CT_SIZE bounds */
	const char *const *choices;  /* CT_ENUM: NULL-terminated */
	const char *help;
};

struct ct_errors {
	strbuf text;     /* one "file:line: key: problem" per line */
	unsigned count;
	strbuf warnings; /* one "file:line: key: warning" per line (deprecated names) */
	unsigned nwarnings;
};

void ct_errors_init(struct ct_errors *e);
void ct_errors_free(struct ct_errors *e);
/* The errors' text, or fallback when a failure left none. */
const char *ct_errors_text(const struct ct_errors *e, const char *fallback);
void ct_error(struct ct_errors *e, const char *file, int line, const char *key,
    const char *fmt, ...) PST_PRINTF(5, 6);
void ct_warning(struct ct_errors *e, const char *file, int line, const char *key,
    const char *fmt, ...) PST_PRINTF(5, 6);

/* Fill obj with every key's default. */
void ct_defaults(const struct ct_key *tab, size_t n, void *obj);
/*
 * Read path into obj (which holds defaults already).  set[i] becomes true
 * for each key the file names (set may be NULL).  Returns false and adds to
 * errs on any problem; obj is then still safe to ct_free.
 */
bool ct_load(const struct ct_key *tab, size_t n, void *obj, const char *path,
    bool *set, struct ct_errors *errs);
/* Deep-copy key i from src to dst (freeing dst's old value). */
void ct_copy_key(const struct ct_key *tab, size_t i, void *dst, const void *src);
void ct_free(const struct ct_key *tab, size_t n, void *obj);
/* Print "key = value;" lines in libconfig syntax. */
void ct_print(const struct ct_key *tab, size_t n, const void *obj, strbuf *out);

/* Print a Markdown table of every key: name, default, meaning. */
void ct_print_reference(const struct ct_key *tab, size_t n, strbuf *out);


#endif
