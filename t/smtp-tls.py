#!/usr/bin/python3
"""smtp-tls HOST PORT: STARTTLS against smtpd-accept, for t/smtpd-accept.t.
Prints one line per check, "ok NAME" or "not ok NAME: why"; exits 0 when
all passed.  Certificates are not verified (the test makes its own)."""
import smtplib
import socket
import ssl
import sys

host, port = sys.argv[1], int(sys.argv[2])
fails = 0


def check(name, cond, why=""):
    global fails
    if cond:
        print("ok " + name)
    else:
        fails += 1
        print("not ok %s: %s" % (name, why))


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


# smtplib: STARTTLS, then a message
s = smtplib.SMTP(host, port, local_hostname="tls.example", timeout=10)
s.ehlo()
check("STARTTLS offered", s.has_extn("starttls"))
code, _ = s.starttls(context=ctx())
check("STARTTLS answered 220", code == 220, code)
check("TLS 1.2 or newer", s.sock.version() in ("TLSv1.2", "TLSv1.3"), s.sock.version())
s.ehlo()
check("no STARTTLS offered inside TLS", not s.has_extn("starttls"))
code, _ = s.docmd("STARTTLS")
check("a second STARTTLS is refused (503)", code == 503, code)
r = s.sendmail("a@tls.example", ["x@ourco.example"], "Subject: tls\r\n\r\nover TLS\r\n")
check("a message over TLS is accepted", r == {}, r)
s.quit()


def reply(f):
    lines = []
    while True:
        ln = f.readline().decode("latin-1")
        if not ln:
            return lines
        lines.append(ln.rstrip("\r\n"))
        if len(ln) < 4 or ln[3] != "-":
            return lines


# state is reset: MAIL right after the handshake needs a new EHLO
raw = socket.create_connection((host, port), timeout=10)
f = raw.makefile("rb")
reply(f)
raw.sendall(b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\n")
reply(f)
reply(f)
raw.sendall(b"STARTTLS\r\n")
reply(f)
t = ctx().wrap_socket(raw)
tf = t.makefile("rb")
t.sendall(b"RCPT TO:<x@ourco.example>\r\n")
r = reply(tf)
check("the transaction before STARTTLS is forgotten (RFC 3207)", r and r[0].startswith("503"), r)
t.sendall(b"MAIL FROM:<a@a.example>\r\n")
r = reply(tf)
check("MAIL without a new EHLO after TLS gets 503", r and r[0].startswith("503"), r)
t.sendall(b"QUIT\r\n")
reply(tf)
t.close()

# CVE-2011-0411: plaintext pipelined after STARTTLS must not run inside TLS
raw = socket.create_connection((host, port), timeout=10)
f = raw.makefile("rb")
reply(f)
raw.sendall(b"EHLO a.example\r\n")
reply(f)
raw.sendall(b"STARTTLS\r\nNOOP\r\nRSET\r\n")
r = reply(f)
check("STARTTLS with injected commands still answered 220", r and r[0].startswith("220"), r)
try:
    t = ctx().wrap_socket(raw)
    tf = t.makefile("rb")
    t.sendall(b"EHLO b.example\r\n")
    r = reply(tf)
    check("injected plaintext is not executed: first TLS reply is EHLO's",
          r and r[0].startswith("250-"), r)
    t.sendall(b"QUIT\r\n")
    reply(tf)
    t.close()
except (ssl.SSLError, ConnectionError, OSError) as e:
    # the server read the injected bytes as a TLS record and gave up:
    # also safe, nothing was executed
    check("injected plaintext is not executed (handshake refused)", True)

sys.exit(1 if fails else 0)
