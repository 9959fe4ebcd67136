/*
 * mime.h - the streaming MIME scanner, its header/parameter parser, the
 * on-the-fly transfer decoders and the zip lister.
 *
 * The scanner is fed body bytes as they arrive (any chunking) and never
 * holds the message: its memory is a fixed struct, one small record per
 * MIME part (bounded by limits.parts) and one header field (bounded by
 * limits.header_bytes).  It reports each part through an event callback and
 * keeps the facts (types, names, sizes, depth) for the log line and the
 * spam screen.  No libmilter; called by check_attach.c and the tools.
 */
#ifndef POSTERN_MIME_H
#define POSTERN_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "postern/util.h"

/* Named limits: defaults (policy keys override them) and hard ceilings. */
#define MIME_DEF_DEPTH        16     /* nesting of multipart / message parts */
#define MIME_DEF_PARTS        500    /* MIME entities in one message */
#define MIME_DEF_HEADER_LINE  4096   /* one physical header line, bytes */
#define MIME_DEF_HEADER_BYTES 65536  /* one part's header block, bytes */
#define MIME_DEF_BOUNDARY     200    /* boundary parameter (RFC 2046: 70) */
#define MIME_DEF_FILENAME     512    /* decoded file name, bytes */
#define MIME_DEF_ZIP_ENTRIES  1000   /* entries listed per zip archive */
#define MIME_MAX_BOUNDARY     998
#define MIME_STR_(x) #x
#define MIME_STR(x) MIME_STR_(x)   /* a default as text, for key tables */
#define MIME_TYPE_MAX         96     /* "type/subtype" kept, longer is cut */
#define MIME_CHARSET_MAX      40     /* charset parameter kept (longer: none) */

struct mime_limits {
	unsigned depth;
	unsigned parts;
	unsigned header_line;
	unsigned header_bytes;
	unsigned boundary;
	unsigned filename;
	unsigned zip_entries;
};

enum mime_limit {
	MIME_LIM_NONE = 0,
	MIME_LIM_DEPTH,
	MIME_LIM_PARTS,
	MIME_LIM_HEADER_LINE,
	MIME_LIM_HEADER_BYTES,
	MIME_LIM_BOUNDARY,
	MIME_LIM_FILENAME,
	MIME_LIM_ZIP_ENTRIES,
	MIME_LIM_SYNTAX,        /* malformed structure clients read differently */
};

enum mime_enc { ENC_7BIT = 0, ENC_8BIT, ENC_BINARY, ENC_BASE64, ENC_QP, ENC_OTHER, ENC_UU };
/* base64, quoted-printable and x-uuencode are decoded; the rest counted as is */
#define MIME_ENC_DECODED(e) ((e) == ENC_BASE64 || (e) == ENC_QP || (e) == ENC_UU)

enum mime_kind { MIME_LEAF = 0, MIME_MULTIPART, MIME_MESSAGE };

struct mime_part {
	char type[MIME_TYPE_MAX];   /* lower-case "type/subtype", default applied */
	char charset[MIME_CHARSET_MAX]; /* Content-Type charset=, as given; "" if none or too long */
	char *filename;             /* decoded (RFC 2231/2047), NUL-free; owned; NULL if none */
	char **names;               /* the other names a client may show (name= vs
	                             * filename=, duplicates, filename*= vs
	                             * filename=, sections), each distinct; owned */
	unsigned nnames;
	enum mime_enc enc;
	enum mime_kind kind;
	bool attachment;            /* Content-Disposition: attachment */
	bool is_zip;
	bool zip_encrypted;         /* some entry is encrypted */
	bool zip_broken;            /* the archive did not parse to the end */
	bool in_text;               /* a uuencoded or yEnc block in a text body
	                             * (its bytes are the text part's too) */
	unsigned depth;             /* 0 = the message itself */
	unsigned zip_entries;
	unsigned long long enc_size;  /* body bytes as transferred */
	unsigned long long dec_size;  /* body bytes after base64/QP decoding */
};

/* What the spam screen and the log read. */
struct mime_facts {
	struct mime_part *parts;    /* every entity in document order */
	size_t nparts;
	unsigned long long total_decoded;  /* sum over leaf parts (an encoded
	                                    * message counts once, not its parts) */
	unsigned max_depth;
	bool unterminated;          /* a multipart lacked its close delimiter */
	enum mime_limit limit;      /* the limit crossed, if any */
	char reason[128];           /* why, for logs and replies (ASCII) */
};

struct zip_entry {
	const char *name;           /* not NUL-terminated, may hold any byte */
	size_t namelen;
	uint64_t csize, usize;
	bool encrypted;
	bool central;               /* from the central directory */
};

enum mime_event {
	MIME_EV_PART,       /* a part's headers are parsed (type, name known) */
	MIME_EV_PART_END,   /* a part's body ended (sizes final) */
	MIME_EV_ZIP_ENTRY,  /* an archive entry was listed */
};

/* Return true to stop the scan (a decision was taken). */
typedef bool (*mime_cb)(void *ctx, enum mime_event ev, const struct mime_part *p,
    const struct zip_entry *z);

enum mime_status { MIME_OK = 0, MIME_STOPPED, MIME_LIMIT };

struct mime_scan;

void mime_limits_default(struct mime_limits *l);
/* New scanner; cb may be NULL.  headers_fed: the caller hands the message's
 * own header fields to mime_header() and calls mime_end_headers(); otherwise
 * mime_feed() parses them from the start of the stream. */
