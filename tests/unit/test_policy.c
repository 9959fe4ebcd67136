/* test_policy.c - policy directory loading, inheritance and resolution. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "testutil.h"
#include "postern/addr.h"
#include "postern/check_access.h"
#include "postern/policy.h"

static char *
mkpolicies(const char *const *files)
{
	char *dir = tu_mkdtemp();

	for (size_t i = 0; files[i] != NULL; i += 2)
		free(tu_write(dir, files[i], files[i + 1]));
	return dir;
}

static struct policy_set *
load(char *dir, char **errtext)
{
	struct ct_errors e;
	struct policy_set *ps;

	ct_errors_init(&e);
	ps = policy_set_load(dir, &e);
	*errtext = e.text.s ? xstrdup(e.text.s) : NULL;
	ct_errors_free(&e);
	return ps;
}

static void
test_builtin_default(void **state)
{
	const char *const files[] = { NULL };
	char *dir = mkpolicies(files), *err;
	struct policy_set *ps = load(dir, &err);

	(void)state;
	assert_non_null(ps);
	assert_null(err);
	assert_string_equal(policy_default(ps)->file, "built-in");
	assert_int_equal(policy_lookup(ps, "any.example")->max_message_size, 50ULL << 20);
	assert_int_equal(policy_lookup(ps, NULL)->mode, POLICY_ENFORCE);
	policy_set_free(ps);
	tu_rmdir(dir);
}

static void
test_inheritance_chain(void **state)
{
	const char *const files[] = {
		"default.conf", "max_message_size = \"20M\"; reply_url = \"https://d/\";\n",
		"example.com.conf", "max_message_size = \"10M\"; mode = \"observe\";\n",
		"sub.example.com.conf", "reply_url = \"https://sub/\";\n",
		"other.org.conf", "oversize_action = \"tempfail\";\n",
		NULL };
	char *dir = mkpolicies(files), *err;
	struct policy_set *ps = load(dir, &err);
	const struct policy *p;

	(void)state;
	assert_non_null(ps);
	assert_int_equal(policy_set_count(ps), 3);
	/* exact */
	p = policy_lookup(ps, "example.com");
	assert_string_equal(p->domain, "example.com");
	assert_int_equal(p->max_message_size, 10ULL << 20);
	assert_int_equal(p->mode, POLICY_OBSERVE);
	assert_string_equal(p->reply_url, "https://d/");  /* inherited from default */
	/* sub inherits example.com's keys, overrides only reply_url */
	p = policy_lookup(ps, "sub.example.com");
	assert_string_equal(p->domain, "sub.example.com");
	assert_int_equal(p->max_message_size, 10ULL << 20);
	assert_int_equal(p->mode, POLICY_OBSERVE);
	assert_string_equal(p->reply_url, "https://sub/");
	/* parent lookup, case and trailing dot */
	assert_string_equal(policy_lookup(ps, "a.b.SUB.Example.COM.")->domain, "sub.example.com");
	assert_string_equal(policy_lookup(ps, "mail.example.com")->domain, "example.com");
	/* no partial-label match */
	assert_string_equal(policy_lookup(ps, "notexample.com")->domain, "");
	assert_string_equal(policy_lookup(ps, "example.com.evil")->domain, "");
	p = policy_lookup(ps, "other.org");
	assert_int_equal(p->oversize_action, ACT_TEMPFAIL);
	assert_int_equal(p->max_message_size, 20ULL << 20);
	assert_int_equal(policy_set_loosest_size(ps), 20ULL << 20);
	assert_false(policy_set_all_observe(ps));
	policy_set_free(ps);
	tu_rmdir(dir);
}

static void
test_unlimited_is_loosest(void **state)
{
	const char *const files[] = { "big.example.conf", "max_message_size = 0;\n", NULL };
	char *dir = mkpolicies(files), *err;
	struct policy_set *ps = load(dir, &err);

	(void)state;
	assert_non_null(ps);
	assert_int_equal(policy_set_loosest_size(ps), 0);
	policy_set_free(ps);
	tu_rmdir(dir);
}

static const struct {
	const char *name;
	const char *text;
	const char *want;
} bad_rows[] = {
	{ "default.conf", "mode = \"loose\";\n", "default.conf:1: mode: not one of the allowed values" },
	{ "example.com.conf", "\nmax_mesage_size = 5;\n", "example.com.conf:2: max_mesage_size: unknown key" },
	{ "example.com.conf", "oversize_action = \"bounce\";\n", "oversize_action: expected accept" },
	{ "example.com.conf", "max_message_size = \"ten\";\n", "max_message_size: expected a size" },
	{ "example.com.conf", "add_authentication_results = \"yes\";\n", "add_authentication_results: expected true or false" },
	{ "Example.com.conf", "", "Example.com.conf:0: file name: not a lower-case domain" },
	{ "bad..domain.conf", "", "file name: not a lower-case domain" },
	{ "example.com.conf", "mode = ;\n", "example.com.conf:1: syntax:" },
};

