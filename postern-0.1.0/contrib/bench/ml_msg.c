/*
 * ml_msg.c - load the messages the load client sends: one .eml file or
 * every *.eml file of a directory (sorted by name, so runs repeat).
 *
 * A message is split into header fields (name, value with folding kept as
 * bare LF, the way MTAs hand headers to milters) and a body whose line
 * ends are turned into CRLF (what an MTA sends in SMFIC_BODY).  Input is
 * whatever is in the file: no NUL is trusted, lengths are explicit.
 * Called once by milterload.c before the threads start.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "milterload.h"

#define ML_MAX_FILE (256u * 1024 * 1024)   /* largest message file read */

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = ml_xrealloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0 && n <= ML_MAX_FILE);
	if (ferror(f) || n > ML_MAX_FILE) {
		fprintf(stderr, "milterload: %s: %s\n", path,
		    ferror(f) ? "read error" : "file too large");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Length of the line at p (up to and excluding LF or CRLF), *next after it. */
static size_t
line_at(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	size_t n;

	if (lf == NULL) {
		*next = end;
		n = (size_t)(end - p);
	} else {
		*next = lf + 1;
		n = (size_t)(lf - p);
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static void
add_header(struct ml_msg *m, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	struct ml_hdr *h;

	if (colon == NULL)   /* not a field: send it as a nameless one */
		colon = line;
	m->hdrs = ml_xrealloc(m->hdrs, (m->nhdrs + 1) * sizeof(*m->hdrs));
	h = &m->hdrs[m->nhdrs++];
	h->name = ml_xstrndup(line, (size_t)(colon - line));
	h->value = ml_xstrndup(colon + (colon < line + len),
	    len - (size_t)(colon - line) - (colon < line + len));
}

/* Append a continuation line to the last field, joined with LF. */
static void
fold_header(struct ml_msg *m, const char *line, size_t len)
{
	struct ml_hdr *h = &m->hdrs[m->nhdrs - 1];
	size_t old = strlen(h->value);

	h->value = ml_xrealloc(h->value, old + 1 + len + 1);
	h->value[old] = '\n';
	memcpy(h->value + old + 1, line, len);
	h->value[old + 1 + len] = '\0';
}

static void
set_body(struct ml_msg *m, const char *p, const char *end)
{
	size_t n = (size_t)(end - p), i, o = 0;

	m->body = ml_xmalloc(2 * n + 1);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			m->body[o++] = '\r';
		m->body[o++] = p[i];
	}
	m->body[o] = '\0';
	m->bodylen = o;
}

static int
parse_message(struct ml_msg *m, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *next;
	size_t n;

	while (p < end) {
		n = line_at(p, end, &next);
		if (n == 0) {             /* the empty line: body follows */
			p = next;
			break;
		}
		if ((*p == ' ' || *p == '\t') && m->nhdrs > 0)
			fold_header(m, p, n);
		else
			add_header(m, p, n);
		p = next;
	}
	set_body(m, p, end);
	return m->nhdrs > 0 ? 0 : -1;
}

static int
load_one(const char *path, struct ml_msg **out, size_t *n)
{
	size_t len;
	char *buf = read_file(path, &len);
	struct ml_msg *m;

	if (buf == NULL)
		return -1;
	*out = ml_xrealloc(*out, (*n + 1) * sizeof(**out));
	m = &(*out)[*n];
	memset(m, 0, sizeof(*m));
	m->path = ml_xstrndup(path, strlen(path));
	if (parse_message(m, buf, len) != 0) {
		fprintf(stderr, "milterload: %s: no header fields\n", path);
		free(buf);
		return -1;
	}
	m->raw = buf;
	m->rawlen = len;
	(*n)++;
	return 0;
}

static int
is_eml(const struct dirent *d)
{
	size_t l = strlen(d->d_name);

	return l > 4 && strcmp(d->d_name + l - 4, ".eml") == 0;
}

size_t
ml_load_messages(const char *path, struct ml_msg **out)
{
	struct stat sb;
	struct dirent **ents;
	size_t n = 0;
	int k, i, bad = 0;
	char full[4096];

	*out = NULL;
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(sb.st_mode))
		return load_one(path, out, &n) == 0 ? n : 0;
	k = scandir(path, &ents, is_eml, alphasort);
	if (k < 0) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		return 0;
	}
	for (i = 0; i < k; i++) {
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", path,
		    ents[i]->d_name) >= sizeof(full) || load_one(full, out, &n) != 0)
			bad = 1;
		free(ents[i]);
	}
	free(ents);
	if (n == 0 && !bad)
		fprintf(stderr, "milterload: %s: no *.eml files\n", path);
	return bad ? 0 : n;
}
