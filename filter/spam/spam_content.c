/*
 * spam_content.c - the content rules: the shape of a message's header
 * fields (Subject in capitals or shouting, money in the Subject,
 * undisclosed recipients, a Message-ID of no RFC 5322 shape, no
 * MIME-Version on a MIME message, high priority, Outlook's marks without
 * the field Outlook writes) and of its decoded text
 * (base64 text that is plain ASCII, HTML images with next to no text,
 * links to a bare IP address, sales phrases).  A struct spam_content collects the facts as the
 * message streams; spam_content_hits turns them into hits.  Called by
 * check_spam.c; the predicates by the unit tests and the fuzz target.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "postern/spam.h"

/* ---- header predicates ---------------------------------------------- */

bool
spam_subject_caps(const char *s, size_t len)
{
	size_t upper = 0, letters = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 'A' && ch <= 'Z')
			upper++;
		else if (ch >= 'a' && ch <= 'z')
			letters++;
	}
	letters += upper;
	return letters >= SPAM_CAPS_MIN_LETTERS && upper * 100 >= letters * SPAM_CAPS_PERCENT;
}

bool
spam_subject_shout(const char *s, size_t len)
{
	size_t bang = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '!')
			bang++;
		if (s[i] == '$' && i + 1 < len && s[i + 1] == '$')
			return true;
	}
	return bang >= 2;
}

bool
spam_subject_money(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '$' && i + 1 < len && isdigit((unsigned char)s[i + 1]))
			return true;
		if (s[i] == '%' && i > 0 && isdigit((unsigned char)s[i - 1]))
			return true;
	}
	return false;
}

/* w (lower case or not) anywhere in s[0..len), ignoring case. */
static bool
has_ci(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= len; i++)
		if (strncasecmp(s + i, w, wl) == 0)
			return true;
	return false;
}

bool
spam_to_undisclosed(const char *s, size_t len)
{
	return has_ci(s, len, "undisclosed") || has_ci(s, len, "recipient list suppressed");
}

bool
spam_msgid_invalid(const char *s, size_t len)
{
	size_t b = 0, e = len, at = 0;

	while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
		e--;
	if (e - b < 5 || s[b] != '<' || s[e - 1] != '>')
		return true;
	for (size_t i = b + 1; i < e - 1; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '@') {
			if (at != 0)
				return true;
			at = i;
		} else if (ch <= ' ' || ch >= 0x7f || ch == '<' || ch == '>') {
			return true;
		}
	}
	return at == 0 || at == b + 1 || at == e - 2;
}

/* n lower-case hex digits at s[*i], then stop; *i moves past them. */
static bool
hex_run(const char *s, size_t len, size_t *i, size_t n, char stop)
{
	for (size_t k = 0; k < n; k++, (*i)++)
		if (*i >= len || !((s[*i] >= '0' && s[*i] <= '9') || (s[*i] >= 'a' && s[*i] <= 'f')))
			return false;
	return *i < len && s[(*i)++] == stop;
}

bool
spam_msgid_dollars(const char *s, size_t len)
{
	size_t b = 0, i;

	while (b < len && (s[b] == ' ' || s[b] == '\t'))
		b++;
	while (len > b && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
	    s[len - 1] == '\n'))
		len--;
	if (len - b < 2 || s[b] != '<' || s[len - 1] != '>')
		return false;
	/* 8 or 12 digits, then $, 8 digits, $, 8 digits, @ */
	i = b + 1;
	if (!hex_run(s, len, &i, 8, '$')) {
		i = b + 1;
		if (!hex_run(s, len, &i, 12, '$'))
			return false;
	}
	if (!hex_run(s, len, &i, 8, '$') || !hex_run(s, len, &i, 8, '@') || i >= len - 1)
		return false;
	for (; i < len - 1; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '<' || s[i] == '>' || s[i] == '@')
			return false;
	return true;
}

bool
spam_mailer_oe(const char *s, size_t len)
{
	static const char oe[] = "outlook express ";
	size_t n = sizeof(oe) - 1;

	for (size_t i = 0; i + n + 2 <= len; i++)
		if (strncasecmp(s + i, oe, n) == 0 && s[i + n] >= '4' && s[i + n] <= '6' &&
		    s[i + n + 1] == '.' && (i == 0 || !isalnum((unsigned char)s[i - 1])))
			return true;
	return false;
}

bool
spam_priority_high(const char *name, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (strcasecmp(name, "X-Priority") == 0)
		return i < len && s[i] == '1' && (i + 1 == len || !isdigit((unsigned char)s[i + 1]));
	if (strcasecmp(name, "X-MSMail-Priority") == 0 || strcasecmp(name, "Importance") == 0 ||
	    strcasecmp(name, "Priority") == 0)
		return (len - i >= 4 && strncasecmp(s + i, "high", 4) == 0) ||
		    (len - i >= 6 && strncasecmp(s + i, "urgent", 6) == 0);
	return false;
}

bool
spam_host_is_ip(const char *host, size_t len)
{
	unsigned dots = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (host[i] == '.')
			dots++;
		else if (!isdigit((unsigned char)host[i]))
			return false;
	}
	return dots == 3;
}

