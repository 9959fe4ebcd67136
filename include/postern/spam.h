/*
 * spam.h - the spam engine (filter/spam/): named rules with scores, the
 * rule set compiled once per snapshot, a message's hits and their total
 * under a policy's score overrides, DNS blocklists (RFC 5782 names and
 * answers), GTUBE and the HELO/header rules.  It knows nothing of
 * sessions, checks or policies: check_spam.c feeds it facts and turns its
 * totals into verdicts and header edits.
 *
 * Scores are fixed-point hundredths (util.h, parse_score).
 */
#ifndef POSTERN_SPAM_H
#define POSTERN_SPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "postern/util.h"

#define SPAM_NAME_MAX 48        /* rule names (as CT_NAME_MAX) */
#define SPAM_LIST_NAME_MAX 32   /* a blocklist's own name; its rule is dnsbl_NAME / uribl_NAME */
#define SPAM_MAX_LISTS 16       /* blocklists in spam.dnsbl + spam.uribl */
#define SPAM_MAX_CODES 8        /* codes= entries per list */
#define SPAM_MAX_RULES 80
#define SPAM_MAX_HITS 80        /* rules that fire per message (one hit per rule) */

/* The built-in rules, in the rule set's first slots. */
enum spam_builtin {
	SR_GTUBE = 0,
	SR_SPF_FAIL,
	SR_SPF_SOFTFAIL,
	SR_DKIM_FAIL,
	SR_DMARC_FAIL,
	SR_AUTH_NONE,
	SR_AUTH_ERROR,          /* SPF or DKIM could not be checked: auth_none unknown */
	SR_DKIM_FROM_PASS,
	SR_HELO_BARE_IP,
	SR_HELO_NOT_FQDN,
	SR_HELO_OURS,
	SR_NO_DATE,
	SR_NO_MESSAGE_ID,
	SR_HEADER_8BIT,
	SR_MANY_RCPTS,
	SR_DNSBL_ERROR,
	SR_SPAMD,
	SR_SPAMD_ERROR,
	SR_URIBL_ERROR,
	SR_HTML_ONLY,
	SR_IMAGE_ONLY,
	SR_URL_SHORTENER,
	SR_FROM_NAME_DOMAIN,
	SR_DATE_FUTURE,
	SR_DATE_PAST,
	SR_DATE_INVALID,
	SR_LINK_MISMATCH,
	SR_HTML_HIDDEN,
	SR_HEADER_MALFORMED,
	SR_BAYES_00,            /* the classifier's bands (spam_bayes_rule) */
	SR_BAYES_05,
	SR_BAYES_20,
	SR_BAYES_50,
	SR_BAYES_80,
	SR_BAYES_95,
	SR_BAYES_99,
	SR_BAYES_999,
	SR_BAYES_ERROR,         /* the store could not be asked */
	SR_SUBJECT_CAPS,        /* the content rules (spam_content.c) */
	SR_SUBJECT_SHOUT,
	SR_SUBJECT_MONEY,
	SR_TO_UNDISCLOSED,
	SR_MSGID_INVALID,
	SR_MIME_NO_VERSION,
	SR_PRIORITY_HIGH,
	SR_BASE64_TEXT,
	SR_BODY_PHRASE,
	SR_BODY_PHRASES,
	SR_HTML_IMAGE_TEXT,
	SR_URL_IP,
	SR_MUA_FORGED,
	SR_DATE_ZONE_ODD,       /* check_spam.c, from spam_parse_date's zone */
	SR_FREEMAIL_FORGED,     /* check_spam.c, spam_freemail.c */
	SR_NBUILTIN
};

enum spam_list_kind { SPAM_LIST_IP = 0, SPAM_LIST_URI };

/* One blocklist (or allowlist: a negative score), from one spam.dnsbl row. */
struct spam_list {
	char name[SPAM_LIST_NAME_MAX + 1];
	char zone[254];
	int score;
	enum spam_list_kind kind;
	uint32_t codes[SPAM_MAX_CODES]; /* exact answers (host order); none = any 127/8 */
	size_t ncodes;
	uint32_t mask;                  /* answer & mask != 0 (0 = not used) */
	size_t rule;                    /* its rule's index in the set */
};

