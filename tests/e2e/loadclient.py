#!/usr/bin/env python3
"""loadclient.py - a sending MTA's view of a run: numbered messages, each
with its own Message-ID, sent through Postfix in sessions of PER_SESSION
messages (XCLIENT ADDR=192.0.2.10), one log line per attempt:

    N <MESSAGE-ID> CODE STAGE      e.g.  17 <load-17@test.example> 250 data
                                         18 <load-18@test.example> 451 rcpt
                                         19 <load-19@test.example> ERR data

CODE 250 at stage "data" means the message was accepted (the sender may
forget it); anything else means it is still queued at the sender and is
sent again by "retry".  ERR: the connection broke (the client reconnects).

  loadclient.py PORT send  COUNT LOG [PER_SESSION]   messages 1..COUNT
  loadclient.py PORT retry LOG [PER_SESSION]         those not yet accepted
                                                     (appends to LOG)
Prints "accepted A pending P" at the end.  Used by tests/e2e/crash.sh.
"""
import smtplib
import sys

SENDER, RCPT = "sender@example.org", "user@example.net"


def connect(port):
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo("client.example")
    s.docmd("XCLIENT", "ADDR=192.0.2.10 NAME=client.example")
    s.ehlo("client.example")
    return s


def body(n):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: load %d\r\nMessage-ID: <load-%d@test.example>\r\n"
            "\r\nmessage %d of a load run\r\n" % (SENDER, RCPT, n, n, n)).encode()


def send_one(s, n):
    """(code, stage) of one transaction on session s."""
    code, _ = s.mail(SENDER)
    if code != 250:
        s.rset()
        return code, "mail"
    code, _ = s.rcpt(RCPT)
    if code not in (250, 251):
        s.rset()
        return code, "rcpt"
    code, _ = s.data(body(n))
    return code, "data"


def run(port, numbers, log, per_session):
    s = None
    done = 0
    with open(log, "a") as out:
        for n in numbers:
            stage = "connect"
            try:
                if s is None or done % per_session == 0:
                    if s is not None:
                        try:
                            s.quit()
                        except smtplib.SMTPException:
                            pass
                    s = connect(port)
                code, stage = send_one(s, n)
            except (smtplib.SMTPException, OSError):
                code, s = "ERR", None
            done += 1
            out.write("%d <load-%d@test.example> %s %s\n" % (n, n, code, stage))
            out.flush()
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


def status(log):
    accepted, seen = set(), set()
    with open(log) as f:
        for line in f:
            n, _, code, stage = line.split()
            seen.add(int(n))
            if code == "250" and stage == "data":
                accepted.add(int(n))
    return accepted, sorted(seen - accepted)


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "send":
        count, log = int(sys.argv[3]), sys.argv[4]
        per = int(sys.argv[5]) if len(sys.argv) > 5 else 10
        open(log, "w").close()
        run(port, range(1, count + 1), log, per)
    else:
        log = sys.argv[3]
        per = int(sys.argv[4]) if len(sys.argv) > 4 else 10
        run(port, status(log)[1], log, per)
    accepted, pending = status(log)
    print("accepted %d pending %d" % (len(accepted), len(pending)))


main()
