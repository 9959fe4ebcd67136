/*
 * replay.c - runs a libFuzzer target over files without libFuzzer: each
 * argument is a file or a directory of files.  Built into every fuzz
 * target for `make check`; the libFuzzer build (make fuzz) leaves it out.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "postern/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	strbuf sb;
	char buf[4096];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	/* a private copy of exactly size bytes, so ASan sees over-reads */
	uint8_t *copy = xmalloc(sb.len ? sb.len : 1);
	if (sb.len)
		memcpy(copy, sb.s, sb.len);
	LLVMFuzzerTestOneInput(copy, sb.len);
	free(copy);
	sb_free(&sb);
	return 0;
}

int
main(int argc, char **argv)
{
	int failures = 0, count = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "cannot stat %s\n", argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			while (d != NULL && (de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				strbuf p;
				sb_init(&p);
				sb_printf(&p, "%s/%s", argv[i], de->d_name);
				failures += run_file(p.s);
				count++;
				sb_free(&p);
			}
			if (d != NULL)
				closedir(d);
		} else {
			failures += run_file(argv[i]);
			count++;
		}
	}
	printf("replayed %d inputs\n", count);
	return failures ? 1 : 0;
}