enum spam_list_status { SPAM_LIST_OK = 0, SPAM_LIST_SYNTAX };

/*
 * Parse one list row: "NAME ZONE score=S [codes=A,B,...] [mask=N]",
 * fields separated by blanks; NAME is a-z 0-9 _ (at most 32), ZONE a
 * domain name, S a score (negative for an allowlist), codes the exact
 * 127.x.y.z answers that count, mask a bit mask (decimal or 0x hex) over
 * the answer's last octet.  On error why gets a static description.
 */
enum spam_list_status spam_list_parse(const char *buf, size_t len, enum spam_list_kind kind,
    struct spam_list *out, const char **why);

struct spam_rule {
	char name[SPAM_NAME_MAX + 1];
	int score;                      /* default score (weight for "spamd") */
	const char *desc;               /* static */
};

/* The compiled rule set: built-ins, then one rule per list.  Immutable
 * once built; belongs to a snapshot. */
struct spam_rules {
	struct spam_rule r[SPAM_MAX_RULES];
	size_t n;
	struct spam_list lists[SPAM_MAX_LISTS];
	size_t nlists;
};

/* Build from the spam.dnsbl and spam.uribl rows; false with one line per
 * problem in problems ("spam.dnsbl: element N: ..."). */
bool spam_rules_build(struct spam_rules *rs, const struct strlist *dnsbl,
    const struct strlist *uribl, strbuf *problems);
/* The rule's index, or -1. */
int spam_rule_find(const struct spam_rules *rs, const char *name, size_t len);

/* A message's hits: each rule at most once. value is the rule's own
 * measure for weighted rules (spamd's score), else 0. */
struct spam_hit {
	unsigned short rule;
	int value;
};
struct spam_hits {
	struct spam_hit v[SPAM_MAX_HITS];
	size_t n;
};

void spam_hit(struct spam_hits *h, size_t rule, int value);
bool spam_has_hit(const struct spam_hits *h, size_t rule);

/*
 * Scoring under a policy's overrides (a spam.scores list of "rule=score",
 * validated at load; NULL = none): a rule's score is its override or its
 * default; "spamd" multiplies spamd's own score by its score (1.0 = as
 * spamd says).  Totals saturate at +-SCORE_LIMIT.
 */
int spam_rule_score(const struct spam_rules *rs, const struct strlist *ovr, size_t rule);
int spam_hit_score(const struct spam_rules *rs, const struct strlist *ovr, const struct spam_hit *h);
int spam_total(const struct spam_rules *rs, const struct strlist *ovr, const struct spam_hits *h);
/*
 * Append the hits, strongest (highest score) first: "name=score" joined
 * by sep when with_scores, else the names only; at most max hits (0 = all).
 */
void spam_format_hits(const struct spam_rules *rs, const struct strlist *ovr,
    const struct spam_hits *h, strbuf *out, const char *sep, bool with_scores, size_t max);

/* ---- DNS blocklists (spam_dnsbl.c) --------------------------------- */

/* The RFC 5782 query name for an address in zone (IPv4: reversed octets,
 * IPv6: 32 reversed nibbles); false if it does not fit in cap. */
bool spam_dnsbl_name(int family, const uint8_t ip[16], const char *zone, char *out, size_t cap);
/* The same for a domain (URI blocklists): "domain.zone". */
bool spam_uribl_name(const char *domain, const char *zone, char *out, size_t cap);

enum spam_listed { SPAM_NOT_LISTED = 0, SPAM_LISTED, SPAM_LIST_ERROR };
/* What one A record of a list's answer means: listed if it is one of the
 * codes (or, without codes, any 127.0.0.0/8 answer except the error range)
 * and passes the mask; 127.255.255.0/24 and answers outside 127/8 are
 * errors (a refused or broken zone), never a listing. */
enum spam_listed spam_list_match(const struct spam_list *l, const unsigned char *rdata, int rdlen);

/* ---- GTUBE and HELO / header rules (spam_rules.c) ------------------ */

#define SPAM_GTUBE "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

/* A streaming matcher over the body: any chunking. */
struct spam_gtube {
	size_t matched;
	bool found;
};
void spam_gtube_feed(struct spam_gtube *g, const unsigned char *buf, size_t len);

