/*
 * spam_token.c - the classifier's tokenizer (spam.h, "tokenizer"): header
 * fields and the decoded text of a message's text parts, as they stream,
 * become a set of 64-bit token hashes.  Text is converted to UTF-8 with
 * iconv (incomplete sequences carried across chunks, invalid bytes
 * dropped), HTML is reduced to its text (tags, comments, style and script
 * dropped; entities decoded; href/src URLs kept), URL host names and
 * their parent domains become url: tokens, the pieces of their paths
 * urlp: tokens; the fields relays and lists add on the way give no token
 * (route_field()).  Everything is bounded: the
 * word length (longer words become a "skip:" token), the text bytes read
 * per message and the distinct tokens kept; the state is one fixed struct.
 * Called by classify.c (the daemon, postern-learn, spam-eval).
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postern/spam.h"

#define RUN_MAX 256          /* one whitespace-separated run kept */
#define TAG_MAX 512          /* one HTML tag's text kept */
#define SLOTS 8192           /* hash set; TOK_MAX_TOKENS at most */
_Static_assert(SPAM_TOK_MAX_TOKENS < SLOTS / 2 && SPAM_TOK_MAX_TOKENS < 65535,
    "16-bit slot indexes, a set at most half full");
#define PREFIX_MAX 24
#define LIST_HOSTS 4         /* hosts named in a list message's List-* fields */
#define LIST_HOST_MAX 63

enum hstate { H_TEXT = 0, H_TAG, H_COMMENT, H_ENTITY };

struct spam_tok {
	uint16_t slot[SLOTS];    /* open addressing: 1 + an index into order, 0 free */
	uint64_t order[SPAM_TOK_MAX_TOKENS];   /* the set's tokens as they came */
	size_t n;
	bool full, text_cut;
	size_t text_bytes;
	char prefix[PREFIX_MAX];
	size_t plen;
	/* the run being collected */
	unsigned char run[RUN_MAX];
	size_t rlen;
	bool run_over;
	/* the current part */
	bool in_part, html;
	bool sniff;              /* a text/plain part's first bytes, see sniff_byte() */
	unsigned char sn[12];
	size_t snlen;
	/* the hosts a list message's List-* fields name, see list_host() */
	size_t nlisthosts;
	char listhost[LIST_HOSTS][LIST_HOST_MAX + 1];
	iconv_t cd;
	unsigned char carry[8];
	size_t ncarry;
	/* HTML */
	enum hstate hs;
	char tag[TAG_MAX];
	size_t taglen;
	unsigned dashes;         /* comment end matching */
	char ent[12];
	size_t entlen;
	int skip_until;          /* 0 none, 1 </style, 2 </script */
	spam_tok_trace trace;
	void *trace_ctx;
};

struct spam_tok *
spam_tok_new(void)
{
	struct spam_tok *t = xcalloc(1, sizeof(*t));

	t->cd = (iconv_t)-1;
	return t;
}

void
spam_tok_set_trace(struct spam_tok *t, spam_tok_trace cb, void *ctx)
{
	t->trace = cb;
	t->trace_ctx = ctx;
}

static void
close_cd(struct spam_tok *t)
{
	if (t->cd != (iconv_t)-1)
		iconv_close(t->cd);
	t->cd = (iconv_t)-1;
	t->ncarry = 0;
}

void
spam_tok_free(struct spam_tok *t)
{
	if (t == NULL)
		return;
	close_cd(t);
	free(t);
}

uint64_t
spam_tok_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h == 0 ? 1 : h;
}

/* Add prefix + s[0..n) to the set. */
static void
emit(struct spam_tok *t, const char *s, size_t n)
{
	char buf[PREFIX_MAX + RUN_MAX + 16];
	uint64_t h;
	size_t i, len;

	if (t->full || n == 0)
		return;
	if (n > RUN_MAX + 8)
		n = RUN_MAX + 8;
	memcpy(buf, t->prefix, t->plen);
	memcpy(buf + t->plen, s, n);
	len = t->plen + n;
	if (t->trace != NULL)
		t->trace(t->trace_ctx, buf, len);
	h = spam_tok_hash(buf, len);
	for (i = h & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
		if (t->slot[i] == 0)
			break;
		if (t->order[t->slot[i] - 1] == h)
			return;
	}
	if (t->n >= SPAM_TOK_MAX_TOKENS) {
		t->full = true;
		return;
	}
	t->slot[i] = (uint16_t)(t->n + 1);
	t->order[t->n++] = h;
}