/* ---- phrases of the body -------------------------------------------- */

/* Sales and bulk-mail phrases (SpamAssassin's body rules of the same
 * years say much the same), matched in the decoded text, lower case, blanks
 * folded to one space, at a word start.  At most 64 (a bit each), each
 * shorter than the window (struct spam_content's win, 32 bytes). */
static const char *const phrases[] = {
	"this is not spam", "remove in the subject", "100% free", "act now", "limited time",
	"risk free", "risk-free", "no obligation", "money back", "order now", "s. 1618",
	"million dollars", "no cost", "call now", "order today", "financial freedom",
	"home business", "earn $", "mortgage rate", "refinanc", "buy direct", "extra income",
	"work from home", "no credit check", "pre-approved", "while supplies last",
	"one time mailing", "removal instructions", "to be removed", "opt-in list",
	"multi-level marketing", "dear friend", "you have been selected", "satisfaction guaranteed",
	"lowest rates", "free consultation", "best price", "special promotion", "save up to",
};
#define NPHRASES (sizeof(phrases) / sizeof(phrases[0]))
_Static_assert(NPHRASES <= 64, "a phrase is a bit of phrase_bits");
/* every phrase is 2 bytes or more (by_pair) */

/* The phrases by a hash of their last two bytes, built once: a text byte
 * is compared only with the phrases its pair could end (a hash collision
 * costs one comparison more, never a phrase missed).  By the last byte
 * alone, an 'e' had eight candidates. */
#define PAIR_BUCKETS 4096
static uint64_t by_pair[PAIR_BUCKETS];
static unsigned char phrase_len[NPHRASES];
static pthread_once_t by_pair_once = PTHREAD_ONCE_INIT;

static inline size_t
pair_hash(unsigned char a, unsigned char b)
{
	return ((size_t)a * 61u + b) & (PAIR_BUCKETS - 1);
}

static void
by_pair_init(void)
{
	for (size_t i = 0; i < NPHRASES; i++) {
		const unsigned char *p = (const unsigned char *)phrases[i];
		phrase_len[i] = (unsigned char)strlen(phrases[i]);
		by_pair[pair_hash(p[phrase_len[i] - 2], p[phrase_len[i] - 1])] |= (uint64_t)1 << i;
	}
}

static void
phrase_byte(struct spam_content *sc, unsigned char ch)
{
	uint64_t cand;
	size_t n;

	/* isspace() and tolower() of the C locale (postern sets no other),
	 * inline: this runs for every byte of text */
	if (ch == ' ' || (ch >= '\t' && ch <= '\r')) {
		if (sc->win_len > 0 && sc->win[(sc->win_len - 1) % sizeof(sc->win)] == ' ')
			return;
		ch = ' ';
	} else if (ch >= 'A' && ch <= 'Z') {
		ch = (unsigned char)(ch + 32);
	}
	sc->win[sc->win_len % sizeof(sc->win)] = (char)ch;
	sc->win_len++;
	n = sc->win_len;
	if (n < 2)
		return;
	cand = by_pair[pair_hash((unsigned char)sc->win[(n - 2) % sizeof(sc->win)], ch)] &
	    ~sc->phrase_bits;
	while (cand != 0) {
		size_t i = (size_t)__builtin_ctzll(cand);
		const char *p = phrases[i];
		size_t pl = phrase_len[i], k;

		cand &= cand - 1;
		if (pl > n)
			continue;
		for (k = 0; k < pl; k++)
			if (sc->win[(n - pl + k) % sizeof(sc->win)] != p[k])
				break;
		if (k < pl)
			continue;
		if (n > pl && isalnum((unsigned char)sc->win[(n - pl - 1) % sizeof(sc->win)]))
			continue;   /* inside a word: "contact now" is not "act now" */
		sc->phrase_bits |= (uint64_t)1 << i;
	}
}

unsigned
spam_phrase_count(const struct spam_content *sc)
{
	return (unsigned)__builtin_popcountll(sc->phrase_bits);
}

/* ---- collecting ----------------------------------------------------- */

