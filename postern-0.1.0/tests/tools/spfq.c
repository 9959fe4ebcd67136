/*
 * spfq - one SPF check_host() through the daemon's SPF code and resolver:
 *   spfq [-s ADDR@PORT] [-t MS] [-v] IP HELO SENDER
 * SENDER "" checks the HELO identity (postmaster@HELO).  Prints
 * "result=<r> why=<text>" (and the explanation on fail).  -v logs
 * libspf2's warnings and our debug lines to stderr.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "postern/dns.h"
#include "postern/log.h"
#include "postern/spf.h"

int
main(int argc, char **argv)
{
	struct strlist ns = { 0 };
	struct dns_options opt = { .nameservers = &ns, .timeout_ms = 3000, .cache_size = 1 << 20 };
	struct spf_query q;
	struct spf_outcome o;
	char err[256], sender[600];
	const char *at;
	int ch;

	while ((ch = getopt(argc, argv, "s:t:v")) != -1) {
		switch (ch) {
		case 's': strlist_add(&ns, optarg); break;
		case 't': opt.timeout_ms = (unsigned)atoi(optarg); break;
		case 'v': log_open("spfq", 0, true); log_set_level(PLOG_DEBUG); break;
		default: return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: spfq [-s ADDR@PORT] [-t MS] [-v] IP HELO SENDER\n");
		return 2;
	}
	memset(&q, 0, sizeof(q));
	if (inet_pton(AF_INET, argv[optind], q.ip) == 1)
		q.family = AF_INET;
	else if (inet_pton(AF_INET6, argv[optind], q.ip) == 1)
		q.family = AF_INET6;
	else
		return 2;
	q.helo = argv[optind + 1];
	if (argv[optind + 2][0] == '\0')
		snprintf(sender, sizeof(sender), "postmaster@%s", q.helo);
	else
		snprintf(sender, sizeof(sender), "%s", argv[optind + 2]);
	q.sender = sender;
	at = strrchr(sender, '@');
	q.domain = at != NULL ? at + 1 : "";
	if (!dns_init(&opt, err, sizeof(err)) || !spf_engine_init(err, sizeof(err))) {
		fprintf(stderr, "spfq: %s\n", err);
		return 1;
	}
	spf_check_host(&q, &o);
	printf("result=%s why=%s\n", spf_res_name(o.result), o.why);
	if (o.explanation[0] != '\0')
		printf("explanation=%s\n", o.explanation);
	spf_engine_free();
	dns_shutdown();
	strlist_free(&ns);
	return 0;
}
