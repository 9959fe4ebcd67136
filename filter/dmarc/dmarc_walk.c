/*
 * dmarc_walk.c - the DNS tree walk of RFC 9989 section 4.10, which
 * replaces the public suffix list: the names a walk asks for (at most 8:
 * the domain, then at most 7 labels, then one label less each time down to
 * the top-level domain), the walk itself over a look-up callback (it stops
 * at a record carrying psd=y or psd=n), and the choice of the
 * organisational domain from the records found (4.10.2).  Pure: the
 * callback does the DNS (dmarc.c over dns.c; a table in the unit tests).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "postern/dmarc.h"
#include "postern/util.h"

bool
dmarc_domain_norm(const char *in, char *out, size_t size)
{
	size_t n = strlen(in);

	while (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return true;
}

bool
dmarc_domain_under(const char *d, const char *suffix)
{
	size_t dn = strlen(d), sn = strlen(suffix);

	if (sn == 0 || dn < sn)
		return false;
	if (dn == sn)
		return strcmp(d, suffix) == 0;
	return d[dn - sn - 1] == '.' && strcmp(d + dn - sn, suffix) == 0;
}

/* The label starts of domain, left to right; count or 0 if a label is empty. */
static size_t
label_starts(const char *d, size_t *start, size_t max)
{
	size_t n = 0, len = strlen(d);

	if (len == 0)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == 0 || d[i - 1] == '.') {
			if (d[i] == '.' || d[i] == '\0' || n == max)
				return 0;
			start[n++] = i;
		}
	}
	return n;
}

#define LABELS_MAX 128

size_t
dmarc_walk_targets(const char *domain, char out[DMARC_WALK_MAX][DMARC_NAME_MAX])
{
	size_t start[LABELS_MAX], x, n = 0, keep;

	x = label_starts(domain, start, LABELS_MAX);
	if (x == 0 || strlen(domain) >= DMARC_NAME_MAX)
		return 0;
	strlcpy_ok(out[n++], domain, DMARC_NAME_MAX);
	keep = x - 1 < DMARC_WALK_MAX - 1 ? x - 1 : DMARC_WALK_MAX - 1;
	for (; keep > 0; keep--)
		strlcpy_ok(out[n++], domain + start[x - keep], DMARC_NAME_MAX);
	return n;
}

void
dmarc_tree_walk(const char *domain, bool skip_first, dmarc_fetch_fn f, void *ctx,
    struct dmarc_walk *w)
{
	char names[DMARC_WALK_MAX][DMARC_NAME_MAX];
	size_t n = dmarc_walk_targets(domain, names);

	memset(w, 0, sizeof(*w));
	for (size_t i = skip_first ? 1 : 0; i < n; i++) {
		struct dmarc_walk_hit *h = &w->hit[w->nhit];
		enum dmarc_fetch r;

		w->queries++;
		r = f(ctx, names[i], &h->rec);
		if (r == DMARC_FETCH_TEMP) {
			w->temperror = true;
			return;
		}
		if (r != DMARC_FETCH_FOUND)
			continue;
		strlcpy_ok(h->domain, names[i], sizeof(h->domain));
		w->nhit++;
		if (h->rec.psd != DMARC_PSD_U)
			return;
	}
}

void
dmarc_walk_org(const char *start, const struct dmarc_walk *w, char *out, size_t size)
{
	const struct dmarc_walk_hit *last;
	size_t ls[LABELS_MAX], lp[LABELS_MAX], x, y;

	if (w->nhit == 0) {
		strlcpy_ok(out, start, size);
		return;
	}
	last = &w->hit[w->nhit - 1];
	if (last->rec.psd == DMARC_PSD_Y && strcmp(last->domain, start) != 0 &&
	    dmarc_domain_under(start, last->domain)) {
		/* the domain one label below the PSD, on the way to start */
		x = label_starts(start, ls, LABELS_MAX);
		y = label_starts(last->domain, lp, LABELS_MAX);
		if (x > y) {
			strlcpy_ok(out, start + ls[x - y - 1], size);
			return;
		}
	}
	/* psd=n: this one; otherwise the record with the fewest labels */
	strlcpy_ok(out, last->domain, size);
}
