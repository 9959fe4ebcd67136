/* fuzz_authres.c - libFuzzer target for the Authentication-Results id parser. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *id;
	size_t idlen;

	if (authres_parse_id((const char *)data, size, &id, &idlen) == AR_OK) {
		/* the id must lie inside the input */
		if (id < (const char *)data || id + idlen > (const char *)data + size)
			__builtin_trap();
	}
	(void)authres_claims((const char *)data, size, "mx.test.example");
	return 0;
}
