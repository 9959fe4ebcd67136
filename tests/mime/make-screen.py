#!/usr/bin/env python3
"""make-screen.py - writes the messages of tests/data/mime/screen/ (one
evasion class of issue 9 each, plus controls that must pass).  Each message
names what the shipped default policy must answer in an X-Expect field
("accept", or the start of the SMTP reply); tests/mime/screen.sh sends them
through the running daemon with miltertest.  The files are checked in; run
this again only to change them:  python3 tests/mime/make-screen.py DIR"""
import base64
import binascii
import io
import os
import struct
import sys
import zipfile

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/mime/screen"
B = "b1"


def msg(expect, subject, body, ctype='multipart/mixed; boundary="%s"' % B, extra=""):
    return ("From: a@remote.example\nTo: u@example.net\nSubject: %s\n"
            "X-Expect: %s\nMIME-Version: 1.0\nContent-Type: %s\n%s\n%s"
            % (subject, expect, ctype, extra, body))


def part(headers, body):
    return "".join(h + "\n" for h in headers) + "\n" + body + "\n"


def b64(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


TEXT = part(["Content-Type: text/plain"], "hello")
EXE = part(["Content-Type: application/octet-stream",
            'Content-Disposition: attachment; filename="evil.exe"',
            "Content-Transfer-Encoding: base64"], b64(b"MZ" + b"\0" * 64))


def mzip(entries, dd=False, zip64=False):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if dd or zip64:
                with z.open(name, "w", force_zip64=zip64) as f:
                    f.write(data)
            else:
                z.writestr(name, data)
    return bio.getvalue()


def zpart(data, name="docs.zip"):
    return part(["Content-Type: application/zip; name=\"%s\"" % name,
                 "Content-Disposition: attachment; filename=\"%s\"" % name,
                 "Content-Transfer-Encoding: base64"], b64(data))


def mp(parts, close="--%s--" % B):
    return "".join("--%s\n%s" % (B, p) for p in parts) + close + "\n"


def locals_(data):
    """offsets of the local headers, from the central directory"""
    z = zipfile.ZipFile(io.BytesIO(data))
    return [(i.header_offset, i.compress_size, i.filename) for i in z.infolist()]


files = {}
# 1. transport padding longer than the line-head buffer
pad = " " * 400
files["pad-long"] = msg("554 5.7.1 attachment evil.exe is blocked", "long padding",
                        "--%s\n%s--%s%s\n%s--%s--\n" % (B, TEXT, B, pad, EXE, B))
files["pad-long-close"] = msg("554 5.6.0", "padding then text after a close delimiter",
                              "--%s\n%s--%s--%sx\n" % (B, TEXT, B, pad))
files["pad-long-text"] = msg("554 5.6.0", "padding then text after a delimiter",
                             "--%s\n%s--%s%sx\n%s--%s--\n" % (B, TEXT, B, pad, EXE, B))
files["pad-short-ok"] = msg("accept", "short padding is fine",
                            "--%s \t\n%s--%s\t\n%s--%s--  \n" % (B, TEXT, B,
                            part(["Content-Type: application/pdf",
                                  'Content-Disposition: attachment; filename="a.pdf"'], "%PDF"), B))
files["pad-long-ok"] = msg("accept", "long padding on a benign part",
                           "--%s\n%s--%s%s\n%s--%s--%s\n" % (B, TEXT, B, pad, TEXT, B, pad))
# 2. text after the close delimiter, delimiters after it
files["close-text"] = msg("554 5.6.0", "close delimiter followed by text",
                          "--%s\n%s--%s--x\n%s--%s--\n" % (B, TEXT, B, EXE, B))
files["after-close"] = msg("554 5.6.0", "a part after the close delimiter",
                           "--%s\n%s--%s--\n--%s\n%s--%s--\n" % (B, TEXT, B, B, EXE, B))
files["after-close-twice"] = msg("554 5.6.0", "the close delimiter twice",
                                 "--%s\n%s--%s--\n--%s--\n" % (B, TEXT, B, B))
files["delim-text"] = msg("554 5.6.0", "delimiter followed by text",
                          "--%s\n%s--%sx\n%s--%s--\n" % (B, TEXT, B, EXE, B))
files["bare-cr"] = msg("554 5.6.0", "delimiter lines ended by a bare CR",
                       "--%s\n%s--%s\r%s--%s--\n" % (B, TEXT, B, EXE.replace("\n", "\r"), B))
files["bare-cr-header"] = msg("554 5.6.0", "a part header split by a bare CR",
                              mp([TEXT, part(["Content-Type: application/pdf\rContent-Disposition: attachment;"
                                              ' filename="evil.exe"', "Content-Transfer-Encoding: base64"],
                                             b64(b"MZ" * 8))]))
files["bare-cr-body"] = msg("554 5.6.0", "a delimiter after a bare CR",
                            "--%s\n%s" % (B, part(["Content-Type: text/plain"], "hello\r--%s\r%s" % (B, EXE.replace("\n", "\r"))))
                            + "--%s--\n" % B)
files["epilogue-ok"] = msg("accept", "an epilogue that is only text",
                           "--%s\n%s--%s--\nthis is the epilogue\n-- \nsig\n" % (B, TEXT, B))
# 3. zip archives that cannot be listed to their end
good = mzip([("a.txt", b"a" * 300), ("b.txt", b"b" * 300)])
files["zip-ok"] = msg("accept", "a good zip", mp([TEXT, zpart(good)]))
files["zip-dd-ok"] = msg("accept", "a zip with data descriptors",
                         mp([TEXT, zpart(mzip([("a.txt", b"a" * 300), ("b.txt", b"b" * 30)], dd=True))]))
files["zip64-ok"] = msg("accept", "a zip with zip64 entries",
                        mp([TEXT, zpart(mzip([("a.txt", b"a" * 300), ("b.txt", b"b" * 30)], zip64=True))]))
files["zip-evil-ok"] = msg("554 5.7.1 file in archive evil.exe", "a zip with an exe",
                           mp([TEXT, zpart(mzip([("a.txt", b"a" * 300), ("evil.exe", b"MZ" * 100)]))]))
# the last local header claims the central directory and end record as data
ev = mzip([("a.txt", b"a" * 300), ("evil.exe", b"MZ" * 100)])
off, cs, _ = locals_(ev)[0]
lie = bytearray(ev)
struct.pack_into("<I", lie, off + 18, len(ev) - (off + 30 + len("a.txt")))
files["zip-lie-big"] = msg("554 5.7.1 archive docs.zip cannot be listed", "local size covers the directory",
                           mp([TEXT, zpart(bytes(lie))]))
off, cs, _ = locals_(good)[0]
lie = bytearray(good)
struct.pack_into("<I", lie, off + 18, cs - 7)
files["zip-lie-small"] = msg("554 5.7.1 archive docs.zip cannot be listed", "local size too small",
                             mp([TEXT, zpart(bytes(lie))]))
files["zip-truncated"] = msg("554 5.7.1 archive docs.zip cannot be listed", "no central directory",
                             mp([TEXT, zpart(good[:locals_(good)[1][0] + 40])]))
files["zip-sniffed-truncated"] = msg("554 5.7.1 archive report.pdf cannot be listed", "a zip sent as a pdf, cut",
                                     mp([TEXT, part(["Content-Type: application/pdf",
                                                     'Content-Disposition: attachment; filename="report.pdf"',
                                                     "Content-Transfer-Encoding: base64"], b64(good[:100]))]))
# 4. base64 padding followed by more data
zev = mzip([("a.txt", b"a" * 300), ("evil.exe", b"MZ" * 100)])
cut = 10
seg = base64.b64encode(zev[:cut]).decode() + "\n" + b64(zev[cut:])
files["b64-pad"] = msg("554 5.7.1 file in archive evil.exe", "base64 goes on after padding",
                       mp([TEXT, part(["Content-Type: application/zip",
                                       'Content-Disposition: attachment; filename="docs.zip"',
                                       "Content-Transfer-Encoding: base64"], seg)]))
files["uuencode-zip"] = msg("554 5.7.1 file in archive evil.exe", "an x-uuencode zip sent as data",
                            mp([TEXT, part(["Content-Type: application/octet-stream; name=data.bin",
                                            "Content-Transfer-Encoding: x-uuencode"],
                                           "begin 644 data.bin\n" + "".join(binascii.b2a_uu(zev[i:i + 45]).decode()
                                                                   for i in range(0, len(zev), 45)) + "`\nend")]))
# 5. an encoded message at the depth and part limits
enc = "From: x@y.example\nContent-Type: application/octet-stream; name=evil.exe\n\nMZ\n"
encp = part(["Content-Type: message/rfc822", "Content-Transfer-Encoding: base64"], b64(enc.encode()))
body = encp
for d in range(16):
    bb = "n%d" % d
    body = part(['Content-Type: multipart/mixed; boundary="%s"' % bb], "--%s\n%s--%s--" % (bb, body, bb))
files["encmsg-depth"] = msg("554 5.6.0", "encoded message below the deepest multipart",
                            body.split("\n\n", 1)[1], ctype=body.split("\n", 1)[0].split(": ", 1)[1])
files["encmsg-parts"] = msg("554 5.6.0", "encoded message as the last allowed part",
                            mp([TEXT] * 498 + [encp]))
files["encmsg-ok"] = msg("554 5.7.1 attachment evil.exe", "encoded message, within the limits",
                         mp([TEXT, encp]))
files["message-partial"] = msg("554 5.6.0", "a message/partial fragment",
                               mp([TEXT, part(['Content-Type: message/partial; id="x@y"; number=1; total=2'],
                                              "Content-Type: application/octet-stream; name=evil.exe\n\nMZ")]))
files["message-news"] = msg("554 5.7.1 attachment evil.exe", "a message/news part is read as a message",
                            mp([TEXT, part(["Content-Type: message/news"],
                                           "Newsgroups: x\nContent-Type: application/octet-stream; name=evil.exe\n\nMZ")]))
# 6. names that disagree
def named(*hdrs):
    return mp([TEXT, part(list(hdrs) + ["Content-Transfer-Encoding: base64"], b64(b"MZ" * 32))])
files["name-vs-filename"] = msg("554 5.7.1 attachment evil.exe", "name= and filename= differ",
                                named('Content-Type: application/pdf; name="evil.exe"',
                                      'Content-Disposition: attachment; filename="invoice.pdf"'))
files["filename-star-vs-plain"] = msg("554 5.7.1 attachment evil.exe", "filename*= and filename= differ",
                                      named("Content-Type: application/pdf",
                                            "Content-Disposition: attachment; filename*=UTF-8''invoice.pdf;"
                                            ' filename="evil.exe"'))
files["sections-vs-plain"] = msg("554 5.7.1 attachment evil.exe", "continuations and filename= differ",
                                 named("Content-Type: application/pdf",
                                       'Content-Disposition: attachment; filename="evil.exe";'
                                       ' filename*0="invoice"; filename*1=".pdf"'))
files["encoded-word-name"] = msg("554 5.7.1 attachment evil.exe", "encoded word in name=",
                                 named('Content-Type: application/pdf; name="=?utf-8?B?ZXZpbC5leGU=?="',
                                       'Content-Disposition: attachment; filename="invoice.pdf"'))
files["filename-twice"] = msg("554 5.7.1 attachment evil.exe", "filename= twice",
                              named("Content-Type: application/pdf",
                                    'Content-Disposition: attachment; filename="invoice.pdf"; filename="evil.exe"'))
files["filename-blank"] = msg("554 5.7.1 attachment evil.exe", "unquoted file name with a blank",
                              named("Content-Type: application/pdf",
                                    "Content-Disposition: attachment; filename=evil.exe invoice.pdf"))
files["filename-backslash"] = msg("554 5.7.1 attachment evil.exe", "quoted-pair in a file name",
                                  named("Content-Type: application/pdf",
                                        'Content-Disposition: attachment; filename="evil.ex\\e"'))
files["disposition-twice"] = msg("554 5.7.1 attachment evil.exe", "Content-Disposition twice",
                                 named("Content-Type: application/pdf",
                                       'Content-Disposition: attachment; filename="invoice.pdf"',
                                       'Content-Disposition: attachment; filename="evil.exe"'))
files["type-twice"] = msg("554 5.7.1 attachment evil.exe", "Content-Type twice",
                          named('Content-Type: application/pdf; name="invoice.pdf"',
                                'Content-Type: application/octet-stream; name="evil.exe"'))
# a second Content-Type / Content-Transfer-Encoding that says other than the
# first: a client that reads the last field decodes another part
files["type-twice-disagree"] = msg("554 5.6.0", "Content-Type twice, the types differ",
                                   mp([TEXT, part(["Content-Type: text/plain", "Content-Type: application/zip",
                                                   "Content-Transfer-Encoding: base64"], b64(zev))]))
files["cte-twice-disagree"] = msg("554 5.6.0", "Content-Transfer-Encoding twice, they differ",
                                  mp([TEXT, part(["Content-Type: text/plain", "Content-Transfer-Encoding: 7bit",
                                                  "Content-Transfer-Encoding: base64"], b64(zev))]))
files["type-twice-agree-ok"] = msg("accept", "Content-Type twice, the same type",
                                   mp([TEXT, part(["Content-Type: text/plain; charset=us-ascii",
                                                   "Content-Type: TEXT/plain; charset=utf-8"], "hello")]))
files["cte-twice-agree-ok"] = msg("accept", "Content-Transfer-Encoding twice, the same",
                                  mp([TEXT, part(["Content-Type: text/plain", "Content-Transfer-Encoding: base64",
                                                  "Content-Transfer-Encoding: BASE64"], b64(b"hello\n"))]))
# uuencoded blocks in a plain-text body: Thunderbird and Outlook show them
# as attachments (filter/mime/mime_uu.c)
def uublock(name, data):
    return ("begin 644 %s\n" % name + "".join(binascii.b2a_uu(data[i:i + 45]).decode()
                                            for i in range(0, len(data), 45)) + "`\nend\n")
files["uu-in-text"] = msg("554 5.7.1 attachment evil.exe", "a uuencoded block in a text/plain body",
                          "Here it is:\n\n" + uublock("evil.exe", b"MZ" * 100) + "\nbye\n",
                          ctype="text/plain")
files["uu-in-text-part"] = msg("554 5.7.1 attachment evil.exe", "a uuencoded block in a text/plain part",
                               mp([part(["Content-Type: text/plain"], "see below\n" + uublock("evil.exe", b"MZ" * 10))]))
files["uu-in-text-qp"] = msg("554 5.7.1 attachment evil.exe", "a uuencoded block in a quoted-printable text part",
                             mp([part(["Content-Type: text/plain", "Content-Transfer-Encoding: quoted-printable"],
                                      uublock("evil.exe", b"MZ" * 10).replace("begin 644 ", "begin=20644=20"))]))
files["uu-in-text-zip"] = msg("554 5.7.1 file in archive evil.exe", "a uuencoded zip in a text/plain body",
                              "Docs:\n" + uublock("docs.zip", zev), ctype="text/plain")
files["uu-in-text-ok"] = msg("accept", "a uuencoded text file in a text/plain body",
                             "Notes:\n" + uublock("notes.txt", b"just some notes\n" * 5), ctype="text/plain")
def yblock(name, data, escape_all=False):
    enc = bytearray()
    for b in data:
        c = (b + 42) & 0xff
        if c in (0, 10, 13, 61) or (escape_all and c == 0x2e):
            enc += b"=" + bytes([(c + 64) & 0xff])
        else:
            enc.append(c)
    lines = [bytes(enc[i:i + 128]).decode("latin-1") for i in range(0, len(enc), 128)]
    return ("=ybegin line=128 size=%d name=%s\n" % (len(data), name) + "\n".join(lines)
            + "\n=yend size=%d\n" % len(data))
files["yenc-in-text"] = msg("554 5.7.1 attachment evil.exe", "a yEnc block in a text/plain body",
                            "Here:\n" + yblock("evil.exe", b"MZ" * 100), ctype="text/plain")
files["yenc-in-text-zip"] = msg("554 5.7.1 file in archive evil.exe", "a yEnc zip in a text/plain body",
                                "Docs:\n" + yblock("docs.bin", zev), ctype="text/plain")
files["yenc-in-text-ok"] = msg("accept", "a yEnc text file in a text/plain body",
                               "Notes:\n" + yblock("notes.txt", b"some notes\n" * 20), ctype="text/plain")
# fresh variants of each class, tried as an attacker would (audit of issue 9)
files["pad-tabs-crlf"] = msg("554 5.7.1 attachment evil.exe", "long padding of blanks and tabs, CRLF line ends",
                             ("--%s\n%s--%s%s\n%s--%s--\n" % (B, TEXT, B, " \t" * 300, EXE, B))).replace("\n", "\r\n")
files["pad-long-inner"] = msg("554 5.7.1 attachment evil.exe", "long padding on an inner boundary",
                              mp([TEXT, part(['Content-Type: multipart/alternative; boundary="c2"'],
                                             "--c2\n" + TEXT + "--c2" + " " * 2000 + "\n" + EXE + "--c2--")]))
files["pad-long-close-part"] = msg("554 5.6.0", "a long-padded close delimiter, then a part",
                                   "--%s\n%s--%s--%s\n--%s\n%s--%s--\n" % (B, TEXT, B, " " * 1000, B, EXE, B))
files["close-blank-text"] = msg("554 5.6.0", "close delimiter, blanks, then text",
                                "--%s\n%s--%s--   x\n%s--%s--\n" % (B, TEXT, B, EXE, B))
# boundary parameters that disagree: Python follows the first boundary=,
# postern followed the RFC 2231 sections; a reader of the last field or
# the last parameter shows other parts
files["boundary-twice"] = msg("554 5.6.0", "boundary= twice",
                              "--zz\n%s--%s\n%s--%s--\n--zz--\n" % (TEXT, B, EXE, B),
                              ctype='multipart/mixed; boundary="zz"; boundary="%s"' % B)
files["boundary-sections-vs-plain"] = msg("554 5.6.0", "boundary= and boundary*0/*1 differ",
                                          "--%s\n%s--zz\n%s--zz--\n--%s--\n" % (B, TEXT, EXE, B),
                                          ctype='multipart/mixed; boundary="zz"; boundary*0="b"; boundary*1="1"')
files["type-twice-boundary"] = msg("554 5.6.0", "Content-Type twice, same type, another boundary",
                                   "--zz\n%s--%s\n%s--%s--\n--zz--\n" % (TEXT, B, EXE, B),
                                   ctype='multipart/mixed; boundary="zz"',
                                   extra='Content-Type: multipart/mixed; boundary="%s"\n' % B)
files["boundary-twice-same-ok"] = msg("accept", "boundary= twice, the same value",
                                      mp([TEXT, TEXT]), ctype='multipart/mixed; boundary=%s; boundary="%s"' % (B, B))
# an inner multipart ended by the outer delimiter, then a delimiter of it:
# a reader that matches the innermost boundary only shows that part
files["ended-after-close"] = msg("554 5.6.0", "an ended inner boundary after the outer close",
                                 "--%s\n" % B + part(['Content-Type: multipart/mixed; boundary="c2"'], "--c2\n" + TEXT)
                                 + "--%s--\n--c2\n%s--c2--\n" % (B, EXE))
files["ended-in-next-part"] = msg("554 5.6.0", "an ended inner boundary in a later part",
                                  "--%s\n" % B + part(['Content-Type: multipart/mixed; boundary="c2"'], "--c2\n" + TEXT)
                                  + "--%s\n%s--c2\n%s--%s--\n" % (B, TEXT, EXE, B))
files["ended-ok"] = msg("accept", "an inner multipart ended by the outer delimiter",
                        "--%s\n" % B + part(['Content-Type: multipart/mixed; boundary="c2"'], "--c2\n" + TEXT)
                        + "--%s\n%s--%s--\n" % (B, TEXT, B))
z = bytearray(mzip([("a.txt", b"a" * 300), ("e.txt", b"MZ" * 100)]))
i = z.find(b"e.txt", z.rfind(b"PK\x01\x02"))
z[i:i + 5] = b"e.exe"
files["zip-central-name"] = msg("554 5.7.1 file in archive e.exe", "the central name is not the local one",
                                mp([TEXT, zpart(bytes(z))]))
z = bytearray(mzip([("a.txt", b"a" * 300), ("e.txt", b"MZ" * 100)]))
i = z.find(b"e.txt")
z[i:i + 5] = b"e.exe"
files["zip-local-name"] = msg("554 5.7.1 file in archive e.exe", "the local name is not the central one",
                              mp([TEXT, zpart(bytes(z))]))
e = good.rfind(b"PK\x05\x06")
files["zip-count-lie"] = msg("554 5.7.1 archive docs.zip cannot be listed", "the end record counts one entry",
                             mp([TEXT, zpart(good[:e + 8] + struct.pack("<HH", 1, 1) + good[e + 12:])]))
bio = io.BytesIO()
with zipfile.ZipFile(bio, "w", zipfile.ZIP_STORED) as zf:
    zf.writestr("inner.zip", zev)
files["zip-in-zip-stored"] = msg("554 5.7.1 file in archive evil.exe", "an exe in a stored zip in a zip",
                                 mp([TEXT, zpart(bio.getvalue())]))
def zb64(s):
    return mp([TEXT, part(["Content-Type: application/zip", 'Content-Disposition: attachment; filename="docs.zip"',
                           "Content-Transfer-Encoding: base64"], s)])
files["b64-pad-junk"] = msg("554 5.7.1 file in archive evil.exe", "base64 padding, junk, then more data",
                            zb64(base64.b64encode(zev[:10]).decode() + "!!\n" + b64(zev[10:])))
files["b64-pad-midline"] = msg("554 5.7.1 file in archive evil.exe", "base64 padding twice on one line",
                               zb64(base64.b64encode(zev[:10]).decode() + base64.b64encode(zev[10:11]).decode()
                                    + " " + b64(zev[11:])))
files["b64-extra-pad"] = msg("554 5.7.1 file in archive evil.exe", "extra '=' between base64 segments",
                             zb64(base64.b64encode(zev[:10]).decode() + "=\n=" + b64(zev[10:])))
def deep(p, depth=16):
    for d in range(depth):
        bb = "n%d" % d
        p = part(['Content-Type: multipart/mixed; boundary="%s"' % bb], "--%s\n%s--%s--" % (bb, p, bb))
    return msg("554 5.6.0", "an encoded message below the deepest multipart", p.split("\n\n", 1)[1],
               ctype=p.split("\n", 1)[0].split(": ", 1)[1])
import quopri
files["encmsg-qp-depth"] = deep(part(["Content-Type: message/rfc822", "Content-Transfer-Encoding: quoted-printable"],
                                     quopri.encodestring(enc.encode()).decode()))
files["encmsg-uu-depth"] = deep(part(["Content-Type: message/rfc822", "Content-Transfer-Encoding: x-uuencode"],
                                     uublock("m.eml", enc.encode()).rstrip("\n")))
files["encmsg-global-parts"] = msg("554 5.6.0", "an encoded message/global as the last allowed part",
                                   mp([TEXT] * 498 + [part(["Content-Type: message/global",
                                                            "Content-Transfer-Encoding: base64"], b64(enc.encode()))]))
files["name-ew-q"] = msg("554 5.7.1 attachment evil.exe", "a Q encoded word in filename=",
                         named("Content-Type: application/pdf",
                               'Content-Disposition: attachment; filename="=?utf-8?Q?evil=2Eexe?="'))
files["name-ew-split"] = msg("554 5.7.1 attachment evil.exe", "a name in two encoded words",
                             named('Content-Type: application/pdf; name="=?utf-8?Q?evil?= =?utf-8?Q?.exe?="',
                                   'Content-Disposition: attachment; filename="a.pdf"'))
files["name-sections-order"] = msg("554 5.7.1 attachment evil.exe", "RFC 2231 sections out of order",
                                   named("Content-Type: application/pdf",
                                         'Content-Disposition: attachment; filename*1=".exe"; filename*0="evil"'))
files["name-sections-encoded"] = msg("554 5.7.1 attachment evil.exe", "RFC 2231 encoded sections",
                                     named("Content-Type: application/pdf",
                                           "Content-Disposition: attachment; filename*0*=utf-8''evil; filename*1*=%2E%65xe"))
files["name-trailing-dot"] = msg("554 5.7.1 attachment evil.exe", "a trailing dot (Windows drops it)",
                                 named("Content-Type: application/pdf",
                                       'Content-Disposition: attachment; filename="evil.exe."'))
files["names-agree-ok"] = msg("accept", "names that agree",
                              named('Content-Type: application/pdf; name="invoice.pdf"',
                                    "Content-Disposition: attachment; filename*=UTF-8''invoice.pdf;"
                                    ' filename="invoice.pdf"'))

os.makedirs(out, exist_ok=True)
for name, text in files.items():
    with open(os.path.join(out, name + ".eml"), "w", newline="", encoding="latin-1") as f:
        f.write(text)
