/* test_metrics.c - the metrics registry: its mirrored name tables equal
 * action_name() and dns_status_name(); counts land where they belong and
 * out-of-range input is dropped; histograms render cumulative; the check
 * name table stops at its size without harm. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postern/dns.h"
#include "postern/metrics.h"
#include "postern/verdict.h"

static void
test_names_mirror(void **state)
{
	(void)state;
	for (int a = ACT_ACCEPT; a <= ACT_REJECT; a++)
		assert_string_equal(metrics_action_name(a), action_name((enum action)a));
	assert_null(metrics_action_name(ACT_REJECT + 1));
	for (int s = DNS_OK; s <= DNS_ERROR; s++)
		assert_string_equal(metrics_dns_name(s), dns_status_name((enum dns_status)s));
	assert_null(metrics_dns_name(DNS_ERROR + 1));
}

static char *
render(void)
{
	strbuf sb;

	sb_init(&sb);
	metrics_render(&sb);
	return sb.s;
}

/* the value of the sample line starting with key (exactly), -1 if none */
static long long
value(const char *text, const char *key)
{
	const char *p = text;
	size_t n = strlen(key);

	while ((p = strstr(p, key)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

static const struct {
	int outbound, action;
	const char *check;
	unsigned code;
} msgs[] = {
	{ 0, ACT_ACCEPT, NULL, 0 },
	{ 0, ACT_ACCEPT, NULL, 0 },
	{ 0, ACT_REJECT, "spf", 550 },
	{ 0, ACT_TEMPFAIL, "spf", 451 },
	{ 0, ACT_REJECT, "attach", 554 },
	{ 1, ACT_ACCEPT, NULL, 0 },
	{ 0, ACT_TAG, "dkim", 0 },
	{ 0, ACT_REJECT + 1, "bogus", 550 },   /* dropped: no such action */
	{ 0, -1, NULL, 550 },                  /* dropped */
	{ 0, ACT_REJECT, "size", 250 },        /* code outside 4xx/5xx: not a reply */
	{ 0, ACT_REJECT, "size", 600 },
};

static void
test_counts(void **state)
{
	char *t;

	(void)state;
	metrics_reset();
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		metrics_message(msgs[i].outbound, msgs[i].action, msgs[i].check, msgs[i].code);
	t = render();
	assert_int_equal(value(t, "postern_messages_total{direction=\"inbound\",verdict=\"accept\"}"), 2);
	assert_int_equal(value(t, "postern_messages_total{direction=\"inbound\",verdict=\"reject\"}"), 4);
	assert_int_equal(value(t, "postern_messages_total{direction=\"inbound\",verdict=\"tempfail\"}"), 1);
	assert_int_equal(value(t, "postern_messages_total{direction=\"inbound\",verdict=\"tag\"}"), 1);
	assert_int_equal(value(t, "postern_messages_total{direction=\"outbound\",verdict=\"accept\"}"), 1);
	assert_int_equal(value(t, "postern_replies_total{code=\"550\"}"), 1);
	assert_int_equal(value(t, "postern_replies_total{code=\"451\"}"), 1);
	assert_int_equal(value(t, "postern_replies_total{code=\"554\"}"), 1);
	assert_int_equal(value(t, "postern_replies_total{code=\"250\"}"), -1);
	assert_int_equal(value(t, "postern_replies_total{code=\"600\"}"), -1);
	assert_int_equal(value(t, "postern_decisions_total{check=\"spf\",action=\"reject\"}"), 1);
	assert_int_equal(value(t, "postern_decisions_total{check=\"spf\",action=\"tempfail\"}"), 1);
	assert_int_equal(value(t, "postern_decisions_total{check=\"size\",action=\"reject\"}"), 2);
	assert_int_equal(value(t, "postern_decisions_total{check=\"dkim\",action=\"tag\"}"), 1);
	assert_null(strstr(t, "bogus"));
	free(t);
}

static void
test_histogram_cumulative(void **state)
{
	static const uint64_t ns[] = { 50000, 100000, 100001, 2000000, 7000000000ULL, 0 };
	char *t;

	(void)state;
	metrics_reset();
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		metrics_phase(MP_EOM, ns[i]);
	metrics_phase(MP_NPHASES, 1);   /* dropped */
	metrics_dns(DNS_TIMEOUT, 1000000);
	metrics_dns(99, 1);             /* counted as error */
	t = render();
	/* bounds are inclusive: 100000 ns is in le=0.0001 */
	assert_int_equal(value(t, "postern_phase_duration_seconds_bucket{phase=\"eom\",le=\"0.0001\"}"), 3);
	assert_int_equal(value(t, "postern_phase_duration_seconds_bucket{phase=\"eom\",le=\"0.0005\"}"), 4);
	assert_int_equal(value(t, "postern_phase_duration_seconds_bucket{phase=\"eom\",le=\"0.005\"}"), 5);
	assert_int_equal(value(t, "postern_phase_duration_seconds_bucket{phase=\"eom\",le=\"5\"}"), 5);
	assert_int_equal(value(t, "postern_phase_duration_seconds_bucket{phase=\"eom\",le=\"+Inf\"}"), 6);
	assert_int_equal(value(t, "postern_phase_duration_seconds_count{phase=\"eom\"}"), 6);
	assert_int_equal(value(t, "postern_phase_duration_seconds_count{phase=\"helo\"}"), 0);
	assert_non_null(strstr(t, "postern_phase_duration_seconds_sum{phase=\"eom\"} 7.002250001\n"));
	assert_int_equal(value(t, "postern_dns_queries_total{result=\"timeout\"}"), 1);
	assert_int_equal(value(t, "postern_dns_queries_total{result=\"error\"}"), 1);
	assert_int_equal(value(t, "postern_dns_query_duration_seconds_count"), 2);
	free(t);
}

static void
test_check_table_full(void **state)
{
	static char names[40][8];
	char *t;

	(void)state;
	metrics_reset();
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		metrics_message(0, ACT_REJECT, names[i], 550);
	}
	t = render();
	assert_int_equal(value(t, "postern_decisions_total{check=\"c0\",action=\"reject\"}"), 1);
	assert_int_equal(value(t, "postern_messages_total{direction=\"inbound\",verdict=\"reject\"}"), 40);
	assert_int_equal(value(t, "postern_replies_total{code=\"550\"}"), 40);
	free(t);
	metrics_connection(1);
	metrics_connection(1);
	metrics_connection(-1);
	t = render();
	assert_int_equal(value(t, "postern_connections_total"), 2);
	assert_int_equal(value(t, "postern_connections_active"), 1);
	free(t);
}

static const struct {
	const char *clause;
	bool counted;
} clauses[] = {
	{ "spf=pass smtp.mailfrom=a@example.org", true },
	{ "spf=pass smtp.mailfrom=b@example.org", true },
	{ "dkim=fail reason=\"body hash did not verify\" header.d=example.org", true },
	{ "dmarc=none header.from=example.org", true },
	{ "dkim=pass", true },
	{ "dkim=permerror;x", true },
	{ "SPF=pass", false },                        /* upper case: not ours */
	{ "spf=", false },
	{ "=pass", false },
	{ "no clause", false },
	{ "spf=pa\"ss x", false },                    /* a quote in the result */
	{ "averyveryverylongmethodname=pass", false },  /* over 23 bytes */
};

static void
test_auth_results(void **state)
{
	char *t;
	char name[32];

	(void)state;
	metrics_reset();
	for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++)
		metrics_auth_result(clauses[i].clause);
	metrics_auth_result(NULL);
	t = render();
	assert_int_equal(value(t, "postern_auth_results_total{method=\"spf\",result=\"pass\"}"), 2);
	assert_int_equal(value(t, "postern_auth_results_total{method=\"dkim\",result=\"fail\"}"), 1);
	assert_int_equal(value(t, "postern_auth_results_total{method=\"dkim\",result=\"pass\"}"), 1);
	assert_int_equal(value(t, "postern_auth_results_total{method=\"dkim\",result=\"permerror\"}"), 1);
	assert_int_equal(value(t, "postern_auth_results_total{method=\"dmarc\",result=\"none\"}"), 1);
	assert_null(strstr(t, "SPF"));
	assert_null(strstr(t, "averyvery"));
	assert_null(strstr(t, "pa\""));
	free(t);
	/* the table stops at 64 pairs */
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "m%d=r", i);
		metrics_auth_result(name);
	}
	t = render();
	assert_int_equal(value(t, "postern_auth_results_total{method=\"m0\",result=\"r\"}"), 1);
	assert_int_equal(value(t, "postern_auth_results_total{method=\"m99\",result=\"r\"}"), -1);
	free(t);
}

