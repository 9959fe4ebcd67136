/* fuzz_cidr.c - libFuzzer target for the CIDR parser and matcher. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr c;
	struct cidr_list l = { 0 };

	if (cidr_parse((const char *)data, size, &c) == CIDR_OK) {
		if (c.prefix > (c.family == 2 ? 32u : 128u))
			__builtin_trap();
		cidr_list_add(&l, &c);
		(void)cidr_list_match(&l, c.family, c.addr);
		if (!cidr_list_match(&l, c.family, c.addr))
			__builtin_trap();   /* a network contains its own address */
		cidr_list_free(&l);
	}
	return 0;
}
