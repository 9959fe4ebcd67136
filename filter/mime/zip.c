/*
 * zip.c - lists a zip archive's entries from its bytes as they stream,
 * without unpacking anything and without holding the archive.
 *
 * Local file headers arrive in order: each gives a name, sizes and the
 * encrypted flag, and the entry's data is skipped by its compressed size.
 * When the size is not known in advance (general purpose bit 3: sizes in a
 * data descriptor after the data) or the stream does not look like what
 * was announced, the lister hunts for the next "PK" signature of a local
 * header, a central directory header or the end record; the central
 * directory at the end names every entry again, so an entry hidden behind
 * a data descriptor is still listed.  Memory: one fixed struct (the name
 * buffer keeps the last ZIP_NAME_KEEP bytes of a longer name: the
 * extension is what the screen needs).  A stored (uncompressed) *.zip entry
 * is listed by a child lister fed its data, ZIP_MAX_DEPTH levels deep;
 * deflated inner archives are listed by name only (nothing is inflated).
 * The entry limit counts the entries of every level.
 *
 * Listed to its end (zip_broken() false) means what a zip reader lists is
 * what went by: readers start from the end of central directory record
 * found from the end of the file (the last "PK\5\6" in the final 64 KB +
 * 22 bytes), so every "PK\5\6" in the stream is noted (only the last one's
 * 22 bytes are kept: a bounded tail window without holding the tail), and
 * at the end its directory must be the one walked: the central headers at
 * its offset, contiguous, as many as it says, each pointing at a local
 * header that was parsed with the same compressed size.  A local header
 * whose size is a lie makes the walk land where no header is, or skip the
 * directory: broken.  Memory: one record per entry (bounded by the entry
 * limit).  Called by mime.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "postern/mime.h"

#define ZIP_NAME_KEEP 1024
#define ZIP_MAX_DEPTH 3      /* archive, stored archive in it, and one more */
#define SIG_LOCAL   0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD    0x06054b50u
#define SIG_DD      0x08074b50u
#define SIG_Z64END  0x06064b50u   /* zip64 end of central directory record */
#define SIG_Z64LOC  0x07064b50u   /* zip64 end of central directory locator */
#define SIG_DIGSIG  0x05054b50u   /* digital signature, ends the directory */
#define TAIL_WINDOW (22u + 65535u) /* where readers look for the end record */

struct zrec {                  /* a local or central header */
	uint64_t off;              /* local: where it starts; central: its local offset */
	uint64_t hoff;             /* central: where it starts */
	uint64_t end;              /* central: where it ends */
	uint32_t csize;
	bool sized;                /* local: csize known from the header */
};

enum zstate { Z_SIG, Z_FIXED, Z_NAME, Z_SKIP, Z_DATA, Z_HUNT, Z_DONE };

struct zip_lister {
	zip_cb cb;
	void *ctx;
	unsigned max;
	enum zstate state;
	unsigned char hdr[56];        /* the longest fixed part: zip64 end record */
	size_t hlen, need;
	uint32_t sig;
	uint16_t flags;
	uint64_t csize, usize, skip, data;  /* skip: extra fields; data: entry data */
	size_t namelen, nread, tail;   /* tail: bytes to skip after the name */
	bool hunt_after;               /* hunt instead of Z_SIG after skipping */
	char name[ZIP_NAME_KEEP];
	unsigned nlocal, ncentral, nested;
	unsigned depth;                /* 0 for the attachment itself */
	struct zip_lister *child;      /* a stored .zip entry being listed */
	bool encrypted, eocd, any;
	unsigned hunt_m;               /* bytes of "PK??" matched */
	/* listed to its end?  (see the top of the file) */
	uint64_t pos;                  /* stream offset of the next byte fed */
	uint64_t hdr_off;              /* where the header being read starts */
	struct zrec *loc, *cen;
	size_t nloc, ncen, capl, capc;
	bool lost;                     /* a header was expected and not found */
	bool child_broken;
	unsigned eo_m;                 /* bytes of "PK\5\6" matched */
	unsigned char eo[22];          /* the last end record seen */
	size_t eo_len;
	uint64_t eo_off;
	bool z64;                      /* a zip64 end record was parsed */
	uint64_t z64_off, z64_total, z64_cdsize, z64_cdoff;
	bool ds;                       /* a digital signature record */
	uint64_t ds_off, ds_end;
	unsigned char xbuf[64];        /* a central header's first extra bytes */
	size_t xneed, xlen;
};

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void
add_rec(struct zrec **v, size_t *n, size_t *cap, const struct zrec *r)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = *r;
}

