#!/usr/bin/python3
# send.py PORT N ACKED [SOURCE_IP]: send N numbered messages to
# bob@ourco.test through the gateway, each over its own connection,
# retrying a message whose connection failed (the gateway may be down for
# a moment in the crash test); every message answered 250 is written to
# ACKED, one subject a line.
import smtplib, sys, time
port, n, acked = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
src = (sys.argv[4], 0) if len(sys.argv) > 4 else None
body = ''.join('line %03d of a message that must arrive whole\r\n' % i for i in range(40))
with open(acked, 'a') as out:
    for i in range(n):
        subj = 'crash-%04d' % i
        msg = ('From: alice@outside.test\r\nTo: bob@ourco.test\r\nSubject: %s\r\n\r\n'
               '%sEND-OF-MESSAGE %s\r\n') % (subj, body, subj)
        for attempt in range(200):
            try:
                s = smtplib.SMTP('127.0.0.1', port, timeout=10, source_address=src)
                s.sendmail('alice@outside.test', ['bob@ourco.test'], msg)
                try:
                    s.quit()
                except Exception:
                    pass
                out.write(subj + '\n')
                out.flush()
                break
            except Exception:
                time.sleep(0.05)