/* A header value holds 8-bit bytes (raw, not RFC 2047 encoded). */
bool spam_has_8bit(const char *value, size_t len);
/* RFC 5322 2.2: a field name outside printable US-ASCII (or with ':'), a
 * body with NUL, a bare CR or another control byte, a line break that does
 * not start a fold, or a line over 998 octets. */
bool spam_header_malformed(const char *name, const char *value, size_t len);
/* RFC 5322 3.6: the fields a message has at most once (Date, Subject,
 * Message-ID, To, Cc, Reply-To, Sender, In-Reply-To, References): the bit
 * of name, or 0 for any other field. */
unsigned spam_unique_field(const char *name);
/* Is domain (a registered domain, lower case) a known URL shortener? */
bool spam_is_shortener(const char *domain);
/* The domain of an address shown in a From display name
 * ("\"support@bank.example\" <x@other.example>" -> bank.example);
 * false when there is none. */
bool spam_display_domain(const char *value, size_t len, char *out, size_t cap);
/* A Date field value (RFC 5322 3.3 and the obsolete forms of 4.3) to the
 * time it names and, if zone is not NULL, its zone's offset from UTC in
 * seconds; false if it does not parse.  Never reads past len. */
bool spam_parse_date(const char *buf, size_t len, time_t *out, long *zone);
/* Whether a zone offset is one no place uses: more than 14 hours from UTC,
 * or minutes other than 00, 30 and 45 (date_zone_odd). */
bool spam_date_zone_odd(long zone);
#define SPAM_DATE_FUTURE_S (12 * 3600)        /* date_future: later than now + 12 h */
#define SPAM_DATE_PAST_S (4 * 24 * 3600)      /* date_past: earlier than now - 4 days */
/* The free mail service (an index under 32) whose address domain this is,
 * or -1 (spam_freemail.c). */
int spam_freemail_service(const char *domain);
/* The services (bit 1 << index) one of whose relay domains names a host in
 * s, a Received value or a host name. */
unsigned spam_freemail_relays(const char *s, size_t len);
/* Addresses in a To/Cc value (counted by '@' outside quotes). */
unsigned spam_count_addresses(const char *value, size_t len);

/* ---- content rules (spam_content.c) --------------------------------- */

#define SPAM_CAPS_MIN_LETTERS 10    /* subject_caps: at least this many letters, */
#define SPAM_CAPS_PERCENT 90        /* ... this share of them upper case */
#define SPAM_PHRASES_SOME 2         /* body_phrase: distinct sales phrases in the text */
#define SPAM_PHRASES_MANY 3         /* body_phrases */
#define SPAM_IMAGE_TEXT_MAX 200     /* html_image_text: non-blank text bytes under this */

/* Subject (RFC 2047 words decoded): 10+ letters, 90 % upper case. */
bool spam_subject_caps(const char *s, size_t len);
/* Two or more '!', or "$$". */
bool spam_subject_shout(const char *s, size_t len);
/* A sum ("$5", "$1,000") or a percentage ("50%"). */
bool spam_subject_money(const char *s, size_t len);
/* To/Cc: "undisclosed" (recipients) or "recipient list suppressed". */
bool spam_to_undisclosed(const char *s, size_t len);
/* A Message-ID value that is not "<left@right>" (one '@', both sides
 * non-empty, no blanks or controls inside). */
bool spam_msgid_invalid(const char *s, size_t len);
/* Outlook Express's and old Outlook's Message-ID: <H$H$H@host>, the first
 * H 8 or 12 lower-case hex digits, the others 8. */
bool spam_msgid_dollars(const char *s, size_t len);
/* An X-Mailer naming Outlook Express 4, 5 or 6. */
bool spam_mailer_oe(const char *s, size_t len);
/* X-Priority: 1, X-MSMail-Priority / Importance / Priority: high or urgent. */
bool spam_priority_high(const char *name, const char *s, size_t len);
/* A host that is a dotted-quad IPv4 address. */
bool spam_host_is_ip(const char *host, size_t len);

