/* fuzz_mime.c - libFuzzer target for the streaming MIME scanner: the input
 * is one message, fed in chunks whose sizes come from its first bytes,
 * under tight limits so that every limit path is reached; the facts must
 * stay consistent (sizes add up, depth within the limit).  First byte
 * 0x0c set: the bytes go to the zip lister directly. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "postern/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
on_event(void *ctx, enum mime_event ev, const struct mime_part *p, const struct zip_entry *z)
{
	(void)ctx;
	if (ev == MIME_EV_ZIP_ENTRY && z->namelen > 0 && z->name == NULL)
		__builtin_trap();
	return p != NULL && p->filename != NULL && strcmp(p->filename, "stop.now") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits l;
	struct mime_scan *s;
	enum mime_status st = MIME_OK;
	size_t i = 2, step;

	if (size < 2)
		return 0;
	mime_limits_default(&l);
	if (data[0] & 1) {      /* tight limits */
		l.depth = 4;
		l.parts = 20;
		l.header_line = 200;
		l.header_bytes = 1000;
		l.boundary = 70;
		l.filename = 40;
		l.zip_entries = 5;
	}
	step = 1 + data[1];
	if ((data[0] & 0x0c) == 0x0c) {   /* the zip lister on its own */
		struct zip_lister *z = zip_new(data[0] & 1 ? 5 : 1000, NULL, NULL);
		for (size_t j = 2; j < size; j += step)
			if (zip_feed(z, data + j, size - j < step ? size - j : step) != ZIP_OK)
				break;
		/* listed to its end needs an end record; no zip is shorter than one */
		if (!zip_broken(z) && size - 2 < 22)
			__builtin_trap();
		zip_free(z);
		return 0;
	}
	s = mime_scan_new(&l, (data[0] & 2) != 0, on_event, NULL);
	if (data[0] & 2) {      /* the milter path: headers given, then body */
		mime_header(s, "Content-Type", 12, "multipart/mixed; boundary=b", 27);
		st = mime_end_headers(s);
	}
	while (i < size && st == MIME_OK) {
		size_t k = size - i < step ? size - i : step;
		st = mime_feed(s, data + i, k);
		i += k;
	}
	if (st == MIME_OK)
		st = mime_finish(s);
	const struct mime_facts *f = mime_facts(s);
	unsigned long long total = 0;
	bool encoded_msg = false;   /* its inner parts re-count its bytes (or a uu block's) */
	for (size_t j = 0; j < f->nparts; j++) {
		const struct mime_part *p = &f->parts[j];
		encoded_msg = encoded_msg || (strncmp(p->type, "message/", 8) == 0 &&
		    p->kind == MIME_LEAF && MIME_ENC_DECODED(p->enc));
		/* a uuencoded block in a text body: its bytes are the text's too */
		encoded_msg = encoded_msg || p->in_text;
		total += f->parts[j].dec_size;
		if (f->parts[j].depth > l.depth)
			__builtin_trap();
		if (f->parts[j].filename != NULL && strlen(f->parts[j].filename) > l.filename)
			__builtin_trap();
		for (unsigned k = 0; k < p->nnames; k++)   /* other names: distinct, bounded */
			if (strlen(p->names[k]) > l.filename || strlen(p->names[k]) == 0 ||
			    (p->filename != NULL && strcmp(p->names[k], p->filename) == 0))
				__builtin_trap();
	}
	if (st != MIME_LIMIT && (encoded_msg ? total < f->total_decoded : total != f->total_decoded))
		__builtin_trap();
	if (f->nparts > l.parts)
		__builtin_trap();
	mime_scan_free(s);
	return 0;
}
