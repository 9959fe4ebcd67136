/*
 * policy.c - the policy key table, loading a policy directory, computing
 * inheritance once at load, and resolving a domain to its policy.
 * Called by config.c (snapshot build) and pipeline.c (per recipient).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "postern/log.h"
#include "postern/mime.h"
#include "postern/policy.h"

#define OFF(f) offsetof(struct policy, f)
#define MAX_POLICY_KEYS 128

static const char *const mode_choices[] = { "enforce", "observe", NULL };
static const char *const conflict_choices[] = { "strict", "split", NULL };

const struct ct_key policy_keys[] = {
	{ "mode", CT_ENUM, OFF(mode), "enforce", 0, 0, mode_choices,
	  "observe: check and log everything as enforced, refuse nothing" },
	{ "recipient_conflict", CT_ENUM, OFF(conflict), "strict", 0, 0, conflict_choices,
	  "recipients under different policies: strict (the stricter wins) or split (the later one gets 452 4.5.3)" },
	{ "reply_url", CT_STRING, OFF(reply_url), "", 0, 0, NULL,
	  "URL appended to the text of refusals" },
	{ "max_message_size", CT_SIZE, OFF(max_message_size), "50M", 0, 1ULL << 40, NULL,
	  "largest message (header + body) in bytes, K, M or G; 0 = unlimited" },
	{ "oversize_action", CT_ACTION, OFF(oversize_action), "reject", 0, 0, NULL,
	  "what a message over max_message_size gets (reject = 552 5.3.4)" },
	{ "add_authentication_results", CT_BOOL, OFF(add_authres), "true", 0, 0, NULL,
	  "add an Authentication-Results header to inbound mail" },
	/* attachment screen and MIME limits (check_attach.c) */
	{ "max_attachment_size", CT_SIZE, OFF(max_attachment_size), "0", 0, 1ULL << 40, NULL,
	  "largest decoded MIME part (any leaf part); 0 = unlimited; over it: oversize_action, 552 5.3.4" },
	{ "max_attachments_total", CT_SIZE, OFF(max_attachments_total), "0", 0, 1ULL << 40, NULL,
	  "largest sum of decoded MIME parts; 0 = unlimited; over it: oversize_action, 552 5.3.4" },
	{ "blocked_extensions", CT_STRLIST, OFF(blocked_extensions), NULL, 0, 0, NULL,
	  "file name extensions refused in attachments and inside zip archives (case-insensitive)" },
	{ "blocked_types", CT_STRLIST, OFF(blocked_types), NULL, 0, 0, NULL,
	  "MIME types refused (\"type/subtype\" or \"type/*\")" },
	{ "blocked_action", CT_ACTION, OFF(blocked_action), "reject", 0, 0, NULL,
	  "what a blocked attachment gets: reject (554 5.7.1), quarantine, tag" },
	{ "mime_limit_action", CT_ACTION, OFF(mime_limit_action), "reject", 0, 0, NULL,
	  "what a message over a MIME limit gets (reject = 554 5.6.0)" },
	{ "mime_max_depth", CT_UINT, OFF(mime_max_depth), MIME_STR(MIME_DEF_DEPTH), 1, 100, NULL,
	  "deepest nesting of multipart and message parts" },
	{ "mime_max_parts", CT_UINT, OFF(mime_max_parts), MIME_STR(MIME_DEF_PARTS), 1, 100000, NULL,
	  "most MIME parts (entities) in one message" },
	{ "mime_max_header_line", CT_UINT, OFF(mime_max_header_line), MIME_STR(MIME_DEF_HEADER_LINE), 78, 1000000, NULL,
	  "longest physical line in a MIME part's header, bytes" },
	{ "mime_max_header_bytes", CT_UINT, OFF(mime_max_header_bytes), MIME_STR(MIME_DEF_HEADER_BYTES), 256, 10000000, NULL,
	  "largest header block of one MIME part, bytes" },
	{ "mime_max_boundary", CT_UINT, OFF(mime_max_boundary), MIME_STR(MIME_DEF_BOUNDARY), 70, MIME_MAX_BOUNDARY, NULL,
	  "longest multipart boundary (RFC 2046 allows 70)" },
	{ "mime_max_filename", CT_UINT, OFF(mime_max_filename), MIME_STR(MIME_DEF_FILENAME), 16, 65536, NULL,
	  "longest decoded attachment file name, bytes" },
	{ "zip_max_entries", CT_UINT, OFF(zip_max_entries), MIME_STR(MIME_DEF_ZIP_ENTRIES), 1, 1000000, NULL,
	  "most entries listed in one zip attachment" },
	{ "dkim.require_signature_from", CT_STRLIST, OFF(dkim_require), NULL, 0, 0, NULL,
	  "From domains (and their subdomains) whose mail must carry a valid DKIM signature of that domain or a parent" },
	{ "dkim.require_action", CT_ACTION, OFF(dkim_require_action), "reject", 0, 0, NULL,
	  "what mail missing a required signature gets (reject = 550 5.7.20)" },
	{ "dkim.broken_action", CT_ACTION, OFF(dkim_broken_action), "tag", 0, 0, NULL,
	  "no signature verifies and at least one fails (RFC 6376 6.3: do not reject for this alone)" },
	{ "dkim.dns_error_action", CT_ACTION, OFF(dkim_dns_error_action), "tag", 0, 0, NULL,
	  "no signature verifies and a key lookup failed (tempfail = 451 4.7.5)" },
	{ "dmarc.reject_action", CT_ACTION, OFF(dmarc_reject_action), "reject", 0, 0, NULL,
	  "DMARC fail where the domain publishes p=reject (reject = 550 5.7.1)" },
	{ "dmarc.quarantine_action", CT_ACTION, OFF(dmarc_quarantine_action), "quarantine", 0, 0, NULL,
	  "DMARC fail where the domain publishes p=quarantine (quarantine = the MTA's hold queue)" },
	{ "dmarc.temperror_action", CT_ACTION, OFF(dmarc_temperror_action), "accept", 0, 0, NULL,
	  "the DMARC record could not be fetched (tempfail = 451 4.7.5)" },
	{ "dmarc.multiple_from_action", CT_ACTION, OFF(dmarc_multiple_from_action), "reject", 0, 0, NULL,
	  "several From fields or addresses, which DMARC cannot evaluate (reject = 550 5.7.1)" },
	{ "spf_fail_action", CT_ACTION, OFF(spf_fail_action), "reject", 0, 0, NULL,
	  "SPF fail (reject = 550 5.7.23)" },
	{ "spf_softfail_action", CT_ACTION, OFF(spf_softfail_action), "tag", 0, 0, NULL,
	  "SPF softfail (reject = 550 5.7.23)" },
	{ "spf_neutral_action", CT_ACTION, OFF(spf_neutral_action), "accept", 0, 0, NULL,
	  "SPF neutral" },
	{ "spf_none_action", CT_ACTION, OFF(spf_none_action), "accept", 0, 0, NULL,
	  "no SPF record" },
	{ "spf_temperror_action", CT_ACTION, OFF(spf_temperror_action), "tempfail", 0, 0, NULL,
	  "SPF temperror, DNS trouble (tempfail = 451 4.7.24)" },
	{ "spf_permerror_action", CT_ACTION, OFF(spf_permerror_action), "tag", 0, 0, NULL,
	  "SPF permerror, broken record (reject = 550 5.7.24)" },
};
const size_t policy_nkeys = NELEM(policy_keys);

