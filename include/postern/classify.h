/*
 * classify.h - the classifier over the store: one message's tokens
 * (streamed: header fields, then the body through its own MIME scanner,
 * whose decoded text parts go to the tokenizer) and its digest, scored
 * with one batched store read (the trained totals and every token's
 * counts) and learnt with one batched store write.  Shared by check_bayes
 * (the daemon, postern explain), postern-learn and spam-eval.
 *
 * Store records: 'n' "totals" (a = spam, b = ham messages trained),
 * 't' + 8-byte token hash (a = spam, b = ham messages holding it),
 * 'd' + SHA-256 digest (a = 1 if trained as spam, b = 1 if as ham), so a
 * message trained twice counts once and can be forgotten or moved.
 */
#ifndef POSTERN_CLASSIFY_H
#define POSTERN_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "postern/mime.h"
#include "postern/store.h"

struct classify;

/* learn: also keep the message's digest (classify_learn needs it; the
 * daemon, which only scores, saves the hashing). */
struct classify *classify_new(bool learn);
/* With no scanner of its own: the body's part events and decoded text
 * come from another scanner through classify_on_part and
 * classify_on_text (check_bayes hooks them to the attachment screen's);
 * classify_body is needed only for the digest (learn: auto-learning). */
struct classify *classify_new_hooked(bool learn);
bool classify_on_part(void *ctx, enum mime_event ev, const struct mime_part *p,
    const struct zip_entry *z);
void classify_on_text(void *ctx, const struct mime_part *p, const unsigned char *buf, size_t len);
void classify_free(struct classify *c);
/* The message as it streams: top-level header fields, end of header, body
 * chunks (any chunking), end. */
void classify_header(struct classify *c, const char *name, const char *value);
void classify_eoh(struct classify *c);
void classify_body(struct classify *c, const unsigned char *buf, size_t len);
void classify_finish(struct classify *c);
/* A whole stored message (.eml text, LF or CRLF), in the MTA's form
 * (replay.h), then classify_finish. */
void classify_message(struct classify *c, const char *msg, size_t len);
/* See every token as it is made (postern-learn --tokens, tests). */
void classify_set_trace(struct classify *c, void (*cb)(void *ctx, const char *tok, size_t len),
    void *ctx);
size_t classify_ntokens(const struct classify *c);
bool classify_truncated(const struct classify *c);

struct bayes_result {
	enum store_status st;      /* the store's answer */
	bool scored;               /* trained enough and the store answered */
	double p;                  /* 0 ham .. 1 spam (0.5 when not scored) */
	unsigned used;             /* tokens that counted */
	size_t ntokens;
	int64_t nspam, nham;       /* messages trained */
};

/* Score with one store read; min_learns spam and ham messages must be
 * trained first. */
void classify_score(struct classify *c, struct store *s, unsigned long long min_learns,
    struct bayes_result *r);

enum learn_outcome {
	LEARN_DONE = 0,       /* counted (or moved from the other class) */
	LEARN_ALREADY,        /* already trained as that class: nothing to do */
	LEARN_UNKNOWN,        /* --forget of a message never trained */
	LEARN_ERROR,          /* the store failed (st says how) */
};

/* Train (forget: untrain) as spam or ham, after classify_finish. */
enum learn_outcome classify_learn(struct classify *c, struct store *s, bool spam, bool forget,
    enum store_status *st);
/* Training in batches (postern-learn, spam-eval): up to max_msgs
 * messages' deltas merged and written with one store_add (one LMDB write
 * transaction, one Redis pipeline).  learn_batch_add answers as
 * classify_learn does (a message twice in one batch counts once); it may
 * write the batch before it, and learn_batch_flush writes what is left.
 * When a write fails, *lost says how many counted messages it held (they
 * are not in the store). */
struct learn_batch;
struct learn_batch *learn_batch_new(struct store *s, size_t max_msgs);
enum learn_outcome learn_batch_add(struct learn_batch *b, struct classify *c, bool spam,
    bool forget, enum store_status *st, size_t *lost);
enum store_status learn_batch_flush(struct learn_batch *b, size_t *lost);
void learn_batch_free(struct learn_batch *b);
/* Auto-learning: as classify_learn, but a message already trained (either
 * class, by hand or before) is left as it is (LEARN_ALREADY). */
enum learn_outcome classify_autolearn(struct classify *c, struct store *s, bool spam,
    enum store_status *st);
/* The trained totals (for postern-learn's summary). */
enum store_status classify_totals(struct store *s, int64_t *nspam, int64_t *nham);

#endif
