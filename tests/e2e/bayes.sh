#!/bin/bash
# bayes.sh - the classifier end to end: postern-learn trains an LMDB store
# on generated spam and ham (two vocabularies, random mixes), then a real
# Postfix -> postern (a policy tagging at 3) delivers a spammy
# message tagged by the classifier (bayes_999 in X-Spam-Status) and a
# hammy one untagged (bayes_00); the summary lines carry bayes=.
# Auto-learning (bayes.autolearn_*, off in the default policy): example.org
# learns spam from a score of 3 without the classifier's rule, example.com
# ham up to 1; each message once (the daemon's digest is postern-learn's).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"
. "$here/tests/lib/postfix.sh"
. "$here/tests/lib/dns.sh"

postfix_require
LEARN="$build/postern-learn"
[ -x "$LEARN" ] || bail_out "postern-learn not built"

tmpdir_make
mkdir "$TEST_TMPDIR/policies"
cat >"$TEST_TMPDIR/policies/default.conf" <<'POL'
spam = {
  tag = 3;
  subject_prefix = "[SPAM]";
};
POL
# auth_none fires for every message here (no SPF or DKIM pass)
cat >"$TEST_TMPDIR/policies/example.org.conf" <<'POL'
spam = { tag = 3; scores = [ "auth_none=3" ]; };
bayes = { autolearn_spam = 3; };
POL
cat >"$TEST_TMPDIR/policies/example.com.conf" <<'POL'
spam = { tag = 3; };
bayes = { autolearn_spam = 3; autolearn_ham = 1; };
POL

SPAMW=(cheap pills viagra casino winner lottery prize claim offer discount bargain
	guaranteed credit mortgage refinance rolex replica unsubscribe bonus free cash)
HAMW=(meeting notes agenda build release patch review tests linker kernel
	schedule minutes budget project deadline design document branch merge compiler)
gen() {   # gen DIR N WORDS...: N messages of 40 random words each
	local dir=$1 n=$2; shift 2
	local words=("$@") i j body
	mkdir -p "$dir"
	for ((i = 0; i < n; i++)); do
		body=""
		for ((j = 0; j < 40; j++)); do body+="${words[RANDOM % ${#words[@]}]} "; done
		printf 'From: s%d@gen.example\nTo: user@example.net\nSubject: %s %s\nMessage-ID: <%d.%s@gen.example>\nDate: Thu, 03 Dec 2026 10:00:00 +0000\n\n%s\n' \
			"$i" "${words[i % ${#words[@]}]}" "${words[(i * 7) % ${#words[@]}]}" "$i" "$(basename "$dir")" \
			"$body" >"$dir/$i.eml"
	done
}
gen "$TEST_TMPDIR/train/spam" 30 "${SPAMW[@]}"
gen "$TEST_TMPDIR/train/ham" 30 "${HAMW[@]}"
STORE="lmdb:$TEST_TMPDIR/state.mdb"
out=$("$LEARN" -c /dev/null --store "$STORE" --spam -q "$TEST_TMPDIR/train/spam")
like "$out" '30 learned' "postern-learn: 30 spam learned"
out=$("$LEARN" -c /dev/null --store "$STORE" --ham -q "$TEST_TMPDIR/train/ham")
like "$out" 'holds 30 spam and 30 ham' "postern-learn: 30 ham learned"

dns_start "$here/tests/spam/zone.txt" || bail_out "DNS fixture did not start"
postern_start "$TEST_TMPDIR/policies" "store = { url = \"$STORE\"; };
bayes = { min_learns = 20; };" || bail_out "postern did not start"
PF_EXTRA_MAIN_CF="virtual_mailbox_domains = example.com, example.net, example.org"
postfix_start "inet:127.0.0.1:$PSTN_PORT" || bail_out "postfix did not start"

smtp_send --xclient-addr 192.0.2.10 --from a@client.example --to user@example.net \
	--header "Subject: bayes-spammy" --body "cheap pills and a casino bonus, claim your lottery prize: guaranteed cash offer, free replica rolex"
