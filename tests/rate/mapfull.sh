#!/bin/bash
# mapfull.sh - LMDB's map full (store.map_size, MDB_MAP_FULL) in
# postern-learn: a store whose map is 1 MiB is filled with messages of
# random words (large ones, then one-word ones) until LMDB refuses; the
# learner says "full" with LMDB's reason, counts what failed, exits 1, and
# the file stays within the map.  The store call's answer (STORE_FULL,
# reads still served) is test_store's test_lmdb_map_full; the daemon's
# answer to a failing store (451 4.3.0, logged once, store.on_error) is
# tests/rate/full.sh (the same status path).
here=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$here}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/postern.sh"
LEARN="$build/postern-learn"
[ -x "$LEARN" ] || bail_out "postern-learn not built"
tmpdir_make
STORE="lmdb:$TEST_TMPDIR/state.mdb"
python3 - "$TEST_TMPDIR/spam" <<'PY'
import os, random, string, sys
d = sys.argv[1]
os.makedirs(d)
r = random.Random(7)
# large messages first, then one-word ones to take the last pages
for i in range(3200):
    n = 300 if i < 200 else 1
    words = ' '.join(''.join(r.choice(string.ascii_lowercase) for _ in range(10)) for _ in range(n))
    with open(f'{d}/{i:04d}.eml', 'w') as f:
        f.write(f'From: s{i}@gen.example\nTo: u@example.net\nSubject: m {i}\n'
                f'Message-ID: <{i}@gen.example>\n\n{words}\n')
PY
conf_store() {   # conf_store ON_ERROR
	echo "store = { url = \"$STORE\"; map_size = \"1M\"; on_error = \"$1\"; };"
}
conf_store tempfail >"$TEST_TMPDIR/learn.conf"
mkdir -p "$TEST_TMPDIR/ham"
printf 'From: h@gen.example\nTo: u@example.net\nSubject: notes\nMessage-ID: <h1@gen.example>\n\nmeeting notes agenda\n' \
	>"$TEST_TMPDIR/ham/1.eml"
out=$("$LEARN" -c "$TEST_TMPDIR/learn.conf" --ham -q "$TEST_TMPDIR/ham" 2>&1)
like "$out" '1 learned' "one ham learned while there is room"
out=$("$LEARN" -c "$TEST_TMPDIR/learn.conf" --spam -q --batch 1 "$TEST_TMPDIR/spam" 2>&1)
st=$?
is "$st" 1 "postern-learn exits 1 when the map is full"
like "$out" 'store lmdb:.*: full \(lmdb (put|commit): MDB_MAP_FULL' "postern-learn says full and LMDB's reason"
learned=$(sed -n 's/.*: \([0-9]*\) learned,.*/\1/p' <<<"$out")
[ "${learned:-0}" -gt 0 ] && [ "$learned" -lt 3200 ]
ok $? "some messages fit, the rest failed ($learned learned of 3200)"
size=$(stat -c %s "$TEST_TMPDIR/state.mdb")
[ "$size" -le 1048576 ]
ok $? "the file stays within the map ($size bytes)"

tap_done
