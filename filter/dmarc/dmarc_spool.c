/*
 * dmarc_spool.c - the DMARC report spool: the line format (format and
 * parse, (buf, len), bounded) and the writer thread that appends queued
 * lines to DIR/HOST-YYYYMMDD.spool (O_APPEND, one write per line, so
 * several writers and hosts' files never interleave within a line).
 * Called by check_dmarc.c (writer, per snapshot) and postern-report
 * (parser); the format is in dmarc_spool.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "postern/dmarc_spool.h"
#include "postern/log.h"

/* ---- format ------------------------------------------------------------ */

static bool
plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("._@:/+!*-", c) != NULL);
}

void
dmarc_spool_enc(strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (plain(*p)) {
			sb_putc(out, (char)*p);
		} else {
			sb_putc(out, '%');
			sb_putc(out, hex[*p >> 4]);
			sb_putc(out, hex[*p & 15]);
		}
	}
}

static void
pair(strbuf *out, const char *key, const char *val)
{
	sb_printf(out, " %s=", key);
	dmarc_spool_enc(out, val);
}

const char *
dmarc_disp_name(enum dmarc_disp d)
{
	static const char *const n[] = { "none", "pass", "quarantine", "reject" };

	return (unsigned)d < NELEM(n) ? n[d] : "none";
}

bool
dmarc_spool_format(const struct dmarc_spool_rec *r, strbuf *out)
{
	const struct dmarc_record *d = &r->rec;
	static const char *const psd[] = { "u", "y", "n" };

	sb_reset(out);
	sb_printf(out, "v=1 ts=%lld", r->ts);
	pair(out, "host", r->host);
	pair(out, "ip", r->ip);
	pair(out, "from", r->header_from);
	pair(out, "mfrom", r->env_from);
	pair(out, "rcpt", r->env_to);
	pair(out, "pdom", r->policy_domain);
	sb_printf(out, " p=%s sp=%s np=%s adkim=%c aspf=%c t=%c psd=%s psdrec=%d",
	    dmarc_policy_name(d->p), dmarc_policy_name(d->sp), dmarc_policy_name(d->np),
	    d->adkim_strict ? 's' : 'r', d->aspf_strict ? 's' : 'r', d->testing ? 'y' : 'n',
	    psd[d->psd <= DMARC_PSD_N ? d->psd : 0], r->psd_record);
	pair(out, "rua", d->rua);
	sb_printf(out, " res=%s disp=%s dkal=%d spal=%d", dmarc_result_name(r->result),
	    dmarc_disp_name(r->disp), r->dkim_aligned, r->spf_aligned);
	pair(out, "ovt", r->override_type);
	pair(out, "ovc", r->override_comment);
	if (r->spf_res[0] != '\0') {
		pair(out, "spf", r->spf_domain);
		sb_putc(out, ',');
		dmarc_spool_enc(out, r->spf_scope);
		sb_putc(out, ',');
		dmarc_spool_enc(out, r->spf_res);
	}
	for (size_t i = 0; i < r->ndkim && i < DMARC_SPOOL_SIGS; i++) {
		pair(out, "dkim", r->dkim[i].d);
		sb_putc(out, ',');
		dmarc_spool_enc(out, r->dkim[i].s);
		sb_putc(out, ',');
		dmarc_spool_enc(out, r->dkim[i].res);
	}
	return out->len < DMARC_SPOOL_LINE_MAX;
}

/* ---- parse ------------------------------------------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode v[0..n) into out (size bytes with the NUL); false on bad
 * encoding, a NUL byte, or no room. */
