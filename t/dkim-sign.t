#!/bin/sh
# dkim-sign: mail from a domain with keys leaves with one DKIM signature
# per key (rsa-sha256 and ed25519-sha256 side by side), each verified by a
# second implementation, dkimpy (Debian's python3-dkim), with the records
# dkim-sign --dns-record prints, read from a file and served by dnsmasq;
# mail from a domain without a key passes byte for byte; a change after
# signing breaks the signatures; a broken key is 111.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
verify=$top/t/dkim-verify.py
got=$tmp/.out
if ! $PY -c 'import dkim, nacl' 2>/dev/null; then
	echo "1..0 # SKIP python3-dkim (dkimpy) with python3-nacl is not installed"
	exit 0
fi

keys=$PORTCULLIS_CONTROL/dkim
mkdir -p "$keys/example.com" "$keys/other.test"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$keys/example.com/r2026.key" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$keys/example.com/e2026.key"
openssl genpkey -algorithm ED25519 -out "$keys/other.test/next.pending"

# the records as "NAME TXT" lines for the verifier, strings joined
records() {
	dkim-sign --dns-record "$@" | $PY -c 'import re, sys
for l in sys.stdin:
    m = re.match(r"(\S+) IN TXT \((.*)\)$", l)
    if m:
        print(m.group(1), "".join(re.findall(r"\"([^\"]*)\"", m.group(2))))'
}
records >"$tmp/recs"

msg=$tmp/m.eml
printf 'From: Alice <alice@example.com>\nTo: bob@example.org\nSubject: a  folded\n  subject\nDate: Wed, 2 Dec 2026 10:00:00 +0000\nMessage-ID: <1@example.com>\n\nHello  there \n\n\n' >"$msg"

## --dns-record

