/*
 * report_failure.c - postern-report --failure: DMARC failure reports
 * (RFC 9991) from the failure spool the daemon writes (SPOOL_DIR/failure,
 * dmarc_failure.h).  Each record not handled yet goes, as one RFC 6591
 * ARF message (multipart/report; report-type=feedback-report, Feedback-
 * Type: auth-failure, Auth-Failure: dmarc, the redacted header fields as
 * text/rfc822-headers, no body), to each ruf= destination that passes the
 * same checks as aggregate reports (mailto: only, external-destination
 * verification, suppression list: report_mail.c), at most per_hour to one
 * destination domain per hour; a report over the limit is dropped
 * (counted), never queued.  What was handled is marked by the byte offset
 * reached in each spool file (STATE_DIR/failure!FILE), so a second run
 * sends nothing twice; --dry-run reads everything and marks nothing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "postern/dmarc_failure.h"
#include "report.h"

static void
rfc5322_date(long long ts, char *out, size_t size)
{
	time_t t = (time_t)ts;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* The spooled header fields as text/rfc822-headers: CRLF line ends, no
 * bare CR or NUL, no line that could end the MIME part (every line of a
 * header block starts with a field name or white space). */
static void
put_headers(const char *h, strbuf *out)
{
	bool bol = true;

	for (const char *p = h; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n') {
			sb_puts(out, "\r\n");
			bol = true;
			continue;
		}
		if (bol && *p == '-')
			sb_putc(out, ' ');
		sb_putc(out, *p);
		bol = false;
	}
	if (!bol)
		sb_puts(out, "\r\n");
}

static bool
eight_bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

