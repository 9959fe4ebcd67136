/* fuzz_dmarc.c - libFuzzer target for the DMARC record parser. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r;

	if (dmarc_record_parse((const char *)data, size, &r) == DMARC_REC_OK) {
		if (r.p > DMARC_P_REJECT || r.sp > DMARC_P_REJECT || r.np > DMARC_P_REJECT ||
		    r.psd > DMARC_PSD_N || memchr(r.rua, '\0', sizeof(r.rua)) == NULL ||
		    (r.p_implied && r.p != DMARC_P_NONE))
			__builtin_trap();
	}
	return 0;
}
