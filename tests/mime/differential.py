#!/usr/bin/env python3
"""differential.py - what postern's scanner sees against what Python's
email package (policy=default and compat32) and zipfile find.

For every message it compares, per message:
  name  every attachment name Python reports (get_filename() and the
        Content-Type name= parameter, under both policies) must be one of
        the names the scanner reports (file name or other names, mimescan -a);
  size  a named part's decoded size must not be larger in Python than in
        the scanner for the same name (the scanner decoding more, e.g. base64
        after '=' padding, is fine and counted);
  zip   every entry zipfile lists in a zip part must be one of the entries
        the lister reported (local or central).
A message the scanner refuses by itself (a MIME limit, malformed structure,
a zip that cannot be listed to its end: mime_limit_action and
zip_broken_action) cannot hide a part and is only counted.  Any other
difference is a failure unless the message (or mutant class) is listed in
the exceptions file with its reason: "PATH KIND reason"; PATH may end in
"*" (a prefix).  A listed difference that no longer occurs is reported too
(stale), so the list stays true.

Usage:
  differential.py [-j N] [--mutants N --seed S [--mutate PREFIX]...]
                  [--exceptions FILE] [-v] MIMESCAN DIR-or-FILE...
Files under a directory are read recursively; *.mbox* files are split at
"From " lines.  Exit status 1 on an unexplained difference or a stale entry.
--mutants N also runs N mutants of each message with a name or a zip
(padding, case, quoting, bare LF/CR, missing close delimiter, nested
encodings, base64 re-encoded as x-uuencode, zip header lies), named
"mutant/CLASS/PATH".
"""
import argparse
import base64
import binascii
import email
import email.header
import email.policy
import io
import multiprocessing
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import zipfile

KINDS = ("name", "size", "zip")


def esc(b):
    """mimescan's print_name: TAB, CR, LF, backslash as \\xHH"""
    out = bytearray()
    for c in b:
        if c in (9, 10, 13, 92):
            out += b"\\x%02x" % c
        else:
            out.append(c)
    return bytes(out)


def tobytes(s):
    if isinstance(s, bytes):
        return s
    return s.encode("utf-8", "surrogateescape")


def name_forms(v):
    """a name as Python gives it, and with encoded words decoded"""
    if v is None:
        return []
    if isinstance(v, tuple):       # compat32 RFC 2231 triple
        v = email.utils.collapse_rfc2231_value(v)
    v = str(v).replace("\0", "?")
    forms = [v.strip(), v]
    if "=?" in v:
        try:
            forms.append(str(email.header.make_header(email.header.decode_header(v))))
        except Exception:
            pass
    return [fold(esc(tobytes(f))) for f in forms if f.strip()]


def fold(b):
    """bytes outside ASCII (raw 8-bit names, U+FFFD for them) as one '?':
    the charset guess differs, the extension the screen reads does not"""
    b = b.replace("\ufffd".encode(), b"\x80")
    return re.sub(rb"[\x80-\xff]+", b"?", b)


def is_zip(part, payload, names):
    ct = part.get_content_type()
    return (ct in ("application/zip", "application/x-zip-compressed", "application/x-zip")
            or any(n.lower().endswith(b".zip") for n in names)
            or payload[:4] == b"PK\3\4")


