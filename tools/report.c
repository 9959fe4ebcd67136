/*
 * postern-report - DMARC aggregate reports (RFC 9990) from the report
 * spool the daemon writes (dmarc_report.spool_dir, dmarc_spool.h).
 *
 *   postern-report [-c FILE] [--spool DIR] [--day YYYY-MM-DD | --period BEGIN:END]
 *                  [--dry-run DIR] [--sendmail CMD | --smtp HOST[:PORT]]
 *                  [--state DIR] [--failure] [-v]
 *
 * Reads every host's spool files of the period (several hosts' files in one
 * directory merge), builds one report per DMARC Policy Domain (the final
 * policy configuration seen, one row per source and result), and sends it
 * to the rua= destinations that pass the external-destination check,
 * within the size and rate limits and the suppression list
 * (report_mail.c).  --dry-run writes the .xml.gz and .eml files instead.
 * The default period is yesterday (UTC).  A report sent is marked in the
 * state directory so a second run does not send it again.
 * --failure sends the failure reports (RFC 9991) of SPOOL_DIR/failure
 * instead (report_failure.c): every record not sent yet, no period.
 * Exit: 0 ok, 1 a report could not be delivered, 2 usage or config error.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "postern/config.h"
#include "postern/dns.h"
#include "postern/log.h"
#include "report.h"

#define DEFAULT_CONF SYSCONFDIR "/postern/postern.conf"
#define BUCKETS 65536
#define MAX_ROWS 200000    /* distinct rows kept in one run */

struct agg {
	struct rep_row *bucket[BUCKETS];
	struct rep_domain *domains;
	size_t ndomains, nrows;
	unsigned long long lines, bad, out_of_period, dropped_rows;
};

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The row key: everything a row of the report shows, and the domain. */
static void
row_key(const struct dmarc_spool_rec *r, strbuf *k)
{
	sb_reset(k);
	sb_printf(k, "%s|%s|%s|%s|%s|%s|%d|%d|%s|%s|%s|%s|%s", r->policy_domain, r->ip,
	    r->header_from, r->env_from, r->env_to, dmarc_disp_name(r->disp), r->dkim_aligned,
	    r->spf_aligned, r->override_type, r->override_comment, r->spf_domain, r->spf_scope,
	    r->spf_res);
	for (size_t i = 0; i < r->ndkim; i++)
		sb_printf(k, "|%s,%s,%s", r->dkim[i].d, r->dkim[i].s, r->dkim[i].res);
}

static struct rep_domain *
domain_of(struct agg *a, const char *name)
{
	struct rep_domain *d;

	for (d = a->domains; d != NULL; d = d->next)
		if (strcmp(d->domain, name) == 0)
			return d;
	d = xmalloc(sizeof(*d));
	memset(d, 0, sizeof(*d));
	strlcpy_ok(d->domain, name, sizeof(d->domain));
	d->policy_ts = -1;
	d->next = a->domains;
	a->domains = d;
	a->ndomains++;
	return d;
}

static void
add_record(struct agg *a, const struct dmarc_spool_rec *r, strbuf *key)
{
	struct rep_domain *d = domain_of(a, r->policy_domain);
	unsigned h;
	struct rep_row *row;

	d->messages++;
	if (r->ts >= d->policy_ts) {
		d->policy = *r;
		d->policy_ts = r->ts;
	}
	row_key(r, key);
	h = hash(key->s) % BUCKETS;
	for (row = a->bucket[h]; row != NULL; row = row->next)
		if (strcmp(row->key, key->s) == 0) {
			row->count++;
			return;
		}
	if (a->nrows >= MAX_ROWS) {
		a->dropped_rows++;
		return;
	}
	row = xmalloc(sizeof(*row));
	row->key = xstrdup(key->s);
	row->count = 1;
	row->rec = *r;
	row->next = a->bucket[h];
	a->bucket[h] = row;
	a->nrows++;
	if (d->nrows == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->rows = realloc(d->rows, d->cap * sizeof(*d->rows));
		if (d->rows == NULL)
			abort();
	}
	d->rows[d->nrows++] = row;
}

