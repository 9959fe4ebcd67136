/* test_attach.c - the zip lister on crafted archives, and the attachment
 * screen through the pipeline (no MTA): blocked names (double extensions,
 * trailing dots, inside zips), blocked types, per-part and total decoded
 * size refused while the body streams, MIME limits, quarantine and tag
 * actions, observe mode, and the facts left for the spam screen. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "postern/check_attach.h"
#include "postern/pipeline.h"

/* zip entries name only the fields they set */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ---- a tiny zip writer (stored entries) -------------------------------- */

struct zent {
	const char *name;
	const char *data;
	bool encrypted;
	bool descriptor;   /* sizes after the data (general purpose bit 3) */
	size_t dlen;       /* data length; 0 = strlen(data) */
};

static size_t
dlen(const struct zent *e)
{
	return e->dlen ? e->dlen : strlen(e->data);
}

static void
put16(strbuf *b, unsigned v)
{
	char c[2] = { (char)(v & 255), (char)(v >> 8) };
	sb_append(b, c, 2);
}

static void
put32(strbuf *b, unsigned long v)
{
	put16(b, (unsigned)(v & 0xffff));
	put16(b, (unsigned)(v >> 16));
}

static void
zip_make(strbuf *z, const struct zent *e, size_t n)
{
	strbuf cd;
	unsigned long off[16];

	sb_init(&cd);
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(e[i].name), dl = dlen(&e[i]);
		unsigned flags = (e[i].encrypted ? 1 : 0) | (e[i].descriptor ? 8 : 0);
		off[i] = z->len;
		sb_append(z, "PK\3\4", 4);
		put16(z, 20); put16(z, flags); put16(z, 0); put16(z, 0); put16(z, 0);
		put32(z, 0); put32(z, e[i].descriptor ? 0 : dl); put32(z, e[i].descriptor ? 0 : dl);
		put16(z, (unsigned)nl); put16(z, 0);
		sb_append(z, e[i].name, nl);
		sb_append(z, e[i].data, dl);
		if (e[i].descriptor) {
			sb_append(z, "PK\7\10", 4);
			put32(z, 0); put32(z, dl); put32(z, dl);
		}
	}
	unsigned long cdoff = z->len;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(e[i].name), dl = dlen(&e[i]);
		sb_append(&cd, "PK\1\2", 4);
		put16(&cd, 20); put16(&cd, 20);
		put16(&cd, (e[i].encrypted ? 1 : 0) | (e[i].descriptor ? 8 : 0));
		put16(&cd, 0); put16(&cd, 0); put16(&cd, 0);
		put32(&cd, 0); put32(&cd, dl); put32(&cd, dl);
		put16(&cd, (unsigned)nl); put16(&cd, 0); put16(&cd, 0); put16(&cd, 0);
		put16(&cd, 0); put32(&cd, 0); put32(&cd, off[i]);
		sb_append(&cd, e[i].name, nl);
	}
	sb_append(z, cd.s, cd.len);
	sb_append(z, "PK\5\6", 4);
	put16(z, 0); put16(z, 0); put16(z, (unsigned)n); put16(z, (unsigned)n);
	put32(z, cd.len); put32(z, cdoff); put16(z, 0);
	sb_free(&cd);
}

static void
base64(strbuf *out, const char *p, size_t n)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)p[i] << 16;
		if (i + 1 < n) v |= (unsigned char)p[i + 1] << 8;
		if (i + 2 < n) v |= (unsigned char)p[i + 2];
		sb_putc(out, a[v >> 18 & 63]);
		sb_putc(out, a[v >> 12 & 63]);
		sb_putc(out, i + 1 < n ? a[v >> 6 & 63] : '=');
		sb_putc(out, i + 2 < n ? a[v & 63] : '=');
		if ((i / 3) % 19 == 18)
			sb_puts(out, "\r\n");
	}
	sb_puts(out, "\r\n");
}

/* ---- the zip lister on its own ----------------------------------------- */

struct seen { unsigned n; char names[256]; bool enc; };

static bool
collect(void *ctx, const struct zip_entry *z)
{
	struct seen *s = ctx;
	size_t l = strlen(s->names);
	if (l + z->namelen + 2 < sizeof(s->names)) {
		memcpy(s->names + l, z->name, z->namelen);
		s->names[l + z->namelen] = z->central ? '*' : ',';
		s->names[l + z->namelen + 1] = '\0';
	}
	s->enc = s->enc || z->encrypted;
	s->n++;
	return false;
}