static void
emit2(struct spam_tok *t, const char *a, const char *s, size_t n)
{
	char buf[RUN_MAX + 16];
	size_t al = strlen(a);

	if (n > RUN_MAX)
		n = RUN_MAX;
	memcpy(buf, a, al);
	memcpy(buf + al, s, n);
	emit(t, buf, al + n);
}

static bool
delim(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' ||
	    c == '<' || c == '>' || c == '"' || c == '(' || c == ')' || c == '[' || c == ']' ||
	    c == '{' || c == '}' || c == '|' || c == 0;
}

static bool
hostc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* A host name: url:HOST and url:PARENT for each parent of two labels or more. */
static void
emit_host(struct spam_tok *t, const char *tagp, const unsigned char *h, size_t n)
{
	while (n > 0 && h[n - 1] == '.')
		n--;
	while (n > 0 && h[0] == '.') {
		h++;
		n--;
	}
	if (n == 0 || memchr(h, '.', n) == NULL)
		return;
	emit2(t, tagp, (const char *)h, n);
	for (size_t i = 0, levels = 0; i < n && levels < 4; i++) {
		if (h[i] != '.')
			continue;
		if (memchr(h + i + 1, '.', n - i - 1) == NULL)
			break;            /* "com" alone is no domain */
		emit2(t, tagp, (const char *)h + i + 1, n - i - 1);
		levels++;
	}
}

static bool
pathsep(unsigned char c)
{
	return c == '/' || c == '?' || c == '&' || c == '=' || c == '.' || c == '-' || c == '_' ||
	    c == '+' || c == '%' || c == '#' || c == ':' || c == ';' || c == ',' || c == '~';
}

/* The pieces of a URL's path and query (low[h..n) after the host):
 * "urlp:PIECE" for pieces of 3 to 20 bytes, at most 8 a URL.  Returns
 * where the URL ends. */
static size_t
url_path(struct spam_tok *t, const unsigned char *low, size_t h, size_t n)
{
	unsigned k = 0;

	if (h >= n || low[h] == '@')
		return h;
	while (h < n && !delim(low[h]) && low[h] != '\'') {
		size_t b;
		while (h < n && pathsep(low[h]))
			h++;
		for (b = h; h < n && !delim(low[h]) && low[h] != '\'' && !pathsep(low[h]); h++)
			;
		if (h - b >= SPAM_TOK_MIN_LEN && h - b <= SPAM_TOK_MAX_LEN && k < 8) {
			emit2(t, "urlp:", (const char *)low + b, h - b);
			k++;
		}
	}
	return h;
}

/* Whether h[0..n) is a host the List-* fields of a list message name: a
 * link to the list itself (its archive, its unsubscribe page) is the
 * list's, not the sender's. */
static bool
list_host(const struct spam_tok *t, const unsigned char *h, size_t n)
{
	while (n > 0 && h[n - 1] == '.')
		n--;
	for (size_t i = 0; i < t->nlisthosts; i++)
		if (strlen(t->listhost[i]) == n && memcmp(t->listhost[i], h, n) == 0)
			return true;
	return false;
}

