#!/bin/sh
# relay-out and DANE (RFC 7672) end to end: a zone signed here with
# ldns-signzone, served by NSD on loopback, validated by relay-out's own
# resolver (libunbound) with the zone's key as its trust anchor
# (control/dnssecanchors); aiosmtpd receivers with certificates from a CA
# made here.  DANE-EE and DANE-TA authenticate; a record that does not
# match, a missing name under DANE-TA, a host without STARTTLS and a bogus
# signature are deferrals, never plain text; DANE wins over a cached
# MTA-STS policy that would refuse.  relay-out runs as nobody.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
sink=$data/relay-out/sink.py
for c in nsd ldns-signzone ldns-keygen; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "1..0 # SKIP $c is not installed (nsd, ldnsutils)"
		exit 0
	fi
done
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
ro() { run nobody env PORTCULLIS_CONTROL="$PORTCULLIS_CONTROL" "$BIN/relay-out" "$@"; }
msg=$tmp/msg.eml
printf 'Subject: test\n\nhello\n' >"$msg"
chmod 644 "$msg"

# --- a CA and the MX certificate (with the CA in the chain it sends) -----
ca=$tmp/ca
mkdir "$ca" "$tmp/mx"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=dane-test-CA \
	-keyout "$ca/ca.key" -out "$ca/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj /CN=mx-ee.dane.test \
	-keyout "$tmp/mx/key.pem" -out "$tmp/mx/req.pem" >/dev/null 2>&1
printf 'subjectAltName=DNS:mx-ee.dane.test,DNS:mx-ta.dane.test,DNS:mx-bad.dane.test,DNS:mx-pkix.dane.test,DNS:mx-sts.dane.test\n' >"$tmp/mx/ext"
openssl x509 -req -in "$tmp/mx/req.pem" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
	-CAcreateserial -days 2 -extfile "$tmp/mx/ext" -out "$tmp/mx/leaf.pem" >/dev/null 2>&1
