/* fuzz_import.c - libFuzzer target for import_opendkim: the input is the
 * opendkim.conf and also every data set file it names (KeyTable,
 * SigningTable, InternalHosts ...).  Invariant: whatever the bytes, the
 * postern.conf written is valid libconfig syntax (config_read_string). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "postern/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *data;
	size_t size;
};

static bool
same_input(const char *path, strbuf *out, void *arg)
{
	const struct input *in = arg;

	(void)path;
	sb_append(out, (const char *)in->data, in->size);
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	config_t cfg;
	strbuf out;

	sb_init(&out);
	import_opendkim((const char *)data, size, same_input, &in, &out);
	config_init(&cfg);
	if (config_read_string(&cfg, out.s != NULL ? out.s : "") != CONFIG_TRUE)
		__builtin_trap();
	config_destroy(&cfg);
	sb_free(&out);
	return 0;
}
