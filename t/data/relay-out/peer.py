#!/usr/bin/python3
# peer.py MODE DIR ADDR: odd peers for the relay-out and supervisor tests.
# ADDR is a loopback address (a free port is chosen and printed) or the
# path of a Unix socket (printed back).  MODE:
#   stall-greeting  accept and never say a word
#   stall-dot       a plain SMTP server that never answers the end of data
#   stall-data      one that answers DATA with 354 and then reads no more
#   lmtp            an LMTP server (Debian's aiosmtpd) with one reply per
#                   recipient after DATA, by local part: bad* 550, temp*
#                   452, else 250; each message lands in DIR as N.eml with
#                   its envelope in N.env (rcpt= the ones answered 250)
import asyncio, os, socket, sys, threading, time

mode, out, addr = sys.argv[1], sys.argv[2], sys.argv[3]

def stall(conn):
    f = conn.makefile('rb')
    if mode in ('stall-dot', 'stall-data'):
        conn.sendall(b'220 peer ESMTP\r\n')
        data = False
        for line in f:
            if data:
                if line == b'.\r\n':
                    break
                continue
            cmd = line[:4].upper()
            if cmd == b'EHLO':
                conn.sendall(b'250-peer\r\n250 8BITMIME\r\n')
            elif cmd == b'DATA':
                conn.sendall(b'354 go on\r\n')
                if mode == 'stall-data':
                    break
                data = True
            else:
                conn.sendall(b'250 ok\r\n')
    time.sleep(3600)

def serve_stall():
    s = socket.socket()
    s.bind((addr, 0))
    s.listen(16)
    print(s.getsockname()[1], flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=stall, args=(c,), daemon=True).start()

def serve_lmtp():
    from aiosmtpd.controller import Controller, UnixSocketController
    from aiosmtpd.lmtp import LMTP

    class H:
        async def handle_DATA(self, server, session, env):
            replies, ok = [], []
            for r in env.rcpt_tos:
                local = r.split('@')[0]
                if local.startswith('bad'):
                    replies.append('550 5.1.1 <%s> no such mailbox' % r)
                elif local.startswith('temp'):
                    replies.append('452 4.2.2 <%s> mailbox full' % r)
                else:
                    replies.append('250 2.0.0 <%s> delivered' % r)
                    ok.append(r)
            n = '%d.%d' % (time.time_ns(), os.getpid())
            with open(os.path.join(out, n + '.env'), 'w') as f:
                f.write('from=%s\nrcpt=%s\nlhlo=%s\n' % (env.mail_from,
                        ' '.join(ok), session.host_name))
            with open(os.path.join(out, n + '.tmp'), 'wb') as f:
                f.write(env.original_content)
            os.rename(os.path.join(out, n + '.tmp'), os.path.join(out, n + '.eml'))
            # RFC 2033 4.2: one reply per recipient, in RCPT order
            return '\r\n'.join(replies)

    if addr.startswith('/'):
        class C(UnixSocketController):
            def factory(self):
                return LMTP(self.handler, decode_data=False)
        c = C(H(), unix_socket=addr)
        c.start()
        os.chmod(addr, 0o777)
        print(addr, flush=True)
    else:
        class C(Controller):
            def factory(self):
                return LMTP(self.handler, decode_data=False)
        s = socket.socket()
        s.bind((addr, 0))
        port = s.getsockname()[1]
        s.close()
        c = C(H(), hostname=addr, port=port)
        c.start()
        print(port, flush=True)
    while True:
        time.sleep(3600)

try:
    serve_lmtp() if mode == 'lmtp' else serve_stall()
except KeyboardInterrupt:
    pass