cat "$tmp/mx/leaf.pem" "$ca/ca.pem" >"$tmp/mx/cert.pem"
chmod -R a+rX "$tmp"
# TLSA data: SHA-256 of the leaf's public key (3 1 1), of the CA (2 0 1)
ee=$(openssl x509 -in "$tmp/mx/leaf.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
ta=$(openssl x509 -in "$ca/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)

mkdir "$tmp/in" "$tmp/plain"
chmod 777 "$tmp/in" "$tmp/plain"
$py "$sink" "$tmp/in" 127.0.0.3 "$tmp/mx/cert.pem" "$tmp/mx/key.pem" >"$tmp/port" 2>"$tmp/sink.log" &
pids="$pids $!"
for i in $(seq 300); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
ok 'the TLS receiver listens' test -n "$port"
SINK_PORT=$port $py "$sink" "$tmp/plain" 127.0.0.4 >/dev/null 2>"$tmp/sink2.log" &
pids="$pids $!"

# --- the zones: dane.test signed, bogus.test signed with a key nobody
# trusts, plain.test not signed ----------------------------------------------
z=$tmp/zones
mkdir "$z"
soa() { printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ NS ns.%s.\nns A 127.0.0.1\n' "$1" "$1" "$1" "$1"; }
{
	soa dane.test
	for h in ee ta bad tanoname plain pkix sts nodane fail; do
		printf '%s MX 10 mx-%s.dane.test.\n' "$h" "$h"
		printf 'mx-%s A 127.0.0.3\n' "$h"
	done
	printf 'mx-plain A 127.0.0.4\n' | sed 's/^/;/'
	printf '_%s._tcp.mx-ee TLSA 3 1 1 %s\n' "$port" "$ee"
	printf '_%s._tcp.mx-ta TLSA 2 0 1 %s\n' "$port" "$ta"
	printf '_%s._tcp.mx-bad TLSA 3 1 1 %s\n' "$port" "$(printf '%064d' 0)"
	printf '_%s._tcp.mx-tanoname TLSA 2 0 1 %s\n' "$port" "$ta"
	printf '_%s._tcp.mx-plain TLSA 3 1 1 %s\n' "$port" "$ee"
	printf '_%s._tcp.mx-pkix TLSA 1 1 1 %s\n' "$port" "$ee"
	printf '_%s._tcp.mx-sts TLSA 3 1 1 %s\n' "$port" "$ee"
	printf '_mta-sts.sts TXT "v=STSv1; id=s1"\n_mta-sts.nodane TXT "v=STSv1; id=s1"\n'
} | sed 's/^mx-plain A 127.0.0.3$/mx-plain A 127.0.0.4/' >"$z/dane.test"
{ soa bogus.test; printf '@ MX 10 mx.bogus.test.\nmx A 127.0.0.3\n_%s._tcp.mx TLSA 3 1 1 %s\n' "$port" "$ee"; } >"$z/bogus.test"
{ soa plain.test; printf '@ MX 10 mx.plain.test.\nmx A 127.0.0.3\n'; } >"$z/plain.test"
(
	cd "$z" || exit 1
	for d in dane.test bogus.test; do
		k=$(ldns-keygen -a ECDSAP256SHA256 -k $d) && s=$(ldns-keygen -a ECDSAP256SHA256 $d) &&
			ldns-signzone -n $d $s $k || exit 1
		[ $d = dane.test ] && cat $k.key >>anchors
	done
	# bogus.test: the anchor is another key's
	k=$(ldns-keygen -a ECDSAP256SHA256 -k bogus.test) && cat $k.key >>anchors
)
ok 'the zones are signed' test -s "$z/dane.test.signed" -a -s "$z/bogus.test.signed"
nport=$(free_port udp)
cat >"$z/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1
	port: $nport
	username: ""
	chroot: ""
	zonesdir: "$z"
	pidfile: ""
	database: ""
	zonelistfile: "$z/zone.list"
	xfrdfile: "$z/xfrd.state"
	logfile: "$z/nsd.log"
remote-control:
	control-enable: no
zone:
	name: dane.test
	zonefile: dane.test.signed
zone:
	name: bogus.test
	zonefile: bogus.test.signed
zone:
	name: plain.test
	zonefile: plain.test
EOF
nsd -d -c "$z/nsd.conf" 2>"$tmp/nsd.err" &
pids="$pids $!"
dns_up "$nport" ns.dane.test || echo "# nsd did not answer: $(cat "$tmp/nsd.err" "$z/nsd.log")"
for i in $(seq 100); do
	$py -c "import socket; socket.create_connection(('127.0.0.4', $port)).close()" 2>/dev/null && break
	sleep 0.1
done
chmod -R a+rX "$z"

control resolvers "127.0.0.1@$nport"
control dnssecanchors "$z/anchors"
control smtpport "$port"
control timeoutdns 5
control timeoutconnect 5
control mtastscache "$tmp/cache"
mkdir "$tmp/cache"
export SENDER=alice@ourco.test
sent() { ls "$tmp/in"/*.eml 2>/dev/null | wc -l; }

export RECIPIENT=a@ee.dane.test
ro <"$msg"
is_exit 'DANE-EE (3 1 1) matches: delivered' 0
err_like '... the host has DANE' 'host=mx-ee\.dane\.test dane=yes'
err_like '... authenticated by it' 'host=mx-ee\.dane\.test addr=127\.0\.0\.3 tls=TLSv1\.[23] [^ ]+ dane$'

export RECIPIENT=a@ta.dane.test
ro <"$msg"
is_exit 'DANE-TA (2 0 1) of the CA in the chain, the MX name in the certificate: delivered' 0
err_like '... authenticated' 'host=mx-ta\.dane\.test addr=127\.0\.0\.3 tls=TLSv1\.[23] [^ ]+ dane$'

n=$(sent)
export RECIPIENT=a@bad.dane.test
ro <"$msg"
is_exit 'a TLSA record that does not match: deferred' 111
like '... the reason is DANE' '^s a@bad\.dane\.test 451 4\.4\.1 mx-bad\.dane\.test: TLS \(DANE\): DANE: '
is '... nothing delivered' "$(sent)" "$n"

export RECIPIENT=a@tanoname.dane.test
ro <"$msg"
is_exit 'DANE-TA matches but the certificate does not name the MX host: deferred' 111
like '... a name mismatch' '^s a@tanoname\.dane\.test 451 4\.4\.1 mx-tanoname\.dane\.test: TLS \(DANE\): DANE: [Hh]ostname mismatch'

export RECIPIENT=a@plain.dane.test
ro <"$msg"
is_exit 'DANE and no STARTTLS offered: deferred, never plain text' 111
like '... said so' '^s a@plain\.dane\.test 451 4\.4\.1 mx-plain\.dane\.test: TLS required \(DANE\) but STARTTLS not offered$'
is '... nothing reached the plain receiver' "$(ls "$tmp/plain" | wc -l)" 0

export RECIPIENT=a@pkix.dane.test
ro <"$msg"
is_exit 'signed TLSA with only PKIX-EE (unusable for SMTP): delivered over TLS, unauthenticated' 0
err_like '... dane=unusable' 'host=mx-pkix\.dane\.test dane=unusable'
err_like '... over TLS without dane' 'host=mx-pkix\.dane\.test addr=127\.0\.0\.3 tls=TLSv1\.[23] [^ ]+$'

# a cached MTA-STS policy whose mx matches neither host: enforced where
# there is no DANE, not where there is
for d in sts nodane; do
	printf 'portcullis-mta-sts 1 s1 %s\nversion: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n' \
		"$(date +%s)" >"$tmp/cache/$d.dane.test"
done
export RECIPIENT=a@sts.dane.test
ro <"$msg"
is_exit 'DANE wins over an MTA-STS policy that would refuse: delivered' 0
unlike '... no MTA-STS in the result' 'MTA-STS'
export RECIPIENT=a@nodane.dane.test
ro <"$msg"
is_exit '... the same policy without DANE: deferred by MTA-STS' 111
like '... by MTA-STS' '^s a@nodane\.dane\.test 451 4\.7\.5 MTA-STS policy of nodane\.dane\.test'

export RECIPIENT=a@bogus.test
n=$(sent)
ro <"$msg"
is_exit 'a bogus signature (the anchor is another key): deferred' 111
like '... a DNS failure' '^s a@bogus\.test 451 4\.4\.3 DNS lookup of bogus\.test failed'
is '... nothing delivered' "$(sent)" "$n"

export RECIPIENT=a@plain.test
ro <"$msg"
is_exit 'an unsigned zone: no DANE, delivered as before' 0
unlike '... no DANE line' 'dane='

rm "$PORTCULLIS_CONTROL/dnssecanchors"
export RECIPIENT=a@bad.dane.test
ro <"$msg"
is_exit 'without control/dnssecanchors no validation, no DANE' 0

done_testing
