#!/usr/bin/env python3
"""mklua.py YAML OUT.lua - the miltertest script of tests/arc/daemon.sh:
messages of the Valimail ARC suite sent through the daemon as the MTA
would (one space after the colon dropped, folds joined with LF, the body
in CRLF).  Each case: suite test name, queue id, recipient, expected reply,
expected arc= in Authentication-Results."""
import sys

import yaml

CASES = [
    # name, qid, rcpt, reply, arc
    ("cv_pass_i2_1", "ARC1", "<u@example.net>", "SMFIR_CONTINUE", "arc=pass (i=2 sealer example.org) smtp.remote-ip=192.0.2.10 header.oldest-pass=0"),
    ("cv_fail_i2_as2_invalid", "ARC2", "<u@example.net>", "SMFIR_REPLYCODE", None),
    ("cv_base1", "ARC3", "<u@example.net>", "SMFIR_REPLYCODE", None),
    ("cv_pass_i2_1", "ARC4", "<u@strict.example>", "SMFIR_REPLYCODE", None),
    ("cv_pass_i1_1", "ARC5", "<u@example.net>", "SMFIR_CONTINUE", "arc=pass (i=1 sealer example.org) smtp.remote-ip=192.0.2.10 header.oldest-pass=0"),
    ("cv_pass_i2_1_ams1_invalid", "ARC6", "<u@example.net>", "SMFIR_CONTINUE", "arc=pass (i=2 sealer example.org) smtp.remote-ip=192.0.2.10 header.oldest-pass=2"),
    # an IPv6 client: the address is quoted (':' is a tspecial)
    ("cv_pass_i1_1", "ARC7", "<u@example.net>", "SMFIR_CONTINUE", 'arc=pass (i=1 sealer example.org) smtp.remote-ip="2001:db8::10" header.oldest-pass=0'),
]


def lua(s):
    out = '"'
    for ch in s:
        if ch in '\\"':
            out += "\\" + ch
        elif ch == "\n":
            out += "\\n"
        elif ch == "\r":
            out += "\\r"
        elif ord(ch) < 32 or ord(ch) > 126:
            out += "\\%03d" % ord(ch)
        else:
            out += ch
    return out + '"'


def split(msg):
    head, _, body = msg.partition("\n\n")
    fields = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1] += "\n" + line
        elif line:
            name, _, value = line.partition(":")
            fields.append([name, value[1:] if value.startswith(" ") else value])
    return fields, body.replace("\n", "\r\n")


def main():
    tests = {}
    for sc in yaml.safe_load_all(open(sys.argv[1], encoding="utf-8")):
        tests.update(sc["tests"])
    o = open(sys.argv[2], "w")
    o.write('dofile(libdir .. "/common.lua")\n')
    o.write('local function ar(conn) return mt.getheader(conn, "Authentication-Results", 0) or "" end\n')
    for name, qid, rcpt, reply, arc in CASES:
        fields, body = split(tests[name]["message"])
        ip = "2001:db8::10" if qid == "ARC7" else "192.0.2.10"
        o.write("do\n\tlocal conn = open(\"%s\")\n" % ip)
        o.write('\tmail(conn, "<bounce@lists.example.com>", "%s")\n' % qid)
        o.write('\trcpt(conn, "%s")\n' % rcpt)
        o.write("\tmessage(conn, {\n")
        for n, v in fields:
            o.write("\t\t{ %s, %s },\n" % (lua(n), lua(v)))
        o.write("\t}, %s)\n" % lua(body))
        o.write('\texpect(conn, %s, "%s %s")\n' % (reply, qid, name))
        if arc:
            o.write('\tcheck(string.find(ar(conn), %s, 1, true), "%s A-R: " .. ar(conn))\n' % (lua(arc), qid))
        o.write("\tmt.disconnect(conn)\nend\n")


main()
