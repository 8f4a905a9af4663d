#!/usr/bin/python3
# rcpt-peer.py DIR PORT: an SMTP peer on 127.0.0.3:PORT (Debian's aiosmtpd)
# that answers each recipient by its local part: good* 250, temp* 451,
# bad* 550 5.1.1, and stX.Y.Zn... a 5xx with that RFC 3463 status, so that
# each of many recipients has its own.  Each message's envelope lands in
# DIR as N.done (from= and rcpt= lines).  For t/failures.t and
# t/relay-resident.t.
import os, sys, time
from aiosmtpd.controller import Controller
out = sys.argv[1]
class H:
    async def handle_RCPT(self, server, session, env, addr, opts):
        local = addr.split('@')[0]
        if local.startswith('temp'):
            return '451 4.2.0 try again later'
        if local.startswith('bad'):
            return '550 5.1.1 no such user'
        if local.startswith('st'):
            return '550 %s refused %s' % (local[2:].split('n')[0], local)
        env.rcpt_tos.append(addr)
        return '250 2.1.5 ok'
    async def handle_DATA(self, server, session, env):
        n = '%d.%d' % (time.time_ns(), os.getpid())
        with open(os.path.join(out, n + '.env'), 'w') as f:
            f.write('from=%s\n' % env.mail_from)
            for r in env.rcpt_tos:
                f.write('rcpt=%s\n' % r)
        os.rename(os.path.join(out, n + '.env'), os.path.join(out, n + '.done'))
        return '250 2.0.0 queued as ' + n
c = Controller(H(), hostname='127.0.0.3', port=int(sys.argv[2]), decode_data=False,
               server_hostname='mx.test', data_size_limit=0)
c.start()
print(sys.argv[2], flush=True)
while True:
    time.sleep(3600)
