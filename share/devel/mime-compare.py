#!/usr/bin/python3
"""mime-compare.py [-v] [--template] [--explained FILE] BINDIR [SHARED]

The parser differential: does mime-explode take mail apart as Python's
email package does, under both its policies (compat32 and default)?

Messages: every message of the development corpus (SHARED/corpus/{spam,
ham,hard-ham}/*.txt) and every file of SHARED/peer-suites/mime/ but the
licence and readme files (COPYING, README*, LICENSE*, *.md), read in
place.  SHARED is ../shared beside the repository, or $PORTCULLIS_SHARED.

What is compared, per message: the multiset of SHA-256 digests of the
decoded MIME leaves, each with CRLF read as LF: Python's
message_from_binary_file reads through a text wrapper with universal
newlines, which turns every CRLF, and every lone CR, into LF (so Python
reads lone CRs as line ends, as our lenient reading and mail clients do).
  Python  message_from_binary_file, then every part of msg.walk() that is
          not multipart (message/* is recursed into, as rfc822 is by us),
          get_payload(decode=True), None read as empty; once per policy.
  ours    mime-explode --list -d, the strict reading only: the first item
          under each MIME leaf number (1, 2.1; the numbers of an attached
          message below it).  Not compared, counted apart: the lenient
          reading's leaves (lax/...), a second item under the same number
          with other bytes (another decoding, flagged other-reading); a
          second item with the same bytes (another name) is the same
          leaf.  Container members, blocks found inside parts (uuencode,
          BinHex, TNEF, data: URIs) and path 0 are ours alone: Python has
          no such reading, so they are left out.
A message agrees when our strict leaves equal Python's under both
policies.  Otherwise it disagrees under compat32, default or both, and
is "covered" when every leaf Python decodes is a leaf, or the start of a
leaf, of one of our readings (strict, lax, second decodings): then no
attachment Python sees escapes the checkers, which judge every reading.
A Python leaf that is only a part's own text left undecoded (a multipart
it found no parts in, a transfer encoding it does not know or gave up
on, the encoded text of a base64 message/rfc822) or empty is no payload
and is not counted.  "uncovered" means Python decodes bytes we do not:
the case that matters for security; its line in the explained file
says what they are and what holds such a message.

The explained disagreements are listed in t/data/mime-compare.explained
(or --explained FILE), one a line: PATH POLICIES COVERAGE REASON, PATH
relative to SHARED, POLICIES compat32, default or both, COVERAGE covered
or uncovered, REASON free text that starts with the classifier's kind
(see kind() below); # starts a comment.  The run fails (exit 1) on a
disagreement not listed, listed under other policies, or uncovered but
listed covered.  A listed message that now agrees is printed as stale,
one now covered but listed uncovered as better; neither fails the run
(remove or mend its line).  Exit 111 when SHARED holds neither set.

-v prints every disagreement; --template prints the unexplained ones as
lines of the explained file with the classifier's kind, to be reviewed
(never pasted unread: the reason is the point of the file).
"""
import email
import email.policy
import hashlib
import os
import re
import subprocess
import sys
import tempfile

STRICT = re.compile(r'^([0-9]+(?:\.[0-9]+)*)(?:~([0-9.]+))?$')
LAX = re.compile(r'^lax_[0-9]+(?:\.[0-9]+)*(?:~[0-9.]+)?$')
SKIP = re.compile(r'^(COPYING|README.*|LICEN[CS]E.*|.*\.md)$')
POLICIES = (('compat32', email.policy.compat32),
            ('default', email.policy.default))


def messages(shared):
    out = []
    corpus = os.path.join(shared, 'corpus')
    for sub in ('spam', 'ham', 'hard-ham'):
        d = os.path.join(corpus, sub)
        if os.path.isdir(d):
            out += sorted(os.path.join(d, f) for f in os.listdir(d)
                          if f.endswith('.txt'))
    peer = os.path.join(shared, 'peer-suites', 'mime')
    out += sorted(os.path.join(dp, f)
                  for dp, _, fs in os.walk(peer, followlinks=True)
                  for f in fs if not SKIP.match(f))
    return out


