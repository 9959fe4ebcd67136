/*
 * spam_rules.c - the rule set (built-in rules plus one rule per blocklist,
 * compiled once per snapshot), blocklist rows, a message's hits and their
 * total under a policy's overrides, GTUBE and the HELO/header rules.
 * Called by check_spam.c, the unit tests and the fuzz target.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/spam.h"

static const struct {
	const char *name;
	int score;
	const char *desc;
} builtin[SR_NBUILTIN] = {
	[SR_GTUBE] = { "gtube", 100000, "the GTUBE test string (always refused)" },
	[SR_SPF_FAIL] = { "spf_fail", 200, "SPF fail for the sender" },
	[SR_SPF_SOFTFAIL] = { "spf_softfail", 100, "SPF softfail for the sender" },
	[SR_DKIM_FAIL] = { "dkim_fail", 100, "a DKIM signature failed and none passed" },
	[SR_DMARC_FAIL] = { "dmarc_fail", 300, "DMARC fail for the From domain" },
	[SR_AUTH_NONE] = { "auth_none", 50, "neither SPF nor DKIM passed" },
	[SR_AUTH_ERROR] = { "auth_error", 0, "nothing passed, but SPF or a DKIM key look-up had a DNS error (shown, not counted)" },
	[SR_DKIM_FROM_PASS] = { "dkim_from_pass", -100, "a DKIM signature of the From domain passed" },
	[SR_HELO_BARE_IP] = { "helo_bare_ip", 100, "HELO is an IP address" },
	[SR_HELO_NOT_FQDN] = { "helo_not_fqdn", 50, "HELO is not a fully qualified name" },
	[SR_HELO_OURS] = { "helo_ours", 300, "HELO claims our own name (authserv_id or the MTA's, macro j)" },
	[SR_NO_DATE] = { "no_date", 100, "no Date field" },
	[SR_NO_MESSAGE_ID] = { "no_message_id", 50, "no Message-ID field" },
	[SR_HEADER_8BIT] = { "header_8bit", 50, "8-bit bytes in a header field without encoding" },
	[SR_MANY_RCPTS] = { "many_rcpts_hdr", 100, "more than 50 addresses in To and Cc" },
	[SR_DNSBL_ERROR] = { "dnsbl_error", 0, "a blocklist could not be asked (shown, not counted)" },
	[SR_SPAMD] = { "spamd", 100, "SpamAssassin spamd's score, times this weight" },
	[SR_SPAMD_ERROR] = { "spamd_error", 0, "spamd could not be asked (shown, not counted)" },
	[SR_URIBL_ERROR] = { "uribl_error", 0, "a URI list could not be asked (shown, not counted)" },
	[SR_HTML_ONLY] = { "html_only", 50, "HTML text without a text/plain alternative" },
	[SR_IMAGE_ONLY] = { "image_only", 100, "images and no text part" },
	[SR_URL_SHORTENER] = { "url_shortener", 50, "a link through a URL shortener" },
	[SR_FROM_NAME_DOMAIN] = { "from_name_domain", 150, "the From display name shows an address of another domain" },
	[SR_DATE_FUTURE] = { "date_future", 100, "the Date is more than 12 hours ahead" },
	[SR_DATE_PAST] = { "date_past", 50, "the Date is more than 4 days old" },
	[SR_DATE_INVALID] = { "date_invalid", 50, "the Date field does not parse (RFC 5322 3.3)" },
	[SR_DATE_ZONE_ODD] = { "date_zone_odd", 100, "the Date's zone is more than 14 hours from UTC or has minutes other than 00, 30, 45" },
	[SR_LINK_MISMATCH] = { "link_mismatch", 150, "an HTML link shows one domain and goes to another" },
	[SR_HTML_HIDDEN] = { "html_hidden", 50, "HTML hides text (display:none, visibility:hidden, font-size:0)" },
	[SR_HEADER_MALFORMED] = { "header_malformed", 100, "a header field breaks RFC 5322 (bad name, control bytes, bare line break, line over 998, a unique field twice)" },
	[SR_BAYES_00] = { "bayes_00", -150, "classifier: spam probability under 1 %" },
	[SR_BAYES_05] = { "bayes_05", -50, "classifier: 1 to 10 %" },
	[SR_BAYES_20] = { "bayes_20", 0, "classifier: 10 to 40 %" },
	[SR_BAYES_50] = { "bayes_50", 50, "classifier: unsure, 40 to 60 %" },
	[SR_BAYES_80] = { "bayes_80", 300, "classifier: 60 to 90 %" },
	[SR_BAYES_95] = { "bayes_95", 450, "classifier: 90 to 99 %" },
	[SR_BAYES_99] = { "bayes_99", 500, "classifier: 99 to 99.9 %" },
	[SR_BAYES_999] = { "bayes_999", 550, "classifier: 99.9 % or more" },
	[SR_BAYES_ERROR] = { "bayes_error", 0, "the classifier's store could not be asked (shown, not counted)" },
	[SR_SUBJECT_CAPS] = { "subject_caps", 150, "the Subject is in capitals (10+ letters, 90 % upper case)" },
	[SR_SUBJECT_SHOUT] = { "subject_shout", 75, "the Subject has two or more '!' or \"$$\"" },
	[SR_SUBJECT_MONEY] = { "subject_money", 50, "the Subject names a sum or a percentage (\"$5\", \"50%\")" },
	[SR_TO_UNDISCLOSED] = { "to_undisclosed", 150, "To/Cc says undisclosed recipients" },
	[SR_MSGID_INVALID] = { "msgid_invalid", 150, "the Message-ID is not <left@right>" },
	[SR_MIME_NO_VERSION] = { "mime_no_version", 150, "a multipart or HTML message without MIME-Version" },
	[SR_PRIORITY_HIGH] = { "priority_high", 75, "X-Priority 1 or priority/importance high" },
	[SR_BASE64_TEXT] = { "base64_text", 150, "a text part base64-encoded although it is plain ASCII" },
	[SR_BODY_PHRASE] = { "body_phrase", 50, "the text has a sales phrase (\"act now\", \"risk free\", ...)" },
	[SR_BODY_PHRASES] = { "body_phrases", 250, "the text has three or more distinct sales phrases" },
	[SR_HTML_IMAGE_TEXT] = { "html_image_text", 150, "HTML images with under 200 bytes of text" },
	[SR_URL_IP] = { "url_ip", 100, "a link to a bare IP address" },
	[SR_FREEMAIL_FORGED] = { "freemail_forged", 75, "From a free mail service, but none of its relays handled the message and it has no DKIM signature of that domain" },
	[SR_MUA_FORGED] = { "mua_forged", 150, "Outlook's Message-ID or an Outlook Express X-Mailer without the X-MimeOLE field that mailer writes" },
};

/* ---- list rows ------------------------------------------------------ */

