#!/bin/sh
# filetype-check: every part and member judged by its bytes against the
# shipped strict policy and against site rules per direction; fixtures
# built here (zip, 7z, tar, encrypted, a bomb, 60 deep, a renamed audio
# file, Office macros, HTML smuggling, lying names) plus ClamAV's
# harmless test files wrapped in mail under innocent names.
. "$(dirname "$0")/lib.sh"

cd "$tmp" || exit 1
IN="filetype-check --direction in"

# wrap FILE NAME [TYPE] [SUBJECT]: a message with FILE attached as NAME
wrap() {
	printf 'From: a@example.org\nTo: b@example.net\nSubject: %s\n' "${4:-files}"
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_b"\n\n'
	printf -- '--=_b\nContent-Type: text/plain; charset=us-ascii\n\nsee attached\n'
	printf -- '--=_b\nContent-Type: %s; name="%s"\n' "${3:-application/octet-stream}" "$2"
	printf 'Content-Disposition: attachment; filename="%s"\n' "$2"
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 "$1"
	printf -- '--=_b--\n'
}

# --- clean mail --------------------------------------------------------
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >report.pdf
wrap report.pdf report.pdf application/pdf >clean.eml
run $IN <clean.eml
is_exit 'a PDF passes' 0
like 'the verdict line says pass' '^filetype-check pass 2\.0\.0 '
err_like 'one log line' '^filetype-check: qid=- verdict=pass'

printf 'quarterly figures\n' >notes.txt
zip -q notes.zip notes.txt report.pdf && wrap notes.zip notes.zip application/zip >zip-ok.eml
run $IN zip-ok.eml
is_exit 'a zip of documents passes' 0

# --- executables, at their true depth ------------------------------------
printf 'MZ\220\0\3\0\0\0\4\0\0\0\377\377\0\0' >prog.exe
head -c 200 /dev/zero >>prog.exe
zip -q inner.zip prog.exe && zip -q outer.zip inner.zip notes.txt
wrap outer.zip quarterly.zip application/zip >exe.eml
run $IN <exe.eml
is_exit 'an exe two zips down is rejected' 100
like 'the reason names its path and true type' '^filetype-check reject 5\.7\.1 2/inner\.zip/prog\.exe is application/x-dosexec \(executable\)$'

cp prog.exe photo.jpg && wrap photo.jpg photo.jpg image/jpeg >renamed-exe.eml
run $IN renamed-exe.eml
is_exit 'an exe named .jpg is rejected' 100
like 'it is named as the executable it is' '2 is application/x-dosexec \(executable\)'

printf 'WScript.Echo("hi");\n' >run.js && wrap run.js run.js text/plain >js.eml
run $IN js.eml
is_exit 'a .js script is rejected' 100

tar cf - prog.exe | gzip >t.tgz && wrap t.tgz t.tgz >tgz.eml
run $IN tgz.eml
like 'an exe in a tar.gz' 'reject 5\.7\.1 2/prog\.exe is application/x-dosexec'
if command -v 7z >/dev/null 2>&1; then
	7z a -bd p.7z inner.zip >/dev/null && wrap p.7z p.7z >7z.eml
	run $IN 7z.eml
	like 'an exe in a zip in a 7z' 'reject 5\.7\.1 2/inner\.zip/prog\.exe is application/x-dosexec'
	7z a -bd -psecret e.7z notes.txt >/dev/null && wrap e.7z e.7z >e7z.eml
	run $IN e7z.eml
	is_exit 'an encrypted 7z is quarantined' 99
	like 'as encrypted' 'quarantine 5\.7\.1 .*\(encrypted\)'
fi
zip -q -P secret enc.zip notes.txt && wrap enc.zip enc.zip >enc.eml
run $IN enc.eml
is_exit 'zip -e is quarantined' 99
like 'as encrypted, naming the member' 'quarantine 5\.7\.1 2/notes\.txt is .*\(encrypted\)'

