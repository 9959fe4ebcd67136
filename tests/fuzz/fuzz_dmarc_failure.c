/* fuzz_dmarc_failure.c - libFuzzer target for the DMARC failure-spool line
 * parser and the address redaction (dmarc_failure.c).  Invariants: a line
 * that parses formats back to a line that parses to the same record; the
 * redaction of any input terminates and leaves no '@' it did not have
 * (fewer is right: a quoted local part may hold one, "a@b"@x.example, and
 * is hashed whole; regress-quoted-at). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postern/dmarc_failure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[DMARC_FAIL_KEY_LEN] = "fuzzfuzzfuzzfuzz";
	struct dmarc_failure_rec *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	strbuf line;
	size_t at_in = 0, at_out = 0;

	sb_init(&line);
	if (dmarc_failure_parse((const char *)data, size, a)) {
		if (!dmarc_failure_format(a, &line) || !dmarc_failure_parse(line.s, line.len, b) ||
		    a->ts != b->ts || strcmp(a->hdrs, b->hdrs) != 0 || strcmp(a->ruf, b->ruf) != 0 ||
		    strcmp(a->ip, b->ip) != 0 || memchr(line.s, '\n', line.len) != NULL)
			__builtin_trap();
	}
	sb_reset(&line);
	dmarc_redact_addrs((const char *)data, size, key, &line);
	for (size_t i = 0; i < size; i++)
		at_in += data[i] == '@';
	for (size_t i = 0; i < line.len; i++)
		at_out += line.s[i] == '@';
	if (at_out > at_in)
		__builtin_trap();
	sb_free(&line);
	free(a);
	free(b);
	return 0;
}
