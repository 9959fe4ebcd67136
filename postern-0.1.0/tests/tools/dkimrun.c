/*
 * dkimrun - replay .eml files through the pipeline (pl_* functions) the
 * way the milter would, with the real resolver; prints the header edits
 * and the verdict of each message.  Used by the DKIM vector and interop
 * tests for messages miltertest cannot carry (commands over ~1 KB).
 *
 *   dkimrun -c CONF [-C CLIENT_IP] [-a AUTH_USER] [-o OUTDIR] FILE...
 *
 * Headers are handed over as an MTA does without SMFIP_HDR_LEADSPC (one
 * space after the colon dropped, folded lines joined with LF); the body
 * goes in 64 KiB chunks with CRLF line ends.  With -o, each message is
 * written to OUTDIR/<basename> with the inserted headers on top (CRLF).
 */
#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postern/config.h"
#include "postern/dns.h"
#include "postern/log.h"
#include "postern/pipeline.h"

#define CHUNK 65536
#define FILE_MAX (64 << 20)

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = xmalloc(FILE_MAX + 1);
	n = fread(buf, 1, FILE_MAX, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Line end at p: length of "\r\n" or "\n", 0 if none. */
static size_t
eol(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

static void
run_one(const char *path, const char *client, const char *auth, const char *outdir)
{
	size_t len;
	char *buf = slurp(path, &len);
	const char *p, *end;
	struct conn *c;
	struct verdict v;
	struct edits e;
	strbuf body, head;

	if (buf == NULL) {
		printf("== %s\nerror: cannot read\n", path);
		return;
	}
	p = buf;
	end = buf + len;
	c = conn_new();
	pl_connect(c, "client.example", client, NULL);
	pl_helo(c, "client.example");
	pl_envfrom(c, "<sender@example.org>", (const char *const[]){ NULL }, "RUN1", auth, &v);
	pl_envrcpt(c, "<rcpt@example.net>", &v);
	sb_init(&head);
	sb_init(&body);
	/* headers */
	while (p < end && eol(p, end) == 0) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *q = p;
		strbuf val;

		sb_init(&val);
		for (; q < end; q++) {          /* end of this field: EOL not followed by WSP */
			size_t l = eol(q, end);
			if (l && !(q + l < end && (q[l] == ' ' || q[l] == '\t')))
				break;
		}
		if (colon == NULL || colon > q) {
			p = q + eol(q, end);
			sb_free(&val);
			continue;
		}
		char *name = xstrndup(p, (size_t)(colon - p));
		const char *vs = colon + 1;
		if (vs < q && *vs == ' ')
			vs++;
		for (const char *r = vs; r < q; r++) {
			if (*r == '\r' && r + 1 < q && r[1] == '\n')
				continue;
			sb_putc(&val, *r);
		}
		pl_header(c, name, val.s != NULL ? val.s : "");
		sb_append(&head, p, (size_t)(q - p));
		sb_puts(&head, "\r\n");
		free(name);
		sb_free(&val);
		p = q + eol(q, end);
	}
	p += eol(p, end);
	pl_eoh(c, &v);
	/* body with CRLF line ends */
	for (; p < end; p++) {
		if (*p == '\n' && (p == buf || p[-1] != '\r'))
			sb_putc(&body, '\r');
		sb_putc(&body, *p);
	}
	for (size_t off = 0; off < body.len; off += CHUNK) {
		size_t n = body.len - off < CHUNK ? body.len - off : CHUNK;
		pl_body(c, (const unsigned char *)body.s + off, n, &v);
	}
	edits_init(&e);
	pl_eom(c, "RUN1", &e, &v);
	printf("== %s\n", path);
	for (size_t i = 0; i < e.n; i++)
		if (e.v[i].op == EDIT_INSERT)
			printf("insert %u %s: %s\n", e.v[i].index, e.v[i].name, e.v[i].value);
	printf("verdict: %s %u %s %s\n", action_name(v.action), v.code, v.xcode, v.text);
	if (outdir != NULL) {
		char *copy = xstrdup(path), out[4096];
		FILE *f;

		snprintf(out, sizeof(out), "%s/%s", outdir, basename(copy));
		if ((f = fopen(out, "wb")) != NULL) {
			for (size_t i = e.n; i > 0; i--) {
				if (e.v[i - 1].op != EDIT_INSERT)
					continue;
				fprintf(f, "%s: ", e.v[i - 1].name);
				for (const char *r = e.v[i - 1].value; *r; r++) {
					if (*r == '\n')
						fputc('\r', f);
					fputc(*r, f);
				}
				fputs("\r\n", f);
			}
			fwrite(head.s, 1, head.len, f);
			fputs("\r\n", f);
			if (body.len)
				fwrite(body.s, 1, body.len, f);
			fclose(f);
		}
		free(copy);
	}
	edits_free(&e);
	pl_close(c);
	conn_free(c);
	sb_free(&head);
	sb_free(&body);
	free(buf);
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *client = "192.0.2.10", *auth = NULL, *outdir = NULL;
	struct snapshot *s;
	struct ct_errors errs;
	struct dns_options dopt;
	char err[256];
	int ch;

	while ((ch = getopt(argc, argv, "a:c:C:o:")) != -1) {
		switch (ch) {
		case 'a': auth = optarg; break;
		case 'c': conf = optarg; break;
		case 'C': client = optarg; break;
		case 'o': outdir = optarg; break;
		default: return 2;
		}
	}
	if (conf == NULL || optind == argc) {
		fprintf(stderr, "usage: dkimrun -c CONF [-C IP] [-a USER] [-o DIR] FILE...\n");
		return 2;
	}
	log_open("dkimrun", 0, true);
	ct_errors_init(&errs);
	if ((s = snapshot_build(conf, &errs)) == NULL) {
		fputs(errs.text.s ? errs.text.s : "config error\n", stderr);
		return 1;
	}
	ct_errors_free(&errs);
	log_set_level(s->cfg.log_level);
	dopt.nameservers = &s->cfg.dns_nameservers;
	dopt.timeout_ms = (unsigned)s->cfg.dns_timeout;
	dopt.cache_size = s->cfg.dns_cache_size;
	dopt.resolv_conf = NULL;
	if (!dns_init(&dopt, err, sizeof(err))) {
		fprintf(stderr, "dkimrun: %s\n", err);
		return 1;
	}
	snapshot_install(s);
	for (int i = optind; i < argc; i++)
		run_one(argv[i], client, auth, outdir);
	snapshot_install(NULL);
	dns_shutdown();
	return 0;
}
