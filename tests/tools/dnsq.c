/*
 * dnsq - resolve one name through filter/dns/dns.c (the daemon's resolver) and
 * print the answer; used by the DNS fixture test.
 *   dnsq [-s ADDR@PORT] [-t MS] NAME TYPE      TYPE: A, AAAA, TXT, MX or a number
 * Prints "status=<name> count=N" then one line per record (TXT joined,
 * A/AAAA as addresses, others as hex).  Exit 0 when a query was made.
 *   dnsq -l MS [-n N] [-s ...] [-t ...] NAME TYPE
 * Loop mode (fault and recovery tests): one resolver context for the whole
 * run, as in the daemon; a query every MS ms (N times, default forever), one
 * line each: "<unix time ms> <status> <query ms>", flushed at once.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "postern/dns.h"

static long long
now_ms(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -l: query every interval_ms, one line per answer */
static void
loop(const char *name, int type, unsigned interval_ms, long count)
{
	for (long i = 0; count <= 0 || i < count; i++) {
		struct dns_answer a;
		long long t0 = now_ms(CLOCK_MONOTONIC), dt;

		dns_query(name, type, &a);
		dt = now_ms(CLOCK_MONOTONIC) - t0;
		printf("%lld %s %lld\n", now_ms(CLOCK_REALTIME), dns_status_name(a.status), dt);
		fflush(stdout);
		dns_answer_free(&a);
		if ((long long)interval_ms > dt)
			usleep((useconds_t)(interval_ms - dt) * 1000);
	}
}

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
	unsigned interval_ms = 0;
	long count = 0;

	while ((ch = getopt(argc, argv, "l:n:s:t:")) != -1) {
		switch (ch) {
		case 'l': interval_ms = (unsigned)atoi(optarg); break;
		case 'n': count = atol(optarg); break;
		case 's': strlist_add(&ns, optarg); break;
		case 't': opt.timeout_ms = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: dnsq [-l MS [-n N]] [-s ADDR@PORT] [-t MS] NAME TYPE\n");
		return 2;
	}
	type = type_number(argv[optind + 1]);
	if (!dns_init(&opt, err, sizeof(err))) {
		fprintf(stderr, "dnsq: %s\n", err);
		return 1;
	}
	if (interval_ms > 0) {
		loop(argv[optind], type, interval_ms, count);
		dns_shutdown();
		strlist_free(&ns);
		return 0;
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