struct policy_set {
	struct policy def;
	struct policy **v;   /* sorted by domain */
	size_t n;
	unsigned long long loosest;
	bool all_observe;
};

bool
address_domain(const char *addr, char *buf, size_t size)
{
	const char *at = strrchr(addr, '@');
	size_t len;

	if (at == NULL || at[1] == '\0')
		return false;
	at++;
	len = strcspn(at, ">");
	while (len > 0 && at[len - 1] == '.')
		len--;
	if (len == 0 || len >= size)
		return false;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)at[i]);
	buf[len] = '\0';
	return true;
}

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

static int
cmp_policy(const void *a, const void *b)
{
	const struct policy *const *pa = a, *const *pb = b;

	return strcmp((*pa)->domain, (*pb)->domain);
}

static const struct policy *
find_exact(const struct policy_set *ps, const char *domain)
{
	size_t lo = 0, hi = ps->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(domain, ps->v[mid]->domain);

		if (c == 0)
			return ps->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static size_t
label_count(const char *d)
{
	size_t n = 1;

	for (; *d; d++)
		n += *d == '.';
	return n;
}

struct raw_policy {
	struct policy p;
	bool set[MAX_POLICY_KEYS];
};

static int
cmp_raw_depth(const void *a, const void *b)
{
	const struct raw_policy *ra = *(struct raw_policy *const *)a;
	const struct raw_policy *rb = *(struct raw_policy *const *)b;
	size_t la = label_count(ra->p.domain), lb = label_count(rb->p.domain);

	return la < lb ? -1 : la > lb;
}

/* Inherit: the nearest ancestor that is already resolved, else default. */
static void
resolve_raw(struct policy_set *ps, struct raw_policy *raw, struct policy *out)
{
	const struct policy *parent = &ps->def;

	for (const char *d = strchr(raw->p.domain, '.'); d != NULL; d = strchr(d + 1, '.')) {
		const struct policy *p = find_exact(ps, d + 1);
		if (p != NULL) {
			parent = p;
			break;
		}
	}
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < policy_nkeys; i++)
		ct_copy_key(policy_keys, i, out, raw->set[i] ? &raw->p : parent);
	out->domain = xstrdup(raw->p.domain);
	out->file = xstrdup(raw->p.file);
}