def python_view(data):
    """[(names, size)], zip entry names, for both policies"""
    parts, zips = [], []
    for pol in (email.policy.compat32, email.policy.default):
        try:
            msg = email.message_from_bytes(data, policy=pol)
            walked = list(msg.walk())
        except Exception:
            continue
        for part in walked:
            if part.is_multipart():
                continue
            names = []
            try:
                names += name_forms(part.get_filename())
            except Exception:
                pass
            try:
                names += name_forms(part.get_param("name"))
            except Exception:
                pass
            try:
                payload = part.get_payload(decode=True)
            except Exception:
                payload = None
            if not isinstance(payload, bytes):
                payload = b""
            size = len(payload)
            if part.get("content-transfer-encoding", "").strip().lower() == "base64":
                try:
                    binascii.a2b_base64(tobytes(part.get_payload(decode=False)))
                except Exception:
                    size = None   # Python gave up and returns the raw text
            names = sorted(set(names))
            if names:
                parts.append((names, size))
            if payload and is_zip(part, payload, names):
                try:
                    zf = zipfile.ZipFile(io.BytesIO(payload))
                    zips.append([fold(esc(tobytes(n))) for n in zf.namelist()])
                except Exception:
                    pass      # zipfile cannot read it: nothing a reader lists
        if pol is email.policy.compat32 and not parts and not zips:
            break             # nothing named: the default policy adds nothing
    return parts, zips


def postern_view(out):
    """mimescan -a output of one message"""
    v = {"parts": [], "zip": set(), "refused": False, "broken": False}
    for line in out.split(b"\n"):
        if line.startswith(b"  zip\t") or line.startswith(b"  zipc\t"):
            v["zip"].add(fold(line.split(b"\t")[1]))
        elif line.startswith(b"  zipstatus\t"):
            if line.split(b"\t")[1] == b"broken":
                v["broken"] = True
        elif line.startswith(b"  name\t"):
            if v["parts"]:
                v["parts"][-1][0].add(fold(line.split(b"\t", 1)[1]))
        elif line.startswith(b"parts="):
            v["refused"] = b"status=limit" in line
        elif line and line[0:1].isdigit():
            f = line.split(b"\t")
            if len(f) >= 6:
                v["parts"].append(({fold(f[2])} if f[2] else set(), int(f[5])))
    v["parts"] = [p for p in v["parts"] if p[0]]
    return v


def compare(py, pv):
    """the kinds of difference: [(kind, detail)]"""
    diffs = []
    if pv["refused"] or pv["broken"]:
        return diffs
    pnames = set()
    for names, _ in pv["parts"]:
        pnames |= names
    for names, size in py[0]:
        if not any(n in pnames for n in names):
            diffs.append(("name", b"/".join(names).decode("utf-8", "replace")))
            continue
        sizes = [s for ns, s in pv["parts"] if any(n in ns for n in names)]
        if sizes and size is not None and size > max(sizes):
            diffs.append(("size", "%s: python %d, postern %s" % (
                names[0].decode("utf-8", "replace"), size, sizes)))
    for entries in py[1]:
        for e in entries:
            if e not in pv["zip"]:
                diffs.append(("zip", e.decode("utf-8", "replace")))
    return diffs


# ---- messages ---------------------------------------------------------------

def messages(paths):
    """(label, bytes) for every message under the paths"""
    for top in paths:
        files = [top] if os.path.isfile(top) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs)
        base = os.path.dirname(top.rstrip("/")) if os.path.isdir(top) else os.path.dirname(top)
        for f in files:
            rel = os.path.relpath(f, base)
            if os.path.basename(f).startswith(".") or f.endswith((".json", ".py", ".md", ".txt~")) \
                    or os.path.basename(f) in ("LICENSE", "LICENSE.txt", "SOURCE.txt", "README.md",
                                               "EXCEPTIONS", "DIFFERENTIAL"):
                continue
            try:
                data = open(f, "rb").read()
            except OSError:
                continue
            if ".mbox" in f:
                chunks = re.split(rb"(?m)^(?=From )", data)
                for i, c in enumerate(x for x in chunks if x.strip()):
                    yield "%s#%d" % (rel, i), c
            else:
                yield rel, data


# ---- mutants ----------------------------------------------------------------

def boundaries(data):
    return sorted(set(m.group(2) for m in re.finditer(
        rb'(?i)boundary\s*=\s*("?)([^";\r\n]+)\1', data)), key=len, reverse=True)


def m_padding(data, rnd):
    for b in boundaries(data):
        pad = b" " * rnd.choice((1, 80, 300)) + rnd.choice((b"", b"\t"))
        data = re.sub(rb"(?m)^(--" + re.escape(b) + rb"(--)?)(\r?)$", lambda m: m.group(1) + pad + m.group(3), data)
    return data


