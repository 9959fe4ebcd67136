/*
 * arc.h - ARC (RFC 8617) chain verification on OpenSSL (filter/arc/).
 *
 * One arc_msg per inbound message: arc_msg_header for every header field
 * (the ARC fields and the fields an AMS may sign are kept, bounded by
 * ARC_MAX_HDR_BYTES / ARC_MAX_HDRS), arc_msg_eoh, arc_msg_body for every
 * chunk (the body is hashed as it streams, simple and relaxed, never
 * kept), arc_msg_eom for the result.  Keys come from the one resolver
 * (dns.c, TXT at s._domainkey.d).  Only verification: no sealing.
 * Used by filter/checks/check_arc.c and tests/tools/arcrun.
 */
#ifndef POSTERN_ARC_H
#define POSTERN_ARC_H

#include <stdbool.h>
#include <stddef.h>

#define ARC_MAX_INSTANCE 50        /* RFC 8617 4.2.1 */
#define ARC_MAX_HDRS 1000          /* header fields kept for h= */
#define ARC_MAX_HDR_BYTES (512 * 1024)
#define ARC_MAX_TAGS 32            /* tags in one tag list */
#define ARC_MAX_KEYS 8             /* distinct key look-ups a message */
#define ARC_NAME_MAX 256

enum arc_cv { ARC_CV_NONE, ARC_CV_PASS, ARC_CV_FAIL };

struct arc_result {
	enum arc_cv cv;
	unsigned instances;           /* sets found (highest i=) */
	unsigned oldest_pass;         /* RFC 8617 5.2 step 5; 0 = every AMS passes */
	char sealer[ARC_NAME_MAX];    /* d= of the newest AS (pass only) */
	char reason[128];             /* why fail, plain ASCII */
};

/* ---- tag lists (RFC 6376 3.2) ------------------------------------------ */
enum arc_tag_status {
	ARC_TAGS_OK = 0,
	ARC_TAGS_SYNTAX,   /* bad tag name, missing '=', empty tag-spec */
	ARC_TAGS_DUP,      /* a tag twice */
	ARC_TAGS_TOO_MANY, /* over ARC_MAX_TAGS */
};

struct arc_tag {
	const char *name, *value; /* into the parsed buffer; value trimmed of FWS */
	size_t nlen, vlen;
	size_t raw_off, raw_end;  /* the value with its white space: buf offsets */
};

struct arc_tags {
	struct arc_tag t[ARC_MAX_TAGS];
	size_t n;
};

enum arc_tag_status arc_tags_parse(const char *buf, size_t len, struct arc_tags *out);
/* The tag called name, or NULL. */
const struct arc_tag *arc_tags_get(const struct arc_tags *t, const char *name);
/* The i= of an ARC-Authentication-Results value ("i=N;" first): 1..50, or
 * 0 when it has none or a bad one. */
unsigned arc_aar_instance(const char *buf, size_t len);
/* Strict base64 (white space ignored); false on bad input or overflow. */
bool arc_base64(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen);

/* ---- one message ---------------------------------------------------- */
struct arc_msg;

struct arc_msg *arc_msg_new(void);
void arc_msg_free(struct arc_msg *a);
/* value exactly as written after the colon: leading white space and LF
 * folds kept (msg->field_raw: pipeline.c). */
void arc_msg_header(struct arc_msg *a, const char *name, const char *value);
void arc_msg_eoh(struct arc_msg *a);
void arc_msg_body(struct arc_msg *a, const unsigned char *buf, size_t len);
/* Verify (the DNS look-ups happen here). */
void arc_msg_eom(struct arc_msg *a, struct arc_result *out);
/* Does the message carry any ARC field?  (after arc_msg_eoh) */
bool arc_msg_present(const struct arc_msg *a);
const char *arc_cv_name(enum arc_cv cv);

#endif
