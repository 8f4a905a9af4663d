#!/usr/bin/python3
"""mime-compare.py BINDIR [CORPUS]: does mime-explode take mail apart as
Python's email package (compat32 policy) does?  For every message of the
corpus, the set of SHA-256 digests of the decoded MIME leaves on each side
(mime-explode -d, leaves only: no container members; Python: every
non-multipart part of msg.walk(), get_payload(decode=True)).  Prints one
line per message that differs, with the reason when a known one applies,
and the agreement rate last.  Exit 0 when at least 99% agree."""
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import email
import email.policy

LEAF = re.compile(r'^[0-9.]+(~[0-9]+)?$')   # "2.1": a MIME leaf, no member


def py_leaves(path):
    with open(path, 'rb') as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.compat32)
    out = []
    for part in m.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if data is None:
            data = b''
        out.append(hashlib.sha256(data).hexdigest())
    return sorted(out), m


def ours(bindir, files, work):
    """Digests per file, from one mime-explode -d run over all of them."""
    subprocess.run([os.path.join(bindir, 'mime-explode'), '-d', work] + files,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res = []
    for i in range(1, len(files) + 1):
        d = os.path.join(work, str(i)) if len(files) > 1 else work
        digs = []
        if os.path.isdir(d):
            for name in os.listdir(d):
                if LEAF.match(name):
                    with open(os.path.join(d, name), 'rb') as fh:
                        digs.append(hashlib.sha256(fh.read()).hexdigest())
        res.append(sorted(digs))
    return res


def reason(m, a, b):
    ctes = {str(p.get('Content-Transfer-Encoding', '')).strip().lower()
            for p in m.walk()}
    for p in m.walk():
        if p.get_content_type() == 'message/delivery-status':
            return ('message/delivery-status: Python parses its field '
                    'blocks as empty messages; we keep it as one leaf')
        if (str(p.get('Content-Transfer-Encoding', '')).strip().lower() ==
                'base64' and not p.is_multipart()):
            raw = p.get_payload(decode=False)
            dec = p.get_payload(decode=True) or b''
            # compat32 hands back the undecoded text when binascii
            # refuses it (a length that is 1 more than a multiple of 4,
            # a list footer after the base64)
            if isinstance(raw, str) and dec and (
                    dec == b''.join(raw.encode('raw-unicode-escape')
                                    .splitlines()) or
                    re.fullmatch(rb"[A-Za-z0-9+/=]+", dec)):
                return ('malformed base64: Python gives up and returns the '
                        'encoded text; we decode leniently, as clients do')
    if ctes & {'x-uuencode', 'uuencode', 'x-uue'}:
        return 'uuencoded part'
    if any(len(p.get_all('Content-Type') or []) > 1 for p in m.walk()):
        return 'two Content-Type fields'
    if len(a) != len(b):
        return 'leaf count %d vs %d' % (len(a), len(b))
    if 'quoted-printable' in ctes:
        return 'quoted-printable decoding'
    if 'base64' in ctes:
        return 'base64 decoding'
    return 'unknown'


def main():
    bindir = sys.argv[1]
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(__file__), '..', '..', '..', 'shared', 'corpus')
    files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(corpus)
                   for f in fs if f.endswith('.txt'))
    same = 0
    for k in range(0, len(files), 500):
        batch = files[k:k + 500]
        with tempfile.TemporaryDirectory() as work:
            got = ours(bindir, batch, work)
        for f, b in zip(batch, got):
            a, m = py_leaves(f)
            if a == b:
                same += 1
            else:
                print('%s: differs: %s' % (os.path.relpath(f, corpus),
                                           reason(m, a, b)))
    rate = 100.0 * same / max(len(files), 1)
    print('agreement: %d of %d messages (%.2f%%)' % (same, len(files), rate))
    return 0 if rate >= 99.0 else 1


if __name__ == '__main__':
    sys.exit(main())