static void
test_zip_lister(void **state)
{
	static const struct zent plain[] = {
		{ "a.txt", "hello", false, false },
		{ "dir/b.exe", "MZ...", false, false },
	};
	static const struct zent tricky[] = {
		{ "x.txt", "PK\3\4 lookalike data", false, true },
		{ "secret.doc", "zz", true, false },
	};
	static const size_t chunks[] = { 1, 2, 7, 100000 };
	(void)state;

	for (size_t c = 0; c < NELEM(chunks); c++) {
		strbuf z;
		struct seen s = { 0 };
		struct zip_lister *zl;

		sb_init(&z);
		zip_make(&z, plain, NELEM(plain));
		zl = zip_new(100, collect, &s);
		for (size_t i = 0; i < z.len; i += chunks[c])
			assert_int_equal(zip_feed(zl, (unsigned char *)z.s + i,
			    z.len - i < chunks[c] ? z.len - i : chunks[c]), ZIP_OK);
		assert_string_equal(s.names, "a.txt,dir/b.exe,a.txt*dir/b.exe*");
		assert_int_equal(zip_count(zl), 2);
		assert_false(zip_encrypted(zl));
		assert_false(zip_broken(zl));
		zip_free(zl);

		sb_reset(&z);
		memset(&s, 0, sizeof(s));
		zip_make(&z, tricky, NELEM(tricky));
		zl = zip_new(100, collect, &s);
		for (size_t i = 0; i < z.len; i += chunks[c])
			zip_feed(zl, (unsigned char *)z.s + i, z.len - i < chunks[c] ? z.len - i : chunks[c]);
		/* the look-alike inside the data may add a bogus local entry, but
		 * every real name is listed and the central directory is reached */
		assert_non_null(strstr(s.names, "x.txt,"));
		assert_non_null(strstr(s.names, "secret.doc*"));
		assert_true(s.enc);
		assert_false(zip_broken(zl));
		zip_free(zl);
		sb_free(&z);
	}
}

static void
test_zip_malformed(void **state)
{
	static const struct zent many[] = {
		{ "1", "", false, false }, { "2", "", false, false }, { "3", "", false, false },
	};
	struct seen s = { 0 };
	struct zip_lister *zl;
	strbuf z;
	(void)state;

	sb_init(&z);
	zip_make(&z, many, NELEM(many));
	zl = zip_new(2, collect, &s);
	assert_int_equal(zip_feed(zl, (unsigned char *)z.s, z.len), ZIP_TOOMANY);
	zip_free(zl);
	/* not a zip at all; a truncated header; a huge name length */
	static const char *junk[] = { "hello world", "PK\3\4\24\0", "PK\1\2AAAAAAAAAAAAAAAAAAAAAAAA\377\377" };
	for (size_t i = 0; i < NELEM(junk); i++) {
		memset(&s, 0, sizeof(s));
		zl = zip_new(10, collect, &s);
		assert_int_equal(zip_feed(zl, (const unsigned char *)junk[i], strlen(junk[i])), ZIP_OK);
		assert_true(zip_broken(zl));
		assert_int_equal(s.n, 0);
		zip_free(zl);
	}
	/* a name longer than the lister keeps: the end (extension) survives */
	char longname[3000];
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + sizeof(longname) - 5, ".exe");
	struct zent one = { longname, "x", false, false };
	sb_reset(&z);
	zip_make(&z, &one, 1);
	memset(&s, 0, sizeof(s));
	zl = zip_new(10, collect, &s);
	zip_feed(zl, (unsigned char *)z.s, z.len);
	assert_int_equal(s.n, 2);
	zip_free(zl);
	sb_free(&z);
}

/* Feed z to a fresh lister in the given chunk size; is it broken? */
static bool
zip_is_broken(const char *buf, size_t len, size_t chunk)
{
	struct seen s = { 0 };
	struct zip_lister *zl = zip_new(100, collect, &s);
	bool broken;

	for (size_t i = 0; i < len; i += chunk)
		zip_feed(zl, (const unsigned char *)buf + i, len - i < chunk ? len - i : chunk);
	broken = zip_broken(zl);
	zip_free(zl);
	return broken;
}

