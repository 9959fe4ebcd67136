/* fuzz_classify.c - libFuzzer target for the classifier's tokenizer (and
 * the store URL parser).  The input's first byte picks a charset and
 * plain text or HTML; the rest is fed to the tokenizer whole and in
 * 1- and 7-byte chunks, and as a whole message through classify.c (MIME
 * scanner, decoders, header fields).  Invariants: at most
 * SPAM_TOK_MAX_TOKENS distinct, non-zero hashes, and the same token set
 * whatever the chunking. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postern/classify.h"
#include "postern/spam.h"
#include "postern/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const charsets[] = {
	"", "utf-8", "iso-8859-1", "koi8-r", "shift_jis", "utf-16le", "gb2312", "x-unknown",
};

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t
tokens(const uint8_t *p, size_t n, size_t chunk, unsigned sel, uint64_t *out)
{
	struct spam_tok *t = spam_tok_new();
	size_t k;

	spam_tok_part_begin(t, (sel & 8) ? "text/html" : "text/plain", charsets[sel & 7]);
	for (size_t i = 0; i < n; i += chunk)
		spam_tok_text(t, p + i, n - i < chunk ? n - i : chunk);
	spam_tok_part_end(t);
	k = spam_tok_hashes(t, out, SPAM_TOK_MAX_TOKENS + 1);
	if (k != spam_tok_count(t) || k > SPAM_TOK_MAX_TOKENS)
		__builtin_trap();
	spam_tok_free(t);
	qsort(out, k, sizeof(*out), cmp64);
	for (size_t i = 0; i < k; i++)
		if (out[i] == 0 || (i > 0 && out[i] == out[i - 1]))
			__builtin_trap();
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t a[SPAM_TOK_MAX_TOKENS + 1], b[SPAM_TOK_MAX_TOKENS + 1];
	const char *why;
	char url[256];

	if (size > 0 && size < sizeof(url)) {
		memcpy(url, data, size);
		url[size] = '\0';
		if (strlen(url) == size && store_url_check(url, &why) != store_url_check(url, &why))
			__builtin_trap();
	}
	if (size == 0 || size > 65536)
		return 0;
	unsigned sel = data[0];
	size_t na = tokens(data + 1, size - 1, size, sel, a);
	/* chunking may only differ once the token bound cut the set */
	static const size_t chunks[] = { 1, 7 };
	for (size_t c = 0; c < 2; c++) {
		size_t nb = tokens(data + 1, size - 1, chunks[c], sel, b);
		if (na < SPAM_TOK_MAX_TOKENS && (nb != na || memcmp(a, b, na * sizeof(*a)) != 0))
			__builtin_trap();
	}
	struct classify *cl = classify_new(false);
	classify_message(cl, (const char *)data, size);
	if (classify_ntokens(cl) > SPAM_TOK_MAX_TOKENS)
		__builtin_trap();
	classify_free(cl);
	return 0;
}
