#!/usr/bin/env python3
"""expect.py - flattens a mail-parser parse tree (.json) into the lines
tests/tools/mimescan prints (type<TAB>filename per part, document order),
so the corpus test can compare part count, content types and file names.
Usage: expect.py FILE.json"""
import json
import sys


def hval(part, name):
    for h in part.get("headers") or []:
        if h["name"] == name:
            return h["value"]
    return None


def ctype(part, digest_parent):
    v = hval(part, "content_type")
    if isinstance(v, dict) and "ContentType" in v:
        ct = v["ContentType"]
        t = (ct.get("c_type") or "").lower()
        s = (ct.get("c_subtype") or "").lower()
        if t and s:
            return t + "/" + s, ct.get("attributes") or []
    return ("message/rfc822" if digest_parent else "text/plain"), []


def filename(part):
    for hname, attr in (("content_disposition", "filename"), ("content_type", "name")):
        v = hval(part, hname)
        if isinstance(v, dict) and "ContentType" in v:
            for a in v["ContentType"].get("attributes") or []:
                if a["name"].lower() == attr:
                    return a["value"]
    return ""


def walk(msg, out):
    parts = msg["parts"]
    digest = set()
    for i, p in enumerate(parts):
        t, _ = ctype(p, i in digest)
        b = p["body"]
        kind = list(b.keys())[0] if isinstance(b, dict) else b
        if kind == "Multipart" and t == "multipart/digest":
            digest.update(b["Multipart"])
    for i, p in enumerate(parts):
        t, _ = ctype(p, i in digest)
        out.append("%s\t%s" % (t, filename(p)))
        b = p["body"]
        if isinstance(b, dict) and "Message" in b:
            walk(b["Message"], out)


out = []
walk(json.load(open(sys.argv[1], encoding="utf-8")), out)
for line in out:
    print(line)