bool
dmarc_spool_dec(const char *v, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)v[i];

		if (c == '%') {
			int h, l;
			if (i + 2 >= n)
				return false;
			h = hexval(v[i + 1]);
			l = hexval(v[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return false;
			c = h * 16 + l;
			i += 2;
		} else if (!plain((unsigned char)c)) {
			return false;
		}
		if (o + 1 >= size)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

/* Three comma-separated encoded parts. */
static bool
dec3(const char *v, size_t n, char *a, size_t as, char *b, size_t bs, char *c, size_t cs)
{
	const char *c1 = memchr(v, ',', n), *c2;

	if (c1 == NULL)
		return false;
	c2 = memchr(c1 + 1, ',', n - (size_t)(c1 + 1 - v));
	if (c2 == NULL)
		return false;
	return dmarc_spool_dec(v, (size_t)(c1 - v), a, as) && dmarc_spool_dec(c1 + 1, (size_t)(c2 - c1 - 1), b, bs) &&
	    dmarc_spool_dec(c2 + 1, n - (size_t)(c2 + 1 - v), c, cs);
}

static bool
dec_policy(const char *v, size_t n, enum dmarc_policy *p)
{
	if (mem_caseeq(v, n, "none"))
		*p = DMARC_P_NONE;
	else if (mem_caseeq(v, n, "quarantine"))
		*p = DMARC_P_QUARANTINE;
	else if (mem_caseeq(v, n, "reject"))
		*p = DMARC_P_REJECT;
	else
		return false;
	return true;
}

bool
dmarc_spool_dec_int(const char *v, size_t n, long long *out)
{
	long long x = 0;

	if (n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return true;
}

static bool
dec_flag(const char *v, size_t n, bool *out)
{
	if (mem_caseeq(v, n, "1") || mem_caseeq(v, n, "y") || mem_caseeq(v, n, "s"))
		*out = true;
	else if (mem_caseeq(v, n, "0") || mem_caseeq(v, n, "n") || mem_caseeq(v, n, "r"))
		*out = false;
	else
		return false;
	return true;
}

static bool
dec_enum(const char *v, size_t n, const char *const *names, size_t count, int *out)
{
	for (size_t i = 0; i < count; i++)
		if (mem_caseeq(v, n, names[i])) {
			*out = (int)i;
			return true;
		}
	return false;
}

#define DEC(field) dmarc_spool_dec(val, vlen, r->field, sizeof(r->field))

static bool
parse_pair(const char *key, size_t klen, const char *val, size_t vlen, struct dmarc_spool_rec *r)
{
	static const char *const disps[] = { "none", "pass", "quarantine", "reject" };
	static const char *const psds[] = { "u", "y", "n" };
	int e;

	if (mem_caseeq(key, klen, "ts"))
		return dmarc_spool_dec_int(val, vlen, &r->ts);
	if (mem_caseeq(key, klen, "host"))
		return DEC(host);
	if (mem_caseeq(key, klen, "ip"))
		return DEC(ip);
	if (mem_caseeq(key, klen, "from"))
		return DEC(header_from);
	if (mem_caseeq(key, klen, "mfrom"))
		return DEC(env_from);
	if (mem_caseeq(key, klen, "rcpt"))
		return DEC(env_to);
	if (mem_caseeq(key, klen, "pdom"))
		return DEC(policy_domain);
	if (mem_caseeq(key, klen, "p"))
		return dec_policy(val, vlen, &r->rec.p);
	if (mem_caseeq(key, klen, "sp"))
		return dec_policy(val, vlen, &r->rec.sp);
	if (mem_caseeq(key, klen, "np"))
		return dec_policy(val, vlen, &r->rec.np);
	if (mem_caseeq(key, klen, "adkim"))
		return dec_flag(val, vlen, &r->rec.adkim_strict);
	if (mem_caseeq(key, klen, "aspf"))
		return dec_flag(val, vlen, &r->rec.aspf_strict);
	if (mem_caseeq(key, klen, "t"))
		return dec_flag(val, vlen, &r->rec.testing);
	if (mem_caseeq(key, klen, "psdrec"))
		return dec_flag(val, vlen, &r->psd_record);
	if (mem_caseeq(key, klen, "dkal"))
		return dec_flag(val, vlen, &r->dkim_aligned);
	if (mem_caseeq(key, klen, "spal"))
		return dec_flag(val, vlen, &r->spf_aligned);
	if (mem_caseeq(key, klen, "rua"))
		return dmarc_spool_dec(val, vlen, r->rec.rua, sizeof(r->rec.rua));
	if (mem_caseeq(key, klen, "ovt"))
		return DEC(override_type);
	if (mem_caseeq(key, klen, "ovc"))
		return DEC(override_comment);
	if (mem_caseeq(key, klen, "psd")) {
		if (!dec_enum(val, vlen, psds, NELEM(psds), &e))
			return false;
		r->rec.psd = (enum dmarc_psd)e;
		return true;
	}
	if (mem_caseeq(key, klen, "res"))
		return dmarc_result_parse(val, vlen, &r->result);
	if (mem_caseeq(key, klen, "disp")) {
		if (!dec_enum(val, vlen, disps, NELEM(disps), &e))
			return false;
		r->disp = (enum dmarc_disp)e;
		return true;
	}
	if (mem_caseeq(key, klen, "spf"))
		return dec3(val, vlen, r->spf_domain, sizeof(r->spf_domain), r->spf_scope,
		    sizeof(r->spf_scope), r->spf_res, sizeof(r->spf_res));
	if (mem_caseeq(key, klen, "dkim")) {
		struct dmarc_spool_sig *s;
		if (r->ndkim >= DMARC_SPOOL_SIGS)
			return true;   /* more than we keep: ignored */
		s = &r->dkim[r->ndkim];
		if (!dec3(val, vlen, s->d, sizeof(s->d), s->s, sizeof(s->s), s->res, sizeof(s->res)))
			return false;
		r->ndkim++;
		return true;
	}
	return true;   /* unknown keys: a later version's */
}

enum dmarc_spool_status
dmarc_spool_parse(const char *buf, size_t len, struct dmarc_spool_rec *r)
{
	size_t pos = 0;
	bool first = true;

	memset(r, 0, sizeof(*r));
	r->ts = -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len > DMARC_SPOOL_LINE_MAX)
		return DMARC_SPOOL_TOO_LONG;
	while (pos < len) {
		const char *sp = memchr(buf + pos, ' ', len - pos);
		size_t end = sp != NULL ? (size_t)(sp - buf) : len;
		const char *tok = buf + pos, *eq = memchr(tok, '=', end - pos);

		pos = end + 1;
		if (end == (size_t)(tok - buf))
			return DMARC_SPOOL_SYNTAX;   /* two spaces */
		if (eq == NULL)
			return first ? DMARC_SPOOL_NOT_RECORD : DMARC_SPOOL_SYNTAX;
		if (first) {
			if ((size_t)(buf + end - tok) != 3 || memcmp(tok, "v=1", 3) != 0)
				return DMARC_SPOOL_NOT_RECORD;
			first = false;
			continue;
		}
		if (!parse_pair(tok, (size_t)(eq - tok), eq + 1, (size_t)(buf + end - eq - 1), r))
			return DMARC_SPOOL_SYNTAX;
	}
	if (first)
		return DMARC_SPOOL_NOT_RECORD;
	if (r->ts < 0 || r->ip[0] == '\0' || r->header_from[0] == '\0' || r->policy_domain[0] == '\0')
		return DMARC_SPOOL_MISSING;
	return DMARC_SPOOL_OK;
}

/* ---- writer ------------------------------------------------------------ */
/* The writer thread alone touches fd, fd_day and the files; the counters
 * and the queue are under lock. */

struct dmarc_spool {
	char *dir;
	char host[64];
	pthread_mutex_t lock;
	pthread_cond_t more, idle;
	char **q;                   /* ring of queued lines */
	size_t qmax, head, n;
	bool stop, busy;
	pthread_t thread;
	int fd;
	long long fd_day;           /* the UTC day fd is open for */
	struct dmarc_spool_stats st;
	unsigned long long failing; /* lines failed since the last written (writer only) */
};

void
dmarc_spool_path(const char *dir, const char *host, long long ts, strbuf *out)
{
	time_t t = (time_t)ts;
	struct tm tm;
	char day[16];

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	sb_reset(out);
	sb_printf(out, "%s/%s-%s.spool", dir, host, day);
}

/* Add one to a counter; returns its old value. */
static unsigned long long
count(struct dmarc_spool *s, unsigned long long *c)
{
	unsigned long long old;

	pthread_mutex_lock(&s->lock);
	old = (*c)++;
	pthread_mutex_unlock(&s->lock);
	return old;
}

static void
write_line(struct dmarc_spool *s, char *line)
{
	long long now = (long long)time(NULL), day = now / 86400;
	size_t n = strlen(line);
	ssize_t w;
	off_t end;
	unsigned long long e;

	if (s->fd < 0 || s->fd_day != day) {
		strbuf path;

		if (s->fd >= 0)
			close(s->fd);
		sb_init(&path);
		dmarc_spool_path(s->dir, s->host, now, &path);
		s->fd = open(path.s, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		s->fd_day = day;
		if (s->fd < 0 && (count(s, &s->st.errors) % 1000) == 0)
			plog(PLOG_WARNING, NULL, "dmarc report spool: cannot open %s: %s", path.s,
			    strerror(errno));
		sb_free(&path);
		if (s->fd < 0) {
			s->failing++;
			return;
		}
	}
	line[n] = '\n';   /* the queue stored room for it */
	end = lseek(s->fd, 0, SEEK_END);
	w = write(s->fd, line, n + 1);
	if (w == (ssize_t)(n + 1)) {
		count(s, &s->st.written);
		if (s->failing > 0) {
			plog(PLOG_NOTICE, NULL, "dmarc report spool: writing again after %llu failed line(s)",
			    s->failing);
			s->failing = 0;
		}
		return;
	}
	/* a full disk: no half line is left for the next one to run into */
	if (w > 0 && end >= 0 && ftruncate(s->fd, end) != 0)
		w = -1;
	s->failing++;
	if ((e = count(s, &s->st.errors)) % 1000 == 0)
		plog(PLOG_WARNING, NULL, "dmarc report spool: write failed: %s (the mail is not affected; %llu line(s) lost so far)",
		    w < 0 ? strerror(errno) : "No space left on device", e + 1);
}

static void *
writer(void *arg)
{
	struct dmarc_spool *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->n == 0 && !s->stop) {
			s->busy = false;
			pthread_cond_broadcast(&s->idle);
			pthread_cond_wait(&s->more, &s->lock);
		}
		if (s->n == 0 && s->stop)
			break;
		s->busy = true;
		char *line = s->q[s->head];
		s->q[s->head] = NULL;
		s->head = (s->head + 1) % s->qmax;
		s->n--;
		pthread_mutex_unlock(&s->lock);
		write_line(s, line);
		free(line);
		pthread_mutex_lock(&s->lock);
	}
	s->busy = false;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct dmarc_spool *
dmarc_spool_open(const char *dir, size_t queue_max, char *err, size_t errlen)
{
	struct dmarc_spool *s;

	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	s = xmalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->dir = xstrdup(dir);
	if (gethostname(s->host, sizeof(s->host) - 1) != 0 || s->host[0] == '\0')
		strlcpy_ok(s->host, "localhost", sizeof(s->host));
	for (char *p = s->host; *p; p++)
		if (!plain((unsigned char)*p) || *p == '/')
			*p = '_';
	s->qmax = queue_max > 0 ? queue_max : 1;
	s->q = xmalloc(s->qmax * sizeof(*s->q));
	memset(s->q, 0, s->qmax * sizeof(*s->q));
	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->more, NULL);
	pthread_cond_init(&s->idle, NULL);
	/* the writer takes no signals: they belong to the daemon's own
	 * threads (SIGUSR1 reload, libmilter's SIGTERM); a thread started
	 * before they are masked would otherwise die of a SIGUSR1 */
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, writer, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the spool writer thread");
		free(s->q);
		free(s->dir);
		free(s);
		return NULL;
	}
	return s;
}

