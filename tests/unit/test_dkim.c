/* test_dkim.c - key table rows, key-record tags, From domains, private key
 * loading and its permission checks, key table building (malformed rows),
 * and the header selection of signatures postern makes (through the
 * pipeline, no DNS needed to sign). */
#include "config.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "../../filter/dkim/dkim_int.h"
#include "postern/addr.h"
#include "postern/check_dkim.h"
#include "postern/dkim.h"
#include "postern/pipeline.h"

static void
test_rows(void **state)
{
	static const struct { const char *row; enum dkim_row_status want; } t[] = {
		{ "example.com:sel:/etc/postern/k.pem", DKROW_OK },
		{ "Sub.Example.COM:2024-01._x:/k", DKROW_OK },
		{ "example.com:sel.sub:/a/b:c.pem", DKROW_OK },   /* ':' in the path */
		{ "", DKROW_FIELDS },
		{ "example.com", DKROW_FIELDS },
		{ "example.com:sel", DKROW_FIELDS },
		{ ":sel:/k", DKROW_DOMAIN },
		{ ".example.com:sel:/k", DKROW_DOMAIN },
		{ "exa mple.com:sel:/k", DKROW_DOMAIN },
		{ "example..com:sel:/k", DKROW_DOMAIN },
		{ "example.com::/k", DKROW_SELECTOR },
		{ "example.com:s;el:/k", DKROW_SELECTOR },
		{ "example.com:sel.:/k", DKROW_SELECTOR },
		{ "example.com:sel:", DKROW_PATH },
		{ "example.com:sel:k.pem", DKROW_PATH },
		{ "example.com:sel:/", DKROW_PATH },
	};
	struct dkim_row r;

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		enum dkim_row_status st = dkim_row_parse(t[i].row, strlen(t[i].row), &r);
		if (st != t[i].want)
			fail_msg("row \"%s\": got %s, want %s", t[i].row, dkim_row_strerror(st),
			    dkim_row_strerror(t[i].want));
	}
	/* not NUL-terminated, and a NUL inside the path */
	assert_int_equal(dkim_row_parse("a.b:s:/kXXXX", 8, &r), DKROW_OK);
	assert_int_equal(r.path_len, 2);
	assert_int_equal(dkim_row_parse("a.b:s:/k\0x", 10, &r), DKROW_PATH);
	char big[DKIM_ROW_MAX + 10];
	memset(big, 'a', sizeof(big));
	assert_int_equal(dkim_row_parse(big, sizeof(big), &r), DKROW_TOOLONG);
}

