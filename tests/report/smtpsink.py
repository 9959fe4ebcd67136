#!/usr/bin/env python3
"""smtpsink.py - an SMTP server for tests/report/smtp.sh: takes mail on
127.0.0.1 (its port written to PORTFILE once it listens), offers STARTTLS
with --tls CERT KEY, and keeps each message as it arrived on the wire
(N.wire, dot-stuffed) and as delivered (N.eml, dot-stuffing undone), with
N.env: the HELO/EHLO names, MAIL FROM, RCPT TO and whether TLS was on.

  smtpsink.py PORTFILE OUTDIR [--tls CERT KEY] [--reply STEP=CODE] [--stall STEP]

--reply answers STEP (ehlo, mail, rcpt, data, end) with CODE and a text
instead of accepting; --stall never answers STEP (for timeouts).  Runs until
killed.
"""
import os
import socket
import socketserver
import ssl
import sys
import threading

args = sys.argv[1:]
PORTFILE, OUT = args[0], args[1]
TLS = None
REPLY = {}
STALL = set()
i = 2
while i < len(args):
    if args[i] == "--tls":
        TLS = (args[i + 1], args[i + 2])
        i += 3
    elif args[i] == "--reply":
        k, v = args[i + 1].split("=", 1)
        REPLY[k] = int(v)
        i += 2
    elif args[i] == "--stall":
        STALL.add(args[i + 1])
        i += 2
    else:
        sys.exit("smtpsink.py: unknown option " + args[i])
COUNT = [0]
LOCK = threading.Lock()


class Session(socketserver.StreamRequestHandler):
    def say(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def step(self, name, ok):
        if name in STALL:
            threading.Event().wait(3600)
        code = REPLY.get(name)
        if code is not None:
            self.say("%d %s refused by the test sink" % (code, "5.7.1" if code >= 500 else "4.3.0"))
            return False
        self.say(ok)
        return True

    def handle(self):
        env = {"helo": [], "tls": "no"}
        self.say("220 sink.test ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("ascii", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                env["helo"].append(cmd)
                if verb == "HELO":
                    self.step("ehlo", "250 sink.test")
                    continue
                ext = ["250-sink.test", "250-PIPELINING", "250-8BITMIME"]
                if TLS and env["tls"] == "no":
                    ext.append("250-STARTTLS")
                ext.append("250 SIZE 10240000")
                if "ehlo" in REPLY or "ehlo" in STALL:
                    self.step("ehlo", "")
                    continue
                self.say("\r\n".join(ext))
            elif verb == "STARTTLS" and TLS and env["tls"] == "no":
                self.say("220 2.0.0 ready to start TLS")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(TLS[0], TLS[1])
                self.request = ctx.wrap_socket(self.request, server_side=True)
                self.rfile = self.request.makefile("rb")
                self.wfile = self.request.makefile("wb")
                env["tls"] = "yes"
                env["cipher"] = self.request.version()
            elif verb == "MAIL":
                env["mail"] = cmd
                self.step("mail", "250 2.1.0 ok")
            elif verb == "RCPT":
                env.setdefault("rcpt", []).append(cmd)
                self.step("rcpt", "250 2.1.5 ok")
            elif verb == "DATA":
                if not self.step("data", "354 end with <CRLF>.<CRLF>"):
                    continue
                wire = b""
                while True:
                    l = self.rfile.readline()
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                    wire += l
                body = b"".join(l[1:] if l.startswith(b".") else l
                                for l in wire.splitlines(keepends=True))
                if self.step("end", "250 2.0.0 queued"):
                    with LOCK:
                        COUNT[0] += 1
                        n = COUNT[0]
                    with open(os.path.join(OUT, "%d.wire" % n), "wb") as f:
                        f.write(wire)
                    with open(os.path.join(OUT, "%d.eml" % n), "wb") as f:
                        f.write(body)
                    with open(os.path.join(OUT, "%d.env" % n), "w") as f:
                        for k in ("helo", "mail", "rcpt", "tls", "cipher"):
                            v = env.get(k, "")
                            f.write("%s=%s\n" % (k, " | ".join(v) if isinstance(v, list) else v))
            elif verb == "QUIT":
                self.say("221 2.0.0 bye")
                return
            elif verb == "RSET":
                self.say("250 2.0.0 ok")
            else:
                self.say("502 5.5.2 not implemented")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Session)
tmp = PORTFILE + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(tmp, PORTFILE)
srv.serve_forever()
