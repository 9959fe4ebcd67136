/* fuzz_bodycanon.c - libFuzzer target for the DKIM body canonicaliser
 * (filter/lib/bodycanon.c).  Byte 0 picks relaxed/simple and the hash,
 * bytes 1-2 an l= (0xffff: none), byte 3 a chunk size; the rest is the body.
 * Invariants: the digest and length do not depend on how the body is cut,
 * the length never passes l=, and "done" means l= was reached. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/bodycanon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
run(const uint8_t *p, size_t n, bool relaxed, enum bodycanon_hash h, long long limit, size_t chunk,
    unsigned char *d, unsigned long long *len, bool *done)
{
	struct bodycanon b;

	bodycanon_init(&b, relaxed, h, limit);
	for (size_t i = 0; i < n; i += chunk)
		bodycanon_feed(&b, p + i, n - i < chunk ? n - i : chunk);
	*done = bodycanon_done(&b);
	return bodycanon_final(&b, d, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char d1[BODYCANON_MAX_DIGEST], d2[BODYCANON_MAX_DIGEST];
	unsigned long long l1, l2;
	bool relaxed, done1, done2;
	enum bodycanon_hash h;
	long long limit;
	size_t chunk, n1, n2;

	if (size < 4)
		return 0;
	relaxed = data[0] & 1;
	h = data[0] & 2 ? BODYCANON_SHA1 : BODYCANON_SHA256;
	limit = (long long)data[1] << 8 | data[2];
	if (limit == 0xffff)
		limit = BODYCANON_NOLIMIT;
	chunk = data[3] % 17 + 1;
	data += 4;
	size -= 4;
	n1 = run(data, size, relaxed, h, limit, size > 0 ? size : 1, d1, &l1, &done1);
	n2 = run(data, size, relaxed, h, limit, chunk, d2, &l2, &done2);
	if (n1 != n2 || memcmp(d1, d2, n1) != 0 || l1 != l2)
		__builtin_trap();            /* the cut changed the result */
	if (limit >= 0 && l1 > (unsigned long long)limit)
		__builtin_trap();            /* hashed past l= */
	if ((done1 && limit >= 0 && l1 != (unsigned long long)limit) || (done1 && limit < 0))
		__builtin_trap();            /* done without reaching l= */
	return 0;
}
