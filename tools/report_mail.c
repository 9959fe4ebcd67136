/*
 * report_mail.c - delivering one aggregate report (RFC 9990 section 3):
 * the rua= mailto: destinations in order, each checked against the
 * suppression list and, when its host's organisational domain differs
 * from the policy domain's, verified by the external-destination record
 * <policy-domain>._report._dmarc.<host> (section 4, with its rua=
 * override on the same host); the size limit (dmarc_report.max_size and
 * a URI's "!size" suffix) and the rate limits (per run, per host); the
 * report e-mail (RFC 5322 + MIME, application/gzip attachment named
 * receiver!policy-domain!begin!end.xml.gz, the Subject of the RFC) piped
 * to sendmail -t, handed to an SMTP server (report_smtp.c) or written to
 * --dry-run DIR; a sent mark in the state
 * directory so the same report is not sent twice.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "postern/dmarc.h"
#include "postern/dns.h"
#include "report.h"

#define MAX_DEST REP_MAX_DEST
#define dest rep_dest

bool
rep_suppress_load(const char *path, struct strlist *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *e;

		while (isspace((unsigned char)*p))
			p++;
		e = p + strcspn(p, "# \t\r\n");
		*e = '\0';
		if (*p != '\0')
			strlist_add(out, p);
	}
	fclose(f);
	return true;
}

static bool
suppressed(const struct strlist *l, const char *addr, const char *host)
{
	return strlist_contains(l, addr) || strlist_contains(l, host);
}

static int
hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* mailto:local@host[!size] (percent-decoded) into d; false if unusable. */
static bool
parse_mailto(const char *u, size_t n, struct dest *d)
{
	size_t o = 0;
	const char *at, *bang;
	char unit;

	memset(d, 0, sizeof(*d));
	if (n < 7 || strncasecmp(u, "mailto:", 7) != 0)
		return false;
	u += 7;
	n -= 7;
	bang = memchr(u, '!', n);
	if (bang != NULL) {
		char *e;
		unsigned long long v = strtoull(bang + 1, &e, 10);

		unit = (char)tolower((unsigned char)*e);
		if (e == bang + 1 || (size_t)(e + (unit ? 1 : 0) - u) != n)
			return false;
		v *= unit == 'k' ? 1024ULL : unit == 'm' ? 1048576ULL : unit == 'g' ? 1073741824ULL :
		    unit == 't' ? 1099511627776ULL : 1;
		if (unit && !strchr("kmgt", unit))
			return false;
		d->limit = v;
		n = (size_t)(bang - u);
	}
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)u[i];

		if (c == '%' && i + 2 < n && hexv(u[i + 1]) >= 0 && hexv(u[i + 2]) >= 0) {
			c = hexv(u[i + 1]) * 16 + hexv(u[i + 2]);
			i += 2;
		}
		if (c <= ' ' || c >= 0x7f || strchr("<>()[]\\,;:\"?", c) != NULL || o + 1 >= sizeof(d->addr))
			return false;
		d->addr[o++] = (char)c;
	}
	d->addr[o] = '\0';
	at = strrchr(d->addr, '@');
	if (at == NULL || at == d->addr || at[1] == '\0' ||
	    !dmarc_domain_norm(at + 1, d->host, sizeof(d->host)))
		return false;
	return true;
}

enum verify { V_OK, V_NO, V_TEMP };

/* Section 4: is host willing to take reports for domain?  *over gets the
 * override rua= of its record ("" if none). */
static enum verify
verify_external(const char *domain, const char *host, char *over, size_t size)
{
	struct dns_answer a;
	strbuf name, txt;
	enum dns_status st;
	enum verify v = V_NO;

	over[0] = '\0';
	sb_init(&name);
	sb_init(&txt);
	sb_printf(&name, "%s._report._dmarc.%s", domain, host);
	if (name.len > 253) {
		sb_free(&name);
		return V_NO;
	}
	st = dns_query(name.s, 16, &a);
	if (st == DNS_TIMEOUT || st == DNS_SERVFAIL || st == DNS_ERROR)
		v = V_TEMP;
	for (size_t i = 0; v != V_TEMP && i < a.count; i++) {
		struct dmarc_record r;
		enum dmarc_rec_status rs;

		if (!dns_txt_join(&a, i, &txt))
			continue;
		rs = dmarc_record_parse(txt.s, txt.len, &r);
		if (rs == DMARC_REC_NOT_DMARC || rs == DMARC_REC_SYNTAX)
			continue;
		v = V_OK;
		if (r.rua[0] != '\0')
			strlcpy_ok(over, r.rua, size);
	}
	dns_answer_free(&a);
	sb_free(&name);
	sb_free(&txt);
	return v;
}

