#!/bin/sh
# link-defang: HTML rendered to readable text with each link's real
# target beside its text, links written hxxps://host[.]example/path in
# the part's charset or UTF-8, the HTML alternative gone, attachments byte
# for byte; allow-listed senders and mail without links unchanged; signed
# mail left alone or wrapped whole, never broken.  Every output is read
# back by Python's email package (t/mime-rewrite.py).
. "$(dirname "$0")/lib.sh"

mr() { /usr/bin/python3 "$top/t/mime-rewrite.py" "$@"; }
got=$tmp/.out
for n in $(mr names); do mr make "$n" >"$tmp/$n.eml"; done
mr make alternative crlf >"$tmp/alternative-crlf.eml"
text_of() { mr text "$1"; }
attach_of() { mr parts "$1" | awk '$4 == "attachment" || $1 ~ /^image\// { print $1, $5 }'; }
# no link a client would make clickable is left in the decoded text
no_live_links() { ! grep -Eiq '(^|[^a-z0-9.])(https?://|ftp://|www\.[a-z0-9])' "$1"; }

## An HTML newsletter in a multipart/alternative

run link-defang <"$tmp/alternative.eml"
is_exit 'newsletter: rewritten' 0
err_like 'newsletter: the log counts links, HTML parts, targets shown' \
	'verdict=pass defang=defanged links=2 html=1 shown=1 hidden=1'
ok 'newsletter: valid MIME' mr valid "$got"
is 'newsletter: one text/plain part is left' "$(mr parts "$got" | awk '{print $1, $2}')" 'text/plain utf-8'
like 'newsletter: our header says what happened' '^X-Portcullis-Link-Defang: pass 2\.0\.0 links=2 html=1 shown=1$'
text_of "$got" >"$tmp/t"
ok 'newsletter: no clickable link is left' no_live_links "$tmp/t"
ok 'newsletter: the lying link shows its real target' \
	grep -q 'read hxxps://www\[\.\]ourco\[\.\]example/news <hxxps://tracker\[\.\]evil\[\.\]example/c?u=1> today\.' "$tmp/t"
ok 'newsletter: the heading, with its en dash' grep -q '^Our news – December$' "$tmp/t"
ok 'newsletter: list items' sh -c "grep -q '^\* first item$' '$tmp/t' && grep -q '^\* second item$' '$tmp/t'"
ok 'newsletter: table cells of a row on a line' grep -q '^Widget | 5 EUR$' "$tmp/t"
ok 'newsletter: the image alt text' grep -q '^\[Ourco logo\]$' "$tmp/t"
ok 'newsletter: no hidden text' sh -c "! grep -q 'hidden preheader' '$tmp/t'"
ok 'newsletter: no script, style or title' sh -c "! grep -Eq 'document.write|color: red|^News$' '$tmp/t'"
ok 'newsletter: no markup left' sh -c "! grep -Eq '</?(html|body|h1|p|a|div|ul|li|table|tr|td|img)[ >]' '$tmp/t'"
ok 'newsletter: the other header fields stay' grep -q '^Message-ID: <alternative@ourco.example>$' "$got"

run link-defang <"$tmp/alternative-crlf.eml"
is_exit 'newsletter, CRLF: rewritten' 0
ok 'newsletter, CRLF: every line ends in CRLF' sh -c "! grep -q \"\$(printf '[^\\r]\$')\" '$got'"
ok 'newsletter, CRLF: valid MIME' mr valid "$got"

## Inline images (multipart/related with cid:)

run link-defang <"$tmp/related.eml"
is_exit 'related: rewritten' 0
ok 'related: valid MIME' mr valid "$got"
like 'related: the related part, without its HTML root, becomes mixed' '^Content-Type: multipart/mixed; boundary="r2"$'
attach_of "$tmp/related.eml" >"$tmp/a.in"
attach_of "$got" >"$tmp/a.out"
ok 'related: the inline image decodes to the same bytes' cmp "$tmp/a.in" "$tmp/a.out"
text_of "$got" >"$tmp/t"
ok 'related: the iso-8859-1 HTML comes out as UTF-8 text' grep -q '^Our café$' "$tmp/t"
ok 'related: no clickable link' no_live_links "$tmp/t"

## HTML alone, in windows-1252 quoted-printable

run link-defang <"$tmp/html-only.eml"
is_exit 'html-only: rewritten' 0
ok 'html-only: valid MIME' mr valid "$got"
like 'html-only: now text/plain UTF-8' '^Content-Type: text/plain; charset=utf-8$'
text_of "$got" >"$tmp/t"
ok 'html-only: the cp1252 quotes decode' grep -q '^Our “newsletter”$' "$tmp/t"
ok 'html-only: no clickable link' no_live_links "$tmp/t"

## Plain text in its own charset and encoding