static bool
valid_name(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static bool
valid_zone(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 200 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(ch) && ch != '-' && ch != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

/* One 127.x.y.z code into host order. */
static bool
parse_code(const char *s, size_t len, uint32_t *out)
{
	char tmp[16];
	struct in_addr a;

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return (*out >> 24) == 127;
}

static bool
parse_mask(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;
	unsigned base = 10;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len || len - i > 8)
		return false;
	for (; i < len; i++) {
		int d;
		if (isdigit((unsigned char)s[i]))
			d = s[i] - '0';
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		else
			return false;
		v = v * base + (uint32_t)d;
		if (v > 255)
			return false;
	}
	*out = v;
	return v != 0;
}

enum spam_list_status
spam_list_parse(const char *buf, size_t len, enum spam_list_kind kind, struct spam_list *out,
    const char **why)
{
	size_t i = 0, field = 0;
	bool have_score = false;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	for (;;) {
		size_t start, flen;
		const char *f;

		while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && buf[i] != ' ' && buf[i] != '\t')
			i++;
		f = buf + start;
		flen = i - start;
		if (field == 0) {
			if (!valid_name(f, flen, SPAM_LIST_NAME_MAX)) {
				*why = "the name must be 1 to 32 of a-z, 0-9, _";
				return SPAM_LIST_SYNTAX;
			}
			memcpy(out->name, f, flen);
		} else if (field == 1) {
			if (!valid_zone(f, flen)) {
				*why = "the zone is not a domain name";
				return SPAM_LIST_SYNTAX;
			}
			memcpy(out->zone, f, flen);
			for (char *p = out->zone; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		} else if (flen > 6 && memcmp(f, "score=", 6) == 0) {
			if (have_score || !parse_score(f + 6, flen - 6, &out->score)) {
				*why = "score= needs one score (-1000 to 1000, at most 2 decimals)";
				return SPAM_LIST_SYNTAX;
			}
			have_score = true;
		} else if (flen > 6 && memcmp(f, "codes=", 6) == 0) {
			size_t p = 6;
			if (out->ncodes > 0) {
				*why = "codes= given twice";
				return SPAM_LIST_SYNTAX;
			}
			while (p <= flen) {
				size_t q = p;
				while (q < flen && f[q] != ',')
					q++;
				if (out->ncodes == SPAM_MAX_CODES ||
				    !parse_code(f + p, q - p, &out->codes[out->ncodes])) {
					*why = "codes= takes up to 8 addresses in 127.0.0.0/8, comma-separated";
					return SPAM_LIST_SYNTAX;
				}
				out->ncodes++;
				p = q + 1;
			}
		} else if (flen > 5 && memcmp(f, "mask=", 5) == 0) {
			if (out->mask != 0 || !parse_mask(f + 5, flen - 5, &out->mask)) {
				*why = "mask= takes one bit mask from 1 to 255 (decimal or 0x..)";
				return SPAM_LIST_SYNTAX;
			}
		} else {
			*why = "unknown field (expected score=, codes= or mask=)";
			return SPAM_LIST_SYNTAX;
		}
		field++;
	}
	if (field < 2) {
		*why = "expected \"NAME ZONE score=S [codes=...] [mask=...]\"";
		return SPAM_LIST_SYNTAX;
	}
	if (!have_score) {
		*why = "score= is missing";
		return SPAM_LIST_SYNTAX;
	}
	return SPAM_LIST_OK;
}

/* ---- the rule set --------------------------------------------------- */

static bool
add_lists(struct spam_rules *rs, const struct strlist *rows, enum spam_list_kind kind,
    const char *key, strbuf *problems)
{
	const char *prefix = kind == SPAM_LIST_IP ? "dnsbl_" : "uribl_";
	bool ok = true;

	for (size_t i = 0; rows != NULL && i < rows->n; i++) {
		struct spam_list l;
		struct spam_rule *r;
		const char *why = NULL;

		if (spam_list_parse(rows->v[i], strlen(rows->v[i]), kind, &l, &why) != SPAM_LIST_OK) {
			sb_printf(problems, "%s: element %zu: %s\n", key, i + 1, why);
			ok = false;
			continue;
		}
		if (rs->nlists == SPAM_MAX_LISTS || rs->n == SPAM_MAX_RULES) {
			sb_printf(problems, "%s: element %zu: more than %d lists\n", key, i + 1, SPAM_MAX_LISTS);
			return false;
		}
		r = &rs->r[rs->n];
		snprintf(r->name, sizeof(r->name), "%s%s", prefix, l.name);
		if (spam_rule_find(rs, r->name, strlen(r->name)) >= 0) {
			sb_printf(problems, "%s: element %zu: list name \"%s\" used twice\n", key, i + 1, l.name);
			ok = false;
			continue;
		}
		r->score = l.score;
		r->desc = kind == SPAM_LIST_IP ? "the client is listed in this DNS list" :
		    "a domain in the text is listed in this URI list";
		l.rule = rs->n++;
		rs->lists[rs->nlists++] = l;
	}
	return ok;
}

bool
spam_rules_build(struct spam_rules *rs, const struct strlist *dnsbl, const struct strlist *uribl,
    strbuf *problems)
{
	bool ok;

	memset(rs, 0, sizeof(*rs));
	for (size_t i = 0; i < SR_NBUILTIN; i++) {
		strlcpy_ok(rs->r[i].name, builtin[i].name, sizeof(rs->r[i].name));
		rs->r[i].score = builtin[i].score;
		rs->r[i].desc = builtin[i].desc;
	}
	rs->n = SR_NBUILTIN;
	ok = add_lists(rs, dnsbl, SPAM_LIST_IP, "spam.dnsbl", problems);
	ok = add_lists(rs, uribl, SPAM_LIST_URI, "spam.uribl", problems) && ok;
	return ok;
}

int
spam_rule_find(const struct spam_rules *rs, const char *name, size_t len)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strlen(rs->r[i].name) == len && memcmp(rs->r[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* ---- hits and scores ------------------------------------------------ */

void
spam_hit(struct spam_hits *h, size_t rule, int value)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->v[i].rule == rule) {
			h->v[i].value = value;
			return;
		}
	}
	if (h->n == SPAM_MAX_HITS)
		return;   /* cannot happen: SPAM_MAX_HITS >= SPAM_MAX_RULES */
	h->v[h->n].rule = (unsigned short)rule;
	h->v[h->n].value = value;
	h->n++;
}

