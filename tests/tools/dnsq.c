/*
 * dnsq - resolve one name through filter/dns/dns.c (the daemon's resolver) and
 * print the answer; used by the DNS fixture test.
 *   dnsq [-s ADDR@PORT] [-t MS] NAME TYPE      TYPE: A, AAAA, TXT, MX or a number
 * Prints "status=<name> count=N" then one line per record (TXT joined,
 * A/AAAA as addresses, others as hex).  Exit 0 when a query was made.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "postern/dns.h"

static int
type_number(const char *t)
{
	if (strcasecmp(t, "A") == 0) return 1;
	if (strcasecmp(t, "MX") == 0) return 15;
	if (strcasecmp(t, "TXT") == 0) return 16;
	if (strcasecmp(t, "AAAA") == 0) return 28;
	if (strcasecmp(t, "SPF") == 0) return 99;
	return atoi(t);
}

int
main(int argc, char **argv)
{
	struct strlist ns = { 0 };
	struct dns_options opt = { .nameservers = &ns, .timeout_ms = 3000, .cache_size = 1 << 20 };
	struct dns_answer a;
	char err[256];
	int ch, type;

	while ((ch = getopt(argc, argv, "s:t:")) != -1) {
		switch (ch) {
		case 's': strlist_add(&ns, optarg); break;
		case 't': opt.timeout_ms = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: dnsq [-s ADDR@PORT] [-t MS] NAME TYPE\n");
		return 2;
	}
	type = type_number(argv[optind + 1]);
	if (!dns_init(&opt, err, sizeof(err))) {
		fprintf(stderr, "dnsq: %s\n", err);
		return 1;
	}
	dns_query(argv[optind], type, &a);
	printf("status=%s count=%zu\n", dns_status_name(a.status), a.count);
	for (size_t i = 0; i < a.count; i++) {
		char addr[INET6_ADDRSTRLEN];

		if (type == 16 || type == 99) {
			strbuf sb;
			sb_init(&sb);
			if (dns_txt_join(&a, i, &sb))
				printf("txt=%s\n", sb.s ? sb.s : "");
			sb_free(&sb);
		} else if (type == 1 && a.rdlen[i] == 4) {
			printf("a=%s\n", inet_ntop(AF_INET, a.rdata[i], addr, sizeof(addr)));
		} else if (type == 28 && a.rdlen[i] == 16) {
			printf("aaaa=%s\n", inet_ntop(AF_INET6, a.rdata[i], addr, sizeof(addr)));
		} else {
			printf("rdata=");
			for (int j = 0; j < a.rdlen[i]; j++)
				printf("%02x", a.rdata[i][j]);
			printf("\n");
		}
	}
	dns_answer_free(&a);
	dns_shutdown();
	strlist_free(&ns);
	return 0;
}