const char *
dmarc_spool_host(const struct dmarc_spool *s)
{
	return s->host;
}

bool
dmarc_spool_put(struct dmarc_spool *s, const char *line, size_t len)
{
	char *copy;

	if (s == NULL || len >= DMARC_SPOOL_LINE_MAX || memchr(line, '\n', len) != NULL)
		return false;
	pthread_mutex_lock(&s->lock);
	if (s->n == s->qmax || s->stop) {
		s->st.dropped++;
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	pthread_mutex_unlock(&s->lock);
	copy = xmalloc(len + 2);   /* room for the newline the writer adds */
	memcpy(copy, line, len);
	copy[len] = '\0';
	pthread_mutex_lock(&s->lock);
	if (s->n == s->qmax || s->stop) {
		s->st.dropped++;
		pthread_mutex_unlock(&s->lock);
		free(copy);
		return false;
	}
	s->q[(s->head + s->n) % s->qmax] = copy;
	s->n++;
	s->st.queued++;
	pthread_cond_signal(&s->more);
	pthread_mutex_unlock(&s->lock);
	return true;
}

void
dmarc_spool_flush(struct dmarc_spool *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	while (s->n > 0 || s->busy)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void
dmarc_spool_stats(struct dmarc_spool *s, struct dmarc_spool_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	pthread_mutex_unlock(&s->lock);
}

void
dmarc_spool_close(struct dmarc_spool *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->more);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->qmax; i++)
		free(s->q[i]);
	free(s->q);
	free(s->dir);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->more);
	pthread_cond_destroy(&s->idle);
	free(s);
}