# --- lying names ---------------------------------------------------------
wrap notes.txt 'happy.doc.exe' >dbl.eml
run $IN dbl.eml
is_exit 'a double extension is rejected' 100
like 'named as such' 'reject 5\.7\.1 2 is text/plain \(double-extension\)'
wrap notes.txt 'invoice.pdf      .exe' >pad.eml
run $IN pad.eml
like 'spaces before the last extension' '\(double-extension\)'
printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename*=utf-8%s%%E2%%80%%AEfdp.exe\nContent-Transfer-Encoding: base64\n\naGVsbG8K\n--b--\n' "''" >bidi.eml
run $IN bidi.eml
is_exit 'U+202E in a name is rejected' 100
like 'as bidi' 'reject 5\.7\.1 1 is text/plain \(bidi\)'
# A renamed audio file: MP3 bytes named budget.doc.
{ printf 'ID3\3\0\0\0\0\0\0'; head -c 4000 /dev/urandom; } >budget.doc
wrap budget.doc budget.doc application/msword >mp3.eml
run $IN mp3.eml
is_exit 'an MP3 named budget.doc is quarantined' 99
like 'as renamed' 'quarantine 5\.7\.1 2 is audio/mpeg \(renamed\)'

# --- disk images, smuggling, macros ----------------------------------------
{ head -c 32769 /dev/zero; printf 'CD001'; head -c 4000 /dev/zero; } >disk.iso
wrap disk.iso photos.iso >iso.eml
run $IN iso.eml
is_exit 'a disk image is rejected' 100
like 'as a disk image' '\(disk-image\)'
cat >page.html <<'H'
<html><body><script>
var b = atob("TVqQAAMAAAAEAAAA"); var a = new Uint8Array(b.length);
var blob = new Blob([a], {type: "application/octet-stream"});
var l = document.createElement("a"); l.href = URL.createObjectURL(blob);
l.download = "invoice.exe"; l.click();
</script></body></html>
H
wrap page.html invoice.html text/html >smug.eml
run $IN smug.eml
is_exit 'HTML smuggling is rejected' 100
like 'as smuggling' '2 is text/html \(html-smuggling\)'
printf '<html><body><script>document.title = "x";</script></body></html>\n' >plain.html
wrap plain.html news.html text/html >html.eml
run $IN html.eml
is_exit 'ordinary HTML with script passes' 0
mkdir -p docm/word docm/_rels
printf '<?xml version="1.0"?><Types><Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>' >'docm/[Content_Types].xml'
printf '<?xml version="1.0"?><w:document/>' >docm/word/document.xml
printf '\320\317\021\340\241\261\032\341VBA project' >docm/word/vbaProject.bin
(cd docm && zip -q -r ../macro.docm .)
wrap macro.docm macro.docm >docm.eml
run $IN docm.eml
is_exit 'an OOXML document with a VBA project is rejected' 100
like 'as a macro' '\(macro\)'
cp macro.docm budget.pdf && wrap budget.pdf budget.pdf application/pdf >docm2.eml
run $IN docm2.eml
is_exit 'also when renamed to .pdf' 100
# OLE2 (MS-CFB): a 512-byte header, then 128-byte directory entries,
# each a UTF-16LE name and its length in bytes at offset 64.
/usr/bin/python3 - <<'PY'
import struct
def ole(names, text=b""):
    hdr = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    ents = b""
    for n in ["Root Entry"] + names:
        u = n.encode("utf-16-le") + b"\0\0"
        ents += u.ljust(64, b"\0") + struct.pack("<H", len(u)) + b"\0" * 62
    return hdr + ents.ljust(512, b"\0") + text
open("ole.doc", "wb").write(ole(["WordDocument", "Macros", "VBA", "_VBA_PROJECT"]))
open("xls.xls", "wb").write(ole(["Workbook", "_VBA_PROJECT_CUR"]))
open("plain.doc", "wb").write(ole(["WordDocument"], "How to turn off Macros".encode("utf-16-le")))
open("locked.docx", "wb").write(ole(["EncryptionInfo", "EncryptedPackage"]))
PY
wrap ole.doc letter.doc application/msword >ole.eml
run $IN ole.eml
is_exit 'an OLE2 document with a VBA project is rejected' 100
like 'as a macro' '\(macro\)'
# The same Word file embedded in an RTF document as an OLE1 object
/usr/bin/python3 - <<'PY'
import struct
def lp(s):
    return struct.pack("<I", len(s) + 1) + s + b"\0"
