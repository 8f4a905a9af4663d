#!/usr/bin/python3
"""smtp-chat: drive an SMTP server with a script, for t/smtpd-accept.t.

    smtp-chat.py [--connect HOST:PORT | -- COMMAND ARG...] < SCRIPT

Script lines (Python escapes such as \\r \\n \\x00 \\xff are decoded):
    > TEXT        send TEXT and CRLF
    >> TEXT       send TEXT as it is (no line end added)
    < REGEX       read one whole reply; its last line must match REGEX
    sleep SECS    wait
    eof           the server must close the connection (within 10 s)
    # ...         a comment
Prints every reply line as "S: ..." and exits 0 when every expectation
held, 1 at the first that did not (saying which on stderr)."""
import re
import socket
import subprocess
import sys
import time


class Conn:
    def __init__(self, argv):
        self.buf = b""
        if argv and argv[0] == "--connect":
            host, port = argv[1].rsplit(":", 1)
            self.sock = socket.create_connection((host, int(port)), timeout=10)
            self.proc = None
        else:
            cmd = argv[1:] if argv and argv[0] == "--" else argv
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE)
            self.sock = None

    def send(self, data):
        try:
            if self.sock:
                self.sock.sendall(data)
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def recv(self):
        if self.sock:
            try:
                return self.sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                return b""
        import os
        import select
        r, _, _ = select.select([self.proc.stdout], [], [], 10)
        if not r:
            return b""
        return os.read(self.proc.stdout.fileno(), 65536)

    def line(self):
        while b"\n" not in self.buf:
            d = self.recv()
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r").decode("latin-1")

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            if ln is None:
                return lines, False
            print("S: " + ln)
            lines.append(ln)
            if len(ln) < 4 or ln[3] != "-":
                return lines, True

    def close(self):
        if self.sock:
            self.sock.close()
        else:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            self.proc.wait(timeout=20)


def main():
    c = Conn(sys.argv[1:])
    for n, raw in enumerate(sys.stdin.read().split("\n"), 1):
        if not raw or raw.startswith("#"):
            continue
        op, _, arg = raw.partition(" ")
        if op in (">", ">>"):
            data = arg.encode("latin-1").decode("unicode_escape").encode("latin-1")
        if op == ">":
            print("C: " + arg)
            c.send(data + b"\r\n")
        elif op == ">>":
            print("C: " + arg)
            c.send(data)
        elif op == "<":
            lines, ok = c.reply()
            if not ok or not re.search(arg, lines[-1]):
                sys.stderr.write("line %d: want /%s/, got %r\n" % (n, arg, lines))
                c.close()
                return 1
        elif op == "sleep":
            time.sleep(float(arg))
        elif op == "eof":
            ln = c.line()
            if ln is not None:
                print("S: " + ln)
                sys.stderr.write("line %d: want end of connection, got %r\n" % (n, ln))
                c.close()
                return 1
            print("S: <eof>")
        else:
            sys.stderr.write("line %d: unknown op %r\n" % (n, op))
            return 1
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
