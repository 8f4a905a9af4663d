#!/bin/sh
# virus-scan: real clamd instances started here with a signature database
# written here (EICAR by a body signature, ClamAV's harmless test
# executable by its hash); a second engine, another clamd behind a small
# ICAP server (t/data/virus-scan/icapd.py); engines down, killed, stalled,
# answering nonsense, and a message over clamd's StreamMaxLength: never a
# pass.
. "$(dirname "$0")/lib.sh"

CLAMD=$(command -v clamd || echo /usr/sbin/clamd)
TF=/usr/share/clamav-testfiles
if ! [ -x "$CLAMD" ] || ! [ -f "$TF/clam.exe" ]; then
	echo "1..0 # SKIP clamd or clamav-testfiles not installed (clamav-daemon, clamav-testfiles)"
	exit 0
fi
PY=/usr/bin/python3
ICAPD=$data/virus-scan/icapd.py
pids=
gw=
cipid=
trap 'kill $gw $cipid 2>/dev/null; for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT

# wait_for FILE: 0 once FILE exists (a socket, a port file), within 30 s
wait_for() {
	for _i in $(seq 300); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
printf '%s' "$EICAR" >"$tmp/eicar.com"
cp "$TF/clam.exe" "$tmp/clam.exe"
exe_sig="$(md5sum <"$tmp/clam.exe" | cut -d' ' -f1):$(wc -c <"$tmp/clam.exe" | tr -d ' '):Clamav.Test.File-6"
eicar_sig="Win.Test.EICAR_NDB-1:0:*:$(printf '%s' "$EICAR" | od -An -tx1 | tr -d ' \n')"

# start_clamd NAME SIGLINES [TCPPORT] [STREAMMAX]: a clamd in the
# foreground on $tmp/NAME.sock; its pid in $NAME_pid
start_clamd() {
	mkdir -p "$tmp/$1.db"
	printf '%s\n' "$2" | grep ':0:\*:' >"$tmp/$1.db/t.ndb" || :
	printf '%s\n' "$2" | grep -v ':0:\*:' >"$tmp/$1.db/t.hdb" || :
	[ -s "$tmp/$1.db/t.ndb" ] || rm -f "$tmp/$1.db/t.ndb"
	[ -s "$tmp/$1.db/t.hdb" ] || rm -f "$tmp/$1.db/t.hdb"
	{
		echo "Foreground yes"
		echo "DatabaseDirectory $tmp/$1.db"
		echo "LocalSocket $tmp/$1.sock"
		echo "LogFile $tmp/$1.log"
		echo "PidFile $tmp/$1.pid"
		[ -n "${3:-}" ] && { echo "TCPSocket $3"; echo "TCPAddr 127.0.0.1"; }
		[ -n "${4:-}" ] && echo "StreamMaxLength $4"
	} >"$tmp/$1.conf"
	"$CLAMD" -c "$tmp/$1.conf" >"$tmp/$1.out" 2>&1 &
	eval "$1_pid=$!"
	pids="$pids $!"
	wait_for "$tmp/$1.sock"
}

# msg NAME FILE [TYPE]: a message with FILE attached in base64
msg() {
	{
		printf 'From: a@example.net\nTo: b@ourco.example\nSubject: %s\n' "$1"
		printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n'
		printf -- '--BB\nContent-Type: text/plain\n\nsee attached\n--BB\n'
		printf 'Content-Type: %s; name="%s"\n' "${3:-application/octet-stream}" "$(basename "$2")"
		printf 'Content-Transfer-Encoding: base64\n\n'
		base64 <"$2"
		printf -- '--BB--\n'
	} >"$tmp/$1.eml"
}

tport=$(free_port)
ok 'clamd starts with a database written here' start_clamd a "$eicar_sig
$exe_sig" "$tport" 1M
control clamd "$tmp/a.sock"

# --- the verdicts -------------------------------------------------------
printf 'From: a@example.net\nTo: b@ourco.example\nSubject: hello\n\nhello\n' >"$tmp/clean.eml"
run virus-scan <"$tmp/clean.eml"
is_exit 'a clean message passes' 0
like    'the verdict names the engine' '^virus-scan pass 2\.0\.0 clean \(clamd\)$'

printf 'From: a@example.net\nTo: b@ourco.example\nSubject: eicar\n\n%s\n' "$EICAR" >"$tmp/plain.eml"
run virus-scan <"$tmp/plain.eml"
is_exit 'EICAR in the body is rejected' 100
like    'the verdict names engine and signature' '^virus-scan reject 5\.7\.1 clamd: Win\.Test\.EICAR_NDB-1'
err_like 'the log line has the verdict' '^virus-scan: qid=- verdict=reject reason=clamd: Win\.Test\.EICAR'

msg b64 "$tmp/clam.exe"
run virus-scan <"$tmp/b64.eml"
is_exit 'the test executable in a base64 part is rejected' 100
like    'by its hash signature' 'clamd: Clamav\.Test\.File-6'

(cd "$tmp" && zip -q eicar.zip eicar.com)
msg zip "$tmp/eicar.zip" application/zip
run virus-scan <"$tmp/zip.eml"
is_exit 'EICAR in a zip is rejected' 100

# ClamAV's test executable in the containers clamav-testfiles ships
for f in clam.zip clam.7z clam.tar.gz clam.cab clam.exe.bz2 clam.arj clam.exe.rtf; do
	[ -f "$TF/$f" ] || continue
	msg tf "$TF/$f"
	run virus-scan <"$tmp/tf.eml"
	is_exit "the test executable in $f is rejected" 100
done
run virus-scan <"$TF/clam.exe.mbox.uu"
is_exit 'the test executable uuencoded in a mailbox message is rejected' 100

# nested 20 deep: past clamd's MaxRecursion (17), found in the leaves
# our own engine took apart
cp "$tmp/clam.exe" "$tmp/n0"
for i in $(seq 1 20); do
	(cd "$tmp" && zip -q -j "n$i.zip" "$([ "$i" = 1 ] && echo n0 || echo "n$((i - 1)).zip")")
done
msg deep "$tmp/n20.zip" application/zip
run virus-scan <"$tmp/deep.eml"
is_exit 'the test executable 20 zips deep is rejected' 100
like    'found in the leaves' 'Clamav\.Test\.File-6'
control virusleafbytes 0
run virus-scan <"$tmp/deep.eml"
is_exit 'without the leaves clamd alone misses it' 0
err_like 'and the log says the leaves were not sent' 'leaves past virusleafbytes'
rm -f "$PORTCULLIS_CONTROL/virusleafbytes"

# a forwarded message holding the infected one
{ printf 'From: c@example.net\nSubject: fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=CC\n\n--CC\nContent-Type: message/rfc822\n\n'
  cat "$tmp/b64.eml"; printf -- '--CC--\n'; } >"$tmp/fwd.eml"
run virus-scan <"$tmp/fwd.eml"
is_exit 'a message inside a message is scanned' 100

# --- the checker contract -----------------------------------------------
{ printf 'X-Virus-Status: No\nX-Virus-Scanned: by a friend\n'; cat "$tmp/b64.eml"; } >"$tmp/forged.eml"
run virus-scan -a <"$tmp/forged.eml"
is_exit '-a keeps the verdict in the exit status' 100
like    '-a writes X-Virus-Status: Yes' '^X-Virus-Status: Yes$'
like    '-a names the virus in X-Virus-Report' '^X-Virus-Report: clamd: Clamav\.Test\.File-6'
unlike  'the forged X-Virus-Status is gone' '^X-Virus-Status: No'
unlike  'the forged X-Virus-Scanned is gone' 'by a friend'
run virus-scan -a <"$tmp/clean.eml"
like    'a clean message gets X-Virus-Status: No' '^X-Virus-Status: No$'
like    'and X-Virus-Scanned names the engine' '^X-Virus-Scanned: clamd on '
run virus-scan -t <"$tmp/b64.eml"
is_exit '-t exits 0 on a virus' 0
run virus-scan "$tmp/clean.eml" "$tmp/b64.eml"
is_exit 'batch mode: the worst verdict' 100
like    'one line per file' "^$tmp/b64\\.eml: virus-scan reject "
echo quarantine >"$PORTCULLIS_CONTROL/viruspolicy"
run virus-scan <"$tmp/b64.eml"
is_exit 'viruspolicy quarantine' 99
echo flag >"$PORTCULLIS_CONTROL/viruspolicy"
run virus-scan <"$tmp/b64.eml"
is_exit 'viruspolicy takes only reject or quarantine' 111
rm -f "$PORTCULLIS_CONTROL/viruspolicy"

# --- could not scan: never a pass ---------------------------------------
head -c 1500000 /dev/zero | tr '\0' 'a' | fold -w 76 >"$tmp/big.txt"
{ printf 'From: a@example.net\nSubject: big\n\n'; cat "$tmp/big.txt"; } >"$tmp/big.eml"
run virus-scan <"$tmp/big.eml"
is_exit 'over StreamMaxLength: tempfail' 111
like    'the reason says so' '^virus-scan tempfail 4\.3\.0 unscanned: clamd .*StreamMaxLength'
echo quarantine >"$PORTCULLIS_CONTROL/unscannedpolicy"
run virus-scan <"$tmp/big.eml"
is_exit 'unscannedpolicy quarantine' 99
echo flag >"$PORTCULLIS_CONTROL/unscannedpolicy"
run virus-scan -a <"$tmp/big.eml"
is_exit 'unscannedpolicy flag delivers' 0
like    'marked unscanned' '^X-Virus-Status: Unscanned$'
echo pass >"$PORTCULLIS_CONTROL/unscannedpolicy"
run virus-scan <"$tmp/clean.eml"
is_exit 'unscannedpolicy never takes pass' 111
rm -f "$PORTCULLIS_CONTROL/unscannedpolicy"

control clamd "127.0.0.1:$tport"
run virus-scan <"$tmp/b64.eml"
is_exit 'clamd over TCP (HOST:PORT) finds it too' 100

control clamd "$tmp/nobody.sock"
run virus-scan <"$tmp/clean.eml"
is_exit 'an engine that is not there: tempfail' 111
like    'unable to connect' 'unscanned: clamd .*unable to connect'

"$PY" "$ICAPD" "$tmp/stall.port" stall "unix:$tmp/stall.sock" 2>/dev/null &
pids="$pids $!"
wait_for "$tmp/stall.port"
control clamd "$tmp/stall.sock"
control virustimeout 1
run virus-scan <"$tmp/clean.eml"
is_exit 'a stalled engine: tempfail' 111
like    'timed out' 'unscanned: clamd .*timed out'
rm -f "$PORTCULLIS_CONTROL/virustimeout"

"$PY" "$ICAPD" "$tmp/junk.port" garbage "unix:$tmp/junk.sock" 2>/dev/null &
pids="$pids $!"
wait_for "$tmp/junk.port"
control clamd "$tmp/junk.sock"
run virus-scan <"$tmp/clean.eml"
is_exit 'an answer we cannot read: tempfail' 111
like    'quoted, cleaned' 'answered: I am not an engine'

"$PY" "$ICAPD" "$tmp/flood.port" flood "unix:$tmp/flood.sock" 2>/dev/null &
pids="$pids $!"
wait_for "$tmp/flood.port"
control clamd "$tmp/flood.sock"
run virus-scan <"$tmp/clean.eml"
is_exit 'an answer without an end, 1 MiB of it: tempfail' 111
like    'read to its cap and quoted short' '^virus-scan tempfail 4\.3\.0 unscanned: clamd .*answered: A{100,150}$'

control clamd '# comment' 'not an engine'
run virus-scan <"$tmp/clean.eml"
is_exit 'a bad control/clamd line: 111' 111
err_like 'the line is named' 'clamd line 2'

# killed while it runs: first clean, then a stale socket
ok 'a second clamd starts' start_clamd k "$exe_sig"
control clamd "$tmp/k.sock"
run virus-scan <"$tmp/clean.eml"
is_exit 'before the kill: pass' 0
kill -9 "$k_pid"
wait "$k_pid" 2>/dev/null
run virus-scan <"$tmp/b64.eml"
is_exit 'clamd killed: tempfail, not a pass' 111

# --- encrypted mail: control/encryptedpolicy ----------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" \
	-subj /CN=bob@ourco.example -days 2 2>/dev/null
printf 'Content-Type: text/plain\n\nsecret\n' >"$tmp/inner.txt"
{ printf 'From: a@example.net\nTo: bob@ourco.example\nSubject: smime\n'
  openssl smime -encrypt -aes256 -in "$tmp/inner.txt" "$tmp/c.pem"; } >"$tmp/smime.eml"
{ printf 'From: a@example.net\nTo: bob@ourco.example\nSubject: signed\n'
  openssl smime -sign -in "$tmp/inner.txt" -signer "$tmp/c.pem" -inkey "$tmp/k.pem"; } >"$tmp/signed.eml"
mkdir -m 700 "$tmp/gpg"
printf 'secret\n' | gpg --homedir "$tmp/gpg" --batch --pinentry-mode loopback \
	--passphrase x --symmetric --armor >"$tmp/pgp.asc" 2>/dev/null
{ printf 'From: a@example.net\nTo: bob@ourco.example\nSubject: pgp\nMIME-Version: 1.0\n'
  printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=PP\n\n'
  printf -- '--PP\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
  printf -- '--PP\nContent-Type: application/octet-stream\n\n'
  cat "$tmp/pgp.asc"; printf -- '--PP--\n'; } >"$tmp/pgpmime.eml"
{ printf 'From: a@example.net\nTo: bob@ourco.example\nSubject: inline\n\nhere:\n\n'
  cat "$tmp/pgp.asc"; } >"$tmp/inline.eml"
control clamd "$tmp/a.sock"
run virus-scan -a --direction in <"$tmp/smime.eml"
is_exit 'S/MIME enveloped-data: delivered by default' 0
like    '... with a header naming it' '^X-Portcullis-Encrypted: S/MIME enveloped-data in part 1, not scanned$'
run virus-scan --direction in <"$tmp/signed.eml"
is_exit 'S/MIME signed only is not encrypted' 0
like    '... and passes clean' '^virus-scan pass 2\.0\.0 clean'
run virus-scan --direction in <"$tmp/pgpmime.eml"
like    'PGP/MIME is found' '^virus-scan flag 2\.0\.0 encrypted, not scanned: PGP/MIME in part 1'
run virus-scan --direction in <"$tmp/inline.eml"
like    'inline PGP is found' 'encrypted, not scanned: inline PGP in part 1'
control encryptedpolicy 'in quarantine' 'out reject'
run virus-scan --direction in <"$tmp/smime.eml"
is_exit 'encryptedpolicy in quarantine' 99
run virus-scan --direction out <"$tmp/pgpmime.eml"
is_exit 'encryptedpolicy out reject' 100
like    '... with the reason' '^virus-scan reject 5\.7\.1 encrypted, not scanned: PGP/MIME'
run virus-scan --direction out <"$tmp/clean.eml"
is_exit '... and plain mail still passes' 0
run virus-scan --direction in <"$tmp/b64.eml"
like    'a virus beside nothing encrypted still names the virus' 'clamd: '

# escrow: a copy encrypted to the escrow certificate is decrypted and
# scanned; mail encrypted to others falls back to the policy
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ek.pem" -out "$tmp/ec.pem" \
	-subj /CN=escrow -days 2 2>/dev/null
cat "$tmp/ek.pem" "$tmp/ec.pem" >"$tmp/escrow.pem"
printf 'Content-Type: text/plain\n\n%s\n' "$EICAR" >"$tmp/inner-v.txt"
smime() {	# smime NAME INNER CERT...
	sm_n=$1 sm_i=$2
	shift 2
	{ printf 'From: a@example.net\nTo: bob@ourco.example\nSubject: %s\n' "$sm_n"
	  openssl smime -encrypt -aes256 -in "$sm_i" "$@"; } >"$tmp/$sm_n.eml"
}
smime esc-virus "$tmp/inner-v.txt" "$tmp/c.pem" "$tmp/ec.pem"
smime esc-clean "$tmp/inner.txt" "$tmp/c.pem" "$tmp/ec.pem"
smime esc-other "$tmp/inner-v.txt" "$tmp/c.pem"
openssl smime -sign -in "$tmp/inner-v.txt" -signer "$tmp/c.pem" -inkey "$tmp/k.pem" >"$tmp/signed-v.txt"
smime esc-signed "$tmp/signed-v.txt" "$tmp/ec.pem"
rm -f "$PORTCULLIS_CONTROL/encryptedpolicy"
control escrow-key "$tmp/escrow.pem"
run virus-scan --direction in <"$tmp/esc-virus.eml"
is_exit 'escrow: EICAR encrypted to the escrow certificate is rejected' 100
like    '... named by the engine' 'clamd: Win\.Test\.EICAR_NDB-1'
run virus-scan -a --direction in <"$tmp/esc-clean.eml"
is_exit 'escrow: a clean encrypted message passes' 0
unlike  '... without the encrypted header' '^X-Portcullis-Encrypted:'
run virus-scan --direction in <"$tmp/esc-clean.eml"
like    '... and says it was decrypted' 'clean \(clamd\), S/MIME decrypted by escrow'
run virus-scan --direction in <"$tmp/esc-other.eml"
like    'escrow: encrypted to another certificate falls back to the policy' '^virus-scan flag 2\.0\.0 encrypted, not scanned: S/MIME'
run virus-scan --direction in <"$tmp/esc-signed.eml"
is_exit 'escrow: signed, then encrypted, with EICAR inside, is rejected' 100
control escrow-key "$tmp/c.pem"
run virus-scan <"$tmp/esc-clean.eml"
is_exit 'an escrow-key file without its private key: 111' 111
err_like '... saying what it wants' 'want a private key and its certificate'
rm -f "$PORTCULLIS_CONTROL/escrow-key"
control encryptedpolicy 'sideways reject'
run virus-scan <"$tmp/smime.eml"
is_exit 'a bad encryptedpolicy line: 111' 111
rm -f "$PORTCULLIS_CONTROL/encryptedpolicy"

# --- a second engine behind ICAP --------------------------------------
ok 'a clamd for the ICAP engine starts' start_clamd b "$exe_sig"
"$PY" "$ICAPD" "$tmp/icap.port" "$tmp/b.sock" 2>"$tmp/icapd.err" &
pids="$pids $!"
wait_for "$tmp/icap.port"
iport=$(cat "$tmp/icap.port")
# engine a knows both, engine b the executable only: first EICAR-only
printf '%s\n' "$eicar_sig" >"$tmp/a.db/t.ndb"
rm -f "$tmp/a.db/t.hdb"
kill -9 "$a_pid"; wait "$a_pid" 2>/dev/null; rm -f "$tmp/a.sock"
ok 'clamd restarts with EICAR only' start_clamd a "$eicar_sig"
control clamd "$tmp/a.sock"
control icap "icap://127.0.0.1:$iport/avscan"
run virus-scan <"$tmp/clean.eml"
is_exit 'two engines, clean: pass' 0
like    'both named' 'clean \(clamd, icap/avscan\)'
run virus-scan <"$tmp/b64.eml"
is_exit 'what only the ICAP engine knows is rejected' 100
like    'named by the ICAP engine' '^virus-scan reject 5\.7\.1 icap/avscan: Clamav\.Test\.File-6'
run virus-scan <"$tmp/plain.eml"
is_exit 'what only clamd knows is rejected' 100
like    'named by clamd' 'clamd: Win\.Test\.EICAR_NDB-1'
control icap "icap://127.0.0.1:$iport/avscan reqmod"
run virus-scan <"$tmp/b64.eml"
is_exit 'ICAP REQMOD finds it too' 100

# a real c-icap with its virus_scan service (clamd_mod, on clamd b)
CI=/usr/lib/x86_64-linux-gnu/c_icap
if command -v c-icap >/dev/null 2>&1 && [ -f "$CI/virus_scan.so" ] && [ -f "$CI/clamd_mod.so" ]; then
	cport=$(free_port)
	mkdir "$tmp/ci"
	cat >"$tmp/ci/c.conf" <<CONF
PidFile $tmp/ci/pid
CommandsSocket $tmp/ci/ctl
Timeout 30
StartServers 1
MaxServers 1
MinSpareThreads 2
MaxSpareThreads 4
ThreadsPerChild 4
Port 127.0.0.1:$cport
TmpDir $tmp/ci
ServerLog $tmp/ci/server.log
AccessLog $tmp/ci/access.log
ModulesDir $CI
ServicesDir $CI
TemplateDir /usr/share/c_icap/templates/
LoadMagicFile /etc/c-icap/c-icap.magic
Module common clamd_mod.so
clamd_mod.ClamdSocket $tmp/b.sock
Service antivirus_module virus_scan.so
ServiceAlias avscan virus_scan?allow204=on&sizelimit=off&mode=simple
virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GIF JPEG MSOFFICE
virus_scan.DefaultEngine clamd
CONF
	c-icap -N -f "$tmp/ci/c.conf" >"$tmp/ci/out" 2>&1 &
	cipid=$!
	for i in $(seq 300); do
		"$PY" -c "import socket; socket.create_connection(('127.0.0.1', $cport)).close()" \
			2>/dev/null && break
		sleep 0.1
	done
	control icap "icap://127.0.0.1:$cport/avscan"
	run virus-scan <"$tmp/b64.eml"
	is_exit 'c-icap virus_scan: the test executable is rejected' 100
	like    '... named by c-icap' '^virus-scan reject 5\.7\.1 icap/avscan: Clamav\.Test\.File-6'
	run virus-scan <"$tmp/clean.eml"
	is_exit 'c-icap virus_scan: clean passes' 0
	like    '... both engines named' 'clean \(clamd, icap/avscan\)'
	run virus-scan <"$tmp/deep.eml"
	is_exit 'c-icap virus_scan: 20 zips deep, found in the leaves' 100
	control icap "icap://127.0.0.1:$cport/avscan reqmod"
	run virus-scan <"$tmp/b64.eml"
	is_exit 'c-icap virus_scan by REQMOD' 100
	control icap "icap://127.0.0.1:$cport/nosuchservice"
	run virus-scan <"$tmp/clean.eml"
	is_exit 'c-icap without the service: tempfail' 111
	like    '... quoting its answer' 'answered: ICAP/1\.0 404'
	kill "$cipid"
	wait "$cipid" 2>/dev/null
	cipid=
else
	_result 1 '# SKIP c-icap with libc-icap-mod-virus-scan not installed'
fi
control icap "icap://127.0.0.1:$(free_port)/avscan"
run virus-scan <"$tmp/clean.eml"
is_exit 'the ICAP engine down: tempfail' 111
like    'named' 'unscanned: icap/avscan'
"$PY" "$ICAPD" "$tmp/istall.port" stall 2>/dev/null &
pids="$pids $!"
wait_for "$tmp/istall.port"
control icap "icap://127.0.0.1:$(cat "$tmp/istall.port")/avscan"
control virustimeout 120
t0=$(date +%s)
run virus-scan <"$tmp/plain.eml"
t1=$(date +%s)
is_exit 'a stalled ICAP engine does not hide what clamd found' 100
ok '... nor holds it for its timeout: the virus calls the other engine off' \
	test $((t1 - t0)) -lt 60
control virustimeout 1
run virus-scan <"$tmp/clean.eml"
is_exit 'a stalled ICAP engine: tempfail' 111
rm -f "$PORTCULLIS_CONTROL/virustimeout"
control icap "icap://127.0.0.1:$iport/avscan"
kill -9 "$b_pid"
run virus-scan <"$tmp/clean.eml"
is_exit 'the clamd behind ICAP killed: ICAP says 500, tempfail' 111
like    'the ICAP status is quoted' 'icap/avscan .*answered: ICAP/1\.0 500'

# --- at the door: the default chain, residents, clamd over TCP ----------
# the supervisor started as root runs its stages as nobody, under the
# stage filter: TCP is allowed to virus-scan by the default stagenet
gtport=$(free_port)
ok 'a clamd on TCP for the gateway starts' start_clamd g "$eicar_sig" "$gtport"
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
Q=$tmp/q
md=$tmp/md
mkdir "$md"
chown 65534 "$md"
gport=$(free_port)
control me gw.ourco.test
control localdomains ourco.test
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u"
control clamd "127.0.0.1:$gtport"
rm -f "$PORTCULLIS_CONTROL/icap"
send() {	# send RCPT FILE: the reply to the end of DATA
	"$PY" - "$gport" "$@" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.ehlo('client.example')
s.mail('a@example.net')
s.rcpt(sys.argv[2])
code, text = s.data(open(sys.argv[3], 'rb').read().replace(b'\n', b'\r\n'))
print(code, text.decode())
s.quit()
PYEOF
}
is_r() { case $r in $2*) _result 1 "$1" ;; *) _result 0 "$1" "$r" ;; esac; }
ok 'the gateway starts with the default chains' start_gw
r=$(send bob@ourco.test "$tmp/plain.eml")
is_r 'EICAR at the door: 550 5.7.1' '550 5.7.1'
case $r in *'clamd: Win.Test.EICAR_NDB-1'*) _result 1 '... naming the signature' ;;
	*) _result 0 '... naming the signature' "$r" ;; esac
