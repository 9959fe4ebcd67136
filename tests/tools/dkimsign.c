/*
 * dkimsign - sign a message with libopendkim the way a third-party signer
 * would, with the choices postern's own signer does not offer (l=,
 * rsa-sha1, any canonicalisation pair), for the DKIM verification tests
 * (tests/dkim/canon.sh).  Writes the DKIM-Signature field and the message,
 * CRLF line ends, on stdout.
 *
 *   dkimsign -k KEY.pem -d DOMAIN -s SELECTOR [-c HDR/BODY] [-a sha1|sha256] [-l] FILE
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <opendkim/dkim.h>

#include "postern/replay.h"
#include "postern/util.h"

static dkim_canon_t
canon(const char *s, size_t n)
{
	return n == 6 && strncmp(s, "simple", 6) == 0 ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
}

int
main(int argc, char **argv)
{
	const char *keyfile = NULL, *domain = NULL, *sel = NULL, *c = "relaxed/relaxed";
	bool sha1 = false, partial = false;
	strbuf key, raw, msg;
	DKIM_LIB *lib;
	DKIM *dk;
	DKIM_STAT st;
	const char *slash, *body;
	unsigned char *sig = NULL;
	size_t siglen = 0, start = 0;
	bool cr = false;
	int o;

	while ((o = getopt(argc, argv, "k:d:s:c:a:l")) != -1)
		switch (o) {
		case 'k': keyfile = optarg; break;
		case 'd': domain = optarg; break;
		case 's': sel = optarg; break;
		case 'c': c = optarg; break;
		case 'a': sha1 = strcmp(optarg, "sha1") == 0; break;
		case 'l': partial = true; break;
		default: return 2;
		}
	if (keyfile == NULL || domain == NULL || sel == NULL || optind + 1 != argc ||
	    (slash = strchr(c, '/')) == NULL)
		die("usage: dkimsign -k KEY.pem -d DOMAIN -s SELECTOR [-c HDR/BODY] [-a sha1|sha256] [-l] FILE");
	sb_init(&key);
	sb_init(&raw);
	sb_init(&msg);
	if (!replay_read(keyfile, &key) || !replay_read(argv[optind], &raw))
		die("dkimsign: cannot read %s or %s", keyfile, argv[optind]);
	replay_crlf(&msg, raw.s, raw.len, &cr);
	if ((body = memmem(msg.s, msg.len, "\r\n\r\n", 4)) == NULL)
		die("dkimsign: no end of header in %s", argv[optind]);
	body += 4;
	if ((lib = dkim_init(NULL, NULL)) == NULL)
		die("dkimsign: dkim_init failed");
	dk = dkim_sign(lib, (const u_char *)"dkimsign", NULL, (dkim_sigkey_t)key.s, (const u_char *)sel,
	    (const u_char *)domain, canon(c, (size_t)(slash - c)), canon(slash + 1, strlen(slash + 1)),
	    sha1 ? DKIM_SIGN_RSASHA1 : DKIM_SIGN_RSASHA256, -1, &st);
	if (dk == NULL)
		die("dkimsign: dkim_sign failed (%d)", (int)st);
	if (partial && dkim_setpartial(dk, true) != DKIM_STAT_OK)
		die("dkimsign: dkim_setpartial failed");
	/* header fields: each up to a CRLF not followed by WSP */
	for (size_t i = 0; msg.s + i + 2 < body; i++)
		if (msg.s[i] == '\r' && msg.s[i + 1] == '\n' && msg.s[i + 2] != ' ' && msg.s[i + 2] != '\t') {
			if (dkim_header(dk, (u_char *)msg.s + start, i - start) != DKIM_STAT_OK)
				die("dkimsign: libopendkim refused a header field");
			start = i + 2;
		}
	if (dkim_eoh(dk) != DKIM_STAT_OK ||
	    dkim_body(dk, (u_char *)body, msg.len - (size_t)(body - msg.s)) != DKIM_STAT_OK ||
	    dkim_eom(dk, NULL) != DKIM_STAT_OK || dkim_getsighdr_d(dk, 17, &sig, &siglen) != DKIM_STAT_OK)
		die("dkimsign: signing failed: %s", dkim_geterror(dk) ? dkim_geterror(dk) : "?");
	printf("DKIM-Signature: %s\r\n", sig);
	fwrite(msg.s, 1, msg.len, stdout);
	dkim_free(dk);
	dkim_close(lib);
	sb_free(&key);
	sb_free(&raw);
	sb_free(&msg);
	return 0;
}
