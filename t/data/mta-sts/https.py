#!/usr/bin/python3
# https.py DIR: the MTA-STS policy servers of t/mta-sts.t, one HTTPS
# listener on 127.0.0.1 (a free port, printed) for every host, as
# https://mta-sts.DOMAIN/.well-known/mta-sts.txt.  What host H serves is in
# DIR/H/: "policy" (the body), optional "type" (Content-Type, default
# text/plain), "status" (default 200), "size" (pad the body with that many
# 'a' bytes); a certificate DIR/H/cert.pem with key.pem replaces the
# default DIR/cert.pem, key.pem, chosen by the TLS server name (SNI).
# Every request is logged to DIR/requests, one "HOST PATH" line each.
import http.server, os, socketserver, ssl, sys

top = sys.argv[1]


def context(cert, key):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(cert, key)
    return c


default = context(os.path.join(top, "cert.pem"), os.path.join(top, "key.pem"))


def by_name(sock, name, ctx):
    d = os.path.join(top, name or "")
    if name and os.path.exists(os.path.join(d, "cert.pem")):
        sock.context = context(os.path.join(d, "cert.pem"),
                               os.path.join(d, "key.pem"))


default.sni_callback = by_name


def read(host, name, default_value):
    try:
        with open(os.path.join(top, host, name), "rb") as f:
            return f.read()
    except OSError:
        return default_value


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        with open(os.path.join(top, "requests"), "a") as f:
            f.write("%s %s\n" % (host, self.path))
        body = read(host, "policy", None)
        if body is None or self.path != "/.well-known/mta-sts.txt":
            self.send_error(404)
            return
        body += b"a" * int(read(host, "size", b"0"))
        self.send_response(int(read(host, "status", b"200")))
        self.send_header("Content-Type",
                         read(host, "type", b"text/plain").decode().strip())
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
srv.socket = default.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