size_t
rep_destinations(const struct rep_opts *o, const char *domain, const char *rua,
    struct rep_run *run, struct rep_dest *out, bool *temp)
{
	char porg[DMARC_NAME_MAX], horg[DMARC_NAME_MAX], over[DMARC_RUA_MAX];
	size_t n = 0, pos = 0, len = strlen(rua);

	*temp = false;
	if (!dmarc_org_domain(domain, porg, sizeof(porg))) {
		*temp = true;
		return 0;
	}
	while (pos < len && n < MAX_DEST) {
		size_t end = pos + strcspn(rua + pos, ",");
		struct dest ds;

		if (!parse_mailto(rua + pos, end - pos, &ds)) {
			if (o->verbose)
				fprintf(stderr, "postern-report: %s: %.*s: not a usable mailto: URI, ignored\n",
				    domain, (int)(end - pos), rua + pos);
			pos = end + 1;
			continue;
		}
		pos = end + 1;
		if (!dmarc_org_domain(ds.host, horg, sizeof(horg))) {
			*temp = true;
			continue;
		}
		if (strcmp(horg, porg) != 0) {
			enum verify v = verify_external(domain, ds.host, over, sizeof(over));

			if (v == V_TEMP) {
				*temp = true;
				continue;
			}
			if (v == V_NO) {
				fprintf(stderr, "postern-report: %s: %s does not accept its reports "
				    "(no %s._report._dmarc.%s record), ignored\n", domain, ds.addr,
				    domain, ds.host);
				continue;
			}
			if (over[0] != '\0') {
				/* the override must name the same host, else neither is used */
				struct dest od;
				bool same = parse_mailto(over, strcspn(over, ","), &od) &&
				    strcmp(od.host, ds.host) == 0;

				if (!same) {
					fprintf(stderr, "postern-report: %s: the override of %s names another "
					    "host: no report to either\n", domain, ds.host);
					continue;
				}
				ds = od;
			}
		}
		if (suppressed(&run->suppressed, ds.addr, ds.host)) {
			if (o->verbose)
				fprintf(stderr, "postern-report: %s: %s is suppressed\n", domain, ds.addr);
			continue;
		}
		out[n++] = ds;
	}
	return n;
}

static void
b64_lines(const strbuf *in, strbuf *out)
{
	unsigned char enc[110];

	for (size_t i = 0; i < in->len; i += 57) {
		size_t k = in->len - i < 57 ? in->len - i : 57;
		int m = EVP_EncodeBlock(enc, (const unsigned char *)in->s + i, (int)k);

		sb_append(out, (const char *)enc, (size_t)m);
		sb_puts(out, "\r\n");
	}
}

static void
build_mail(const struct rep_opts *o, const struct rep_domain *d, const struct dest *ds,
    const char *rid, const char *fname, const strbuf *gz, strbuf *out)
{
	char date[64], boundary[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "=_postern_report_%lld", (long long)now);
	sb_reset(out);
	sb_printf(out, "From: %s\r\n", o->email);
	sb_printf(out, "To: %s\r\n", ds->addr);
	sb_printf(out, "Date: %s\r\n", date);
	sb_printf(out, "Subject: Report Domain: %s Submitter: %s\r\n Report-ID: <%s>\r\n",
	    d->domain, o->submitter, rid);
	sb_printf(out, "Message-ID: <%s>\r\n", rid);
	sb_puts(out, "Auto-Submitted: auto-generated\r\n");
	sb_puts(out, "MIME-Version: 1.0\r\n");
	sb_printf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary);
	sb_printf(out, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", boundary);
	sb_printf(out, "DMARC aggregate report (RFC 9990) for %s from %s,\r\n"
	    "period %lld to %lld (UTC seconds), %llu messages.\r\n\r\n", d->domain, o->submitter,
	    o->begin, o->end - 1, d->messages);
	sb_printf(out, "--%s\r\nContent-Type: application/gzip; name=\"%s\"\r\n"
	    "Content-Disposition: attachment; filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", boundary, fname, fname);
	b64_lines(gz, out);
	sb_printf(out, "\r\n--%s--\r\n", boundary);
}