/* URLs (scheme://host, www.host) and mail addresses in a run. */
static void
find_urls(struct spam_tok *t, const unsigned char *r, size_t n)
{
	unsigned char low[RUN_MAX];
	size_t i, h;
	bool maybe = false;

	/* "://", "www." and "@" need one of these: most runs are words */
	for (i = 0; i < n && !maybe; i++)
		maybe = r[i] == ':' || r[i] == '.' || r[i] == '@';
	if (!maybe)
		return;
	for (i = 0; i < n; i++)
		low[i] = (r[i] >= 'A' && r[i] <= 'Z') ? (unsigned char)(r[i] + 32) : r[i];
	for (i = 0; i + 3 < n; i++) {
		size_t start;
		if (memcmp(low + i, "://", 3) == 0 && i > 0)
			start = i + 3;
		else if (i + 4 < n && memcmp(low + i, "www.", 4) == 0 && (i == 0 || !hostc(low[i - 1])))
			start = i;
		else
			continue;
		if (start == i + 3) {
			size_t s0 = i;
			while (s0 > 0 && low[s0 - 1] >= 'a' && low[s0 - 1] <= 'z')
				s0--;
			if (i - s0 >= 3 && i - s0 <= 6)
				emit2(t, "proto:", (const char *)low + s0, i - s0);
		}
		/* skip user:pass@ */
		for (h = start; h < n && low[h] != '/' && low[h] != '@'; h++)
			;
		if (h < n && low[h] == '@')
			start = h + 1;
		for (h = start; h < n && hostc(low[h]); h++)
			;
		if (list_host(t, low + start, h - start)) {
			while (h < n && !delim(low[h]) && low[h] != '\'')
				h++;
		} else {
			emit_host(t, "url:", low + start, h - start);
			h = url_path(t, low, h, n);
		}
		i = h > i ? h - 1 : i;
	}
	for (i = 1; i + 1 < n; i++) {
		if (low[i] != '@' || !hostc(low[i - 1]))
			continue;
		for (h = i + 1; h < n && hostc(low[h]); h++)
			;
		if (!list_host(t, low + i + 1, h - i - 1))
			emit_host(t, "email:", low + i + 1, h - i - 1);
	}
}

static bool
trimc(unsigned char c)
{
	return c == '.' || c == ',' || c == ';' || c == ':' || c == '"' || c == '\'' ||
	    c == '(' || c == ')' || c == '[' || c == ']' || c == '*' || c == '-' || c == '_';
}

static bool
wordc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* A word with punctuation inside ("free!!!", "v-i-a-g-r-a", "$19.95/month",
 * "click.here"): also its letter/digit pieces of SPAM_TOK_MIN_LEN bytes or
 * more, so the piece counts where the whole word is rare.  Addresses have
 * their email: tokens instead. */
static void
sub_words(struct spam_tok *t, const unsigned char *r, size_t n)
{
	size_t i = 0, start;

	if (memchr(r, '@', n) != NULL)
		return;
	while (i < n && wordc(r[i]))
		i++;
	if (i == n)
		return;
	for (i = 0; i < n;) {
		while (i < n && !wordc(r[i]))
			i++;
		start = i;
		while (i < n && wordc(r[i]))
			i++;
		if (i - start >= SPAM_TOK_MIN_LEN)
			emit(t, (const char *)r + start, i - start);
	}
}

/* A complete run: its URLs, then the run itself as a word. */
static void
end_run(struct spam_tok *t)
{
	unsigned char *r = t->run;
	size_t n = t->rlen;
	bool over = t->run_over;

	t->rlen = 0;
	t->run_over = false;
	if (n == 0)
		return;
	find_urls(t, r, n);
	while (n > 0 && trimc(r[n - 1]))
		n--;
	while (n > 0 && trimc(r[0])) {
		r++;
		n--;
	}
	/* an address is one token up to twice the word length */
	if (over || n > (memchr(r, '@', n) != NULL ? 2 * SPAM_TOK_MAX_LEN : SPAM_TOK_MAX_LEN)) {
		char sk[32];
		size_t len = over ? RUN_MAX : n;
		int k = snprintf(sk, sizeof(sk), "skip:%c%zu", r[0] < 0x80 && r[0] > 0x20 ? r[0] : '?',
		    len / 10 * 10);
		emit(t, sk, (size_t)k);
		return;
	}
	if (n < SPAM_TOK_MIN_LEN)
		return;
	for (size_t i = 0; i < n; i++)
		if (r[i] >= 'A' && r[i] <= 'Z')
			r[i] = (unsigned char)(r[i] + 32);
	emit(t, (const char *)r, n);
	sub_words(t, r, n);
}


