#!/bin/sh
# mime-explode: the MIME tree and every container in it, listed and
# written out, on fixtures this test builds itself (zip, 7z, tar, gzip,
# encrypted, a bomb, 60 deep, hostile names), and the limits.
. "$(dirname "$0")/lib.sh"

T=$(printf '\t')
cd "$tmp" || exit 1

# wrap FILE NAME [TYPE]: a message with one text part and FILE attached
wrap() {
	printf 'From: a@example.org\nTo: b@example.net\nSubject: files\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_b"\n\n'
	printf -- '--=_b\nContent-Type: text/plain; charset=us-ascii\n\nsee attached\n'
	printf -- '--=_b\nContent-Type: %s; name="%s"\n' "${3:-application/octet-stream}" "$2"
	printf 'Content-Disposition: attachment; filename="%s"\n' "$2"
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 "$1"
	printf -- '--=_b--\n'
}

# --- MIME ------------------------------------------------------------
printf 'Subject: x\nContent-Type: multipart/mixed; boundary=b\n\npreamble\n--b\n\nhello\n--b\nContent-Type: multipart/alternative; boundary=bb\n\n--bb\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<p>caf=C3=A9</p>\n--bb--\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=utf-8%s%%E2%%80%%AEfdp;\n filename*1=".exe"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\nepilogue\n' "''" >mp.eml
run mime-explode --list <mp.eml
is_exit 'a clean multipart exits 0' 0
like 'the first leaf: path, type, size, encoding, flags' "^1${T}text/plain${T}5${T}7bit${T}no-header${T}\$"
like 'a nested part is numbered 2.1, QP decoded' "^2\\.1${T}text/html${T}12${T}quoted-printable${T}-${T}\$"
like 'an RFC 2231 name with U+202E is escaped and flagged' "^3${T}application/pdf${T}9${T}base64${T}bad-name${T}\\\\u202Efdp\\.exe\$"
is 'one line per leaf' "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 3

printf 'Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\nContent-Type: application/x-msdownload\r\n\r\nMZ\r\n--b--\r\n' >crlf.eml
run mime-explode crlf.eml
like 'batch lines start with the file name' "^crlf\\.eml: 1${T}text/plain${T}3${T}"
like 'two Content-Type fields are ambiguous' "^crlf\\.eml: 2${T}text/plain${T}2${T}7bit${T}ambiguous-type${T}"

printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n\nno end\n' >noend.eml
run mime-explode mp.eml noend.eml
like 'two files in one run: the first' '^mp\.eml: 3'
like 'a missing close delimiter is flagged' "^noend\\.eml: 1${T}text/plain${T}6${T}7bit${T}.*no-end"

# --- containers --------------------------------------------------------
printf 'MZ\220\0\3\0\0\0 harmless test program\n' >prog.exe
printf 'quarterly figures\n' >notes.txt
zip -q inner.zip prog.exe && zip -q outer.zip inner.zip notes.txt
wrap outer.zip outer.zip application/zip >zip.eml
run mime-explode zip.eml
is_exit 'zip inside zip exits 0' 0
like 'a member two containers down' "^zip\\.eml: 2/inner\\.zip/prog\\.exe${T}-${T}31${T}zip${T}member${T}prog\\.exe\$"
like 'the inner container is listed' "^zip\\.eml: 2/inner\\.zip${T}-${T}[0-9]+${T}zip${T}container,member${T}inner\\.zip\$"
like 'the attachment is a container' "^zip\\.eml: 2${T}application/zip${T}[0-9]+${T}base64${T}container${T}outer\\.zip\$"

tar cf - prog.exe notes.txt | gzip >t.tgz && wrap t.tgz t.tgz >tgz.eml
run mime-explode tgz.eml
like 'tar.gz members' "2/prog\\.exe${T}-${T}31${T}gzip/tar${T}member"
gzip -c notes.txt >notes.txt.gz && wrap notes.txt.gz notes.txt.gz >gz.eml
run mime-explode gz.eml
like 'a single gzip file is its member' "2/notes\\.txt${T}-${T}18${T}gzip/raw${T}member"
if command -v 7z >/dev/null 2>&1; then
	7z a -bd p.7z prog.exe notes.txt >/dev/null && wrap p.7z p.7z >7z.eml
	run mime-explode 7z.eml
	like '7z members' "2/prog\\.exe${T}-${T}31${T}7z${T}member"
	7z a -bd -psecret e.7z prog.exe >/dev/null && wrap e.7z e.7z >e7z.eml
	run mime-explode e7z.eml
	is_exit 'an encrypted 7z exits 99' 99
	like 'its member is encrypted' "2/prog\\.exe${T}.*encrypted"
	7z a -bd -psecret -mhe=on eh.7z prog.exe >/dev/null && wrap eh.7z eh.7z >eh7z.eml
	run mime-explode eh7z.eml
	like 'a 7z with encrypted names is reported encrypted' "^eh7z\\.eml: 2${T}.*encrypted,container"