run link-defang <"$tmp/plain.eml"
is_exit 'plain: rewritten' 0
ok 'plain: valid MIME' mr valid "$got"
text_of "$got" >"$tmp/t"
ok 'plain: both links defanged, the path kept' \
	grep -q '^see hxxp://www\[\.\]ourco\[\.\]example/a.html and www\[\.\]partner\[\.\]example\.$' "$tmp/t"

run link-defang <"$tmp/latin1-qp.eml"
is_exit 'latin1-qp: rewritten' 0
ok 'latin1-qp: valid MIME' mr valid "$got"
like 'latin1-qp: the charset stays' '^Content-Type: text/plain; charset=iso-8859-1$'
like 'latin1-qp: still quoted-printable' '^Content-Transfer-Encoding: quoted-printable$'
text_of "$got" >"$tmp/t"
ok 'latin1-qp: the text decodes, the link defanged' grep -q '^Café crème at hxxps://café\[\.\]example/menu$' "$tmp/t"

run link-defang <"$tmp/cp1252-b64.eml"
is_exit 'cp1252-b64: rewritten' 0
ok 'cp1252-b64: valid MIME' mr valid "$got"
like 'cp1252-b64: still windows-1252' 'charset=windows-1252$'
like 'cp1252-b64: still base64' '^Content-Transfer-Encoding: base64$'
text_of "$got" >"$tmp/t"
ok 'cp1252-b64: the euro sign stays, the link defanged' grep -q 'Price € 5 – “quoted”, see hxxps://shop\[\.\]example/x' "$tmp/t"

## Attachments

run link-defang <"$tmp/mixed.eml"
is_exit 'mixed: rewritten' 0
ok 'mixed: valid MIME' mr valid "$got"
attach_of "$tmp/mixed.eml" >"$tmp/a.in"
attach_of "$got" >"$tmp/a.out"
ok 'mixed: attachments decode to the same bytes' cmp "$tmp/a.in" "$tmp/a.out"
ok 'mixed: the attached text file keeps its link' grep -q 'http://attached.example/' "$got"
ok 'mixed: the body text is defanged' grep -q 'hxxps://cv\[\.\]example/alice' "$got"

## Unchanged: no links, allow-listed senders, a second run

for n in ascii-7bit nolinks-html pdf-only attach-first; do
	run link-defang <"$tmp/$n.eml"
	is_exit "$n: passes" 0
	ok "$n: no links, byte for byte the same" cmp "$got" "$tmp/$n.eml"
done
err_like 'the log says no-links' 'defang=no-links'

control defangskip 'newsletter@partner.example' '@ourco.example' '.trusted.example'
for s in alice@ourco.example news@mail.trusted.example; do
	run env SENDER=$s link-defang <"$tmp/alternative.eml"
	is_exit "defangskip: $s passes" 0
	ok "defangskip: $s unchanged" cmp "$got" "$tmp/alternative.eml"
	err_like "defangskip: $s is logged as skipped" 'defang=skipped'
done
run /usr/bin/python3 "$top/t/serve-job.py" -- link-defang -- \
	"$tmp/alternative.eml|SENDER=alice@ourco.example" "$tmp/alternative.eml|QUEUEID=q2"
is_exit '--serve: two jobs, the resident ends normally' 0
like '--serve: job 1 from an allow-listed sender is skipped' 'qid=- verdict=pass defang=skipped'
like '--serve: job 2 without a sender is defanged' 'qid=q2 verdict=pass defang=defanged'
run link-defang --sender mallory@trusted.example.evil.example <"$tmp/alternative.eml"
ok 'defangskip: a look-alike domain is not skipped' grep -q '^X-Portcullis-Link-Defang:' "$got"
rm "$PORTCULLIS_CONTROL/defangskip"

for n in alternative related plain mixed; do
	link-defang <"$tmp/$n.eml" >"$tmp/once" 2>/dev/null
	run link-defang <"$tmp/once"
	is_exit "$n: a second run passes" 0
	ok "$n: ... and changes nothing" cmp "$got" "$tmp/once"
done

## Signed mail: left alone by default, wrapped under signedpolicy wrap

for n in signed smime; do
	run link-defang <"$tmp/$n.eml"
	is_exit "$n: passes" 0
	ok "$n: left alone, byte for byte" cmp "$got" "$tmp/$n.eml"
	err_like "$n: logged as signed-left" 'defang=signed-left'
done
control signedpolicy wrap
for n in signed smime; do
	run link-defang <"$tmp/$n.eml"
	is_exit "$n, wrap: passes" 0
	err_like "$n, wrap: logged as signed-wrapped" 'defang=signed-wrapped'
	ok "$n, wrap: valid MIME" mr valid "$got"
	like "$n, wrap: a note and the original" '^Content-Type: message/rfc822$'
	sed '1,/^$/d' "$tmp/$n.eml" >"$tmp/body"
	ok "$n, wrap: the original is inside, byte for byte" /usr/bin/python3 -c "
