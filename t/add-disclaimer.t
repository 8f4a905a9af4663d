#!/bin/sh
# add-disclaimer: control/disclaimer appended to outbound mail inside the
# body text in its own charset and transfer encoding, before </body> in
# HTML, in both alternatives, else as a part of its own; attachments and
# signed parts byte for byte the same; never twice; nothing changes
# without a disclaimer or for inbound mail.  Every output is read back by
# Python's email package (t/mime-rewrite.py).
. "$(dirname "$0")/lib.sh"

mr() { /usr/bin/python3 "$top/t/mime-rewrite.py" "$@"; }
got=$tmp/.out
for n in $(mr names); do mr make "$n" >"$tmp/$n.eml"; done
mr make alternative crlf >"$tmp/alternative-crlf.eml"

# the decoded text parts of a file, and the attachments' hashes
text_of() { mr text "$1"; }
attach_of() { mr parts "$1" | awk '$4 == "attachment" || $1 ~ /^image\// { print $1, $5 }'; }

## No disclaimer file: every message passes unchanged

for n in plain mixed signed; do
	run add-disclaimer <"$tmp/$n.eml"
	is_exit "$n: passes without control/disclaimer" 0
	ok "$n: byte for byte the same" cmp "$got" "$tmp/$n.eml"
done
err_like 'the log says why' 'disclaimer=none'

## A disclaimer the part's charset can hold

printf 'This e-mail is confidential.\nOurco Ltd, registered in Cardiff \303\251t\303\251 2026.\n' \
	>"$PORTCULLIS_CONTROL/disclaimer"

run add-disclaimer <"$tmp/plain.eml"
is_exit 'plain: rewritten' 0
err_like 'plain: the log says added' 'verdict=pass disclaimer=added parts=1'
ok 'plain: valid MIME' mr valid "$got"
text_of "$got" >"$tmp/t"
ok 'plain: the text ends with the disclaimer' sh -c "tail -2 '$tmp/t' | grep -q 'Cardiff été 2026'"
ok 'plain: the original text stays' grep -q 'see http://www.ourco.example/a.html' "$tmp/t"
like 'plain: a message with no MIME header becomes MIME for its 8-bit text' '^MIME-Version: 1\.0'
like 'plain: ... as quoted-printable UTF-8' '^Content-Transfer-Encoding: quoted-printable'
ok 'plain: the header fields it had stay' sh -c "grep -q '^Message-ID: <plain@ourco.example>' '$got'"

run add-disclaimer <"$tmp/latin1-qp.eml"
is_exit 'latin1-qp: rewritten' 0
ok 'latin1-qp: valid MIME' mr valid "$got"
like 'latin1-qp: the charset stays iso-8859-1' '^Content-Type: text/plain; charset=iso-8859-1$'
like 'latin1-qp: still quoted-printable' '^Content-Transfer-Encoding: quoted-printable$'
like 'latin1-qp: the disclaimer in latin-1 QP' '^Ourco Ltd, registered in Cardiff =E9t=E9 2026\.$'
text_of "$got" >"$tmp/t"
ok 'latin1-qp: the text decodes to the original and the disclaimer' \
	sh -c "grep -q 'Café crème at' '$tmp/t' && grep -q 'Cardiff été 2026' '$tmp/t'"
ok 'latin1-qp: the long line is whole again' grep -Eq '^Long line x{120}$' "$tmp/t"

run add-disclaimer <"$tmp/cp1252-b64.eml"
is_exit 'cp1252-b64: rewritten' 0
ok 'cp1252-b64: valid MIME' mr valid "$got"
like 'cp1252-b64: the charset stays windows-1252' 'charset=windows-1252$'
like 'cp1252-b64: still base64' '^Content-Transfer-Encoding: base64$'
text_of "$got" >"$tmp/t"
ok 'cp1252-b64: the euro sign and quotes decode' grep -q 'Price € 5 – “quoted”' "$tmp/t"
ok 'cp1252-b64: the disclaimer decodes' grep -q 'Cardiff été 2026' "$tmp/t"
ok 'cp1252-b64: CRLF text keeps CRLF line ends in the base64' \
	sh -c "mr() { /usr/bin/python3 '$top/t/mime-rewrite.py' \"\$@\"; }; /usr/bin/python3 -c \"