/* The facts, collected as the message streams; zeroed per message. */
struct spam_content {
	bool subject, subject_caps, subject_shout, subject_money;
	bool undisclosed;
	bool msgid, msgid_invalid;
	bool msgid_dollars;              /* Outlook's <hex$hex$hex@host> Message-ID */
	bool mailer_oe;                  /* X-Mailer: Outlook Express 4, 5 or 6 */
	bool mimeole, mimeole_ms;        /* X-MimeOLE present; "Produced By Microsoft MimeOLE" */
	bool mime_version, mime_type, priority_high;
	bool url_ip;
	unsigned freemail_relays;        /* spam_freemail_relays of every Received */
	bool base64_ascii;               /* a base64 text part decoded to 7-bit bytes */
	unsigned images;                 /* <img> tags in HTML parts */
	uint64_t phrase_bits;            /* the phrases seen (spam_content.c's list) */
	char win[32];                    /* the last text bytes, folded (a ring) */
	size_t win_len;
	unsigned long long text_bytes;   /* non-blank text bytes (HTML: outside tags) */
	/* the current part */
	bool in_part, html, base64, part_8bit, part_bytes, in_tag;
	char tname[8];
	size_t tname_len;
};
/* A header field as it arrives (Subject with RFC 2047 words decoded). */
void spam_content_header(struct spam_content *sc, const char *name, const char *value, size_t len);
/* A text part begins (the previous one ends): its decoded bytes follow. */
void spam_content_part(struct spam_content *sc, bool html, bool base64);
void spam_content_text(struct spam_content *sc, const unsigned char *buf, size_t len);
void spam_content_part_end(struct spam_content *sc);
/* A link's host (spam_uri_feed). */
void spam_content_host(struct spam_content *sc, const char *host, size_t len);
/* Distinct sales phrases seen so far. */
unsigned spam_phrase_count(const struct spam_content *sc);
/* End of message: the rules that fire. */
void spam_content_hits(struct spam_content *sc, struct spam_hits *h);

/* ---- link domains in text (spam_uri.c) ------------------------------ */

#define SPAM_URI_HOST_MAX 253

/* Where a host was found: plain text, an HTML <a> tag (its href), or the
 * text between <a ...> and </a> (what the reader sees). */
enum spam_uri_where { SPAM_URI_TEXT = 0, SPAM_URI_HREF, SPAM_URI_ANCHOR };

/* Finds the host of every http:// and https:// link in a text stream;
 * with html set (by the caller, per part), also which are <a> targets and
 * which are shown as their text. */
struct spam_uri_scan {
	char tail[8];                   /* the last bytes, lower case */
	bool in_host, overflow;
	bool html;
	unsigned char tag;              /* 0 text, 1 tag name, 2 inside a tag */
	char tname[3];
	size_t tnlen;
	bool in_a_tag, in_anchor;
	char css[24];                   /* the last non-blank bytes inside tags, lower case */
	bool hidden;                    /* display:none, visibility:hidden or font-size:0 seen */
	char host[SPAM_URI_HOST_MAX + 1];
	size_t hlen;
	size_t hend;                    /* 1 + the host's length before a ':', or 0 */
};
typedef void (*spam_uri_cb)(void *ctx, const char *host, size_t len, enum spam_uri_where where);
/* Feed text; cb gets each host (lower case, with at least one dot; user
 * info dropped; longer than 253 bytes ignored). */
void spam_uri_feed(struct spam_uri_scan *u, const unsigned char *buf, size_t len, spam_uri_cb cb, void *ctx);
/* End of a part: a host still open is reported; the scanner is reset
 * (html and hidden too: read hidden first). */
void spam_uri_finish(struct spam_uri_scan *u, spam_uri_cb cb, void *ctx);
/* The registered domain of host (public suffix list); false if none. */
bool spam_registered_domain(const char *host, char *out, size_t cap);

/* ---- spamd client (spam_spamd.c) ------------------------------------ */

struct spamd_addr {
	int family;                     /* AF_INET / AF_INET6, 0 = none */
	uint8_t ip[16];
	uint16_t port;
	char text[64];
};
/* "127.0.0.1:783" or "[::1]:783"; false if malformed. */
bool spamd_addr_parse(const char *s, struct spamd_addr *out);

enum spamd_status { SPAMD_OK = 0, SPAMD_DOWN, SPAMD_TIMEOUT, SPAMD_PROTOCOL, SPAMD_TOO_BIG };