d = open("ole.doc", "rb").read()
o = struct.pack("<II", 0x501, 2) + lp(b"Word.Document.8") + lp(b"") + lp(b"")
o += struct.pack("<I", len(d)) + d
open("letter.rtf", "w").write("{\\rtf1{\\object\\objemb{\\*\\objdata\n" + o.hex() + "\n}}}\n")
PY
wrap letter.rtf letter.rtf application/rtf >rtf.eml
run $IN rtf.eml
is_exit 'a Word file with macros inside an RTF document is rejected' 100
like 'at its path in the RTF' '2/object-1\.Word\.Document\.8 is .*\(macro\)'
wrap xls.xls sheet.xls application/vnd.ms-excel >xls.eml
run $IN xls.eml
is_exit 'an Excel workbook with _VBA_PROJECT_CUR is rejected' 100
wrap plain.doc howto.doc application/msword >plain.eml
run $IN plain.eml
is_exit 'a Word file whose text says Macros passes' 0
wrap locked.docx locked.docx >locked.eml
run $IN locked.eml
is_exit 'a password-protected OOXML document is quarantined' 99
like 'as encrypted' '\(encrypted\)'
# Excel 4.0 macro sheets, OpenOffice Basic, a remote template
mkdir -p xlm/xl/macrosheets odf/Basic/Standard tpl/word/_rels odfenc/META-INF
printf '<xm:macrosheet/>' >xlm/xl/macrosheets/sheet1.xml
printf '<Types/>' >'xlm/[Content_Types].xml'
(cd xlm && zip -q -r ../xlm.xlsx .)
wrap xlm.xlsx prices.xlsx >xlm.eml
run $IN xlm.eml
is_exit 'an Excel 4.0 macro sheet is rejected' 100
like 'naming the member' '2/xl/macrosheets/sheet1\.xml is .*\(macro\)'
printf 'application/vnd.oasis.opendocument.text' >odf/mimetype
printf '<script:module/>' >odf/Basic/Standard/Module1.xml
(cd odf && zip -q -r ../macro.odt .)
wrap macro.odt report.txt text/plain >odf.eml
run $IN odf.eml
is_exit 'an ODF document with Basic macros, renamed .txt, is rejected' 100
like 'as a macro' '2/Basic/Standard/Module1\.xml is .*\(macro\)'
printf '<Relationships><Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://203.0.113.9/t.dotm" TargetMode="External"/></Relationships>' >tpl/word/_rels/settings.xml.rels
(cd tpl && zip -q -r ../tpl.docx .)
wrap tpl.docx offer.docx >tpl.eml
run $IN tpl.eml
is_exit 'a Word document that fetches its template from the net is rejected' 100
printf 'application/vnd.oasis.opendocument.text' >odfenc/mimetype
printf '<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>' >odfenc/META-INF/manifest.xml
(cd odfenc && zip -q -r ../enc.odt .)
wrap enc.odt secret.odt >odfenc.eml
run $IN odfenc.eml
is_exit 'a password-protected ODF document is quarantined' 99

# --- bombs and hostile structure ------------------------------------------
head -c 300000000 /dev/zero | zip -q bomb.zip - && wrap bomb.zip backup.zip >bomb.eml
run $IN bomb.eml
is_exit 'a zip bomb is rejected' 100
like 'as a bomb' '\(bomb\)'
cp prog.exe l0
i=1
while [ $i -le 60 ]; do zip -q -j l$i.zip l$((i - 1))*; i=$((i + 1)); done
wrap l60.zip l60.zip >deep.eml
run $IN deep.eml
is_exit '60 zips deep is rejected' 100
like 'as a bomb' '\(bomb\)'
/usr/bin/python3 -c '
import sys
sys.stdout.write("".join("Content-Type: multipart/mixed; boundary=%d\n\n--%d\n" % (i, i) for i in range(10000)) + "\nx\n")' >nest.eml
run $IN nest.eml
is_exit '10000-deep MIME: a verdict, not a crash' 100
printf 'Content-Type: text/plain\nContent-Type: application/x-msdownload\n\nhello\n' >amb.eml
run $IN amb.eml
is_exit 'two Content-Type fields are quarantined' 99
like 'as ambiguous' '\(ambiguous\)'

