/*
 * arcrun - run stored messages through the ARC engine (filter/arc/) with
 * the real resolver, one line a message: "FILE cv oldest-pass sealer (reason)".
 *
 *   arcrun -s ADDR@PORT [-s ...] [-k CHUNK] FILE...
 *
 * Each message goes in the MTA's form (replay.h, SMFIP_HDR_LEADSPC): the
 * value exactly as written after the colon, folds kept, the body with CRLF line ends in 64 KiB
 * chunks (-k: CHUNK bytes, to show the streaming hash splits anywhere).  Used by tests/arc/suite.sh (the Valimail ARC suite).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postern/arc.h"
#include "postern/dns.h"
#include "postern/eml.h"
#include "postern/util.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	strbuf sb;
	char buf[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return sb.s != NULL ? sb.s : xstrdup("");
}

static size_t chunk = 65536;

static void
run(const char *path)
{
	size_t len, off = 0;
	char *msg = slurp(path, &len);
	struct arc_msg *a;
	struct arc_result r;
	struct eml_field f;
	enum eml_status st;
	strbuf body;

	if (msg == NULL) {
		printf("%s error cannot-read\n", path);
		return;
	}
	a = arc_msg_new();
	while ((st = eml_next_field(msg, len, &off, &f)) == EML_FIELD) {
		char *name = xmalloc(f.namelen + 1), *value;

		memcpy(name, f.name, f.namelen);
		name[f.namelen] = '\0';
		value = xmalloc(f.valuelen + 1);     /* as written: leading space kept */
		memcpy(value, f.value, f.valuelen);
		value[f.valuelen] = '\0';
		arc_msg_header(a, name, value);
		free(name);
		free(value);
	}
	arc_msg_eoh(a);
	sb_init(&body);
	if (st == EML_END)
		for (size_t i = off; i < len; i++) {
			if (msg[i] == '\n' && (i == off || msg[i - 1] != '\r'))
				sb_putc(&body, '\r');
			sb_putc(&body, msg[i]);
		}
	for (size_t i = 0; i < body.len; i += chunk)
		arc_msg_body(a, (const unsigned char *)body.s + i,
		    body.len - i < chunk ? body.len - i : chunk);
	arc_msg_eom(a, &r);
	printf("%s %s %u %s (%s)\n", path, arc_cv_name(r.cv), r.oldest_pass,
	    r.sealer[0] ? r.sealer : "-", r.reason);
	sb_free(&body);
	arc_msg_free(a);
	free(msg);
}

int
main(int argc, char **argv)
{
	struct strlist ns = { 0 };
	struct dns_options opt = { .nameservers = &ns, .timeout_ms = 2000, .cache_size = 1 << 20 };
	char err[256];
	int ch;

	while ((ch = getopt(argc, argv, "s:k:")) != -1) {
		switch (ch) {
		case 's': strlist_add(&ns, optarg); break;
		case 'k': chunk = strtoul(optarg, NULL, 10); chunk = chunk ? chunk : 1; break;
		default:
			fprintf(stderr, "usage: arcrun -s ADDR@PORT FILE...\n");
			return 2;
		}
	}
	if (!dns_init(&opt, err, sizeof(err))) {
		fprintf(stderr, "arcrun: %s\n", err);
		strlist_free(&ns);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		run(argv[i]);
	dns_shutdown();
	strlist_free(&ns);
	return 0;
}