static void
test_bad_files_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const char *files[] = { bad_rows[i].name, bad_rows[i].text, NULL };
		char *dir = mkpolicies(files), *err;
		struct policy_set *ps = load(dir, &err);

		if (ps != NULL)
			fail_msg("row %zu accepted", i);
		if (err == NULL || strstr(err, bad_rows[i].want) == NULL)
			fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err ? err : "", bad_rows[i].want);
		free(err);
		tu_rmdir(dir);
	}
}

/* The policy clauses of issue 16 (lists, TLS, submission, sender login,
 * HELO): values a policy file may hold, then as many malformed ones, each
 * refused with file:line: key: problem. */
static const char *const clause_good[] = {
	"deny = { senders = [ \"bulk.example\", \"a@b.example\", \"@c.example\" ]; };\n",
	"deny = { clients = [ \"203.0.113.0/24\", \"2001:db8::/32\", \"198.51.100.7\" ]; };\n",
	"deny = { helo = [ \"ylmf-pc\", \"[192.0.2.1]\" ]; recipients = [ \"x@example.com\" ]; action = \"tempfail\"; };\n",
	"allow = { clients = [ \"198.51.100.25\" ]; senders = [ \"alerts@partner.example\" ]; };\n",
	"allow = { helo = [ \"mx.partner.example\" ]; recipients = [ \"abuse@example.com\" ]; skip = [ \"spf\", \"attach\" ]; };\n",
	"allow = { skip = [ ]; senders = \"\"; };\n",
	"tls = { required = true; min_version = \"TLSv1.2\"; action = \"tempfail\"; };\n",
	"tls = { required_from = [ \"partner.example\" ]; min_cipher_bits = 128; deny_ciphers = [ \"RC4\", \"NULL\" ]; };\n",
	"tls = { required_outbound = true; min_version = \"TLSv1.3\"; };\n",
	"submission = { daemons = [ \"submission\", \"smtps\" ]; action = \"reject\"; };\n",
	"sender_login = { map = [ \"*@domain\", \"helpdesk support@example.com, example.org\" ]; action = \"tag\"; };\n",
	"sender_login = { internal = [ \"example.com\", \"noreply@example.org\" ]; };\n",
	"helo = { own_names = [ \"mx.example.com\" ]; own_addresses = [ \"192.0.2.1\", \"2001:db8::25\" ]; own_action = \"reject\"; };\n",
	"helo = { bare_ip_action = \"tag\"; non_fqdn_action = \"tempfail\"; unresolved_action = \"quarantine\"; };\n",
};

