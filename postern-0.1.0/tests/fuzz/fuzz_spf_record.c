/* fuzz_spf_record.c - libFuzzer target for the SPF record check and the
 * rewrite that follows it: whatever passes the check is rewritten for both
 * address families, and the rewrite must pass the check again. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *why = NULL;
	strbuf sb;

	(void)spf_domain_ok(buf, size, true);
	if (spf_record_check(buf, size, &why) != SPF_REC_OK)
		return 0;
	sb_init(&sb);
	for (int v6 = 0; v6 <= 1; v6++) {
		spf_record_rewrite(buf, size, v6 != 0, &sb);
		if (spf_record_check(sb.s, sb.len, &why) != SPF_REC_OK &&
		    sb.len <= SPF_RECORD_MAX)
			__builtin_trap();
	}
	sb_free(&sb);
	return 0;
}
