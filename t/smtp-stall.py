#!/usr/bin/python3
"""smtp-stall: a hostile client that holds a server, for t/smtpd-timeouts.t.

    smtp-stall.py MODE CAP -- COMMAND ARG...

Makes a TCP connection on loopback, gives the server's end to COMMAND as
fds 0 and 1 (smtpd-accept's contract), and behaves as MODE says:
    silent-tls  EHLO, STARTTLS, then never a ClientHello
    half-hello  EHLO, STARTTLS, then half a ClientHello, then nothing
    drip-hello  EHLO, STARTTLS, then the ClientHello one byte a second
    no-read     pipelines EHLO without ever reading a reply
    no-read-tls the same inside TLS
    drip        "NOOP\\r\\n" one byte every 0.4 s, for ever
    idle        reads the banner, then nothing
Prints "elapsed=SECONDS rc=STATUS" when COMMAND exits, or "elapsed=cap"
(and kills it) when it is still there after CAP seconds; then every
reply line the client read as "S: ...".  Exits 0."""
import os
import socket
import ssl
import subprocess
import sys
import time

mode, cap = sys.argv[1], float(sys.argv[2])
cmd = sys.argv[4:] if sys.argv[3] == "--" else sys.argv[3:]

lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(1)
cli = socket.socket()
if mode.startswith("no-read"):
    # a small window: the server's writes block sooner
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
cli.connect(lst.getsockname())
srv, _ = lst.accept()
lst.close()
start = time.monotonic()
proc = subprocess.Popen(cmd, stdin=srv, stdout=srv)
srv.close()
seen = b""


def gone():
    return proc.poll() is not None or time.monotonic() - start > cap


def reply(sock):
    """One whole reply, or what came before the end."""
    global seen
    buf = b""
    sock.settimeout(max(0.1, cap - (time.monotonic() - start)))
    while True:
        try:
            d = sock.recv(1)
        except (OSError, ssl.SSLError):
            d = b""
        if not d:
            seen += buf
            return buf
        buf += d
        if buf.endswith(b"\n"):
            ln = buf.split(b"\n")[-2]
            if len(ln) < 4 or ln[3:4] != b"-":
                seen += buf
                return buf


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def starttls():
    reply(cli)
    cli.sendall(b"EHLO stall.example\r\n")
    reply(cli)
    cli.sendall(b"STARTTLS\r\n")
    reply(cli)


def client_hello():
    """The bytes of a real ClientHello, from a memory BIO."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx().wrap_bio(inc, out, server_side=False)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def flood(send):
    """Send EHLO after EHLO, never reading, until the server stops taking
    them for a second (its writes to us are blocked)."""
    line = b"EHLO flood.example\r\n" * 200
    stuck = None
    while not gone():
        try:
            send(line)
            stuck = None
        except (BlockingIOError, ssl.SSLWantWriteError, socket.timeout):
            stuck = stuck or time.monotonic()
            if time.monotonic() - stuck > 1:
                return
            time.sleep(0.05)
        except (OSError, ssl.SSLError):
            return


if mode == "idle":
    reply(cli)
elif mode == "silent-tls":
    starttls()
elif mode == "half-hello":
    starttls()
    h = client_hello()
    cli.sendall(h[: len(h) // 2])
elif mode == "drip-hello":
    starttls()
    for b in client_hello():
        if gone():
            break
        try:
            cli.sendall(bytes([b]))
        except OSError:
            break
        time.sleep(1)
elif mode == "no-read":
    reply(cli)
    cli.setblocking(False)
    flood(cli.send)
elif mode == "no-read-tls":
    starttls()
    t = ctx().wrap_socket(cli)
    t.sendall(b"EHLO tls.example\r\n")
    reply(t)
    t.settimeout(0.2)
    flood(t.send)
elif mode == "drip":
    reply(cli)
    cli.setblocking(False)
    i = 0
    while not gone():
        try:
            cli.send(b"NOOP\r\n"[i % 6:i % 6 + 1])
            i += 1
        except BlockingIOError:
            pass
        except OSError:
            break
        try:
            d = cli.recv(4096)
            seen += d
        except BlockingIOError:
            pass
        except OSError:
            pass
        time.sleep(0.4)
    cli.setblocking(True)
else:
    sys.exit("unknown mode " + mode)

while not gone():
    time.sleep(0.05)
if proc.poll() is None:
    proc.kill()
    proc.wait()
    print("elapsed=cap")
else:
    print("elapsed=%.1f rc=%d" % (time.monotonic() - start, proc.returncode))
if not mode.startswith("no-read"):
    cli.settimeout(0.5)
    try:
        while True:
            d = cli.recv(4096)
            if not d:
                break
            seen += d
    except OSError:
        pass
for ln in seen.decode("latin-1").split("\n"):
    if ln.strip():
        print("S: " + ln.rstrip("\r"))
sys.exit(0)