bool
spam_has_hit(const struct spam_hits *h, size_t rule)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].rule == rule)
			return true;
	return false;
}

int
spam_rule_score(const struct spam_rules *rs, const struct strlist *ovr, size_t rule)
{
	const char *name = rs->r[rule].name;
	size_t nl = strlen(name);
	int s;

	/* the last matching override wins (a domain file's list replaces the
	 * default's as a whole, so this is within one file) */
	for (size_t i = ovr != NULL ? ovr->n : 0; i > 0; i--) {
		const char *e = ovr->v[i - 1];
		if (strncmp(e, name, nl) == 0 && e[nl] == '=' &&
		    parse_score(e + nl + 1, strlen(e + nl + 1), &s))
			return s;
	}
	return rs->r[rule].score;
}

static int
clamp(long v)
{
	return v > SCORE_LIMIT ? SCORE_LIMIT : v < -SCORE_LIMIT ? -SCORE_LIMIT : (int)v;
}

int
spam_hit_score(const struct spam_rules *rs, const struct strlist *ovr, const struct spam_hit *h)
{
	int s = spam_rule_score(rs, ovr, h->rule);

	if (h->rule == SR_SPAMD)
		return clamp((long)h->value * s / 100);
	return s;
}

int
spam_total(const struct spam_rules *rs, const struct strlist *ovr, const struct spam_hits *h)
{
	long t = 0;

	for (size_t i = 0; i < h->n; i++)
		t += spam_hit_score(rs, ovr, &h->v[i]);
	return clamp(t);
}