static void
set32(char *p, unsigned long v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

/* An archive that cannot be listed to its end (issue 9): a local header
 * that lies about its size, a directory not reached or not the one the end
 * record names, an end record where readers do not find it. */
static void
test_zip_not_listed_to_the_end(void **state)
{
	static const struct zent plain[] = {
		{ "a.txt", "hello", false, false },
		{ "dir/b.exe", "MZ...", false, false },
		{ "c.txt", "ccc", false, true },
	};
	static const size_t chunks[] = { 1, 3, 64, 100000 };
	strbuf z, t;
	(void)state;

	sb_init(&z);
	sb_init(&t);
	zip_make(&z, plain, NELEM(plain));
	size_t cd = (size_t)((unsigned char)z.s[z.len - 6] | (unsigned char)z.s[z.len - 5] << 8);
	for (size_t c = 0; c < NELEM(chunks); c++) {
		size_t k = chunks[c];
		assert_false(zip_is_broken(z.s, z.len, k));
		/* local csize too small, too large, covering the rest */
		sb_reset(&t); sb_append(&t, z.s, z.len); set32(t.s + 18, 3);
		assert_true(zip_is_broken(t.s, t.len, k));
		sb_reset(&t); sb_append(&t, z.s, z.len); set32(t.s + 18, 9);
		assert_true(zip_is_broken(t.s, t.len, k));
		sb_reset(&t); sb_append(&t, z.s, z.len); set32(t.s + 18, (unsigned long)(z.len - 40));
		assert_true(zip_is_broken(t.s, t.len, k));
		/* cut before the end record; cut inside it */
		assert_true(zip_is_broken(z.s, z.len - 22, k));
		assert_true(zip_is_broken(z.s, z.len - 5, k));
		/* bytes before the archive (readers allow them; we do not walk it) */
		sb_reset(&t); sb_puts(&t, "MZjunk"); sb_append(&t, z.s, z.len);
		assert_true(zip_is_broken(t.s, t.len, k));
		/* the end record counts one entry more / names another offset */
		sb_reset(&t); sb_append(&t, z.s, z.len); t.s[t.len - 12]++; t.s[t.len - 14]++;
		assert_true(zip_is_broken(t.s, t.len, k));
		sb_reset(&t); sb_append(&t, z.s, z.len); t.s[t.len - 6]++;
		assert_true(zip_is_broken(t.s, t.len, k));
		/* a central header pointing at no local header */
		sb_reset(&t); sb_append(&t, z.s, z.len); t.s[cd + 42]++;
		assert_true(zip_is_broken(t.s, t.len, k));
		/* a later "PK\5\6" is the end record readers take: one that names
		 * a directory not walked; an empty one (readers list nothing) */
		sb_reset(&t); sb_append(&t, z.s, z.len); sb_append(&t, "PK\5\6\0\0\0\0\1\0\1\0", 12);
		for (int i = 0; i < 10; i++) sb_putc(&t, '\0');
		assert_true(zip_is_broken(t.s, t.len, k));
		sb_reset(&t); sb_append(&t, z.s, z.len); sb_append(&t, "PK\5\6", 4);
		for (int i = 0; i < 18; i++) sb_putc(&t, '\0');
		assert_false(zip_is_broken(t.s, t.len, k));
		/* junk after the end record: fine up to the readers' window */
		sb_reset(&t); sb_append(&t, z.s, z.len);
		for (int i = 0; i < 1000; i++) sb_putc(&t, 'x');
		assert_false(zip_is_broken(t.s, t.len, k));
		if (k >= 64) {
			for (int i = 0; i < 70000; i++) sb_putc(&t, 'x');
			assert_true(zip_is_broken(t.s, t.len, k));
		}
	}
	sb_free(&t);
	sb_free(&z);
}

static void
test_zip_nested_stored(void **state)
{
	static const struct zent inner[] = { { "deep/evil.scr", "x", false, false, 0 } };
	strbuf in, out;
	struct seen s = { 0 };
	struct zip_lister *zl;
	(void)state;

	sb_init(&in);
	sb_init(&out);
	zip_make(&in, inner, NELEM(inner));
	struct zent outer[] = {
		{ "inner.zip", in.s, false, false, in.len },
		{ "z.txt", "z", false, false, 0 },
	};
	zip_make(&out, outer, NELEM(outer));
	zl = zip_new(100, collect, &s);
	for (size_t i = 0; i < out.len; i += 5)
		zip_feed(zl, (unsigned char *)out.s + i, out.len - i < 5 ? out.len - i : 5);
	/* a stored archive inside: its names are listed too (local and
	 * central), and the outer listing goes on after it */
	assert_string_equal(s.names, "inner.zip,deep/evil.scr,deep/evil.scr*z.txt,inner.zip*z.txt*");
	assert_int_equal(zip_count(zl), 3);
	zip_free(zl);
	sb_free(&in);
	sb_free(&out);
}

/* ---- through the pipeline ---------------------------------------------- */

static char *dir;

static int
setup(void **state)
{
	strbuf text;

	(void)state;
	dir = tu_mkdtemp();
	sb_init(&text);
	sb_printf(&text, "%s/policies", dir);
	mkdir(text.s, 0700);
	free(tu_write(text.s, "default.conf",
	    "max_message_size = \"10M\";\n"
	    "blocked_extensions = [ \"exe\", \".scr\", \"tar.gz\" ];\n"
	    "blocked_types = [ \"application/x-msdownload\", \"video/*\" ];\n"
	    "max_attachment_size = 1000;\n"
	    "max_attachments_total = 3000;\n"
	    "mime_max_depth = 3;\n"));
	free(tu_write(text.s, "hold.example.conf", "blocked_action = \"quarantine\";\n"));
	free(tu_write(text.s, "tag.example.conf", "blocked_action = \"tag\";\n"));
	free(tu_write(text.s, "watch.example.conf", "mode = \"observe\";\n"));
	free(tu_write(text.s, "open.example.conf",
	    "blocked_extensions = [ \"bat\" ]; max_attachment_size = 0; max_attachments_total = 0;\n"));
	sb_reset(&text);
	/* no resolver runs here: the test clients are trusted (no SPF) */
	sb_printf(&text, "authserv_id = \"mx.test.example\";\npolicy_dir = \"%s/policies\";\n"
	    "trusted_hosts = [ \"192.0.2.0/24\", \"2001:db8::/32\" ];\n", dir);
	tu_install_config(dir, text.s);
	sb_free(&text);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tu_uninstall_config(dir);
}

/* Run a message for rcpt; body in chunks of csize.  Returns the verdict
 * and in *chunk_at the chunk number (1-based) where a refusal came. */
static struct verdict
run(const char *rcpt, const char *ctype, const char *body, size_t csize, int *chunk_at,
    struct edits *ed)
{
	struct conn *c = conn_new();
	struct verdict v;
	size_t n = strlen(body);
	int k = 0;

	pl_connect(c, "client.example", "192.0.2.1", NULL);
	pl_helo(c, "client.example");
	pl_envfrom(c, "<s@remote.example>", (const char *const[]){ NULL }, "QID", NULL, &v);
	pl_envrcpt(c, rcpt, &v);
	pl_header(c, "Subject", "test");
	pl_header(c, "Content-Type", ctype);
	pl_eoh(c, &v);
	for (size_t i = 0; i < n && !verdict_refuses(&v); i += csize) {
		unsigned char *chunk = xmalloc(csize);
		size_t len = n - i < csize ? n - i : csize;
		memcpy(chunk, body + i, len);
		pl_body(c, chunk, len, &v);
		free(chunk);
		k++;
	}
	if (chunk_at != NULL)
		*chunk_at = verdict_refuses(&v) ? k : 0;
	if (!verdict_refuses(&v)) {
		struct edits local;
		edits_init(&local);
		pl_eom(c, "QID", ed ? ed : &local, &v);
		edits_free(&local);
	} else {
		pl_abort(c);
	}
	conn_free(c);
	return v;
}

#define MIXED "multipart/mixed; boundary=\"=b\""

static void
attachment(strbuf *b, const char *type, const char *name, const char *data, size_t n)
{
	sb_printf(b, "--=b\r\nContent-Type: %s\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", type, name);
	base64(b, data, n);
}

static void
test_blocked_names(void **state)
{
	static const struct { const char *name; bool blocked; } rows[] = {
		{ "invoice.pdf.exe", true }, { "INVOICE.PDF.EXE", true }, { "x.exe.", true },
		{ "x.exe . .", true }, { "screen.Scr", true }, { "a.tar.gz", true },
		{ "=?utf-8?B?aW52b2ljZS5leGU=?=", true },
		{ "exe", false }, { "x.exe.pdf", false }, { "a.gz", false }, { "notes.txt", false },
		{ "xexe", false },
	};
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		strbuf b;
		struct verdict v;

		sb_init(&b);
		sb_puts(&b, "--=b\r\n\r\nhello\r\n");
		attachment(&b, "application/octet-stream", rows[i].name, "MZ", 2);
		sb_puts(&b, "--=b--\r\n");
		v = run("<u@plain.example>", MIXED, b.s, 64, NULL, NULL);
		if (rows[i].blocked != (v.action == ACT_REJECT))
			fail_msg("%s: action %s", rows[i].name, action_name(v.action));
		if (rows[i].blocked) {
			assert_int_equal(v.code, 554);
			assert_string_equal(v.xcode, "5.7.1");
			assert_non_null(strstr(v.text, "is blocked"));
		}
		sb_free(&b);
	}
}