struct zip_lister *
zip_new(unsigned max_entries, zip_cb cb, void *ctx)
{
	struct zip_lister *z = xcalloc(1, sizeof(*z));

	z->max = max_entries;
	z->cb = cb;
	z->ctx = ctx;
	return z;
}

void
zip_free(struct zip_lister *z)
{
	if (z == NULL)
		return;
	zip_free(z->child);
	free(z->loc);
	free(z->cen);
	free(z);
}

unsigned
zip_count(const struct zip_lister *z)
{
	return (z->nlocal > z->ncentral ? z->nlocal : z->ncentral) + z->nested +
	    (z->child != NULL ? zip_count(z->child) : 0);
}

static bool
zip_name(const char *name, size_t n)
{
	return n >= 4 && name[n - 4] == '.' && (name[n - 3] | 0x20) == 'z' &&
	    (name[n - 2] | 0x20) == 'i' && (name[n - 1] | 0x20) == 'p';
}

/* Leave a stored inner archive: its entries count for the outer one. */
static void
end_child(struct zip_lister *z)
{
	if (z->child == NULL)
		return;
	z->nested += zip_count(z->child);
	z->encrypted = z->encrypted || z->child->encrypted;
	z->child_broken = z->child_broken || zip_broken(z->child);
	zip_free(z->child);
	z->child = NULL;
}

bool
zip_encrypted(const struct zip_lister *z)
{
	return z->encrypted;
}