/* One spool file: lines in [begin, end) join the aggregate. */
static void
read_file(struct agg *a, const char *path, const struct rep_opts *o)
{
	FILE *f = fopen(path, "r");
	char *buf = xmalloc(DMARC_SPOOL_LINE_MAX + 2);
	struct dmarc_spool_rec *r = xmalloc(sizeof(*r));
	strbuf key;

	sb_init(&key);
	if (f == NULL) {
		fprintf(stderr, "postern-report: %s: %s\n", path, strerror(errno));
		goto out;
	}
	while (fgets(buf, DMARC_SPOOL_LINE_MAX + 2, f) != NULL) {
		size_t n = strlen(buf);

		if (n > 0 && buf[n - 1] != '\n' && !feof(f)) {
			int c;   /* over-long: skip to the end of the line */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			a->bad++;
			continue;
		}
		a->lines++;
		if (dmarc_spool_parse(buf, n, r) != DMARC_SPOOL_OK) {
			a->bad++;
			continue;
		}
		if (r->ts < o->begin || r->ts >= o->end) {
			a->out_of_period++;
			continue;
		}
		add_record(a, r, &key);
	}
	fclose(f);
out:
	sb_free(&key);
	free(r);
	free(buf);
}

/* HOST-YYYYMMDD.spool: the day as seconds since the epoch, or -1. */
static long long
file_day(const char *name)
{
	size_t n = strlen(name);
	struct tm tm;

	if (n < 15 || strcmp(name + n - 6, ".spool") != 0 || name[n - 15] != '-')
		return -1;
	memset(&tm, 0, sizeof(tm));
	for (size_t i = n - 14; i < n - 6; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	tm.tm_year = atoi((char[]){ name[n - 14], name[n - 13], name[n - 12], name[n - 11], 0 }) - 1900;
	tm.tm_mon = atoi((char[]){ name[n - 10], name[n - 9], 0 }) - 1;
	tm.tm_mday = atoi((char[]){ name[n - 8], name[n - 7], 0 });
	return (long long)timegm(&tm);
}

/* Read the period's files; with expire > 0, remove files older than it. */
static bool
read_spool(struct agg *a, const char *dir, const struct rep_opts *o, long long expire_before)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	strbuf path;

	if (dh == NULL) {
		fprintf(stderr, "postern-report: %s: %s\n", dir, strerror(errno));
		return false;
	}
	sb_init(&path);
	while ((de = readdir(dh)) != NULL) {
		long long day = file_day(de->d_name);

		if (day < 0)
			continue;
		sb_reset(&path);
		sb_printf(&path, "%s/%s", dir, de->d_name);
		if (day + 86400 > o->begin && day < o->end)
			read_file(a, path.s, o);
		else if (expire_before > 0 && day + 86400 <= expire_before && o->dry_run_dir == NULL)
			unlink(path.s);
	}
	closedir(dh);
	sb_free(&path);
	return true;
}

static int
cmp_domain(const void *x, const void *y)
{
	const struct rep_domain *a = *(struct rep_domain *const *)x, *b = *(struct rep_domain *const *)y;

	return strcmp(a->domain, b->domain);
}

static bool
parse_period(const char *s, long long *begin, long long *end)
{
	char *e;
	long long b = strtoll(s, &e, 10), x;

	if (e == s || *e != ':')
		return false;
	x = strtoll(e + 1, &e, 10);
	if (*e != '\0' || b < 0 || x <= b)
		return false;
	*begin = b;
	*end = x;
	return true;
}

static bool
parse_day(const char *s, long long *begin, long long *end)
{
	struct tm tm;
	char *e;

	memset(&tm, 0, sizeof(tm));
	e = strptime(s, "%Y-%m-%d", &tm);
	if (e == NULL || *e != '\0')
		return false;
	*begin = (long long)timegm(&tm);
	*end = *begin + 86400;
	return true;
}

