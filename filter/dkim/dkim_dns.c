/*
 * dkim_dns.c - libopendkim's DNS hooks on top of the one resolver
 * (dns_query).  libopendkim wants a wire-format reply in a buffer it
 * owns; the query runs synchronously in the start hook (dns_query has its
 * own hard deadline) and the reply packet is rebuilt from the answer's
 * TXT RDATA: header, question, one answer record per TXT record.  Key
 * records pass through dkim_keyrec_fix (PKCS#1 keys, g=) on the way.
 * Installed on each library handle by dkim_lib_new (dkim.c).
 */
#include "config.h"

#include <opendkim/dkim.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "postern/dkim.h"
#include "postern/dns.h"

struct dq {
	int status;     /* DKIM_DNS_* */
	size_t len;     /* reply bytes in the caller's buffer */
};

static char service_tag;   /* a non-NULL service handle */

static bool
put(unsigned char *buf, size_t cap, size_t *pos, const void *p, size_t n)
{
	if (*pos + n > cap)
		return false;
	memcpy(buf + *pos, p, n);
	*pos += n;
	return true;
}

static bool
put16(unsigned char *buf, size_t cap, size_t *pos, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	return put(buf, cap, pos, b, 2);
}

/* Encode name into DNS labels; false on a bad or oversized name. */
static bool
put_name(unsigned char *buf, size_t cap, size_t *pos, const char *name)
{
	const char *p = name;

	while (*p != '\0') {
		size_t l = strcspn(p, ".");
		unsigned char lb = (unsigned char)l;

		if (l == 0 || l > 63 || !put(buf, cap, pos, &lb, 1) || !put(buf, cap, pos, p, l))
			return false;
		p += l;
		if (*p == '.')
			p++;
	}
	return put(buf, cap, pos, "", 1);
}

/* TXT record i rewritten for libopendkim (dkim_keyrec.c: PKCS#1 keys,
 * g=) as RDATA (character-strings of at most 255 bytes); false to keep it. */
static bool
key_fixed(const struct dns_answer *a, size_t i, strbuf *rdata)
{
	strbuf txt, rec;
	bool changed = false;

	sb_init(&txt);
	sb_init(&rec);
	if (dns_txt_join(a, i, &txt) && dkim_keyrec_fix(txt.s, txt.len, &rec)) {
		changed = true;
		for (size_t off = 0; off < rec.len || off == 0; off += 255) {
			size_t k = rec.len - off < 255 ? rec.len - off : 255;

			sb_putc(rdata, (char)k);
			sb_append(rdata, rec.s + off, k);
			if (rec.len == 0)
				break;
		}
	}
	sb_free(&txt);
	sb_free(&rec);
	return changed;
}

/* Build a reply packet; returns its length or 0 if it does not fit. */
static size_t
build_reply(const struct dns_answer *a, const char *qname, int type,
    unsigned char *buf, size_t cap)
{
	size_t pos = 0;
	unsigned rcode = a->status == DNS_NXDOMAIN ? 3 : a->status == DNS_SERVFAIL ? 2 : 0;
	unsigned an = a->status == DNS_OK ? (unsigned)a->count : 0;

	if (!put16(buf, cap, &pos, 0) || !put16(buf, cap, &pos, 0x8180 | rcode) ||
	    !put16(buf, cap, &pos, 1) || !put16(buf, cap, &pos, an) ||
	    !put16(buf, cap, &pos, 0) || !put16(buf, cap, &pos, 0))
		return 0;
	if (!put_name(buf, cap, &pos, qname) || !put16(buf, cap, &pos, (unsigned)type) ||
	    !put16(buf, cap, &pos, 1))
		return 0;
	for (unsigned i = 0; i < an; i++) {
		strbuf fixed;
		const unsigned char *rd = a->rdata[i];
		size_t rl = (size_t)a->rdlen[i];
		bool ok;

		if (a->rdlen[i] < 0 || a->rdlen[i] > 65535)
			return 0;
		sb_init(&fixed);
		if (type == 16 && key_fixed(a, i, &fixed)) {
			rd = (const unsigned char *)fixed.s;
			rl = fixed.len;
		}
		ok = rl <= 65535 && put16(buf, cap, &pos, 0xC00C) && put16(buf, cap, &pos, (unsigned)type) &&
		    put16(buf, cap, &pos, 1) && put16(buf, cap, &pos, 0) &&
		    put16(buf, cap, &pos, 0) && put16(buf, cap, &pos, (unsigned)rl) &&
		    put(buf, cap, &pos, rd, rl);
		sb_free(&fixed);
		if (!ok)
			return 0;
	}
	return pos;
}

static int
q_start(void *srv, int type, unsigned char *query, unsigned char *buf,
    size_t buflen, void **qh)
{
	struct dq *q = xcalloc(1, sizeof(*q));
	struct dns_answer a;
	enum dns_status st;

	(void)srv;
	st = dns_query((const char *)query, type, &a);
	switch (st) {
	case DNS_OK:
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		q->len = build_reply(&a, (const char *)query, type, buf, buflen);
		q->status = q->len > 0 ? DKIM_DNS_SUCCESS : DKIM_DNS_ERROR;
		break;
	case DNS_TIMEOUT:
		q->status = DKIM_DNS_EXPIRED;
		break;
	default:
		q->status = DKIM_DNS_ERROR;
		break;
	}
	dns_answer_free(&a);
	*qh = q;
	return 0;
}

static int
q_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return 0;
}

static int
q_wait(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error,
    int *dnssec)
{
	struct dq *q = qh;

	(void)srv;
	(void)to;
	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

static int
q_init(void **srv)
{
	*srv = &service_tag;
	return 0;
}

static void
q_close(void *srv)
{
	(void)srv;
}

void
dkim_dns_install(void *lib)
{
	DKIM_LIB *l = lib;

	dkim_dns_set_query_service(l, &service_tag);
	dkim_dns_set_query_start(l, q_start);
	dkim_dns_set_query_cancel(l, q_cancel);
	dkim_dns_set_query_waitreply(l, q_wait);
	dkim_dns_set_init(l, q_init);
	dkim_dns_set_close(l, q_close);
	dkim_dns_set_nslist(l, NULL);
	dkim_dns_set_config(l, NULL);
	dkim_dns_set_trustanchor(l, NULL);
}
