/* test_pipeline.c - whole sessions through the pipeline without an MTA:
 * direction, size accounting and refusals at each phase, A-R added and
 * forged A-R removed, state reset between transactions, recipient
 * conflicts, observe mode, header limits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "postern/check_authres.h"
#include "postern/check_helo.h"
#include "postern/check_size.h"
#include "postern/pipeline.h"

static char *dir;

static int
setup(void **state)
{
	strbuf text;

	(void)state;
	dir = tu_mkdtemp();
	sb_init(&text);
	sb_printf(&text, "%s/policies", dir);
	mkdir(text.s, 0700);
	free(tu_write(text.s, "default.conf", "max_message_size = 1000;\n"));
	free(tu_write(text.s, "small.example.conf", "max_message_size = 300; recipient_conflict = \"split\";\n"));
	free(tu_write(text.s, "big.example.conf", "max_message_size = 5000;\n"));
	free(tu_write(text.s, "watch.example.conf", "mode = \"observe\"; max_message_size = 200;\n"));
	sb_reset(&text);
	sb_printf(&text, "authserv_id = \"mx.test.example\";\n"
	    "internal_hosts = [ \"10.0.0.0/8\" ];\n"
	    /* no resolver runs here: SPF (tests/spf, tests/unit/test_spf) is skipped */
	    "trusted_hosts = [ \"192.0.2.0/24\", \"2001:db8::/32\" ];\n"
	    "originating_daemons = [ \"ORIGINATING\" ];\n"
	    "limits = { header_count = 20; recipients = 3; };\n"
	    "policy_dir = \"%s/policies\";\n", dir);
	tu_install_config(dir, text.s);
	sb_free(&text);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tu_uninstall_config(dir);
}

static struct conn *
session(const char *addr, const char *daemon)
{
	struct conn *c = conn_new();

	pl_connect(c, "client.example", addr, daemon);
	pl_helo(c, "client.example");
	return c;
}

static void
mail(struct conn *c, const char *from, const char *size, const char *auth, struct verdict *v)
{
	const char *args[] = { size, NULL };

	pl_envfrom(c, from, size ? args : args + 1, "QID1", auth, v);
}

static void
test_direction(void **state)
{
	struct verdict v;
	struct conn *c;

	(void)state;
	c = session("10.1.2.3", NULL);
	mail(c, "<a@internal.example>", NULL, NULL, &v);
	assert_int_equal(c->msg.dir, DIR_OUTBOUND);
	pl_close(c);
	conn_free(c);

	c = session("192.0.2.10", NULL);
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	assert_int_equal(c->msg.dir, DIR_INBOUND);
	mail(c, "<a@remote.example>", NULL, "alice", &v);
	assert_int_equal(c->msg.dir, DIR_OUTBOUND);
	pl_close(c);
	conn_free(c);

	c = session("2001:db8::25", "ORIGINATING");
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	assert_int_equal(c->msg.dir, DIR_OUTBOUND);
	pl_close(c);
	conn_free(c);

	c = session("::ffff:10.9.9.9", "smtpd");
	mail(c, "<>", NULL, NULL, &v);
	assert_int_equal(c->msg.dir, DIR_OUTBOUND);
	pl_close(c);
	conn_free(c);
}

