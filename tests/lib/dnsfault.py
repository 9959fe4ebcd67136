#!/usr/bin/env python3
"""dnsfault.py - a UDP DNS proxy on loopback that injects faults.

    dnsfault.py LISTEN_PORT UPSTREAM_PORT MODEFILE

Forwards each query to 127.0.0.1:UPSTREAM_PORT (the unbound fixture of
tests/lib/dns.sh) and relays the answer, unless MODEFILE (read for every
query; missing or empty = pass) names a fault:

    pass          relay (the default)
    drop          no answer at all (the client times out)
    slow MS       relay the answer MS milliseconds late
    servfail      answer SERVFAIL (rcode 2) at once
    refused       answer REFUSED (rcode 5) at once
    garbage       answer with the query's id and QR set, claiming five
                  answer records, followed by random bytes (unparseable)
    noise         answer 40 random bytes (wrong id, not DNS at all)

Each query is handled in its own thread, so a slow answer does not hold up
the next query.  Prints "ready" once listening.  Used by tests/dns/faults.sh
through tests/lib/dnsfault.sh.
"""
import os
import random
import socket
import struct
import sys
import threading
import time

listen_port, upstream_port, modefile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", listen_port))


def mode():
    try:
        with open(modefile) as f:
            return f.read().split() or ["pass"]
    except OSError:
        return ["pass"]


def question(pkt):
    """The question section (name, type, class) of a query, or b''."""
    off = 12
    try:
        while pkt[off] != 0:
            off += pkt[off] + 1
        return pkt[12:off + 5]
    except IndexError:
        return b""


def rcode_reply(pkt, rcode):
    q = question(pkt)
    flags = 0x8000 | (struct.unpack(">H", pkt[2:4])[0] & 0x0100) | 0x0080 | rcode
    return pkt[:2] + struct.pack(">HHHHH", flags, 1 if q else 0, 0, 0, 0) + q


def handle(pkt, addr, m):
    kind = m[0]
    if kind == "drop":
        return
    if kind == "servfail":
        sock.sendto(rcode_reply(pkt, 2), addr)
        return
    if kind == "refused":
        sock.sendto(rcode_reply(pkt, 5), addr)
        return
    if kind == "garbage":
        junk = bytes(random.randrange(256) for _ in range(48))
        sock.sendto(pkt[:2] + b"\x81\x80\x00\x01\x00\x05\x00\x00\x00\x00" + junk, addr)
        return
    if kind == "noise":
        sock.sendto(os.urandom(40), addr)
        return
    if kind == "slow":
        time.sleep(int(m[1]) / 1000.0)
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.settimeout(5)
    try:
        up.sendto(pkt, ("127.0.0.1", upstream_port))
        sock.sendto(up.recv(65535), addr)
    except OSError:
        pass            # upstream down: no answer, as from a dead server
    finally:
        up.close()


print("ready", flush=True)
while True:
    pkt, addr = sock.recvfrom(65535)
    if len(pkt) < 12:
        continue
    threading.Thread(target=handle, args=(pkt, addr, mode()), daemon=True).start()
