/*
 * lookup.c - lookup tables for allow/deny lists and the sender-login map:
 * entries validated as they are added (inline or from a file), sorted once
 * by lookup_finish(), then shared read-only by reference count.  Sorted
 * arrays and binary search: no per-message allocation, log-time look-ups.
 * CIDR entries are grouped by (family, prefix) after sorting; an address
 * is masked once per group and searched in it.
 * Used by conftab.c (CT_LOOKUP keys) and the policy checks.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "postern/cidr.h"
#include "postern/lookup.h"
#include "postern/util.h"

struct login_row {
	char *login;
	char **allowed;     /* "@domain" or "user@domain" */
	size_t nallowed;
};

struct net_group {
	int family;
	unsigned prefix;
	size_t lo, hi;      /* nets[lo..hi) */
};

struct lookup {
	int refs;
	enum lookup_kind kind;
	size_t count;       /* entries added (before dropping duplicates) */
	char **addrs;       /* LK_ADDRESS: full addresses */
	size_t naddrs, caddrs;
	char **doms;        /* LK_ADDRESS, LK_NAME: domains */
	size_t ndoms, cdoms;
	struct cidr *nets;  /* LK_CIDR */
	size_t nnets, cnets;
	struct net_group groups[2 * 129];
	size_t ngroups;
	struct login_row *rows;  /* LK_LOGIN */
	size_t nrows, crows;
	bool star_domain;        /* the "*@domain" rule */
	struct strlist sources;  /* inline entries and "file:PATH" */
};

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

struct lookup *
lookup_new(enum lookup_kind kind)
{
	struct lookup *lk = xcalloc(1, sizeof(*lk));

	lk->refs = 1;
	lk->kind = kind;
	return lk;
}

struct lookup *
lookup_ref(struct lookup *lk)
{
	if (lk != NULL)
		__atomic_add_fetch(&lk->refs, 1, __ATOMIC_RELAXED);
	return lk;
}

