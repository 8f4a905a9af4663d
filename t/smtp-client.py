#!/usr/bin/python3
"""smtp-client HOST PORT: python smtplib against smtpd-accept, for
t/smtpd-accept.t: EHLO, two messages in one session, one recipient of the
first refused, then a bare VRFY (501) and VRFY root (252).  Prints what
happened; exits 0 when it went as expected."""
import smtplib
import sys
from email.message import EmailMessage

host, port = sys.argv[1], int(sys.argv[2])
s = smtplib.SMTP(host, port, local_hostname="smtplib.example", timeout=10)
code, _ = s.ehlo()
ok = code == 250 and s.has_extn("pipelining") and s.has_extn("size")
m = EmailMessage()
m["From"] = "a@py.example"
m["Subject"] = "smtplib one"
m.set_content("line one\n.leading dot\n")
refused = s.send_message(m, "a@py.example", ["x@ourco.example", "x@evil.example"])
for r, (c, t) in refused.items():
    print("refused %s %d %s" % (r, c, t.decode()))
ok = ok and list(refused) == ["x@evil.example"]
m2 = EmailMessage()
m2["Subject"] = "smtplib two"
m2.set_content("second\n")
ok = ok and s.send_message(m2, "a@py.example", ["y@ourco.example"]) == {}
# RFC 5321 4.1.1.6: VRFY takes a string; bare, it is a syntax error
code, text = s.docmd("VRFY")
print("bare VRFY %d %s" % (code, text.decode()))
ok = ok and code == 501
code, text = s.verify("root")
print("VRFY root %d %s" % (code, text.decode()))
ok = ok and code == 252
s.quit()
print("ok" if ok else "failed")
sys.exit(0 if ok else 1)
