#!/usr/bin/env python3
"""smtpc.py - a scripted SMTP client for the end-to-end tests, for what
swaks cannot do: ESMTP SIZE= on MAIL FROM, and killing postern in the
middle of a session.  Prints one line per SMTP reply: "STEP CODE TEXT".

  smtpc.py PORT size   XCLIENT_ADDR FROM TO SIZE
  smtpc.py PORT kill9  XCLIENT_ADDR FROM TO PID MSGFILE
"""
import os
import signal
import smtplib
import sys


def session(port, addr):
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo("client.example")
    code, text = s.docmd("XCLIENT", "ADDR=" + addr + " NAME=client.example")
    print("xclient", code, text.decode(errors="replace"))
    s.ehlo("client.example")   # XCLIENT restarts the session
    return s


def main():
    port, mode, addr, sender, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    s = session(port, addr)
    if mode == "size":
        code, text = s.mail(sender, ["SIZE=" + sys.argv[6]])
        print("mail", code, text.decode(errors="replace"))
    elif mode == "kill9":
        pid, msgfile = int(sys.argv[6]), sys.argv[7]
        code, text = s.mail(sender)
        print("mail", code, text.decode(errors="replace"))
        code, text = s.rcpt(rcpt)
        print("rcpt", code, text.decode(errors="replace"))
        os.kill(pid, signal.SIGKILL)
        with open(msgfile, "rb") as f:
            body = f.read()
        code, text = s.data(body)
        print("data", code, text.decode(errors="replace"))
    try:
        s.quit()
    except smtplib.SMTPException:
        pass
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except smtplib.SMTPResponseException as e:
        print("error", e.smtp_code, e.smtp_error.decode(errors="replace"))
    except smtplib.SMTPDataError as e:
        print("data", e.smtp_code, e.smtp_error.decode(errors="replace"))
