/*
 * config.c - the main configuration table, loading, validation, printing.
 * Called by snapshot.c (start, -t, -n, reload) and main.c.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postern/config.h"
#include "postern/log.h"

#define OFF(f) offsetof(struct config, f)
#define U64MAX (~0ULL)

static const char *const canon_choices[] = { "relaxed/relaxed", "relaxed/simple",
	"simple/simple", "simple/relaxed", NULL };
static const char *const format_choices[] = { "text", "json", NULL };
static const char *const smtp_tls_choices[] = { "may", "none", "encrypt", NULL };   /* enum rep_tls */
static const char *const store_error_choices[] = { "tempfail", "continue", NULL };
static const char *const level_choices[] = { "error", "warning", "notice",
	"info", "debug", NULL };

const struct ct_key config_keys[] = {
	{ "socket", CT_STRING, OFF(socket), "inet:8891@127.0.0.1", 0, 0, NULL,
	  "milter socket: unix:/path or inet:PORT@ADDR (inet6:PORT@ADDR)" },
	{ "socket_owner", CT_STRING, OFF(socket_owner), "", 0, 0, NULL,
	  "unix socket owner as user or user:group; empty keeps the creator" },
	{ "socket_mode", CT_OCTAL, OFF(socket_mode), "0660", 0, 0, NULL,
	  "unix socket permissions" },
	{ "socket_quickack", CT_BOOL, OFF(socket_quickack), "true", 0, 0, NULL,
	  "inet socket: ACK each packet of the MTA at once (TCP_QUICKACK after every read of libmilter 1.0.1), so an MTA with Nagle on does not wait for a delayed ACK" },
	{ "pid_file", CT_STRING, OFF(pid_file), "", 0, 0, NULL,
	  "file that receives the daemon's pid; empty for none" },
	{ "user", CT_STRING, OFF(user), "", 0, 0, NULL,
	  "user to switch to after binding the socket; empty keeps the current" },
	{ "syslog_facility", CT_FACILITY, OFF(syslog_facility), "mail", 0, 0, NULL,
	  "syslog facility" },
	{ "log_level", CT_ENUM, OFF(log_level), "info", 0, 0, level_choices,
	  "how much to log" },
	{ "log_format", CT_ENUM, OFF(log_format), "text", 0, 0, format_choices,
	  "form of the one summary line per message: text (key=value) or json (one object, for log shippers)" },
	{ "authserv_id", CT_STRING, OFF(authserv_id), "", 0, 0, NULL,
	  "authserv-id of Authentication-Results; empty means the host name" },
	{ "internal_hosts", CT_CIDRLIST, OFF(internal_hosts), "127.0.0.0/8 ::1/128", 0, 0, NULL,
	  "clients whose mail is outbound (signed, not SPF-checked)" },
	{ "trusted_hosts", CT_CIDRLIST, OFF(trusted_hosts), NULL, 0, 0, NULL,
	  "inbound clients that skip SPF (e.g. backup MX, forwarders you trust)" },
	{ "originating_daemons", CT_STRLIST, OFF(originating_daemons), NULL, 0, 0, NULL,
	  "MTA {daemon_name} values that mark mail as outbound (e.g. submission)" },
	{ "policy_dir", CT_STRING, OFF(policy_dir), SYSCONFDIR "/postern/policies", 0, 0, NULL,
	  "directory with default.conf and one DOMAIN.conf per domain" },
	{ "dns.nameservers", CT_STRLIST, OFF(dns_nameservers), NULL, 0, 0, NULL,
	  "forward queries to these servers (ADDR or ADDR@PORT); empty uses resolv.conf" },
	{ "dns.timeout", CT_UINT, OFF(dns_timeout), "5000", 100, 60000, NULL,
	  "milliseconds before a query counts as failed (temperror)" },
	{ "dns.cache_size", CT_SIZE, OFF(dns_cache_size), "4M", 65536, 1ULL << 32, NULL,
	  "resolver cache size in bytes" },
	{ "limits.header_count", CT_UINT, OFF(max_header_count), "1000", 10, 100000, NULL,
	  "most header fields in one message" },
	{ "limits.header_bytes", CT_SIZE, OFF(max_header_bytes), "1M", 1024, 64ULL << 20, NULL,
	  "most bytes in one message's header block" },
	{ "limits.recipients", CT_UINT, OFF(max_recipients), "1000", 1, 100000, NULL,
	  "most recipients in one transaction (later ones get 452 4.5.3)" },
	{ "limits.connections", CT_UINT, OFF(max_connections), "4000", 1, 1000000, NULL,
	  "most milter connections served at once; mail on later ones gets 451 4.3.2 at MAIL FROM" },
	{ "dkim.keys", CT_STRLIST, OFF(dkim_keys), NULL, 0, 0, NULL,
	  "signing keys, \"domain:selector:/path/key.pem\"; mail from a domain is signed with each of its keys" },
	{ "dkim.sign_subdomains", CT_BOOL, OFF(dkim_sign_subdomains), "false", 0, 0, NULL,
	  "also sign mail whose From domain is a subdomain of a key's domain" },
	{ "dkim.canonicalization", CT_ENUM, OFF(dkim_canon), "relaxed/relaxed", 0, 0, canon_choices,
	  "header/body canonicalization of signatures postern makes" },
	{ "dkim.max_signatures", CT_UINT, OFF(dkim_max_signatures), "8", 1, 64, NULL,
	  "signatures verified per message; later ones are reported as dkim=policy" },
	{ "dkim.min_key_bits", CT_UINT, OFF(dkim_min_key_bits), "1024", 512, 16384, NULL,
	  "smallest RSA key accepted when verifying (RFC 8301: 1024)" },
	{ "spam.dnsbl", CT_STRLIST, OFF(spam_dnsbl), NULL, 0, 0, NULL,
	  "DNS lists for the client address, \"NAME ZONE score=S [codes=127.0.0.2,...] [mask=N]\" (negative score: an allowlist); asked at connect, rule dnsbl_NAME" },
	{ "spam.uribl", CT_STRLIST, OFF(spam_uribl), NULL, 0, 0, NULL,
	  "URI lists for the registered domains of links in text and HTML parts, rows as spam.dnsbl; rule uribl_NAME" },
	{ "spam.uribl_max_domains", CT_UINT, OFF(spam_uribl_max_domains), "20", 1, 64, NULL,
	  "distinct link domains looked up per message (later ones are counted, not asked)" },
	{ "spam.spamd", CT_STRING, OFF(spam_spamd), "", 0, 0, NULL,
	  "SpamAssassin spamd (ADDR:PORT) that gets each message as it streams in; empty for none (rule spamd)" },
	{ "spam.spamd_timeout", CT_UINT, OFF(spam_spamd_timeout), "10000", 100, 120000, NULL,
	  "milliseconds spamd may take for one message before it counts as down (rule spamd_error)" },
	{ "spam.spamd_max_size", CT_SIZE, OFF(spam_spamd_max_size), "512K", 1024, 64ULL << 20, NULL,
	  "larger messages are not sent to spamd" },
	{ "store.url", CT_STRING, OFF(store), "", 0, 0, NULL,
	  "the state store of the classifier and the rate limits: lmdb:/var/lib/postern/state.mdb (one file, this host) or redis:HOST:PORT[/DB] (shared by several hosts); empty: neither runs" },
	{ "store.timeout", CT_UINT, OFF(store_timeout), "200", 10, 10000, NULL,
	  "milliseconds one store call may take; a slower or absent store skips the classifier (rule bayes_error) and fails the rate limits (store.on_error)" },
	{ "store.on_error", CT_ENUM, OFF(store_on_error), "tempfail", 0, 0, store_error_choices,
	  "what mail under a rate limit gets while the store fails (full disk, map full, down, slow): tempfail (451 4.3.0, the limit is never passed unchecked) or continue (counted as rate=down); the classifier is skipped either way" },
	{ "store.map_size", CT_SIZE, OFF(store_map_size), "1G", 1ULL << 20, 1ULL << 40, NULL,
	  "LMDB: the largest the file may grow" },
	{ "bayes.min_learns", CT_UINT, OFF(bayes_min_learns), "200", 1, 1000000, NULL,
	  "the classifier scores only once this many spam and this many ham messages are trained (postern-learn)" },
	{ "rate.window", CT_UINT, OFF(rate_window), "3600", 1, 86400, NULL,
	  "seconds over which the rate.* limits of the policies count messages and recipients" },
	{ "metrics.listen", CT_STRING, OFF(metrics_listen), "", 0, 0, NULL,
	  "Prometheus metrics over HTTP (GET /metrics): inet:PORT@ADDR with a loopback ADDR, or unix:/path; empty: off" },
	{ "dmarc_report.spool_dir", CT_STRING, OFF(dmarc_report_spool), "", 0, 0, NULL,
	  "directory for the DMARC report spool (one line per evaluated message, read by "
	  "postern-report); empty records nothing" },
	{ "dmarc_report.queue", CT_UINT, OFF(dmarc_report_queue), "4096", 16, 1000000, NULL,
	  "spool lines waiting for the disk at most; more are dropped (counted), never waited for" },
	{ "dmarc_report.org_name", CT_STRING, OFF(dmarc_report_org), "", 0, 0, NULL,
	  "postern-report: the reporting organisation (org_name); empty means the submitter" },
	{ "dmarc_report.email", CT_STRING, OFF(dmarc_report_email), "", 0, 0, NULL,
	  "postern-report: the reports' From address and contact; empty means "
	  "dmarc-noreply@SUBMITTER" },
	{ "dmarc_report.submitter", CT_STRING, OFF(dmarc_report_submitter), "", 0, 0, NULL,
	  "postern-report: the receiver's domain in Subject and file names; empty means authserv_id" },
	{ "dmarc_report.sendmail", CT_STRING, OFF(dmarc_report_sendmail), "/usr/sbin/sendmail -t -oi", 0, 0, NULL,
	  "postern-report: the command a report e-mail is piped to (split at spaces)" },
	{ "dmarc_report.smtp", CT_STRING, OFF(dmarc_report_smtp), "", 0, 0, NULL,
	  "postern-report: send reports by SMTP to HOST[:PORT] (port 25 by default, [IPv6]:PORT) "
	  "instead of dmarc_report.sendmail; empty uses sendmail" },
	{ "dmarc_report.smtp_tls", CT_ENUM, OFF(dmarc_report_smtp_tls), "may", 0, 0, smtp_tls_choices,
	  "postern-report over SMTP: STARTTLS when offered (may), never (none), or required "
	  "(encrypt); certificates are not verified" },
	{ "dmarc_report.smtp_timeout", CT_UINT, OFF(dmarc_report_smtp_timeout), "60", 1, 3600, NULL,
	  "postern-report over SMTP: seconds to wait for each connect, read and write" },
	{ "dmarc_report.max_size", CT_SIZE, OFF(dmarc_report_max_size), "10M", 1024, 1ULL << 32, NULL,
	  "postern-report: a report (compressed) larger than this is not sent" },
	{ "dmarc_report.max_reports", CT_UINT, OFF(dmarc_report_max_reports), "1000", 1, 1000000, NULL,
	  "postern-report: reports sent in one run at most (rate limit)" },
	{ "dmarc_report.max_per_host", CT_UINT, OFF(dmarc_report_max_per_host), "100", 1, 1000000, NULL,
	  "postern-report: reports to one destination host in one run at most (rate limit)" },
	{ "dmarc_report.suppress_file", CT_STRING, OFF(dmarc_report_suppress), "", 0, 0, NULL,
	  "postern-report: addresses, domains or policy domains (one a line) never sent a report" },
	{ "dmarc_report.state_dir", CT_STRING, OFF(dmarc_report_state), "", 0, 0, NULL,
	  "postern-report: where sent reports are marked (no duplicates); empty means SPOOL_DIR/sent" },
	{ "dmarc_report.keep_days", CT_UINT, OFF(dmarc_report_keep_days), "14", 1, 3650, NULL,
	  "postern-report: spool files and sent marks older than this many days are removed" },
	{ "dmarc_report.failure", CT_BOOL, OFF(dmarc_report_failure), "false", 0, 0, NULL,
	  "record DMARC failure reports (RFC 9991) for domains whose record has ruf= and whose fo= "
	  "the message meets: the redacted header fields, no body, into SPOOL_DIR/failure "
	  "(postern-report --failure sends them)" },
	{ "dmarc_report.failure_per_hour", CT_UINT, OFF(dmarc_report_failure_per_hour), "10", 1, 1000000, NULL,
	  "postern-report --failure: failure reports to one destination domain per hour at most "
	  "(rate limit)" },
};
const size_t config_nkeys = NELEM(config_keys);