struct spamd_result {
	bool spam;                      /* spamd's own verdict */
	int score, threshold;           /* hundredths */
	char symbols[256];              /* its rule names, printable ASCII, cut */
	char why[96];                   /* on failure */
};

struct spamd_job;
/* Connect (within the deadline, timeout_ms from now) and send the request
 * line; never NULL: a failed job remembers why and ignores what follows. */
struct spamd_job *spamd_start(const struct spamd_addr *a, unsigned timeout_ms, size_t max_size);
/* The message as it streams: each header field (value as the MTA gives
 * it), the end of the header, body chunks (CRLF). */
void spamd_header(struct spamd_job *j, const char *name, const char *value);
void spamd_eoh(struct spamd_job *j);
void spamd_body(struct spamd_job *j, const unsigned char *buf, size_t len);
/* End of message: read and parse the reply (until the deadline). */
enum spamd_status spamd_finish(struct spamd_job *j, struct spamd_result *out);
void spamd_free(struct spamd_job *j);
/* Parse a SYMBOLS reply ("SPAMD/1.1 0 EX_OK", "Spam: True ; 7.3 / 5.0",
 * blank line, rule names).  Never reads past len. */
enum spamd_status spamd_reply_parse(const char *buf, size_t len, struct spamd_result *out);
const char *spamd_status_name(enum spamd_status st);

/* ---- the classifier: tokenizer (spam_token.c) ---------------------- */

#define SPAM_TOK_MIN_LEN 3          /* shorter words are not tokens */
#define SPAM_TOK_MAX_LEN 20         /* longer words become "skip:CN" */
#define SPAM_TOK_MAX_TOKENS 3000    /* distinct tokens kept per message */
#define SPAM_TOK_MAX_TEXT (256u << 10) /* decoded text bytes read per message */
#define SPAM_TOK_MAX_HEADER 2048    /* bytes of one header value read */

struct spam_tok;
struct spam_tok *spam_tok_new(void);
void spam_tok_free(struct spam_tok *t);
/* A header field (value as the MTA gives it, RFC 2047 words decoded by
 * the caller if it wants): "hdr:NAME" and NAME:WORD tokens; trace fields
 * (Received, Date, X-Spam-* ...) give only their hdr: token. */
void spam_tok_header(struct spam_tok *t, const char *name, const char *value, size_t len);
/* A text part: type "text/html" is reduced to text; charset converted to
 * UTF-8 (unknown: bytes as they are).  Its decoded bytes, any chunking. */
void spam_tok_part_begin(struct spam_tok *t, const char *type, const char *charset);
void spam_tok_text(struct spam_tok *t, const unsigned char *buf, size_t len);
void spam_tok_part_end(struct spam_tok *t);
size_t spam_tok_count(const struct spam_tok *t);
/* A limit was reached (tokens or text bytes). */
bool spam_tok_truncated(const struct spam_tok *t);
/* Copy at most cap hashes (distinct, never 0) to out; returns how many. */
size_t spam_tok_hashes(const struct spam_tok *t, uint64_t *out, size_t cap);
uint64_t spam_tok_hash(const char *s, size_t n);
/* For tests and postern-learn --tokens: see each token (prefix included). */
typedef void (*spam_tok_trace)(void *ctx, const char *tok, size_t len);
void spam_tok_set_trace(struct spam_tok *t, spam_tok_trace cb, void *ctx);

/* ---- the classifier: combiner (spam_bayes.c) ----------------------- */

#define SPAM_BAYES_MAX_DISCRIM 300

/* Robinson's f(w) for a token seen in spam / ham of nspam / nham trained
 * messages (0.5 when unknown or untrained). */
double spam_bayes_token_prob(int64_t spam, int64_t ham, int64_t nspam, int64_t nham);
/* Fisher-Robinson chi-square over the strongest tokens: 0 ham .. 1 spam;
 * *used gets how many tokens counted. */
double spam_bayes_combine(const int64_t *spam, const int64_t *ham, size_t n, int64_t nspam,
    int64_t nham, unsigned *used);
/* Q(chi2 | v) for even v (the probability of a value this large). */
double spam_bayes_chi2q(double x2, unsigned v);
/* The bayes_* rule of an indicator. */
size_t spam_bayes_rule(double p);

#endif
