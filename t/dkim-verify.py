#!/usr/bin/python3
# dkim-verify.py RECORDS < message: verify every DKIM-Signature of the
# message with dkimpy (Debian's python3-dkim), a second implementation
# beside ours.  RECORDS is either a file of lines "NAME TXT" (the key
# records, as dkim-sign --dns-record prints them, joined), which dkimpy's
# dnsfunc hook answers from, or @ADDR:PORT, a DNS server on loopback
# asked through dnspython.  Prints one line per
# signature, "s=SELECTOR a=ALGORITHM pass|fail", and exits 1 unless
# every one passed.
import sys
import dkim

recs = {}
server = None
if sys.argv[1].startswith("@"):
    import dns.resolver
    server = dns.resolver.Resolver(configure=False)
    addr, _, port = sys.argv[1][1:].rpartition(":")
    server.nameservers = [addr]
    server.port = int(port)
else:
    for line in open(sys.argv[1], encoding="ascii"):
        name, _, txt = line.strip().partition(" ")
        if name:
            recs[name.rstrip(".").lower()] = txt.encode()


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    if server is None:
        return recs.get(name.rstrip(".").lower())
    try:
        a = server.resolve(name, "TXT", lifetime=timeout)
    except Exception:
        return None
    # the strings of one record, joined (RFC 6376 3.6.2.2)
    return b"".join(a[0].strings)


msg = sys.stdin.buffer.read()
d = dkim.DKIM(msg)
n = len([h for h in d.headers if h[0].lower() == b"dkim-signature"])
ok = n > 0
for i in range(n):
    good = d.verify(idx=i, dnsfunc=dnsfunc)
    sig = d.signature_fields
    print("s=%s a=%s %s" % (sig.get(b"s", b"?").decode(),
                            sig.get(b"a", b"?").decode(),
                            "pass" if good else "fail"))
    ok = ok and good
sys.exit(0 if ok else 1)
