#!/usr/bin/python3
# sink.py DIR HOST[,HOST...] [CERT KEY]: a scripted SMTP receiver for the
# relay-out and flow tests (Debian's python3-aiosmtpd).  Listens on one
# free port on every HOST, prints the port, and answers RCPT by the local
# part: temp* 451, bad* 550, else 250 (a file DIR/once-* is a one-shot:
# 451 the first time, 250 after).  Each message lands in DIR as N.eml
# with its envelope in N.env.  With CERT and KEY it offers STARTTLS;
# with SINK_SMTPUTF8=1 in the environment, SMTPUTF8 (RFC 6531); with
# SINK_PORT=N, that port instead of a free one (receivers that differ on
# one port, as t/mta-sts.t needs).
import asyncio, os, socket, ssl, sys, time
from aiosmtpd.controller import Controller

out, hosts = sys.argv[1], sys.argv[2].split(',')
ctx = None
if len(sys.argv) > 4:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])

class H:
    async def handle_RCPT(self, server, session, env, addr, opts):
        local = addr.split('@')[0]
        if local.startswith('temp'):
            return '451 4.2.0 try again later'
        if local.startswith('bad'):
            return '550 5.1.1 no such user'
        if local.startswith('once'):
            flag = os.path.join(out, 'once-' + local)
            if not os.path.exists(flag):
                open(flag, 'w').close()
                return '451 4.2.0 greylisted'
        env.rcpt_tos.append(addr)
        return '250 2.1.5 ok'

    async def handle_DATA(self, server, session, env):
        n = '%d.%d' % (time.time_ns(), os.getpid())
        with open(os.path.join(out, n + '.env'), 'w') as f:
            f.write('from=%s\nrcpt=%s\ntls=%s\nopts=%s\n' % (env.mail_from,
                    ' '.join(env.rcpt_tos), session.ssl is not None,
                    ' '.join(env.mail_options)))
        with open(os.path.join(out, n + '.tmp'), 'wb') as f:
            f.write(env.original_content)
        os.rename(os.path.join(out, n + '.tmp'), os.path.join(out, n + '.eml'))
        return '250 2.0.0 queued as ' + n

def free_port():
    for _ in range(50):
        s = socket.socket()
        s.bind((hosts[0], 0))
        p = s.getsockname()[1]
        s.close()
        try:
            for h in hosts[1:]:
                t = socket.socket(); t.bind((h, p)); t.close()
            return p
        except OSError:
            continue
    raise SystemExit('no free port')

port = int(os.environ['SINK_PORT']) if os.environ.get('SINK_PORT') else free_port()
cs = []
for h in hosts:
    c = Controller(H(), hostname=h, port=port, tls_context=ctx,
                   decode_data=False, server_hostname='mx.test',
                   enable_SMTPUTF8=os.environ.get('SINK_SMTPUTF8') == '1')
    c.start()
    cs.append(c)
print(port, flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
