#!/bin/bash
# json.sh - log_format = "json": the one summary line per message is one
# JSON object (after the "QID: " prefix of every log line) that python's
# json module parses, for accepted mail, for a recipient refused by SPF and
# for a sender full of quotes, backslashes, spaces and control bytes; its
# members carry the same facts as the text form.  The text form stays the
# default (checked on the same daemon after a reload back to it).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/dns.sh"
. "$here/tests/lib/postern.sh"

ML=$build/contrib/bench/milterload
[ -x "$ML" ] || bail_out "$ML not built (make)"
ml() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$ML" "$@"; }

tmpdir_make
T=$TEST_TMPDIR
"$here/contrib/bench/genmsg" small "$T/msgs" 1 || bail_out "genmsg failed"
mkdir "$T/policies" && : >"$T/policies/default.conf"
dns_start "$here/tests/spf/behaviour.dns" || bail_out "DNS fixture did not start"
postern_start "$T/policies" 'log_format = "json";' || bail_out "postern did not start"

# the JSON summary objects of the log, one per line, checked by python
objects() { sed -n -E 's/^postern\[info\]: [^ ]+: (\{.*\})$/\1/p' "$PSTN_LOG"; }
pycheck() {   # pycheck 'python expression over o (the object)' N: N objects satisfy it
	objects | python3 -c '
import json, sys
expr, want = sys.argv[1], int(sys.argv[2])
n = 0
for line in sys.stdin:
    o = json.loads(line)
    if eval(expr):
        n += 1
sys.exit(0 if n == want else 1)
' "$1" "$2"
}

ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 3 -a 192.0.2.10 -H mx.pass.spf.example \
	-f alice@pass.spf.example >/dev/null
ok $? "3 inbound messages"
ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 1 -a 192.0.2.20 -f bob@fail.spf.example >/dev/null
ok $? "1 SPF fail"
weird=$'we"i\\rd x\x01y@fail.spf.example'
ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 1 -a 192.0.2.20 -f "$weird" >/dev/null
ok $? "1 SPF fail with a hostile sender"
sleep 0.3

objects | python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]'
ok $? "every summary line parses as JSON"
is "$(objects | wc -l)" 5 "five summary objects"
is "$(grep -c ': eom: client=\|: abort: client=' "$PSTN_LOG")" 0 "no text summary lines"
pycheck 'o["event"] == "eom" and o["dir"] == "inbound" and o["verdict"] == "accept" and o["spf"] == "pass" and o["rcpts"] == 1 and o["client_addr"] == "192.0.2.10" and o["from"] == "alice@pass.spf.example" and o["qid"] != "NOQUEUE"' 3
ok $? "accepted: event, dir, verdict, spf, rcpts (a number), client_addr, from, qid"
pycheck 'o["event"] == "abort" and o["verdict"] == "reject" and o["check"] == "spf" and o["reply_code"] == 550 and o["reply_xcode"] == "5.7.23" and o["refused_rcpts"] == 1 and "SPF fail" in o["reply_text"]' 2
ok $? "refused: verdict, check, reply_code, reply_xcode, reply_text, refused_rcpts"
objects | python3 -c '
import json, sys
want = sys.argv[1]
sys.exit(0 if any(json.loads(l)["from"] == want for l in sys.stdin) else 1)
' "$weird"
ok $? "the hostile sender comes back byte for byte from the JSON (quote, backslash, control byte)"
long=$(printf 'x%.0s' $(seq 1 300))@fail.spf.example
ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 1 -a 192.0.2.20 -f "$long" >/dev/null
sleep 0.2
pycheck 'o["from"].startswith("xxx") and len(o["from"]) == 103 and o["from"].endswith("...")' 1
ok $? "a 318-byte sender is cut at 100 bytes + ..."

# back to text on reload
sed -i 's/^log_format = "json";$//' "$PSTN_CONF"
kill -USR1 "$PSTN_PID"
for _ in $(seq 1 50); do grep -q 'configuration reloaded' "$PSTN_LOG" && break; sleep 0.1; done
ml -q -s "$PSTN_SOCK" -m "$T/msgs" -c 1 -n 1 -a 192.0.2.10 -H mx.pass.spf.example \
	-f alice@pass.spf.example >/dev/null
sleep 0.2
is "$(grep -c ': eom: client=' "$PSTN_LOG")" 1 "after a reload to the default: the text form"

postern_stop
tap_done