/* The parsed local header at offset off, or NULL (locals are in order). */
static const struct zrec *
find_local(const struct zip_lister *z, uint64_t off)
{
	size_t lo = 0, hi = z->nloc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->loc[mid].off == off)
			return &z->loc[mid];
		if (z->loc[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool
zip_broken(const struct zip_lister *z)
{
	const unsigned char *e = z->eo;
	uint64_t total, cdsize, cdoff, base, start, next;
	size_t walked = 0;

	if (z->lost || z->child_broken || z->eo_len < 22 || z->pos - z->eo_off > TAIL_WINDOW)
		return true;
	total = le16(e + 10);
	cdsize = le32(e + 12);
	cdoff = le32(e + 16);
	base = z->eo_off;
	if (z->z64 && z->z64_off + 56 + 20 == z->eo_off) {
		/* a zip64 end record and its locator just before: readers
		 * take the directory from it */
		total = z->z64_total;
		cdsize = z->z64_cdsize;
		cdoff = z->z64_cdoff;
		base = z->z64_off;
	} else if (total == 0xffff || cdsize == 0xffffffffu || cdoff == 0xffffffffu) {
		return true;
	}
	if (cdsize > base || cdoff > base - cdsize)
		return true;
	/* readers allow bytes before the archive: offsets move by concat */
	uint64_t concat = base - cdsize - cdoff;
	start = next = cdoff + concat;
	for (size_t i = 0; i < z->ncen; i++) {
		const struct zrec *c = &z->cen[i];
		const struct zrec *l;
		if (c->hoff < start || c->hoff >= start + cdsize)
			continue;           /* not in this directory: not listed */
		if (c->hoff != next)
			return true;
		next = c->end;
		walked++;
		l = find_local(z, c->off + concat);
		if (l == NULL || (l->sized && c->csize != 0xffffffffu && l->csize != c->csize))
			return true;
	}
	/* a digital signature record may end the directory */
	if (z->ds && next == z->ds_off)
		next = z->ds_end;
	return walked != total || next != start + cdsize;
}

static size_t
fixed_len(uint32_t sig)
{
	switch (sig) {
	case SIG_LOCAL: return 30;
	case SIG_CENTRAL: return 46;
	case SIG_EOCD: return 22;
	case SIG_DD: return 16;
	case SIG_Z64END: return 56;
	case SIG_Z64LOC: return 20;
	case SIG_DIGSIG: return 6;
	default: return 0;
	}
}

/* Does the fixed header look like one a zip writer made?  Rejects the
 * "PK\3\4" that compressed or stored data happens to contain. */
static bool
plausible(const struct zip_lister *z)
{
	const unsigned char *h = z->hdr;
	unsigned method, version;

	switch (z->sig) {
	case SIG_LOCAL:
		version = le16(h + 4);
		method = le16(h + 8);
		break;
	case SIG_CENTRAL:
		version = le16(h + 6);
		method = le16(h + 10);
		break;
	default:
		return true;
	}
	if ((version & 0xff) > 100)
		return false;
	return method <= 20 || method == 93 || method == 95 || method == 96 ||
	    method == 97 || method == 98 || method == 99;
}

/* The fixed part of a header is complete. */
static void
parsed_fixed(struct zip_lister *z)
{
	const unsigned char *h = z->hdr;
	uint64_t rest;

	z->nread = 0;
	z->hunt_after = false;
	z->data = 0;
	switch (z->sig) {
	case SIG_LOCAL:
		z->flags = le16(h + 6);
		z->csize = le32(h + 18);
		z->usize = le32(h + 22);
		z->namelen = le16(h + 26);
		z->tail = le16(h + 28);
		z->nlocal++;
		z->state = Z_NAME;
		break;
	case SIG_CENTRAL:
		z->flags = le16(h + 8);
		z->csize = le32(h + 20);
		z->usize = le32(h + 24);
		z->namelen = le16(h + 28);
		z->tail = (size_t)le16(h + 30) + le16(h + 32);
		z->ncentral++;
		z->state = Z_NAME;
		break;
	case SIG_EOCD:
		/* keep looking: an archive stored inside this one ends with its
		 * own end record, and the outer directory may still follow */
		z->eocd = true;
		z->skip = le16(h + 20);
		z->hunt_after = true;
		z->state = Z_SKIP;
		break;
	case SIG_Z64END:
		z->z64 = true;
		z->z64_off = z->hdr_off;
		z->z64_total = le64(h + 32);
		z->z64_cdsize = le64(h + 40);
		z->z64_cdoff = le64(h + 48);
		rest = le64(h + 4);          /* the record's size after this field */
		z->skip = rest > 44 ? rest - 44 : 0;
		z->state = Z_SKIP;
		break;
	case SIG_DIGSIG:
		z->ds = true;
		z->ds_off = z->hdr_off;
		z->skip = le16(h + 4);
		z->ds_end = z->hdr_off + 6 + z->skip;
		z->state = Z_SKIP;
		break;
	default:     /* data descriptor, zip64 locator: next header follows */
		z->state = Z_SIG;
		break;
	}
	z->hlen = 0;
}

static enum zip_status
name_done(struct zip_lister *z)
{
	char flat[ZIP_NAME_KEEP];
	struct zip_entry e = { 0 };
	size_t keep = z->namelen < ZIP_NAME_KEEP ? z->namelen : ZIP_NAME_KEEP;
	struct zrec r = { 0 };

	if (z->namelen <= ZIP_NAME_KEEP) {
		memcpy(flat, z->name, keep);
	} else {     /* ring: the last ZIP_NAME_KEEP bytes, oldest first */
		size_t start = z->namelen % ZIP_NAME_KEEP;
		memcpy(flat, z->name + start, ZIP_NAME_KEEP - start);
		memcpy(flat + ZIP_NAME_KEEP - start, z->name, start);
	}
	e.name = flat;
	e.namelen = keep;
	e.csize = z->csize;
	e.usize = z->usize;
	e.encrypted = (z->flags & 1) != 0;
	e.central = z->sig == SIG_CENTRAL;
	z->encrypted = z->encrypted || e.encrypted;
	z->skip = z->tail;
	z->data = 0;
	if (z->sig == SIG_LOCAL) {
		unsigned method = le16(z->hdr + 8);
		bool dd = (z->flags & 8) != 0;
		r.off = z->hdr_off;
		r.csize = (uint32_t)z->csize;
		r.sized = !dd && z->csize != 0xffffffffu;
		add_rec(&z->loc, &z->nloc, &z->capl, &r);
		if (z->csize == 0xffffffffu)
			z->hunt_after = true;     /* zip64: size in the extra field */
		else
			z->data = z->csize;
		if (dd)
			z->hunt_after = true;     /* a data descriptor follows, its
			                           * signature optional: find the next header */
		/* a stored archive inside: list it too, ZIP_MAX_DEPTH deep */
		if (z->data > 0 && method == 0 && !e.encrypted && z->depth + 1 < ZIP_MAX_DEPTH &&
		    zip_name(flat, keep) && zip_count(z) < z->max) {
			z->child = zip_new(z->max - zip_count(z), z->cb, z->ctx);
			z->child->depth = z->depth + 1;
		}
		z->xneed = 0;
	} else {
		r.off = le32(z->hdr + 42);
		r.hoff = z->hdr_off;
		r.end = z->hdr_off + 46 + z->namelen + z->tail;
		r.csize = (uint32_t)z->csize;
		add_rec(&z->cen, &z->ncen, &z->capc, &r);
		z->xneed = le16(z->hdr + 30) < sizeof(z->xbuf) ? le16(z->hdr + 30) : sizeof(z->xbuf);
		z->xlen = 0;
	}
	z->state = Z_SKIP;
	if (zip_count(z) > z->max)
		return ZIP_TOOMANY;
	if (z->cb != NULL && z->cb(z->ctx, &e))
		return ZIP_STOP;
	return ZIP_OK;
}

/* A central header's zip64 extra field (id 1) holds the values its fixed
 * part gives as 0xFFFFFFFF: sizes, then the local header's offset. */
static void
central_zip64(struct zip_lister *z)
{
	struct zrec *c = &z->cen[z->ncen - 1];
	const unsigned char *x = z->xbuf;
	size_t i = 0;

	while (i + 4 <= z->xlen) {
		unsigned id = le16(x + i), n = le16(x + i + 2);
		size_t at = i + 4, end = at + n;
		i = end;
		if (id != 1)
			continue;
		if (le32(z->hdr + 24) == 0xffffffffu)
			at += 8;
		if (le32(z->hdr + 20) == 0xffffffffu)
			at += 8;          /* csize: stays 0xFFFFFFFF, not compared */
		if (c->off == 0xffffffffu && at + 8 <= end && end <= z->xlen)
			c->off = le64(x + at);
		return;
	}
}

/* The bytes after a header's name were skipped: what comes next. */
static void
skip_done(struct zip_lister *z)
{
	if (z->sig == SIG_CENTRAL && z->xneed > 0) {
		central_zip64(z);
		z->xneed = 0;
	}
	z->state = z->data > 0 ? Z_DATA : z->hunt_after ? Z_HUNT : Z_SIG;
	z->hlen = 0;
}

/* Look for "PK" + {1,2 | 3,4 | 5,6}; returns the bytes consumed. */
static size_t
hunt(struct zip_lister *z, const unsigned char *b, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = b[i];
		if (z->hunt_m == 0) {
			const unsigned char *p = memchr(b + i, 'P', n - i);
			if (p == NULL)
				return n;
			i = (size_t)(p - b) + 1;
			z->hdr[0] = 'P';
			z->hunt_m = 1;
			continue;
		}
		if (z->hunt_m == 1) {
			z->hunt_m = c == 'K' ? 2 : 0;
			if (c == 'K')
				z->hdr[1] = 'K';
			i += c == 'K';
			continue;
		}
		if (z->hunt_m == 2) {
			if (c == 1 || c == 3 || c == 5) {
				z->hdr[2] = c;
				z->hunt_m = 3;
				i++;
			} else {
				z->hunt_m = 0;
			}
			continue;
		}
		if (c == z->hdr[2] + 1) {
			z->hdr[3] = c;
			z->hunt_m = 0;
			z->sig = le32(z->hdr);
			z->need = fixed_len(z->sig);
			z->hlen = 4;
			z->state = Z_FIXED;
			return i + 1;
		}
		z->hunt_m = 0;
	}
	return i;
}

static enum zip_status parse(struct zip_lister *z, const unsigned char *b, size_t n, uint64_t base);

/* The fixed header is complete: parse it, or hunt on past a look-alike. */
static enum zip_status
fixed_done(struct zip_lister *z)
{
	unsigned char again[56];
	size_t an = z->need - 1;

	if (plausible(z)) {
		parsed_fixed(z);
		return ZIP_OK;
	}
	/* hunt again from the byte after its "P" (recursion shrinks each time) */
	memcpy(again, z->hdr + 1, an);
	z->state = Z_HUNT;
	z->hunt_m = 0;
	z->hlen = 0;
	return parse(z, again, an, z->hdr_off + 1);
}

/* Every "PK\5\6" in the stream: the last one is the end record a reader
 * takes; its 22 bytes are kept. */
static void
scan_end_records(struct zip_lister *z, const unsigned char *b, size_t n)
{
	static const unsigned char sig[4] = { 'P', 'K', 5, 6 };
	size_t i = 0;

	while (i < n) {
		if (z->eo_m == 0 && (z->eo_len == 0 || z->eo_len == sizeof(z->eo))) {
			const unsigned char *p = memchr(b + i, 'P', n - i);
			if (p == NULL)
				return;
			i = (size_t)(p - b);
		}
		unsigned char c = b[i++];
		if (z->eo_len > 0 && z->eo_len < sizeof(z->eo))
			z->eo[z->eo_len++] = c;
		if (c == sig[z->eo_m]) {
			if (++z->eo_m == 4) {
				z->eo_m = 0;
				memcpy(z->eo, sig, 4);
				z->eo_len = 4;
				z->eo_off = z->pos + i - 4;
			}
		} else {
			z->eo_m = c == 'P';
		}
	}
}

/* The header machine over b[0..n), whose first byte is at offset base. */
static enum zip_status
parse(struct zip_lister *z, const unsigned char *b, size_t n, uint64_t base)
{
	size_t i = 0;

	while (i < n) {
		size_t k;

		switch (z->state) {
		case Z_DONE:
			return ZIP_OK;
		case Z_HUNT:
			i += hunt(z, b + i, n - i);
			if (z->state == Z_FIXED)
				z->hdr_off = base + i - 4;
			break;
		case Z_SIG:
			if (z->hlen == 0)
				z->hdr_off = base + i;
			z->hdr[z->hlen++] = b[i++];
			if (z->hlen < 4)
				break;
			z->sig = le32(z->hdr);
			z->need = fixed_len(z->sig);
			if (z->need == 0) {      /* lost: look for the next header */
				z->lost = true;
				z->hlen = 0;
				z->state = Z_HUNT;
				break;
			}
			z->any = true;
			z->state = Z_FIXED;
			break;
		case Z_FIXED: {
			enum zip_status st;
			k = z->need - z->hlen < n - i ? z->need - z->hlen : n - i;
			memcpy(z->hdr + z->hlen, b + i, k);
			z->hlen += k;
			i += k;
			if (z->hlen == z->need && (st = fixed_done(z)) != ZIP_OK)
				return st;
			break;
		}
		case Z_NAME:
			while (i < n && z->nread < z->namelen)
				z->name[z->nread++ % ZIP_NAME_KEEP] = (char)b[i++];
			if (z->nread == z->namelen) {
				enum zip_status st = name_done(z);
				if (st != ZIP_OK)
					return st;
			}
			break;
		case Z_SKIP:
			k = z->skip < n - i ? (size_t)z->skip : n - i;
			if (z->xlen < z->xneed) {
				size_t x = z->xneed - z->xlen < k ? z->xneed - z->xlen : k;
				memcpy(z->xbuf + z->xlen, b + i, x);
				z->xlen += x;
			}
			z->skip -= k;
			i += k;
			if (z->skip == 0)
				skip_done(z);
			break;
		case Z_DATA:
			k = z->data < n - i ? (size_t)z->data : n - i;
			if (z->child != NULL) {
				enum zip_status st = zip_feed(z->child, b + i, k);
				if (st != ZIP_OK)
					return st;
			}
			z->data -= k;
			i += k;
			if (z->data == 0) {
				end_child(z);
				z->state = z->hunt_after ? Z_HUNT : Z_SIG;
				z->hlen = 0;
			}
			break;
		}
	}
	/* a header with an empty name and no tail completes without bytes */
	if (z->state == Z_NAME && z->nread == z->namelen)
		return name_done(z);
	if (z->state == Z_SKIP && z->skip == 0)
		skip_done(z);
	return ZIP_OK;
}

enum zip_status
zip_feed(struct zip_lister *z, const unsigned char *b, size_t n)
{
	enum zip_status st;

	scan_end_records(z, b, n);
	st = parse(z, b, n, z->pos);
	z->pos += n;
	return st;
}