else
	_result 0 '7z (p7zip-full) is installed' 'apt-get install p7zip-full'
fi
zip -q -P secret ez.zip prog.exe && wrap ez.zip ez.zip >ez.eml
run mime-explode ez.eml
is_exit 'zip -e: exits 99' 99
like 'zip -e: the member is encrypted' "2/prog\\.exe${T}-${T}0${T}zip${T}encrypted,member"
err_like 'zip -e: stderr says why' 'not taken apart completely: encrypted'

# A bomb: 300 MB of zeros, 300 KB zipped.
head -c 300000000 /dev/zero | zip -q bomb.zip - && wrap bomb.zip bomb.zip >bomb.eml
start=$(date +%s)
run mime-explode bomb.eml
is_exit 'a zip bomb exits 99' 99
like 'the member is stopped at the ratio' "2/-${T}-${T}[0-9]+${T}zip${T}ratio,member"
ok 'the bomb costs under 5 seconds' test $(($(date +%s) - start)) -lt 5

# 60 zips deep: stopped at mimedepth (50), reported.
cp prog.exe l0
i=1
while [ $i -le 60 ]; do zip -q -j l$i.zip l$((i - 1))*; i=$((i + 1)); done
wrap l60.zip l60.zip >deep.eml
run mime-explode deep.eml
is_exit '60 deep exits 99' 99
like 'the depth limit is a flag' 'depth'
unlike 'nothing past depth 50 is listed' 'l1\.zip'
control mimedepth 100
run mime-explode deep.eml
is_exit 'with mimedepth 100, 60 deep is opened' 0
like 'the program at the bottom is found' '/l0.*member'
rm -f "$PORTCULLIS_CONTROL/mimedepth"

# Hostile member names, and a mail inside a zip.
/usr/bin/python3 - <<'PY'
import zipfile
z = zipfile.ZipFile("names.zip", "w")
z.writestr("../../../tmp/evil.sh", "#!/bin/sh\n")
z.writestr("/etc/abs.txt", "x")
z.writestr("invoice\u202egpj.exe", "MZ")
z.writestr("ctl\x01\x1b[31m.txt", "y")
z.writestr("fwd.eml", "From: x@example.org\nContent-Type: multipart/mixed; boundary=q\n\n--q\n\ninner text\n--q\nContent-Disposition: attachment; filename=run.bat\n\n@echo off\n--q--\n")
z.close()
PY
wrap names.zip names.zip >names.eml
run mime-explode names.eml
like '../ in a member name is flagged' "2/\\.\\./\\.\\./\\.\\./tmp/evil\\.sh${T}.*bad-name"
like 'an absolute member name is flagged' "2//etc/abs\\.txt${T}.*bad-name"
like 'U+202E in a member name is escaped' 'invoice\\u202Egpj\.exe'
like 'control bytes are escaped' 'ctl\\x01\\x1b\[31m\.txt'
like 'a mail inside a zip is walked' "^names\\.eml: 2/fwd\\.eml/2${T}text/plain${T}9${T}7bit${T}-${T}run\\.bat\$"
mkdir out
run mime-explode -d out names.eml
is_exit '-d exits 0' 0
ok '-d: nothing was written outside the directory' test ! -e "$tmp/tmp/evil.sh"
ok '-d: nothing in /tmp/evil.sh either' test ! -e /tmp/evil.sh
is '-d: every name is plain' "$(ls out | LC_ALL=C grep -c '^[A-Za-z0-9_][A-Za-z0-9._~-]*$')" "$(ls out | wc -l | tr -d ' ')"
is '-d: the bytes are decoded' "$(cat out/2_fwd.eml_2)" '@echo off'
run mime-explode -d out names.eml
ok '-d: a second run never overwrites' test -f out/2_fwd.eml_2~2
mkdir out2
run mime-explode -d out2 names.eml zip.eml
ok '-d with two files: one directory each' test -f out2/2/2_inner.zip_prog.exe

