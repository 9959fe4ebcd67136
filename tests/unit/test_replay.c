/* test_replay.c - replay.h hands a stored message to the pipeline in the
 * MTA's form: one space (never a tab) after the colon dropped, folds
 * joined with LF, "Name :" is a field, the first non-field line starts
 * the body, body lines in CRLF and 64 KiB chunks, refusal stops the feed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "postern/check_size.h"
#include "postern/pipeline.h"
#include "postern/replay.h"

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
	free(tu_write(text.s, "default.conf", "max_message_size = 300000;\n"));
	sb_reset(&text);
	sb_printf(&text, "trusted_hosts = [ \"192.0.2.0/24\" ];\n"
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

/* The value replay_value() makes of the first field of text. */
static char *
value_of(const char *text, char **name)
{
	struct eml_field f;
	size_t off = 0;

	assert_int_equal(eml_next_field(text, strlen(text), &off, &f), EML_FIELD);
	*name = xstrndup(f.name, f.namelen);
	return replay_value(&f, false);
}

static void
test_values(void **state)
{
	static const struct { const char *text, *name, *value; } cases[] = {
		{ "Subject: hello\r\n\r\n", "Subject", "hello" },
		{ "Subject:  two\r\n\r\n", "Subject", " two" },         /* one space only */
		{ "Subject:\ttab\r\n\r\n", "Subject", "\ttab" },        /* a tab stays */
		{ "Subject:none\r\n\r\n", "Subject", "none" },
		{ "Subject:\r\n\r\n", "Subject", "" },
		{ "To: a@x.example,\r\n\tb@y.example\r\n\r\n", "To", "a@x.example,\n\tb@y.example" },
		{ "To: a,\n b\n\n", "To", "a,\n b" },                   /* bare LF file */
		{ "Subject : spaced\r\n\r\n", "Subject", "spaced" },   /* Postfix's is_header */
		{ "X-A\t: t\r\n\r\n", "X-A", "t" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *name, *v = value_of(cases[i].text, &name);

		assert_string_equal(name, cases[i].name);
		assert_string_equal(v, cases[i].value);
		free(name);
		free(v);
	}
}

/* With SMFIP_HDR_LEADSPC the value is what follows the colon, exactly. */
static void
test_values_leadspc(void **state)
{
	static const struct { const char *text, *value; } cases[] = {
		{ "Subject: hello\r\n\r\n", " hello" },
		{ "Subject:  two\r\n\r\n", "  two" },
		{ "Subject:\ttab\r\n\r\n", "\ttab" },
		{ "Subject:none\r\n\r\n", "none" },
		{ "To: a,\r\n\tb\r\n\r\n", " a,\n\tb" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eml_field f;
		size_t off = 0;
		char *v;

		assert_int_equal(eml_next_field(cases[i].text, strlen(cases[i].text), &off, &f),
		    EML_FIELD);
		v = replay_value(&f, true);
		assert_string_equal(v, cases[i].value);
		free(v);
	}
}

static void
test_crlf(void **state)
{
	strbuf out;
	bool cr = false;

	(void)state;
	sb_init(&out);
	replay_crlf(&out, "a\nb\r\nc\r", 7, &cr);
	assert_true(cr);
	replay_crlf(&out, "\nd\n", 3, &cr);     /* CR and LF split across calls */
	assert_false(cr);
	assert_int_equal(out.len, 12);
	assert_memory_equal(out.s, "a\r\nb\r\nc\r\nd\r\n", 12);
	sb_free(&out);
}

static struct conn *
start(void)
{
	struct conn *c = conn_new();
	struct verdict v;

	pl_connect(c, "client.example", "192.0.2.10", NULL);
	pl_helo(c, "client.example");
	pl_envfrom(c, "<a@remote.example>", (const char *const[]){ NULL }, "Q1", NULL, &v);
	pl_envrcpt(c, "<u@plain.example>", &v);
	return c;
}

static void
test_headers_and_body(void **state)
{
	/* the folded From keeps its comment on the second line; the line
	 * without a colon ends the header block and starts the body */
	static const char msg[] =
	    "From: a@good.example\r\n (x@other.example y)\r\n"
	    "Subject:  s\r\n"
	    "this is no field\r\n"
	    "To: not@header.example\r\n"
	    "\r\n"
	    "body\n";
	struct conn *c = start();
	struct replay_head h;
	struct verdict v;
	bool refused;
	size_t fed;

	(void)state;
	replay_headers(c, msg, sizeof(msg) - 1, &h);
	assert_int_equal(h.fields, 2);
	assert_true(h.early);
	assert_int_equal(h.bad, EML_BAD_FIELD);
	assert_int_equal(h.body, strstr(msg, "this is") - msg);
	assert_int_equal(c->msg.author.nfrom, 1);
	assert_string_equal(c->msg.author.domain, "good.example");
	assert_int_equal(check_size_facts(&c->msg)->hdr_count, 2);
	pl_eoh(c, &v);
	fed = replay_body(c, msg, sizeof(msg) - 1, h.body, &v, &refused);
	assert_false(refused);
	/* "this is no field\r\nTo: not@header.example\r\n\r\nbody\r\n" */
	assert_int_equal(fed, 18 + 24 + 2 + 6);
	pl_abort(c);
	pl_close(c);
	conn_free(c);
}

static void
test_body_chunks_and_refusal(void **state)
{
	strbuf msg;
	struct conn *c;
	struct replay_head h;
	struct verdict v;
	bool refused;
	size_t fed;

	(void)state;
	sb_init(&msg);
	sb_puts(&msg, "Subject: big\n\n");
	for (int i = 0; i < 10000; i++)    /* 10000 lines of 9 + LF: 100000 bytes in CRLF */
		sb_puts(&msg, "012345678\n");
	c = start();
	replay_headers(c, msg.s, msg.len, &h);
	assert_false(h.early);
	assert_int_equal(h.body, 14);
	pl_eoh(c, &v);
	fed = replay_body(c, msg.s, msg.len, h.body, &v, &refused);
	assert_false(refused);
	assert_int_equal(fed, 110000);
	assert_int_equal(check_size_facts(&c->msg)->size, 110000 + 14 + 2);
	pl_abort(c);
	pl_close(c);
	conn_free(c);

	/* three times the body is over max_message_size (300000): the feed stops
	 * at the chunk that crosses it, as the MTA stops at the 552 */
	for (int i = 0; i < 20000; i++)
		sb_puts(&msg, "012345678\n");
	c = start();
	replay_headers(c, msg.s, msg.len, &h);
	pl_eoh(c, &v);
	fed = replay_body(c, msg.s, msg.len, h.body, &v, &refused);
	assert_true(refused);
	assert_int_equal(v.code, 552);
	assert_int_equal(fed % REPLAY_CHUNK, 0);
	assert_int_equal(fed, 5 * REPLAY_CHUNK);   /* 327680 > 300000 - 16 */
	pl_abort(c);
	pl_close(c);
	conn_free(c);
	sb_free(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_values_leadspc),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_headers_and_body),
		cmocka_unit_test(test_body_chunks_and_refusal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