void
spam_format_hits(const struct spam_rules *rs, const struct strlist *ovr, const struct spam_hits *h,
    strbuf *out, const char *sep, bool with_scores, size_t max)
{
	size_t order[SPAM_MAX_HITS];
	int score[SPAM_MAX_HITS];
	char sc[SCORE_TEXT_MAX];

	for (size_t i = 0; i < h->n; i++) {
		order[i] = i;
		score[i] = spam_hit_score(rs, ovr, &h->v[i]);
	}
	/* insertion sort, stable: strongest first */
	for (size_t i = 1; i < h->n; i++) {
		size_t k = order[i], j = i;
		while (j > 0 && score[order[j - 1]] < score[k]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = k;
	}
	for (size_t i = 0; i < h->n && (max == 0 || i < max); i++) {
		size_t k = order[i];
		if (i > 0)
			sb_puts(out, sep);
		sb_puts(out, rs->r[h->v[k].rule].name);
		if (with_scores)
			sb_printf(out, "=%s", score_format(score[k], sc));
	}
}

/* ---- GTUBE ---------------------------------------------------------- */

#define GTUBE_LEN (sizeof(SPAM_GTUBE) - 1)
#define GTUBE_STAR 3                    /* SPAM_GTUBE[3] == '*', its first */
static size_t gtube_fail[GTUBE_LEN];
static pthread_once_t gtube_once = PTHREAD_ONCE_INIT;

static void
gtube_init(void)
{
	size_t k = 0;

	gtube_fail[0] = 0;
	for (size_t i = 1; i < GTUBE_LEN; i++) {
		while (k > 0 && SPAM_GTUBE[i] != SPAM_GTUBE[k])
			k = gtube_fail[k - 1];
		if (SPAM_GTUBE[i] == SPAM_GTUBE[k])
			k++;
		gtube_fail[i] = k;
	}
}

void
spam_gtube_feed(struct spam_gtube *g, const unsigned char *buf, size_t len)
{
	size_t k = g->matched;

	if (g->found)
		return;
	pthread_once(&gtube_once, gtube_init);
	for (size_t i = 0; i < len; i++) {
		if (k == 0) {
			/* nothing matched yet: a match starting at s has '*' at
			 * s + GTUBE_STAR, so the first '*' from i + GTUBE_STAR on
			 * bounds where one can start.  '*' is rare in text and
			 * absent from base64 (the string's first character, 'X',
			 * is in one base64 byte of 64: a memchr call every ~64
			 * bytes was 8 % of the daemon's CPU on a 2 MB message).
			 * Without a '*' the last GTUBE_STAR bytes still go
			 * through the automaton, so a match across chunks is
			 * kept. */
			size_t from = i + GTUBE_STAR, to;
			const unsigned char *p = from < len ? memchr(buf + from, '*', len - from) : NULL;

			to = p != NULL ? (size_t)(p - buf) - GTUBE_STAR : len > GTUBE_STAR ? len - GTUBE_STAR : 0;
			if (to > i)
				i = to;
		}
		while (k > 0 && (unsigned char)SPAM_GTUBE[k] != buf[i])
			k = gtube_fail[k - 1];
		if ((unsigned char)SPAM_GTUBE[k] == buf[i])
			k++;
		if (k == GTUBE_LEN) {
			g->found = true;
			break;
		}
	}
	g->matched = k;
}

/* ---- HELO and header rules ------------------------------------------ */

bool
spam_is_shortener(const char *domain)
{
	static const char *const list[] = { "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly",
		"is.gd", "buff.ly", "rebrand.ly", "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy",
		"t.ly", "s.id", "bl.ink", "lnkd.in", "v.gd", "x.co" };

	for (size_t i = 0; i < NELEM(list); i++)
		if (strcmp(domain, list[i]) == 0)
			return true;
	return false;
}

bool
spam_display_domain(const char *value, size_t len, char *out, size_t cap)
{
	const char *lt = NULL, *at;
	bool quoted = false;
	size_t n = 0;

	for (size_t i = 0; i < len && lt == NULL; i++) {
		if (value[i] == '\\' && quoted && i + 1 < len)
			i++;
		else if (value[i] == '"')
			quoted = !quoted;
		else if (value[i] == '<' && !quoted)
			lt = value + i;
	}
	if (lt == NULL)
		return false;   /* a bare address: no display name */
	at = memchr(value, '@', (size_t)(lt - value));
	if (at == NULL)
		return false;
	for (at++; at < lt && n + 1 < cap; at++) {
		unsigned char ch = (unsigned char)*at;
		if (!isalnum(ch) && ch != '.' && ch != '-')
			break;
		out[n++] = (char)tolower(ch);
	}
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
	return n > 0 && memchr(out, '.', n) != NULL;
}

bool
spam_has_8bit(const char *value, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] >= 0x80)
			return true;
	return false;
}

