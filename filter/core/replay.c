/*
 * replay.c - a stored message to the pipeline in the MTA's form (the
 * rules are in replay.h).  Splitting the header block is eml.c's job;
 * this file only turns each field and the body into what Postfix or
 * Sendmail would send over the milter protocol.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postern/pipeline.h"
#include "postern/replay.h"

bool
replay_read(const char *path, strbuf *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char buf[REPLAY_CHUNK];
	size_t n;
	bool ok = true;

	if (f == NULL)
		return false;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (out->len + n > REPLAY_FILE_MAX) {
			errno = EFBIG;
			ok = false;
			break;
		}
		sb_append(out, buf, n);
	}
	if (ok && ferror(f)) {
		errno = EIO;
		ok = false;
	}
	if (f != stdin)
		fclose(f);
	return ok;
}

char *
replay_value(const struct eml_field *f, bool leadspc)
{
	const char *v = f->value, *end = f->value + f->valuelen;
	char *out = xmalloc(f->valuelen + 1), *o = out;

	if (!leadspc && v < end && *v == ' ')   /* the MTA eats one space, not a tab */
		v++;
	for (; v < end; v++) {
		if (*v == '\r' && v + 1 < end && v[1] == '\n')
			continue;                /* folds are joined with a bare LF */
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

void
replay_headers(struct conn *c, const char *msg, size_t len, struct replay_head *h)
{
	size_t off = 0, at;
	struct eml_field f;
	enum eml_status st;

	memset(h, 0, sizeof(*h));
	c->leadspc = true;
	for (;;) {
		at = off;
		st = eml_next_field(msg, len, &off, &f);
		if (st == EML_END)
			break;
		if (st != EML_FIELD) {   /* not a field: the body starts here */
			h->early = true;
			h->bad = st;
			h->bad_at = at;
			off = at;
			break;
		}
		char *name = xstrndup(f.name, f.namelen);
		char *value = replay_value(&f, true);

		pl_header(c, name, value);
		free(name);
		free(value);
		h->fields++;
	}
	h->body = off;
}

void
replay_crlf(strbuf *out, const char *p, size_t n, bool *cr)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && !(i > 0 ? p[i - 1] == '\r' : *cr)) {
			sb_append(out, p + run, i - run);
			sb_putc(out, '\r');
			run = i;
		}
	}
	sb_append(out, p + run, n - run);
	if (n > 0)
		*cr = p[n - 1] == '\r';
}

/* Hand the first n bytes of chunk to pl_body and keep the rest. */
static bool
feed(struct conn *c, strbuf *chunk, size_t n, struct verdict *v, size_t *fed)
{
	pl_body(c, (const unsigned char *)chunk->s, n, v);
	*fed += n;
	memmove(chunk->s, chunk->s + n, chunk->len - n);
	chunk->len -= n;
	return !verdict_refuses(v);
}

size_t
replay_body(struct conn *c, const char *msg, size_t len, size_t off,
    struct verdict *v, bool *refused)
{
	strbuf chunk;
	size_t fed = 0;
	bool cr = false, go = true;

	sb_init(&chunk);
	/* chunks of exactly REPLAY_CHUNK bytes (the last one shorter), the
	 * way libmilter's MTA side cuts the body */
	for (size_t p = off; go && p < len; ) {
		size_t n = len - p < 4096 ? len - p : 4096;

		replay_crlf(&chunk, msg + p, n, &cr);
		p += n;
		while (go && chunk.len >= REPLAY_CHUNK)
			go = feed(c, &chunk, REPLAY_CHUNK, v, &fed);
	}
	if (go && chunk.len > 0)
		go = feed(c, &chunk, chunk.len, v, &fed);
	*refused = !go;
	sb_free(&chunk);
	return fed;
}
