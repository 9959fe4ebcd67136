/* fuzz_eml.c - libFuzzer target for the stored-message header splitter. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/eml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct eml_field f;
	size_t off = 0, prev;
	enum eml_status st;

	do {
		prev = off;
		st = eml_next_field(buf, size, &off, &f);
		if (off <= prev && st != EML_END)
			__builtin_trap();            /* must always make progress */
		if (off > size)
			__builtin_trap();
		if (st == EML_FIELD && (f.name < buf || f.value + f.valuelen > buf + size ||
		    f.namelen == 0 || memchr(f.name, ':', f.namelen) != NULL))
			__builtin_trap();
	} while (st != EML_END);
	return 0;
}