void
rep_failure_mail(const struct rep_opts *o, const struct dmarc_failure_rec *r, const char *to,
    strbuf *out)
{
	char now[64], arrival[64], boundary[80];
	long long t = (long long)time(NULL);
	const char *align = r->spf_aligned && r->dkim_aligned ? "dkim, spf" :
	    r->dkim_aligned ? "dkim" : r->spf_aligned ? "spf" : "none";

	rfc5322_date(t, now, sizeof(now));
	rfc5322_date(r->ts, arrival, sizeof(arrival));
	snprintf(boundary, sizeof(boundary), "=_postern_failure_%lld_%lld", t, r->ts);
	sb_reset(out);
	sb_printf(out, "From: %s\r\n", o->email);
	sb_printf(out, "To: %s\r\n", to);
	sb_printf(out, "Date: %s\r\n", now);
	sb_printf(out, "Subject: DMARC failure report for %s from %s\r\n", r->header_from, o->submitter);
	sb_printf(out, "Message-ID: <%lld.%lld.%s.failure@%s>\r\n", r->ts, t, r->ip, o->submitter);
	sb_puts(out, "Auto-Submitted: auto-generated\r\n");
	sb_puts(out, "MIME-Version: 1.0\r\n");
	sb_printf(out, "Content-Type: multipart/report; report-type=feedback-report;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n", boundary);
	sb_printf(out, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", boundary);
	sb_printf(out, "This is a DMARC failure report (RFC 9991) for a message with From\r\n"
	    "domain %s received from %s at %s.\r\nIts addresses are redacted and its body "
	    "is left out.\r\n\r\n", r->header_from, r->ip, arrival);
	sb_printf(out, "--%s\r\nContent-Type: message/feedback-report\r\n\r\n", boundary);
	sb_puts(out, "Feedback-Type: auth-failure\r\n");
	sb_puts(out, "User-Agent: postern-report/" PACKAGE_VERSION "\r\n");
	sb_puts(out, "Version: 1\r\n");
	sb_puts(out, "Auth-Failure: dmarc\r\n");
	sb_printf(out, "Authentication-Results: %s; dmarc=%s header.from=%s\r\n", o->submitter,
	    r->result == DMARC_PASS ? "pass" : "fail", r->header_from);
	sb_printf(out, "Identity-Alignment: %s\r\n", align);
	sb_printf(out, "Arrival-Date: %s\r\n", arrival);
	sb_printf(out, "Source-IP: %s\r\n", r->ip);
	sb_printf(out, "Reported-Domain: %s\r\n", r->header_from);
	sb_printf(out, "Reporting-MTA: dns; %s\r\n", o->submitter);
	sb_printf(out, "\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n", boundary);
	if (eight_bit(r->hdrs))
		sb_puts(out, "Content-Transfer-Encoding: 8bit\r\n");
	sb_puts(out, "\r\n");
	put_headers(r->hdrs, out);
	sb_printf(out, "\r\n--%s--\r\n", boundary);
}

/* Reports sent to host in this hour: the STATE_DIR/failure-rate!HOST!HOUR
 * file, one byte per report, counts this run's and earlier runs'; a dry
 * run counts its own only. */
static unsigned long long
sent_this_hour(const struct rep_opts *o, const struct rep_run *run, const char *tag,
    strbuf *path)
{
	struct stat st;

	if (o->dry_run_dir != NULL)
		return rep_host_count(&run->hosts, tag);
	sb_reset(path);
	sb_printf(path, "%s/failure-rate!%s", o->state_dir, tag);
	return stat(path->s, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

static void
count_sent(const struct rep_opts *o, const strbuf *path)
{
	int fd;

	if (o->dry_run_dir != NULL)
		return;
	fd = open(path->s, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (write(fd, ".", 1) != 1)
			fprintf(stderr, "postern-report: %s: %s\n", path->s, strerror(errno));
		close(fd);
	}
}

/* One record to its destinations.  False when it must be tried again
 * (a DNS failure or a delivery that failed). */
static bool
deliver_one(const struct rep_opts *o, const struct dmarc_failure_rec *r,
    unsigned long long per_hour, struct rep_run *run, unsigned long long seq)
{
	struct rep_dest ds[REP_MAX_DEST];
	strbuf mail, path, tag;
	bool temp, ok = true;
	size_t n;
	long long hour = (long long)time(NULL) / 3600;

	if (strlist_contains(&run->suppressed, r->policy_domain)) {
		run->skipped++;
		return true;
	}
	n = rep_destinations(o, r->policy_domain, r->ruf, run, ds, &temp);
	sb_init(&mail);
	sb_init(&path);
	sb_init(&tag);
	for (size_t i = 0; i < n; i++) {
		sb_reset(&tag);
		sb_printf(&tag, "%s!%lld", ds[i].host, hour);
		if (sent_this_hour(o, run, tag.s, &path) >= per_hour) {
			fprintf(stderr, "postern-report: %s: failure report rate limit for %s reached "
			    "(dmarc_report.failure_per_hour), report to %s dropped\n", r->policy_domain,
			    ds[i].host, ds[i].addr);
			run->skipped++;
			continue;
		}
		rep_failure_mail(o, r, ds[i].addr, &mail);
		if (ds[i].limit > 0 && mail.len > ds[i].limit) {
			run->skipped++;
			continue;
		}
		if (o->dry_run_dir != NULL) {
			strbuf f;

			sb_init(&f);
			sb_printf(&f, "%s/failure!%s!%lld!%llu.%zu.eml", o->dry_run_dir, r->policy_domain,
			    r->ts, seq, i + 1);
			if (!rep_write_file(f.s, &mail))
				ok = false;
			sb_free(&f);
			if (!ok)
				continue;
		} else if (o->smtp != NULL) {
			char err[512];

			if (!rep_smtp_send(o, ds[i].addr, &mail, err, sizeof(err))) {
				fprintf(stderr, "postern-report: %s: SMTP %s for %s: %s\n", r->policy_domain,
				    o->smtp, ds[i].addr, err);
				ok = false;
				continue;
			}
		} else if (!rep_pipe_to(o->sendmail, &mail)) {
			fprintf(stderr, "postern-report: %s: \"%s\" failed for %s\n", r->policy_domain,
			    o->sendmail, ds[i].addr);
			ok = false;
			continue;
		}
		strlist_add(&run->hosts, tag.s);
		count_sent(o, &path);
		run->sent++;
		if (o->verbose)
			fprintf(stderr, "postern-report: %s: failure report to %s\n", r->policy_domain,
			    ds[i].addr);
	}
	sb_free(&mail);
	sb_free(&path);
	sb_free(&tag);
	if (!ok || (temp && n == 0)) {
		run->failed++;
		return false;
	}
	return true;
}

static long long
read_offset(const char *path)
{
	FILE *f = fopen(path, "r");
	long long off = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lld", &off) != 1 || off < 0)
		off = 0;
	fclose(f);
	return off;
}

static void
write_offset(const char *path, long long off)
{
	strbuf tmp;
	FILE *f;

	sb_init(&tmp);
	sb_printf(&tmp, "%s.tmp", path);
	f = fopen(tmp.s, "w");
	if (f != NULL) {
		bool ok = fprintf(f, "%lld\n", off) > 0;
		if (fclose(f) == 0 && ok && rename(tmp.s, path) == 0) {
			sb_free(&tmp);
			return;
		}
	}
	fprintf(stderr, "postern-report: %s: %s\n", path, strerror(errno));
	unlink(tmp.s);
	sb_free(&tmp);
}

/* One spool file from its mark on; the mark moves past what was handled. */
static bool
run_file(const struct rep_opts *o, const char *dir, const char *name,
    unsigned long long per_hour, struct rep_run *run, unsigned long long *seq)
{
	strbuf path, mark;
	char *buf = xmalloc(DMARC_SPOOL_LINE_MAX + 2);
	struct dmarc_failure_rec *r = xmalloc(sizeof(*r));
	long long off;
	bool ok = true;
	FILE *f;

	sb_init(&path);
	sb_init(&mark);
	sb_printf(&path, "%s/%s", dir, name);
	sb_printf(&mark, "%s/failure!%s", o->state_dir, name);
	off = o->dry_run_dir != NULL ? 0 : read_offset(mark.s);
	f = fopen(path.s, "r");
	if (f == NULL || fseeko(f, (off_t)off, SEEK_SET) != 0) {
		fprintf(stderr, "postern-report: %s: %s\n", path.s, strerror(errno));
		ok = false;
		goto out;
	}
	while (fgets(buf, DMARC_SPOOL_LINE_MAX + 2, f) != NULL) {
		size_t n = strlen(buf);

		if (n == 0 || buf[n - 1] != '\n')
			break;   /* a line still being written, or over-long: the next run */
		(*seq)++;
		if (!dmarc_failure_parse(buf, n, r)) {
			fprintf(stderr, "postern-report: %s: an unreadable failure record, skipped\n",
			    path.s);
			run->skipped++;
		} else if (!deliver_one(o, r, per_hour, run, *seq)) {
			ok = false;
			break;   /* keep it and what follows for the next run */
		}
		off += (long long)n;
	}
	if (o->dry_run_dir == NULL)
		write_offset(mark.s, off);
out:
	if (f != NULL)
		fclose(f);
	sb_free(&path);
	sb_free(&mark);
	free(buf);
	free(r);
	return ok;
}

/* Rate counters of past hours are of no more use. */
static void
expire_rates(const struct rep_opts *o)
{
	DIR *dh;
	struct dirent *de;
	long long hour = (long long)time(NULL) / 3600;
	strbuf path;

	if (o->dry_run_dir != NULL || (dh = opendir(o->state_dir)) == NULL)
		return;
	sb_init(&path);
	while ((de = readdir(dh)) != NULL) {
		const char *bang = strrchr(de->d_name, '!');

		if (strncmp(de->d_name, "failure-rate!", 13) != 0 || bang == NULL ||
		    strtoll(bang + 1, NULL, 10) >= hour)
			continue;
		sb_reset(&path);
		sb_printf(&path, "%s/%s", o->state_dir, de->d_name);
		unlink(path.s);
	}
	closedir(dh);
	sb_free(&path);
}

/* A spool file all of whose records were handled and that was last
 * written before expire_before goes, with its mark. */
static void
expire_file(const struct rep_opts *o, const char *dir, const char *name, long long expire_before)
{
	strbuf path, mark;
	struct stat st;

	if (o->dry_run_dir != NULL || expire_before <= 0)
		return;
	sb_init(&path);
	sb_init(&mark);
	sb_printf(&path, "%s/%s", dir, name);
	sb_printf(&mark, "%s/failure!%s", o->state_dir, name);
	if (stat(path.s, &st) == 0 && (long long)st.st_mtime < expire_before &&
	    read_offset(mark.s) == (long long)st.st_size && unlink(path.s) == 0)
		unlink(mark.s);
	sb_free(&path);
	sb_free(&mark);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool
rep_failure_run(const struct rep_opts *o, const char *dir, unsigned long long per_hour,
    long long expire_before, struct rep_run *run)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	struct strlist names;
	unsigned long long seq = 0;
	bool ok = true;

	if (dh == NULL) {
		expire_rates(o);
		if (errno == ENOENT)
			return true;   /* nothing recorded yet */
		fprintf(stderr, "postern-report: %s: %s\n", dir, strerror(errno));
		return false;
	}
	memset(&names, 0, sizeof(names));
	while ((de = readdir(dh)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 6 && strcmp(de->d_name + n - 6, ".spool") == 0)
			strlist_add(&names, de->d_name);
	}
	closedir(dh);
	qsort(names.v, names.n, sizeof(*names.v), cmp_name);
	for (size_t i = 0; i < names.n; i++)
		if (!run_file(o, dir, names.v[i], per_hour, run, &seq))
			ok = false;
		else
			expire_file(o, dir, names.v[i], expire_before);
	strlist_free(&names);
	expire_rates(o);
	return ok;
}
