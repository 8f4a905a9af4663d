#!/usr/bin/python3
# arc-verify.py RECORDS < message: validate the message's ARC chain with
# dkimpy's arc_verify (Debian's python3-dkim), a second implementation
# beside ours.  RECORDS is a file of lines "NAME TXT" (the key records,
# strings joined), answered through dkimpy's dnsfunc hook.  Prints
# "cv=RESULT i=N reason" and exits 0 when the chain passes, 1 otherwise.
import sys
import dkim

recs = {}
for line in open(sys.argv[1], encoding="ascii"):
    name, _, txt = line.strip().partition(" ")
    if name:
        recs[name.rstrip(".").lower()] = txt.encode()


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return recs.get(name.rstrip(".").lower())


msg = sys.stdin.buffer.read()
cv, results, why = dkim.arc_verify(msg, dnsfunc=dnsfunc)
cv = cv.decode() if isinstance(cv, bytes) else str(cv)
print("cv=%s i=%d %s" % (cv, len(results), why))
sys.exit(0 if cv == "pass" else 1)