import sys, email
m = email.message_from_binary_file(open('$got', 'rb'))
d = m.get_payload(decode=True)
sys.exit(0 if d.count(b'\r\n') == d.count(b'\n') and d.endswith(b'2026.\r\n') else 1)\""

run add-disclaimer <"$tmp/alternative.eml"
is_exit 'alternative: rewritten' 0
err_like 'alternative: both parts' 'disclaimer=added parts=2'
ok 'alternative: valid MIME' mr valid "$got"
text_of "$got" >"$tmp/t"
is 'alternative: the disclaimer in each part' "$(grep -c 'This e-mail is confidential' "$tmp/t")" 2
ok 'alternative: in the HTML before </body>' sh -c \
	"grep -A3 'This e-mail is confidential' '$tmp/t' | grep -q '</body>'"
ok 'alternative: the HTML has it escaped as references' grep -q 'Cardiff &#233;t&#233; 2026' "$tmp/t"
like 'alternative: the boundary lines stay' '^--alt1--$'

run add-disclaimer <"$tmp/alternative-crlf.eml"
is_exit 'alternative, CRLF: rewritten' 0
ok 'alternative, CRLF: every line ends in CRLF' sh -c "! grep -q \"\$(printf '[^\\r]\$')\" '$got'"
ok 'alternative, CRLF: valid MIME' mr valid "$got"

run add-disclaimer <"$tmp/related.eml"
is_exit 'related: rewritten' 0
err_like 'related: the text and the HTML root' 'parts=2'
ok 'related: valid MIME' mr valid "$got"
attach_of "$tmp/related.eml" >"$tmp/a.in"
attach_of "$got" >"$tmp/a.out"
ok 'related: the inline image is byte for byte the same' cmp "$tmp/a.in" "$tmp/a.out"
like 'related: the HTML keeps iso-8859-1' 'charset=iso-8859-1$'

run add-disclaimer <"$tmp/mixed.eml"
is_exit 'mixed: rewritten' 0
err_like 'mixed: one part' 'parts=1'
ok 'mixed: valid MIME' mr valid "$got"
attach_of "$tmp/mixed.eml" >"$tmp/a.in"
attach_of "$got" >"$tmp/a.out"
ok 'mixed: attachments decode to the same bytes' cmp "$tmp/a.in" "$tmp/a.out"
is 'mixed: two attachments, the text one untouched' "$(wc -l <"$tmp/a.out")" 2
ok 'mixed: the PDF part is the same bytes in the message' sh -c \
	"sed -n '/^Content-Type: application.pdf/,/^--m3/p' '$tmp/mixed.eml' >'$tmp/p1'; \
	 sed -n '/^Content-Type: application.pdf/,/^--m3/p' '$got' >'$tmp/p2'; cmp '$tmp/p1' '$tmp/p2'"
like 'mixed: 8bit UTF-8 stays 8bit' '^Content-Transfer-Encoding: 8bit$'

run add-disclaimer <"$tmp/attach-first.eml"
is_exit 'attach-first: rewritten' 0
ok 'attach-first: valid MIME' mr valid "$got"
is 'attach-first: a part of its own, last' "$(mr parts "$got" | awk '{print $1, $4}' | tr '\n' ' ')" \
	'application/pdf attachment text/plain inline '
attach_of "$tmp/attach-first.eml" >"$tmp/a.in"
attach_of "$got" >"$tmp/a.out"
ok 'attach-first: the PDF is the same' cmp "$tmp/a.in" "$tmp/a.out"

run add-disclaimer <"$tmp/pdf-only.eml"
is_exit 'pdf-only: wrapped' 0
err_like 'pdf-only: the log says wrapped' 'disclaimer=wrapped parts=1'
ok 'pdf-only: valid MIME' mr valid "$got"
like 'pdf-only: a multipart/mixed wrapper' '^Content-Type: multipart/mixed; boundary="=_portcullis_[0-9a-f]{24}"$'
is 'pdf-only: PDF then the disclaimer' "$(mr parts "$got" | awk '{print $1, $4}' | tr '\n' ' ')" \
	'application/pdf attachment text/plain inline '
attach_of "$tmp/pdf-only.eml" >"$tmp/a.in"
attach_of "$got" >"$tmp/a.out"
ok 'pdf-only: the PDF is the same' cmp "$tmp/a.in" "$tmp/a.out"
is 'pdf-only: one Content-Type for the message' "$(sed '/^$/q' "$got" | grep -c '^Content-Type')" 1

