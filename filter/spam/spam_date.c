/*
 * spam_date.c - the Date field (RFC 5322 section 3.3, with the obsolete
 * forms of 4.3: two-digit years, named zones, comments) to a time, for the
 * rules date_future, date_past and date_invalid.  Called by check_spam.c.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "postern/spam.h"

struct cur {
	const char *p, *end;
};

/* Blanks, folding and (nested) comments. */
static void
skip_cfws(struct cur *c)
{
	int depth = 0;

	while (c->p < c->end) {
		char ch = *c->p;
		if (depth > 0 && ch == '\\' && c->p + 1 < c->end) {
			c->p += 2;
			continue;
		}
		if (ch == '(')
			depth++;
		else if (ch == ')' && depth > 0)
			depth--;
		else if (depth == 0 && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
			return;
		c->p++;
	}
}

static bool
digits(struct cur *c, size_t min, size_t max, int *out)
{
	size_t n = 0;
	int v = 0;

	while (c->p < c->end && isdigit((unsigned char)*c->p) && n < max) {
		v = v * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	if (n < min || (c->p < c->end && isdigit((unsigned char)*c->p)))
		return false;
	*out = v;
	return true;
}

static bool
word(struct cur *c, char *out, size_t cap)
{
	size_t n = 0;

	while (c->p < c->end && isalpha((unsigned char)*c->p)) {
		if (n + 1 >= cap)
			return false;
		out[n++] = *c->p++;
	}
	out[n] = '\0';
	return n > 0;
}

static bool
zone(struct cur *c, long *off)
{
	static const struct { const char *name; int hours; } named[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	};
	char w[8];

	if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		int sign = *c->p++ == '-' ? -1 : 1, hhmm;
		if (!digits(c, 4, 4, &hhmm) || hhmm % 100 > 59 || hhmm / 100 > 23)
			return false;
		*off = sign * ((long)(hhmm / 100) * 3600 + (long)(hhmm % 100) * 60);
		return true;
	}
	if (!word(c, w, sizeof(w)))
		return false;
	for (size_t i = 0; i < NELEM(named); i++) {
		if (strcasecmp(w, named[i].name) == 0) {
			*off = named[i].hours * 3600L;
			return true;
		}
	}
	/* other military zones mean nothing reliable (RFC 5322 4.3): -0000 */
	*off = 0;
	return strlen(w) == 1;
}

bool
spam_parse_date(const char *buf, size_t len, time_t *out, long *zone_out)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
		"jul", "aug", "sep", "oct", "nov", "dec" };
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct cur c = { buf, buf + len };
	struct tm tm;
	char w[16];
	int day, year, hh, mm, ss = 0, mon = -1;
	long off;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	skip_cfws(&c);
	/* optional day of week */
	if (c.p < c.end && isalpha((unsigned char)*c.p)) {
		if (!word(&c, w, sizeof(w)))
			return false;
		skip_cfws(&c);
		if (c.p >= c.end || *c.p != ',')
			return false;
		c.p++;
		skip_cfws(&c);
	}
	if (!digits(&c, 1, 2, &day))
		return false;
	skip_cfws(&c);
	if (!word(&c, w, sizeof(w)) || strlen(w) != 3)
		return false;
	for (int i = 0; i < 12; i++)
		if (strcasecmp(w, months[i]) == 0)
			mon = i;
	if (mon < 0 || day < 1 || day > mdays[mon])
		return false;
	skip_cfws(&c);
	{
		const char *ys = c.p;
		if (!digits(&c, 2, 4, &year))
			return false;
		if (c.p - ys == 2)
			year += year < 50 ? 2000 : 1900;
		else if (c.p - ys == 3)
			year += 1900;
	}
	if (year < 1900 || year > 9999)
		return false;
	skip_cfws(&c);
	if (!digits(&c, 1, 2, &hh) || c.p >= c.end || *c.p++ != ':' || !digits(&c, 2, 2, &mm))
		return false;
	if (c.p < c.end && *c.p == ':') {
		c.p++;
		if (!digits(&c, 2, 2, &ss))
			return false;
	}
	if (hh > 23 || mm > 59 || ss > 60)
		return false;
	skip_cfws(&c);
	if (!zone(&c, &off))
		return false;
	skip_cfws(&c);
	if (c.p != c.end)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = t - off;
	if (zone_out != NULL)
		*zone_out = off;
	return true;
}

bool
spam_date_zone_odd(long zone)
{
	long m = (zone < 0 ? -zone : zone) / 60;

	return m > 14 * 60 || (m % 60 != 0 && m % 60 != 30 && m % 60 != 45);
}
