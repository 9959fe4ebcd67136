#!/bin/bash
# leadspc.sh - header fields written without a space after the colon
# ("Subject:x", "To:<TAB>u@...") under DKIM and ARC simple header
# canonicalisation, through the running daemon.  The MTA is played by
# contrib/bench/milterload (miltertest cannot: with LEADSPC negotiated it
# puts a space before every value it sends, docs/NOTES-dkim.md).  The
# signer is independent (Perl's Mail::DKIM, tests/dkim/perlsign.pl).  With
# SMFIP_HDR_LEADSPC offered, postern negotiates it and sees each value as
# written: simple/simple and simple/relaxed DKIM signatures and an ARC set
# with c=simple/relaxed pass.  Without it (an MTA that eats the space) the
# simple ones fail and relaxed still passes: what the flag is for.  Our own
# Authentication-Results carries its space exactly when the MTA adds none.
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

perl -MMail::DKIM::ARC::Signer -e 1 2>/dev/null || bail_out "Perl Mail::DKIM not installed (libmail-dkim-perl)"
tmpdir_make
T=$TEST_TMPDIR
mkdir -m 700 "$T/keys"
"$build/postern-keygen" -d example.org -s ls -a rsa -o "$T/keys" >/dev/null || bail_out "keygen"
sed -E 's/ IN TXT \( (.*) \)$/ 300 TXT \1/' "$T/keys/example.org.ls.txt" >"$T/zone.txt"
dns_start "$T/zone.txt" || bail_out "DNS fixture did not start"
mkdir -p "$T/policies"
postern_start "$T/policies" "
dns = { nameservers = [ \"$DNS_ADDR@$DNS_PORT\" ]; timeout = 1000; };
dkim = { min_key_bits = 1024; };
" || bail_out "postern did not start"

# the fields as written: no space, a tab, a fold without a space, a plain one
printf '%s\r\n' 'Authentication-Results: example.org; spf=pass smtp.mailfrom=a@example.org' \
	'From:a@example.org' $'To:\tu@example.net' 'Subject:no space after the colon' \
	'Date: Thu, 03 Dec 2026 08:00:00 +0000' 'Message-ID:<ls1@example.org>' \
	'X-Folded:first' $'\tsecond' '' 'hello' >"$T/in.eml"
sign() {   # sign MODE CANON OUT
	perl "$here/tests/dkim/perlsign.pl" "$1" "$2" example.org ls "$T/keys/example.org.ls.pem" \
		<"$T/in.eml" >"$T/$3" 2>"$T/$3.err"
	ok $? "Mail::DKIM $1 $2 signs"
	[ -s "$T/$3.err" ] && diag_file "$T/$3.err"
}
sign dkim simple/simple ss.eml
sign dkim simple/relaxed sr.eml
sign dkim relaxed/relaxed rr.eml
sign arc simple/relaxed arc.eml
grep -q $'^Subject:no space after the colon\r$' "$T/ss.eml"; ok $? "the signed copy keeps Subject: without a space"

ML=$build/contrib/bench/milterload
[ -x "$ML" ] || bail_out "$ML not built"
# the load client keeps its buffers to exit: leak checks are for the daemon
ml() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" "$@"; }
n=0
run() {   # run WHAT FILE LEADSPC WANT [NOWANT]: one message, its A-R checked
	local what=$1 file=$2 lsp=$3 want=$4 nowant=$5 out ar
	n=$((n + 1))
	mkdir -p "$T/out$n"
	out=$(ml -s "$PSTN_SOCK" -m "$T/$file" -n 1 -q -D "mail:i=LSP$n" -w "$T/out$n" \
		$([ "$lsp" = 1 ] || echo -L) 2>&1)
	[ $? -eq 0 ] || { ok 1 "$what"; diag "$out"; return; }
	# -w: the fields the milter added, "name:" + the value as sent
	ar=$(sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$T/out$n/$file" | sed '$d' | tr -d '\r')
	case "$ar" in
	*"$want"*) ;;
	*) ok 1 "$what"; diag "A-R: $ar"; return ;;
	esac
	if [ -n "$nowant" ] && [[ "$ar" == *"$nowant"* ]]; then ok 1 "$what"; diag "A-R: $ar"; return; fi
	# our own value carries its space whether or not the MTA adds one
	like "$ar" '^Authentication-Results: mx\.test\.example;' "$what"
}
D="header.d=example.org header.i=@example.org header.s=ls"
run "LEADSPC: simple/simple over 'Subject:x' verifies" ss.eml 1 "dkim=pass (2048-bit key) $D"
run "LEADSPC: simple/relaxed verifies" sr.eml 1 "dkim=pass (2048-bit key) $D"
run "LEADSPC: relaxed/relaxed verifies" rr.eml 1 "dkim=pass (2048-bit key) $D"
run "LEADSPC: ARC set with c=simple/relaxed passes" arc.eml 1 "arc=pass (i=1 sealer example.org)"
run "no LEADSPC: simple/simple fails (the eaten space is put back)" ss.eml 0 "dkim=fail" "dkim=pass"
run "no LEADSPC: simple/relaxed fails" sr.eml 0 "dkim=fail" "dkim=pass"
run "no LEADSPC: relaxed/relaxed still verifies" rr.eml 0 "dkim=pass (2048-bit key) $D"
run "no LEADSPC: the ARC set fails" arc.eml 0 "arc=fail"
# the other checks read the same value either way: the From parse and DMARC
for i in 1 3 5 7; do
	grep -q "LSP$i: eom: .*header.from=example.org" "$PSTN_LOG"
	ok $? "LSP$i: From:a@example.org parsed (header.from=example.org)"
done
postern_stop
tap_done
