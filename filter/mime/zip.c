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
 * The entry limit counts the entries of every level.  Called by mime.c.
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

enum zstate { Z_SIG, Z_FIXED, Z_NAME, Z_SKIP, Z_DATA, Z_HUNT, Z_DONE };

struct zip_lister {
	zip_cb cb;
	void *ctx;
	unsigned max;
	enum zstate state;
	unsigned char hdr[46];
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
	zip_free(z->child);
	z->child = NULL;
}

bool
zip_encrypted(const struct zip_lister *z)
{
	return z->encrypted;
}

bool
zip_broken(const struct zip_lister *z)
{
	return !z->eocd;
}

static size_t
fixed_len(uint32_t sig)
{
	switch (sig) {
	case SIG_LOCAL: return 30;
	case SIG_CENTRAL: return 46;
	case SIG_EOCD: return 22;
	case SIG_DD: return 16;
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

	z->nread = 0;
	z->hunt_after = false;
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
	default:     /* data descriptor: next header follows */
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
		if ((z->flags & 8) && z->csize == 0)
			z->hunt_after = true;     /* size in a data descriptor */
		else if (z->csize == 0xffffffffu)
			z->hunt_after = true;     /* zip64: size in the extra field */
		else
			z->data = z->csize;
		/* a stored archive inside: list it too, ZIP_MAX_DEPTH deep */
		if (z->data > 0 && method == 0 && !e.encrypted && z->depth + 1 < ZIP_MAX_DEPTH &&
		    zip_name(flat, keep) && zip_count(z) < z->max) {
			z->child = zip_new(z->max - zip_count(z), z->cb, z->ctx);
			z->child->depth = z->depth + 1;
		}
	}
	z->state = Z_SKIP;
	if (zip_count(z) > z->max)
		return ZIP_TOOMANY;
	if (z->cb != NULL && z->cb(z->ctx, &e))
		return ZIP_STOP;
	return ZIP_OK;
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

/* The fixed header is complete: parse it, or hunt on past a look-alike. */
static enum zip_status
fixed_done(struct zip_lister *z)
{
	unsigned char again[46];
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
	return zip_feed(z, again, an);
}

enum zip_status
zip_feed(struct zip_lister *z, const unsigned char *b, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k;

		switch (z->state) {
		case Z_DONE:
			return ZIP_OK;
		case Z_HUNT:
			i += hunt(z, b + i, n - i);
			break;
		case Z_SIG:
			z->hdr[z->hlen++] = b[i++];
			if (z->hlen < 4)
				break;
			z->sig = le32(z->hdr);
			z->need = fixed_len(z->sig);
			if (z->need == 0) {      /* lost: look for the next header */
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
			z->skip -= k;
			i += k;
			if (z->skip == 0) {
				z->state = z->data > 0 ? Z_DATA : z->hunt_after ? Z_HUNT : Z_SIG;
				z->hlen = 0;
			}
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
	if (z->state == Z_SKIP && z->skip == 0) {
		z->state = z->data > 0 ? Z_DATA : z->hunt_after ? Z_HUNT : Z_SIG;
		z->hlen = 0;
	}
	return ZIP_OK;
}
