/* fuzz_config.c - libFuzzer target for the config loader (libconfig syntax
 * plus postern's key table and value parsers). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postern/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/postern-fuzz-conf-XXXXXX";
	struct ct_errors e;
	struct config cfg;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	ct_errors_init(&e);
	if (config_load(&cfg, path, &e)) {
		strbuf out;
		sb_init(&out);
		config_print(&cfg, &out);
		sb_free(&out);
	}
	config_free(&cfg);
	ct_errors_free(&e);
	unlink(path);
	return 0;
}
