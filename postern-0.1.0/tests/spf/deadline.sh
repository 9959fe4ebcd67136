#!/bin/bash
# deadline.sh - one check_host() has an overall deadline (SPF_EVAL_DEADLINE_MS,
# 20 s, RFC 7208 4.6.4): a ptr mechanism whose 10 names each time out
# (4 s each; more than 20 s in all) ends in temperror at about 20 s instead
# of a fail much later.
# Runs the daemon's SPF code through tests/tools/spfq.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"

tmpdir_make
dns_start "$here/tests/spf/deadline.dns" || bail_out "DNS fixture did not start"
t0=$(date +%s%3N)
out=$("$build/tests/tools/spfq" -t 4000 -s "127.0.0.1@$DNS_PORT" 192.0.2.30 mx.example.org a@d.deadline.example)
dt=$(($(date +%s%3N) - t0))
diag "$out ($dt ms)"
like "$out" '^result=temperror why=SPF evaluation ran past its deadline' "past the deadline: temperror"
[ "$dt" -ge 19500 ] && [ "$dt" -le 24500 ]
ok $? "ended at the deadline: $dt ms (20000 ms + one look-up at most)"
tap_done
