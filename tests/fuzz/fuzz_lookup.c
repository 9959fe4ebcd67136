/* fuzz_lookup.c - libFuzzer target for lookup tables: the first byte picks
 * the kind, the rest is entries, one a line.  Invariants: the table never
 * holds more rows than entries were accepted, and every accepted address,
 * domain or network entry matches itself after lookup_finish(). */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postern/cidr.h"
#include "postern/lookup.h"
#include "postern/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The entry without surrounding blanks and a leading '@'. */
static char *
trimmed(const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (n > 0 && *p == '@')
		p++, n--;
	return xstrndup(p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum lookup_kind kind;
	struct lookup *lk;
	const char *p, *end;
	struct strlist ok = { 0 };

	if (size == 0)
		return 0;
	kind = (enum lookup_kind)(data[0] % 4);
	lk = lookup_new(kind);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (lookup_add(lk, p, n) == LOOKUP_OK && memchr(p, '\0', n) == NULL) {
			char *t = trimmed(p, n);
			strlist_add(&ok, t);
			free(t);
		}
		p += n + 1;
	}
	lookup_finish(lk);
	if (lookup_count(lk) > ok.n)
		__builtin_trap();
	for (size_t i = 0; i < ok.n; i++) {
		const char *e = ok.v[i];
		bool hit = true;

		if (kind == LK_ADDRESS)
			hit = strchr(e, '@') != NULL ? lookup_address(lk, e) : lookup_domain(lk, e);
		else if (kind == LK_NAME)
			hit = lookup_domain(lk, e);
		else if (kind == LK_CIDR) {
			struct cidr c;
			hit = cidr_parse(e, strlen(e), &c) == CIDR_OK && lookup_ip(lk, c.family, c.addr);
		}
		if (!hit)
			__builtin_trap();
	}
	strlist_free(&ok);
	lookup_unref(lk);
	return 0;
}
