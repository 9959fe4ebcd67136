/* fuzz_addr.c - libFuzzer target for the From-header domain and address
 * extractor (from_header_domain, from_header_author must agree). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char d[256], d2[256], a[322];
	enum from_status st = from_header_domain((const char *)data, size, d, sizeof(d));

	if (st == FROM_OK) {
		size_t n = strlen(d);
		if (n == 0 || n > 253 || strchr(d, '@') != NULL || strchr(d, ' ') != NULL)
			__builtin_trap();
	}
	/* the address parse agrees with the domain parse: same status, same
	 * domain, and an address (when there is one) that ends in "@domain" */
	if (from_header_author((const char *)data, size, d2, sizeof(d2), a, sizeof(a)) != st)
		__builtin_trap();
	if (st == FROM_OK) {
		const char *at = strrchr(a, '@');
		if (strcmp(d, d2) != 0 || (a[0] != '\0' && (at == NULL || at == a ||
		    strcmp(at + 1, d) != 0 || strchr(a, ' ') != NULL)))
			__builtin_trap();
	}
	return 0;
}