for n in signed smime; do
	run add-disclaimer <"$tmp/$n.eml"
	is_exit "$n: wrapped, not touched" 0
	err_like "$n: the log says so" 'disclaimer=wrapped-signed'
	ok "$n: valid MIME" mr valid "$got"
	sed '1,/^$/d' "$tmp/$n.eml" >"$tmp/body"
	ok "$n: the signed body is inside, byte for byte" /usr/bin/python3 -c "
import sys
sys.exit(0 if open('$tmp/body', 'rb').read() in open('$got', 'rb').read() else 1)"
	[ $n = signed ] && like 'signed: the signed entity keeps its own type' \
		'^Content-Type: multipart/signed; protocol='
done

run add-disclaimer <"$tmp/html-only.eml"
is_exit 'html-only: rewritten' 0
ok 'html-only: valid MIME' mr valid "$got"
text_of "$got" >"$tmp/t"
ok 'html-only: the cp1252 quotes decode' grep -q '“newsletter”' "$tmp/t"
ok 'html-only: before </body>' sh -c "grep -A3 'This e-mail' '$tmp/t' | grep -q '</body>'"

## Never twice

for n in plain alternative related mixed pdf-only signed; do
	add-disclaimer <"$tmp/$n.eml" >"$tmp/once" 2>/dev/null
	run add-disclaimer <"$tmp/once"
	is_exit "$n: a second run passes" 0
	ok "$n: ... and changes nothing" cmp "$got" "$tmp/once"
	err_like "$n: ... because it is present" 'disclaimer=present'
done

add-disclaimer <"$tmp/plain.eml" >"$tmp/once" 2>/dev/null
{ printf 'From: bob@partner.example\nTo: alice@ourco.example\nSubject: Re: plain\n\n'
  printf 'Thanks!\n\nOn Wed, Alice wrote:\n'
  mr text "$tmp/once" | sed 1d | sed 's/^/> /' | fmt -w 40; } >"$tmp/reply.eml"
run add-disclaimer <"$tmp/reply.eml"
is_exit 'a reply quoting it, rewrapped: passes' 0
ok 'a reply quoting it: unchanged' cmp "$got" "$tmp/reply.eml"

## A disclaimer the part's charset cannot hold: the part becomes UTF-8

printf 'This e-mail is confidential \342\200\223 Ourco Ltd.\n' >"$PORTCULLIS_CONTROL/disclaimer"
run add-disclaimer <"$tmp/latin1-qp.eml"
is_exit 'latin1 with an en dash: rewritten' 0
ok 'latin1 with an en dash: valid MIME' mr valid "$got"
like 'latin1 with an en dash: now UTF-8' '^Content-Type: text/plain; charset=utf-8$'
text_of "$got" >"$tmp/t"
ok 'latin1 with an en dash: both texts decode' sh -c \
	"grep -q 'Café crème' '$tmp/t' && grep -q 'confidential – Ourco' '$tmp/t'"

## control/disclaimer.html for HTML parts

printf '<p class="legal">Confidential &mdash; <b>Ourco</b> \303\251t\303\251</p>\n' \
	>"$PORTCULLIS_CONTROL/disclaimer.html"
run add-disclaimer <"$tmp/alternative.eml"
is_exit 'disclaimer.html: rewritten' 0
text_of "$got" >"$tmp/t"
ok 'disclaimer.html: in the HTML part, non-ASCII as references' \
	grep -q '<p class="legal">Confidential &mdash; <b>Ourco</b> &#233;t&#233;</p>' "$tmp/t"
ok 'disclaimer.html: the text part has the text' grep -q 'confidential – Ourco Ltd' "$tmp/t"

## A resident (--serve): the direction of each job is its own

run /usr/bin/python3 "$top/t/serve-job.py" -- add-disclaimer -- \
	"$tmp/plain.eml|DIRECTION=out|QUEUEID=q1" "$tmp/plain.eml|DIRECTION=in"
is_exit '--serve: two jobs, the resident ends normally' 0
like '--serve: job 1 outbound gets it' 'qid=q1 verdict=pass disclaimer=added parts=1'
like '--serve: job 2 inbound does not, QUEUEID of job 1 gone' 'qid=- verdict=pass disclaimer=inbound'
like '--serve: the resident leaves with 0' '^resident exit 0$'

