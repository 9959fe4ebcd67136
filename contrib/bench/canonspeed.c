/*
 * canonspeed - CPU time of postern's DKIM body canonicaliser against plain
 * SHA-256 over the same body, on the real CPU (callgrind hides the SHA
 * extensions from OpenSSL): the body of FILE (LF made CRLF), 65,535-byte
 * chunks as libmilter hands them, R rounds each (issue 15: "CPU per MB
 * within 2x of the SHA-256 it must do").
 *
 *     contrib/bench/canonspeed FILE [ROUNDS]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "postern/bodycanon.h"
#include "postern/replay.h"
#include "postern/util.h"

#define CHUNK 65535

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	strbuf raw, msg;
	const char *body;
	size_t n;
	int rounds = argc > 2 ? atoi(argv[2]) : 30;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl;
	double t0, t1, t2 = 0, t3;
	bool cr = false;

	if (argc < 2 || rounds < 1)
		die("usage: canonspeed FILE [ROUNDS]");
	sb_init(&raw);
	sb_init(&msg);
	if (!replay_read(argv[1], &raw))
		die("canonspeed: cannot read %s", argv[1]);
	replay_crlf(&msg, raw.s, raw.len, &cr);
	if ((body = memmem(msg.s, msg.len, "\r\n\r\n", 4)) == NULL)
		die("canonspeed: no end of header in %s", argv[1]);
	body += 4;
	n = msg.len - (size_t)(body - msg.s);
	t0 = cpu_now();
	for (int r = 0; r < rounds; r++) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		EVP_DigestInit_ex(c, EVP_sha256(), NULL);
		for (size_t i = 0; i < n; i += CHUNK)
			EVP_DigestUpdate(c, body + i, n - i < CHUNK ? n - i : CHUNK);
		EVP_DigestFinal_ex(c, d, &dl);
		EVP_MD_CTX_free(c);
	}
	t1 = cpu_now();
	for (int pass = 0; pass < 2; pass++) {
		for (int r = 0; r < rounds; r++) {
			struct bodycanon b;

			bodycanon_init(&b, pass == 1, BODYCANON_SHA256, BODYCANON_NOLIMIT);
			for (size_t i = 0; i < n; i += CHUNK)
				bodycanon_feed(&b, (const unsigned char *)body + i, n - i < CHUNK ? n - i : CHUNK);
			(void)bodycanon_final(&b, d, NULL);
		}
		if (pass == 0)
			t2 = cpu_now();
	}
	t3 = cpu_now();
	printf("body %zu bytes, %d rounds: sha256 %.3f ms (%.3f ms/MB); simple+sha256 %.3f ms (%.2fx); "
	    "relaxed+sha256 %.3f ms (%.2fx)\n", n, rounds, (t1 - t0) / rounds * 1e3,
	    (t1 - t0) / rounds * 1e3 / ((double)n / 1048576.0), (t2 - t1) / rounds * 1e3,
	    (t2 - t1) / (t1 - t0), (t3 - t2) / rounds * 1e3, (t3 - t2) / (t1 - t0));
	sb_free(&raw);
	sb_free(&msg);
	return 0;
}