bool
spam_header_malformed(const char *name, const char *value, size_t len)
{
	size_t line = strlen(name) + 1;     /* "Name:" starts the first line */

	if (*name == '\0')
		return true;
	for (const char *p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 33 || (unsigned char)*p > 126 || *p == ':')
			return true;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)value[i];

		if (ch == '\r' && i + 1 < len && value[i + 1] == '\n')
			continue;               /* CRLF: the LF decides */
		if (ch == '\n') {
			if (i + 1 >= len || (value[i + 1] != ' ' && value[i + 1] != '\t'))
				return true;    /* a break that is no fold */
			line = 0;
			continue;
		}
		if ((ch < 32 && ch != '\t') || ch == 127)
			return true;
		if (++line > 998)
			return true;
	}
	return false;
}

unsigned
spam_unique_field(const char *name)
{
	static const char *const unique[] = { "Date", "Subject", "Message-ID", "To", "Cc",
		"Reply-To", "Sender", "In-Reply-To", "References" };

	for (size_t i = 0; i < NELEM(unique); i++)
		if (strcasecmp(name, unique[i]) == 0)
			return 1u << i;
	return 0;
}

unsigned
spam_count_addresses(const char *value, size_t len)
{
	unsigned n = 0;
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		if (value[i] == '\\' && quoted && i + 1 < len)
			i++;
		else if (value[i] == '"')
			quoted = !quoted;
		else if (value[i] == '@' && !quoted)
			n++;
	}
	return n;
}
