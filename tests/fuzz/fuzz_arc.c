/*
 * fuzz_arc.c - libFuzzer target for the ARC engine's parsers: the tag
 * list (every tag inside the input, names distinct and well formed,
 * values trimmed, the raw span around the value), the AAR instance
 * (0..50) and base64 (decoding then encoding gives the input back without
 * its white space); then the input as a message (header lines up to an
 * empty line, the body) through arc_msg_* without a resolver: the
 * structure checks and both body canonicalisations, no crash, a result.
 */
#include "config.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postern/arc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
tags(const char *b, size_t n)
{
	struct arc_tags t;

	if (arc_tags_parse(b, n, &t) != ARC_TAGS_OK)
		return;
	for (size_t i = 0; i < t.n; i++) {
		const struct arc_tag *g = &t.t[i];
		size_t vo = (size_t)(g->value - b);

		if (g->name < b || g->name + g->nlen > b + n || g->nlen == 0 || vo + g->vlen > n ||
		    g->raw_off > vo || vo + g->vlen > g->raw_end || g->raw_end > n ||
		    (g->vlen > 0 && (fws(g->value[0]) || fws(g->value[g->vlen - 1]))) ||
		    memchr(g->value, ';', g->vlen) != NULL)
			__builtin_trap();
		for (size_t k = 0; k < i; k++)
			if (t.t[k].nlen == g->nlen && memcmp(t.t[k].name, g->name, g->nlen) == 0)
				__builtin_trap();
	}
}

static void
base64(const char *b, size_t n)
{
	unsigned char out[4096];
	size_t len;
	char *enc, *plain;
	size_t np = 0;

	if (n > 5000 || !arc_base64(b, n, out, sizeof(out), &len))
		return;
	enc = malloc(4 * ((len + 2) / 3) + 1);
	plain = malloc(n + 1);
	EVP_EncodeBlock((unsigned char *)enc, out, (int)len);
	for (size_t i = 0; i < n; i++)
		if (!fws(b[i]))
			plain[np++] = b[i];
	plain[np] = '\0';
	if (strcmp(enc, plain) != 0)
		__builtin_trap();
	free(enc);
	free(plain);
}

static void
message(const char *b, size_t n)
{
	struct arc_msg *a = arc_msg_new();
	struct arc_result r;
	size_t i = 0;

	while (i < n && b[i] != '\n') {
		size_t e = i, c;
		char *name, *value;
		while (e < n && b[e] != '\n')
			e++;
		for (c = i; c < e && b[c] != ':'; c++)
			;
		if (c < e) {
			name = strndup(b + i, c - i);
			value = strndup(b + c + 1, e - c - 1);
			if (name != NULL && value != NULL && strlen(name) > 0)
				arc_msg_header(a, name, value);
			free(name);
			free(value);
		}
		i = e < n ? e + 1 : e;
	}
	arc_msg_eoh(a);
	if (i < n)
		arc_msg_body(a, (const unsigned char *)b + i, n - i);
	arc_msg_eom(a, &r);
	if (r.cv > ARC_CV_FAIL || r.instances > ARC_MAX_INSTANCE ||
	    (r.cv == ARC_CV_NONE) != !arc_msg_present(a) || memchr(r.reason, '\0', sizeof(r.reason)) == NULL)
		__builtin_trap();
	arc_msg_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data;

	tags(b, size);
	if (arc_aar_instance(b, size) > ARC_MAX_INSTANCE)
		__builtin_trap();
	base64(b, size);
	message(b, size);
	return 0;
}