static bool
valid_socket(const char *s)
{
	return strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0 ||
	    strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0 ||
	    s[0] == '/';
}

/* The metrics endpoint is never exposed beyond the host: a unix socket or a
 * loopback address. */
static bool
valid_metrics_listen(const char *s)
{
	const char *at;
	char *end;
	unsigned long port;

	if (strncmp(s, "unix:/", 6) == 0 || strncmp(s, "local:/", 7) == 0)
		return true;
	if (strncmp(s, "inet:", 5) == 0)
		s += 5;
	else if (strncmp(s, "inet6:", 6) == 0)
		s += 6;
	else
		return false;
	port = strtoul(s, &end, 10);
	if (end == s || *end != '@' || port == 0 || port > 65535)
		return false;
	at = end + 1;
	return (strncmp(at, "127.", 4) == 0 && strspn(at, "0123456789.") == strlen(at)) ||
	    strcmp(at, "::1") == 0 || strcmp(at, "[::1]") == 0;
}

bool
config_load(struct config *cfg, const char *path, struct ct_errors *errs)
{
	unsigned before = errs->count;
	char host[256];

	memset(cfg, 0, sizeof(*cfg));
	ct_defaults(config_keys, config_nkeys, cfg);
	cfg->file = xstrdup(path);
	if (!ct_load(config_keys, config_nkeys, cfg, path, NULL, errs))
		return false;
	if (!valid_socket(cfg->socket))
		ct_error(errs, path, 0, "socket", "\"%s\" is not unix:/path or inet:PORT@ADDR", cfg->socket);
	if (cfg->authserv_id[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0)
			strlcpy_ok(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		free(cfg->authserv_id);
		cfg->authserv_id = xstrdup(host);
	}
	if (cfg->metrics_listen[0] != '\0' && !valid_metrics_listen(cfg->metrics_listen))
		ct_error(errs, path, 0, "metrics.listen",
		    "\"%s\" is not unix:/path, inet:PORT@127.x.y.z or inet6:PORT@::1", cfg->metrics_listen);
	if (strpbrk(cfg->authserv_id, " \t;()\"\\") != NULL)
		ct_error(errs, path, 0, "authserv_id", "must be a single token (no spaces, ';', '(' or quotes)");
	return errs->count == before;
}

void
config_free(struct config *cfg)
{
	ct_free(config_keys, config_nkeys, cfg);
	free(cfg->file);
	cfg->file = NULL;
}

void
config_print(const struct config *cfg, strbuf *out)
{
	sb_printf(out, "# effective configuration from %s\n", cfg->file);
	ct_print(config_keys, config_nkeys, cfg, out);
}

/* Read once at start: the socket, privileges, pid file, syslog and the
 * resolver's servers and cache (libunbound is set up once).  A SIGUSR1
 * reload applies every other key, and all of the policies and keys. */
static const char *const restart_keys[] = { "socket", "socket_owner", "socket_mode", "socket_quickack",
	"pid_file", "user", "syslog_facility", "dns.nameservers", "dns.cache_size",
	"metrics.listen" };

bool
config_restart_key(const char *name)
{
	for (size_t i = 0; i < sizeof(restart_keys) / sizeof(restart_keys[0]); i++)
		if (strcmp(name, restart_keys[i]) == 0)
			return true;
	return false;
}

void
config_restart_changes(const struct config *old, const struct config *cur, strbuf *out)
{
	strbuf a, b;

	sb_init(&a);
	sb_init(&b);
	for (size_t i = 0; i < config_nkeys; i++) {
		if (!config_restart_key(config_keys[i].name))
			continue;
		a.len = b.len = 0;
		ct_print(&config_keys[i], 1, old, &a);
		ct_print(&config_keys[i], 1, cur, &b);
		if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0)
			sb_printf(out, "%s%s", out->len ? ", " : "", config_keys[i].name);
	}
	sb_free(&a);
	sb_free(&b);
}