def norm(b):
    return b.replace(b'\r\n', b'\n')


def sha(b):
    return hashlib.sha256(norm(b)).hexdigest()


def covered(py, our):
    """Is every leaf Python finds (bytes) among ours, or the start of one
    of ours (a decoder that stops early, at an '=' inside base64 or at
    junk, gives a prefix of what a lenient one gives)?"""
    ours_ = {sha(b) for b in our}
    for b in py:
        if sha(b) in ours_:
            continue
        nb = norm(b)
        if nb and not any(norm(o).startswith(nb) for o in our):
            return False
    return True


def undecoded(part, data):
    """Are data the part's own text, not decoded: a multipart Python
    found no parts in, or a transfer encoding it does not know or gave
    up on?  Such a leaf is text a reader shows, not a payload it finds."""
    if part.get_content_maintype() == 'multipart':
        return True
    cte = str(part.get('Content-Transfer-Encoding', '')).strip().lower()
    if cte in ('', '7bit', '8bit', 'binary'):
        return False
    raw = part.get_payload(decode=False)
    if not isinstance(raw, str):
        return False
    try:
        rb = raw.encode('ascii', 'surrogateescape')
    except UnicodeEncodeError:
        rb = raw.encode('utf-8', 'surrogateescape')
    return re.sub(rb'\s+', b'', rb) == re.sub(rb'\s+', b'', data)


def py_leaves(path, policy):
    """([leaf bytes], [those of them that are payloads], message), or
    (None, None, the exception's name)."""
    try:
        with open(path, 'rb') as fh:
            m = email.message_from_binary_file(fh, policy=policy)
        out, found = [], []

        def walk(part, enc):
            # the order of msg.walk(); enc: inside a message/* part that
            # is itself base64 or quoted-printable, which Python does not
            # decode (it reads the encoded text as a message)
            if part.is_multipart():
                cte = str(part.get('Content-Transfer-Encoding', '')).strip()
                enc = enc or (part.get_content_maintype() == 'message' and
                              cte.lower() in ('base64', 'quoted-printable'))
                for sub in part.get_payload():
                    walk(sub, enc)
                return
            data = part.get_payload(decode=True)
            data = data if data is not None else b''
            out.append(data)
            if data and not enc and not undecoded(part, data):
                found.append(data)
        walk(m, False)
        return out, found, m
    except Exception as e:              # a parser bug is a disagreement
        return None, None, type(e).__name__


