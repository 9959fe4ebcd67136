/*
 * mimescan.c - runs the streaming MIME scanner offline over message files,
 * feeding each in random-sized chunks (the milter sees 64 KB chunks; this
 * tries every cut).  Prints one line per part:
 *   depth<TAB>type<TAB>filename<TAB>encoding<TAB>encoded<TAB>decoded
 * then "parts=N decoded=N status=... limit=...".  Zip entries print as
 *   "  zip<TAB>name<TAB>csize<TAB>usize<TAB>encrypted".
 * Usage: mimescan [-s seed] [-c maxchunk] [-m] [-q] [-t] [-a] FILE...
 *   -m  the file is an mbox: each "From " line starts a message
 *   -q  print only the summary line
 *   -t  print the time the scanner took and its throughput (stderr)
 *   -a  print each part's other names ("  name<TAB>NAME": name= beside
 *       filename=, duplicates, filename*= beside filename=) and for a zip
 *       part "  zipstatus<TAB>listed|broken<TAB>entries", central directory
 *       entries as "  zipc<TAB>name", and "== FILE" before each file
 *       (tests/mime/differential.py reads this)
 * Used by tests/mime/corpus.sh; links libpostern.a like postern does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "postern/mime.h"

static bool quiet, timing, allnames;

static void
print_name(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\t' || c == '\n' || c == '\r' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static bool
on_event(void *ctx, enum mime_event ev, const struct mime_part *p, const struct zip_entry *z)
{
	(void)ctx;
	(void)p;
	if (ev == MIME_EV_ZIP_ENTRY && !quiet && z->central && allnames) {
		printf("  zipc\t");
		print_name(z->name, z->namelen);
		putchar('\n');
	} else if (ev == MIME_EV_ZIP_ENTRY && !quiet && !z->central) {
		printf("  zip\t");
		print_name(z->name, z->namelen);
		printf("\t%llu\t%llu\t%d\n", (unsigned long long)z->csize,
		    (unsigned long long)z->usize, z->encrypted);
	}
	return false;
}

static void
scan_one(const unsigned char *buf, size_t len, size_t maxchunk)
{
	struct mime_limits l;
	struct mime_scan *s;
	enum mime_status st = MIME_OK;
	size_t i = 0;

	mime_limits_default(&l);
	s = mime_scan_new(&l, false, on_event, NULL);
	while (i < len && st == MIME_OK) {
		size_t k = 1 + (size_t)rand() % maxchunk;
		if (k > len - i)
			k = len - i;
		st = mime_feed(s, buf + i, k);
		i += k;
	}
	if (st == MIME_OK)
		st = mime_finish(s);
	const struct mime_facts *f = mime_facts(s);
	for (size_t j = 0; j < f->nparts && !quiet; j++) {
		const struct mime_part *p = &f->parts[j];
		printf("%u\t%s\t", p->depth, p->type);
		if (p->filename)
			print_name(p->filename, strlen(p->filename));
		printf("\t%s\t%llu\t%llu\n", mime_enc_name(p->enc), p->enc_size, p->dec_size);
		if (allnames && p->is_zip)
			printf("  zipstatus\t%s\t%u\n", p->zip_broken ? "broken" : "listed", p->zip_entries);
		for (unsigned k = 0; allnames && k < p->nnames; k++) {
			printf("  name\t");
			print_name(p->names[k], strlen(p->names[k]));
			putchar('\n');
		}
	}
	printf("parts=%zu decoded=%llu depth=%u status=%s limit=%s%s%s\n", f->nparts,
	    f->total_decoded, f->max_depth,
	    st == MIME_OK ? "ok" : st == MIME_LIMIT ? "limit" : "stopped",
	    mime_limit_name(f->limit), f->unterminated ? " unterminated" : "",
	    f->reason[0] ? " reason=" : "");
	if (f->reason[0])
		printf("%s\n", f->reason);
	mime_scan_free(s);
}

int
main(int argc, char **argv)
{
	unsigned seed = 1;
	size_t maxchunk = 4096;
	bool mbox = false;
	int opt;

	while ((opt = getopt(argc, argv, "s:c:mqta")) != -1) {
		switch (opt) {
		case 's': seed = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': maxchunk = strtoul(optarg, NULL, 10); break;
		case 'm': mbox = true; break;
		case 'q': quiet = true; break;
		case 't': timing = true; break;
		case 'a': allnames = true; break;
		default:
			fprintf(stderr, "usage: mimescan [-s seed] [-c maxchunk] [-m] [-q] [-t] [-a] FILE...\n");
			return 2;
		}
	}
	if (maxchunk == 0)
		maxchunk = 1;
	srand(seed);
	for (int a = optind; a < argc; a++) {
		FILE *fp = fopen(argv[a], "rb");
		strbuf sb;
		char tmp[65536];
		size_t n;

		if (fp == NULL) {
			fprintf(stderr, "mimescan: cannot open %s\n", argv[a]);
			return 1;
		}
		sb_init(&sb);
		while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
			sb_append(&sb, tmp, n);
		fclose(fp);
		/* an exact-size copy so that ASan sees any over-read */
		unsigned char *copy = xmalloc(sb.len ? sb.len : 1);
		memcpy(copy, sb.s, sb.len);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (allnames)
			printf("== %s\n", argv[a]);
		if (!mbox) {
			scan_one(copy, sb.len, maxchunk);
		} else {
			size_t start = 0;
			for (size_t i = 0; i <= sb.len; i++) {
				bool cut = i == sb.len ||
				    (i > start && sb.s[i - 1] == '\n' && i + 5 <= sb.len &&
				    memcmp(sb.s + i, "From ", 5) == 0);
				if (!cut)
					continue;
				if (i > start)
					scan_one(copy + start, i - start, maxchunk);
				start = i;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (timing) {
			double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			fprintf(stderr, "%s: %zu bytes in %.3f ms, %.0f MB/s\n", argv[a], sb.len,
			    sec * 1e3, sec > 0 ? (double)sb.len / sec / 1e6 : 0.0);
		}
		free(copy);
		sb_free(&sb);
	}
	return 0;
}
