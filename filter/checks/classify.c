/*
 * classify.c - the classifier over the store (classify.h): glue between
 * the MIME scanner (its part events and decoded text callback), the
 * tokenizer and the combiner (spam engine) and the store.  The scanner is
 * its own (classify_new: postern-learn, spam-eval's training) or the
 * attachment screen's (classify_new_hooked: the daemon and postern
 * explain, through attach_text_hook); both hand the tokenizer the same
 * events, so a message gives the same tokens either way.  Nothing here
 * buffers the message: the scanner and the tokenizer are fixed-size
 * state, the digest is a running SHA-256.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "postern/classify.h"
#include "postern/mime.h"
#include "postern/replay.h"
#include "postern/spam.h"
#include "postern/util.h"

#define HDR_DECODED_MAX 2048

struct classify {
	struct spam_tok *tok;
	struct mime_scan *scan;
	EVP_MD_CTX *md;
	bool finished;
	bool in_text;              /* between a text part's begin and end */
	unsigned char digest[32];
	uint64_t *hashes;
	size_t nhashes;
};

bool
classify_on_part(void *ctx, enum mime_event ev, const struct mime_part *p, const struct zip_entry *z)
{
	struct classify *c = ctx;

	(void)z;
	if (ev == MIME_EV_PART && p->kind == MIME_LEAF && !p->attachment &&
	    strncmp(p->type, "text/", 5) == 0) {
		spam_tok_part_begin(c->tok, p->type, p->charset);
		c->in_text = true;
	} else if (ev == MIME_EV_PART_END) {
		spam_tok_part_end(c->tok);
		c->in_text = false;
	}
	return false;
}

void
classify_on_text(void *ctx, const struct mime_part *p, const unsigned char *buf, size_t len)
{
	struct classify *c = ctx;

	/* a hook set after the part began (never, as check_bayes hooks
	 * at the first header; kept so that the type and charset still count) */
	if (!c->in_text)
		classify_on_part(c, MIME_EV_PART, p, NULL);
	spam_tok_text(c->tok, buf, len);
}

