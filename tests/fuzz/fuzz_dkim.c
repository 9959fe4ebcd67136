/* fuzz_dkim.c - libFuzzer target for the DKIM parsers postern writes
 * itself: key table rows, key-record tag lists, the key-record rewrite.  (From-field domains are
 * addr.c's, fuzzed by fuzz_addr.c.)
 * (libopendkim parses signatures; it has its own fuzzing upstream.) */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct dkim_row r;
	const char *v;
	size_t vl;

	if (dkim_row_parse(buf, size, &r) == DKROW_OK) {
		if (r.domain < buf || r.path + r.path_len > buf + size ||
		    r.domain_len == 0 || r.selector_len == 0 || r.path[0] != '/')
			__builtin_trap();
	}
	static const char *const tags[] = { "v", "p", "k", "h", "t" };
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		if (dkim_tag_find(buf, size, tags[i], &v, &vl) == DKTAG_OK) {
			if (v < buf || v + vl > buf + size)
				__builtin_trap();
			strbuf sb;
			sb_init(&sb);
			dkim_b64_compact(v, vl, &sb);
			if (sb.len > vl)
				__builtin_trap();
			sb_free(&sb);
		}
	}
	/* the key-record rewrite (dkim_keyrec.c) is idempotent */
	strbuf once, twice;
	sb_init(&once);
	sb_init(&twice);
	if (dkim_keyrec_fix(buf, size, &once) && dkim_keyrec_fix(once.s, once.len, &twice))
		__builtin_trap();
	sb_free(&once);
	sb_free(&twice);
	return 0;
}