## Inbound mail, and errors

run env DIRECTION=in add-disclaimer <"$tmp/plain.eml"
is_exit 'inbound: passes' 0
ok 'inbound: unchanged' cmp "$got" "$tmp/plain.eml"
run add-disclaimer --direction in "$tmp/plain.eml"
ok 'inbound by flag, from a file: unchanged' cmp "$got" "$tmp/plain.eml"

control databytes 1024
{ cat "$tmp/plain.eml"; head -c 1200000 /dev/zero | tr '\0' 'x' | fold -w 70; } >"$tmp/big.eml"
run add-disclaimer <"$tmp/big.eml"
is_exit 'over the size cap: passes' 0
ok 'over the size cap: copied as it came, whole' cmp "$got" "$tmp/big.eml"
err_like 'over the size cap: the log says so' 'verdict=pass disclaimer=too-big'
rm "$PORTCULLIS_CONTROL/databytes"

chmod 000 "$PORTCULLIS_CONTROL/disclaimer"
if [ "$(id -u)" != 0 ]; then
	run add-disclaimer <"$tmp/plain.eml"
	is_exit 'an unreadable disclaimer is a temporary failure' 111
	is 'nothing on stdout' "$out" ''
else
	_result 1 '# skip unreadable file (root reads it)'
	_result 1 '# skip unreadable file (root reads it)'
fi
chmod 644 "$PORTCULLIS_CONTROL/disclaimer"
run add-disclaimer --bogus
is_exit 'a usage error is 111' 111

## Through the running gateway: the default outbound chain adds it

chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
chmod 644 "$PORTCULLIS_CONTROL"/*
Q=$tmp/q
md=$tmp/md
mkdir "$md" && chown 65534 "$md"
gport=$(free_port)
control me gw.ourco.test
control localdomains ourco.example
control relayclients 127.0.0.1
control listen "127.0.0.1:$gport"
control routes "partner.test maildir:$md/%u"
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
if ok 'the gateway starts with the default chains' start_gw; then
	/usr/bin/python3 - "$gport" "$tmp/mixed.eml" <<'PY'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.sendmail('alice@ourco.example', ['bob@partner.test'], open(sys.argv[2], 'rb').read().replace(b'\n', b'\r\n'))
s.quit()
PY
	for i in $(seq 150); do ls "$md"/bob/new/* >/dev/null 2>&1 && break; sleep 0.1; done
	f=$(ls "$md"/bob/new/* 2>/dev/null | head -1)
	ok 'gateway: the outbound message is delivered' test -n "$f"
	ok 'gateway: valid MIME' mr valid "${f:-/nonexistent}"
	mr text "${f:-/nonexistent}" >"$tmp/t" 2>/dev/null
	ok 'gateway: with the disclaimer' grep -q 'This e-mail is confidential' "$tmp/t"
	attach_of "$tmp/mixed.eml" >"$tmp/a.in"
	attach_of "${f:-/nonexistent}" >"$tmp/a.out" 2>/dev/null
	ok 'gateway: the attachments are the same' cmp "$tmp/a.in" "$tmp/a.out"
	ok 'gateway: the log names the stage' grep -q 'add-disclaimer.*disclaimer=added' "$tmp/gw.log"
	kill $gw; wait $gw 2>/dev/null
fi

## The corpus: every message comes out valid where it went in valid

corpus=${PORTCULLIS_SHARED:-$top/../shared}/corpus
if [ -d "$corpus/hard-ham" ]; then
	bad= n=0
	for f in $(ls "$corpus/hard-ham" | head -40); do
		n=$((n + 1))
		add-disclaimer <"$corpus/hard-ham/$f" >"$tmp/c.out" 2>"$tmp/c.err" || { bad="$bad $f(exit $?: $(cat "$tmp/c.err"))"; continue; }
		mr parts "$corpus/hard-ham/$f" 2>/dev/null | awk '$4 == "attachment" {print $5}' >"$tmp/h1"
		mr parts "$tmp/c.out" | awk '$4 == "attachment" {print $5}' >"$tmp/h2"
		cmp -s "$tmp/h1" "$tmp/h2" || bad="$bad $f"
	done
	is "corpus: $n hard-ham messages rewritten, attachments the same" "$bad" ''
else
	_result 1 "# skip corpus: $corpus absent"
fi

done_testing