def m_case(data, rnd):
    data = re.sub(rb"(?im)^content-(type|disposition|transfer-encoding):",
                  lambda m: m.group(0).upper() if rnd.random() < .5 else m.group(0).lower(), data)
    return re.sub(rb"(?i)\b(filename|name|boundary)(\*?=)", lambda m: m.group(1).upper() + m.group(2), data)


def m_quoting(data, rnd):
    def flip(m):
        v = m.group(3)
        if m.group(2):
            return m.group(1) + v if re.fullmatch(rb"[A-Za-z0-9._-]+", v) else m.group(0)
        return m.group(1) + b'"' + v + b'"'
    return re.sub(rb'(?i)((?:filename|name|boundary)=)(")?([^";\r\n]+)(?(2)")', flip, data)


def m_bare_lf(data, rnd):
    return data.replace(b"\r\n", b"\n")


def m_bare_cr(data, rnd):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")


def m_no_close(data, rnd):
    for b in boundaries(data):
        data = re.sub(rb"(?m)^--" + re.escape(b) + rb"--[ \t]*\r?\n?", b"", data)
    return data


def m_nested(data, rnd):
    enc = base64.encodebytes(data.replace(b"\r\n", b"\n"))
    return (b"From: a@example.org\nSubject: fwd\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"=nest=\"\n\n--=nest=\n"
            b"Content-Type: text/plain\n\nsee attached\n--=nest=\n"
            b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
            + enc + b"--=nest=--\n")


def zip_lie(z, rnd):
    """one lie in one local header: compressed size, name length"""
    offs = [m.start() for m in re.finditer(rb"PK\x03\x04", z)]
    if not offs:
        return z
    o = rnd.choice(offs)
    b = bytearray(z)
    if o + 30 > len(b):
        return z
    field = rnd.choice((18, 18, 26))
    if field == 18:
        v = struct.unpack_from("<I", b, o + 18)[0]
        struct.pack_into("<I", b, o + 18, max(0, v + rnd.choice((-7, 9, len(b)))) & 0xffffffff)
    else:
        v = struct.unpack_from("<H", b, o + 26)[0]
        struct.pack_into("<H", b, o + 26, (v + rnd.choice((1, 40))) & 0xffff)
    return bytes(b)


def m_zip_lie(data, rnd):
    """re-encode base64 zip parts with a lying local header"""
    def sub(m):
        try:
            raw = base64.b64decode(re.sub(rb"\s", b"", m.group(2)))
        except Exception:
            return m.group(0)
        if raw[:4] != b"PK\3\4":
            return m.group(0)
        return m.group(1) + base64.encodebytes(zip_lie(raw, rnd))
    return re.sub(rb"(?is)(content-transfer-encoding:\s*base64\s*\r?\n(?:[^\r\n]+\r?\n)*?\r?\n)"
                  rb"((?:[A-Za-z0-9+/=]+\r?\n)+)", sub, data)


def m_uuencode(data, rnd):
    """base64 parts re-encoded as x-uuencode"""
    def sub(m):
        try:
            raw = base64.b64decode(re.sub(rb"\s", b"", m.group(3)))
        except Exception:
            return m.group(0)
        uu = b"begin 644 x\n" + b"".join(binascii.b2a_uu(raw[i:i + 45])
                                         for i in range(0, len(raw), 45)) + b"`\nend\n"
        return m.group(1) + b"x-uuencode" + m.group(2) + uu
    return re.sub(rb"(?is)(content-transfer-encoding:\s*)base64(\s*\r?\n(?:[^\r\n]+\r?\n)*?\r?\n)"
                  rb"((?:[A-Za-z0-9+/=]+\r?\n)+)", sub, data)


