/*
 * policy.c - the policy key table (the core keys here, each check's keys
 * from its row), loading a policy directory, computing inheritance once at
 * load, and resolving a domain to its policy.
 * Called by snapshot.c (build) and pipeline.c (per recipient).
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <dirent.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "postern/check.h"
#include "postern/log.h"
#include "postern/policy.h"

#define OFF(f) offsetof(struct policy, f)
#define MAX_POLICY_KEYS 128

static const char *const mode_choices[] = { "enforce", "observe", NULL };
static const char *const conflict_choices[] = { "strict", "split", NULL };

static const struct ct_key core_keys[] = {
	{ "mode", CT_ENUM, OFF(mode), "enforce", 0, 0, mode_choices,
	  "observe: check and log everything as enforced, refuse nothing" },
	{ "recipient_conflict", CT_ENUM, OFF(conflict), "strict", 0, 0, conflict_choices,
	  "recipients under different policies: strict (the stricter wins) or split (the later one gets 452 4.5.3)" },
	{ "reply_url", CT_STRING, OFF(reply_url), "", 0, 0, NULL,
	  "URL appended to the text of refusals" },
	{ "max_message_size", CT_SIZE, OFF(max_message_size), "50M", 0, 1ULL << 40, NULL,
	  "largest message (header + body) in bytes, K, M or G; 0 = unlimited" },
	{ "oversize_action", CT_ACTION, OFF(oversize_action), "reject", 0, 0, NULL,
	  "what a message or attachment over its size limit gets (reject = 552 5.3.4)" },
};

/*
 * The assembled table: the core keys, then each check's keys with their
 * offsets moved to the check's block.  A policy is one allocation of
 * pol_size bytes: struct policy, then the blocks at block_off[slot].
 */
static struct ct_key *keys;
static size_t nkeys, pol_size;
static size_t block_off[CHECK_MAX];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

#define ALIGN_UP(x) (((x) + 15) & ~(size_t)15)

static void
build_key_table(void)
{
	size_t n = NELEM(core_keys), size = ALIGN_UP(sizeof(struct policy));

	for (size_t i = 0; i < check_count; i++)
		n += check_table[i]->npolicy_keys;
	keys = xcalloc(n, sizeof(*keys));
	memcpy(keys, core_keys, sizeof(core_keys));
	nkeys = NELEM(core_keys);
	for (size_t i = 0; i < check_count; i++) {
		const struct check *ck = check_table[i];

		block_off[i] = size;
		for (size_t k = 0; k < ck->npolicy_keys; k++) {
			keys[nkeys] = ck->policy_keys[k];
			keys[nkeys].offset += size;
			nkeys++;
		}
		size = ALIGN_UP(size + ck->policy_size);
	}
	pol_size = size;
	if (nkeys > MAX_POLICY_KEYS)
		die("%zu policy keys: raise MAX_POLICY_KEYS", nkeys);
}

const struct ct_key *
policy_key_table(size_t *n)
{
	pthread_once(&keys_once, build_key_table);
	*n = nkeys;
	return keys;
}

const void *
policy_block(const struct policy *p, size_t slot)
{
	return (const char *)p + block_off[slot];
}

static struct policy *
policy_alloc(void)
{
	pthread_once(&keys_once, build_key_table);
	return xcalloc(1, pol_size);
}

struct policy_set {
	struct policy *def;
	struct policy **v;   /* sorted by domain */
	size_t n;
	unsigned long long loosest;
	bool all_observe;
};

static bool
valid_domain_name(const char *s, size_t len)
{
	if (len == 0 || len > 253 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '-' || c == '.' || c == '_'))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/* Binary search of v[0..n) (sorted by domain); the index or n. */
static size_t
find_index(struct policy *const *v, size_t n, const char *domain)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(domain, v[mid]->domain);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return n;
}

static const struct policy *
find_exact(const struct policy_set *ps, const char *domain)
{
	size_t i = find_index(ps->v, ps->n, domain);

	return i < ps->n ? ps->v[i] : NULL;
}

