/*
 * mime_int.h - the MIME scanner's private state, shared by mime.c (the
 * line machine: delimiters, held line breaks, feed/finish) and
 * mime_entity.c (entities: headers, kinds, decoding, nested messages) and
 * mime_uu.c (uuencoded blocks in text bodies).  Nothing else includes it.
 */
#ifndef POSTERN_MIME_INT_H
#define POSTERN_MIME_INT_H

#include "postern/mime.h"

enum sstate { ST_HDR, ST_BODY, ST_STOP };
enum hfield { HF_NONE = 0, HF_NAME, HF_CTYPE, HF_CTE, HF_CDISP };

struct ent {
	enum mime_kind kind;
	char *boundary;      /* owned, multipart only */
	size_t blen;
	bool closed;         /* close delimiter seen: now in the epilogue */
	bool digest;         /* multipart/digest: children default to message/rfc822 */
	bool hdr_done;
	size_t part;         /* index into facts.parts */
	unsigned depth;
};

/* uuencoded and yEnc blocks in a text/plain body (mime_uu.c) */
#define MIME_UU_NAME_MAX 1024
struct mime_uu {
	bool on;             /* the current leaf is watched */
	bool overlong;       /* the line is longer than head */
	char head[MIME_UU_NAME_MAX + 16];   /* the current line's first bytes */
	size_t headlen;
	struct mime_scan *sub;   /* the open block's scanner, or NULL */
	bool yenc, yesc;     /* the block is yEnc; an "=" escape is pending */
	unsigned base;       /* its parts' depth offset */
};

struct mime_scan {
	struct mime_limits lim;
	mime_cb cb;
	void *ctx;
	mime_text_cb text_cb;   /* decoded text parts (mime_set_text_cb), or NULL */
	void *text_ctx;
	struct mime_facts f;
	size_t partcap;
	struct ent *stk;
	size_t nstk;
	unsigned nbound;     /* open multiparts on the stack */
	unsigned nmulti;     /* multiparts on the stack, open or closed */
	strbuf ended;        /* boundaries of multiparts ended by an enclosing
	                      * delimiter (no close delimiter of their own), each
	                      * a size_t length then its bytes: a later delimiter
	                      * of one is refused (at most parts x boundary bytes) */
	enum sstate st;
	enum mime_status status;
	/* line machine */
	bool bol, in_head, held_cr;
	bool in_pad, pad_close, pad_cr; /* a delimiter's padding past the head */
	bool head_cr;        /* the line head follows a bare CR, not a LF */
	size_t pad_level;
	unsigned pend_eol;
	char *head;
	size_t headlen, headcap;
	/* header machine */
	size_t hline, hblock;
	enum hfield hf;
	char hname[32];
	size_t hnamelen;
	strbuf *hval;        /* where the current field's value goes, or NULL */
	strbuf ctype, cte, cdisp;
	strbuf dup_ctype, dup_cdisp; /* later fields of the same name, LF-separated:
	                              * their names are screened too */
	strbuf dup_cte;      /* later Content-Transfer-Encoding fields, LF-separated */
	bool have_ctype, have_cte, have_cdisp;
	/* leaf */
	struct mime_dec dec;
	struct zip_lister *zip;
	struct mime_scan *sub;  /* an encoded message/rfc822 part, parsed as decoded */
	unsigned char magic[4]; /* a leaf's first decoded bytes (zip sniffing) */
	unsigned nmagic;        /* 4 once decided */
	struct mime_uu uu;
};

/* mime_entity.c */
void ms_limit(struct mime_scan *s, enum mime_limit l, unsigned value, const char *what);
void ms_stop(struct mime_scan *s);
void ms_violation(struct mime_scan *s, const char *what);
struct ent *ms_top(struct mime_scan *s);
struct mime_part *ms_top_part(struct mime_scan *s);
void ms_start_entity(struct mime_scan *s, unsigned depth, bool digest_child);
void ms_end_entity(struct mime_scan *s);
void ms_close_to(struct mime_scan *s, size_t keep);
void ms_headers_done(struct mime_scan *s);
void ms_field_name_done(struct mime_scan *s);
void ms_hdr_bytes(struct mime_scan *s, const char *p, size_t n);
void ms_hdr_eol(struct mime_scan *s, unsigned eol);
void ms_leaf_bytes(struct mime_scan *s, const unsigned char *p, size_t n);
struct mime_scan *ms_sub_new(struct mime_scan *s, unsigned depth);
void ms_sub_feed(struct mime_scan *s, struct mime_scan *sub, const unsigned char *p, size_t n);
void ms_sub_merge(struct mime_scan *s, struct mime_scan *sub, unsigned base);

/* mime_uu.c */
void ms_uu_text(struct mime_scan *s, const unsigned char *p, size_t n);
void ms_uu_end(struct mime_scan *s);
void ms_uu_free(struct mime_scan *s);

#endif
