#!/bin/sh
# relay-out: real receivers on loopback (t/data/relay-out/sink.py, Debian's
# aiosmtpd: per-recipient 250/451/550, STARTTLS with a certificate made
# here, SMTPUTF8 or not), MX records from dnsmasq on a free loopback port,
# routes to SMTP, LMTP and maildir, peers that stall (peer.py).  relay-out
# refuses root, so it runs as nobody.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
sink=$data/relay-out/sink.py
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
ro() { run nobody env PORTCULLIS_CONTROL="$PORTCULLIS_CONTROL" "$BIN/relay-out" "$@"; }
msg=$tmp/msg.eml
printf 'Subject: test\n\n.leading dot\nbare LF line\n' >"$msg"
chmod 644 "$msg"

run env PORTCULLIS_CONTROL="$PORTCULLIS_CONTROL" relay-out -f a@b.test -r c@d.test </dev/null
is_exit 'refuses to run as root' 111
ro -r c@d.test <"$msg"
is_exit 'no sender: a usage error is temporary' 111

# --- a certificate for mx2.mxdom.test, and the receivers -----------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx2.mxdom.test \
	-addext subjectAltName=DNS:mx2.mxdom.test -keyout "$tmp/key.pem" \
	-out "$tmp/cert.pem" >/dev/null 2>&1
