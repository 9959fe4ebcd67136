#!/usr/bin/env python3
"""modgraph.py - the module graph of a postern tree, from its includes.

    contrib/modgraph.py [DIR] [-v]     (DIR: a source tree, default .)

A module is a source file of filter/ (or tools/) with its header
include/postern/X.h: the header belongs to X.c, else to the files X_*.c
(one module named X), else it is a module of its own.  An arrow is a
module including another module's header (#include "postern/X.h").
Calls between modules go through these headers, so the include graph is
also the call graph at module level.

Prints the number of modules and arrows, every circle (modules that reach
each other through includes), and, when filter/ has folders, the same for
the folders (an arrow between folders = any include between their files)
with the arrows that point up the layers of docs/ARCHITECTURE.md (lib 0,
dns 1, core and engines 2, checks 3, milter 4; an engine including another
engine or the core counts as up).  -v lists every arrow.  Pure reading: it
runs nothing of the tree, so any commit can be measured
(git archive COMMIT | tar -x -C DIR).
"""
import os
import re
import sys

INC = re.compile(r'^\s*#\s*include\s+"postern/([a-z0-9_]+)\.h"', re.M)
LAYER = {"lib": 0, "dns": 1, "checks": 3, "milter": 4}


def sources(top):
    out = []
    for base in ("filter", "tools"):
        for root, _, files in os.walk(os.path.join(top, base)):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.join(root, f))
    inc = os.path.join(top, "include", "postern")
    if os.path.isdir(inc):
        out += [os.path.join(inc, f) for f in os.listdir(inc) if f.endswith(".h")]
    return sorted(out)


def owner_map(top, files):
    """header stem -> (module name, folder) from the .c files."""
    cfiles = {}
    for f in files:
        if f.endswith(".c"):
            stem = os.path.basename(f)[:-2]
            cfiles.setdefault(stem, folder_of(top, f))
    owners = {}
    for f in files:
        if "/include/postern/" not in f:
            continue
        h = os.path.basename(f)[:-2]
        if h in cfiles:
            owners[h] = (h, cfiles[h])
        else:
            pre = [s for s in sorted(cfiles) if s.startswith(h + "_")]
            owners[h] = (h, cfiles[pre[0]] if pre else "include")
    return owners, cfiles


def folder_of(top, f):
    rel = os.path.relpath(f, top).split(os.sep)
    if rel[0] == "filter" and len(rel) > 2:
        return rel[1]
    return rel[0]        # filter (flat), tools, include


def module_of(top, f, owners, cfiles):
    stem = os.path.basename(f).rsplit(".", 1)[0]
    if "/include/postern/" in f:
        return owners[stem][0]
    if f.endswith(".c"):
        # X_*.c files of a header X with no X.c form module X
        if stem not in owners:
            for h in owners:
                if stem.startswith(h + "_") and h not in cfiles:
                    return h
        return stem
    return stem          # a private header (mime_int.h): its own module


def circles(nodes, edges):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return sorted(out)


def layer(folder):
    return LAYER.get(folder, 2)


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    top = args[0] if args else "."
    files = sources(top)
    owners, cfiles = owner_map(top, files)
    mods, medges, mfolder = set(), {}, {}
    fedges = {}
    for f in files:
        m = module_of(top, f, owners, cfiles)
        fo = owners[m][1] if m in owners else folder_of(top, f)
        mods.add(m)
        mfolder.setdefault(m, fo)
        with open(f, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for h in INC.findall(text):
            if h not in owners:
                continue
            t, tf = owners[h]
            if t != m:
                medges.setdefault(m, set()).add(t)
            src_f = folder_of(top, f) if "/include/postern/" not in f else fo
            if tf != src_f and "include" not in (tf, src_f):
                fedges.setdefault(src_f, {}).setdefault(tf, 0)
                fedges[src_f][tf] += 1
    narrows = sum(len(v) for v in medges.values())
    print(f"modules: {len(mods)}, include arrows between them: {narrows}")
    for c in circles(mods, medges):
        print("module circle: " + " <-> ".join(c))
    if verbose:
        for a in sorted(medges):
            for b in sorted(medges[a]):
                print(f"  {a} -> {b}")
    folders = {fo for fo in mfolder.values()} - {"include"}
    if folders <= {"filter", "tools"}:
        print("folders: filter/ is flat")
        return
    fe = {a: set(b) for a, b in fedges.items()}
    nfe = sum(len(v) for v in fe.values())
    print(f"folders: {len(folders)}, arrows between them: {nfe}")
    for c in circles(folders, fe):
        print("folder circle: " + " <-> ".join(c))
    up = []
    for a in sorted(fedges):
        for b in sorted(fedges[a]):
            if a in ("tools",) or b in ("tools",):
                continue
            if layer(b) > layer(a) or (layer(a) == layer(b) == 2):
                up.append(f"{a} -> {b} ({fedges[a][b]} includes)")
    print(f"folder arrows up the layers: {len(up)}")
    for u in up:
        print("  up: " + u)
    if verbose:
        for a in sorted(fedges):
            for b in sorted(fedges[a]):
                print(f"  {a} -> {b} ({fedges[a][b]} includes)")


if __name__ == "__main__":
    main()