void
spam_content_header(struct spam_content *sc, const char *name, const char *value, size_t len)
{
	if (strcasecmp(name, "Subject") == 0) {
		/* value: RFC 2047 words decoded by the caller */
		if (sc->subject)
			return;
		sc->subject = true;
		sc->subject_caps = spam_subject_caps(value, len);
		sc->subject_shout = spam_subject_shout(value, len);
		sc->subject_money = spam_subject_money(value, len);
	} else if (strcasecmp(name, "To") == 0) {
		sc->undisclosed = sc->undisclosed || spam_to_undisclosed(value, len);
	} else if (strcasecmp(name, "Cc") == 0 || strcasecmp(name, "Apparently-To") == 0) {
		sc->undisclosed = sc->undisclosed || spam_to_undisclosed(value, len);
	} else if (strcasecmp(name, "Message-ID") == 0) {
		if (!sc->msgid) {
			sc->msgid_invalid = spam_msgid_invalid(value, len);
			sc->msgid_dollars = spam_msgid_dollars(value, len);
		}
		sc->msgid = true;
	} else if (strcasecmp(name, "X-Mailer") == 0) {
		sc->mailer_oe = sc->mailer_oe || spam_mailer_oe(value, len);
	} else if (strcasecmp(name, "X-MimeOLE") == 0) {
		sc->mimeole = true;
		sc->mimeole_ms = sc->mimeole_ms || has_ci(value, len, "produced by microsoft mimeole");
	} else if (strcasecmp(name, "Received") == 0) {
		sc->freemail_relays |= spam_freemail_relays(value, len);
	} else if (strcasecmp(name, "MIME-Version") == 0) {
		sc->mime_version = true;
	} else if (strcasecmp(name, "Content-Type") == 0) {
		sc->mime_type = has_ci(value, len, "multipart/") || has_ci(value, len, "text/html");
	} else if (spam_priority_high(name, value, len)) {
		sc->priority_high = true;
	}
}

static void
html_byte(struct spam_content *sc, unsigned char ch)
{
	if (sc->in_tag) {
		if (sc->tname_len < sizeof(sc->tname)) {   /* SIZE_MAX: the name is over */
			if (isalpha(ch))
				sc->tname[sc->tname_len++] = (char)tolower(ch);
			else {
				if (sc->tname_len == 3 && memcmp(sc->tname, "img", 3) == 0)
					sc->images++;
				sc->tname_len = SIZE_MAX;   /* the name is over */
			}
		}
		if (ch == '>')
			sc->in_tag = false;
		return;
	}
	if (ch == '<') {
		sc->in_tag = true;
		sc->tname_len = 0;
		return;
	}
	if (!isspace(ch))
		sc->text_bytes++;
	phrase_byte(sc, ch);
}

void
spam_content_part(struct spam_content *sc, bool html, bool base64)
{
	pthread_once(&by_pair_once, by_pair_init);
	spam_content_part_end(sc);
	sc->in_part = true;
	sc->html = html;
	sc->base64 = base64;
	sc->part_8bit = false;
	sc->in_tag = false;
	phrase_byte(sc, ' ');
}

void
spam_content_text(struct spam_content *sc, const unsigned char *buf, size_t len)
{
	pthread_once(&by_pair_once, by_pair_init);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] >= 0x80)
			sc->part_8bit = true;
		if (sc->html)
			html_byte(sc, buf[i]);
		else {
			if (!isspace(buf[i]))
				sc->text_bytes++;
			phrase_byte(sc, buf[i]);
		}
	}
	if (sc->base64 && len > 0)
		sc->part_bytes = true;
}

void
spam_content_part_end(struct spam_content *sc)
{
	if (!sc->in_part)
		return;
	if (sc->base64 && sc->part_bytes && !sc->part_8bit)
		sc->base64_ascii = true;
	sc->in_part = false;
	sc->part_bytes = false;
}

void
spam_content_host(struct spam_content *sc, const char *host, size_t len)
{
	if (spam_host_is_ip(host, len))
		sc->url_ip = true;
}

void
spam_content_hits(struct spam_content *sc, struct spam_hits *h)
{
	spam_content_part_end(sc);
	if (sc->subject_caps)
		spam_hit(h, SR_SUBJECT_CAPS, 0);
	if (sc->subject_shout)
		spam_hit(h, SR_SUBJECT_SHOUT, 0);
	if (sc->subject_money)
		spam_hit(h, SR_SUBJECT_MONEY, 0);
	if (sc->undisclosed)
		spam_hit(h, SR_TO_UNDISCLOSED, 0);
	if (sc->msgid && sc->msgid_invalid)
		spam_hit(h, SR_MSGID_INVALID, 0);
	if (sc->mime_type && !sc->mime_version)
		spam_hit(h, SR_MIME_NO_VERSION, 0);
	if (sc->priority_high)
		spam_hit(h, SR_PRIORITY_HIGH, 0);
	if (sc->base64_ascii)
		spam_hit(h, SR_BASE64_TEXT, 0);
	if (spam_phrase_count(sc) >= SPAM_PHRASES_MANY)
		spam_hit(h, SR_BODY_PHRASES, 0);
	else if (spam_phrase_count(sc) >= SPAM_PHRASES_SOME)
		spam_hit(h, SR_BODY_PHRASE, 0);
	if (sc->images > 0 && sc->text_bytes < SPAM_IMAGE_TEXT_MAX)
		spam_hit(h, SR_HTML_IMAGE_TEXT, 0);
	if (sc->url_ip)
		spam_hit(h, SR_URL_IP, 0);
	/* Outlook Express and Outlook up to 2003 write X-MimeOLE "Produced By
	 * Microsoft MimeOLE" with their <hex$hex$hex@host> Message-ID; later
	 * Outlook ends its Message-ID in "$@", which does not match */
	if ((sc->msgid_dollars && !sc->mimeole_ms) || (sc->mailer_oe && !sc->mimeole))
		spam_hit(h, SR_MUA_FORGED, 0);
}