chmod 644 "$tmp/key.pem" "$tmp/cert.pem"
mkdir "$tmp/in" "$tmp/plain"
chmod 777 "$tmp/in" "$tmp/plain"
$py "$sink" "$tmp/in" 127.0.0.3 "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/port" 2>"$tmp/sink.log" &
pids="$pids $!"
$py "$sink" "$tmp/plain" 127.0.0.4 >"$tmp/port2" 2>"$tmp/sink2.log" &
pids="$pids $!"
for i in $(seq 300); do [ -s "$tmp/port" ] && [ -s "$tmp/port2" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
port2=$(cat "$tmp/port2")
ok 'the TLS receiver listens' test -n "$port"

# --- DNS: dnsmasq on a free port ------------------------------------------
dport=$($py -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dnsmasq --port="$dport" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --keep-in-foreground --pid-file= --user=root \
	--local=/mxdom.test/ --local=/nullmx.test/ --local=/amx.test/ --local=/nx.test/ \
	--mx-host=mxdom.test,mx1.mxdom.test,10 --mx-host=mxdom.test,mx2.mxdom.test,20 \
	--address=/mx1.mxdom.test/127.0.0.2 --address=/mx2.mxdom.test/127.0.0.3 \
	--mx-host=nullmx.test,.,0 --address=/amx.test/127.0.0.3 \
	--local=/eq.test/ --mx-host=eq.test,mxa.eq.test,10 --mx-host=eq.test,mxb.eq.test,10 \
	--address=/mxa.eq.test/127.0.0.6 --address=/mxb.eq.test/127.0.0.7 \
	2>"$tmp/dnsmasq.log" &
pids="$pids $!"
dns_up "$dport" mx1.mxdom.test || echo "# dnsmasq did not answer"
control resolvers "127.0.0.1@$dport"
control smtpport "$port"
control timeoutdns 5
control timeoutconnect 5

export SENDER='alice@ourco.test'
RECIPIENT='ok@mxdom.test
temp1@mxdom.test
bad@mxdom.test
ok2@mxdom.test'
export RECIPIENT
ro <"$msg"
is_exit 'a temporary failure among the results: exit 111' 111
like 'accepted: r line with the remote reply' '^r ok@mxdom\.test 250 2\.0\.0 queued as '
like '451: s line' '^s temp1@mxdom\.test 451 4\.2\.0 try again later$'
like '550: h line' '^h bad@mxdom\.test 550 5\.1\.1 no such user$'
like 'second accepted recipient' '^r ok2@mxdom\.test 250'
is 'one line per recipient, in order' "$(printf '%s\n' "$out" | cut -d' ' -f2 | tr '\n' ' ')" \
	'ok@mxdom.test temp1@mxdom.test bad@mxdom.test ok2@mxdom.test '
err_like 'mx1 (nothing listening) was tried first and given up' 'unable to connect to 127\.0\.0\.2'
err_like 'mx2 took it over TLS' 'host=mx2\.mxdom\.test addr=127\.0\.0\.3 tls=TLSv1\.[23]'
env=$(cat "$tmp"/in/*.env)
case $env in *'rcpt=ok@mxdom.test ok2@mxdom.test'*) r=1 ;; *) r=0 ;; esac
is 'one transaction with both accepted recipients' "$r" 1
case $env in *tls=True*) r=1 ;; *) r=0 ;; esac
is 'the receiver saw STARTTLS (policy may by default)' "$r" 1
f=$(ls "$tmp"/in/*.eml | head -1)
printf 'Subject: test\r\n\r\n.leading dot\r\nbare LF line\r\n' >"$tmp/want"
ok 'bytes on the wire: CRLF everywhere, dot-stuffing undone by the receiver' cmp "$f" "$tmp/want"
like_env() { case $env in *"$2"*) _result 1 "$1" ;; *) _result 0 "$1" "$env" ;; esac; }
like_env 'MAIL carries SIZE' 'opts=SIZE='

export RECIPIENT=ok@mxdom.test
ro <"$msg"
is_exit 'all accepted: exit 0' 0

control tls-policy 'mxdom.test verify'
ro <"$msg"
is_exit 'verify without our CA: temporary' 111
like '... the certificate is named as the reason' '^s ok@mxdom\.test 451 4\.4\.1 .*certificate'
control tlscafile "$tmp/cert.pem"
ro <"$msg"
is_exit 'verify with control/tlscafile: delivered' 0
control tls-policy 'mxdom.test verify' 'amx.test verify'
control tlscafile "$tmp/cert.pem"
export RECIPIENT=ok@amx.test
ro <"$msg"
is_exit 'verify against the wrong host name (amx.test) fails' 111
rm "$PORTCULLIS_CONTROL/tls-policy"

export RECIPIENT=ok@amx.test
ro <"$msg"
is_exit 'no MX: the A record is the implicit MX (RFC 5321 5.1)' 0

export RECIPIENT=x@nullmx.test
ro <"$msg"
is_exit 'null MX: permanent' 100
like '... 556 5.1.10 (RFC 7505)' '^h x@nullmx\.test 556 5\.1\.10 '

export RECIPIENT=x@nope.nx.test
ro <"$msg"
is_exit 'a domain that does not exist: permanent' 100
like '... 5.1.2' '^h x@nope\.nx\.test 550 5\.1\.2 '

# --- routes ------------------------------------------------------------
mkdir "$tmp/md"
chown 65534 "$tmp/md"
control routes "plain.test smtp:[127.0.0.4]:$port2" "local.test maildir:$tmp/md/%u" \
	".sub.test smtp:[127.0.0.4]:$port2"
control tls-policy 'plain.test encrypt'
RECIPIENT='x@plain.test
bob@local.test
y@a.sub.test'
export RECIPIENT
ro <"$msg"
like 'encrypt to a server without STARTTLS: temporary, never in clear' \
	'^s x@plain\.test 451 4\.4\.1 .*STARTTLS not offered'
like 'maildir route: delivered' '^r bob@local\.test 250 2\.0\.0 delivered to maildir'
like '".sub.test" route matches a subdomain' '^r y@a\.sub\.test 250'
f=$(ls "$tmp/md/bob/new/" | head -1)
ok 'the message is in the maildir new/' test -n "$f"
ok '... tmp/ is empty' test -z "$(ls "$tmp/md/bob/tmp")"
printf 'Return-Path: <alice@ourco.test>\nDelivered-To: bob@local.test\n' >"$tmp/want"
cat "$msg" >>"$tmp/want"
ok '... with Return-Path and Delivered-To on top, bytes as they came' cmp "$tmp/md/bob/new/$f" "$tmp/want"
rm "$PORTCULLIS_CONTROL/tls-policy"

control routes '* smtp:[127.0.0.4]:1'
export RECIPIENT=x@any.test
ro <"$msg"
is_exit '"*" default route, nothing listening: temporary' 111
like '... the reason is in the reply' '^s x@any\.test 451 4\.4\.1 .*unable to connect'

control routes 'broken'
ro <"$msg"
is_exit 'a bad control/routes line: 111' 111
err_like '... names the line' 'control/routes line 1'
# --- SMTPUTF8 (RFC 6531) ---------------------------------------------------
mkdir "$tmp/u8"
chmod 777 "$tmp/u8"
SINK_SMTPUTF8=1 $py "$sink" "$tmp/u8" 127.0.0.6,127.0.0.7 >"$tmp/port6" 2>"$tmp/sink6.log" &
pids="$pids $!"
for i in $(seq 300); do [ -s "$tmp/port6" ] && break; sleep 0.1; done
port6=$(cat "$tmp/port6")
control routes "u8.test smtp:[127.0.0.6]:$port6" "nou8.test smtp:[127.0.0.4]:$port2"
u8msg=$tmp/u8.eml
printf 'Subject: caf\303\251 cr\303\250me\n\nbody\n' >"$u8msg"
chmod 644 "$u8msg"
export SENDER=alice@ourco.test
export RECIPIENT=x@u8.test
ro <"$u8msg"
is_exit 'UTF-8 header to a server with SMTPUTF8: delivered' 0
ok '... MAIL carried SMTPUTF8' grep -q '^opts=.*SMTPUTF8' "$tmp"/u8/*.env
export RECIPIENT=x@nou8.test
n_plain=$(ls "$tmp/plain" | wc -l)
ro <"$u8msg"
is_exit 'UTF-8 header, server without SMTPUTF8: permanent' 100
like '... 554 5.6.9, nothing sent downgraded' '^h x@nou8\.test 554 5\.6\.9 '
is '... the server received nothing' "$(ls "$tmp/plain" | wc -l)" "$n_plain"
RECIPIENT=$(printf 'j\303\266rg@nou8.test\nok@nou8.test')
export RECIPIENT
ro <"$msg"
is_exit 'a non-ASCII recipient, server without SMTPUTF8: that one fails for good' 100
like '... 553 5.6.7 for it' '^h j.*rg@nou8\.test 553 5\.6\.7 '
like '... the ASCII recipient is delivered' '^r ok@nou8\.test 250'
export RECIPIENT=ok@nou8.test
SENDER=$(printf 'j\303\266rg@ourco.test') ro <"$msg"
like 'a non-ASCII sender, server without SMTPUTF8: 553 5.6.7' '^h ok@nou8\.test 553 5\.6\.7 '
rm -f "$tmp"/u8/*
RECIPIENT=$(printf 'j\303\266rg@u8.test')
export RECIPIENT
ro <"$msg"
is_exit 'a non-ASCII recipient, server with SMTPUTF8: delivered' 0
ok '... with SMTPUTF8 on MAIL' grep -q '^opts=.*SMTPUTF8' "$tmp"/u8/*.env
rm -f "$tmp"/u8/*
export RECIPIENT=x@u8.test
SMTPUTF8=1 ro <"$msg"
is_exit 'received with SMTPUTF8 (SMTPUTF8=1), ASCII only: delivered' 0
ok '... and SMTPUTF8 passed on where offered' grep -q '^opts=.*SMTPUTF8' "$tmp"/u8/*.env
export RECIPIENT=x@nou8.test
SMTPUTF8=1 ro <"$msg"
is_exit '... and where not offered, an ASCII message goes without it' 0

# --- equal-preference MX hosts share the load (RFC 5321 5.1) --------------
rm -f "$PORTCULLIS_CONTROL/routes"
control smtpport "$port6"
export RECIPIENT=x@eq.test
: >"$tmp/eq.log"
for i in $(seq 16); do
	ro <"$msg"
	printf '%s\n' "$err" >>"$tmp/eq.log"
done
a=$(grep -c 'host=mxa\.eq\.test addr=127\.0\.0\.6 tls=' "$tmp/eq.log")
b=$(grep -c 'host=mxb\.eq\.test addr=127\.0\.0\.7 tls=' "$tmp/eq.log")
echo "# 16 deliveries to two MX hosts of preference 10: mxa $a, mxb $b"
is 'every delivery to eq.test succeeded on one of its hosts' "$((a + b))" 16
ok '... and both hosts of equal preference were used' test "$a" -gt 0 -a "$b" -gt 0
control smtpport "$port"

# --- timeoutremote bounds every read after the connect --------------------
$py "$data/relay-out/peer.py" stall-greeting "$tmp" 127.0.0.8 >"$tmp/port8" 2>"$tmp/peer8.log" &
pids="$pids $!"
$py "$data/relay-out/peer.py" stall-dot "$tmp" 127.0.0.9 >"$tmp/port9" 2>"$tmp/peer9.log" &
pids="$pids $!"
for i in $(seq 300); do [ -s "$tmp/port8" ] && [ -s "$tmp/port9" ] && break; sleep 0.1; done
control routes "stall.test smtp:[127.0.0.8]:$(cat "$tmp/port8")" \
	"stalldot.test smtp:[127.0.0.9]:$(cat "$tmp/port9")"
control timeoutremote 1
secs() { date +%s.%N; }
export RECIPIENT=x@stall.test
t0=$(secs)
ro <"$msg"
t1=$(secs)
is_exit 'a server that never greets: temporary' 111
like '... given up for no greeting' '^s x@stall\.test 451 4\.4\.1 .*no greeting'
ok '... after timeoutremote (1 s), not the default 300' \
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 0.9 && b - a < 5) }'
export RECIPIENT=x@stalldot.test
t0=$(secs)
ro <"$msg"
t1=$(secs)
is_exit 'a server that never answers the end of data: temporary' 111
like '... connection lost after the data (may deliver twice, never zero)' \
	'^s x@stalldot\.test 451 4\.4\.2 connection lost'
ok '... after timeoutremote (1 s)' \
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 0.9 && b - a < 5) }'
$py "$data/relay-out/peer.py" stall-data "$tmp" 127.0.0.10 >"$tmp/port10" 2>"$tmp/peer10.log" &
pids="$pids $!"
for i in $(seq 300); do [ -s "$tmp/port10" ] && break; sleep 0.1; done
control routes "stalldata.test smtp:[127.0.0.10]:$(cat "$tmp/port10")"
head -c 8000000 /dev/zero | tr '\0' x | fold -w 76 >"$tmp/big.eml"
chmod 644 "$tmp/big.eml"
export RECIPIENT=x@stalldata.test
t0=$(secs)
ro <"$tmp/big.eml"
t1=$(secs)
is_exit 'a server that stops reading in the data: temporary' 111
like '... the write gives up: connection lost' '^s x@stalldata\.test 451 4\.4\.2 connection lost'
ok '... after timeoutremote (1 s), once the socket buffers are full' \
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 0.9 && b - a < 8) }'
rm -f "$PORTCULLIS_CONTROL/timeoutremote"

# --- LMTP (RFC 2033): a reply per recipient, over TCP and a Unix socket ---
mkdir "$tmp/lmtp"
chmod 777 "$tmp/lmtp"
$py "$data/relay-out/peer.py" lmtp "$tmp/lmtp" 127.0.0.1 >"$tmp/lport" 2>"$tmp/lmtp.log" &
pids="$pids $!"
$py "$data/relay-out/peer.py" lmtp "$tmp/lmtp" "$tmp/lmtp.sock" >"$tmp/lsock" 2>"$tmp/lmtp2.log" &
pids="$pids $!"
for i in $(seq 300); do [ -s "$tmp/lport" ] && [ -s "$tmp/lsock" ] && break; sleep 0.1; done
control routes "lm.test lmtp:[127.0.0.1]:$(cat "$tmp/lport")" "lms.test lmtp:$tmp/lmtp.sock"
RECIPIENT='ok@lm.test
bad@lm.test
temp@lm.test
ok2@lm.test'
export RECIPIENT
ro <"$msg"
is_exit 'LMTP over TCP: a temporary failure among them, 111' 111
is '... one result per recipient from the replies after DATA' \
	"$(printf '%s\n' "$out" | cut -c1 | tr -d '\n')" rhsr
like '... each with its own reply' '^h bad@lm\.test 550 5\.1\.1 <bad@lm\.test> no such mailbox'
ok '... the server heard LHLO and delivered the two' grep -q '^rcpt=ok@lm.test ok2@lm.test$' "$tmp"/lmtp/*.env
rm -f "$tmp"/lmtp/*.e*
export RECIPIENT=ok@lms.test
ro <"$msg"
is_exit 'LMTP over a Unix socket: delivered' 0
like '... 250 from the server' '^r ok@lms\.test 250 2\.0\.0 <ok@lms\.test> delivered'
done_testing
