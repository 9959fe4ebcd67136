/*
 * dkimrun - replay .eml files through the pipeline (pl_* functions) the
 * way the milter would, with the real resolver; prints the header edits
 * and the verdict of each message.  Used by the DKIM vector and interop
 * tests for messages miltertest cannot carry (commands over ~1 KB).
 *
 *   dkimrun -c CONF [-C CLIENT_IP] [-a AUTH_USER] [-o OUTDIR] FILE...
 *
 * The message goes in through replay.h, in the MTA's form (one space
 * after the colon dropped, folds joined with LF, body in 64 KiB chunks
 * with CRLF line ends).  With -o, each message is written to
 * OUTDIR/<basename> with the inserted headers on top, all in CRLF.
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
#include "postern/replay.h"

static void
write_out(const char *outdir, const char *path, const struct edits *e, const char *msg,
    size_t len)
{
	char *copy = xstrdup(path), out[4096];
	strbuf text;
	bool cr = false;
	FILE *f;

	snprintf(out, sizeof(out), "%s/%s", outdir, basename(copy));
	free(copy);
	if ((f = fopen(out, "wb")) == NULL)
		return;
	sb_init(&text);
	for (size_t i = e->n; i > 0; i--) {
		const char *v = e->v[i - 1].value;

		if (e->v[i - 1].op != EDIT_INSERT)
			continue;
		sb_printf(&text, "%s: ", e->v[i - 1].name);
		replay_crlf(&text, v, strlen(v), &cr);
		sb_puts(&text, "\r\n");
	}
	cr = false;
	replay_crlf(&text, msg, len, &cr);
	if (text.len > 0)
		fwrite(text.s, 1, text.len, f);
	fclose(f);
	sb_free(&text);
}

static void
run_one(const char *path, const char *client, const char *auth, const char *outdir)
{
	struct conn *c;
	struct verdict v;
	struct edits e;
	struct replay_head h;
	strbuf msg;
	bool refused;

	sb_init(&msg);
	if (!replay_read(path, &msg)) {
		printf("== %s\nerror: cannot read\n", path);
		sb_free(&msg);
		return;
	}
	if (msg.s == NULL)
		sb_puts(&msg, "");
	c = conn_new();
	pl_connect(c, "client.example", client, NULL);
	pl_helo(c, "client.example");
	pl_envfrom(c, "<sender@example.org>", (const char *const[]){ NULL }, "RUN1", auth, &v);
	pl_envrcpt(c, "<rcpt@example.net>", &v);
	replay_headers(c, msg.s, msg.len, &h);
	pl_eoh(c, &v);
	replay_body(c, msg.s, msg.len, h.body, &v, &refused);
	edits_init(&e);
	pl_eom(c, "RUN1", &e, &v);
	printf("== %s\n", path);
	for (size_t i = 0; i < e.n; i++)
		if (e.v[i].op == EDIT_INSERT)
			printf("insert %u %s: %s\n", e.v[i].index, e.v[i].name, e.v[i].value);
	printf("verdict: %s %u %s %s\n", action_name(v.action), v.code, v.xcode, v.text);
	if (outdir != NULL)
		write_out(outdir, path, &e, msg.s, msg.len);
	edits_free(&e);
	pl_close(c);
	conn_free(c);
	sb_free(&msg);
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
