/*
 * explain.c - `postern explain`: run the whole pipeline offline on one
 * stored message and print every fact, the verdict of each phase, the
 * header edits and the reply an MTA would get.  The tool for "why was this
 * refused?".  Called from main.c; links only the core.
 *
 *   postern explain [-c FILE] [--client IP] [--client-name NAME] [--helo NAME]
 *       [--from ADDR] --rcpt ADDR [--rcpt ADDR ...] [--auth USER]
 *       [--daemon NAME] [--size N] [--qid ID] [--tls VERSION] [--cipher NAME]
 *       [--cipher-bits N] [--mta-name NAME] MSG.eml|-
 *
 * The last line, "summary:", is the summary line the daemon would log:
 * each check's decision (lists=, access=, helo=, sender_login=, spf= ...).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postern/dns.h"
#include "postern/explain.h"
#include "postern/log.h"
#include "postern/pipeline.h"
#include "postern/replay.h"


struct opts {
	const char *conf, *client, *client_name, *helo, *from, *auth, *daemon;
	const char *size, *qid, *file;
	const char *tls, *cipher, *bits, *mta_name;
	struct strlist rcpts;
};

static void
show_verdict(const char *phase, const struct verdict *v)
{
	strbuf sb;

	sb_init(&sb);
	if (v->code != 0)
		sb_printf(&sb, "%s %u %s %s", action_name(v->action), v->code, v->xcode, v->text);
	else if (v->action == ACT_ACCEPT)
		sb_puts(&sb, strcmp(phase, "eom") == 0 ? "accept" : "continue");
	else
		sb_puts(&sb, action_name(v->action));
	if (v->check != NULL)
		sb_printf(&sb, " (check %s)", v->check);
	if (v->observed)
		sb_printf(&sb, " [observe mode: would %s: %s]", action_name(v->would), v->text);
	printf("  %-10s %s\n", phase, sb.s);
	fflush(stdout);
	sb_free(&sb);
}

static bool
feed_body(struct conn *c, const char *msg, size_t len, size_t off, struct verdict *v)
{
	bool refused;
	size_t fed = replay_body(c, msg, len, off, v, &refused);

	if (refused)
		printf("  %-10s refused after %zu bytes of body\n", "body", fed);
	else
		printf("  %-10s %zu bytes\n", "body", fed);
	return !refused;
}

static size_t
feed_headers(struct conn *c, const char *msg, size_t len)
{
	struct replay_head h;

	replay_headers(c, msg, len, &h);
	if (h.early)
		printf("  %-10s line at byte %zu is %s: the header block ends there and the body "
		    "starts with it, as the MTA reads it\n", "header", h.bad_at,
		    h.bad == EML_TOO_LONG ? "a field over 1 MiB" : "not a header field");
	printf("  %-10s %zu fields\n", "headers", h.fields);
	return h.body;
}

static void
show_edits(const struct edits *e)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct hdr_edit *h = &e->v[i];
		strbuf sb;

		sb_init(&sb);
		if (h->op == EDIT_DELETE) {
			printf("  - delete %s #%u\n", h->name, h->index);
		} else if (h->op == EDIT_CHANGE) {
			sb_escape(&sb, h->value, strlen(h->value), 400);
			printf("  ~ change %s #%u: %s\n", h->name, h->index, sb.s);
		} else {
			sb_escape(&sb, h->value, strlen(h->value), 400);
			printf("  + insert at %u: %s: %s\n", h->index, h->name, sb.s);
		}
		sb_free(&sb);
	}
	if (e->quarantine)
		printf("  ! quarantine: %s\n", e->reason);
	if (e->n == 0 && !e->quarantine)
		printf("  (no changes)\n");
}

static void
final_reply(const struct verdict *v)
{
	if (v->action == ACT_REJECT || v->action == ACT_TEMPFAIL)
		printf("reply: %u %s %s\n", v->code, v->xcode, v->text);
	else if (v->action == ACT_DISCARD)
		printf("reply: 250 (accepted and discarded)\n");
	else if (v->action == ACT_QUARANTINE)
		printf("reply: 250 (accepted into the MTA's hold queue)\n");
	else
		printf("reply: 250 (accepted%s)\n", v->action == ACT_TAG ? ", tagged" : "");
}

static int
run(const struct opts *o, const char *msg, size_t len)
{
	struct conn *c = conn_new();
	strbuf summary;
	struct verdict v;
	struct edits e;
	size_t body;
	char sizearg[40];
	const char *args[2] = { NULL, NULL };
	unsigned accepted = 0;

	if (o->size != NULL) {
		snprintf(sizearg, sizeof(sizearg), "SIZE=%s", o->size);
		args[0] = sizearg;
	}
	sb_init(&summary);
	c->summary_copy = &summary;
	pl_connect(c, o->client_name, o->client, o->daemon);
	pl_server(c, o->mta_name);
	printf("  %-10s %s [%s] %s%s\n", "connect", c->hostname, c->addr[0] ? c->addr : "unknown",
	    c->internal ? "internal" : "external", o->daemon ? " (daemon set)" : "");
	if (verdict_refuses(&c->refusal))
		show_verdict("connect", &c->refusal);
	pl_tls(c, o->tls, o->cipher, o->bits);
	pl_helo(c, o->helo);
	printf("  %-10s %s tls=%s%s%s\n", "helo", c->helo, c->tls.version[0] ? c->tls.version : "none",
	    c->tls.cipher[0] ? " cipher=" : "", c->tls.cipher);
	pl_envfrom(c, o->from, args, o->qid, o->auth, &v);
	printf("  %-10s <%s> direction=%s\n", "mail from", c->msg.sender, direction_name(c->msg.dir));
	show_verdict("mail from", &v);
	if (verdict_refuses(&v))
		goto done;
	for (size_t i = 0; i < o->rcpts.n; i++) {
		char label[300];

		pl_envrcpt(c, o->rcpts.v[i], &v);
		snprintf(label, sizeof(label), "rcpt <%.280s>", o->rcpts.v[i]);
		show_verdict(label, &v);
		if (!verdict_refuses(&v))
			accepted++;
	}
	printf("  %-10s", "policies");
	for (size_t i = 0; i < c->msg.npol; i++)
		printf(" %s (%s)", c->msg.pol[i]->domain[0] ? c->msg.pol[i]->domain : "default",
		    c->msg.pol[i]->file);
	printf("%s\n", c->msg.npol ? "" : " none");
	if (accepted == 0) {
		printf("no recipient accepted: the MTA ends the transaction\n");
		final_reply(&c->msg.last_rcpt);
		goto done;
	}
	body = feed_headers(c, msg, len);
	pl_eoh(c, &v);
	show_verdict("headers", &v);
	if (verdict_refuses(&v) || !feed_body(c, msg, len, body, &v)) {
		show_verdict("body", &v);
		final_reply(&v);
		goto done;
	}
	edits_init(&e);
	pl_eom(c, NULL, &e, &v);
	show_verdict("eom", &v);
	printf("header changes:\n");
	show_edits(&e);
	edits_free(&e);
	final_reply(&v);
done:
	pl_close(c);
	if (summary.len > 0)
		printf("summary: %s\n", summary.s);
	c->summary_copy = NULL;
	sb_free(&summary);
	conn_free(c);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: postern explain [-c FILE] [--client IP] [--client-name NAME]\n"
	    "         [--helo NAME] [--from ADDR] --rcpt ADDR [--rcpt ADDR ...] [--auth USER]\n"
	    "         [--daemon NAME] [--size N] [--qid ID] [--tls VERSION] [--cipher NAME]\n"
	    "         [--cipher-bits N] [--mta-name NAME] MSG.eml|-\n");
}

int
explain_main(int argc, char **argv, const char *default_conf)
{
	static const struct option longopts[] = {
		{ "client", required_argument, NULL, 'a' },
		{ "client-name", required_argument, NULL, 'N' },
		{ "helo", required_argument, NULL, 'H' },
		{ "from", required_argument, NULL, 'f' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "auth", required_argument, NULL, 'u' },
		{ "daemon", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "qid", required_argument, NULL, 'q' },
		{ "tls", required_argument, NULL, 'T' },
		{ "cipher", required_argument, NULL, 'C' },
		{ "cipher-bits", required_argument, NULL, 'B' },
		{ "mta-name", required_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .conf = default_conf, .client_name = "unknown", .helo = "unknown",
		.from = "", .qid = "EXPLAIN" };
	struct ct_errors errs;
	struct snapshot *snap;
	struct dns_options dopt;
	strbuf msg;
	char err[256];
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.conf = optarg; break;
		case 'a': o.client = optarg; break;
		case 'N': o.client_name = optarg; break;
		case 'H': o.helo = optarg; break;
		case 'f': o.from = optarg; break;
		case 'r': strlist_add(&o.rcpts, optarg); break;
		case 'u': o.auth = optarg; break;
		case 'd': o.daemon = optarg; break;
		case 's': o.size = optarg; break;
		case 'q': o.qid = optarg; break;
		case 'T': o.tls = optarg; break;
		case 'C': o.cipher = optarg; break;
		case 'B': o.bits = optarg; break;
		case 'J': o.mta_name = optarg; break;
		default: usage(); return 2;
		}
	}
	if (argc - optind != 1 || o.rcpts.n == 0) {
		usage();
		strlist_free(&o.rcpts);
		return 2;
	}
	o.file = argv[optind];
	log_open("postern", 0, true);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ct_errors_init(&errs);
	if ((snap = snapshot_build(o.conf, &errs)) == NULL) {
		fputs(ct_errors_text(&errs, "postern explain: configuration error\n"), stderr);
		ct_errors_free(&errs);
		strlist_free(&o.rcpts);
		return 1;
	}
	ct_errors_free(&errs);
	log_set_level(snap->cfg.log_level);
	snapshot_install(snap);
	sb_init(&msg);
	if (!replay_read(o.file, &msg)) {
		fprintf(stderr, "postern explain: cannot read %s: %s\n", o.file, strerror(errno));
		rc = 1;
		goto out;
	}
	dopt.nameservers = &snap->cfg.dns_nameservers;
	dopt.timeout_ms = (unsigned)snap->cfg.dns_timeout;
	dopt.cache_size = snap->cfg.dns_cache_size;
	dopt.resolv_conf = NULL;
	if (!dns_init(&dopt, err, sizeof(err)))
		fprintf(stderr, "postern explain: resolver: %s (DNS checks will fail)\n", err);
	printf("postern explain: %s (%zu bytes) with %s\n", o.file, msg.len, o.conf);
	rc = run(&o, msg.s != NULL ? msg.s : "", msg.len);
	dns_shutdown();
out:
	snapshot_install(NULL);
	sb_free(&msg);
	strlist_free(&o.rcpts);
	return rc;
}