static void
free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
lookup_unref(struct lookup *lk)
{
	if (lk == NULL || __atomic_sub_fetch(&lk->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	free_strings(lk->addrs, lk->naddrs);
	free_strings(lk->doms, lk->ndoms);
	free(lk->nets);
	for (size_t i = 0; i < lk->nrows; i++) {
		free(lk->rows[i].login);
		free_strings(lk->rows[i].allowed, lk->rows[i].nallowed);
	}
	free(lk->rows);
	strlist_free(&lk->sources);
	free(lk);
}

const char *
lookup_strerror(enum lookup_status st)
{
	switch (st) {
	case LOOKUP_OK: return "ok";
	case LOOKUP_EMPTY: return "empty entry";
	case LOOKUP_TOO_LONG: return "entry too long";
	case LOOKUP_BAD_CHAR: return "control character or space in an entry";
	case LOOKUP_BAD_ADDRESS: return "not an address (user@domain) or a domain";
	case LOOKUP_BAD_DOMAIN: return "not a valid domain name";
	case LOOKUP_BAD_CIDR: return "not an IPv4/IPv6 address or prefix";
	case LOOKUP_BAD_LOGIN: return "expected LOGIN ADDRESS-OR-DOMAIN... or *@domain";
	case LOOKUP_TOO_MANY: return "too many entries in one list";
	}
	return "?";
}

static void
push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = s;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A domain name of 1..253 bytes, labels of 1..63 [a-z0-9-_] (lower case
 * already), no empty label. */
static bool
valid_domain(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(islower(c) || isdigit(c) || c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

/* A local part: 1..64 printable, no '@' (checked by the caller). */
static bool
valid_local(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Lower-case copy of an entry into out (LOOKUP_MAX_ENTRY + 1 bytes),
 * blanks trimmed; rejects control characters. */
static enum lookup_status
normalise(const char *buf, size_t len, char *out, size_t *olen)
{
	while (len > 0 && blank(buf[0])) {
		buf++;
		len--;
	}
	while (len > 0 && blank(buf[len - 1]))
		len--;
	if (len == 0)
		return LOOKUP_EMPTY;
	if (len > LOOKUP_MAX_ENTRY)
		return LOOKUP_TOO_LONG;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c < 0x20 && c != '\t')
			return LOOKUP_BAD_CHAR;
		if (c == 0x7f)
			return LOOKUP_BAD_CHAR;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	*olen = len;
	return LOOKUP_OK;
}

/* An address or domain item: "@dom" / "dom" -> "@dom", "u@dom" -> itself. */
static enum lookup_status
parse_item(const char *s, size_t len, char **out, bool *is_domain)
{
	const char *at = memchr(s, '@', len);

	for (size_t i = 0; i < len; i++)
		if (blank(s[i]))
			return LOOKUP_BAD_CHAR;
	if (at == NULL || at == s) {
		const char *d = at == NULL ? s : s + 1;
		size_t dlen = at == NULL ? len : len - 1;

		if (!valid_domain(d, dlen))
			return LOOKUP_BAD_DOMAIN;
		*is_domain = true;
		*out = xstrndup(d, dlen);
		return LOOKUP_OK;
	}
	if (memchr(at + 1, '@', len - (size_t)(at + 1 - s)) != NULL)
		return LOOKUP_BAD_ADDRESS;
	if (!valid_local(s, (size_t)(at - s)))
		return LOOKUP_BAD_ADDRESS;
	if (!valid_domain(at + 1, len - (size_t)(at + 1 - s)))
		return LOOKUP_BAD_DOMAIN;
	*is_domain = false;
	*out = xstrndup(s, len);
	return LOOKUP_OK;
}

static enum lookup_status
add_login(struct lookup *lk, char *s)
{
	struct login_row row = { 0 };
	char *save = NULL, *tok;
	size_t cap = 0;
	enum lookup_status st = LOOKUP_OK;

	tok = strtok_r(s, " \t,", &save);
	if (tok == NULL)
		return LOOKUP_EMPTY;
	if (tok[0] == '*') {
		if (strcmp(tok, "*@domain") != 0 || strtok_r(NULL, " \t,", &save) != NULL)
			return LOOKUP_BAD_LOGIN;
		lk->star_domain = true;
		return LOOKUP_OK;
	}
	if (strlen(tok) > 256 || strchr(tok, '@') == tok)
		return LOOKUP_BAD_LOGIN;
	row.login = xstrdup(tok);
	while ((tok = strtok_r(NULL, " \t,", &save)) != NULL) {
		char *item;
		bool dom;

		if (row.nallowed == LOOKUP_MAX_ALLOWED) {
			st = LOOKUP_TOO_LONG;
			break;
		}
		if ((st = parse_item(tok, strlen(tok), &item, &dom)) != LOOKUP_OK)
			break;
		if (dom) {
			char *d = xcalloc(1, strlen(item) + 2);
			d[0] = '@';
			memcpy(d + 1, item, strlen(item));
			free(item);
			item = d;
		}
		push(&row.allowed, &row.nallowed, &cap, item);
	}
	if (st == LOOKUP_OK && row.nallowed == 0)
		st = LOOKUP_BAD_LOGIN;
	if (st != LOOKUP_OK) {
		free(row.login);
		free_strings(row.allowed, row.nallowed);
		return st;
	}
	if (lk->nrows == lk->crows) {
		lk->crows = lk->crows ? lk->crows * 2 : 16;
		lk->rows = xrealloc(lk->rows, lk->crows * sizeof(*lk->rows));
	}
	lk->rows[lk->nrows++] = row;
	return LOOKUP_OK;
}

/* One entry, not recorded as a source. */
static enum lookup_status
add_entry(struct lookup *lk, const char *buf, size_t len)
{
	char s[LOOKUP_MAX_ENTRY + 1];
	size_t n;
	enum lookup_status st;
	char *item;
	bool dom;

	if ((st = normalise(buf, len, s, &n)) != LOOKUP_OK)
		return st;
	if (lk->count >= LOOKUP_MAX_ENTRIES)
		return LOOKUP_TOO_MANY;
	switch (lk->kind) {
	case LK_ADDRESS:
		if ((st = parse_item(s, n, &item, &dom)) != LOOKUP_OK)
			return st;
		if (dom)
			push(&lk->doms, &lk->ndoms, &lk->cdoms, item);
		else
			push(&lk->addrs, &lk->naddrs, &lk->caddrs, item);
		break;
	case LK_NAME:
		if (s[0] == '[' && s[n - 1] == ']') {    /* an address literal, exact */
			struct cidr c;
			if (n < 3 || cidr_parse(s + 1, n - 2, &c) != CIDR_OK || strchr(s, '/') != NULL)
				return LOOKUP_BAD_DOMAIN;
		} else if (!valid_domain(s, n)) {
			return LOOKUP_BAD_DOMAIN;
		}
		push(&lk->doms, &lk->ndoms, &lk->cdoms, xstrndup(s, n));
		break;
	case LK_CIDR: {
		struct cidr c;
		if (cidr_parse(s, n, &c) != CIDR_OK)
			return LOOKUP_BAD_CIDR;
		if (lk->nnets == lk->cnets) {
			lk->cnets = lk->cnets ? lk->cnets * 2 : 16;
			lk->nets = xrealloc(lk->nets, lk->cnets * sizeof(*lk->nets));
		}
		lk->nets[lk->nnets++] = c;
		break;
	}
	case LK_LOGIN:
		if ((st = add_login(lk, s)) != LOOKUP_OK)
			return st;
		break;
	}
	lk->count++;
	return LOOKUP_OK;
}

enum lookup_status
lookup_add(struct lookup *lk, const char *buf, size_t len)
{
	enum lookup_status st = add_entry(lk, buf, len);

	if (st == LOOKUP_OK) {
		char *copy = xstrndup(buf, len);
		strlist_add(&lk->sources, copy);
		free(copy);
	}
	return st;
}

/* Report a file problem with its errno text. */
static void
file_error(lookup_err_fn err, void *ctx, const char *path, const char *what)
{
	char why[160];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	err(ctx, path, 0, why);
}

bool
lookup_add_file(struct lookup *lk, const char *path, lookup_err_fn err, void *ctx)
{
	char line[LOOKUP_MAX_ENTRY + 2];
	FILE *f = fopen(path, "re");
	struct stat sb;
	unsigned lineno = 0;
	unsigned long long bytes = 0;
	bool ok = true;
	strbuf src;

	if (f == NULL) {
		file_error(err, ctx, path, "cannot read");
		return false;
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (unsigned long long)sb.st_size > LOOKUP_MAX_FILE) {
		errno = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
		file_error(err, ctx, path, "not a regular file of at most 256 MiB");
		fclose(f);
		return false;
	}
	/* one line at a time into a fixed buffer: a line over LOOKUP_MAX_ENTRY
	 * is an error, never an allocation; a NUL byte is a bad character */
	for (;;) {
		size_t len = 0;
		bool nul = false, eof = false;
		enum lookup_status st;
		int ch;

		while ((ch = getc(f)) != EOF && ch != '\n') {
			if (++bytes > LOOKUP_MAX_FILE)
				break;
			nul = nul || ch == '\0';
			if (len <= LOOKUP_MAX_ENTRY)
				line[len] = (char)ch;
			len++;
		}
		eof = ch == EOF;
		if (bytes > LOOKUP_MAX_FILE || (eof && len == 0))
			break;
		lineno++;
		if (len > LOOKUP_MAX_ENTRY)
			st = LOOKUP_TOO_LONG;
		else if (nul)
			st = LOOKUP_BAD_CHAR;
		else {
			size_t i = 0;

			while (i < len && blank(line[i]))
				i++;
			if (i == len || line[i] == '#')
				continue;
			st = add_entry(lk, line, len);
		}
		if (st != LOOKUP_OK) {
			err(ctx, path, lineno, lookup_strerror(st));
			ok = false;
			if (st == LOOKUP_TOO_MANY)
				break;
		}
		if (eof)
			break;
	}
	fclose(f);
	sb_init(&src);
	sb_printf(&src, "file:%s", path);
	strlist_add(&lk->sources, src.s);
	sb_free(&src);
	return ok;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
dedupe(char **v, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		if (out > 0 && strcmp(v[out - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[out++] = v[i];
	}
	return out;
}

static int
cmp_net(const void *a, const void *b)
{
	const struct cidr *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int
cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct login_row *)a)->login, ((const struct login_row *)b)->login);
}

void
lookup_finish(struct lookup *lk)
{
	size_t out = 0;

	/* (qsort must not get NULL, even for no elements) */
	if (lk->naddrs > 0)
		qsort(lk->addrs, lk->naddrs, sizeof(*lk->addrs), cmp_str);
	lk->naddrs = dedupe(lk->addrs, lk->naddrs);
	if (lk->ndoms > 0)
		qsort(lk->doms, lk->ndoms, sizeof(*lk->doms), cmp_str);
	lk->ndoms = dedupe(lk->doms, lk->ndoms);
	if (lk->nnets > 0)
		qsort(lk->nets, lk->nnets, sizeof(*lk->nets), cmp_net);
	lk->ngroups = 0;
	for (size_t i = 0; i < lk->nnets; i++) {
		struct net_group *g;

		if (out > 0 && cmp_net(&lk->nets[out - 1], &lk->nets[i]) == 0)
			continue;
		lk->nets[out] = lk->nets[i];
		g = lk->ngroups ? &lk->groups[lk->ngroups - 1] : NULL;
		if (g == NULL || g->family != lk->nets[out].family || g->prefix != lk->nets[out].prefix) {
			g = &lk->groups[lk->ngroups++];
			g->family = lk->nets[out].family;
			g->prefix = lk->nets[out].prefix;
			g->lo = out;
		}
		g->hi = out + 1;
		out++;
	}
	lk->nnets = out;
	if (lk->nrows > 0)
		qsort(lk->rows, lk->nrows, sizeof(*lk->rows), cmp_row);
}

enum lookup_kind
lookup_kind_of(const struct lookup *lk)
{
	return lk->kind;
}

size_t
lookup_count(const struct lookup *lk)
{
	if (lk == NULL)
		return 0;
	return lk->naddrs + lk->ndoms + lk->nnets + lk->nrows + (lk->star_domain ? 1 : 0);
}

const char *
lookup_source(const struct lookup *lk, size_t i, bool *is_file)
{
	if (lk == NULL || i >= lk->sources.n)
		return NULL;
	*is_file = strncmp(lk->sources.v[i], "file:", 5) == 0;
	return lk->sources.v[i];
}

static bool
find(char *const *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, v[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Lower-case copy; false if it does not fit. */
static bool
lower(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i + 1 >= size)
			return false;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[i] = '\0';
	return true;
}

bool
lookup_domain(const struct lookup *lk, const char *name)
{
	char buf[LOOKUP_MAX_ENTRY + 1];
	size_t len;

	if (lk == NULL || lk->ndoms == 0 || name == NULL || !lower(name, buf, sizeof(buf)))
		return false;
	len = strlen(buf);
	if (len > 1 && buf[len - 1] == '.')
		buf[len - 1] = '\0';
	for (const char *d = buf; d != NULL && *d != '\0';) {
		if (find(lk->doms, lk->ndoms, d))
			return true;
		d = strchr(d, '.');
		if (d != NULL)
			d++;
	}
	return false;
}

bool
lookup_address(const struct lookup *lk, const char *addr)
{
	char buf[LOOKUP_MAX_ENTRY + 1];
	const char *at;

	if (lk == NULL || addr == NULL || !lower(addr, buf, sizeof(buf)))
		return false;
	if (find(lk->addrs, lk->naddrs, buf))
		return true;
	at = strrchr(buf, '@');
	return at != NULL && lookup_domain(lk, at + 1);
}

static void
mask(uint8_t *a, unsigned prefix, unsigned bytes)
{
	for (unsigned bit = prefix; bit < bytes * 8; bit++)
		a[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
}

bool
lookup_ip(const struct lookup *lk, int family, const uint8_t *ip)
{
	uint8_t key[16];
	unsigned bytes;

	if (lk == NULL || lk->nnets == 0 || ip == NULL)
		return false;
	if (family == AF_INET6 && memcmp(ip, v4mapped, 12) == 0) {
		family = AF_INET;
		ip += 12;
	}
	if (family != AF_INET && family != AF_INET6)
		return false;
	bytes = family == AF_INET ? 4 : 16;
	for (size_t g = 0; g < lk->ngroups; g++) {
		const struct net_group *gr = &lk->groups[g];
		size_t lo = gr->lo, hi = gr->hi;

		if (gr->family != family)
			continue;
		memset(key, 0, sizeof(key));
		memcpy(key, ip, bytes);
		mask(key, gr->prefix, bytes);
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = memcmp(key, lk->nets[mid].addr, sizeof(key));

			if (c == 0)
				return true;
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	return false;
}

/* The rows for login: [*lo, *hi). */
static void
login_rows(const struct lookup *lk, const char *login, size_t *lo, size_t *hi)
{
	size_t a = 0, b = lk->nrows;

	while (a < b) {   /* first row >= login */
		size_t mid = a + (b - a) / 2;
		if (strcmp(lk->rows[mid].login, login) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	while (a < lk->nrows && strcmp(lk->rows[a].login, login) == 0)
		a++;
	*hi = a;
}

/* may login use an address (dom_only false) or a domain (true) */
static bool
login_may(const struct lookup *lk, const char *login_in, const char *what_in, bool dom_only)
{
	char login[LOOKUP_MAX_ENTRY + 1], what[LOOKUP_MAX_ENTRY + 1];
	const char *dom, *ldom;
	size_t lo, hi;

	if (lk == NULL || login_in == NULL || what_in == NULL ||
	    !lower(login_in, login, sizeof(login)) || !lower(what_in, what, sizeof(what)))
		return false;
	dom = dom_only ? what : strrchr(what, '@');
	if (dom == NULL)
		return false;
	if (!dom_only)
		dom++;
	ldom = strrchr(login, '@');
	if (lk->star_domain && ldom != NULL && ldom[1] != '\0' && strcmp(ldom + 1, dom) == 0)
		return true;
	login_rows(lk, login, &lo, &hi);
	for (size_t r = lo; r < hi; r++) {
		const struct login_row *row = &lk->rows[r];

		for (size_t i = 0; i < row->nallowed; i++) {
			const char *a = row->allowed[i];

			if (a[0] == '@') {
				if (strcmp(a + 1, dom) == 0)
					return true;
			} else if (dom_only) {
				const char *ad = strrchr(a, '@');
				if (ad != NULL && strcmp(ad + 1, dom) == 0)
					return true;
			} else if (strcmp(a, what) == 0) {
				return true;
			}
		}
	}
	return false;
}

bool
lookup_login_address(const struct lookup *lk, const char *login, const char *addr)
{
	return login_may(lk, login, addr, false);
}

bool
lookup_login_domain(const struct lookup *lk, const char *login, const char *domain)
{
	return login_may(lk, login, domain, true);
}
