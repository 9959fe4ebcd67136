/*
 * keygen.c - postern-keygen: make a DKIM key pair and print the DNS record.
 *
 *   postern-keygen -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS] [-o DIR]
 *
 * Writes DIR/DOMAIN.SELECTOR.pem (mode 0600, never overwritten) and
 * DIR/DOMAIN.SELECTOR.txt (the zone-file line, also printed), and prints
 * the dkim.keys row for postern.conf.  The key is re-read through the same
 * loader the daemon uses, so what it accepts postern accepts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postern/dkim.h"

#define TXT_CHUNK 250   /* character-strings of a TXT record are <= 255 */

static void
usage(int st)
{
	fprintf(st ? stderr : stdout,
	    "usage: postern-keygen -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS] [-o DIR]\n");
	exit(st);
}

static bool
write_key(const char *path, EVP_PKEY *pk)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	FILE *f;
	bool ok;

	if (fd < 0) {
		fprintf(stderr, "postern-keygen: %s: %s\n", path, strerror(errno));
		return false;
	}
	if (fchmod(fd, 0600) != 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "postern-keygen: %s: %s\n", path, strerror(errno));
		close(fd);
		return false;
	}
	ok = PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		fprintf(stderr, "postern-keygen: cannot write %s\n", path);
	return ok;
}

static void
zone_line(strbuf *out, const struct dkim_key *k)
{
	strbuf rec;

	sb_init(&rec);
	sb_printf(&rec, "v=DKIM1; k=%s; p=%s", k->alg == DKALG_RSA ? "rsa" : "ed25519", k->pub_b64);
	sb_printf(out, "%s._domainkey.%s. IN TXT (", k->selector, k->domain);
	for (size_t i = 0; i < rec.len; i += TXT_CHUNK) {
		size_t n = rec.len - i < TXT_CHUNK ? rec.len - i : TXT_CHUNK;
		sb_puts(out, " \"");
		sb_append(out, rec.s + i, n);
		sb_putc(out, '"');
	}
	sb_puts(out, " )\n");
	sb_free(&rec);
}

int
main(int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *alg = "rsa", *dir = ".";
	unsigned long bits = 2048;
	char path[4096], txtpath[4096], err[512];
	struct dkim_key k;
	struct dkim_row row;
	EVP_PKEY *pk;
	strbuf zone;
	int ch;

	while ((ch = getopt(argc, argv, "a:b:d:ho:s:")) != -1) {
		switch (ch) {
		case 'a': alg = optarg; break;
		case 'b': bits = strtoul(optarg, NULL, 10); break;
		case 'd': domain = optarg; break;
		case 'o': dir = optarg; break;
		case 's': selector = optarg; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc || domain == NULL || selector == NULL)
		usage(2);
	snprintf(path, sizeof(path), "%s:%s:/x", domain, selector);
	if (dkim_row_parse(path, strlen(path), &row) != DKROW_OK) {
		fprintf(stderr, "postern-keygen: bad domain or selector\n");
		return 2;
	}
	if (strcmp(alg, "rsa") == 0) {
		if (bits < 1024 || bits > 8192) {
			fprintf(stderr, "postern-keygen: RSA bits must be 1024..8192 (2048 recommended)\n");
			return 2;
		}
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else if (strcmp(alg, "ed25519") == 0) {
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	} else {
		usage(2);
	}
	if (pk == NULL) {
		fprintf(stderr, "postern-keygen: key generation failed\n");
		return 1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.%s.pem", dir, domain, selector) >= sizeof(path) ||
	    (size_t)snprintf(txtpath, sizeof(txtpath), "%s/%s.%s.txt", dir, domain, selector) >= sizeof(txtpath)) {
		fprintf(stderr, "postern-keygen: path too long\n");
		return 2;
	}
	if (!write_key(path, pk))
		return 1;
	EVP_PKEY_free(pk);
	if (!dkim_key_load(&k, domain, selector, path, err, sizeof(err))) {
		fprintf(stderr, "postern-keygen: %s\n", err);
		return 1;
	}
	sb_init(&zone);
	zone_line(&zone, &k);
	{
		FILE *f = fopen(txtpath, "w");
		if (f == NULL || fputs(zone.s, f) < 0 || fclose(f) != 0) {
			fprintf(stderr, "postern-keygen: %s: %s\n", txtpath, strerror(errno));
			return 1;
		}
	}
	fputs(zone.s, stdout);
	char *abs = realpath(path, NULL);
	printf("# postern.conf: dkim = { keys = [ \"%s:%s:%s\" ]; };\n", k.domain, k.selector,
	    abs != NULL ? abs : path);
	free(abs);
	sb_free(&zone);
	dkim_key_free(&k);
	return 0;
}