r=$(send bob@ourco.test "$tmp/clean.eml")
is_r 'a clean message: 250' '250 '
for i in $(seq 100); do ls "$md"/bob/new/* >/dev/null 2>&1 && break; sleep 0.1; done
ok '... delivered with X-Virus-Status: No' grep -q '^X-Virus-Status: No$' "$md"/bob/new/*
ok 'virus-scan runs as a resident stage' pgrep -f -- '^virus-scan -a --serve$'
kill -9 "$g_pid"
wait "$g_pid" 2>/dev/null
r=$(send bob@ourco.test "$tmp/clean.eml")
is_r 'clamd down: 451, the mail waits at the client' '451 '
kill "$gw"
wait "$gw" 2>/dev/null
gw=

# --- no engine at all ---------------------------------------------------
if [ -e /run/clamav/clamd.ctl ]; then
	_result 1 '# SKIP a system clamd is at /run/clamav/clamd.ctl'
else
	rm -f "$PORTCULLIS_CONTROL/clamd" "$PORTCULLIS_CONTROL/icap"
	run virus-scan -a <"$tmp/plain.eml"
	is_exit 'no engine configured and none at the default socket: delivered' 0
	like    'marked unscanned' '^X-Virus-Status: Unscanned$'
	err_like 'and said in the log' 'no virus scanner configured'
	run virus-scan --lint
	like    '--lint says so' 'no engine'
fi
control clamd
run virus-scan <"$tmp/plain.eml"
like    'an empty control/clamd: no engine, not the default socket' 'flag 2\.0\.0 unscanned: no virus scanner'

done_testing