static size_t
label_count(const char *d)
{
	size_t n = 1;

	for (; *d; d++)
		n += *d == '.';
	return n;
}

/* One domain file as read: its own keys (set[i]) over the defaults. */
struct raw_policy {
	struct policy *p;
	bool set[MAX_POLICY_KEYS];
};

static void
free_policy(struct policy *p)
{
	size_t n;
	const struct ct_key *tab = policy_key_table(&n);

	if (p == NULL)
		return;
	ct_free(tab, n, p);
	free(p->domain);
	free(p->file);
	free(p);
}

/*
 * Inherit: each key the file does not name comes from the nearest ancestor
 * that has a file (already resolved: ancestors have fewer labels), else
 * from the default policy.  raws[] is sorted by domain, so ancestors are
 * found by binary search; out[i] is the resolved raws[i].
 */
static struct policy *
resolve_raw(const struct policy_set *ps, struct policy *const *rawp, size_t nraw,
    struct policy *const *out, const struct raw_policy *raw)
{
	const struct policy *parent = ps->def;
	struct policy *res = policy_alloc();
	size_t n;
	const struct ct_key *tab = policy_key_table(&n);

	for (const char *d = strchr(raw->p->domain, '.'); d != NULL; d = strchr(d + 1, '.')) {
		size_t k = find_index(rawp, nraw, d + 1);
		if (k < nraw && out[k] != NULL) {
			parent = out[k];
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		ct_copy_key(tab, i, res, raw->set[i] ? raw->p : parent);
	res->domain = xstrdup(raw->p->domain);
	res->file = xstrdup(raw->p->file);
	return res;
}

static struct raw_policy **
read_domain_files(const char *dir, size_t *count, struct ct_errors *errs)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	struct raw_policy **raws = NULL;
	size_t n = 0, cap = 0, nk;
	const struct ct_key *tab = policy_key_table(&nk);

	*count = 0;
	if (dp == NULL) {
		ct_error(errs, dir, 0, "policy_dir", "cannot open directory");
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		strbuf path;

		if (name[0] == '.' || len <= 5 || strcmp(name + len - 5, ".conf") != 0 ||
		    strcmp(name, "default.conf") == 0)
			continue;
		sb_init(&path);
		sb_printf(&path, "%s/%s", dir, name);
		if (!valid_domain_name(name, len - 5)) {
			ct_error(errs, path.s, 0, "file name",
			    "not a lower-case domain name followed by .conf");
			sb_free(&path);
			continue;
		}
		struct raw_policy *r = xcalloc(1, sizeof(*r));
		r->p = policy_alloc();
		ct_defaults(tab, nk, r->p);
		r->p->domain = xstrndup(name, len - 5);
		r->p->file = xstrdup(path.s);
		ct_load(tab, nk, r->p, path.s, r->set, errs);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			raws = xrealloc(raws, cap * sizeof(*raws));
		}
		raws[n++] = r;
		sb_free(&path);
	}
	closedir(dp);
	*count = n;
	return raws;
}

static void
compute_summary(struct policy_set *ps)
{
	ps->loosest = ps->def->max_message_size;
	ps->all_observe = ps->def->mode == POLICY_OBSERVE;
	for (size_t i = 0; i < ps->n; i++) {
		const struct policy *p = ps->v[i];

		if (ps->loosest != 0 && (p->max_message_size == 0 || p->max_message_size > ps->loosest))
			ps->loosest = p->max_message_size;
		ps->all_observe = ps->all_observe && p->mode == POLICY_OBSERVE;
	}
}

static int
cmp_raw_domain(const void *a, const void *b)
{
	const struct raw_policy *ra = *(struct raw_policy *const *)a;
	const struct raw_policy *rb = *(struct raw_policy *const *)b;

	return strcmp(ra->p->domain, rb->p->domain);
}

struct by_depth {
	size_t labels, index;
};

static int
cmp_depth(const void *a, const void *b)
{
	const struct by_depth *x = a, *y = b;

	return x->labels < y->labels ? -1 : x->labels > y->labels;
}

