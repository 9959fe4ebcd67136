/*
 * milterload.h - shared types of the milter load client (contrib/bench).
 *
 * milterload.c owns the options, the threads and the report; ml_msg.c
 * loads .eml files; ml_proto.c speaks the milter protocol (version 6) as
 * an MTA would.  Not part of postern: a benchmark and test tool.
 */
#ifndef MILTERLOAD_H
#define MILTERLOAD_H

#include <stddef.h>
#include <stdint.h>

/* Named limits of the client itself. */
#define ML_MAX_REPLY    (16u * 1024 * 1024)  /* largest reply packet accepted */
#define ML_BODY_CHUNK   65535u               /* body bytes per SMFIC_BODY */
#define ML_MAX_COUNTERS 64                   /* distinct verdict/change keys */
#define ML_MAX_TEXTS    8                    /* --count-text patterns */
#define ML_KEY_LEN      96                   /* counter key length */

/* Macro stages, numbered as libmilter's SMFIM_* (the SETSYMLIST index). */
enum ml_stage {
	ST_CONNECT = 0, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_EOM, ST_EOH,
	ST_COUNT
};

struct ml_hdr {
	char *name;
	char *value;   /* as in the file after the colon; folding as LF */
};

struct ml_msg {
	char *path;
	struct ml_hdr *hdrs;
	size_t nhdrs;
	char *body;    /* CRLF line ends */
	size_t bodylen;
	char *raw;     /* the file as read (for -w) */
	size_t rawlen;
};

struct ml_macro {
	int stage;
	char *name;    /* as given: "i" or "{auth_authen}" */
	char *value;
};

struct ml_opts {
	const char *sock;
	const char *msgpath;
	int conns, count, per_conn;
	const char *client_ip, *client_name, *helo, *from;
	char **rcpts;
	size_t nrcpts;
	struct ml_macro *macros;
	size_t nmacros;
	size_t long_helo, long_from, long_rcpt, long_header;
	int expect_close;
	int timeout_ms;
	const char *texts[ML_MAX_TEXTS];
	size_t ntexts;
	int quiet;
	int per_packet;        /* -P */
	int no_leadspc;        /* -L */
	const char *outdir;   /* -w: write messages with added headers */
};

struct ml_counter {
	char key[ML_KEY_LEN];
	unsigned long n;
};

/* Per-thread results, merged by the main thread after join. */
struct ml_stats {
	double *lat;           /* per message, milliseconds */
	size_t nlat;
	struct ml_counter verdicts[ML_MAX_COUNTERS];
	struct ml_counter changes[ML_MAX_COUNTERS];
	unsigned long text_hits[ML_MAX_TEXTS];
	unsigned long messages, connections, replies;
	char sample_reply[160];  /* first SMFIR_REPLYCODE text seen */
	char err[256];           /* set on a fatal error */
};

/* ml_msg.c: load FILE or every *.eml in DIR, sorted by name.  Returns
 * the count (0 on error, message on stderr); *out is owned by the caller
 * and lives until exit. */
size_t ml_load_messages(const char *path, struct ml_msg **out);

/* ml_proto.c: one worker thread's run: opts->count messages through
 * connections of opts->per_conn messages each.  Returns 0, or -1 with
 * st->err set. */
int ml_run_worker(const struct ml_opts *o, const struct ml_msg *msgs,
    size_t nmsgs, unsigned id, struct ml_stats *st);

/* milterload.c: count key in a counter table (keys past the table's
 * size are counted under "other"). */
void ml_count(struct ml_counter *tab, const char *key, unsigned long n);

void *ml_xmalloc(size_t n);
void *ml_xrealloc(void *p, size_t n);
char *ml_xstrndup(const char *s, size_t n);

#endif
