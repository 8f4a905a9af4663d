#!/bin/sh
# relay-out and MTA-STS (RFC 8461): _mta-sts TXT records from dnsmasq,
# policies from an HTTPS server on loopback (t/data/mta-sts/https.py) with
# certificates from a CA made here and trusted through control/tlscafile,
# an aiosmtpd receiver with STARTTLS and one without.  Under enforce a
# failure is a deferral with its reason, never plain text; a failed fetch
# with nothing cached is no policy (RFC 8461 5.1), said in the log; the
# cache stands when the record goes away.  relay-out runs as nobody.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
sink=$data/relay-out/sink.py
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
ro() { run nobody env PORTCULLIS_CONTROL="$PORTCULLIS_CONTROL" "$BIN/relay-out" "$@"; }
msg=$tmp/msg.eml
printf 'Subject: test\n\nhello\n' >"$msg"
chmod 644 "$msg"

# --- a CA, and certificates it signs -------------------------------------
ca=$tmp/ca
mkdir "$ca"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=portcullis-test-CA \
	-keyout "$ca/ca.key" -out "$ca/ca.pem" >/dev/null 2>&1
other=$tmp/other
mkdir "$other"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=untrusted-CA \
	-keyout "$other/ca.key" -out "$other/ca.pem" >/dev/null 2>&1
# cert DIR CADIR NAME... : DIR/cert.pem and key.pem for the names
cert() {
	_d=$1 _c=$2
	shift 2
	_san=$(printf 'DNS:%s,' "$@")
	mkdir -p "$_d"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$_d/key.pem" \
		-out "$_d/req.pem" >/dev/null 2>&1
	printf 'subjectAltName=%s\n' "${_san%,}" >"$_d/ext"
	openssl x509 -req -in "$_d/req.pem" -CA "$_c/ca.pem" -CAkey "$_c/ca.key" \
		-CAcreateserial -days 2 -extfile "$_d/ext" -out "$_d/cert.pem" >/dev/null 2>&1
	chmod 644 "$_d/key.pem" "$_d/cert.pem"
}
www=$tmp/www
cert "$www" "$ca" mta-sts.good.test mta-sts.testing.test mta-sts.nomatch.test \
	mta-sts.plain.test mta-sts.badmx.test mta-sts.e404.test mta-sts.html.test \
	mta-sts.garbage.test mta-sts.big.test mta-sts.cached.test mta-sts.wrongname.test \
	mta-sts.untrusted.test mta-sts.none.test
cert "$www/mta-sts.untrusted.test" "$other" mta-sts.untrusted.test
cert "$www/mta-sts.wrongname.test" "$ca" wrongname.test
cert "$tmp/mx" "$ca" mx.good.test mx.testing.test mx.nomatch.test mx.cached.test \
	mx.none.test
cert "$tmp/badmx" "$other" mx.badmx.test
chmod -R a+rX "$tmp"