static const struct {
	const char *text;
	const char *want;
} clause_bad[] = {
	{ "deny = { senders = [ \"a@@b.example\" ]; };\n", ":1: deny.senders: element 1: \"a@@b.example\": not an address" },
	{ "\ndeny = { senders = [ \"ok.example\", \"bad..example\" ]; };\n", ":2: deny.senders: element 2: \"bad..example\": not a valid domain name" },
	{ "deny = { clients = [ \"192.0.2.1/24\" ]; };\n", "deny.clients: element 1: \"192.0.2.1/24\": not an IPv4/IPv6 address or prefix" },
	{ "deny = { clients = [ \"example.com\" ]; };\n", "deny.clients: element 1: \"example.com\": not an IPv4/IPv6" },
	{ "deny = { helo = [ \"[not-an-ip]\" ]; };\n", "deny.helo: element 1: \"[not-an-ip]\": not a valid domain name" },
	{ "deny = { recipients = [ 7 ]; };\n", "deny.recipients: element 1: expected a string" },
	{ "deny = { action = \"maybe\"; };\n", "deny.action: expected accept" },
	{ "deny = { senders = [ \"file:/nonexistent/deny.txt\" ]; };\n", "/nonexistent/deny.txt:0: deny.senders: cannot read" },
	{ "allow = { skip = [ \"size\" ]; };\n", "allow.skip: element 1: \"size\": not one of the allowed values" },
	{ "allow = { senders = [ \"a b@example.com\" ]; };\n", "allow.senders: element 1: \"a b@example.com\": control character or space" },
	{ "allow = { clients = [ \"10.0.0.0/33\" ]; };\n", "allow.clients: element 1: \"10.0.0.0/33\": not an IPv4/IPv6" },
	{ "tls = { min_version = \"TLSv9\"; };\n", ":1: tls.min_version: not one of the allowed values" },
	{ "tls = { min_version = \"tls1.2\"; };\n", "tls.min_version: not one of the allowed values" },
	{ "tls = { action = \"bounce\"; };\n", "tls.action: expected accept" },
	{ "tls = { required = \"yes\"; };\n", "tls.required: expected true or false" },
	{ "tls = { min_cipher_bits = 5000; };\n", "tls.min_cipher_bits: value out of range" },
	{ "tls = { required_from = [ \"user@partner.example\" ]; };\n", "tls.required_from: element 1: \"user@partner.example\": not a valid domain name" },
	{ "tls = { deny_ciphers = [ 5 ]; };\n", "tls.deny_ciphers: element 1: expected a string" },
	{ "submission = { daemons = 5; };\n", "submission.daemons: expected a quoted string" },
	{ "submission = { action = \"drop\"; };\n", "submission.action: expected accept" },
	{ "sender_login = { map = [ \"alice\" ]; };\n", "sender_login.map: element 1: \"alice\": expected LOGIN ADDRESS-OR-DOMAIN... or *@domain" },
	{ "sender_login = { map = [ \"*@example.com\" ]; };\n", "sender_login.map: element 1: \"*@example.com\": expected LOGIN" },
	{ "sender_login = { map = [ \"bob bad@@x\" ]; };\n", "sender_login.map: element 1: \"bob bad@@x\": not an address" },
	{ "sender_login = { internal = [ \"x@\" ]; };\n", "sender_login.internal: element 1: \"x@\": not a valid domain name" },
	{ "sender_login = { action = \"x\"; };\n", "sender_login.action: expected accept" },
	{ "helo = { own_action = \"x\"; };\n", "helo.own_action: expected accept" },
	{ "helo = { own_addresses = [ \"300.1.1.1\" ]; };\n", "helo.own_addresses: element 1: \"300.1.1.1\": not an IPv4/IPv6" },
	{ "helo = { own_names = [ \"a b\" ]; };\n", "helo.own_names: element 1: \"a b\": not a valid domain name" },
	{ "helo = { unresolved_action = 1; };\n", "helo.unresolved_action: expected a quoted string" },
	{ "helo = { bare_ip_actoin = \"reject\"; };\n", "helo.bare_ip_actoin: unknown key" },
};

static void
test_clause_values(void **state)
{
	(void)state;
	assert_true(NELEM(clause_bad) >= NELEM(clause_good));
	for (size_t i = 0; i < NELEM(clause_good); i++) {
		const char *files[] = { "example.com.conf", clause_good[i], NULL };
		char *dir = mkpolicies(files), *err;
		struct policy_set *ps = load(dir, &err);

		if (ps == NULL || err != NULL)
			fail_msg("good row %zu refused: %s", i, err ? err : "");
		policy_set_free(ps);
		tu_rmdir(dir);
	}
	for (size_t i = 0; i < NELEM(clause_bad); i++) {
		const char *files[] = { "example.com.conf", clause_bad[i].text, NULL };
		char *dir = mkpolicies(files), *err;
		struct policy_set *ps = load(dir, &err);

		if (ps != NULL)
			fail_msg("bad row %zu accepted", i);
		if (err == NULL || strstr(err, clause_bad[i].want) == NULL)
			fail_msg("bad row %zu: \"%s\" lacks \"%s\"", i, err ? err : "", clause_bad[i].want);
		/* the policy file's name, or the list file's, starts the message */
		if (strstr(clause_bad[i].want, "/nonexistent") == NULL && strstr(err, "example.com.conf:") == NULL)
			fail_msg("bad row %zu: no file name in \"%s\"", i, err);
		free(err);
		tu_rmdir(dir);
	}
}

/* {tls_version} as the MTA sends it, ranked like tls.min_version's choices
 * (any, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3); anything unknown ranks 0,
 * below every minimum. */