/* outbound signing: signatures added and failed, messages left unsigned */
static void
test_dkim_sign(void **state)
{
	static const struct { unsigned nsigned, nfailed; int unsigned_msg; } rows[] = {
		{ 2, 0, 0 },   /* RSA and Ed25519 */
		{ 1, 1, 0 },   /* one key could not sign */
		{ 0, 0, 1 },   /* no key for the From domain */
		{ 0, 1, 0 },   /* the only key failed: not "unsigned for a reason" */
		{ 0, 0, 0 },
	};
	char *t;

	(void)state;
	metrics_reset();
	t = render();
	assert_int_equal(value(t, "postern_dkim_signatures_total{result=\"signed\"}"), 0);
	assert_int_equal(value(t, "postern_dkim_unsigned_total"), 0);
	free(t);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		metrics_dkim_sign(rows[i].nsigned, rows[i].nfailed, rows[i].unsigned_msg);
	t = render();
	assert_int_equal(value(t, "postern_dkim_signatures_total{result=\"signed\"}"), 3);
	assert_int_equal(value(t, "postern_dkim_signatures_total{result=\"failed\"}"), 2);
	assert_int_equal(value(t, "postern_dkim_unsigned_total"), 1);
	assert_non_null(strstr(t, "# TYPE postern_dkim_signatures_total counter\n"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_mirror),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_histogram_cumulative),
		cmocka_unit_test(test_check_table_full),
		cmocka_unit_test(test_auth_results),
		cmocka_unit_test(test_dkim_sign),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
