/* test_config.c - main configuration: defaults, every type, and malformed
 * files reported as file:line: key: problem. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "postern/config.h"
#include "postern/log.h"

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = tu_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_rmdir(dir);
	return 0;
}

/* Load text; returns the error text (caller frees) or NULL when valid. */
static char *
load(const char *text, struct config *cfg)
{
	struct ct_errors e;
	char *path = tu_write(dir, "t.conf", text);
	char *res = NULL;

	ct_errors_init(&e);
	if (!config_load(cfg, path, &e))
		res = xstrdup(e.text.s ? e.text.s : "");
	ct_errors_free(&e);
	free(path);
	return res;
}

static void
test_defaults(void **state)
{
	struct config cfg;
	char *err;

	(void)state;
	err = load("", &cfg);
	assert_null(err);
	assert_string_equal(cfg.socket, "inet:8891@127.0.0.1");
	assert_int_equal(cfg.socket_mode, 0660);
	assert_int_equal(cfg.dns_timeout, 5000);
	assert_int_equal(cfg.max_header_bytes, 1024 * 1024);
	assert_int_equal(cfg.internal_hosts.n, 2);
	assert_true(cidr_list_match_str(&cfg.internal_hosts, "127.0.0.1"));
	assert_true(cidr_list_match_str(&cfg.internal_hosts, "::1"));
	assert_false(cidr_list_match_str(&cfg.internal_hosts, "192.0.2.1"));
	assert_true(cfg.authserv_id[0] != '\0');
	config_free(&cfg);
}

static void
test_all_types(void **state)
{
	struct config cfg;
	char *err;
	int fac;

	(void)state;
	err = load("socket = \"unix:/tmp/p.sock\";\n"
	    "socket_mode = \"0600\";\n"
	    "syslog_facility = \"local3\";\n"
	    "log_level = \"debug\";\n"
	    "authserv_id = \"mx.test.example\";\n"
	    "internal_hosts = [ \"10.0.0.0/8\", \"2001:db8::/32\" ];\n"
	    "originating_daemons = [ \"ORIGINATING\", \"submission\" ];\n"
	    "dns = { nameservers = [ \"127.0.0.1@5353\" ]; timeout = 1500; cache_size = \"8M\"; };\n"
	    "limits = { header_count = 50; header_bytes = 65536; };\n", &cfg);
	assert_null(err);
	assert_string_equal(cfg.socket, "unix:/tmp/p.sock");
	assert_int_equal(cfg.socket_mode, 0600);
	assert_true(log_facility_parse("local3", &fac));
	assert_int_equal(cfg.syslog_facility, fac);
	assert_int_equal(cfg.log_level, PLOG_DEBUG);
	assert_string_equal(cfg.authserv_id, "mx.test.example");
	assert_int_equal(cfg.internal_hosts.n, 2);
	assert_false(cidr_list_match_str(&cfg.internal_hosts, "127.0.0.1"));
	assert_true(strlist_contains(&cfg.originating_daemons, "submission"));
	assert_string_equal(cfg.dns_nameservers.v[0], "127.0.0.1@5353");
	assert_int_equal(cfg.dns_timeout, 1500);
	assert_int_equal(cfg.dns_cache_size, 8 << 20);
	assert_int_equal(cfg.max_header_count, 50);
	config_free(&cfg);
}