static void
test_tags(void **state)
{
	static const struct { const char *rec, *tag; enum dkim_tag_status want; const char *val; } t[] = {
		{ "v=DKIM1; k=rsa; p=MIIB", "p", DKTAG_OK, "MIIB" },
		{ "v=DKIM1; k=rsa; p=MIIB;", "p", DKTAG_OK, "MIIB" },
		{ " v = DKIM1 ;\tp = AB CD\r\n EF ; ", "p", DKTAG_OK, "AB CD\r\n EF" },
		{ "v=DKIM1; p=", "p", DKTAG_OK, "" },
		{ "v=DKIM1; k=rsa", "p", DKTAG_ABSENT, NULL },
		{ "", "p", DKTAG_ABSENT, NULL },
		{ "v=DKIM1; p=A; p=B", "p", DKTAG_DUPLICATE, NULL },
		{ "v=DKIM1; t; p=A", "p", DKTAG_SYNTAX, NULL },
		{ "=x; p=A", "p", DKTAG_SYNTAX, NULL },
		{ "v=DKIM1: p=A", "p", DKTAG_ABSENT, NULL },   /* one tag "v" with value "DKIM1: p=A" */
		{ "pp=A; p=B", "p", DKTAG_OK, "B" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		const char *v = NULL;
		size_t vl = 0;
		enum dkim_tag_status st = dkim_tag_find(t[i].rec, strlen(t[i].rec), t[i].tag, &v, &vl);

		if (st != t[i].want)
			fail_msg("\"%s\": status %d, want %d", t[i].rec, st, t[i].want);
		if (t[i].val != NULL && (vl != strlen(t[i].val) || memcmp(v, t[i].val, vl) != 0))
			fail_msg("\"%s\": value \"%.*s\", want \"%s\"", t[i].rec, (int)vl, v, t[i].val);
	}
	strbuf sb;
	sb_init(&sb);
	dkim_b64_compact("AB CD\r\n EF", 10, &sb);
	assert_string_equal(sb.s, "ABCDEF");
	sb_free(&sb);
}

static void
test_from_domain(void **state)
{
	static const struct { const char *from, *want; } t[] = {
		{ "alice@example.com", "example.com" },
		{ "Alice <alice@Example.COM>", "example.com" },
		{ "\"Bob @ home\" <bob@sub.example.org>", "sub.example.org" },
		{ "alice@example.com (Alice)", "example.com" },
		{ "alice@example.com.", "example.com" },
		{ "Alice <alice@example.com", NULL },
		{ "no address", NULL },
		{ "alice@", NULL },
		{ "<alice@exa\x01mple.com>", NULL },
		{ "a@one.example, b@two.example", NULL },
		{ "A <a@one.example>, B <b@two.example>", NULL },
		{ "\"x <y@z.example>\" <a@real.example>", "real.example" },
		{ "(c <d@e.example>) a@real.example", "real.example" },
		{ "\"Last, First\" <first@real.example>", "real.example" },
		{ "a@real.example (Alice, Bob)", "real.example" },
		/* a comment holding another address never names the domain */
		{ "a@good.example (x@other.example y)", "good.example" },
		{ "a@good.example (x@other.example)", "good.example" },
		{ "(x@other.example) a@good.example", "good.example" },
		{ "A (x@other.example) <a@good.example>", "good.example" },
		{ "<a@good.example> (x@other.example)", "good.example" },
		{ "\"x@other.example\" <a@good.example>", "good.example" },
		{ "a@good.example (x@other.example", NULL },
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		/* the one parser every check reads (addr.c, struct author) */
		bool ok = from_header_domain(t[i].from, strlen(t[i].from), out, sizeof(out)) == FROM_OK;
		if (t[i].want == NULL && ok)
			fail_msg("\"%s\": got %s, want none", t[i].from, out);
		if (t[i].want != NULL && (!ok || strcmp(out, t[i].want) != 0))
			fail_msg("\"%s\": got %s, want %s", t[i].from, ok ? out : "none", t[i].want);
		/* the address the deny lists and the login binding read comes
		 * from the same parse: same status, same domain */
		char dom[256], addr[322];
		bool aok = from_header_author(t[i].from, strlen(t[i].from), dom, sizeof(dom), addr,
		    sizeof(addr)) == FROM_OK;
		if (aok != ok || (ok && strcmp(dom, out) != 0))
			fail_msg("\"%s\": from_header_author disagrees (%s)", t[i].from, aok ? dom : "none");
		if (aok && addr[0] != '\0') {
			size_t al = strlen(addr), dl = strlen(dom);
			if (al <= dl + 1 || addr[al - dl - 1] != '@' || strcmp(addr + al - dl, dom) != 0)
				fail_msg("\"%s\": address %s is not in %s", t[i].from, addr, dom);
		}
	}
	{
		/* issue 17's case: the author, never the address in the comment */
		static const char f[] = "a@good.example (x@other.example y)";
		char dom[256], addr[322];

		assert_int_equal(from_header_author(f, sizeof(f) - 1, dom, sizeof(dom), addr, sizeof(addr)),
		    FROM_OK);
		assert_string_equal(dom, "good.example");
		assert_string_equal(addr, "a@good.example");
	}
}

/* ---- keys ---------------------------------------------------------------- */

static char *
write_pem(const char *dir, const char *name, const char *alg, size_t bits, mode_t mode)
{
	EVP_PKEY *pk = strcmp(alg, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits)
	                                       : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *path = tu_write(dir, name, "");
	FILE *f = fopen(path, "w");

	assert_non_null(pk);
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	chmod(path, mode);
	EVP_PKEY_free(pk);
	return path;
}

static void
test_key_load(void **state)
{
	char *dir = tu_mkdtemp(), err[512];
	char *rsa = write_pem(dir, "rsa.pem", "RSA", 1024, 0600);
	char *ed = write_pem(dir, "ed.pem", "ED25519", 0, 0600);
	char *small = write_pem(dir, "small.pem", "RSA", 512, 0600);
	char *open_ = write_pem(dir, "open.pem", "RSA", 1024, 0644);
	char *grp = write_pem(dir, "grp.pem", "ED25519", 0, 0640);
	char *junk = tu_write(dir, "junk.pem", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
	/* OpenDKIM's Ed25519 key files: the base64 32-byte seed (RFC 8463 A.2) */
	char *seed = tu_write(dir, "seed.key", "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n");
	struct dkim_key k;

	(void)state;
	chmod(junk, 0600);
	chmod(seed, 0600);
	assert_true(dkim_key_load(&k, "Example.COM", "s", rsa, err, sizeof(err)));
	assert_string_equal(k.domain, "example.com");
	assert_int_equal(k.alg, DKALG_RSA);
	assert_int_equal(k.bits, 1024);
	assert_true(strncmp(k.keytext, "MII", 3) == 0);   /* libopendkim's DER-in-base64 form */
	assert_true(strncmp(k.pub_b64, "MIGfMA0G", 8) == 0);
	{
		/* libopendkim's parse of this key returns the parsed key (no
		 * per-message parsing), other input is parsed by OpenSSL */
		BIO *b1 = BIO_new_mem_buf(k.der, (int)k.derlen), *b2 = BIO_new_mem_buf(k.der, (int)k.derlen);
		EVP_PKEY *p1 = d2i_PrivateKey_bio(b1, NULL), *p2 = d2i_PrivateKey_bio(b2, NULL);
		assert_non_null(p1);
		assert_ptr_equal(p1, p2);
		EVP_PKEY_free(p1);
		EVP_PKEY_free(p2);
		BIO_free(b1);
		BIO_free(b2);
		dkim_key_free(&k);   /* unregistered again */
	}
	assert_true(dkim_key_load(&k, "example.com", "s", ed, err, sizeof(err)));
	assert_int_equal(k.alg, DKALG_ED25519);
	assert_int_equal(strlen(k.pub_b64), 44);
	assert_true(strncmp(k.keytext, "-----BEGIN PRIVATE KEY-----", 27) == 0);
	dkim_key_free(&k);
	assert_true(dkim_key_load(&k, "football.example.com", "brisbane", seed, err, sizeof(err)));
	assert_string_equal(k.pub_b64, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");   /* RFC 8463 A.2 */
	dkim_key_free(&k);

	const struct { const char **path; const char *msg; } bad[] = {
		{ (const char **)&small, "RSA key of 512 bits is too small" },
		{ (const char **)&open_, "private key is accessible by group or others (mode 0644); run chmod 600" },
		{ (const char **)&grp, "(mode 0640)" },
		{ (const char **)&junk, "not a private key" },
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		assert_false(dkim_key_load(&k, "example.com", "s", *bad[i].path, err, sizeof(err)));
		if (strstr(err, bad[i].msg) == NULL || strstr(err, *bad[i].path) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", *bad[i].path, err, bad[i].msg);
		dkim_key_free(&k);
	}
	assert_false(dkim_key_load(&k, "example.com", "s", "/nonexistent/k.pem", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/k.pem: No such file"));
	dkim_key_free(&k);
	/* a directory writable by others is refused, unless sticky */
	chmod(dir, 0777);
	assert_false(dkim_key_load(&k, "example.com", "s", rsa, err, sizeof(err)));
	assert_non_null(strstr(err, "is writable by others"));
	dkim_key_free(&k);
	chmod(dir, 01777);
	assert_true(dkim_key_load(&k, "example.com", "s", rsa, err, sizeof(err)));
	dkim_key_free(&k);
	chmod(dir, 0700);

	/* the key table: every problem reported, good rows loaded */
	struct strlist rows = { 0 };
	struct dkim_keytab t;
	strbuf e;
	char row[1024];
	snprintf(row, sizeof(row), "example.com:rsa:%s", rsa);
	strlist_add(&rows, row);
	strlist_add(&rows, "example.com:no-path");
	snprintf(row, sizeof(row), "example.com:open:%s", open_);
	strlist_add(&rows, row);
	sb_init(&e);
	assert_false(dkim_keytab_build(&t, &rows, &e));
	assert_non_null(strstr(e.s, "row 2: expected"));
	assert_non_null(strstr(e.s, "open.pem: private key is accessible"));
	assert_int_equal(t.n, 1);
	dkim_keytab_free(&t);
	sb_free(&e);
	strlist_free(&rows);

	free(rsa); free(ed); free(small); free(open_); free(grp); free(junk); free(seed);
	tu_rmdir(dir);
}

/* ---- header selection: sign through the pipeline ------------------------ */

static void
test_header_selection(void **state)
{
	char *dir = tu_mkdtemp(), *key = write_pem(dir, "k.pem", "ED25519", 0, 0600);
	char *ed2 = write_pem(dir, "k2.pem", "RSA", 1024, 0600), *conf;
	struct ct_errors e;
	struct snapshot *s;
	struct conn *c;
	struct verdict v;
	struct edits ed;
	strbuf text;

	(void)state;
	sb_init(&text);
	sb_printf(&text, "%s/pol", dir);
	mkdir(text.s, 0700);
	sb_reset(&text);
	sb_printf(&text, "policy_dir = \"%s/pol\";\ninternal_hosts = [ \"10.0.0.0/8\" ];\n"
	    "dkim = { keys = [ \"example.com:ed:%s\", \"example.com:rsa:%s\" ]; sign_subdomains = true; };\n",
	    dir, key, ed2);
	conf = tu_write(dir, "postern.conf", text.s);
	ct_errors_init(&e);
	s = snapshot_build(conf, &e);
	if (s == NULL)
		fail_msg("%s", e.text.s);
	ct_errors_free(&e);
	snapshot_install(s);

	c = conn_new();
	pl_connect(c, "client", "10.1.1.1", NULL);
	pl_envfrom(c, "<a@mail.example.com>", (const char *const[]){ NULL }, "Q1", NULL, &v);
	pl_envrcpt(c, "<b@example.net>", &v);
	pl_header(c, "Received", "from x by y");
	pl_header(c, "From", "A <a@Mail.Example.com>");
	pl_header(c, "To", "b@example.net");
	pl_header(c, "Subject", "folded\n\tsubject");
	pl_header(c, "X-Mailer", "test");
	pl_header(c, "List-Id", "<l.example.com>");
	pl_eoh(c, &v);
	/* the libopendkim 2.11 Ed25519 leak work-around recognised the library */
	assert_int_equal(check_dkim_job(&c->msg)->nsign, 2);
	assert_non_null(check_dkim_job(&c->msg)->ed_crypto[0]);
	assert_null(check_dkim_job(&c->msg)->ed_crypto[1]);
	pl_body(c, (const unsigned char *)"hi\r\n", 4, &v);
	edits_init(&ed);
	pl_eom(c, "Q1", &ed, &v);
	assert_int_equal(ed.n, 2);
	for (size_t i = 0; i < ed.n; i++) {
		const char *h = ed.v[i].value;
		char *hv = strstr(h, "\th="), *end;

		assert_int_equal(ed.v[i].op, EDIT_INSERT);
		assert_int_equal(ed.v[i].index, 0);
		assert_string_equal(ed.v[i].name, "DKIM-Signature");
		assert_null(strchr(h, '\r'));                    /* LF folding for the MTA */
		assert_non_null(strstr(h, "d=example.com;"));     /* subdomain signed by the parent key */
		assert_non_null(strstr(h, "c=relaxed/relaxed;"));
		assert_non_null(hv);
		end = strchr(hv, ';');
		strbuf hl;
		sb_init(&hl);
		for (char *p = hv + 3; p < end; p++)
			if (*p != ' ' && *p != '\t' && *p != '\n')
				sb_putc(&hl, (char)tolower((unsigned char)*p));
		/* present headers signed, then every oversigned name once more */
		assert_string_equal(hl.s, "from:to:subject:list-id:from:to:cc:subject:date:reply-to:"
		    "message-id:mime-version:content-type:content-transfer-encoding");
		sb_free(&hl);
	}
	edits_free(&ed);

	/* two From fields: not signed */
	pl_envfrom(c, "<a@example.com>", (const char *const[]){ NULL }, "Q2", NULL, &v);
	pl_envrcpt(c, "<b@example.net>", &v);
	pl_header(c, "From", "a@example.com");
	pl_header(c, "From", "b@example.com");
	pl_eoh(c, &v);
	edits_init(&ed);
	pl_eom(c, "Q2", &ed, &v);
	assert_int_equal(ed.n, 0);
	edits_free(&ed);
	/* the domain in a comment is not the From domain: the keys of
	 * example.com sign only the first, never the second */
	pl_envfrom(c, "<a@example.com>", (const char *const[]){ NULL }, "Q4", NULL, &v);
	pl_envrcpt(c, "<b@example.net>", &v);
	pl_header(c, "From", "a@example.com (x@notexample.com y)");
	pl_eoh(c, &v);
	edits_init(&ed);
	pl_eom(c, "Q4", &ed, &v);
	assert_int_equal(ed.n, 2);
	assert_non_null(strstr(ed.v[0].value, "d=example.com;"));
	edits_free(&ed);
	pl_envfrom(c, "<a@notexample.com>", (const char *const[]){ NULL }, "Q5", NULL, &v);
	pl_envrcpt(c, "<b@example.net>", &v);
	pl_header(c, "From", "a@notexample.com (x@example.com y)");
	pl_eoh(c, &v);
	edits_init(&ed);
	pl_eom(c, "Q5", &ed, &v);
	assert_int_equal(ed.n, 0);
	edits_free(&ed);
	/* a From domain without keys: not signed */
	pl_envfrom(c, "<a@other.example>", (const char *const[]){ NULL }, "Q3", NULL, &v);
	pl_envrcpt(c, "<b@example.net>", &v);
	pl_header(c, "From", "a@notexample.com");
	pl_eoh(c, &v);
	edits_init(&ed);
	pl_eom(c, "Q3", &ed, &v);
	assert_int_equal(ed.n, 0);
	edits_free(&ed);
	pl_close(c);
	conn_free(c);
	snapshot_install(NULL);
	sb_free(&text);
	free(conf); free(key); free(ed2);
	tu_rmdir(dir);
}

/* dkim_keyrec_fix: PKCS#1 keys wrapped into SubjectPublicKeyInfo, g= dropped. */
#define PK1 "MIGJAoGBAMhepKHI54CPZpyE7LMoNE4q7YjPW0B2IBVcMmayRonpMSRIpi5RInIr9EjbS6oiO9NT3LVYxcUWrcNJvqROuSLl+hPEx6G2/9HEkoVg6JFZP+0bYxQv/cYfWODLSc3Dg5UKGgUllAL+/1APUecoFa2ym18m08UdtbqzPMgnjFQpAgMBAAE="
#define PK1_FOLDED "MIGJAoGBAMhepKHI54CPZpyE7LMoNE4q7YjPW0B2IBVcMmayRonpMSRIpi5R InIr9EjbS6oiO9NT3LVYxcUWrcNJvqROuSLl+hPEx6G2/9HEkoVg6JFZP+0bYxQv/cYfWODLSc3Dg5UKGgUllAL+/1APUecoFa2ym18m08UdtbqzPMgnjFQpAgMBAAE="
#define SPKI "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDIXqShyOeAj2achOyzKDROKu2Iz1tAdiAVXDJmskaJ6TEkSKYuUSJyK/RI20uqIjvTU9y1WMXFFq3DSb6kTrki5foTxMehtv/RxJKFYOiRWT/tG2MUL/3GH1jgy0nNw4OVChoFJZQC/v9QD1HnKBWtsptfJtPFHbW6szzIJ4xUKQIDAQAB"
static const struct {
	const char *in;
	int changed;
	const char *out;
} keyrec_rows[] = {
	{ "v=DKIM1; k=rsa; p=" PK1, 1, "v=DKIM1; k=rsa; p=" SPKI },
	{ "v=DKIM1; p=" PK1_FOLDED " ;t=s", 1, "v=DKIM1; p=" SPKI "; t=s" },
	{ "v=DKIM1; k=rsa; g=nobody; p=" SPKI, 1, "v=DKIM1; k=rsa; p=" SPKI },
	{ "g = *; p=" PK1, 1, "p=" SPKI },
	{ "v=DKIM1; k=rsa; p=" SPKI, 0, NULL },
	{ "v=DKIM1; p=", 0, NULL },
	{ "v=DKIM1; p=!!!!", 0, NULL },
	{ "v=DKIM1; p=MAA=", 0, NULL },
	{ "v=DKIM1; p=MAMCAQA=", 0, NULL },   /* SEQUENCE { INTEGER 0 }: not an RSA key */
	{ "v=DKIM1; gx=1; p=" SPKI, 0, NULL },
	{ "", 0, NULL },
};

static void
test_keyrec_fix(void **state)
{
	strbuf out;

	(void)state;
	sb_init(&out);
	for (size_t i = 0; i < sizeof(keyrec_rows) / sizeof(keyrec_rows[0]); i++) {
		bool ch = dkim_keyrec_fix(keyrec_rows[i].in, strlen(keyrec_rows[i].in), &out);

		if (ch != (bool)keyrec_rows[i].changed)
			fail_msg("row %zu: changed %d want %d", i, ch, keyrec_rows[i].changed);
		if (ch && strcmp(out.s, keyrec_rows[i].out) != 0)
			fail_msg("row %zu: [%s] want [%s]", i, out.s, keyrec_rows[i].out);
	}
	sb_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_from_domain),
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_header_selection),
		cmocka_unit_test(test_keyrec_fix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
