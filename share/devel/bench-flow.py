# bench-flow.py: the load generator and the end-of-run watcher of
# bench-flow.sh, in one process, so that what the bench itself costs is
# one process's CPU (getrusage) and is taken off the machine's busy time.
#
#   bench-flow.py --port P --msgs N --conc C (--list FILE | --size BYTES)
#                 [--done DIR]... [--empty DIR]... [--tree PID]...
#                 [--stall S] [--shuffle]
#
# Sends N messages to 127.0.0.1:P from C threads, one connection per
# message (EHLO, MAIL, RCPT, DATA, QUIT), the corpus messages of FILE (one
# path a line, cycled through) or generated messages of BYTES bytes.  The
# time around the DATA command (DATA, 354, the body, the reply to its end)
# is each message's reply latency.  Then waits until as many messages have
# landed in the --done folders (inotify: a file created or moved into one
# of them) as were answered 250, and the --empty folders are empty, or
# until nothing landed for S seconds (60).  One line out, key=value:
#   sent ok rej tmp err     messages; answered 250, 5xx, 4xx; no answer
#   land=A,B,..             files landed in each --done folder
#   t_in t_end              seconds from the first connection to the last
#                           reply, and to the moment all had landed
#   busy                    the machine's busy CPU seconds over t_end
#                           (/proc/stat: all but idle and iowait)
#   gen                     this process's own CPU seconds over t_end
#   others                  CPU seconds over t_end of the machine's other
#                           userland processes (all but these trees, this
#                           process and the kernel's threads): work that
#                           is not the system under test
#   tree                    CPU seconds over t_end of the process trees
#                           rooted at the --tree pids (live processes'
#                           user+system+reaped children)
#   p50 p99 pmax            reply latency at the end of DATA, ms
#   stalled                 1 when the wait gave up
import ctypes, ctypes.util, os, random, resource, select, smtplib, socket
import struct, sys, threading, time

args = {'--done': [], '--empty': [], '--tree': []}
opts = {'--stall': '60'}
av = sys.argv[1:]
while av:
    k = av.pop(0)
    if k == '--shuffle':
        opts[k] = '1'
    elif k in args:
        args[k].append(av.pop(0))
    else:
        opts[k] = av.pop(0)
port, n, conc = int(opts['--port']), int(opts['--msgs']), int(opts['--conc'])
stall = float(opts['--stall'])


def fix(b):
    b = b.replace(b'\r\n', b'\n').replace(b'\r', b'\n')
    if not b.endswith(b'\n'):
        b += b'\n'
    # dot-stuffed here, once, so the DATA call only sends
    lines = [b'.' + l if l.startswith(b'.') else l for l in b.split(b'\n')]
    return b'\r\n'.join(lines[:-1]) + b'\r\n'


def generated(size):
    """A message of about size bytes: a short text part, then (past 2 KB)
    an attachment of pseudo-random bytes in base64, as large mail is."""
    rnd = random.Random(size)
    words = ('the report for this quarter is attached please review the '
             'figures before our meeting on thursday and send comments').split()
    text = []
    while sum(len(l) + 1 for l in text) < min(size, 1500) - 400:
        text.append(' '.join(rnd.choice(words) for _ in range(11)))
    text = '\n'.join(text) + '\n'
    head = ('From: Alice Example <alice@sender.example>\n'
            'To: Bench <bench@ourco.example>\n'
            'Subject: Quarterly report\n'
            'Date: Wed, 02 Dec 2026 10:00:00 +0000\n'
            'Message-ID: <bench-%d@sender.example>\n'
            'MIME-Version: 1.0\n' % size)
    if size <= 2048:
        b = (head + 'Content-Type: text/plain; charset=us-ascii\n\n' + text)
        return fix(b.encode())
    import base64
    bnd = 'b0undary-%d' % size
    pre = (head + 'Content-Type: multipart/mixed; boundary="%s"\n\n'
           '--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n'
           '--%s\nContent-Type: application/octet-stream; name="report.dat"\n'
           'Content-Disposition: attachment; filename="report.dat"\n'
           'Content-Transfer-Encoding: base64\n\n' % (bnd, bnd, text, bnd))
    post = '\n--%s--\n' % bnd
    raw = (size - len(pre) - len(post)) * 3 // 4 * 76 // 77
    data = base64.encodebytes(rnd.randbytes(max(raw, 0))).decode()
    return fix((pre + data + post).encode())


if '--size' in opts:
    msgs = [generated(int(opts['--size']))]
else:
    msgs = []
    files = [l.strip() for l in open(opts['--list']) if l.strip()]
    if '--shuffle' in opts:
        random.Random(12).shuffle(files)
    for f in files:
        b = open(f, 'rb').read()
        if b.startswith(b'From '):       # the mbox line is not part of it
            b = b.split(b'\n', 1)[1] if b'\n' in b else b''
        msgs.append(fix(b))

# --- CPU accounting ------------------------------------------------------
tck = os.sysconf('SC_CLK_TCK')


def busy():
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is in user)
    return (sum(v[:8]) - v[3] - v[4]) / tck


def procs():
    """pid -> (ppid, CPU ticks of it and its reaped children)"""
    out = {}
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % p) as f:
                s = f.read()
        except OSError:
            continue
        r = s[s.rindex(')') + 2:].split()
        out[int(p)] = (int(r[1]), sum(int(x) for x in r[11:15]))
    return out


def below(ps, roots):
    kids = {}
    for p, (pp, _) in ps.items():
        kids.setdefault(pp, []).append(p)
    todo, seen = [int(x) for x in roots], set()
    while todo:
        p = todo.pop()
        if p in seen or p not in ps:
            continue
        seen.add(p)
        todo.extend(kids.get(p, []))
    return seen