struct mime_scan *mime_scan_new(const struct mime_limits *l, bool headers_fed,
    mime_cb cb, void *ctx);
void mime_scan_free(struct mime_scan *s);
/* One top-level header field (unfolded or folded), as the MTA gives it. */
enum mime_status mime_header(struct mime_scan *s, const char *name, size_t nlen,
    const char *value, size_t vlen);
enum mime_status mime_end_headers(struct mime_scan *s);
enum mime_status mime_feed(struct mime_scan *s, const unsigned char *buf, size_t len);
/* End of message: closes open parts. */
enum mime_status mime_finish(struct mime_scan *s);
const struct mime_facts *mime_facts(const struct mime_scan *s);
/* The leaf part being decoded right now, or NULL. */
const struct mime_part *mime_current(const struct mime_scan *s);
const char *mime_limit_name(enum mime_limit l);
/*
 * Decoded text: the decoded bytes of every leaf part whose type is text/...
 * and that is not an attachment (nested messages included), handed to cb
 * as they are decoded, chunk by chunk; nothing is buffered.  The part's
 * MIME_EV_PART / MIME_EV_PART_END events bracket its chunks.  Set before
 * the first byte is fed.
 */
typedef void (*mime_text_cb)(void *ctx, const struct mime_part *p, const unsigned char *buf,
    size_t len);
void mime_set_text_cb(struct mime_scan *s, mime_text_cb cb, void *ctx);

/* ---- header fields (mime_header.c) ---------------------------------- */

enum mime_hstatus { MH_OK = 0, MH_EMPTY, MH_TOOLONG };

/* A wanted parameter value: decoded bytes into buf (cap includes a NUL). */
struct mime_pval {
	const char *name;   /* attribute, lower-case */
	char *buf;
	size_t cap;
	size_t len;
	bool found;
	bool toolong;       /* the value did not fit in cap - 1 bytes */
};

/*
 * Parse a Content-Type / Content-Disposition value: the leading token (or
 * "type/subtype") lower-cased into tok, and the wanted parameters, with
 * quoted strings, comments, RFC 2231 continuations and %XX charsets, and
 * RFC 2047 encoded words in values.  Never reads past len.
 */
enum mime_hstatus mime_parse_field(const char *buf, size_t len, char *tok, size_t tokcap,
    struct mime_pval *vals, size_t nvals);
/* Every value of parameter attr (lower-case) in a Content-Type or
 * Content-Disposition value that some reader may take: each attr= and
 * attr*= occurrence on its own (a quoted one with backslashes also as is,
 * an unquoted one with blanks also up to the first blank), and the attr*0,
 * attr*1 ... sections together, each decoded as mime_parse_field() does,
 * into vbuf (cap bytes incl. NUL) and handed to cb (toolong: did not fit).
 * At most 3 x 64 + 1. */
typedef void (*mime_variant_cb)(void *ctx, const char *v, size_t n, bool toolong);
void mime_param_variants(const char *buf, size_t len, const char *attr, char *vbuf, size_t cap,
    mime_variant_cb cb, void *ctx);
/* Decode RFC 2047 encoded words of in[0..len) into out (cap incl. NUL);
 * returns the length, or (size_t)-1 if it does not fit. */
size_t mime_decode_words(const char *in, size_t len, char *out, size_t cap);
/* Content-Transfer-Encoding value to enum. */
enum mime_enc mime_parse_enc(const char *buf, size_t len);
const char *mime_enc_name(enum mime_enc e);

/* ---- transfer decoders (mime_decode.c) ------------------------------ */

#define MIME_DEC_SLACK 96

struct mime_dec {
	enum mime_enc enc;
	unsigned bits;       /* base64 accumulator */
	unsigned nbits;
	bool b64_pad;        /* '=' seen (decoding goes on after it) */
	unsigned char qp_state; /* 0 text, 1 after '=', 2 after '=X', 3 after '=\r' */
	unsigned char qp_hex;
	unsigned qp_ws;      /* trailing blanks held back */
	unsigned char qp_wsbuf[80];
	unsigned char uu_phase; /* x-uuencode: 0 before "begin", 1 data, 2 after "end" */
	unsigned char uu_len;
	char uu_line[88];    /* one line (a data line is at most 85 characters) */
};

void mime_dec_init(struct mime_dec *d, enum mime_enc enc);
/* Decode in[0..n); decoded bytes are written to out (which must hold n
 * bytes plus MIME_DEC_SLACK) when out is not NULL.  Returns the number of decoded bytes. */
size_t mime_dec_feed(struct mime_dec *d, const unsigned char *in, size_t n, unsigned char *out);
/* End of the part: flushes what is held (QP blanks at end of data). */
size_t mime_dec_finish(struct mime_dec *d, unsigned char *out);

/* ---- zip lister (zip.c) --------------------------------------------- */

struct zip_lister;
typedef bool (*zip_cb)(void *ctx, const struct zip_entry *z);
struct zip_lister *zip_new(unsigned max_entries, zip_cb cb, void *ctx);
void zip_free(struct zip_lister *z);
enum zip_status { ZIP_OK = 0, ZIP_STOP, ZIP_TOOMANY };
/* Decoded archive bytes, in order. */
enum zip_status zip_feed(struct zip_lister *z, const unsigned char *buf, size_t n);
unsigned zip_count(const struct zip_lister *z);
bool zip_encrypted(const struct zip_lister *z);
/* true if the stream never resynchronised on zip structures to the end */
bool zip_broken(const struct zip_lister *z);

#endif
