#!/usr/bin/env python3
"""fakemilter.py - a scripted milter for testing the load client.

    fakemilter.py PORT READYFILE MODE LOGFILE

Serves connections on 127.0.0.1:PORT (one at a time) until killed,
writes READYFILE once listening and one line per received command to
LOGFILE ("C", "D C {daemon_name}", "L Subject", "A", ...).  MODE:

  mods        negotiate every action, no-reply headers, SKIP, a macro list
              for connect; at the body answer SKIP; at end of message send
              progress, then one of each modification action, then continue
  rcptreject  answer 550 (SMFIR_REPLYCODE) to every RCPT
  badmod      at end of message send a body replacement the client did not
              get to negotiate (actions = add headers only)
"""
import socket
import struct
import sys

SMFIP_NR_HDR, SMFIP_SKIP = 0x80, 0x400
port, ready, mode, logfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
log = open(logfile, "a", buffering=1)


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        chunk = c.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def serve(c):
    proto = 0
    while True:
        n = struct.unpack(">I", recv_exact(c, 4))[0]
        data = recv_exact(c, n)
        cmd, body = data[:1], data[1:]
        if cmd == b"D":
            names = body[1:].split(b"\0")[0::2]
            log.write("D %s %s\n" % (body[:1].decode(), " ".join(x.decode() for x in names if x)))
            continue
        if cmd == b"L":
            log.write("L %s\n" % body.split(b"\0")[0].decode())
        else:
            log.write(cmd.decode() + "\n")
        if cmd == b"O":
            acts = 0x01 if mode == "badmod" else 0x1ff
            proto = SMFIP_NR_HDR | SMFIP_SKIP if mode == "mods" else 0
            reply = struct.pack(">III", 6, acts, proto)
            if mode == "mods":   # macro list: stage 0 (connect)
                reply += struct.pack(">I", 0) + b"{daemon_name}\0"
            c.sendall(pkt(b"O", reply))
        elif cmd in (b"A", b"Q", b"K"):
            if cmd == b"Q":
                return
        elif cmd == b"L" and proto & SMFIP_NR_HDR:
            pass
        elif cmd == b"R" and mode == "rcptreject":
            c.sendall(pkt(b"y", b"550 5.1.1 no such user\0"))
        elif cmd == b"B" and mode == "mods":
            c.sendall(pkt(b"s"))
        elif cmd == b"E":
            out = b""
            if mode == "mods":
                out += pkt(b"p")
                out += pkt(b"h", b"X-Added\0 yes\0")
                out += pkt(b"i", struct.pack(">I", 0) + b"X-Ins\0 first\0")
                out += pkt(b"m", struct.pack(">I", 1) + b"Subject\0\0")
                out += pkt(b"+", b"<new@example.com>\0")
                out += pkt(b"-", b"<user@example.com>\0")
                out += pkt(b"q", b"held for review\0")
            elif mode == "badmod":
                out += pkt(b"b", b"new body\r\n")
            c.sendall(out + pkt(b"c"))
        else:
            c.sendall(pkt(b"c"))


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
open(ready, "w").close()
while True:
    conn, _ = s.accept()
    try:
        serve(conn)
    except (EOFError, OSError):
        pass
    conn.close()