/* Malformed files: each must fail, naming file:line and the key. */
static const struct {
	const char *text;
	const char *want; /* substring of the error text after "t.conf:" */
} bad_rows[] = {
	{ "sockett = \"inet:1@127.0.0.1\";\n", ":1: sockett: unknown key" },
	{ "\n\ndns = { timeot = 5; };\n", ":3: dns.timeot: unknown key" },
	{ "nosuch = { a = 1; };\n", ":1: nosuch: unknown group" },
	{ "socket = 8891;\n", ":1: socket: expected a quoted string" },
	{ "socket = \"tcp:8891\";\n", "socket: \"tcp:8891\" is not" },
	{ "socket_mode = \"0999\";\n", ":1: socket_mode: expected an octal mode" },
	{ "socket_mode = \"077777\";\n", ":1: socket_mode: mode out of range" },
	{ "log_level = \"loud\";\n", ":1: log_level: not one of the allowed values" },
	{ "syslog_facility = \"kern\";\n", ":1: syslog_facility: unknown syslog facility" },
	{ "internal_hosts = [ \"10.0.0.1/8\" ];\n", ":1: internal_hosts: element 1: \"10.0.0.1/8\": address has bits set" },
	{ "internal_hosts = [ \"10.0.0.0/8\", \"nonsense\" ];\n", "element 2: \"nonsense\": not an IPv4 or IPv6 address" },
	{ "internal_hosts = [ 10 ];\n", "element 1: expected a string" },
	{ "internal_hosts = ( \"10.0.0.0/8\", ( \"x\" ) );\n", ":1: internal_hosts: element 2: expected a string" },
	{ "internal_hosts = 10;\n", ":1: internal_hosts: expected a quoted string" },
	{ "dns = { timeout = 10; };\n", ":1: dns.timeout: value out of range" },
	{ "dns = { timeout = \"5s\"; };\n", "dns.timeout: expected an integer" },
	{ "dns = { timeout = -5; };\n", "dns.timeout: expected a non-negative integer" },
	{ "dns = { cache_size = \"4X\"; };\n", "dns.cache_size: expected a size" },
	{ "dns = { cache_size = \"99999999999999999999G\"; };\n", "dns.cache_size: expected a size" },
	{ "limits = { header_count = true; };\n", "limits.header_count: expected an integer" },
	{ "authserv_id = \"two words\";\n", "authserv_id: must be a single token" },
	{ "authserv_id = \"x;y\";\n", "authserv_id: must be a single token" },
	{ "\nsocket \"inet:1@127.0.0.1\";\n", ":2: syntax:" },
	{ "socket = \"unterminated;\n", "syntax:" },
	{ "= 5;\n", "syntax:" },
	{ "\x01\x02\x03", "syntax:" },
};

static void
test_malformed_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		struct config cfg;
		char *err = load(bad_rows[i].text, &cfg);

		if (err == NULL)
			fail_msg("row %zu accepted: %s", i, bad_rows[i].text);
		if (strstr(err, bad_rows[i].want) == NULL || strstr(err, "t.conf:") == NULL)
			fail_msg("row %zu: error \"%s\" lacks \"%s\"", i, err, bad_rows[i].want);
		free(err);
		config_free(&cfg);
	}
}

static void
test_single_string_is_a_list(void **state)
{
	struct config cfg;
	char *err;

	(void)state;
	err = load("internal_hosts = \"192.0.2.0/24\";\n", &cfg);
	assert_null(err);
	assert_int_equal(cfg.internal_hosts.n, 1);
	assert_true(cidr_list_match_str(&cfg.internal_hosts, "192.0.2.9"));
	config_free(&cfg);
}

static void
test_missing_file(void **state)
{
	struct ct_errors e;
	struct config cfg;

	(void)state;
	ct_errors_init(&e);
	assert_false(config_load(&cfg, "/nonexistent/postern.conf", &e));
	assert_non_null(strstr(e.text.s, "/nonexistent/postern.conf:0: file: cannot read"));
	ct_errors_free(&e);
	config_free(&cfg);
}

static void
test_print_round_trip(void **state)
{
	struct config a, b;
	strbuf out1, out2;
	char *err, *path;
	struct ct_errors e;

	(void)state;
	err = load("internal_hosts = [ \"10.0.0.0/8\" ]; authserv_id = \"mx\";\n", &a);
	assert_null(err);
	sb_init(&out1);
	ct_print(config_keys, config_nkeys, &a, &out1);
	path = tu_write(dir, "printed.conf", out1.s);
	ct_errors_init(&e);
	assert_true(config_load(&b, path, &e));
	sb_init(&out2);
	ct_print(config_keys, config_nkeys, &b, &out2);
	assert_string_equal(out1.s, out2.s);
	sb_free(&out1);
	sb_free(&out2);
	ct_errors_free(&e);
	free(path);
	config_free(&a);
	config_free(&b);
}

/* ct_errors_text: the errors, or the caller's fallback when a failure
 * left no text (the tools print it either way). */
static void
test_errors_text(void **state)
{
	struct ct_errors e;

	(void)state;
	ct_errors_init(&e);
	assert_string_equal(ct_errors_text(&e, "fallback\n"), "fallback\n");
	ct_error(&e, "f.conf", 3, "dns.timeout", "out of range");
	assert_non_null(strstr(ct_errors_text(&e, "fallback\n"), "f.conf:3: dns.timeout"));
	ct_errors_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors_text),
		cmocka_unit_test(test_all_types),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_single_string_is_a_list),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_print_round_trip),
	};
	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