static void
insert_sorted(struct policy_set *ps, struct policy *p)
{
	ps->v = xrealloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
	ps->v[ps->n++] = p;
	qsort(ps->v, ps->n, sizeof(*ps->v), cmp_policy);
}

static void
free_policy(struct policy *p)
{
	ct_free(policy_keys, policy_nkeys, p);
	free(p->domain);
	free(p->file);
}

static struct raw_policy **
read_domain_files(const char *dir, size_t *count, struct ct_errors *errs)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	struct raw_policy **raws = NULL;
	size_t n = 0;

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
		ct_defaults(policy_keys, policy_nkeys, &r->p);
		r->p.domain = xstrndup(name, len - 5);
		r->p.file = xstrdup(path.s);
		ct_load(policy_keys, policy_nkeys, &r->p, path.s, r->set, errs);
		raws = xrealloc(raws, (n + 1) * sizeof(*raws));
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
	ps->loosest = ps->def.max_message_size;
	ps->all_observe = ps->def.mode == POLICY_OBSERVE;
	for (size_t i = 0; i < ps->n; i++) {
		const struct policy *p = ps->v[i];

		if (ps->loosest != 0 && (p->max_message_size == 0 || p->max_message_size > ps->loosest))
			ps->loosest = p->max_message_size;
		ps->all_observe = ps->all_observe && p->mode == POLICY_OBSERVE;
	}
}

struct policy_set *
policy_set_load(const char *dir, struct ct_errors *errs)
{
	struct policy_set *ps = xcalloc(1, sizeof(*ps));
	unsigned before = errs->count;
	struct raw_policy **raws;
	size_t nraw;
	strbuf path;

	_Static_assert(NELEM(policy_keys) <= MAX_POLICY_KEYS, "raise MAX_POLICY_KEYS");
	ct_defaults(policy_keys, policy_nkeys, &ps->def);
	ps->def.domain = xstrdup("");
	sb_init(&path);
	sb_printf(&path, "%s/default.conf", dir);
	if (access(path.s, F_OK) == 0) {
		ps->def.file = xstrdup(path.s);
		ct_load(policy_keys, policy_nkeys, &ps->def, path.s, NULL, errs);
	} else {
		ps->def.file = xstrdup("built-in");
	}
	sb_free(&path);

	raws = read_domain_files(dir, &nraw, errs);
	if (nraw > 1)   /* qsort(NULL, 0, ...) is undefined */
		qsort(raws, nraw, sizeof(*raws), cmp_raw_depth);
	for (size_t i = 0; i < nraw; i++) {
		struct policy *p = xcalloc(1, sizeof(*p));

		resolve_raw(ps, raws[i], p);
		insert_sorted(ps, p);
		free_policy(&raws[i]->p);
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
	for (size_t i = 0; i < ps->n; i++) {
		free_policy(ps->v[i]);
		free(ps->v[i]);
	}
	free(ps->v);
	free_policy(&ps->def);
	free(ps);
}

const struct policy *
policy_lookup(const struct policy_set *ps, const char *domain)
{
	char buf[256];
	size_t len;

	if (domain == NULL || *domain == '\0')
		return &ps->def;
	len = strlen(domain);
	while (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(buf))
		return &ps->def;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)domain[i]);
	buf[len] = '\0';
	for (const char *d = buf; d != NULL; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL) {
		const struct policy *p = find_exact(ps, d);
		if (p != NULL)
			return p;
	}
	return &ps->def;
}

const struct policy *
policy_default(const struct policy_set *ps)
{
	return &ps->def;
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
	sb_printf(out, "# policy %s (from %s)\n", p->domain[0] ? p->domain : "default", p->file);
	ct_print(policy_keys, policy_nkeys, p, out);
}