static void
test_tls_rank(void **state)
{
	static const struct { const char *v; unsigned rank; } rows[] = {
		{ "SSLv3", 1 }, { "TLSv1", 2 }, { "TLSv1.0", 2 }, { "TLSv1.1", 3 },
		{ "TLSv1.2", 4 }, { "TLSv1.3", 5 }, { "tlsv1.3", 5 },
		/* malformed or unknown */
		{ NULL, 0 }, { "", 0 }, { "TLSv1.", 0 }, { "TLSv1.10", 0 }, { "TLSv1.x", 0 },
		{ "TLSv2", 0 }, { "SSLv2", 0 }, { "TLSv1.3 ", 0 }, { "DTLSv1.2", 0 }, { "TLS", 0 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++)
		if (check_access_tls_rank(rows[i].v) != rows[i].rank)
			fail_msg("row %zu \"%s\": got %u want %u", i, rows[i].v ? rows[i].v : "(null)",
			    check_access_tls_rank(rows[i].v), rows[i].rank);
}

static void
test_missing_dir(void **state)
{
	char *err;
	struct policy_set *ps = load((char *)"/nonexistent/policies", &err);

	(void)state;
	assert_null(ps);
	assert_non_null(strstr(err, "/nonexistent/policies:0: policy_dir: cannot open directory"));
	free(err);
}

static void
test_address_domain(void **state)
{
	char buf[64];

	(void)state;
	assert_true(address_domain("User@Example.COM", buf, sizeof(buf)));
	assert_string_equal(buf, "example.com");
	assert_true(address_domain("<a@b.example.>", buf, sizeof(buf)));
	assert_string_equal(buf, "b.example");
	assert_true(address_domain("\"x@y\"@z.example", buf, sizeof(buf)));
	assert_string_equal(buf, "z.example");
	assert_false(address_domain("", buf, sizeof(buf)));
	assert_false(address_domain("postmaster", buf, sizeof(buf)));
	assert_false(address_domain("a@", buf, sizeof(buf)));
	assert_false(address_domain("a@.", buf, sizeof(buf)));
	assert_false(address_domain("a@0123456789012345678901234567890123456789012345678901234567890123456789", buf, sizeof(buf)));
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Issue 17: a host with thousands of domain files.  The directory is read
 * in readdir order and sorted once (policy.c resolve_all), not per
 * insert: 20,000 files (10,000 domains, each with a subdomain that
 * inherits from it) load in well under a second of CPU on the test
 * machine; sorting the list again after each insert took minutes. */
#define MANY 10000
static void
test_many_domain_files(void **state)
{
	char *dir = tu_mkdtemp(), *err, name[64], text[64];
	struct policy_set *ps;
	double t0, cpu;

	(void)state;
	/* written in descending name order: nothing arrives sorted */
	for (int i = MANY - 1; i >= 0; i--) {
		snprintf(name, sizeof(name), "d%05d.example.conf", i);
		snprintf(text, sizeof(text), "max_message_size = \"%dK\";\n", i + 1);
		free(tu_write(dir, name, text));
		snprintf(name, sizeof(name), "sub.d%05d.example.conf", i);
		free(tu_write(dir, name, "reply_url = \"https://sub/\";\n"));
	}
	t0 = cpu_seconds();
	ps = load(dir, &err);
	cpu = cpu_seconds() - t0;
	print_message("%d policy files loaded in %.3f s of CPU\n", 2 * MANY, cpu);
	assert_non_null(ps);
	assert_null(err);
	assert_int_equal(policy_set_count(ps), 2 * MANY);
	for (int i = 0; i < MANY; i += 97) {
		const struct policy *p;
		char dom[64];

		snprintf(dom, sizeof(dom), "d%05d.example", i);
		p = policy_lookup(ps, dom);
		assert_string_equal(p->domain, dom);
		assert_int_equal(p->max_message_size, (unsigned long long)(i + 1) << 10);
		assert_true(p->reply_url == NULL || p->reply_url[0] == '\0');   /* the built-in default */
		snprintf(dom, sizeof(dom), "x.sub.d%05d.example", i);
		p = policy_lookup(ps, dom);
		assert_string_equal(p->domain, dom + 2);
		assert_int_equal(p->max_message_size, (unsigned long long)(i + 1) << 10);  /* inherited */
		assert_string_equal(p->reply_url, "https://sub/");
	}
	assert_string_equal(policy_lookup(ps, "d99999.example")->domain, "");
	/* the bound is generous (sanitizer builds, a loaded machine); a
	 * per-insert sort of 20,000 entries is far above it */
	if (cpu > 5.0)
		fail_msg("%d policy files took %.2f s of CPU to load", 2 * MANY, cpu);
	policy_set_free(ps);
	tu_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_default),
		cmocka_unit_test(test_inheritance_chain),
		cmocka_unit_test(test_unlimited_is_loosest),
		cmocka_unit_test(test_bad_files_table),
		cmocka_unit_test(test_clause_values),
		cmocka_unit_test(test_tls_rank),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_address_domain),
		cmocka_unit_test(test_many_domain_files),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
