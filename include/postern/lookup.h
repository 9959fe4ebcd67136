/*
 * lookup.h - the one lookup table for allow/deny lists and the
 * sender-login map (filter/lib/lookup.c).
 *
 * A table is built once at load (config, policies: the conftab type
 * CT_LOOKUP) from inline entries and from files of one entry per line
 * ("file:/path" as a list element), sorted once, then immutable and shared
 * by reference count between the policies that inherit it.  Look-ups are
 * binary searches: log time for 100,000 entries.
 *
 * Kinds and their entries (case-insensitive, kept lower case):
 *   LK_ADDRESS  "user@example.com" (that address), "example.com" or
 *               "@example.com" (that domain and every subdomain)
 *   LK_NAME     "host.example.com" (that name and every name below it)
 *   LK_CIDR     "192.0.2.0/24", "2001:db8::/32", "192.0.2.7" (cidr.c)
 *   LK_LOGIN    "LOGIN ALLOWED..." (whitespace or commas between): LOGIN
 *               may use each ALLOWED, an address or a domain ("@dom" or
 *               "dom", exactly that domain); or the rule "*@domain": a
 *               login "user@dom" may use any address at dom (and only
 *               there: a login without a domain gets nothing from it).
 */
#ifndef POSTERN_LOOKUP_H
#define POSTERN_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lookup_kind { LK_ADDRESS = 0, LK_NAME, LK_CIDR, LK_LOGIN };

enum lookup_status {
	LOOKUP_OK = 0,
	LOOKUP_EMPTY,        /* nothing but blanks */
	LOOKUP_TOO_LONG,     /* over LOOKUP_MAX_ENTRY bytes */
	LOOKUP_BAD_CHAR,     /* control character, space inside an address ... */
	LOOKUP_BAD_ADDRESS,  /* no local part, two '@', local part over 64 */
	LOOKUP_BAD_DOMAIN,   /* empty label, label over 63, bad character */
	LOOKUP_BAD_CIDR,     /* cidr_parse said no */
	LOOKUP_BAD_LOGIN,    /* a login without anything allowed, "*@x" */
	LOOKUP_TOO_MANY,     /* over LOOKUP_MAX_ENTRIES in one table */
};

#define LOOKUP_MAX_ENTRY 1024          /* bytes in one entry (one line) */
#define LOOKUP_MAX_ENTRIES 10000000u   /* entries in one table */
#define LOOKUP_MAX_ALLOWED 64          /* ALLOWED items in one login row */
#define LOOKUP_MAX_FILE (256ULL << 20) /* bytes of one list file (a regular file) */

struct lookup;

/* A new, empty table with one reference; owned by the caller. */
struct lookup *lookup_new(enum lookup_kind kind);
/* One more reference (returns lk); unref frees with the last.  NULL ok. */
struct lookup *lookup_ref(struct lookup *lk);
void lookup_unref(struct lookup *lk);

/* Add one entry from a counted buffer (surrounding blanks ignored). */
enum lookup_status lookup_add(struct lookup *lk, const char *buf, size_t len);
const char *lookup_strerror(enum lookup_status st);

/*
 * Add every entry of a file (a regular file of at most LOOKUP_MAX_FILE
 * bytes): one per line, blank lines and lines starting with '#' ignored.  Each bad line is reported through err(ctx, path,
 * line, why) and skipped; returns false if the file cannot be read or any
 * line was bad.  The file name is kept for printing.
 */
typedef void (*lookup_err_fn)(void *ctx, const char *path, unsigned line, const char *why);
bool lookup_add_file(struct lookup *lk, const char *path, lookup_err_fn err, void *ctx);

/* Sort and drop duplicates; call once after the last add. */
void lookup_finish(struct lookup *lk);

enum lookup_kind lookup_kind_of(const struct lookup *lk);
/* Entries (rows) after lookup_finish; 0 for NULL. */
size_t lookup_count(const struct lookup *lk);
/* The inline entries and the files, in the order given (for printing):
 * element i, or NULL past the end.  is_file tells which. */
const char *lookup_source(const struct lookup *lk, size_t i, bool *is_file);

/* Matching: every function accepts NULL (an empty table: no match). */
/* LK_ADDRESS: the address itself, else its domain or a parent domain. */
bool lookup_address(const struct lookup *lk, const char *addr);
/* LK_ADDRESS or LK_NAME: the name or one of its parent domains. */
bool lookup_domain(const struct lookup *lk, const char *name);
/* LK_CIDR: a binary address (4 or 16 bytes; v4-mapped v6 matches v4). */
bool lookup_ip(const struct lookup *lk, int family, const uint8_t *ip);

/* LK_LOGIN: may login use this envelope address / this domain? */
bool lookup_login_address(const struct lookup *lk, const char *login, const char *addr);
bool lookup_login_domain(const struct lookup *lk, const char *login, const char *domain);

#endif
