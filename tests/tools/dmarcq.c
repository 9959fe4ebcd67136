/*
 * dmarcq - evaluate DMARC for one From domain through the daemon's code
 * (dmarc.c over dns.c), for the DNS fixture tests.
 *   dmarcq -s ADDR@PORT [-p SPF_DOMAIN] [-d DKIM_DOMAIN]... FROM_DOMAIN
 *   dmarcq -s ADDR@PORT -o DOMAIN   (its organisational domain)
 * -p: SPF passed for that domain; -d: a DKIM signature with that d= passed.
 */
#include "config.h"

#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "postern/dmarc.h"
#include "postern/dns.h"

int
main(int argc, char **argv)
{
	struct strlist ns = { 0 };
	struct dns_options opt = { .nameservers = &ns, .timeout_ms = 1500, .cache_size = 1 << 20 };
	struct dmarc_input in = { 0 };
	struct dmarc_output out;
	char err[256], od[DMARC_NAME_MAX];
	bool org = false;
	int ch;

	while ((ch = getopt(argc, argv, "s:p:d:o")) != -1) {
		switch (ch) {
		case 's': strlist_add(&ns, optarg); break;
		case 'p': in.spf_pass = true; in.spf_domain = optarg; break;
		case 'd':
			if (in.ndkim < DMARC_MAX_DKIM)
				in.dkim_pass[in.ndkim++] = optarg;
			break;
		case 'o': org = true; break;
		default: return 2;
		}
	}
	if (argc - optind != 1)
		return 2;
	in.from_domain = argv[optind];
	if (!dns_init(&opt, err, sizeof(err))) {
		fprintf(stderr, "dmarcq: %s\n", err);
		return 1;
	}
	if (org) {
		if (dmarc_org_domain(in.from_domain, od, sizeof(od)))
			printf("org=%s\n", od);
		else
			printf("org=temperror\n");
	} else {
		dmarc_evaluate(&in, &out);
		printf("result=%s policy=%s applied=%s testing=%d psd=%d record=%s org=%s "
		    "spf_aligned=%d dkim_aligned=%d queries=%u\n",
		    dmarc_result_name(out.result), dmarc_policy_name(out.policy),
		    dmarc_policy_name(out.applied), out.testing, out.psd_record,
		    out.record_domain[0] ? out.record_domain : "-",
		    out.org_domain[0] ? out.org_domain : "-", out.spf_aligned, out.dkim_aligned,
		    out.queries);
	}
	dns_shutdown();
	strlist_free(&ns);
	return 0;
}
