/* fuzz_addr.c - libFuzzer target for the From-header domain extractor. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char d[256];

	if (from_header_domain((const char *)data, size, d, sizeof(d)) == FROM_OK) {
		size_t n = strlen(d);
		if (n == 0 || n > 253 || strchr(d, '@') != NULL || strchr(d, ' ') != NULL)
			__builtin_trap();
	}
	return 0;
}