# policy DOMAIN TEXT [FILE VALUE]...
policy() {
	_d=$www/mta-sts.$1
	mkdir -p "$_d"
	printf "$2" >"$_d/policy"
	shift 2
	while [ $# -ge 2 ]; do printf '%s' "$2" >"$_d/$1"; shift 2; done
}
enf='version: STSv1\r\nmode: enforce\r\nmx: %s\r\nmax_age: 86400\r\n'
policy good.test "$(printf "$enf" '*.good.test')"
policy testing.test 'version: STSv1\nmode: testing\nmx: other.testing.test\nmax_age: 86400\n'
policy nomatch.test "$(printf "$enf" mail.elsewhere.test)"
policy plain.test "$(printf "$enf" mx.plain.test)"
policy badmx.test "$(printf "$enf" mx.badmx.test)"
policy none.test 'version: STSv1\nmode: none\nmax_age: 86400\n'
policy e404.test "$(printf "$enf" mx.good.test)" status 404
policy html.test "$(printf "$enf" mx.good.test)" type text/html
policy garbage.test 'garbage'
policy big.test "$(printf "$enf" mx.good.test)" size 70000
policy cached.test "$(printf "$enf" mx.cached.test)"
policy wrongname.test "$(printf "$enf" mx.good.test)"
policy untrusted.test "$(printf "$enf" mx.good.test)"

$py "$top/t/data/mta-sts/https.py" "$www" >"$tmp/hport" 2>"$tmp/https.log" &
pids="$pids $!"
mkdir "$tmp/in" "$tmp/plain" "$tmp/bad"
chmod 777 "$tmp/in" "$tmp/plain" "$tmp/bad"
# the TLS receiver on 127.0.0.3, one without STARTTLS on 127.0.0.4, one
# whose certificate the CA did not sign on 127.0.0.5, all on one port
$py "$sink" "$tmp/in" 127.0.0.3 "$tmp/mx/cert.pem" "$tmp/mx/key.pem" >"$tmp/port" 2>"$tmp/sink.log" &
pids="$pids $!"
for i in $(seq 300); do [ -s "$tmp/port" ] && [ -s "$tmp/hport" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
hport=$(cat "$tmp/hport")
ok 'the HTTPS policy server listens' test -n "$hport"
ok 'the TLS receiver listens' test -n "$port"
# the others on the same port, on other addresses
SINK_PORT=$port $py "$sink" "$tmp/plain" 127.0.0.4 >/dev/null 2>"$tmp/sink2.log" &
pids="$pids $!"
SINK_PORT=$port $py "$sink" "$tmp/bad" 127.0.0.5 "$tmp/badmx/cert.pem" "$tmp/badmx/key.pem" >/dev/null 2>"$tmp/sink3.log" &
pids="$pids $!"

# --- DNS -----------------------------------------------------------------
txt='v=STSv1; id=20261202T000000'
set -- --local=/test/
for d in good testing nomatch plain badmx none e404 html garbage big cached \
	wrongname untrusted; do
	set -- "$@" "--txt-record=_mta-sts.$d.test,$txt" \
		"--address=/mta-sts.$d.test/127.0.0.1" \
		"--mx-host=$d.test,mx.$d.test,10"
done
set -- "$@" --txt-record=_mta-sts.badrec.test,v=STSv1 --mx-host=badrec.test,mx.good.test,10 \
	--mx-host=norec.test,mx.good.test,10 --mx-host=stale.test,mx.stale.test,10 \
	--address=/mx.stale.test/127.0.0.3 --mx-host=gone.test,mx.gone.test,10 \
	--address=/mx.gone.test/127.0.0.3
dport=$(free_port udp)
dnsmasq --port="$dport" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --keep-in-foreground --pid-file= --user=root \
	--address=/mx.good.test/127.0.0.3 --address=/mx.testing.test/127.0.0.3 \
	--address=/mx.nomatch.test/127.0.0.3 --address=/mx.plain.test/127.0.0.4 \
	--address=/mx.badmx.test/127.0.0.5 --address=/mx.none.test/127.0.0.3 \
	--address=/mx.e404.test/127.0.0.3 --address=/mx.html.test/127.0.0.3 \
	--address=/mx.garbage.test/127.0.0.3 --address=/mx.big.test/127.0.0.3 \
	--address=/mx.cached.test/127.0.0.3 --address=/mx.wrongname.test/127.0.0.3 \
	--address=/mx.untrusted.test/127.0.0.3 \
	"$@" 2>"$tmp/dnsmasq.log" &
pids="$pids $!"
dns_up "$dport" mx.good.test || echo "# dnsmasq did not answer: $(cat "$tmp/dnsmasq.log")"
for i in $(seq 100); do
	$py -c "import socket; socket.create_connection(('127.0.0.4', $port)).close(); socket.create_connection(('127.0.0.5', $port)).close()" 2>/dev/null && break
	sleep 0.1
done

control resolvers "127.0.0.1@$dport"
control smtpport "$port"
control mtastsport "$hport"
control tlscafile "$ca/ca.pem"
control timeoutdns 5
control timeoutconnect 5
cache=$tmp/cache
mkdir "$cache"
chown 65534 "$cache"
control mtastscache "$cache"
export SENDER=alice@ourco.test

sent() { ls "$tmp/in"/*.eml 2>/dev/null | wc -l; }

# --- enforce ---------------------------------------------------------------
export RECIPIENT=a@good.test
ro <"$msg"
is_exit 'enforce, the MX matches *.good.test, its certificate is valid: delivered' 0
err_like '... the log names the policy' 'domain=good\.test mta-sts=enforce id=20261202T000000'
err_like '... over TLS' 'host=mx\.good\.test addr=127\.0\.0\.3 tls=TLSv1'
ok '... the policy is cached' test -s "$cache/good.test"
is '... one fetch' "$(grep -c '^mta-sts.good.test /.well-known/mta-sts.txt$' "$www/requests")" 1
ro <"$msg"
is_exit 'again: delivered' 0
err_like '... from the cache, the id unchanged' 'domain=good\.test mta-sts=enforce id=20261202T000000 cached'
is '... no second fetch' "$(grep -c '^mta-sts.good.test ' "$www/requests")" 1

export RECIPIENT=a@nomatch.test
n=$(sent)
ro <"$msg"
is_exit 'enforce, no MX matches the policy: deferred' 111
like '... 451 4.7.5 with the reason' '^s a@nomatch\.test 451 4\.7\.5 MTA-STS policy of nomatch\.test \(enforce, id 20261202T000000\): no MX host matches its mx patterns \(mx\.nomatch\.test does not\)$'
is '... nothing delivered' "$(sent)" "$n"

export RECIPIENT=a@plain.test
ro <"$msg"
is_exit 'enforce, the MX offers no STARTTLS: deferred, never plain text' 111
like '... the reason says so' '^s a@plain\.test 451 4\.4\.1 mx\.plain\.test: TLS required \(MTA-STS enforce\) but STARTTLS not offered$'
is '... nothing reached the plain receiver' "$(ls "$tmp/plain" | wc -l)" 0

export RECIPIENT=a@badmx.test
ro <"$msg"
is_exit 'enforce, the MX certificate is from an untrusted CA: deferred' 111
like '... the certificate is the reason' '^s a@badmx\.test 451 4\.4\.1 mx\.badmx\.test: TLS \(MTA-STS enforce\): certificate: '
is '... nothing reached it' "$(ls "$tmp/bad" | wc -l)" 0

control tls-policy 'badmx.test may'
ro <"$msg"
is_exit 'control/tls-policy naming the domain wins over its policy' 0
rm "$PORTCULLIS_CONTROL/tls-policy"
control tls-policy '* may'
ro <"$msg"
is_exit '... a "*" line does not' 111
rm "$PORTCULLIS_CONTROL/tls-policy"
control mtasts off
ro <"$msg"
is_exit 'control/mtasts off: no MTA-STS' 0
control mtasts maybe
ro <"$msg"
is_exit 'control/mtasts neither on nor off: 111' 111
rm "$PORTCULLIS_CONTROL/mtasts"

# --- testing and none ----------------------------------------------------
export RECIPIENT=a@testing.test
ro <"$msg"
is_exit 'testing, the MX does not match: delivered anyway (RFC 8461 5)' 0
err_like '... the mismatch is logged' 'domain=testing\.test mta-sts=testing id=20261202T000000 unmatched=mx\.testing\.test'
export RECIPIENT=a@none.test
ro <"$msg"
is_exit 'mode none: delivered' 0
err_like '... logged' 'domain=none\.test mta-sts=none id='

# --- no record, bad records, failed fetches: no policy (RFC 8461 5.1) -----
for c in 'norec:no record' 'badrec:no valid STSv1 record' \
	'e404:policy fetch failed: HTTPS status 404' \
	'html:policy fetch failed: policy is not text/plain' \
	'garbage:policy fetch failed: a line without a colon' \
	'big:policy fetch failed: policy over 64 KiB' \
	'wrongname:policy fetch failed: HTTPS: ' \
	'untrusted:policy fetch failed: HTTPS: '; do
	d=${c%%:*}.test
	export RECIPIENT=a@$d
	ro <"$msg"
	is_exit "$d: delivered as without MTA-STS" 0
	err_like "... the log says why: ${c#*:}" "domain=${d%.test}\\.test mta-sts=none ${c#*:}"
	ok "... nothing cached" test ! -e "$cache/$d"
done
err_like 'a certificate for another name is refused' 'untrusted\.test mta-sts=none policy fetch failed: HTTPS: .*(certificate|SSL)'

# --- the cache stands when the record is gone --------------------------------
# stale.test has no record; a policy in the cache still applies, so an
# attacker who strips the TXT record cannot downgrade delivery
printf 'portcullis-mta-sts 1 old1 %s\nversion: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n' \
	"$(date +%s)" >"$cache/stale.test"
export RECIPIENT=a@stale.test
ro <"$msg"
is_exit 'no record, a cached enforce policy: it stands (deferred)' 111
like '... with its reason' '^s a@stale\.test 451 4\.7\.5 MTA-STS policy of stale\.test \(enforce, id old1\)'
printf 'portcullis-mta-sts 1 old1 %s\nversion: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 60\n' \
	"$(($(date +%s) - 61))" >"$cache/gone.test"
export RECIPIENT=a@gone.test
ro <"$msg"
is_exit 'an expired cached policy is none' 0

# cached.test: fetched once, then the server loses the policy; the same
# id in DNS keeps the cached one without a fetch
export RECIPIENT=a@cached.test
ro <"$msg"
is_exit 'cached.test: first delivery fetches' 0
rm "$www/mta-sts.cached.test/policy"
ro <"$msg"
is_exit '... the policy gone from the server, the same id: still enforced from cache' 0
err_like '... from the cache' 'domain=cached\.test mta-sts=enforce id=20261202T000000 cached'

# --- the parser against postfix-mta-sts-resolver's cases (../shared) -------
cases=${PORTCULLIS_SHARED:-$top/../shared}/auth-suites/postfix-mta-sts-resolver/cases.yaml
if [ -f "$cases" ] && $py -c 'import yaml' 2>/dev/null && [ -x "${PORTCULLIS_UNIT:-$top/.obj/unit}/mtasts" ]; then
	$py - "$cases" >"$tmp/cases.tsv" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
esc = lambda s: s.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
for r in c["parse_record"]:
    if r["rfc"] != "unspecified":
        print("record\t%s\t%s" % (esc(r["in"]), r["rfc"]))
for r in c["parse_policy"]:
    if r["rfc"] != "unspecified":
        print("policy\t%s\t%s" % (esc(r["in"]), r["rfc"]))
for r in c["mx_match"]:
    print("mx\t%s %s\t%s" % (r["mx"], " ".join(r["patterns"]), "valid" if r["match"] else "invalid"))
for r in c["content_type"]:
    print("type\t%s\t%s" % (esc(r["in"]), "valid" if r["ok"] else "invalid"))
PY
	run "${PORTCULLIS_UNIT:-$top/.obj/unit}/mtasts" "$tmp/cases.tsv"
	is_exit "postfix-mta-sts-resolver's record, policy, mx and type cases" 0
	unlike '... none fails' '^not ok'
	like '... all read' "^ok [0-9]+ - cases: $(wc -l <"$tmp/cases.tsv") rows"
fi

done_testing
