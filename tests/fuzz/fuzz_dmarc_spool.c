/* fuzz_dmarc_spool.c - libFuzzer target for the DMARC report spool line
 * parser (dmarc_spool.c).  Invariant: a line that parses formats back to a
 * line that parses to the same record. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postern/dmarc_spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_spool_rec *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	strbuf line;

	sb_init(&line);
	if (dmarc_spool_parse((const char *)data, size, a) == DMARC_SPOOL_OK) {
		if (!dmarc_spool_format(a, &line) ||
		    dmarc_spool_parse(line.s, line.len, b) != DMARC_SPOOL_OK ||
		    strcmp(a->header_from, b->header_from) != 0 || a->ts != b->ts ||
		    strcmp(a->rec.rua, b->rec.rua) != 0 || a->ndkim != b->ndkim ||
		    a->disp != b->disp || a->rec.p != b->rec.p || strcmp(a->ip, b->ip) != 0 ||
		    memchr(line.s, '\n', line.len) != NULL)
			__builtin_trap();
	}
	sb_free(&line);
	free(a);
	free(b);
	return 0;
}
