/*
 * fuzz_message.c - libFuzzer target for the whole pipeline: an arbitrary
 * message (headers and body) through every check, as the daemon runs it but
 * without libmilter, fed by the replay module (filter/core/replay.c) in the
 * MTA's form.  The first input byte picks the envelope (client inside or
 * outside, sender, recipients, declared SIZE); the rest is the message.
 *
 * No resolver is started: every DNS look-up fails at once, so the checks'
 * DNS-error paths run (SPF temperror, DKIM key errors, DMARC temperror).
 * Invariants checked, not just "no crash": each phase's verdict is a known
 * action whose reply code matches it (4xx tempfail, 5xx reject, none else),
 * reply texts and every header value postern would add hold no CR, no NUL
 * and no control character but folding LF + tab/space, and header names are
 * printable without a colon.  A configuration with a policy per recipient
 * domain (observe mode, strict limits, attachments screen) is built once.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postern/check.h"
#include "postern/config.h"
#include "postern/conftab.h"
#include "postern/log.h"
#include "postern/pipeline.h"
#include "postern/replay.h"
#include "postern/session.h"
#include "postern/snapshot.h"
#include "postern/verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
put(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		__builtin_trap();
}

static void
uninstall(void)
{
	snapshot_install(NULL);
}

/* The configuration, once: written to a temporary directory, loaded, the
 * directory removed again. */
static void
setup(void)
{
	static bool done;
	char dir[] = "/tmp/postern-fuzz-XXXXXX", pol[64], conf[400], cmd[100];
	struct ct_errors errs;
	struct snapshot *s;

	if (done)
		return;
	done = true;
	log_open("fuzz_message", 0, true);
	log_set_level(PLOG_ERR);
	if (mkdtemp(dir) == NULL)
		__builtin_trap();
	snprintf(pol, sizeof(pol), "%s/policies", dir);
	if (mkdir(pol, 0700) != 0)
		__builtin_trap();
	put(pol, "default.conf", "max_message_size = \"1M\";\n");
	put(pol, "strict.example.conf", "max_message_size = 20000;\n"
	    "spf = { fail_action = \"reject\"; permerror_action = \"reject\"; };\n");
	put(pol, "observe.example.conf", "mode = \"observe\";\n");
	snprintf(conf, sizeof(conf), "socket = \"inet:1@127.0.0.1\";\n"
	    "authserv_id = \"mx.fuzz.example\";\ninternal_hosts = [ \"10.0.0.0/8\" ];\n"
	    "policy_dir = \"%s\";\nlog_level = \"error\";\n"
	    "limits = { header_count = 200; header_bytes = 65536; };\n", pol);
	put(dir, "postern.conf", conf);
	snprintf(conf, sizeof(conf), "%s/postern.conf", dir);
	ct_errors_init(&errs);
	if ((s = snapshot_build(conf, &errs)) == NULL) {
		fputs(errs.text.s, stderr);
		__builtin_trap();
	}
	ct_errors_free(&errs);
	snapshot_install(s);
	atexit(uninstall);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		__builtin_trap();
}

static void
fz_text(const char *s, bool folding)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n' && folding && (s[1] == ' ' || s[1] == '\t'))
			continue;
		if (ch < 0x20 && ch != '\t')
			__builtin_trap();
		if (ch == 0x7f)
			__builtin_trap();
	}
}

static void
fz_verdict(const struct verdict *v)
{
	switch (v->action) {
	case ACT_TEMPFAIL:
		if (v->code < 400 || v->code > 499 || v->xcode[0] != '4')
			__builtin_trap();
		break;
	case ACT_REJECT:
		if (v->code < 500 || v->code > 599 || v->xcode[0] != '5')
			__builtin_trap();
		break;
	case ACT_ACCEPT: case ACT_TAG: case ACT_QUARANTINE: case ACT_DISCARD:
		break;
	default:
		__builtin_trap();
	}
	if (memchr(v->text, '\0', sizeof(v->text)) == NULL)
		__builtin_trap();
	fz_text(v->text, false);
}

static void
fz_edits(const struct edits *e)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct hdr_edit *h = &e->v[i];

		if (h->name == NULL || h->name[0] == '\0')
			__builtin_trap();
		for (const char *p = h->name; *p != '\0'; p++)
			if (*p <= ' ' || *p >= 0x7f || *p == ':')
				__builtin_trap();
		fz_text(h->value, true);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const senders[] = { "sender@example.org", "", "a@strict.example",
		"\"odd local\"@observe.example", "x@[192.0.2.1]", "postmaster" };
	static const char *const rcpts[] = { "<u@example.net>", "<u@strict.example>",
		"<u@observe.example>", "<postmaster>" };
	uint8_t env = size > 0 ? data[0] : 0;
	const char *msg = size > 0 ? (const char *)data + 1 : "";
	size_t len = size > 0 ? size - 1 : 0;
	const char *args[2] = { NULL, NULL };
	struct conn *c;
	struct verdict v;
	struct edits e;
	struct replay_head h;
	bool refused, any = false;

	setup();
	c = conn_new();
	pl_connect(c, "client.fuzz.example", (env & 1) ? "10.1.2.3" : "192.0.2.10", NULL);
	pl_helo(c, (env & 2) ? "client.fuzz.example" : "[192.0.2.10]");
	if (env & 4)
		args[0] = "SIZE=50000";
	pl_envfrom(c, senders[(env >> 3) % 6], args, "FUZZQID", NULL, &v);
	fz_verdict(&v);
	if (verdict_refuses(&v))
		goto done;
	for (unsigned i = 0; i < 1u + ((env >> 6) & 1u); i++) {
		pl_envrcpt(c, rcpts[(env >> (6 + i)) % 4], &v);
		fz_verdict(&v);
		any = any || !verdict_refuses(&v);
	}
	if (!any) {
		pl_abort(c);
		goto done;
	}
	replay_headers(c, msg, len, &h);
	if (h.body > len)
		__builtin_trap();
	pl_eoh(c, &v);
	fz_verdict(&v);
	if (verdict_refuses(&v)) {
		pl_abort(c);
		goto done;
	}
	if (replay_body(c, msg, len, h.body, &v, &refused) > 2 * len + 2)
		__builtin_trap();       /* CRLF form at most doubles the body */
	fz_verdict(&v);
	if (refused) {
		pl_abort(c);
		goto done;
	}
	edits_init(&e);
	pl_eom(c, NULL, &e, &v);
	fz_verdict(&v);
	fz_edits(&e);
	edits_free(&e);
done:
	pl_close(c);
	conn_free(c);
	return 0;
}