run dkim-sign --dns-record
is_exit 'the records are printed' 0
like 'an RSA record with its DER public key' '^r2026\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=MIIBIjAN'
like 'an Ed25519 record with the bare key (RFC 8463)' '^e2026\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=" \)$'
like 'a pending key is printed, marked' '^; ed25519 next 256 bits, pending'
is 'no string over 255 bytes' "$(printf '%s\n' "$out" | grep -Eo '"[^"]*"' | awk 'length($0) > 257' | wc -l)" 0
run dkim-sign --dns-record other.test
like 'one domain only on request' '^next\._domainkey\.other\.test\.'
unlike 'and only that domain' 'example\.com'
run dkim-sign --dns-record nokeys.test
is_exit 'no key for the domain asked: 111' 111

## Signing, relaxed/relaxed by default

run dkim-sign <"$msg"
is_exit 'a message from a domain with keys is signed' 0
is 'two signatures' "$(grep -c '^DKIM-Signature:' "$got")" 2
like 'an ed25519-sha256 signature' 'a=ed25519-sha256; c=relaxed/relaxed; d=example.com;'
like 'an rsa-sha256 signature' 'a=rsa-sha256; c=relaxed/relaxed; d=example.com;'
like 'From is oversigned' 'h=from:from:'
err_like 'the log line names domain and selectors' '^dkim-sign: qid=- verdict=pass signed=example\.com selectors=e2026,r2026$'
is 'no line over 78 characters' "$(awk 'length($0) > 78' "$got" | wc -l)" 0
cp "$got" "$tmp/signed.eml"
awk 'top && /^(DKIM-Signature:|	)/ { next } { top = 0; print }' top=1 \
	"$tmp/signed.eml" >"$tmp/rest.eml"
ok 'the message follows the signatures byte for byte' cmp "$tmp/rest.eml" "$msg"
run $PY "$verify" "$tmp/recs" <"$tmp/signed.eml"
is_exit 'dkimpy verifies both signatures' 0
like 'ed25519 passes' '^s=e2026 a=ed25519-sha256 pass$'
like 'rsa passes' '^s=r2026 a=rsa-sha256 pass$'

sed 's/^Hello  there/Hello there!/' "$tmp/signed.eml" >"$tmp/body.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/body.eml"
is_exit 'a changed body fails' 1
sed 's/^Subject: a  folded/Subject: a different/' "$tmp/signed.eml" >"$tmp/subj.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/subj.eml"
is_exit 'a changed Subject fails' 1
sed 's/^To: bob@example.org/To: bob@example.org\nFrom: mallory@evil.test/' \
	"$tmp/signed.eml" >"$tmp/from.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/from.eml"
is_exit 'a second From added after signing fails (oversigned)' 1
sed 's/^Hello  there $/Hello	there/' "$tmp/signed.eml" >"$tmp/ws.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/ws.eml"
is_exit 'relaxed: changed white space in the body still passes' 0
sed 's/^X-Late/X-Late/; 1i X-Added: after signing' "$tmp/signed.eml" >"$tmp/add.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/add.eml"
is_exit 'an unsigned field added on top still passes' 0

## Line ends, canonicalisations, odd bodies

sed 's/$/\r/' "$msg" >"$tmp/crlf.eml"
for c in relaxed/relaxed simple/simple relaxed/simple simple/relaxed simple; do
	control dkimcanon "$c"
	for m in "$msg" "$tmp/crlf.eml"; do
		run dkim-sign <"$m"
		cp "$got" "$tmp/c.eml"
		run $PY "$verify" "$tmp/recs" <"$tmp/c.eml"
		is_exit "c=$c, $(basename "$m"): dkimpy verifies" 0
	done
done
ok 'c=simple alone is simple/simple (RFC 6376 3.5)' grep -q 'c=simple/simple;' "$tmp/c.eml"
control dkimcanon simple/simple
printf 'From: alice@example.com\nSubject: x\n\n' >"$tmp/empty.eml"
printf 'From: alice@example.com\nSubject: x\n\nno line end\r\nat the end' >"$tmp/noeol.eml"
printf 'From alice@example.com Wed Dec  2 10:00:00 2026\nFrom: alice@example.com\nSubject: mbox\n\nbody\r\n \t\n\n' >"$tmp/mbox.eml"
printf 'From: alice@example.com\nSubject: bare cr\n\na\rb \r\n\r\n\r' >"$tmp/cr.eml"
for c in simple/simple relaxed/relaxed; do
	control dkimcanon "$c"
	for m in empty noeol cr; do
		run dkim-sign <"$tmp/$m.eml"
		cp "$got" "$tmp/c.eml"
		run $PY "$verify" "$tmp/recs" <"$tmp/c.eml"
		is_exit "c=$c, $m body: dkimpy verifies" 0
	done
	run dkim-sign <"$tmp/mbox.eml"
	is 'an mbox From line stays first' "$(head -1 "$got")" 'From alice@example.com Wed Dec  2 10:00:00 2026'
	sed 1d "$got" >"$tmp/c.eml"
	run $PY "$verify" "$tmp/recs" <"$tmp/c.eml"
	is_exit "c=$c, mbox: dkimpy verifies what follows the From line" 0
done
rm -f "$PORTCULLIS_CONTROL/dkimcanon"
control dkimcanon relaxed/none
run dkim-sign <"$msg"
is_exit 'an unknown canonicalisation is 111' 111
is 'and nothing on stdout' "$out" ''
rm -f "$PORTCULLIS_CONTROL/dkimcanon"

## Headers signed and oversigned

control dkimheaders Subject From X-Custom
control dkimoversign X-Custom
printf 'From: alice@example.com\nSubject: s\nX-Custom: 1\nX-Custom: 2\nTo: t@example.org\n\nb\n' | dkim-sign >"$tmp/h.eml" 2>/dev/null
ok 'the configured list, each present field once, oversigned once more' \
	grep -q 'h=subject:from:x-custom:x-custom:x-custom;' "$tmp/h.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/h.eml"
is_exit 'dkimpy verifies it' 0
sed 's/^To: t@example.org/To: someone@else.test/' "$tmp/h.eml" >"$tmp/h2.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/h2.eml"
is_exit 'a field not in the list may change' 0
control dkimheaders Subject
printf 'From: alice@example.com\nSubject: s\n\nb\n' | dkim-sign >"$tmp/h.eml" 2>/dev/null
ok 'From is always signed' grep -q 'h=subject:from;' "$tmp/h.eml"
control dkimheaders 'Bad Name'
run dkim-sign <"$msg"
is_exit 'a bad field name in dkimheaders is 111' 111
rm -f "$PORTCULLIS_CONTROL/dkimheaders" "$PORTCULLIS_CONTROL/dkimoversign"
control dkimexpire 3600
run dkim-sign <"$msg"
ok 'dkimexpire sets x=' sh -c "grep -Eq ' x=[0-9]+;' '$got'"
rm -f "$PORTCULLIS_CONTROL/dkimexpire"

## Which domain signs

printf 'From: a@mail.example.com\nSubject: s\n\nb\n' | dkim-sign >"$tmp/sub.eml" 2>"$tmp/sub.err"
ok 'a subdomain is signed with its parent domain key' grep -q 'd=example.com;' "$tmp/sub.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/sub.eml"
is_exit 'and dkimpy verifies it' 0
for case in 'From: a@nokey.test' 'From: a@other.test' 'From: nodomain' \
	'From: a@example.com, b@example.com' 'To: nofrom@example.com' \
	'From: a@example.com
From: b@example.com'; do
	printf '%s\nSubject: s\n\nbody\n' "$case" >"$tmp/u.eml"
	run dkim-sign <"$tmp/u.eml"
	is_exit "unsigned but passed: $(echo "$case" | head -1)" 0
	ok '  byte for byte unchanged' cmp "$got" "$tmp/u.eml"
	err_like '  the log line says why' 'verdict=pass unsigned domain=.* reason='
done
printf 'From: a@other.test\n\nbody\n' | dkim-sign >/dev/null 2>"$tmp/p.err"
ok 'a pending key does not sign' grep -q 'unsigned domain=other\.test reason=no key' "$tmp/p.err"

## Published through DNS (dnsmasq on loopback)

if command -v dnsmasq >/dev/null 2>&1; then
	dport=$(free_port udp)
	set -- --port="$dport" --listen-address=127.0.0.1 --bind-interfaces \
		--no-resolv --no-hosts --keep-in-foreground --pid-file= --user=root \
		--local=/example.com/ --address=/ns.example.com/127.0.0.1
	while read -r name txt; do
		# dnsmasq's own syntax: strings separated by commas (on its
		# command line without quotes), each at most 255 bytes
		set -- "$@" "--txt-record=${name%.},$(printf '%s' "$txt" | fold -w 250 | paste -sd,)"
	done <"$tmp/recs"
	dnsmasq "$@" 2>"$tmp/dnsmasq.log" &
	dpid=$!
	dns_up "$dport" ns.example.com || echo "# dnsmasq did not answer: $(cat "$tmp/dnsmasq.log")"
	run $PY "$verify" "@127.0.0.1:$dport" <"$tmp/signed.eml"
	is_exit 'dkimpy verifies with the keys served by dnsmasq' 0
	like 'both signatures' '^s=e2026 a=ed25519-sha256 pass$'
	kill "$dpid"
	wait "$dpid" 2>/dev/null
fi

## Keys that must not be used

mkdir -p "$keys/weak.test"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:768 \
	-out "$keys/weak.test/old.key" 2>/dev/null
run dkim-sign <"$msg"
is_exit 'an RSA key under 1024 bits is 111' 111
err_like 'the error names the file' 'weak\.test/old\.key: an RSA key of 768 bits'
rm -r "$keys/weak.test"
mkdir -p "$keys/bad.test"
echo junk >"$keys/bad.test/s.key"
run dkim-sign <"$msg"
is_exit 'a key file that is no key is 111' 111
is 'and nothing on stdout' "$out" ''
rm -r "$keys/bad.test"
mkdir -p "$keys/Upper.test"
run dkim-sign <"$msg"
is_exit 'a domain directory not in lower case is 111' 111
rm -r "$keys/Upper.test"

## Files

cp "$msg" "$tmp/one.eml"
run dkim-sign "$tmp/one.eml"
is_exit 'a file argument works as stdin does' 0
is 'two signatures' "$(grep -c '^DKIM-Signature:' "$got")" 2

## RFC 8463 appendix A: its keys, its message (../shared/auth-suites)

ec=${PORTCULLIS_SHARED:-$top/../shared}/auth-suites/mailauth/dkim-ec
if [ -f "$ec/signed.eml" ]; then
	c8463=$tmp/c8463
	mkdir -p "$c8463/dkim/football.example.com"
	cp "$ec/private-rsa.key" "$c8463/dkim/football.example.com/test.key"
	# the RFC gives the Ed25519 private key as its bare 32-byte seed:
	# wrapped here in PKCS#8 (RFC 8410), the form openssl reads
	{ printf '302e020100300506032b657004220420' | xxd -r -p
	  base64 -d "$ec/private-ec.key"; } | openssl pkey -inform DER \
		-out "$c8463/dkim/football.example.com/brisbane.key"
	control() { _f=$c8463/$1; shift; : >"$_f"; for _l in "$@"; do printf '%s\n' "$_l" >>"$_f"; done; }
	control dkimheaders from to subject date message-id
	control dkimoversign from subject date
	run dkim-sign -C "$c8463" --dns-record
	like 'RFC 8463: the Ed25519 record is the RFC'"'"'s' \
		'^brisbane\._domainkey\.football\.example\.com\. IN TXT \( "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" \)$'
	like 'RFC 8463: the RSA record is the RFC'"'"'s' \
		'"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR\+yz1Lxj\+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G\+2kryOTIKT\+l/K4w3QIDAQAB"'
	dkim-sign -C "$c8463" --dns-record | $PY -c 'import re, sys
for l in sys.stdin:
    m = re.match(r"(\S+) IN TXT \((.*)\)$", l)
    if m:
        print(m.group(1), "".join(re.findall(r"\"([^\"]*)\"", m.group(2))))' >"$tmp/recs8463"
	# the message without the RFC's signatures, with CRLF as it travels
	sed -n '/^From: /,$p' "$ec/signed.eml" | sed 's/\r*$/\r/' >"$tmp/8463.eml"
	run dkim-sign -C "$c8463" "$tmp/8463.eml"
	cp "$got" "$tmp/8463.signed"
	is 'RFC 8463: the same fields, oversigned as the RFC does' \
		"$(sed '/^$/q' "$tmp/8463.signed" | tr -d '\r\n\t' | grep -oE '(^|[; ])h=[^;]*' | sed 's/^[; ]//' | sort -u)" \
		'h=from:from:to:subject:subject:date:date:message-id'

	is 'RFC 8463: bh= is the RFC'"'"'s for both' \
		"$(grep -o 'bh=[^;]*' "$tmp/8463.signed" | sort -u)" \
		'bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8='
	run $PY "$verify" "$tmp/recs8463" <"$tmp/8463.signed"
	is_exit 'RFC 8463: dkimpy verifies both with the RFC'"'"'s own records' 0
	control() { _f=$PORTCULLIS_CONTROL/$1; shift; : >"$_f"; for _l in "$@"; do printf '%s\n' "$_l" >>"$_f"; done; }
fi

## The resident mode (lib/queue/serve.h), as the supervisor drives it

printf 'From: a@nokey.test\nSubject: s\n\nbody\n' >"$tmp/nokey.eml"
run $PY "$top/t/serve-job.py" -- dkim-sign -- "$msg|QUEUEID=q1" "$tmp/nokey.eml"
is_exit 'dkim-sign --serve: the driver and the resident end normally' 0
like '... two jobs, both exit 0' '^== 2 pid=[0-9]+ exit=0$'
like '... job 1 is signed' 'qid=q1 verdict=pass signed=example\.com selectors=e2026,r2026'
like '... job 2 is not, and QUEUEID of job 1 is gone' 'qid=- verdict=pass unsigned domain=nokey\.test'
printf '%s\n' "$out" | sed -n '/^== 1 /,/^-- log/p' | sed '1d;$d' >"$tmp/r.eml"
run $PY "$verify" "$tmp/recs" <"$tmp/r.eml"
is_exit '... and dkimpy verifies what the resident signed' 0

done_testing