static void
test_blocked_in_zip(void **state)
{
	static const struct zent ents[] = {
		{ "readme.txt", "hi", false, false },
		{ "payload/Invoice.PDF.exe", "MZ", false, true },
	};
	strbuf z, b;
	struct verdict v;
	int at;

	(void)state;
	sb_init(&z);
	sb_init(&b);
	zip_make(&z, ents, NELEM(ents));
	attachment(&b, "application/zip", "files.zip", z.s, z.len);
	sb_puts(&b, "--=b--\r\n");
	v = run("<u@plain.example>", MIXED, b.s, 16, &at, NULL);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 554);
	assert_string_equal(v.xcode, "5.7.1");
	assert_non_null(strstr(v.text, "payload/Invoice.PDF.exe"));
	assert_non_null(strstr(v.text, "file in archive"));
	assert_true((size_t)at * 16 < b.len);      /* refused before the end */
	/* open.example does not block .exe */
	v = run("<u@open.example>", MIXED, b.s, 16, NULL, NULL);
	assert_int_equal(v.action, ACT_ACCEPT);
	/* renamed and retyped: the first bytes give the archive away */
	sb_reset(&b);
	attachment(&b, "application/pdf", "statement.pdf", z.s, z.len);
	sb_puts(&b, "--=b--\r\n");
	v = run("<u@plain.example>", MIXED, b.s, 1, NULL, NULL);
	assert_int_equal(v.action, ACT_REJECT);
	assert_non_null(strstr(v.text, "payload/Invoice.PDF.exe"));
	sb_free(&z);
	sb_free(&b);
}