ok $? "spammy message accepted (tagged, not refused)"
f=$(pf_delivered_subject "\[SPAM\] bayes-spammy"); ok $? "delivered with the subject prefix"
h=$(pf_headers "$f" | tr -d '\r')
like "$h" 'X-Spam-Flag: YES' "X-Spam-Flag: YES"
like "$(sed -n '/^X-Spam-Status:/,/^[^[:space:]]/p' <<<"$h" | tr -d '\n\t')" \
	'tests=bayes_999=5\.5' "the classifier's rule in X-Spam-Status"

smtp_send --xclient-addr 192.0.2.10 --from a@client.example --to user@example.net \
	--header "Subject: bayes-hammy" --body "the meeting notes and the agenda for the release review; the patch and tests are on the branch"
ok $? "hammy message accepted"
f=$(pf_delivered_subject "bayes-hammy"); ok $? "hammy message delivered"
pf_headers "$f" | grep -qi '^X-Spam-'
[ $? -ne 0 ]; ok $? "hammy message has no X-Spam headers"
grep -qE 'eom: .*bayes=1\.0000.*spam_rules=bayes_999=5\.5' "$PSTN_LOG"; ok $? "summary: bayes=1.0000 and the rule"
grep -qE 'eom: .*bayes=0\.0000.*bayes_00=-1\.5' "$PSTN_LOG"; ok $? "summary: the hammy message is bayes_00"

# the default policy learns nothing
grep 'eom: ' "$PSTN_LOG" | grep -q 'bayes_autolearn='
[ $? -ne 0 ]; ok $? "auto-learning is off by default"

al_send() {   # al_send RCPT SUBJECT BODY: fixed Date and Message-ID, so the same message twice
	smtp_send --xclient-addr 192.0.2.10 --from a@client.example --to "$1" \
		--header "Subject: $2" --header "Date: Thu, 03 Dec 2026 10:00:00 +0000" \
		--header "Message-Id: <$2@client.example>" --body "$3"
}
al_lines() { grep -c "eom: .*bayes_autolearn=$1" "$PSTN_LOG"; }
al_send user@example.org al-spam "a message the other rules call spam: 3 points without the classifier"
ok $? "auto-learn spam: accepted"
f=$(pf_delivered_subject "\[SPAM\] al-spam"); ok $? "auto-learn spam: delivered (tagged)"
[ "$(al_lines spam)" = 1 ]; ok $? "auto-learn spam: learnt (bayes_autolearn=spam)"
grep -E "eom: .*bayes_autolearn=spam" "$PSTN_LOG" | grep -qE 'spam=[0-9.]+/3\.0'; ok $? "auto-learn spam: the summary has the score"
al_send user@example.org al-spam "a message the other rules call spam: 3 points without the classifier"
[ "$(al_lines already)" = 1 ]; ok $? "the same message again: already learnt, not counted twice"
out=$("$LEARN" -c /dev/null --store "$STORE" --spam -q "$f")
like "$out" '0 learned, 1 already.*holds 31 spam and 30 ham' "postern-learn finds the daemon's digest (the delivered copy is already learnt)"
al_send user@example.com al-ham "meeting notes for the release review, nothing else scores here"
ok $? "auto-learn ham: accepted"
[ "$(al_lines ham)" = 1 ]; ok $? "auto-learn ham: learnt (bayes_autolearn=ham)"
f=$(pf_delivered_subject "al-ham"); ok $? "auto-learn ham: delivered"
out=$("$LEARN" -c /dev/null --store "$STORE" --spam -q "$TEST_TMPDIR/train/spam/0.eml")
like "$out" 'holds 31 spam and 31 ham' "the store counts one auto-learnt spam and one ham"
# a message trained by hand is never moved by auto-learning: trained as
# spam, then it comes in under the ham threshold
"$LEARN" -c /dev/null --store "$STORE" --spam -q "$f" >/dev/null
al_send user@example.com al-ham "meeting notes for the release review, nothing else scores here"
[ "$(al_lines already)" = 2 ]; ok $? "a message learnt by hand is left as it is"
out=$("$LEARN" -c /dev/null --store "$STORE" --spam -q "$TEST_TMPDIR/train/spam/0.eml")
like "$out" 'holds 32 spam and 30 ham' "auto-learning did not move it back"

postfix_stop
postern_stop
tap_done