static void
test_declared_size(void **state)
{
	struct verdict v;
	struct conn *c = session("192.0.2.10", NULL);

	(void)state;
	/* inbound: MAIL FROM refuses only over the loosest policy (5000) */
	mail(c, "<a@remote.example>", "SIZE=6000", NULL, &v);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 552);
	assert_string_equal(v.xcode, "5.3.4");
	assert_non_null(strstr(v.text, "5000"));
	pl_abort(c);
	/* 2000 passes MAIL FROM but not a recipient under the default (1000) */
	mail(c, "<a@remote.example>", "size=2000", NULL, &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	pl_envrcpt(c, "<u@big.example>", &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	pl_envrcpt(c, "<u@plain.example>", &v);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 552);
	assert_int_equal(c->msg.nrcpt, 1);
	assert_int_equal(c->msg.npol, 1);   /* refused recipient's policy undone */
	/* malformed SIZE is ignored, not trusted */
	mail(c, "<a@remote.example>", "SIZE=12x", NULL, &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	assert_int_equal(check_size_facts(&c->msg)->declared, 0);
	pl_close(c);
	conn_free(c);
}

static void
test_body_size_refused_while_streaming(void **state)
{
	struct verdict v;
	struct conn *c = session("192.0.2.10", NULL);
	unsigned char chunk[100];
	int chunks = 0;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	pl_envrcpt(c, "<u@plain.example>", &v);
	pl_header(c, "Subject", "hello");
	pl_eoh(c, &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	do {
		pl_body(c, chunk, sizeof(chunk), &v);
		chunks++;
	} while (v.action == ACT_ACCEPT && chunks < 100);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 552);
	assert_int_equal(chunks, 10);  /* 16+2 header + 10*100 > 1000 */
	pl_abort(c);
	pl_close(c);
	conn_free(c);
}

static void
test_strictest_recipient_limit(void **state)
{
	struct verdict v;
	struct conn *c = session("192.0.2.10", NULL);
	unsigned char chunk[400];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	pl_envrcpt(c, "<u@big.example>", &v);
	pl_envrcpt(c, "<u@plain.example>", &v);
	assert_int_equal(check_size_limit(c, &c->msg), 1000);
	pl_eoh(c, &v);
	pl_body(c, chunk, sizeof(chunk), &v);
	pl_body(c, chunk, sizeof(chunk), &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	pl_body(c, chunk, sizeof(chunk), &v);
	assert_int_equal(v.action, ACT_REJECT);
	pl_abort(c);
	pl_close(c);
	conn_free(c);
}

static void
test_split_conflict(void **state)
{
	struct verdict v;
	struct conn *c = session("192.0.2.10", NULL);

	(void)state;
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	pl_envrcpt(c, "<u@big.example>", &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	pl_envrcpt(c, "<u@small.example>", &v);
	assert_int_equal(v.action, ACT_TEMPFAIL);
	assert_int_equal(v.code, 452);
	assert_string_equal(v.xcode, "4.5.3");
	pl_envrcpt(c, "<v@big.example>", &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	assert_int_equal(c->msg.nrcpt, 2);
	/* too many recipients (limit 3) */
	pl_envrcpt(c, "<w@big.example>", &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	pl_envrcpt(c, "<x@big.example>", &v);
	assert_int_equal(v.code, 452);
	pl_close(c);
	conn_free(c);
}

static void
test_observe_mode(void **state)
{
	struct verdict v;
	struct conn *c = session("192.0.2.10", NULL);
	unsigned char chunk[300];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	pl_envrcpt(c, "<u@watch.example>", &v);
	pl_eoh(c, &v);
	pl_body(c, chunk, sizeof(chunk), &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	assert_true(v.observed);
	assert_int_equal(v.would, ACT_REJECT);
	pl_close(c);
	conn_free(c);
}

static bool
has_edit(const struct edits *e, enum edit_op op, unsigned index, const char *value_prefix)
{
	for (size_t i = 0; i < e->n; i++) {
		if (e->v[i].op != op || e->v[i].index != index)
			continue;
		if (value_prefix == NULL ||
		    strncmp(e->v[i].value, value_prefix, strlen(value_prefix)) == 0)
			return true;
	}
	return false;
}

static void
test_authres_added_and_forged_removed(void **state)
{
	struct verdict v;
	struct edits e;
	struct conn *c = session("192.0.2.10", NULL);

	(void)state;
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	pl_envrcpt(c, "<u@plain.example>", &v);
	pl_header(c, "Authentication-Results", "other.example; spf=pass");
	pl_header(c, "authentication-results", "MX.TEST.EXAMPLE; dkim=pass");
	pl_header(c, "Subject", "x");
	pl_header(c, "Authentication-Results", "(c) mx.test.example; spf=pass");
	pl_eoh(c, &v);
	edits_init(&e);
	pl_eom(c, "QID1", &e, &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	assert_int_equal(e.n, 3);
	/* deletions first, highest index first, then the insertion */
	assert_int_equal(e.v[0].op, EDIT_DELETE);
	assert_int_equal(e.v[0].index, 3);
	assert_int_equal(e.v[1].index, 2);
	/* unsigned mail: dkim=none (RFC 8601 2.7.1) */
	assert_true(has_edit(&e, EDIT_INSERT, 0, "mx.test.example;\n\tdkim=none"));
	edits_free(&e);

	/* the next transaction starts clean: nothing forged any more */
	mail(c, "<b@remote.example>", NULL, NULL, &v);
	assert_int_equal(authres_forged(&c->msg), 0);
	assert_int_equal(check_size_facts(&c->msg)->size, 0);
	pl_envrcpt(c, "<u@plain.example>", &v);
	pl_header(c, "Subject", "y");
	pl_eoh(c, &v);
	edits_init(&e);
	pl_eom(c, "QID2", &e, &v);
	assert_int_equal(e.n, 1);
	edits_free(&e);
	pl_close(c);
	conn_free(c);
}

static void
test_outbound_gets_no_authres(void **state)
{
	struct verdict v;
	struct edits e;
	struct conn *c = session("10.0.0.5", NULL);

	(void)state;
	mail(c, "<a@internal.example>", NULL, NULL, &v);
	pl_envrcpt(c, "<u@remote.example>", &v);
	pl_header(c, "Authentication-Results", "mx.test.example; spf=pass");
	pl_eoh(c, &v);
	edits_init(&e);
	pl_eom(c, NULL, &e, &v);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.v[0].op, EDIT_DELETE);
	edits_free(&e);
	pl_close(c);
	conn_free(c);
}

static void
test_header_count_limit(void **state)
{
	struct verdict v;
	struct conn *c = session("192.0.2.10", NULL);

	(void)state;
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	pl_envrcpt(c, "<u@big.example>", &v);
	for (int i = 0; i < 21; i++)
		pl_header(c, "X-H", "v");
	pl_eoh(c, &v);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 552);
	assert_non_null(strstr(v.text, "too many header fields"));
	/* end of headers is a no-reply step for milter.c: with no body, the
	 * same refusal must come back at end of message */
	{
		struct edits e;
		struct verdict v2;

		edits_init(&e);
		pl_eom(c, NULL, &e, &v2);
		assert_int_equal(v2.action, ACT_REJECT);
		assert_int_equal(v2.code, 552);
		assert_int_equal(e.n, 0);
		edits_free(&e);
	}
	pl_abort(c);
	/* RSET: the next message is not affected */
	mail(c, "<a@remote.example>", NULL, NULL, &v);
	pl_envrcpt(c, "<u@big.example>", &v);
	pl_header(c, "X-H", "v");
	pl_eoh(c, &v);
	assert_int_equal(v.action, ACT_ACCEPT);
	pl_close(c);
	conn_free(c);
}

/* The HELO facts (check_helo.c) that the HELO rules decide on and the
 * spam rules score: well-formed names and as many malformed ones. */
static void
test_helo_facts(void **state)
{
	static const struct { const char *helo; bool bare, literal, nofqdn, mta; } rows[] = {
		{ "client.example", false, false, false, false },
		{ "mail.example.org.", false, false, false, false },
		{ "under_score.example", false, false, false, false },
		{ "[192.0.2.1]", false, true, false, false },
		{ "[IPv6:2001:db8::1]", false, true, false, false },
		{ "192.0.2", false, false, false, false },   /* digits, but a dotted name */
		{ "MX.Test.Example", false, false, false, true },   /* the MTA's name, any case */
		/* malformed */
		{ "192.0.2.1", true, false, false, false },
		{ "2001:db8::1", true, false, false, false },
		{ "localhost", false, false, true, false },
		{ "localhost.", false, false, true, false },
		{ "EXAMPLE", false, false, true, false },
		{ "a..example", false, false, true, false },
		{ ".example.com", false, false, true, false },
		{ "bad name.example", false, false, true, false },
		{ "[not-an-ip]", false, false, true, false },
		{ "[192.0.2.1", false, false, true, false },
		{ "[]", false, false, true, false },
		{ "x.example;rm", false, false, true, false },
		{ "", false, false, true, false },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		struct conn *c = session("192.0.2.10", NULL);
		const struct helo_facts *f;

		pl_server(c, "mx.test.example");
		pl_helo(c, rows[i].helo);
		f = check_helo_facts(c);
		if (f->bare_ip != rows[i].bare || f->literal != rows[i].literal ||
		    f->non_fqdn != rows[i].nofqdn || f->is_mta_name != rows[i].mta)
			fail_msg("row %zu \"%s\": bare %d literal %d non_fqdn %d mta %d", i, rows[i].helo,
			    f->bare_ip, f->literal, f->non_fqdn, f->is_mta_name);
		pl_close(c);
		conn_free(c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_declared_size),
		cmocka_unit_test(test_body_size_refused_while_streaming),
		cmocka_unit_test(test_strictest_recipient_limit),
		cmocka_unit_test(test_split_conflict),
		cmocka_unit_test(test_observe_mode),
		cmocka_unit_test(test_authres_added_and_forged_removed),
		cmocka_unit_test(test_outbound_gets_no_authres),
		cmocka_unit_test(test_header_count_limit),
		cmocka_unit_test(test_helo_facts),
	};
	return cmocka_run_group_tests_name("pipeline", tests, setup, teardown);
}
