#!/usr/bin/env python3
"""convert.py YAML OUTDIR - the Valimail ARC validation suite as files:
OUTDIR/NAME.eml (the message), OUTDIR/zone.txt (every scenario's TXT records
in tests/lib/dns.sh form), OUTDIR/expected ("NAME cv" a line, cv lowercase;
an empty cv in the suite is written as fail)."""
import os
import sys

import yaml


def quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def main():
    src, out = sys.argv[1], sys.argv[2]
    records = {}
    expected = []
    for sc in yaml.safe_load_all(open(src, encoding="utf-8")):
        for name, rec in (sc.get("txt-records") or {}).items():
            records[name] = rec
        for name, t in sc["tests"].items():
            with open(os.path.join(out, name + ".eml"), "w", encoding="utf-8", newline="") as f:
                f.write(t.get("message") or "")
            cv = str(t.get("cv") or "fail").strip().lower() or "fail"
            expected.append("%s %s\n" % (name, cv))
    with open(os.path.join(out, "zone.txt"), "w") as z:
        for name, rec in records.items():
            rec = " ".join(rec.split("\n"))
            chunks = [rec[i:i + 250] for i in range(0, len(rec), 250)] or [""]
            z.write(name + ". 300 TXT " + " ".join(quote(c) for c in chunks) + "\n")
    with open(os.path.join(out, "expected"), "w") as e:
        e.writelines(expected)


main()