# --- hostile MIME and limits ------------------------------------------
/usr/bin/python3 -c '
import sys
n = 10000
sys.stdout.write("".join("Content-Type: multipart/mixed; boundary=%d\n\n--%d\n" % (i, i) for i in range(n)) + "\nx\n")' >nest.eml
run mime-explode nest.eml
is_exit '10000-deep multiparts: a verdict, not a crash' 99
err_like 'the depth limit is named' 'depth'
like 'the limit with no part to carry it is on item 0' "^nest\\.eml: 0${T}message/rfc822${T}0${T}-${T}depth${T}\$"
/usr/bin/python3 - <<'PY'
import binascii
d = b"MZ\x90\x00" + b"uuencoded program " * 5
with open("uu.eml", "w") as f:
    f.write("Subject: old style\n\nthe file:\n\nbegin 644 invoice.exe\n")
    for i in range(0, len(d), 45):
        f.write(binascii.b2a_uu(d[i:i + 45]).decode())
    f.write("`\nend\nbye\n")
with open("uu-cte.eml", "w") as f:
    f.write("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream; name=a.bin\n")
    f.write("Content-Transfer-Encoding: x-uuencode\n\nbegin 600 a.bin\n")
    for i in range(0, len(d), 45):
        f.write(binascii.b2a_uu(d[i:i + 45]).decode())
    f.write("`\nend\n--b--\n")
PY
run mime-explode uu.eml
like 'a uuencoded block in a text part is a member' "^uu\\.eml: 1/invoice\\.exe${T}-${T}94${T}x-uuencode${T}member${T}invoice\\.exe\$"
run mime-explode uu-cte.eml
like 'Content-Transfer-Encoding: x-uuencode is decoded' "^uu-cte\\.eml: 1${T}application/octet-stream${T}94${T}x-uuencode${T}-${T}a\\.bin\$"
# BinHex 4.0 in a text body (RFC 1741), a data: URI in HTML (RFC 2397)
cat >hqx.eml <<'M'
Subject: mac file

(This file must be converted with BinHex 4.0)
:"h*eELjPH'8!39"36$q3"!#3"3m!N!4$bdeD!*!+N!"KBUjA!!!:
M
run mime-explode hqx.eml
like 'a BinHex block is a member with its name' "^hqx\\.eml: 1/run\\.exe${T}-${T}15${T}binhex${T}member${T}run\\.exe\$"
mkdir hq
run mime-explode -d hq hqx.eml
is 'its data fork, runs undone' "$(od -An -tx1 hq/1_run.exe | tr -d ' \n')" 4d5a00000000000000000000906162
printf 'Content-Type: text/html\n\n<a href="data:application/x-msdownload;base64,TVqQAAMAAAA=" download="a.exe">x</a>\n' >uri.eml
run mime-explode uri.eml
like 'a base64 data: URI in HTML is a member' "^uri\\.eml: 1/data-1${T}-${T}8${T}data-uri${T}member${T}data-1\$"
printf 'Subject: \0x\n\nbody\0with NUL\n' >nul.eml
run mime-explode nul.eml
is_exit 'NUL bytes are data' 0
like 'the NUL is counted' "^nul\\.eml: 1${T}text/plain${T}14${T}"
control mimepartbytes 1024
head -c 5000 /dev/zero | base64 >z.b64
{ printf 'Content-Transfer-Encoding: base64\n\n'; cat z.b64; } >big.eml
run mime-explode big.eml
is_exit 'a part over mimepartbytes exits 99' 99
like 'the part is capped at the limit' "${T}1024${T}base64${T}capped${T}"
control mimepartbytes 12x
run mime-explode big.eml
is_exit 'a bad control value is a temporary error' 111
rm -f "$PORTCULLIS_CONTROL/mimepartbytes"
run mime-explode no-such-file.eml
is_exit 'a missing file exits 111' 111

# the reference, Python's email package over the corpus and the peer
# suites, is t/mime-compare.t
done_testing
