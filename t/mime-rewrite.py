#!/usr/bin/python3
"""mime-rewrite.py: fixtures and checks for the MIME rewriters' tests
(t/add-disclaimer.t, t/link-defang.t).

  mime-rewrite.py make NAME [crlf]   write fixture NAME on stdout
  mime-rewrite.py names              list the fixtures
  mime-rewrite.py parts FILE         one line per leaf: type charset cte
                                     disposition sha256-of-decoded-bytes
  mime-rewrite.py valid FILE         exit 0 when Python's email package
                                     reads FILE without a defect, every
                                     text part decodes in its charset and
                                     no line passes 998 octets
  mime-rewrite.py text FILE          every inline text part, decoded

The messages are written here byte by byte, so that their encodings are
exactly what the tests say (Python's generator would choose its own)."""
import base64
import hashlib
import quopri
import sys
from email import message_from_bytes, policy

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
       b"\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" + bytes(range(200)))


def b64(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\n"


def qp(data):
    return quopri.encodestring(data).decode()


HEAD = ("From: Alice <alice@ourco.example>\nTo: bob@partner.example\n"
        "Subject: {subj}\nDate: Wed, 02 Dec 2026 10:00:00 +0000\n"
        "Message-ID: <{subj}@ourco.example>\n")

HTML = ("<html><head><title>News</title><style>p {{ color: red }}</style>"
        "</head><body>\n<h1>Our {what}</h1>\n<p>Dear reader, read <a href="
        "\"https://tracker.evil.example/c?u=1\">https://www.ourco.example/news"
        "</a> today.</p>\n<div style=\"display:none\">hidden preheader "
        "text</div>\n<ul><li>first item</li><li>second item</li></ul>\n"
        "<table><tr><td>Widget</td><td>5 EUR</td></tr></table>\n"
        "<img src=\"cid:logo@ourco\" alt=\"Ourco logo\">\n"
        "<script>document.write('x')</script>\n</body></html>\n")


def fixtures():
    f = {}
    f["plain"] = HEAD.format(subj="plain") + (
        "\nHello Bob,\n\nsee http://www.ourco.example/a.html and www.partner.example.\n"
        "Alice\n")
    f["latin1-qp"] = HEAD.format(subj="latin1") + (
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\n") + qp(
        "Caf\xe9 cr\xe8me at https://caf\xe9.example/menu\nLong line ".encode(
            "latin-1") + b"x" * 120 + b"\n")
    f["cp1252-b64"] = HEAD.format(subj="cp1252") + (
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=windows-1252\n"
        "Content-Transfer-Encoding: base64\n\n") + b64(
        "Price \u20ac 5 \u2013 \u201cquoted\u201d, see https://shop.example/x\r\n".encode(
            "cp1252"))
    f["ascii-7bit"] = HEAD.format(subj="ascii") + (
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
        "Plain ASCII text.\n")
    f["alternative"] = HEAD.format(subj="alternative") + (
        "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"alt1\"\n\n"
        "--alt1\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n") + qp(
        "Our news \u2013 read https://www.ourco.example/news today.\n".encode()) + (
        "--alt1\nContent-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: base64\n\n") + b64(
        HTML.format(what="news \u2013 December").encode()) + "--alt1--\n"
    f["related"] = HEAD.format(subj="related") + (
        "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"a2\"\n\n"
        "This is a multi-part message.\n"
        "--a2\nContent-Type: text/plain; charset=us-ascii\n\nText version.\n"
        "--a2\nContent-Type: multipart/related; boundary=\"r2\"; type=\"text/html\"\n\n"
        "--r2\nContent-Type: text/html; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\n") + qp(
        HTML.format(what="caf\xe9").encode("latin-1")) + (
        "--r2\nContent-Type: image/png\nContent-ID: <logo@ourco>\n"
        "Content-Disposition: inline; filename=\"logo.png\"\n"
        "Content-Transfer-Encoding: base64\n\n") + b64(PNG) + "--r2--\n\n--a2--\n"
    f["mixed"] = HEAD.format(subj="mixed") + (
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m3\"\n\n"
        "--m3\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\nSee the r\u00e9sum\u00e9 attached, or "
        "https://cv.example/alice.\n"
        "--m3\nContent-Type: application/pdf; name=\"cv.pdf\"\n"
        "Content-Disposition: attachment; filename=\"cv.pdf\"\n"
        "Content-Transfer-Encoding: base64\n\n") + b64(PDF) + (
        "--m3\nContent-Type: text/plain; name=\"notes.txt\"\n"
        "Content-Disposition: attachment; filename=\"notes.txt\"\n\n"
        "an attached text file with http://attached.example/ in it\n"
        "--m3--\n")
    f["attach-first"] = HEAD.format(subj="attachfirst") + (
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m4\"\n\n"
        "--m4\nContent-Type: application/pdf; name=\"a.pdf\"\n"
        "Content-Disposition: attachment; filename=\"a.pdf\"\n"
        "Content-Transfer-Encoding: base64\n\n") + b64(PDF) + "--m4--\n"
    f["pdf-only"] = HEAD.format(subj="pdfonly") + (
        "MIME-Version: 1.0\nContent-Type: application/pdf; name=\"b.pdf\"\n"
        "Content-Disposition: attachment; filename=\"b.pdf\"\n"
        "Content-Transfer-Encoding: base64\n\n") + b64(PDF)
    f["signed"] = HEAD.format(subj="signed") + (
        "MIME-Version: 1.0\nContent-Type: multipart/signed; "
        "protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s5\"\n\n"
        "--s5\nContent-Type: text/plain; charset=us-ascii\n\n"
        "Signed text with https://signed.example/link.\n"
        "--s5\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\n"
        "Content-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=\"smime.p7s\"\n\n") + b64(
        b"\x30\x82" + bytes(range(100))) + "--s5--\n"
    f["smime"] = HEAD.format(subj="smime") + (
        "MIME-Version: 1.0\nContent-Type: application/pkcs7-mime; "
        "smime-type=enveloped-data; name=\"smime.p7m\"\n"
        "Content-Transfer-Encoding: base64\n\n") + b64(b"\x30\x80" + bytes(range(90)))
    f["html-only"] = HEAD.format(subj="htmlonly") + (
        "MIME-Version: 1.0\nContent-Type: text/html; charset=windows-1252\n"
        "Content-Transfer-Encoding: quoted-printable\n\n") + qp(
        HTML.format(what="\u201cnewsletter\u201d").encode("cp1252"))
    f["nolinks-html"] = HEAD.format(subj="nolinks") + (
        "MIME-Version: 1.0\nContent-Type: text/html; charset=us-ascii\n\n"
        "<html><body><p>No links here.</p></body></html>\n")
    return f


DISC = "This e-mail is confidential."


def leaves(m):
    for p in m.walk():
        if p.is_multipart():
            continue
        yield p


def cmd_parts(path):
    m = message_from_bytes(open(path, "rb").read(), policy=policy.default)
    for p in leaves(m):
        data = p.get_payload(decode=True) or b""
        print(p.get_content_type(), p.get_content_charset() or "-",
              (p.get("Content-Transfer-Encoding") or "7bit").lower(),
              p.get_content_disposition() or "-",
              hashlib.sha256(data).hexdigest())


def cmd_valid(path):
    raw = open(path, "rb").read()
    bad = []
    for i, line in enumerate(raw.split(b"\n")):
        if len(line) > 999:
            bad.append("line %d is %d octets" % (i + 1, len(line)))
    m = message_from_bytes(raw, policy=policy.default)
    for p in m.walk():
        for d in p.defects:
            bad.append("%s: %s" % (p.get_content_type(), d.__class__.__name__))
        if p.is_multipart():
            continue
        if p.get_content_maintype() == "text":
            data = p.get_payload(decode=True) or b""
            cs = p.get_content_charset() or "us-ascii"
            try:
                data.decode(cs)
            except (UnicodeDecodeError, LookupError) as e:
                bad.append("%s in %s: %s" % (p.get_content_type(), cs, e))
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)


def cmd_text(path):
    m = message_from_bytes(open(path, "rb").read(), policy=policy.default)
    for p in leaves(m):
        if p.get_content_maintype() == "text" and \
                p.get_content_disposition() != "attachment":
            print("=== %s" % p.get_content_type())
            sys.stdout.write(p.get_content())


def main():
    f = fixtures()
    if sys.argv[1] == "names":
        print("\n".join(sorted(f)))
    elif sys.argv[1] == "make":
        s = f[sys.argv[2]]
        if sys.argv[3:] == ["crlf"]:
            s = s.replace("\n", "\r\n")
        sys.stdout.buffer.write(s.encode())
    elif sys.argv[1] == "parts":
        cmd_parts(sys.argv[2])
    elif sys.argv[1] == "valid":
        cmd_valid(sys.argv[2])
    elif sys.argv[1] == "text":
        cmd_text(sys.argv[2])


main()