import sys
sys.exit(0 if open('$tmp/body', 'rb').read() in open('$got', 'rb').read() else 1)"
done
control signedpolicy sometimes
run link-defang <"$tmp/plain.eml"
is_exit 'a wrong signedpolicy is a temporary failure' 111
is 'nothing on stdout' "$out" ''
err_like 'the error names the file' 'signedpolicy: leave or wrap, not sometimes'
rm "$PORTCULLIS_CONTROL/signedpolicy"

## Hostile input

{ printf 'From: a@b.example\nSubject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n'
  i=0; while [ $i -lt 80 ]; do printf -- '--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n' $i $((i + 1)); i=$((i + 1)); done
  printf -- '--b80\nContent-Type: text/html\n\n<a href="http://deep.example/">x</a>\n'; } >"$tmp/deep.eml"
run link-defang <"$tmp/deep.eml"
is_exit 'nesting past the depth limit: passes' 0
/usr/bin/python3 -c 'import sys; sys.stdout.write("<a href=\"http://x.example/\">" + "<li>" * 200000 + "<td>" * 100000 + "</a>")' \
	| { printf 'From: a@b.example\nContent-Type: text/html\n\n'; cat; } >"$tmp/huge.eml"
run link-defang <"$tmp/huge.eml"
is_exit 'a huge tag soup: rewritten' 0
ok 'a huge tag soup: output bounded' test "$(wc -c <"$got")" -lt 10000000

## Through the running gateway: opted in at the end of chain.in

chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
Q=$tmp/q
md=$tmp/md
mkdir "$md" && chown 65534 "$md"
gport=$(free_port)
control me gw.ourco.test
control localdomains ourco.example
control listen "127.0.0.1:$gport"
control routes "ourco.example maildir:$md/%u"
control chain.in 'header-strip --direction in' 'spoof-check -a' 'spam-score -a' 'link-defang'
chmod 644 "$PORTCULLIS_CONTROL"/*
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
if ok 'the gateway starts with link-defang in chain.in' start_gw; then
	/usr/bin/python3 - "$gport" "$tmp/related.eml" <<'PY'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.sendmail('news@partner.example', ['bob@ourco.example'],
           open(sys.argv[2], 'rb').read().replace(b'\n', b'\r\n').replace(
               b'alice@ourco.example', b'news@partner.example'))
s.quit()
PY
	for i in $(seq 150); do ls "$md"/bob/new/* >/dev/null 2>&1 && break; sleep 0.1; done
	f=$(ls "$md"/bob/new/* 2>/dev/null | head -1)
	ok 'gateway: the inbound newsletter is delivered' test -n "$f"
	ok 'gateway: valid MIME' mr valid "${f:-/nonexistent}"
	mr text "${f:-/nonexistent}" >"$tmp/t" 2>/dev/null
	ok 'gateway: defanged, the lying link exposed' grep -q '<hxxps://tracker\[\.\]evil\[\.\]example/c?u=1>' "$tmp/t"
	ok 'gateway: no clickable link' no_live_links "$tmp/t"
	attach_of "$tmp/related.eml" >"$tmp/a.in"
	attach_of "${f:-/nonexistent}" >"$tmp/a.out" 2>/dev/null
	ok 'gateway: the inline image is the same' cmp "$tmp/a.in" "$tmp/a.out"
	ok 'gateway: the other stages'"'"' headers are there' grep -q '^X-Spam-Status:' "${f:-/nonexistent}"
	[ -n "$f" ] || sed 's/^/# /' "$tmp/gw.log"
	kill $gw; wait $gw 2>/dev/null
fi

## The corpus: valid MIME in, valid MIME out, attachments the same

corpus=${PORTCULLIS_SHARED:-$top/../shared}/corpus
if [ -d "$corpus/hard-ham" ]; then
	bad= n=0 live=0
	for f in $(ls "$corpus/hard-ham" | head -40); do
		n=$((n + 1))
		link-defang <"$corpus/hard-ham/$f" >"$tmp/c.out" 2>"$tmp/c.err" || { bad="$bad $f(exit $?: $(cat "$tmp/c.err"))"; continue; }
		mr parts "$corpus/hard-ham/$f" 2>/dev/null | awk '$4 == "attachment" {print $5}' >"$tmp/h1"
		mr parts "$tmp/c.out" | awk '$4 == "attachment" {print $5}' >"$tmp/h2"
		cmp -s "$tmp/h1" "$tmp/h2" || bad="$bad $f"
		mr text "$tmp/c.out" >"$tmp/c.txt" 2>/dev/null
		no_live_links "$tmp/c.txt" || live=$((live + 1))
	done
	is "corpus: $n hard-ham messages rewritten, attachments the same" "$bad" ''
	is "corpus: no clickable link left in any" "$live" 0
else
	_result 1 "# skip corpus: $corpus absent"
	_result 1 "# skip corpus: $corpus absent"
fi

done_testing
