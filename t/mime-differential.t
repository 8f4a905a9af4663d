#!/bin/sh
# The parser differential: MIME that one reader takes one way and another
# reader another (lone CRs, encoded words and comments in Content-Type,
# hidden boundaries, parts after the close delimiter, junk before a
# part's fields or inside base64, names split, commented or quoted
# oddly) is judged in every reading; structural anomalies get the action
# control/mimeanomalies gives them; header-level ambiguity is refused by
# spoof-check.  The messages are written here, in the shapes of the
# public suites (noxxi/mime-is-broken, espoofer, Mailsploit); the suites
# themselves, when ../shared/peer-suites is there, are run last and must
# not lose ground.
. "$(dirname "$0")/lib.sh"

cd "$tmp" || exit 1
IN="filetype-check --direction in"
T=$(printf '\t')

# The payload: a Windows program (its first bytes are enough).
printf 'MZ\220\0\3\0\0\0\4\0\0\0\377\377\0\0' >prog.exe
head -c 200 /dev/zero >>prog.exe
b64=$(base64 prog.exe)

# head TYPE-LINE: a message header whose Content-Type line is given
head_() {
	printf 'From: a@example.org\nTo: b@example.net\nSubject: x\nMIME-Version: 1.0\n%s\n\n' "$1"
}
# part SEP: a text part and the program, each after the line SEP
parts() {
	printf -- '%s\nContent-Type: text/plain\n\nhello\n' "$1"
	printf -- '%s\nContent-Type: application/octet-stream\n' "$1"
	printf 'Content-Disposition: attachment; filename="prog.exe"\n'
	printf 'Content-Transfer-Encoding: base64\n\n%s\n' "$b64"
}

# --- what the strict reading misses and the lenient one finds ------------
# each row: name | Content-Type line | delimiter line | close line
n=0
while IFS='|' read -r name ct sep close; do
	[ -n "$name" ] || continue
	n=$((n + 1))
	{ head_ "$ct"; parts "$sep"; printf -- '%s\n' "$close"; } >"hide$n.eml"
	run $IN "hide$n.eml"
	if [ "$rc" = 100 ] && printf '%s\n' "$out" | grep -q 'lax/2 is application/x-dosexec'; then
		_result 1 "payload found: $name"
	else _result 0 "payload found: $name" "exit $rc: $out"; fi
done <<'EOF'
an encoded word as the type|Content-Type: =?UTF-8?B?bXVsdGlwYXJ0?=/mixed; boundary=b|--b|--b--
a comment before the type|Content-Type: () multipart/mixed; boundary=b|--b|--b--
a quoted type|Content-Type: "multipart/mixed"; boundary=b|--b|--b--
a type with a typo|Content-Type: ultipart/mixed; boundary=b|--b|--b--
a comma for a semicolon|Content-Type: multipart/mixed, boundary=b|--b|--b--
a hidden boundary parameter|Content-Type: multipart/mixed; bound(x)ary=b|--b|--b--
no type, only a boundary|Content-Type: boundary=b|--b|--b--
two colons|Content-Type:: multipart/mixed; boundary=b|--b|--b--
a delimiter with junk after it|Content-Type: multipart/mixed; boundary=b|--b X|--b--
EOF

# lone CRs as line breaks (clients break lines there; RFC 5322 does not)
printf 'From: a@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\rContent-Type: text/plain\r\rhello\r--b\rContent-Type: application/octet-stream\rContent-Disposition: attachment; filename="prog.exe"\rContent-Transfer-Encoding: base64\r\r%s\r--b--\r' \
	"$(printf '%s' "$b64" | tr '\n' '\r')" >lonecr.eml
run $IN lonecr.eml
is_exit 'lone CRs as line ends: the program is found' 100
run mime-explode --list lonecr.eml
like 'lone CRs: the lenient reading lists it under lax/' "^lonecr\\.eml: lax/2${T}application/octet-stream${T}216${T}base64${T}other-reading${T}prog\\.exe\$"
like 'lone CRs: the message says lone-cr' "^lonecr\\.eml: 0${T}.*lone-cr"

