/*
 * metrics.h - process-wide counters and latency histograms (lock-free
 * atomics), rendered as Prometheus text.  Counted by the pipeline (one
 * call per message summary, one per phase call), by dns.c (queries and
 * their outcomes), by the checks (authentication results, DKIM signing)
 * and by the milter shell (connections).  Read by the
 * metrics endpoint (filter/milter/metrics_http.c) and the tests.
 */
#ifndef POSTERN_METRICS_H
#define POSTERN_METRICS_H

#include <stdint.h>

#include "postern/util.h"

/* pipeline phases with a latency histogram */
enum metrics_phase {
	MP_CONNECT, MP_HELO, MP_ENVFROM, MP_ENVRCPT, MP_HEADER, MP_EOH, MP_BODY, MP_EOM,
	MP_NPHASES
};

/* what one DNS query came to (dns.c's enum dns_status, in that order) */
#define METRICS_NDNS 6

/* A finished transaction: direction 0 inbound / 1 outbound, the verdict's
 * action (enum action), the deciding check (NULL: none) and the reply code
 * (0: none).  Called once per summary line. */
void metrics_message(int outbound, int action, const char *check, unsigned code);
/* One authentication result as Authentication-Results reports it: the
 * clause "method=result ..." (spf=pass, dkim=fail, dmarc=none ...).
 * Methods and results outside [a-z0-9_-] or over 23 bytes, and pairs past
 * the table's 64, are dropped.  Called by check_authres.c's authres_add. */
void metrics_auth_result(const char *clause);
/* Outbound DKIM signing of one message: signatures added, signatures a
 * configured key could not make (dkim_sign_failed=), and whether it went
 * out unsigned for a reason the summary names (dkim_sign="...").  Called
 * by check_dkim.c at end of message, outbound only. */
void metrics_dkim_sign(unsigned nsigned, unsigned nfailed, int unsigned_msg);
/* One phase call took ns nanoseconds. */
void metrics_phase(enum metrics_phase p, uint64_t ns);
/* One DNS query ended with status st (enum dns_status) after ns. */
void metrics_dns(int st, uint64_t ns);
/* A milter connection opened (+1) or closed (-1). */
void metrics_connection(int delta);

/* Monotonic clock in nanoseconds (for the phase timings). */
uint64_t metrics_now(void);

/* Append the Prometheus text exposition (format 0.0.4) to out. */
void metrics_render(strbuf *out);
/* A part above this layer that renders gauges of its own at the end of
 * metrics_render (the state store's size: check_bayes_metrics); set once
 * at start-up, NULL for none. */
void metrics_set_source(void (*render)(strbuf *out));
/* The mirrored name tables (tests/unit/test_metrics.c compares them with
 * action_name() and dns_status_name()); NULL out of range. */
const char *metrics_action_name(int a);
const char *metrics_dns_name(int st);
/* Zero everything (tests). */
void metrics_reset(void);

#endif
