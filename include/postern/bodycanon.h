/*
 * bodycanon.h - the DKIM body canonicaliser (RFC 6376 3.4.3, 3.4.4, 3.5
 * l=), hashed with OpenSSL as the body streams.  One object is one
 * (canonicalisation, hash, l=) combination; DKIM verification (filter/dkim)
 * keeps one per distinct combination among a message's signatures, ARC
 * (filter/arc) one per canonicalisation.
 *
 * Streaming and bounded: runs of unchanged input are hashed where they lie
 * in the caller's chunk (no copy of the chunk); only the bytes the
 * canonicalisation makes up (a CR held over a chunk boundary, a space for
 * a run of white space, the CRLFs of empty lines that turn out not to be
 * trailing) go through a 64-byte buffer.  Nothing else is held: empty lines
 * are a count, a CR at a chunk's end a flag.  With l= the hash stops after
 * l canonical bytes and the caller can stop feeding (bodycanon_done).
 *
 * Input is the body with CRLF line ends as the MTA sends it.  A CR not
 * followed by LF and an LF not preceded by CR are ordinary line content; a
 * body not ending in CRLF gets one (RFC 6376 3.4.3/3.4.4).  (libopendkim
 * differs on exactly these inputs; tests/dkim/bodyhash.sh names them.)
 */
#ifndef POSTERN_BODYCANON_H
#define POSTERN_BODYCANON_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

enum bodycanon_hash { BODYCANON_SHA1 = 0, BODYCANON_SHA256 };

#define BODYCANON_MAX_DIGEST 32 /* SHA-256 */
#define BODYCANON_NOLIMIT (-1LL)

struct bodycanon {
	EVP_MD_CTX *md;
	bool relaxed;
	enum bodycanon_hash hash;
	long long limit;             /* l=, or BODYCANON_NOLIMIT */
	unsigned long long length;   /* canonical bytes hashed (at most limit) */
	unsigned long long pending;  /* empty lines not yet hashed */
	bool held_cr;                /* a CR ended the last chunk */
	bool line_empty;             /* nothing on the current line yet */
	bool wsp;                    /* relaxed: white space waits for content */
	bool any;                    /* some canonical byte exists */
	bool done;                   /* l= reached: more input changes nothing */
	/* valid only inside one bodycanon_feed call */
	const unsigned char *run;    /* unchanged input not hashed yet */
	size_t nrun;
	unsigned char syn[64];       /* made-up bytes not hashed yet */
	size_t nsyn;
};

/* limit: l= in canonical bytes, or BODYCANON_NOLIMIT.  Aborts when OpenSSL
 * cannot set up the digest (a bug or out of memory). */
void bodycanon_init(struct bodycanon *b, bool relaxed, enum bodycanon_hash hash, long long limit);
void bodycanon_feed(struct bodycanon *b, const unsigned char *p, size_t n);
/* True when l= is reached: further chunks need not be fed. */
bool bodycanon_done(const struct bodycanon *b);
/* Finish: digest gets the hash (BODYCANON_MAX_DIGEST bytes room), the
 * return value is its length; *length (may be NULL) the canonical body
 * length hashed, to compare with l=.  The digest context is released. */
size_t bodycanon_final(struct bodycanon *b, unsigned char *digest, unsigned long long *length);
/* Release without finishing (free accepts a finished or zeroed object). */
void bodycanon_free(struct bodycanon *b);

#endif