# the same boundary inside and out, the program after the close delimiter
{ head_ 'Content-Type: multipart/mixed; boundary=b'
  printf -- '--b\nContent-Type: text/plain\n\ndummy\n--b--\n'
  printf -- '--b\nContent-Type: multipart/mixed; boundary=b\n\n'
  parts '--b'; printf -- '--b--\n--b--\n'; } >epilogue.eml
run $IN epilogue.eml
is_exit 'parts after the close delimiter are read' 100

# junk lines between a delimiter and the part's fields
for junk in '' ':' ' ' "$(printf '\v')"; do
	{ head_ 'Content-Type: multipart/mixed; boundary=b'
	  printf -- '--b\nContent-Type: text/plain\n\nhello\n--b\n%s\n' "$junk"
	  printf 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n%s\n--b--\n' "$b64"; } >junk.eml
	run $IN junk.eml
	is_exit "a junk line \"$junk\" before the fields: the program is found" 100
done

# junk in base64 before a zip: the zip is opened where it starts
if command -v zip >/dev/null; then
	zip -q p.zip prog.exe
	{ head_ 'Content-Type: multipart/mixed; boundary=b'
	  printf -- '--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="p.zip"\nContent-Transfer-Encoding: base64\n\nABCD\n'
	  base64 p.zip; printf -- '--b--\n'; } >shifted.eml
	run $IN shifted.eml
	is_exit 'a zip three bytes into its part is opened' 100
	like 'and the program in it named' '1/@3/prog\.exe is application/x-dosexec'
else
	_result 1 '# skip: no zip'
	_result 1 '# skip: no zip'
fi

# an attachment that readers decode two ways: the second decoding judged
b64q=$(python3 -c '
import base64
b = open("prog.exe", "rb").read()
# each byte alone in a group of four, the padding inside it: "X=Y="
for i in range(len(b)):
    e = base64.b64encode(b[i:i+1]).decode()
    print(e[0] + "=" + e[1] + "=")')
{ head_ 'Content-Type: multipart/mixed; boundary=b'
  printf -- '--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n%s\n--b--\n' "$b64q"; } >quads.eml
run $IN quads.eml
is_exit "padding inside base64 is read group by group too" 100
qpl=$(python3 -c '
for c in open("prog.exe", "rb").read():
    print("=0a=%02X=" % c)')
{ head_ 'Content-Type: multipart/mixed; boundary=b'
  printf -- '--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: quoted-printable\n\n%s\n--b--\n' "$qpl"; } >qpl.eml
run $IN qpl.eml
is_exit "lower-case escapes in quoted-printable are read both ways" 100
{ head_ 'Content-Type: text/plain'
  printf '=ybegin line=128 size=216 name=prog.exe\n'
  python3 -c '
import sys
out = bytearray()
for c in open("prog.exe", "rb").read():
    o = (c + 42) % 256
    if o in (0, 10, 13, 61):
        out += b"=" + bytes([(o + 64) % 256])
    else:
        out.append(o)
sys.stdout.buffer.write(bytes(out))'
  printf '\n=yend size=216\n'; } >yenc.eml
run $IN yenc.eml
is_exit 'a yEnc block in a text part is decoded' 100
like 'and named' '1/prog\.exe is application/x-dosexec'

# --- anomalies as verdicts -------------------------------------------------
{ head_ 'Content-Type: multipart/mixed; boundary=b'
  printf -- '--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nSGVs#bG8K\n--b--\n'; } >b64.eml
run $IN b64.eml
is_exit 'junk in base64 is held by default' 99
like 'the reason names the anomaly' '^b64\.eml: filetype-check quarantine 5\.7\.1 MIME anomaly bad-base64 \(mimeanomalies\)$'
control mimeanomalies '# ours' 'bad-base64 pass'
run $IN b64.eml
is_exit 'control/mimeanomalies can pass it' 0
control mimeanomalies 'bad-base64 reject'
run $IN b64.eml
is_exit 'or refuse it' 100
control mimeanomalies 'no-such-thing quarantine'
run $IN b64.eml
is_exit 'an unknown anomaly name is a configuration error' 111
err_like 'which says so' 'no anomaly is called no-such-thing'
control mimeanomalies 'bad-base64 maybe'
run $IN b64.eml
is_exit 'an unknown action too' 111
rm -f "$PORTCULLIS_CONTROL/mimeanomalies"

{ head_ 'Content-Type: multipart/mixed; bound(x)ary=b'
  printf -- '--b\nContent-Type: text/plain\n\nhello\n--b--\n'; } >nob.eml
run $IN nob.eml
is_exit 'a multipart without a boundary it can use is held' 99
like 'as no-boundary' 'MIME anomaly no-boundary'

# no false alarm: quoted mail in a text body is flagged, not held
{ head_ 'Content-Type: text/plain'
  printf 'As you wrote:\n--b\nContent-Type: text/plain\n\nhello again\n'; } >quoted.eml
run $IN quoted.eml
is_exit 'a delimiter and fields quoted in text are delivered' 0
like 'and flagged hidden-part' 'flag 2\.0\.0 MIME anomaly hidden-part'
{ head_ 'Content-Type: text/plain'
  printf 'Forwarded:\n--b\nContent-Type: text/plain; name="notes.txt"\n\nminutes\n--b--\n'; } >fwd.eml
run $IN fwd.eml
is_exit 'a named part quoted in a text body is judged by its bytes, not held' 0
printf '%%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%%%EOF\n' >r.pdf
{ head_ 'Content-Type: multipart/mixed; boundary=b'
  printf -- '--b\nContent-Type: application/pdf; name=Invoice_(2).pdf\nContent-Transfer-Encoding: base64\n\n'
  base64 r.pdf; printf -- '--b--\n'; } >paren.eml
run $IN paren.eml
is_exit 'a comment-like name that keeps its extension is not ambiguous' 0
{ head_ 'Content-Type: multipart/mixed; boundary=b'
  printf -- '--b\nContent-Type: text/plain\n\nhello\n--b\n\nno header here\n--b--\n'; } >clean.eml
run mime-explode --list clean.eml
is_exit 'a clean message exits 0' 0
unlike 'and has no second reading' 'lax/'

# --- every name a reader might give a part ---------------------------------
mkdir rules
cp -r "$PORTCULLIS_RULES"/* rules/
{ printf 'both\text:zip\treject\n'; cat "$PORTCULLIS_RULES/attachments"; } >rules/attachments
while IFS='|' read -r name hdr; do
	[ -n "$name" ] || continue
	{ head_ 'Content-Type: multipart/mixed; boundary=b'
	  printf -- '--b\n%s\nContent-Transfer-Encoding: base64\n\naGVsbG8K\n--b--\n' "$hdr"; } >name.eml
	run env PORTCULLIS_RULES="$tmp/rules" $IN name.eml
	if [ "$rc" = 100 ] && printf '%s\n' "$out" | grep -q 'rule at line 1'; then
		_result 1 "the .zip rule sees the name: $name"
	else _result 0 "the .zip rule sees the name: $name" "exit $rc: $out"; fi
done <<'EOF'
a comment after the name|Content-Disposition: attachment; filename=file.zip(.gif)
a comment inside the name|Content-Disposition: attachment; filename=file.z(.gif)ip
a comment after the key|Content-Disposition: attachment; filename()=file.zip
a quoted string and text|Content-Type: application/octet-stream; name="file".zip
single quotes|Content-Disposition: attachment;filename='file.zip'
an escaped semicolon|Content-Disposition: attachment; filename=file\;.zip
a bare semicolon|Content-Type: application/octet-stream; name=file;.zip
RFC 2231 without section 0|Content-Type: application/octet-stream; name*1=file.; name*2=zip
RFC 2231 with a gap|Content-Disposition: attachment; filename*0=file.; filename*2=zip
RFC 2231 out of order|Content-Disposition: attachment; filename*1*=''file.; filename*0*=zip
the name given twice|Content-Type: application/octet-stream; name=file.png; name=file.zip
UTF-16 without a BOM, big-endian|Content-Disposition: attachment; filename*=UTF-16''%00f%00i%00l%00e%00.%00z%00i%00p
UTF-16 without a BOM, little-endian|Content-Disposition: attachment; filename="=?utf-16?B?ZgBpAGwAZQAuAHoAaQBwAA==?="
EOF
printf 'From: a@example.org\nMIME-Version: 1.0\nContent-Type: application/octet-stream; name*0=file.\nContent-Type: application/octet-stream; name*1=zip\n\nhello\n' >two.eml
run mime-explode --list two.eml
like 'sections spread over two fields are joined' "${T}file\\.zip\$"

# --- header-level ambiguity (spoof-check) ----------------------------------
control localdomains ourco.example
SP="env DIRECTION=in SENDER=any@attack.example spoof-check"
printf 'From\r\n : <first@attack.example>\r\nResent-From: <admin@ourco.example>\r\nTo: <v@ourco.example>\r\nSubject: x\r\n\r\nhi\r\n' >a13.eml
run $SP <a13.eml
is_exit 'a From field folded before its colon is held (espoofer A13)' 99
like 'as a line that reads as From' 'ambiguous header line that reads as From'
printf 'To: <v@ourco.example>\nResent-From: <admin@ourco.example>\nSubject: x\n\nhi\n' >resent.eml
run $SP <resent.eml
is_exit 'no From and a Resent-From of ours: held' 99
like 'the claim is named' 'Resent-From header claims ourco\.example'
printf 'From: =?utf-8?b?%s?==?utf-8?Q?=0A=00?= <any@attack.example>\nTo: <v@ourco.example>\nSubject: x\n\nhi\n' \
	"$(printf 'Admin\r\n' | base64)" >mailsploit.eml
run $SP <mailsploit.eml
is_exit 'CR, LF and NUL out of encoded words in From are held (Mailsploit)' 99
like 'as an ambiguous From' 'ambiguous From field'
printf 'From: <any@attack.example>\nReply-To: <a@attack.example>\nReply-To: <b@attack.example>\nTo: <v@ourco.example>\nSubject: x\n\nhi\n' >rt.eml
run $SP <rt.eml
is_exit 'two Reply-To fields are held' 99
printf 'From: <any@attack.example>\nTo: <v@ourco.example>\nSubject: x\nSubject: y\n\nhi\n' >subj.eml
run $SP <subj.eml
is_exit 'two Subject fields are only flagged' 0
like 'and said' 'flag 2\.0\.0 Subject field given twice'
rm -f "$PORTCULLIS_CONTROL/localdomains"

# --- the public suites, when they are here ---------------------------------
shared=${PORTCULLIS_SHARED:-$top/../shared}
if [ -d "$shared/peer-suites/mime/noxxi" ]; then
	run env PORTCULLIS_SHARED="$shared" sh "$top/share/devel/peer-mime.sh" "$BIN"
	is_exit 'peer-mime.sh runs' 0
	# what this branch reached; fewer is a regression
	num() { printf '%s\n' "$out" | sed -n "s/^$1 .*$2 \\([0-9]*\\)\\/.*/\\1/p"; }
	ok 'hide-content: all 372 stopped' test "$(num hide-content stopped)" -ge 372
	ok 'hide-content: the payload found in at least 282' test "$(num hide-content found)" -ge 282
	ok 'hide-filename: at least 174 of 176 names seen' test "$(num hide-filename seen)" -ge 174
	ok 'hide-filename: all 176 seen or held' test "$(num hide-filename seen-or-held)" -ge 176
	like 'spoof: espoofer A13 and Mailsploit caught' '^spoof caught 2/2$'
else
	echo "# skip: no peer suites at $shared/peer-suites"
fi
done_testing