/usr/bin/python3 - <<'PY'
import binascii
d = open("prog.exe", "rb").read()
with open("uu.eml", "w") as f:
    f.write("Subject: old style\n\nthe file:\n\nbegin 644 notes.txt\n")
    for i in range(0, len(d), 45):
        f.write(binascii.b2a_uu(d[i:i + 45]).decode())
    f.write("`\nend\n")
PY
run $IN uu.eml
is_exit 'a program uuencoded in the text is rejected' 100
like 'as the member of the text part it is' 'reject 5\.7\.1 1/notes\.txt is application/x-dosexec \(executable\)'

# --- ClamAV's harmless test files under innocent names --------------------
C=/usr/share/clamav-testfiles
if [ -d "$C" ]; then
	# FILE and the path at which its program must be found
	while read -r f where; do
		wrap "$C/$f" 'minutes.pdf' >cav.eml
		run $IN cav.eml
		if [ "$rc" = 100 ] && printf '%s\n' "$out" |
		    grep -q "reject 5\.7\.1 $where is .*(executable)\$"; then
			_result 1 "ClamAV $f as minutes.pdf: executable at $where"
		else
			_result 0 "ClamAV $f as minutes.pdf: executable at $where" "$rc $out"
		fi
	done <<'L'
clam.exe 2
clam-upx.exe 2
clam-aspack.exe 2
clam_ISmsi_int.exe 2
clam.zip 2/clam\.exe
clam.7z 2/clam\.exe
clam.tar.gz 2/clam\.exe
clam.cab 2/clam\.exe
clam.newc.cpio 2/clam\.exe
clam.odc.cpio 2/clam\.exe
clam.bin-le.cpio 2/clam\.exe
clam.bin-be.cpio 2/clam\.exe
clam.exe.bz2 2/minutes
clam.bz2.zip 2/clam\.exe
clam.mail 2/2
clam.exe.mbox.base64 2/1
clam.exe.mbox.uu 2/1
clam.exe.binhex 2/clam\.exe
clam.tnef 2/clam\.exe
clam.exe.html 2/data-1
clam.exe.rtf 2/Clam\.exe
clam.exe.szdd 2
clam.chm 2
clam_cache_emax.tgz 2/clam01\.tgz/clam02\.tgz/clam03\.tgz/clam04\.tgz/clam05\.tgz/clam06\.tgz/clam07\.tgz/clam08\.tgz/clam\.exe
L
	# ARJ, which libarchive cannot read: held, never passed as data
	wrap "$C/clam.arj" 'minutes.pdf' >cav.eml
	run $IN cav.eml
	is_exit 'an ARJ archive that cannot be opened is quarantined' 99
	like 'as a container that could not be read' 'quarantine 5\.7\.1 2 is application/x-arj \(corrupt\)'
	# Deflate64, which libarchive cannot inflate: the member is unreadable
	wrap "$C/clam.d64.zip" 'minutes.pdf' >cav.eml
	run $IN cav.eml
	like 'a member libarchive cannot inflate is not called empty' 'reject 5\.7\.1 2/clam\.exe is application/octet-stream'
else
	_result 0 'clamav-testfiles is installed' 'apt-get install clamav-testfiles'
fi

# --- policy per direction, the checker contract -------------------------
run filetype-check --direction out mp3.eml
is_exit 'the shipped policy holds renamed files outbound too' 99
cp "$top/share/rules/attachments" "$PORTCULLIS_CONTROL/attachments"
sed -i 's/^#in\tcategory:media/in\tcategory:media/' "$PORTCULLIS_CONTROL/attachments"
{ printf 'ID3\3\0\0\0\0\0\0'; head -c 4000 /dev/urandom; } >song.mp3
wrap song.mp3 song.mp3 audio/mpeg >song.eml
run $IN song.eml
is_exit 'media inbound: quarantined when the site says so' 99
run filetype-check --direction out song.eml
is_exit 'media outbound still passes' 0
printf 'in\ttype:audio/*\tpass\n' >"$PORTCULLIS_CONTROL/attachments"
cat "$top/share/rules/attachments" >>"$PORTCULLIS_CONTROL/attachments"
run $IN mp3.eml
is_exit 'a type: rule before the categories lets audio in' 0
printf 'both\text:exe\treject\nboth\tcategory:nonsense\tpass\n' >"$PORTCULLIS_CONTROL/attachments"
run $IN clean.eml
is_exit 'an unknown category is a configuration error' 111
err_like 'naming the line' 'attachments: line 2: unknown category nonsense'
run filetype-check --lint
is_exit '--lint fails on it too' 111
rm -f "$PORTCULLIS_CONTROL/attachments"
run filetype-check --lint
is_exit '--lint passes the shipped rules' 0
like '--lint counts them' 'attachments: [0-9]+ rules'

