/* fuzz_dmarc.c - libFuzzer target for the DMARC record parser. */
#include "config.h"

#include <stdint.h>

#include "postern/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r;

	if (dmarc_record_parse((const char *)data, size, &r) == DMARC_REC_OK) {
		if (r.pct > 100 || r.p > DMARC_P_REJECT || r.sp > DMARC_P_REJECT || r.np > DMARC_P_REJECT)
			__builtin_trap();
	}
	return 0;
}