def ours(bindir, files, work):
    """Per file: (strict digests, extra digests, flags by path)."""
    r = subprocess.run([os.path.join(bindir, 'mime-explode'), '--list', '-d',
                        work] + files, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    flags = {f: {} for f in files}
    for line in r.stdout.decode('utf-8', 'replace').splitlines():
        f = line.split('\t')
        if len(f) < 6:
            continue
        name, _, p = f[0].rpartition(': ')
        if name in flags:
            fl = flags[name].setdefault(p, set())
            fl.update(x for x in f[4].split(',') if x != '-')
    res = []
    for i, fname in enumerate(files, 1):
        d = os.path.join(work, str(i)) if len(files) > 1 else work
        strict, extra, dup = {}, [], []
        names = sorted(os.listdir(d)) if os.path.isdir(d) else []
        for n in names:
            m = STRICT.match(n)
            if not (m or LAX.match(n)) or n == '0':
                continue
            with open(os.path.join(d, n), 'rb') as fh:
                h = fh.read()
            if m and not m.group(2):
                strict[m.group(1)] = h
            elif m:
                dup.append((m.group(1), h))
            else:
                extra.append(h)
        for p, h in dup:                # another name, or another decoding
            if p not in strict or sha(strict[p]) != sha(h):
                extra.append(h)
        res.append((list(strict.values()), extra, flags[fname]))
    return res


def raw_b64(p):
    """The base64 text of part p, white space dropped, as bytes."""
    raw = p.get_payload(decode=False)
    if not isinstance(raw, str):
        return b''
    return re.sub(rb'\s+', b'', raw.encode('ascii', 'surrogateescape'))


def kind(ms, a, bs, fl):
    """The classifier: one word for why our strict leaves (a, bytes) are
    not Python's (bs: leaves per policy; ms: its message per policy, or
    the name of the exception it raised).  The first that applies names
    it:
      python-error   Python raised an exception taking the message apart
      limit          we stopped at a limit (capped, total, parts, depth,
                     time): our leaves are cut short on purpose
      python-split   Python's two policies read the message differently
                     (a parameter, a boundary, a header they parse each
                     their way); we agree with one of them
      lone-cr        the message has CRs without LF (we read a line
                     break there only in the lenient reading)
      encoded-message  a message/* part in base64 or quoted-printable
                     (RFC 2046 forbids it): we decode it and read the
                     message inside, as clients do; Python reads the
                     encoded text as a message without a header
      message-container  Python takes a message/* part other than
                     rfc822 and global apart (delivery-status into field
                     blocks, each an empty leaf; external-body, partial,
                     feedback-report as a message); we keep it one leaf
      structure      another number of leaves, and we flagged the
                     structure (no-boundary, no-start, no-end,
                     hidden-part, no-header, ambiguous-type, bad-header)
      leaf-count     another number of leaves, nothing flagged
      base64-undecoded  Python gave up on a base64 part (binascii refused
                     it) and hands back the encoded text; we decode it
      base64-pad-inside  a base64 part with '=' before its end: Python
                     stops or garbles there, we read on (and hand out the
                     other decoding, see mime-explode(8))
      uuencode       a part whose Content-Transfer-Encoding is uuencode
                     (uue, x-uuencode): Python decodes it, we keep it raw
                     (bad-cte) and find uuencoded blocks only in text
      base64, quoted-printable, encoding  our decoder flagged the part
                     (bad-base64, bad-qp; bad-cte, ambiguous-cte,
                     encoded-message), or the message has such parts
      bytes          none of the above"""
    if any(isinstance(m, str) for m in ms.values()):
        return 'python-error'
    allfl = set().union(*fl.values()) if fl else set()
    if allfl & {'capped', 'total', 'parts', 'depth', 'time'}:
        return 'limit'
    digs = {k: sorted(sha(x) for x in v) for k, v in bs.items()}
    if digs['compat32'] != digs['default'] and sorted(sha(x) for x in a) in \
            digs.values():
        return 'python-split'
    if 'lone-cr' in allfl:
        return 'lone-cr'
    m = ms['compat32']
    parts = list(m.walk())
    if 'encoded-message' in allfl:
        return 'encoded-message'
    if any(p.get_content_maintype() == 'message' and p.get_content_subtype()
           not in ('rfc822', 'global') for p in parts):
        return 'message-container'
    if len(a) != len(bs['compat32']):
        if allfl & {'no-boundary', 'no-start', 'no-end', 'hidden-part',
                    'no-header', 'ambiguous-type', 'bad-header'}:
            return 'structure'
        return 'leaf-count'
    ours_ = {sha(x) for x in a}
    for p in parts:
        if p.is_multipart() or str(p.get('Content-Transfer-Encoding', '')) \
                .strip().lower() != 'base64':
            continue
        dec = p.get_payload(decode=True) or b''
        if sha(dec) in ours_:
            continue
        raw = raw_b64(p)
        if dec and norm(dec).replace(b'\n', b'') == raw.replace(b'\n', b''):
            return 'base64-undecoded'
        if re.search(rb'=+[A-Za-z0-9+/]', raw):
            return 'base64-pad-inside'
    ctes = {str(p.get('Content-Transfer-Encoding', '')).strip().lower()
            for p in parts}
    if ctes & {'uue', 'x-uue', 'uuencode', 'x-uuencode'}:
        return 'uuencode'
    if allfl & {'bad-base64'}:
        return 'base64'
    if allfl & {'bad-qp'}:
        return 'quoted-printable'
    if allfl & {'bad-cte', 'ambiguous-cte', 'encoded-message'}:
        return 'encoding'
    if 'base64' in ctes:
        return 'base64'
    if 'quoted-printable' in ctes:
        return 'quoted-printable'
    return 'bytes'


def load_explained(path):
    ex = {}
    if not os.path.exists(path):
        return ex
    with open(path, encoding='utf-8') as fh:
        for line in fh:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            f = line.split(None, 3)
            if len(f) >= 3:
                ex[f[0]] = (f[1], f[2], f[3] if len(f) > 3 else '')
    return ex


def main(argv):
    verbose = template = False
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    explained = os.path.join(top, 't', 'data', 'mime-compare.explained')
    args = []
    it = iter(argv)
    for a in it:
        if a == '-v':
            verbose = True
        elif a == '--template':
            template = True
        elif a == '--explained':
            explained = next(it, None)
            if explained is None:
                args = []
                break
        else:
            args.append(a)
    if not args:
        print(__doc__.split('\n\n')[0], file=sys.stderr)
        return 111
    bindir = args[0]
    shared = args[1] if len(args) > 1 else os.environ.get(
        'PORTCULLIS_SHARED', os.path.join(top, '..', 'shared'))
    files = messages(shared)
    if not files:
        print('mime-compare: fatal: no messages under %s' % shared,
              file=sys.stderr)
        return 111
    ex = load_explained(explained)
    n = same = lax_msgs = lax_leaves = 0
    kinds = {}
    agree = {'compat32': 0, 'default': 0}
    uncov = 0
    new = []
    for k in range(0, len(files), 400):
        batch = files[k:k + 400]
        with tempfile.TemporaryDirectory() as work:
            got = ours(bindir, batch, work)
        for f, (a, extra, fl) in zip(batch, got):
            n += 1
            rel = os.path.relpath(f, shared)
            if extra:
                lax_msgs += 1
                lax_leaves += len(extra)
            diff, allpy, ms, bs = [], [], {}, {}
            da = sorted(sha(x) for x in a)
            for pname, pol in POLICIES:
                b, pf, m = py_leaves(f, pol)
                ms[pname], bs[pname] = m, b or []
                if b is None or sorted(sha(x) for x in b) != da:
                    diff.append(pname)
                else:
                    agree[pname] += 1
                allpy += pf or []
            if not diff:
                same += 1
                if rel in ex:
                    print('%s: stale: agrees now, remove its line' % rel)
                continue
            pols = 'both' if len(diff) == 2 else diff[0]
            cov = 'covered' if covered(allpy, a + extra) else 'uncovered'
            kd = kind(ms, a, bs, fl)
            kinds[(kd, cov)] = kinds.get((kd, cov), 0) + 1
            uncov += cov == 'uncovered'
            e = ex.get(rel)
            ok = e is not None and e[0] == pols and not (
                cov == 'uncovered' and e[1] != 'uncovered')
            if ok and cov == 'covered' and e[1] == 'uncovered':
                print('%s: better: covered now, listed uncovered' % rel)
            if not ok:
                new.append(rel)
                print('%s: NEW: disagrees under %s (%s, %s; ours %d leaves)%s'
                      % (rel, pols, kd, cov, len(a),
                         ', listed as %s %s' % e[:2] if e else ''))
                if template:
                    print('%s %s %s %s: ...' % (rel, pols, cov, kd))
            elif verbose:
                print('%s: explained: %s %s %s' % (rel, pols, cov, e[2]))
    print('compared: %d messages (corpus and peer-suites/mime), Python '
          'compat32 and default' % n)
    print('agree: %d of %d (%.2f%%)' % (same, n, 100.0 * same / n))
    print('agree with compat32: %d, with default: %d' % (agree['compat32'],
                                                        agree['default']))
    print('disagree: %d, explained %d, new %d' % (
        n - same, n - same - len(new), len(new)))
    print('covered: %d, uncovered: %d' % (n - same - uncov, uncov))
    for (kd, cov), c in sorted(kinds.items(), key=lambda x: (-x[1], x[0])):
        print('  kind %s %s: %d' % (kd, cov, c))
    print('extra leaves from other readings (lax/, second decodings): '
          '%d in %d messages' % (lax_leaves, lax_msgs))
    return 1 if new else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
