/*
 * util.h - allocation wrappers, the growable string, safe text escaping.
 *
 * Owns nothing global.  Every module uses these; the x* allocators abort
 * on out-of-memory (a bug-class failure, see STYLE.md).
 */
#ifndef POSTERN_UTIL_H
#define POSTERN_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define PST_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PST_NORETURN __attribute__((noreturn))
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a heap copy owned by the caller. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
PST_NORETURN void die(const char *fmt, ...) PST_PRINTF(1, 2);

/* Growable string: len and cap are authoritative; s is kept NUL-terminated.
 * s is NULL after sb_init until the first append: every append, even of
 * nothing (sb_append(sb, "", 0)), allocates it.  A buffer that may get no
 * append is handed on as a C string only as `sb.s != NULL ? sb.s : ""`. */
typedef struct strbuf {
	char *s;
	size_t len;
	size_t cap;
} strbuf;

void sb_init(strbuf *sb);
void sb_free(strbuf *sb);
void sb_reset(strbuf *sb);
void sb_append(strbuf *sb, const char *p, size_t n);
void sb_puts(strbuf *sb, const char *s);
void sb_putc(strbuf *sb, char c);
void sb_printf(strbuf *sb, const char *fmt, ...) PST_PRINTF(2, 3);
void sb_vprintf(strbuf *sb, const char *fmt, va_list ap) PST_PRINTF(2, 0);

/*
 * Escape network text for a log line: printable ASCII is kept, everything
 * else, '\\' and '"' become \xHH (so an escaped value can neither end a
 * line nor close a key="value" field); the output is cut after max input
 * bytes and marked with "...".  Appends to sb.  plog() escapes what is
 * left of control and 8-bit bytes in the whole line as a last guard.
 */
void sb_escape(strbuf *sb, const char *p, size_t n, size_t max);

/* Case-insensitive comparison of a counted string with a C string. */
bool mem_caseeq(const char *p, size_t n, const char *s);

/* A domain name (n bytes) that is suffix or a name under it ("." suffix),
 * ignoring case: "mx.Example.COM" is under "example.com"; an empty suffix
 * is under nothing. */
bool domain_under(const char *p, size_t n, const char *suffix);

/* Copy with truncation check: returns false (and copies nothing useful) if
 * src does not fit into dst including the NUL. */
bool strlcpy_ok(char *dst, const char *src, size_t dstsize);

/* Parse a size with optional K/M/G suffix (powers of 1024).  Returns false on
 * garbage or overflow. */
bool parse_size(const char *s, unsigned long long *out);

/*
 * Scores (spam rules, thresholds) are fixed-point: hundredths of a point,
 * so "-1.5" is -150.  parse_score takes an optional sign, up to 5 integer
 * digits and up to 2 decimals ("5", "-0.5", "2.25"), nothing else, and
 * bounds the value to +-SCORE_LIMIT.  score_format writes "5.0", "-0.5",
 * "2.25" (at least one decimal) into buf (SCORE_TEXT_MAX bytes).
 */
#define SCORE_LIMIT 100000         /* 1000.00 points */
#define SCORE_OFF 0x7fffffff       /* a threshold that never trips ("off") */
#define SCORE_TEXT_MAX 16
bool parse_score(const char *buf, size_t len, int *out);
const char *score_format(int score, char *buf);

/* A list of owned strings (config lists, key rows). */
struct strlist {
	char **v;
	size_t n;
};

void strlist_add(struct strlist *l, const char *s);
void strlist_free(struct strlist *l);
/* Case-insensitive membership. */
bool strlist_contains(const struct strlist *l, const char *s);

#endif