bool
rep_pipe_to(const char *cmd, const strbuf *msg)
{
	char *copy = xstrdup(cmd), *argv[16], *save = NULL;
	int fds[2], status;
	size_t argc = 0;
	pid_t pid;
	bool ok = true;

	for (char *t = strtok_r(copy, " ", &save); t != NULL && argc + 1 < 16;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	if (argc == 0 || pipe(fds) != 0) {
		free(copy);
		return false;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		free(copy);
		return false;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	for (size_t off = 0; off < msg->len;) {
		ssize_t w = write(fds[1], msg->s + off, msg->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ok = false;
			break;
		}
		off += (size_t)w;
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(copy);
	return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool
rep_write_file(const char *path, const strbuf *b)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (f == NULL)
		return false;
	ok = fwrite(b->s, 1, b->len, f) == b->len;
	return fclose(f) == 0 && ok;
}

unsigned long long
rep_host_count(const struct strlist *l, const char *host)
{
	unsigned long long n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += strcmp(l->v[i], host) == 0;
	return n;
}

void
rep_deliver(const struct rep_opts *o, const struct rep_domain *d, struct rep_run *run)
{
	struct dest ds[MAX_DEST];
	strbuf rid, fname, xml, gz, mail, path, mark;
	size_t n;
	bool temp, failed = false;
	unsigned sent = 0;

	if (d->policy.rec.rua[0] == '\0')
		return;   /* no reports requested */
	if (strlist_contains(&run->suppressed, d->domain)) {
		run->skipped++;
		return;
	}
	sb_init(&rid);
	sb_init(&fname);
	sb_init(&xml);
	sb_init(&gz);
	sb_init(&mail);
	sb_init(&path);
	sb_init(&mark);
	sb_printf(&mark, "%s/%s!%lld!%lld", o->state_dir, d->domain, o->begin, o->end - 1);
	if (o->dry_run_dir == NULL && access(mark.s, F_OK) == 0) {
		if (o->verbose)
			fprintf(stderr, "postern-report: %s: already reported for this period\n", d->domain);
		run->skipped++;
		goto out;
	}
	sb_printf(&rid, "%lld.%s@%s", o->begin, d->domain, o->submitter);
	sb_printf(&fname, "%s!%s!%lld!%lld.xml.gz", o->submitter, d->domain, o->begin, o->end - 1);
	rep_xml(o, d, rid.s, &xml);
	if (!rep_gzip(xml.s, xml.len, &gz)) {
		run->failed++;
		goto out;
	}
	if (gz.len > o->max_size) {
		fprintf(stderr, "postern-report: %s: report of %zu bytes over dmarc_report.max_size, "
		    "not sent\n", d->domain, gz.len);
		run->skipped++;
		goto out;
	}
	n = rep_destinations(o, d->domain, d->policy.rec.rua, run, ds, &temp);
	if (o->dry_run_dir != NULL) {
		sb_printf(&path, "%s/%s", o->dry_run_dir, fname.s);
		if (!rep_write_file(path.s, &gz))
			failed = true;
	}
	for (size_t i = 0; i < n; i++) {
		if (ds[i].limit > 0 && gz.len > ds[i].limit) {
			fprintf(stderr, "postern-report: %s: report over %s's size limit, not sent\n",
			    d->domain, ds[i].addr);
			continue;
		}
		if (run->sent >= o->max_reports || rep_host_count(&run->hosts, ds[i].host) >= o->max_per_host) {
			fprintf(stderr, "postern-report: %s: rate limit reached, %s left for a later run\n",
			    d->domain, ds[i].addr);
			run->skipped++;
			temp = true;
			continue;
		}
		build_mail(o, d, &ds[i], rid.s, fname.s, &gz, &mail);
		if (o->dry_run_dir != NULL) {
			sb_reset(&path);
			sb_printf(&path, "%s/%s.%zu.eml", o->dry_run_dir, fname.s, i + 1);
			if (!rep_write_file(path.s, &mail)) {
				failed = true;
				continue;
			}
		} else if (o->smtp != NULL) {
			char err[512];

			if (!rep_smtp_send(o, ds[i].addr, &mail, err, sizeof(err))) {
				fprintf(stderr, "postern-report: %s: SMTP %s for %s: %s\n", d->domain,
				    o->smtp, ds[i].addr, err);
				failed = true;
				continue;
			}
		} else if (!rep_pipe_to(o->sendmail, &mail)) {
			fprintf(stderr, "postern-report: %s: \"%s\" failed for %s\n", d->domain,
			    o->sendmail, ds[i].addr);
			failed = true;
			continue;
		}
		strlist_add(&run->hosts, ds[i].host);
		run->sent++;
		sent++;
		if (o->verbose)
			fprintf(stderr, "postern-report: %s: report %s to %s\n", d->domain, fname.s, ds[i].addr);
	}
	if (failed || (temp && sent == 0))
		run->failed++;
	if (o->dry_run_dir == NULL && sent > 0 && !failed && !temp) {
		int fd = open(mark.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd >= 0)
			close(fd);
	}
out:
	sb_free(&rid);
	sb_free(&fname);
	sb_free(&xml);
	sb_free(&gz);
	sb_free(&mail);
	sb_free(&path);
	sb_free(&mark);
}