/*
 * Resolve every domain file once: sort by domain (one qsort), resolve in
 * order of label count so that each ancestor is done before its
 * descendants, and keep the result in domain order for lookups.  No
 * per-insert sorting: thousands of domain files load in O(n log n).
 */
static void
resolve_all(struct policy_set *ps, struct raw_policy **raws, size_t nraw)
{
	struct policy **rawp, **out;
	struct by_depth *order;

	if (nraw == 0)
		return;
	qsort(raws, nraw, sizeof(*raws), cmp_raw_domain);
	rawp = xcalloc(nraw, sizeof(*rawp));
	out = xcalloc(nraw, sizeof(*out));
	order = xcalloc(nraw, sizeof(*order));
	for (size_t i = 0; i < nraw; i++) {
		rawp[i] = raws[i]->p;
		order[i].labels = label_count(raws[i]->p->domain);
		order[i].index = i;
	}
	qsort(order, nraw, sizeof(*order), cmp_depth);
	for (size_t k = 0; k < nraw; k++) {
		size_t i = order[k].index;
		out[i] = resolve_raw(ps, rawp, nraw, out, raws[i]);
	}
	ps->v = out;
	ps->n = nraw;
	free(order);
	free(rawp);
}

struct policy_set *
policy_set_load(const char *dir, struct ct_errors *errs)
{
	struct policy_set *ps = xcalloc(1, sizeof(*ps));
	unsigned before = errs->count;
	struct raw_policy **raws;
	size_t nraw, nk;
	const struct ct_key *tab = policy_key_table(&nk);
	strbuf path;

	ps->def = policy_alloc();
	ct_defaults(tab, nk, ps->def);
	ps->def->domain = xstrdup("");
	sb_init(&path);
	sb_printf(&path, "%s/default.conf", dir);
	if (access(path.s, F_OK) == 0) {
		ps->def->file = xstrdup(path.s);
		ct_load(tab, nk, ps->def, path.s, NULL, errs);
	} else {
		ps->def->file = xstrdup("built-in");
	}
	sb_free(&path);

	raws = read_domain_files(dir, &nraw, errs);
	resolve_all(ps, raws, nraw);
	for (size_t i = 0; i < nraw; i++) {
		free_policy(raws[i]->p);
		free(raws[i]);
	}
	free(raws);
	compute_summary(ps);
	if (errs->count != before) {
		policy_set_free(ps);
		return NULL;
	}
	return ps;
}

void
policy_set_free(struct policy_set *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = 0; i < ps->n; i++)
		free_policy(ps->v[i]);
	free(ps->v);
	free_policy(ps->def);
	free(ps);
}

const struct policy *
policy_lookup(const struct policy_set *ps, const char *domain)
{
	char buf[256];
	size_t len;

	if (domain == NULL || *domain == '\0')
		return ps->def;
	len = strlen(domain);
	while (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(buf))
		return ps->def;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)domain[i]);
	buf[len] = '\0';
	for (const char *d = buf; d != NULL; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL) {
		const struct policy *p = find_exact(ps, d);
		if (p != NULL)
			return p;
	}
	return ps->def;
}

const struct policy *
policy_default(const struct policy_set *ps)
{
	return ps->def;
}

unsigned long long
policy_set_loosest_size(const struct policy_set *ps)
{
	return ps->loosest;
}

bool
policy_set_all_observe(const struct policy_set *ps)
{
	return ps->all_observe;
}

size_t
policy_set_count(const struct policy_set *ps)
{
	return ps->n;
}

const struct policy *
policy_set_get(const struct policy_set *ps, size_t i)
{
	return i < ps->n ? ps->v[i] : NULL;
}

void
policy_print(const struct policy *p, strbuf *out)
{
	size_t n;
	const struct ct_key *tab = policy_key_table(&n);

	sb_printf(out, "# policy %s (from %s)\n", p->domain[0] ? p->domain : "default", p->file);
	ct_print(tab, n, p, out);
}

void
policy_print_reference(strbuf *out)
{
	size_t n;
	const struct ct_key *tab = policy_key_table(&n);

	ct_print_reference(tab, n, out);
}