struct classify *
classify_new(bool learn)
{
	struct classify *c = xcalloc(1, sizeof(*c));
	struct mime_limits l;

	mime_limits_default(&l);
	c->tok = spam_tok_new();
	c->scan = mime_scan_new(&l, true, classify_on_part, c);
	mime_set_text_cb(c->scan, classify_on_text, c);
	if (learn) {
		c->md = EVP_MD_CTX_new();
		if (c->md == NULL || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
			abort();
	}
	return c;
}

struct classify *
classify_new_hooked(bool learn)
{
	struct classify *c = xcalloc(1, sizeof(*c));

	c->tok = spam_tok_new();
	if (learn) {
		c->md = EVP_MD_CTX_new();
		if (c->md == NULL || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
			abort();
	}
	return c;
}

void
classify_free(struct classify *c)
{
	if (c == NULL)
		return;
	spam_tok_free(c->tok);
	mime_scan_free(c->scan);
	EVP_MD_CTX_free(c->md);
	free(c->hashes);
	free(c);
}

/* Fields that differ between copies of one message (the path it took,
 * and what filters added: the Subject too, as spam.subject_prefix changes
 * it, so the copy a user hands postern-learn has the digest the daemon
 * saw). */
static bool
trace_field(const char *name)
{
	return strcasecmp(name, "Received") == 0 || strncasecmp(name, "X-Spam-", 7) == 0 ||
	    strcasecmp(name, "Subject") == 0 ||
	    strcasecmp(name, "Return-Path") == 0 || strcasecmp(name, "Delivered-To") == 0 ||
	    strcasecmp(name, "X-Original-To") == 0 || strcasecmp(name, "Authentication-Results") == 0 ||
	    strcasecmp(name, "Status") == 0 || strcasecmp(name, "X-Status") == 0 ||
	    strcasecmp(name, "X-UID") == 0 || strcasecmp(name, "X-Keywords") == 0 ||
	    strncasecmp(name, "X-Postern-", 10) == 0 || strcasecmp(name, "Received-SPF") == 0;
}

void
classify_header(struct classify *c, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), dl;
	char dec[HDR_DECODED_MAX];

	if (c->scan != NULL)
		mime_header(c->scan, name, nl, value, vl);
	if (c->md != NULL && !trace_field(name)) {
		EVP_DigestUpdate(c->md, name, nl);
		EVP_DigestUpdate(c->md, ":", 1);
		EVP_DigestUpdate(c->md, value, vl);
		EVP_DigestUpdate(c->md, "\n", 1);
	}
	dl = mime_decode_words(value, vl < HDR_DECODED_MAX - 1 ? vl : HDR_DECODED_MAX - 1, dec,
	    sizeof(dec));
	if (dl != (size_t)-1)
		spam_tok_header(c->tok, name, dec, dl);
	else
		spam_tok_header(c->tok, name, value, vl);
}

void
classify_eoh(struct classify *c)
{
	if (c->scan != NULL)
		mime_end_headers(c->scan);
	if (c->md != NULL)
		EVP_DigestUpdate(c->md, "\n", 1);
}

void
classify_body(struct classify *c, const unsigned char *buf, size_t len)
{
	if (c->scan != NULL)
		mime_feed(c->scan, buf, len);
	if (c->md != NULL)
		EVP_DigestUpdate(c->md, buf, len);
}

void
classify_finish(struct classify *c)
{
	unsigned int dl = 0;

	if (c->finished)
		return;
	c->finished = true;
	if (c->scan != NULL)
		mime_finish(c->scan);
	spam_tok_part_end(c->tok);
	if (c->md != NULL)
		EVP_DigestFinal_ex(c->md, c->digest, &dl);
	c->hashes = xcalloc(SPAM_TOK_MAX_TOKENS, sizeof(*c->hashes));
	c->nhashes = spam_tok_hashes(c->tok, c->hashes, SPAM_TOK_MAX_TOKENS);
}

void
classify_set_trace(struct classify *c, void (*cb)(void *ctx, const char *tok, size_t len), void *ctx)
{
	spam_tok_set_trace(c->tok, cb, ctx);
}

size_t
classify_ntokens(const struct classify *c)
{
	return c->finished ? c->nhashes : spam_tok_count(c->tok);
}

bool
classify_truncated(const struct classify *c)
{
	return spam_tok_truncated(c->tok);
}

/* keys[0] totals, keys[1] digest, keys[2..] tokens */
static struct store_key *
make_keys(const struct classify *c, size_t *n)
{
	struct store_key *k = xcalloc(c->nhashes + 2, sizeof(*k));

	store_key_make(&k[0], 'n', "totals", 6);
	store_key_make(&k[1], 'd', c->digest, sizeof(c->digest));
	for (size_t i = 0; i < c->nhashes; i++)
		store_key_make(&k[i + 2], 't', &c->hashes[i], sizeof(c->hashes[i]));
	*n = c->nhashes + 2;
	return k;
}

void
classify_score(struct classify *c, struct store *s, unsigned long long min_learns,
    struct bayes_result *r)
{
	struct store_key *k;
	struct store_val *v;
	int64_t *sp, *hm;
	size_t n;

	classify_finish(c);
	memset(r, 0, sizeof(*r));
	r->p = 0.5;
	r->ntokens = c->nhashes;
	k = make_keys(c, &n);
	v = xcalloc(n, sizeof(*v));
	r->st = store_get(s, k, n, v);
	if (r->st == STORE_OK) {
		r->nspam = v[0].a;
		r->nham = v[0].b;
	}
	if (r->st == STORE_OK && r->nspam >= (int64_t)min_learns && r->nham >= (int64_t)min_learns) {
		sp = xcalloc(c->nhashes + 1, sizeof(*sp));
		hm = xcalloc(c->nhashes + 1, sizeof(*hm));
		for (size_t i = 0; i < c->nhashes; i++) {
			sp[i] = v[i + 2].a;
			hm[i] = v[i + 2].b;
		}
		r->p = spam_bayes_combine(sp, hm, c->nhashes, r->nspam, r->nham, &r->used);
		r->scored = true;
		free(sp);
		free(hm);
	}
	free(v);
	free(k);
}

/* What training a message as spam / ham (or forgetting it) changes in its
 * token counts, given how it was trained before: ds, dh in -1..1. */
static enum learn_outcome
learn_deltas(bool spam, bool forget, bool was_spam, bool was_ham, int64_t *ds, int64_t *dh)
{
	enum learn_outcome out = LEARN_DONE;

	if (forget) {
		if (!was_spam && !was_ham)
			out = LEARN_UNKNOWN;
		*ds = was_spam ? -1 : 0;
		*dh = was_ham ? -1 : 0;
	} else if (spam) {
		if (was_spam)
			out = LEARN_ALREADY;
		*ds = was_spam ? 0 : 1;
		*dh = was_ham ? -1 : 0;
	} else {
		if (was_ham)
			out = LEARN_ALREADY;
		*dh = was_ham ? 0 : 1;
		*ds = was_spam ? -1 : 0;
	}
	return out;
}

static enum learn_outcome
learn_as(struct classify *c, struct store *s, bool spam, bool forget, bool fresh_only,
    enum store_status *st)
{
	struct store_key *k;
	struct store_val *v, *d;
	size_t n;
	int64_t ds = 0, dh = 0;
	enum learn_outcome out = LEARN_DONE;
	bool was_spam, was_ham;

	classify_finish(c);
	if (c->md == NULL)
		abort();          /* a bug: made with classify_new(false) */
	k = make_keys(c, &n);
	v = xcalloc(2, sizeof(*v));
	if ((*st = store_get(s, k, 2, v)) != STORE_OK) {
		out = LEARN_ERROR;
		goto done;
	}
	was_spam = v[1].a > 0;
	was_ham = v[1].b > 0;
	if (fresh_only && (was_spam || was_ham)) {
		out = LEARN_ALREADY;      /* auto-learning never overrides */
		goto done;
	}
	out = learn_deltas(spam, forget, was_spam, was_ham, &ds, &dh);
	if (ds == 0 && dh == 0)
		goto done;
	d = xcalloc(n, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		d[i].a = ds;
		d[i].b = dh;
	}
	*st = store_add(s, k, n, d, 0);
	free(d);
	if (*st != STORE_OK)
		out = LEARN_ERROR;
done:
	free(v);
	free(k);
	return out;
}

enum learn_outcome
classify_learn(struct classify *c, struct store *s, bool spam, bool forget, enum store_status *st)
{
	return learn_as(c, s, spam, forget, false, st);
}

/* ---- batches (postern-learn, spam-eval) ---------------------------------
 * Deltas of many messages merged by key (a token in every message is one
 * record) and written in one store_add: one write transaction (LMDB) or
 * one pipeline (Redis) per batch instead of per message.  A message's
 * digest is looked up in the batch before the store, so a message twice
 * in one batch still counts once. */

#define BATCH_SLOTS (2 * STORE_ADD_MAX)   /* hash index, a power of two */

struct learn_batch {
	struct store *s;
	size_t max_msgs, nmsgs, n;
	struct store_key *k;       /* STORE_ADD_MAX */
	struct store_val *d;
	uint32_t *index;           /* BATCH_SLOTS: entry + 1, 0 empty */
};

struct learn_batch *
learn_batch_new(struct store *s, size_t max_msgs)
{
	struct learn_batch *b = xcalloc(1, sizeof(*b));

	b->s = s;
	b->max_msgs = max_msgs > 0 ? max_msgs : 1;
	b->k = xcalloc(STORE_ADD_MAX, sizeof(*b->k));
	b->d = xcalloc(STORE_ADD_MAX, sizeof(*b->d));
	b->index = xcalloc(BATCH_SLOTS, sizeof(*b->index));
	return b;
}

static uint32_t *
slot_of(struct learn_batch *b, const struct store_key *k)
{
	uint64_t h = 1469598103934665603ULL;

	for (unsigned i = 0; i < k->len; i++)
		h = (h ^ k->b[i]) * 1099511628211ULL;
	for (size_t i = h & (BATCH_SLOTS - 1);; i = (i + 1) & (BATCH_SLOTS - 1)) {
		uint32_t e = b->index[i];
		if (e == 0 || (b->k[e - 1].len == k->len && memcmp(b->k[e - 1].b, k->b, k->len) == 0))
			return &b->index[i];
	}
}

static void
batch_put(struct learn_batch *b, const struct store_key *k, int64_t a, int64_t bb)
{
	uint32_t *sl = slot_of(b, k);

	if (*sl == 0) {
		b->k[b->n] = *k;
		b->d[b->n].a = b->d[b->n].b = 0;
		*sl = (uint32_t)++b->n;
	}
	b->d[*sl - 1].a += a;
	b->d[*sl - 1].b += bb;
}

enum store_status
learn_batch_flush(struct learn_batch *b, size_t *lost)
{
	enum store_status st = STORE_OK;

	*lost = 0;
	if (b->n > 0)
		st = store_add(b->s, b->k, b->n, b->d, 0);
	if (st != STORE_OK)
		*lost = b->nmsgs;
	b->n = b->nmsgs = 0;
	memset(b->index, 0, BATCH_SLOTS * sizeof(*b->index));
	return st;
}

enum learn_outcome
learn_batch_add(struct learn_batch *b, struct classify *c, bool spam, bool forget,
    enum store_status *st, size_t *lost)
{
	struct store_key *k;
	struct store_val v;
	size_t n;
	int64_t ds = 0, dh = 0;
	enum learn_outcome out = LEARN_DONE;
	bool was_spam, was_ham;
	uint32_t *sl;

	*lost = 0;
	*st = STORE_OK;
	classify_finish(c);
	if (c->md == NULL)
		abort();          /* a bug: made with classify_new(false) */
	k = make_keys(c, &n);
	if (b->nmsgs >= b->max_msgs || b->n + n > STORE_ADD_MAX)
		if ((*st = learn_batch_flush(b, lost)) != STORE_OK) {
			out = LEARN_ERROR;
			goto done;
		}
	if ((*st = store_get(b->s, &k[1], 1, &v)) != STORE_OK) {
		out = LEARN_ERROR;
		goto done;
	}
	if ((sl = slot_of(b, &k[1])) != NULL && *sl != 0) {
		v.a += b->d[*sl - 1].a;     /* what this batch did to it */
		v.b += b->d[*sl - 1].b;
	}
	was_spam = v.a > 0;
	was_ham = v.b > 0;
	out = learn_deltas(spam, forget, was_spam, was_ham, &ds, &dh);
	if (ds == 0 && dh == 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		batch_put(b, &k[i], ds, dh);
	b->nmsgs++;
done:
	free(k);
	return out;
}

void
learn_batch_free(struct learn_batch *b)
{
	if (b == NULL)
		return;
	free(b->k);
	free(b->d);
	free(b->index);
	free(b);
}

enum learn_outcome
classify_autolearn(struct classify *c, struct store *s, bool spam, enum store_status *st)
{
	return learn_as(c, s, spam, false, true, st);
}

enum store_status
classify_totals(struct store *s, int64_t *nspam, int64_t *nham)
{
	struct store_key k;
	struct store_val v;
	enum store_status st;

	store_key_make(&k, 'n', "totals", 6);
	st = store_get(s, &k, 1, &v);
	*nspam = v.a;
	*nham = v.b;
	return st;
}

void
classify_message(struct classify *c, const char *msg, size_t len)
{
	size_t off = 0, at;
	struct eml_field f;
	strbuf chunk;
	bool cr = false;

	for (;;) {
		at = off;
		enum eml_status st = eml_next_field(msg, len, &off, &f);
		if (st == EML_END)
			break;
		if (st != EML_FIELD) {
			off = at;
			break;
		}
		char *name = xstrndup(f.name, f.namelen);
		char *value = replay_value(&f, false);
		classify_header(c, name, value);
		free(name);
		free(value);
	}
	classify_eoh(c);
	sb_init(&chunk);
	for (size_t p = off; p < len; ) {
		size_t n = len - p < 65536 ? len - p : 65536;
		chunk.len = 0;
		replay_crlf(&chunk, msg + p, n, &cr);
		classify_body(c, (const unsigned char *)chunk.s, chunk.len);
		p += n;
	}
	sb_free(&chunk);
	classify_finish(c);
}
