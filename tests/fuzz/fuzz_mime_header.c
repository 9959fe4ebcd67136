/* fuzz_mime_header.c - libFuzzer target for the Content-Type /
 * Content-Disposition parameter parser (quoted strings, comments, RFC 2231,
 * RFC 2047), every form of a file name a reader may take
 * (mime_param_variants) and the encoded-word decoder: outputs stay inside
 * their buffers and NUL-terminated. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_variant(void *ctx, const char *v, size_t n, bool toolong)
{
	if (v != ctx || (!toolong && (n >= 33 || v[n] != '\0' || strlen(v) > n)))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char tok[MIME_TYPE_MAX], b1[72], b2[33], out[128];
	struct mime_pval v[2] = {
		{ .name = "boundary", .buf = b1, .cap = sizeof(b1) },
		{ .name = "name", .buf = b2, .cap = sizeof(b2) },
	};

	mime_parse_field(in, size, tok, sizeof(tok), v, 2);
	if (strlen(tok) >= sizeof(tok))
		__builtin_trap();
	for (int i = 0; i < 2; i++)
		if (v[i].found && !v[i].toolong && (v[i].len >= v[i].cap || strlen(v[i].buf) > v[i].len))
			__builtin_trap();
	size_t n = mime_decode_words(in, size, out, sizeof(out));
	if (n != (size_t)-1 && (n >= sizeof(out) || out[n] != '\0'))
		__builtin_trap();
	(void)mime_parse_enc(in, size);
	/* every form of a file name: inside the buffer, NUL-terminated */
	mime_param_variants(in, size, "filename", b2, sizeof(b2), check_variant, b2);
	return 0;
}