static void
usage(int st)
{
	fprintf(st ? stderr : stdout,
	    "usage: postern-report [-c FILE] [--spool DIR] [--day YYYY-MM-DD | --period BEGIN:END]\n"
	    "                      [--dry-run DIR] [--sendmail CMD | --smtp HOST[:PORT]]\n"
	    "                      [--state DIR] [--failure] [-v]\n"
	    "  builds one DMARC aggregate report (RFC 9990) per policy domain of the period\n"
	    "  (default: yesterday, UTC) from dmarc_report.spool_dir and sends it to the\n"
	    "  verified rua= addresses (sendmail -t, or SMTP to HOST, port 25 by default);\n"
	    "  --dry-run DIR writes the .xml.gz and .eml files;\n"
	    "  --failure sends the failure reports (RFC 9991, ruf=) not sent yet instead\n");
	exit(st);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "spool", required_argument, NULL, 's' }, { "day", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' }, { "dry-run", required_argument, NULL, 'n' },
		{ "sendmail", required_argument, NULL, 'm' }, { "state", required_argument, NULL, 'S' },
		{ "smtp", required_argument, NULL, 'M' }, { "failure", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *conf = DEFAULT_CONF, *spool = NULL;
	struct config cfg;
	struct ct_errors errs;
	struct rep_opts o;
	struct rep_run run;
	struct agg *a;
	struct rep_domain **list;
	strbuf email, state;
	char err[256];
	long long now = (long long)time(NULL);
	bool have_period = false, failure = false;
	int ch, rc = 0;

	memset(&o, 0, sizeof(o));
	o.end = now - now % 86400;
	o.begin = o.end - 86400;
	while ((ch = getopt_long(argc, argv, "c:vh", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 's': spool = optarg; break;
		case 'd':
			if (!parse_day(optarg, &o.begin, &o.end))
				usage(2);
			have_period = true;
			break;
		case 'p':
			if (!parse_period(optarg, &o.begin, &o.end))
				usage(2);
			have_period = true;
			break;
		case 'n': o.dry_run_dir = optarg; break;
		case 'm': o.sendmail = optarg; break;
		case 'M': o.smtp = optarg; break;
		case 'S': o.state_dir = optarg; break;
		case 'v': o.verbose = true; break;
		case 'F': failure = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	(void)have_period;
	if (optind != argc)
		usage(2);
	signal(SIGPIPE, SIG_IGN);   /* a sendmail that exits early is a failure, not our death */
	log_open("postern-report", 0, true);
	ct_errors_init(&errs);
	if (!config_load(&cfg, conf, &errs)) {
		fputs(ct_errors_text(&errs, "postern-report: configuration error\n"), stderr);
		ct_errors_free(&errs);
		config_free(&cfg);
		return 2;
	}
	ct_errors_free(&errs);
	if (spool == NULL)
		spool = cfg.dmarc_report_spool;
	if (spool == NULL || *spool == '\0') {
		fprintf(stderr, "postern-report: %s: dmarc_report.spool_dir is not set\n", conf);
		config_free(&cfg);
		return 2;
	}
	o.submitter = cfg.dmarc_report_submitter[0] ? cfg.dmarc_report_submitter : cfg.authserv_id;
	o.org_name = cfg.dmarc_report_org[0] ? cfg.dmarc_report_org : o.submitter;
	sb_init(&email);
	if (cfg.dmarc_report_email[0])
		sb_puts(&email, cfg.dmarc_report_email);
	else
		sb_printf(&email, "dmarc-noreply@%s", o.submitter);
	o.email = email.s;
	/* --smtp, else --sendmail, else dmarc_report.smtp, else dmarc_report.sendmail */
	if (o.smtp == NULL && o.sendmail == NULL && cfg.dmarc_report_smtp[0])
		o.smtp = cfg.dmarc_report_smtp;
	if (o.sendmail == NULL)
		o.sendmail = cfg.dmarc_report_sendmail;
	if (o.smtp != NULL && *o.smtp == '\0')
		o.smtp = NULL;
	o.smtp_timeout = cfg.dmarc_report_smtp_timeout;
	o.smtp_tls = (enum rep_tls)cfg.dmarc_report_smtp_tls;
	o.max_size = cfg.dmarc_report_max_size;
	o.max_reports = cfg.dmarc_report_max_reports;
	o.max_per_host = cfg.dmarc_report_max_per_host;
	o.suppress_file = cfg.dmarc_report_suppress[0] ? cfg.dmarc_report_suppress : NULL;
	sb_init(&state);
	if (o.state_dir == NULL) {
		if (cfg.dmarc_report_state[0])
			sb_puts(&state, cfg.dmarc_report_state);
		else
			sb_printf(&state, "%s/sent", spool);
		o.state_dir = state.s;
	}
	if (o.dry_run_dir == NULL && mkdir(o.state_dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "postern-report: %s: %s\n", o.state_dir, strerror(errno));
		goto early;
	}
	{
		struct dns_options dopt = { .nameservers = &cfg.dns_nameservers,
			.timeout_ms = (unsigned)cfg.dns_timeout, .cache_size = cfg.dns_cache_size };
		if (!dns_init(&dopt, err, sizeof(err))) {
			fprintf(stderr, "postern-report: %s\n", err);
			goto early;
		}
	}
	memset(&run, 0, sizeof(run));
	if (o.suppress_file != NULL && !rep_suppress_load(o.suppress_file, &run.suppressed, err, sizeof(err))) {
		fprintf(stderr, "postern-report: %s\n", err);
		strlist_free(&run.suppressed);
		dns_shutdown();
		goto early;
	}
	if (failure) {
		strbuf fdir;

		sb_init(&fdir);
		sb_printf(&fdir, "%s/failure", spool);
		if (!rep_failure_run(&o, fdir.s, cfg.dmarc_report_failure_per_hour,
		    now - (long long)cfg.dmarc_report_keep_days * 86400, &run))
			rc = 1;
		printf("postern-report: failure reports: %llu sent, %llu skipped, %llu failed\n",
		    run.sent, run.skipped, run.failed);
		sb_free(&fdir);
		strlist_free(&run.hosts);
		strlist_free(&run.suppressed);
		dns_shutdown();
		sb_free(&email);
		sb_free(&state);
		config_free(&cfg);
		return rc;
	}
	a = xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	if (!read_spool(a, spool, &o, now - (long long)cfg.dmarc_report_keep_days * 86400)) {
		rc = 2;
		goto done;
	}
	list = xmalloc((a->ndomains + 1) * sizeof(*list));
	{
		size_t i = 0;
		for (struct rep_domain *d = a->domains; d != NULL; d = d->next)
			list[i++] = d;
		qsort(list, a->ndomains, sizeof(*list), cmp_domain);
	}
	for (size_t i = 0; i < a->ndomains; i++)
		rep_deliver(&o, list[i], &run);
	free(list);
	printf("postern-report: period %lld-%lld: %llu records (%llu unreadable, %llu outside), "
	    "%zu domains, %zu rows%s; reports: %llu sent, %llu skipped, %llu failed\n",
	    o.begin, o.end - 1, a->lines - a->bad - a->out_of_period, a->bad, a->out_of_period,
	    a->ndomains, a->nrows, a->dropped_rows ? " (row limit reached)" : "", run.sent,
	    run.skipped, run.failed);
	if (run.failed > 0)
		rc = 1;
done:
	for (size_t h = 0; h < BUCKETS; h++)
		for (struct rep_row *r = a->bucket[h], *nx; r != NULL; r = nx) {
			nx = r->next;
			free(r->key);
			free(r);
		}
	for (struct rep_domain *d = a->domains, *nx; d != NULL; d = nx) {
		nx = d->next;
		free(d->rows);
		free(d);
	}
	free(a);
	strlist_free(&run.hosts);
	strlist_free(&run.suppressed);
	dns_shutdown();
	sb_free(&email);
	sb_free(&state);
	config_free(&cfg);
	return rc;
early:   /* before anything was read: free what the options and config hold */
	sb_free(&email);
	sb_free(&state);
	config_free(&cfg);
	return 2;
}
