#!/bin/sh
# rules-update: a signed bundle of rules fetched over HTTPS from a server
# the test starts on loopback (Python's http.server with a certificate
# made here), its Ed25519 signature checked with control/rules.pub, the
# rules linted, the rules link turned in one rename; a tampered, a
# truncated, a broken and a hostile bundle change nothing; --rollback
# goes back; local rules are never touched.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
C=$PORTCULLIS_CONTROL
srv=
trap 'kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT

# the rules as make install lays them out: a link to a folder
mkdir "$tmp/share"
cp -R "$top/share/rules" "$tmp/share/rules-dist"
ln -s rules-dist "$tmp/share/rules"
R=$tmp/share/rules
PORTCULLIS_RULES=$R
export PORTCULLIS_RULES

# the publisher's key and the server's certificate
openssl genpkey -algorithm ed25519 -out "$tmp/sign.key" 2>/dev/null
openssl pkey -in "$tmp/sign.key" -pubout -out "$C/rules.pub" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$tmp/other.key" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/srv.key" -out "$tmp/srv.pem" \
	-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
mkdir "$tmp/www"
$py - "$tmp/www" "$tmp/srv.pem" "$tmp/srv.key" >"$tmp/port" 2>"$tmp/srv.log" <<'PY' &
import functools, http.server, ssl, sys
d, cert, key = sys.argv[1:4]
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=d)
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(cert, key)
s.socket = c.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
srv=$!
for i in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
url=https://127.0.0.1:$port
control rulescafile "$tmp/srv.pem"

bundle() {	# bundle NAME [KEY]: the rules in $tmp/b as www/NAME, signed
	tar -C "$tmp/b" -czf "$tmp/www/$1" .
	openssl pkeyutl -sign -inkey "${2:-$tmp/sign.key}" -rawin -in "$tmp/www/$1" \
		-out "$tmp/www/$1.sig" 2>/dev/null
}
printf 'From: a@example.net\nTo: b@ourco.example\nSubject: hi\nDate: Wed, 2 Dec 2026 10:00:00 +0000\nMessage-ID: <1@example.net>\n\nthe zebra crossing is here\n' >"$tmp/m.eml"

# --- a good update ----------------------------------------------------------
rm -rf "$tmp/b"; cp -R "$top/share/rules" "$tmp/b"
echo 'body UPDATE_ZEBRA /zebra crossing/i 2.5' >>"$tmp/b/spam"
bundle good.tgz
control spam.local 'score UPDATE_ZEBRA 3.0'
run spam-score <"$tmp/m.eml"
is_exit 'before: spam.local names a rule the shipped rules lack: 111' 111
control spam.local '# ours'
run rules-update -R "$R" "$url/good.tgz"
is_exit 'a signed bundle over HTTPS: 0' 0
like '... says where the link points now' "^rules-update: rules now rules-[0-9a-f]{16} \\(was rules-dist\\)\$"
new=$(readlink "$R")
ok '... the link turned' test "$new" != rules-dist
is '... the previous one kept as rules.prev' "$(readlink "$tmp/share/rules.prev")" rules-dist
run spam-score <"$tmp/m.eml"
like '... and the filters use the new rules' 'tests=.*UPDATE_ZEBRA'
is '... spam.local untouched' "$(cat "$C/spam.local")" '# ours'
run rules-update -R "$R" "$url/good.tgz"
is_exit 'the same bundle again: 0' 0
like '... nothing to do' 'is current'

# --- what must change nothing ------------------------------------------------
unchanged() {	# unchanged NAME: the link and the folders as before
	is "$1: the link as it was" "$(readlink "$R")" "$new"
	is '... no folder left behind' "$(ls "$tmp/share" | grep -Ec '^rules-[0-9a-f]{16}$')" 1
}
cp "$tmp/www/good.tgz" "$tmp/www/tampered.tgz"
cp "$tmp/www/good.tgz.sig" "$tmp/www/tampered.tgz.sig"
printf 'X' | dd of="$tmp/www/tampered.tgz" bs=1 seek=200 conv=notrunc 2>/dev/null
run rules-update -R "$R" "$url/tampered.tgz"
is_exit 'a tampered bundle: 111' 111
err_like '... the signature does not verify' 'signature does not verify'
unchanged 'tampered'
head -c 1000 "$tmp/www/good.tgz" >"$tmp/www/short.tgz"
cp "$tmp/www/good.tgz.sig" "$tmp/www/short.tgz.sig"
run rules-update -R "$R" "$url/short.tgz"
is_exit 'a truncated bundle: 111' 111
unchanged 'truncated'
rm -rf "$tmp/b"; cp -R "$top/share/rules" "$tmp/b"
echo 'body BROKEN /unclosed(/ 1.0' >>"$tmp/b/spam"
bundle broken.tgz
run rules-update -R "$R" "$url/broken.tgz"
is_exit 'a signed bundle whose rules do not lint: 111' 111
err_like '... spam-score says why' 'spam-score: .*spam line'
err_like '... nothing changed' 'do not pass --lint: nothing changed'
unchanged 'broken'
rm -rf "$tmp/b"; cp -R "$top/share/rules" "$tmp/b"
bundle other.tgz "$tmp/other.key"
run rules-update -R "$R" "$url/other.tgz"
is_exit 'signed by another key: 111' 111
unchanged 'another key'
rm -rf "$tmp/b"; mkdir -p "$tmp/b/sub"; cp "$top/share/rules/spam" "$tmp/b/sub/x"
ln -s /etc/passwd "$tmp/b/spam"
bundle hostile.tgz
run rules-update -R "$R" "$url/hostile.tgz"
is_exit 'a bundle with a link and a folder of its own: 111' 111
err_like '... refused' 'only rule files'
unchanged 'hostile'
run rules-update -R "$R" "$url/nothing-here.tgz"
is_exit 'no bundle at the URL: 111' 111
run rules-update -R "$R" "http://127.0.0.1:$port/good.tgz"
is_exit 'plain HTTP: 111' 111
err_like '... HTTPS only' 'HTTPS only'
rm "$C/rulescafile"
run rules-update -R "$R" "$url/good.tgz"
is_exit 'a server whose certificate is not trusted: 111' 111
control rulescafile "$tmp/srv.pem"
run rules-update -R "$tmp/share/rules-dist" "$url/good.tgz"
is_exit 'rules that are a folder, not a link: 111' 111
err_like '... says what make install does' 'not a link to a folder of rules'

# --- control/rulesurl and rollback ------------------------------------------
rm -rf "$tmp/b"; cp -R "$top/share/rules" "$tmp/b"
echo 'body UPDATE_TWO /zebra crossing/i 1.5' >>"$tmp/b/spam"
bundle two.tgz
control rulesurl "$url/two.tgz"
run rules-update -R "$R"
is_exit 'the URL from control/rulesurl: 0' 0
run spam-score <"$tmp/m.eml"
like '... the second update in use' 'tests=.*UPDATE_TWO'
is '... the first kept as rules.prev' "$(readlink "$tmp/share/rules.prev")" "$new"
ok '... what make install put stays' test -e "$tmp/share/rules-dist/spam"
run rules-update -R "$R" --rollback
is_exit '--rollback: 0' 0
is '... back to the first' "$(readlink "$R")" "$new"
run spam-score <"$tmp/m.eml"
like '... whose rules are in use again' 'tests=.*UPDATE_ZEBRA'

done_testing