def cpu(roots):
    """CPU seconds of the trees under roots, and of every other userland
    process but this one (kernel threads, under pid 2, left out)"""
    ps = procs()
    mine = below(ps, roots)
    skip = mine | below(ps, [2]) | {os.getpid()}
    return (sum(ps[p][1] for p in mine) / tck,
            sum(c for p, (_, c) in ps.items() if p not in skip) / tck)


def gen():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --- the watcher: inotify through ctypes ----------------------------------
libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
IN_CREATE, IN_MOVED_TO, IN_DELETE, IN_MOVED_FROM = 0x100, 0x80, 0x200, 0x40
IN_Q_OVERFLOW = 0x4000
ifd = libc.inotify_init1(os.O_CLOEXEC)
if ifd < 0:
    sys.exit('bench-flow.py: inotify_init1: %s' % os.strerror(ctypes.get_errno()))


def entries(d):
    try:
        with os.scandir(d) as it:
            return sum(1 for _ in it)
    except OSError:
        return 0


wd = {}
done = args['--done']
base = [entries(d) for d in done]
land = [0] * len(done)
for i, d in enumerate(done):
    w = libc.inotify_add_watch(ifd, d.encode(), IN_CREATE | IN_MOVED_TO)
    if w < 0:
        sys.exit('bench-flow.py: watch %s: %s' % (d, os.strerror(ctypes.get_errno())))
    wd[w] = i
for d in args['--empty']:
    w = libc.inotify_add_watch(ifd, d.encode(), IN_DELETE | IN_MOVED_FROM)
    if w < 0:
        sys.exit('bench-flow.py: watch %s: %s' % (d, os.strerror(ctypes.get_errno())))
cv = threading.Condition()
last = [time.monotonic()]


def reader():
    while True:
        try:
            buf = os.read(ifd, 65536)
        except OSError:
            return
        got = False
        with cv:
            o = 0
            while o < len(buf):
                w, mask, _, ln = struct.unpack_from('iIII', buf, o)
                o += 16 + ln
                if mask & IN_Q_OVERFLOW:
                    for i, d in enumerate(done):
                        land[i] = entries(d) - base[i]
                    got = True
                elif w in wd and mask & (IN_CREATE | IN_MOVED_TO):
                    land[wd[w]] += 1
                    got = True
            last[0] = time.monotonic()
            if got or buf:
                cv.notify_all()


threading.Thread(target=reader, daemon=True).start()

# --- the clients ------------------------------------------------------------
lock, nxt = threading.Lock(), [0]
res = {'ok': 0, 'rej': 0, 'tmp': 0, 'err': 0}
lat = []
errs = {}


def one(i):
    s = smtplib.SMTP('127.0.0.1', port, timeout=600)
    try:
        s.ehlo('client.sender.example')
        c, _ = s.mail('sender@sender.example', ['BODY=8BITMIME'])
        if c != 250:
            return c, None
        c, _ = s.rcpt('bench@ourco.example')
        if c not in (250, 251):
            return c, None
        t = time.perf_counter()
        c, _ = s.data(msgs[i % len(msgs)])
        return c, time.perf_counter() - t
    finally:
        try:
            s.quit()
        except Exception:
            s.close()


def worker():
    while True:
        with lock:
            i = nxt[0]
            if i >= n:
                return
            nxt[0] += 1
        try:
            c, dt = one(i)
            k = 'ok' if c == 250 else 'rej' if 500 <= c < 600 else \
                'tmp' if 400 <= c < 500 else 'err'
        except smtplib.SMTPDataError as e:   # no 354
            c, dt = e.smtp_code, None
            k = 'rej' if 500 <= c < 600 else 'tmp' if 400 <= c < 500 else 'err'
        except Exception as e:
            k, dt = 'err', None
            with lock:
                errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
        with lock:
            res[k] += 1
            if dt is not None:
                lat.append(dt)


b0, g0, (tr0, o0) = busy(), gen(), cpu(args['--tree'])
t0 = time.monotonic()
ts = [threading.Thread(target=worker, daemon=True) for _ in range(conc)]
for t in ts:
    t.start()
for t in ts:
    t.join()
t_in = time.monotonic() - t0

# every message answered 250 lands, then the queue folders empty
stalled = 0
with cv:
    while sum(land) < res['ok']:
        if time.monotonic() - last[0] > stall:
            stalled = 1
            break
        cv.wait(1)
while not stalled and any(entries(d) for d in args['--empty']):
    with cv:
        cv.wait(0.2)        # a delete in one of them, or a look every 0.2 s
    if time.monotonic() - last[0] > stall:
        stalled = 1
t_end = time.monotonic() - t0
b1, g1, (tr1, o1) = busy(), gen(), cpu(args['--tree'])
lat.sort()


def pct(p):
    return '%.1f' % (1000 * lat[min(len(lat) - 1, int(p * len(lat)))]) if lat else '-'


print('sent=%d ok=%d rej=%d tmp=%d err=%d land=%s t_in=%.3f t_end=%.3f '
      'busy=%.2f gen=%.2f others=%.2f tree=%.2f p50=%s p99=%s pmax=%s stalled=%d errs=%s' % (
          n, res['ok'], res['rej'], res['tmp'], res['err'],
          ','.join(str(x) for x in land), t_in, t_end, b1 - b0, g1 - g0,
          o1 - o0, tr1 - tr0, pct(0.5), pct(0.99), pct(1.0), stalled,
          ','.join('%s:%d' % kv for kv in sorted(errs.items())) or '-'))