MUTANTS = {
    "padding": m_padding, "case": m_case, "quoting": m_quoting, "bare-lf": m_bare_lf,
    "bare-cr": m_bare_cr, "no-close": m_no_close, "nested": m_nested, "zip-lie": m_zip_lie,
    "uuencode": m_uuencode,
}


# ---- running ----------------------------------------------------------------

def run_batch(args):
    scan, batch = args
    results = []
    with tempfile.TemporaryDirectory(prefix="pstn-diff.") as d:
        paths = []
        for i, (label, data) in enumerate(batch):
            p = os.path.join(d, "%05d.eml" % i)
            with open(p, "wb") as f:
                f.write(data)
            paths.append(p)
        out = subprocess.run([scan, "-a", "-c", "100000000"] + paths, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, check=False)
        if out.returncode != 0 or out.stderr:
            raise RuntimeError("mimescan failed: %s" % out.stderr.decode(errors="replace")[:500])
        views = {}
        for chunk in out.stdout.split(b"== ")[1:]:
            path, _, rest = chunk.partition(b"\n")
            views[path.decode()] = postern_view(rest)
        for (label, data), p in zip(batch, paths):
            pv = views[p]
            py = python_view(data)
            results.append((label, bool(py[0] or py[1]), pv["refused"] or pv["broken"],
                            compare(py, pv)))
    return results


def load_exceptions(path):
    ex = []
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if line and not line.startswith("#"):
                f = line.split(None, 2)
                if len(f) >= 2 and f[1] in KINDS:
                    ex.append((f[0], f[1]))
    return ex


def excused(ex, label, kind):
    for p, k in ex:
        if k == kind and (label == p or (p.endswith("*") and label.startswith(p[:-1]))):
            return (p, k)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--mutants", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mutate", action="append", default=[],
                    help="mutate only messages whose label starts with this (repeatable)")
    ap.add_argument("--exceptions")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("scan")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()

    msgs = list(messages(a.paths))
    if a.mutants:
        rnd = random.Random(a.seed)
        base = [(l, d) for l, d in msgs
                if (not a.mutate or any(l.startswith(m) for m in a.mutate))
                and python_view(d) != ([], [])]
        extra = []
        for l, d in base:
            for cls, fn in MUTANTS.items():
                seen = {d}
                for k in range(a.mutants):
                    md = fn(d, rnd)
                    if md not in seen:     # the same mutant once
                        seen.add(md)
                        extra.append(("mutant/%s/%s~%d" % (cls, l, k), md))
        msgs += extra
    batches = [msgs[i:i + 200] for i in range(0, len(msgs), 200)]
    if a.j > 1:
        with multiprocessing.Pool(a.j) as pool:
            res = [r for b in pool.map(run_batch, [(a.scan, b) for b in batches]) for r in b]
    else:
        res = [r for b in batches for r in run_batch((a.scan, b))]

    ex = load_exceptions(a.exceptions)
    used = set()
    n = named = refused = bad = excused_n = 0
    counts = {k: 0 for k in KINDS}
    for label, has, ref, diffs in res:
        n += 1
        named += has
        refused += ref
        for kind, detail in diffs:
            counts[kind] += 1
            e = excused(ex, label, kind)
            if e:
                used.add(e)
                excused_n += 1
                if a.v:
                    print("# excused %s %s: %s" % (label, kind, detail))
                continue
            bad += 1
            print("# %s %s: Python sees %s, postern does not" % (label, kind, detail))
    stale = [e for e in ex if e not in used and not (a.mutants == 0 and e[0].startswith("mutant/"))]
    for p, k in stale:
        print("# stale exception (the difference is gone): %s %s" % (p, k))
    print("messages=%d named_or_zip=%d refused_by_postern=%d differences=%d "
          "(name=%d size=%d zip=%d) excused=%d unexplained=%d stale=%d"
          % (n, named, refused, sum(counts.values()), counts["name"], counts["size"],
             counts["zip"], excused_n, bad, len(stale)))
    return 1 if bad or stale else 0


if __name__ == "__main__":
    sys.exit(main())
