#!/usr/bin/env python3
"""smtpfault.py - SMTP clients that misbehave, for tests/e2e/abort.sh.
Each mode prints one line per SMTP reply ("STEP CODE TEXT") and the
Message-ID it used.  XCLIENT ADDR=192.0.2.10.

  smtpfault.py PORT middrop SUBJECT   DATA, half the body, then the TCP
                                      connection is dropped (RST)
  smtpfault.py PORT rset SUBJECT      MAIL, RCPT, RSET, then the same mail
                                      sent in full on the same session
  smtpfault.py PORT bighdr SUBJECT BYTES
                                      a message with one header field of
                                      BYTES bytes (folded at 900 columns)
"""
import socket
import smtplib
import struct
import sys

SENDER, RCPT = "sender@example.org", "user@example.net"


def session(port):
    s = smtplib.SMTP("127.0.0.1", port, timeout=120)
    s.ehlo("client.example")
    s.docmd("XCLIENT", "ADDR=192.0.2.10 NAME=client.example")
    s.ehlo("client.example")
    return s


def message(subject, extra=b"", body=b"a short body\r\n"):
    return (b"From: <" + SENDER.encode() + b">\r\nTo: <" + RCPT.encode() + b">\r\nSubject: " +
            subject.encode() + b"\r\nMessage-ID: <" + subject.encode() + b"@test.example>\r\n" +
            extra + b"\r\n" + body)


def say(step, reply):
    code, text = reply
    print(step, code, text.decode(errors="replace").replace("\n", " "), flush=True)
    return code


def main():
    port, mode, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = session(port)
    if mode == "middrop":
        say("mail", s.mail(SENDER))
        say("rcpt", s.rcpt(RCPT))
        say("data", s.docmd("DATA"))
        body = message(subject, body=b"line of the body\r\n" * 2000)
        s.sock.sendall(body[: len(body) // 2])
        s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sock.close()
        print("dropped mid-body")
    elif mode == "rset":
        say("mail", s.mail(SENDER))
        say("rcpt", s.rcpt(RCPT))
        say("rset", s.rset())
        say("mail", s.mail(SENDER))
        say("rcpt", s.rcpt(RCPT))
        say("data", s.data(message(subject)))
        s.quit()
    elif mode == "bighdr":
        size = int(sys.argv[4])
        chunk = b"x" * 900
        lines = [b"X-Long: " + chunk] + [b" " + chunk] * (size // 901)
        say("mail", s.mail(SENDER))
        say("rcpt", s.rcpt(RCPT))
        try:
            say("data", s.data(message(subject, extra=b"\r\n".join(lines) + b"\r\n")))
            s.quit()
        except smtplib.SMTPException as e:
            print("data ERR", e)


main()
