#!/usr/bin/python3
"""A small ICAP server (RFC 3507) for t/virus-scan.t: RESPMOD and REQMOD
with a body in chunks; the body goes to a clamd by INSTREAM and the answer
comes back as 204 (clean) or 200 with X-Infection-Found (a virus), or 500
when clamd could not scan.  Also broken engines in clamd's place:
'stall' accepts and never answers, 'garbage' answers what no engine says,
'flood' answers 1 MiB without an end.
Usage: icapd.py PORTFILE CLAMD_SOCKET|stall|garbage|flood [tcp|unix:PATH]"""
import socket, socketserver, struct, sys, threading, time

portfile, clamd = sys.argv[1], sys.argv[2]
where = sys.argv[3] if len(sys.argv) > 3 else "tcp"


def clamd_scan(body):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(clamd)
    s.sendall(b"zINSTREAM\0")
    for i in range(0, len(body), 65536):
        c = body[i:i + 65536]
        s.sendall(struct.pack("!I", len(c)) + c)
    s.sendall(struct.pack("!I", 0))
    a = b""
    while not a.endswith(b"\0"):
        r = s.recv(4096)
        if not r:
            break
        a += r
    s.close()
    return a.rstrip(b"\0").decode("ascii", "replace")


class H(socketserver.StreamRequestHandler):
    def handle(self):
        if clamd == "stall":
            time.sleep(120)
            return
        if clamd == "flood":
            self.request.recv(65536)
            try:
                self.request.sendall(b"A" * 1048576)
            except OSError:
                pass
            time.sleep(1)
            return
        if clamd == "garbage":
            self.request.recv(65536)
            self.request.sendall(b"I am not an engine\0")
            time.sleep(1)
            return
        line = self.rfile.readline()
        hdrs = {}
        while True:
            h = self.rfile.readline()
            if h in (b"\r\n", b""):
                break
            k, _, v = h.decode().partition(":")
            hdrs[k.strip().lower()] = v.strip()
        enc = dict(x.strip().split("=") for x in hdrs["encapsulated"].split(","))
        bodykey = [k for k in enc if k.endswith("-body")][0]
        self.rfile.read(int(enc[bodykey]))
        body = b""
        while True:
            n = int(self.rfile.readline().strip(), 16)
            if n == 0:
                self.rfile.readline()
                break
            body += self.rfile.read(n)
            self.rfile.readline()
        if not line.startswith((b"RESPMOD ", b"REQMOD ")):
            self.wfile.write(b"ICAP/1.0 405 Method Not Allowed\r\n\r\n")
            return
        try:
            a = clamd_scan(body)
        except OSError as e:
            a = "ERROR " + str(e)
        if a == "stream: OK":
            self.wfile.write(b"ICAP/1.0 204 No Content\r\nISTag: \"t1\"\r\n"
                             b"Encapsulated: null-body=0\r\n\r\n")
        elif a.endswith(" FOUND"):
            name = a[len("stream: "):-len(" FOUND")]
            page = b"blocked\n"
            http = (b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n"
                    % len(page))
            self.wfile.write(b"ICAP/1.0 200 OK\r\nISTag: \"t1\"\r\n"
                             b"X-Infection-Found: Type=0; Resolution=2; Threat="
                             + name.encode() + b";\r\n"
                             b"Encapsulated: res-hdr=0, res-body=%d\r\n\r\n"
                             % len(http) + http + b"%x\r\n" % len(page) + page
                             + b"\r\n0\r\n\r\n")
        else:
            self.wfile.write(b"ICAP/1.0 500 Server Error\r\n\r\n")


class TS(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class US(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if where.startswith("unix:"):
    srv = US(where[5:], H)
    port = where[5:]
else:
    srv = TS(("127.0.0.1", 0), H)
    port = str(srv.server_address[1])
with open(portfile + ".tmp", "w") as f:
    f.write(port + "\n")
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