run $IN clean.eml exe.eml
is_exit 'batch: the worst verdict is the exit status' 100
like 'batch: one line per file' '^exe\.eml: filetype-check reject '
run $IN -a <exe.eml
is_exit '-a: the verdict in the exit status' 100
like '-a: the header on top' '^X-Portcullis-Filetype-Check: reject 5\.7\.1 2/inner\.zip/prog\.exe'
like '-a: the message follows' '^Subject: files$'
run $IN -t <exe.eml
is_exit '-t: tag only exits 0' 0

# The bypass key lets inbound mail past the attachment policy.
control bypasskeys 'KX7-FT29-ALPHA'
wrap outer.zip quarterly.zip application/zip 'figures KX7-FT29-ALPHA' >key.eml
run $IN key.eml
is_exit 'inbound with the bypass key passes' 0
like 'the verdict says why and what it let past' 'pass 2\.0\.0 bypass key; policy would reject: 2/inner\.zip/prog\.exe'
run filetype-check --direction out key.eml
is_exit 'outbound, the key changes nothing' 100
wrap bomb.zip backup.zip application/zip 'figures KX7-FT29-ALPHA' >keybomb.eml
run $IN keybomb.eml
is_exit 'the key never lets a bomb past: nothing has seen all of it' 100
like 'the verdict says so' 'reject 5\.7\.1 bypass key refused: .*\(bomb\)'
rm -f "$PORTCULLIS_CONTROL/bypasskeys"

# The rotating key: HMAC-SHA256 of control/bypass-secret and the month.
run filetype-check --print-key
is_exit '--print-key without a secret is a configuration error' 111
control bypass-secret 'correct horse battery staple'
run filetype-check --print-key --month 2026-11
is_exit '--print-key --month' 0
is 'the key is the HMAC of the month, 12 hex digits' "$out" \
	"$(printf 2026-11 | openssl dgst -sha256 -hmac 'correct horse battery staple' | sed 's/.*= *//' | cut -c1-12)"
run filetype-check --print-key --month 2026-13
is_exit 'a bad month is refused' 111
run filetype-check --print-key
key=$out
wrap outer.zip quarterly.zip application/zip "re: figures $key" >rkey.eml
run $IN rkey.eml
is_exit "this month's rotating key lets inbound mail past" 0
like 'the verdict says so' 'bypass key'
wrap outer.zip quarterly.zip application/zip "re: figures ${key}0" >rkey2.eml
run $IN rkey2.eml
is_exit 'a key with a digit more does not' 100
run env DIRECTION=in SENDER=bob@partner.example filetype-check rkey.eml
is_exit 'the key works with the direction from the environment' 0
# spoof-check's business-only mode takes the same rotating key.
control localdomains ourco.example
control me gw.ourco.example
control allowsenders partner.example
printf 'From: Dan <dan@stranger.example>\nTo: alice@ourco.example\nSubject: =?utf-8?Q?Offer_=E2=80=93?= ref %s\n\nhi\n' "$key" >biz.eml
run env DIRECTION=in SENDER=dan@stranger.example spoof-check biz.eml
is_exit 'spoof-check business-only: the rotating key lets it in' 0
like 'spoof-check says why' 'bypass key in Subject'
run filetype-check --print-key --month 2001-01
printf 'From: Dan <dan@stranger.example>\nTo: alice@ourco.example\nSubject: ref %s\n\nhi\n' "$out" >biz-old.eml
run env DIRECTION=in SENDER=dan@stranger.example spoof-check biz-old.eml
is_exit 'spoof-check business-only: an old key does not' 99
rm -f "$PORTCULLIS_CONTROL/bypass-secret" "$PORTCULLIS_CONTROL/allowsenders"
done_testing