static void
test_blocked_in_encoded_message(void **state)
{
	strbuf inner, b;
	struct verdict v;

	(void)state;
	sb_init(&inner);
	sb_init(&b);
	sb_puts(&inner, "Subject: fwd\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n"
	    "--in\r\nContent-Type: application/octet-stream; name=\"tool.scr\"\r\n\r\nMZ\r\n--in--\r\n");
	sb_puts(&b, "--=b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	base64(&b, inner.s, inner.len);
	sb_puts(&b, "--=b--\r\n");
	v = run("<u@plain.example>", MIXED, b.s, 10, NULL, NULL);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 554);
	assert_non_null(strstr(v.text, "tool.scr"));
	sb_free(&inner);
	sb_free(&b);
}

static void
test_blocked_types(void **state)
{
	static const struct { const char *type; bool blocked; } rows[] = {
		{ "application/x-msdownload", true }, { "Application/X-MSDownload", true },
		{ "video/mp4", true }, { "video", false }, { "videos/x", false },
		{ "application/pdf", false },
	};
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		strbuf b;
		sb_init(&b);
		attachment(&b, rows[i].type, "file.bin", "data", 4);
		sb_puts(&b, "--=b--\r\n");
		struct verdict v = run("<u@plain.example>", MIXED, b.s, 1000, NULL, NULL);
		if (rows[i].blocked != (v.action == ACT_REJECT))
			fail_msg("%s: action %s", rows[i].type, action_name(v.action));
		sb_free(&b);
	}
}