/* Plain text, one byte at a time. */
static void
text_byte(struct spam_tok *t, unsigned char c)
{
	if (delim(c)) {
		end_run(t);
		return;
	}
	if (t->rlen < RUN_MAX)
		t->run[t->rlen++] = c;
	else
		t->run_over = true;
}

static void
text_str(struct spam_tok *t, const char *s)
{
	while (*s != '\0')
		text_byte(t, (unsigned char)*s++);
}

/* ---- HTML ------------------------------------------------------------ */

static void
attr_urls(struct spam_tok *t, const char *tag, size_t n)
{
	static const char *const names[] = { "href=", "src=", "action=", "background=" };

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t nl = strlen(names[k]);
		for (size_t i = 0; i + nl < n; i++) {
			size_t j, e;
			if (strncasecmp(tag + i, names[k], nl) != 0)
				continue;
			j = i + nl;
			if (tag[j] == '"' || tag[j] == '\'')
				j++;
			for (e = j; e < n && !delim((unsigned char)tag[e]) && tag[e] != '\''; e++)
				;
			if (e - j > 0) {
				size_t len = e - j < RUN_MAX ? e - j : RUN_MAX;
				find_urls(t, (const unsigned char *)tag + j, len);
			}
			i = e;
		}
	}
}

static void
tag_done(struct spam_tok *t)
{
	char name[16];
	size_t i = 0, k = 0;
	bool closing = false;

	if (t->taglen > 0 && t->tag[0] == '/') {
		closing = true;
		i = 1;
	}
	for (; i < t->taglen && k < sizeof(name) - 1; i++) {
		char c = t->tag[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			break;
		name[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	name[k] = '\0';
	if (t->skip_until != 0) {
		if (closing && strcmp(name, t->skip_until == 1 ? "style" : "script") == 0)
			t->skip_until = 0;
		return;
	}
	if (k == 0)
		return;
	/* no token for the tag itself: HTML is so common in spam that tag
	 * names make every HTML newsletter look like spam (SpamBayes strips
	 * tags for the same reason; docs/SPAM.md) */
	if (!closing) {
		attr_urls(t, t->tag, t->taglen);
		if (strcmp(name, "style") == 0)
			t->skip_until = 1;
		else if (strcmp(name, "script") == 0)
			t->skip_until = 2;
	}
	if (strcmp(name, "br") == 0 || strcmp(name, "p") == 0 || strcmp(name, "div") == 0 ||
	    strcmp(name, "td") == 0 || strcmp(name, "tr") == 0 || strcmp(name, "li") == 0 ||
	    strcmp(name, "table") == 0 || name[0] == 'h')
		end_run(t);
}

static void
entity_done(struct spam_tok *t)
{
	static const struct { const char *name; const char *text; } ents[] = {
		{ "nbsp", " " }, { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
		{ "apos", "'" },
	};
	char *e = t->ent;
	size_t n = t->entlen;

	t->entlen = 0;
	if (n > 1 && e[0] == '#') {
		long v = (e[1] == 'x' || e[1] == 'X') ? strtol(e + 2, NULL, 16) : strtol(e + 1, NULL, 10);
		if (v > 0x20 && v < 0x7f)
			text_byte(t, (unsigned char)v);
		else if (v == 0x20 || v == 0xa0)
			end_run(t);
		return;
	}
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (strcasecmp(e, ents[i].name) == 0) {
			text_str(t, ents[i].text);
			return;
		}
}

static void
html_byte(struct spam_tok *t, unsigned char c)
{
	switch (t->hs) {
	case H_TEXT:
		if (c == '<') {
			t->hs = H_TAG;
			t->taglen = 0;
		} else if (c == '&' && t->skip_until == 0) {
			t->hs = H_ENTITY;
			t->entlen = 0;
		} else if (t->skip_until == 0) {
			text_byte(t, c);
		}
		break;
	case H_TAG:
		if (c == '>') {
			t->tag[t->taglen] = '\0';
			tag_done(t);
			t->hs = H_TEXT;
		} else if (t->taglen < TAG_MAX - 1) {
			t->tag[t->taglen++] = (char)c;
			if (t->taglen == 3 && memcmp(t->tag, "!--", 3) == 0) {
				t->hs = H_COMMENT;
				t->dashes = 0;
			}
		}
		break;
	case H_COMMENT:
		if (c == '>' && t->dashes >= 2)
			t->hs = H_TEXT;
		t->dashes = c == '-' ? t->dashes + 1 : 0;
		break;
	case H_ENTITY:
		if (c == ';') {
			t->ent[t->entlen] = '\0';
			entity_done(t);
			t->hs = H_TEXT;
		} else if (t->entlen < sizeof(t->ent) - 1 &&
		    ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '#')) {
			t->ent[t->entlen++] = (char)c;
		} else {
			/* not an entity after all: the text as it was */
			t->hs = H_TEXT;
			text_byte(t, '&');
			for (size_t i = 0; i < t->entlen; i++)
				text_byte(t, (unsigned char)t->ent[i]);
			t->entlen = 0;
			html_byte(t, c);
		}
		break;
	}
}

static void
part_byte(struct spam_tok *t, unsigned char c)
{
	if (t->html)
		html_byte(t, c);
	else
		text_byte(t, c);
}

/* Whether s[0..n) names a tag that only HTML begins with. */
static bool
html_opening(const unsigned char *s, size_t n)
{
	static const char *const names[] = {
		"html", "head", "body", "!doctype", "x-html", "meta", "title", "table", "font",
		"div", "center", "p", "a", "b", "br", "img", "style", "script",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp((const char *)s, names[i], n) == 0)
			return true;
	return false;
}

/* The held bytes of the sniffer, then no more sniffing. */
static void
sniff_flush(struct spam_tok *t)
{
	size_t n = t->snlen;

	t->sniff = false;
	t->snlen = 0;
	for (size_t i = 0; i < n; i++)
		part_byte(t, t->sn[i]);
}

/* A text/plain part (or a message without Content-Type) whose first
 * bytes open an HTML tag (<html>, <font ...>, <!DOCTYPE ...>) is read as
 * HTML, as mail clients that sniff show it; spam sent without a type does
 * this.  Leading blanks are skipped; "<snip>" or a quoted "<addr>" stay
 * text.  At most sizeof(sn) bytes are held. */
static void
sniff_byte(struct spam_tok *t, unsigned char c)
{
	bool namec = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '!' || c == '-';

	if (t->snlen == 0) {
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			return;
		if (c != '<') {
			t->sniff = false;
			part_byte(t, c);
			return;
		}
		t->sn[t->snlen++] = c;
		return;
	}
	if (namec && t->snlen < sizeof(t->sn)) {
		t->sn[t->snlen++] = c;
		return;
	}
	t->html = !namec && html_opening(t->sn + 1, t->snlen - 1);
	sniff_flush(t);
	part_byte(t, c);
}

static void
utf8_bytes(struct spam_tok *t, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t->sniff)
			sniff_byte(t, p[i]);
		else
			part_byte(t, p[i]);
	}
}

/* ---- parts and charsets ---------------------------------------------- */

static bool
is_utf8_or_ascii(const char *cs)
{
	return cs[0] == '\0' || strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
	    strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0;
}

void
spam_tok_part_begin(struct spam_tok *t, const char *type, const char *charset)
{
	char lc[48];
	size_t i;

	spam_tok_part_end(t);
	t->in_part = true;
	t->html = type != NULL && strcasecmp(type, "text/html") == 0;
	t->sniff = type != NULL && strcasecmp(type, "text/plain") == 0;
	t->snlen = 0;
	t->hs = H_TEXT;
	t->skip_until = 0;
	t->plen = 0;
	if (type != NULL)
		emit2(t, "ct:", type, strlen(type));
	if (charset == NULL)
		charset = "";
	for (i = 0; charset[i] != '\0' && i < sizeof(lc) - 1; i++)
		lc[i] = (char)(charset[i] >= 'A' && charset[i] <= 'Z' ? charset[i] + 32 : charset[i]);
	lc[i] = '\0';
	if (lc[0] != '\0')
		emit2(t, "cs:", lc, i);
	if (!is_utf8_or_ascii(lc)) {
		t->cd = iconv_open("UTF-8", lc);
		if (t->cd == (iconv_t)-1)
			emit2(t, "cs-unknown:", lc, i);
	}
}

void
spam_tok_part_end(struct spam_tok *t)
{
	if (!t->in_part)
		return;
	if (t->sniff)
		sniff_flush(t);
	if (t->html && t->hs == H_ENTITY) {
		t->hs = H_TEXT;
		t->entlen = 0;
	}
	end_run(t);
	close_cd(t);
	t->in_part = false;
}

static void
convert(struct spam_tok *t, const unsigned char *buf, size_t len)
{
	unsigned char in[8 + 1024], out[4096];

	while (len > 0) {
		size_t take = len < 1024 ? len : 1024;
		char *ip = (char *)in, *op = (char *)out;
		size_t il, ol = sizeof(out);

		memcpy(in, t->carry, t->ncarry);
		memcpy(in + t->ncarry, buf, take);
		il = t->ncarry + take;
		buf += take;
		len -= take;
		t->ncarry = 0;
		while (il > 0) {
			if (iconv(t->cd, &ip, &il, &op, &ol) != (size_t)-1)
				break;
			if (errno == E2BIG) {
				utf8_bytes(t, out, (size_t)(op - (char *)out));
				op = (char *)out;
				ol = sizeof(out);
			} else if (errno == EINVAL && il <= sizeof(t->carry)) {
				/* an incomplete sequence: it waits for the next chunk */
				memcpy(t->carry, ip, il);
				t->ncarry = il;
				il = 0;
			} else {
				ip++;     /* EILSEQ: the byte is dropped */
				il--;
			}
		}
		utf8_bytes(t, out, (size_t)(op - (char *)out));
	}
}

void
spam_tok_text(struct spam_tok *t, const unsigned char *buf, size_t len)
{
	if (!t->in_part)
		spam_tok_part_begin(t, "text/plain", "");
	if (t->text_bytes >= SPAM_TOK_MAX_TEXT) {
		t->text_cut = true;
		return;
	}
	if (len > SPAM_TOK_MAX_TEXT - t->text_bytes) {
		len = SPAM_TOK_MAX_TEXT - t->text_bytes;
		t->text_cut = true;
	}
	t->text_bytes += len;
	if (t->cd != (iconv_t)-1)
		convert(t, buf, len);
	else
		utf8_bytes(t, buf, len);
}

/* ---- header fields --------------------------------------------------- */

/* Message-ID: the part after '@' (SpamBayes's message-id:@DOMAIN). */
static void
msgid_tokens(struct spam_tok *t, const char *v, size_t len)
{
	const char *at = memchr(v, '@', len), *e;

	if (at == NULL || (e = memchr(at, '>', len - (size_t)(at - v))) == NULL || e - at < 2 ||
	    e - at > 64) {
		emit(t, "message-id:invalid", 18);
		return;
	}
	emit2(t, "message-id:", at, (size_t)(e - at));
}

/* Fields that relays, mailing lists and the delivery add on the way:
 * they describe the route, not what the sender wrote, and spam sent to a
 * list arrives with the list's fields, so a classifier that learnt them
 * would call it ham (measured on the SpamAssassin corpus: a fifth of the
 * spam missed came through a list that carried only ham in training,
 * docs/SPAM.md "Route fields").  Mailbox fields (Status, X-Status,
 * X-Keywords, X-UID, X-Mozilla-*, Lines, Content-Length) are written by
 * the mail store after delivery: the daemon never sees them, only
 * postern-learn reading mailbox files, so they would teach an artefact of
 * the training files.  Not even their presence is a token. */
static bool
route_field(const char *name)
{
	static const char *const route[] = {
		"received", "return-path", "delivered-to", "sender", "errors-to", "precedence",
		"x-beenthere", "x-loop", "mailing-list", "x-mailing-list", "x-authentication-warning",
		"x-originalarrivaltime", "status", "x-status", "x-keywords", "x-uid", "lines",
		"content-length", "x-imap", "x-imapbase",
	};
	static const char *const prefix[] = {
		"list-", "x-mailman-", "x-original-", "x-list", "x-mozilla-",
	};

	for (size_t i = 0; i < sizeof(route) / sizeof(route[0]); i++)
		if (strcasecmp(name, route[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (strncasecmp(name, prefix[i], strlen(prefix[i])) == 0)
			return true;
	return false;
}

/* A list message's fields: the hosts of its List-* addresses and links
 * are the list's (list_host()). */
static void
list_field(struct spam_tok *t, const char *name, const char *v, size_t len)
{
	if (strncasecmp(name, "list-", 5) != 0 && strcasecmp(name, "x-mailman-version") != 0 &&
	    strcasecmp(name, "x-beenthere") != 0 && strcasecmp(name, "mailing-list") != 0 &&
	    strcasecmp(name, "x-mailing-list") != 0)
		return;
	for (size_t i = 0; i < len && t->nlisthosts < LIST_HOSTS; i++) {
		char host[LIST_HOST_MAX + 1];
		size_t b, n;

		if (v[i] == '@')
			b = i + 1;
		else if (i + 3 <= len && memcmp(v + i, "://", 3) == 0)
			b = i + 3;
		else
			continue;
		for (n = 0; b + n < len && n < LIST_HOST_MAX; n++) {
			unsigned char c = (unsigned char)v[b + n];
			c = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			if (!hostc(c))
				break;
			host[n] = (char)c;
		}
		host[n] = '\0';
		if (memchr(host, '.', n) != NULL && !list_host(t, (const unsigned char *)host, n))
			memcpy(t->listhost[t->nlisthosts++], host, n + 1);
		if (n > 0)
			i = b + n - 1;
	}
}

static bool
skipped_field(const char *name)
{
	static const char *const skip[] = {
		"date", "message-id", "authentication-results", "dkim-signature",
		"domainkey-signature", "arc-seal", "arc-message-signature",
		"arc-authentication-results", "received-spf", "x-virus-scanned", "x-mime-autoconverted",
		"mime-version", "content-transfer-encoding", "in-reply-to", "references",
	};

	if (strncasecmp(name, "x-spam", 6) == 0 || strncasecmp(name, "x-postern", 9) == 0)
		return true;
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcasecmp(name, skip[i]) == 0)
			return true;
	return false;
}

void
spam_tok_header(struct spam_tok *t, const char *name, const char *value, size_t len)
{
	char p[PREFIX_MAX];
	size_t k = 0;

	spam_tok_part_end(t);
	for (const char *s = name; *s != '\0' && k < PREFIX_MAX - 2; s++)
		p[k++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
	p[k] = '\0';
	t->plen = 0;
	/* X-Spam-* and X-Postern-* fields are another filter's (or a
	 * sender's forgery), route fields the relays' and lists': not even
	 * their presence is a token */
	list_field(t, name, value, len < SPAM_TOK_MAX_HEADER ? len : SPAM_TOK_MAX_HEADER);
	if (strncasecmp(name, "x-spam", 6) == 0 || strncasecmp(name, "x-postern", 9) == 0 ||
	    route_field(name))
		return;
	emit2(t, "hdr:", p, k);
	if (strcasecmp(name, "message-id") == 0)
		msgid_tokens(t, value, len);
	if (skipped_field(name))
		return;
	p[k++] = ':';
	memcpy(t->prefix, p, k);
	t->plen = k;
	if (len > SPAM_TOK_MAX_HEADER)
		len = SPAM_TOK_MAX_HEADER;
	for (size_t i = 0; i < len; i++)
		text_byte(t, (unsigned char)value[i]);
	end_run(t);
	t->plen = 0;
}

size_t
spam_tok_count(const struct spam_tok *t)
{
	return t->n;
}

bool
spam_tok_truncated(const struct spam_tok *t)
{
	return t->full || t->text_cut;
}

size_t
spam_tok_hashes(const struct spam_tok *t, uint64_t *out, size_t cap)
{
	size_t k = t->n < cap ? t->n : cap;

	memcpy(out, t->order, k * sizeof(*out));
	return k;
}