static void
test_sizes_while_streaming(void **state)
{
	char data[1500];
	strbuf b;
	struct verdict v;
	int at;

	(void)state;
	memset(data, 'A', sizeof(data));
	sb_init(&b);
	attachment(&b, "application/pdf", "big.pdf", data, sizeof(data));
	sb_puts(&b, "--=b--\r\n");
	v = run("<u@plain.example>", MIXED, b.s, 100, &at, NULL);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 552);
	assert_string_equal(v.xcode, "5.3.4");
	assert_non_null(strstr(v.text, "1000"));
	assert_true((size_t)at * 100 < b.len - 300);   /* before the part ended */
	v = run("<u@open.example>", MIXED, b.s, 100, NULL, NULL);
	assert_int_equal(v.action, ACT_ACCEPT);
	/* four parts of 900 decoded bytes: each fits, the total (3000) does not */
	sb_reset(&b);
	for (int i = 0; i < 4; i++)
		attachment(&b, "application/pdf", "p.pdf", data, 900);
	sb_puts(&b, "--=b--\r\n");
	v = run("<u@plain.example>", MIXED, b.s, 4096, NULL, NULL);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 552);
	assert_non_null(strstr(v.text, "total"));
	sb_free(&b);
}

static void
test_mime_limits(void **state)
{
	struct verdict v;

	(void)state;
	v = run("<u@plain.example>", "multipart/mixed; boundary=a",
	    "--a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
	    "--c\r\nContent-Type: multipart/mixed; boundary=d\r\n\r\n"
	    "--d\r\n\r\nx\r\n", 7, NULL, NULL);
	assert_int_equal(v.action, ACT_REJECT);
	assert_int_equal(v.code, 554);
	assert_string_equal(v.xcode, "5.6.0");
	assert_non_null(strstr(v.text, "depth"));
}

static void
test_actions(void **state)
{
	strbuf b;
	struct verdict v;
	struct edits e;

	(void)state;
	sb_init(&b);
	attachment(&b, "application/octet-stream", "run.exe", "MZ", 2);
	sb_puts(&b, "--=b--\r\n");
	edits_init(&e);
	v = run("<u@hold.example>", MIXED, b.s, 50, NULL, &e);
	assert_int_equal(v.action, ACT_QUARANTINE);
	assert_true(e.quarantine);
	edits_free(&e);
	edits_init(&e);
	v = run("<u@tag.example>", MIXED, b.s, 50, NULL, &e);
	assert_int_equal(v.action, ACT_TAG);
	size_t tags = 0;
	for (size_t i = 0; i < e.n; i++) {
		if (strcmp(e.v[i].name, "X-Postern-Attachment") == 0) {
			tags++;
			assert_non_null(strstr(e.v[i].value, "run.exe"));
		}
	}
	assert_int_equal(tags, 1);
	edits_free(&e);
	v = run("<u@watch.example>", MIXED, b.s, 50, NULL, NULL);
	assert_int_equal(v.action, ACT_ACCEPT);
	assert_true(v.observed);
	assert_int_equal(v.would, ACT_REJECT);
	sb_free(&b);
}

static void
test_facts_for_the_spam_screen(void **state)
{
	struct conn *c = conn_new();
	struct verdict v;
	const struct mime_facts *f;
	const char *body = "--=b\r\n\r\nhello\r\n--=b\r\nContent-Type: image/png; name=\"p.png\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--=b--\r\n";

	(void)state;
	pl_connect(c, "client.example", "192.0.2.1", NULL);
	pl_envfrom(c, "<s@remote.example>", (const char *const[]){ NULL }, "QID", NULL, &v);
	pl_envrcpt(c, "<u@plain.example>", &v);
	assert_null(attach_facts(&c->msg));
	pl_header(c, "content-type", MIXED);
	pl_eoh(c, &v);
	pl_body(c, (const unsigned char *)body, strlen(body), &v);
	f = attach_facts(&c->msg);
	assert_non_null(f);
	assert_int_equal(f->nparts, 3);
	assert_string_equal(f->parts[2].type, "image/png");
	assert_string_equal(f->parts[2].filename, "p.png");
	assert_int_equal(f->parts[2].dec_size, 5);
	assert_int_equal(f->total_decoded, 10);
	pl_abort(c);
	assert_null(attach_facts(&c->msg));     /* reset with the message */
	conn_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zip_lister),
		cmocka_unit_test(test_zip_malformed),
		cmocka_unit_test(test_zip_not_listed_to_the_end),
		cmocka_unit_test(test_zip_nested_stored),
		cmocka_unit_test(test_blocked_names),
		cmocka_unit_test(test_blocked_in_zip),
		cmocka_unit_test(test_blocked_in_encoded_message),
		cmocka_unit_test(test_blocked_types),
		cmocka_unit_test(test_sizes_while_streaming),
		cmocka_unit_test(test_mime_limits),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_facts_for_the_spam_screen),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
