#!/bin/sh
# flow: the whole gateway end to end with real parts started here.  The
# supervisor runs as root and drops to nobody; mail from "outside"
# (python smtplib) for ourco.test lands in a maildir route, and for
# internal.ourco.test goes by SMTP to the internal server, a real Postfix
# (a private instance configured here, its own config, queue and a free
# loopback port, delivering into a maildir); mail from an
# inside client (127.0.0.5, in relayclients) to remote.test goes to its
# MX from dnsmasq, a STARTTLS receiver (aiosmtpd) that answers 250, 451
# once and 550 per recipient: the 451 is retried and delivered, the 550
# bounced with an RFC 3464 DSN.  Then kill -9 of the supervisor at random
# moments while messages arrive: every acknowledged one must arrive whole.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
gw=
pf=$tmp/pf
trap 'kill $gw 2>/dev/null; for p in $pids; do kill "$p" 2>/dev/null; done
	[ -f "$pf/main.cf" ] && postfix -c "$pf" stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
Q=$tmp/q
md=$tmp/md
mkdir "$md" "$tmp/in"
chown 65534 "$md"
chmod 777 "$tmp/in"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.remote.test \
	-addext subjectAltName=DNS:mx.remote.test -keyout "$tmp/key.pem" \
	-out "$tmp/cert.pem" >/dev/null 2>&1
chmod 644 "$tmp/key.pem"
$py "$data/relay-out/sink.py" "$tmp/in" 127.0.0.3 "$tmp/cert.pem" "$tmp/key.pem" \
	>"$tmp/sinkport" 2>"$tmp/sink.log" &
pids="$pids $!"
dport=$($py -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dnsmasq --port="$dport" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --keep-in-foreground --pid-file= --user=root \
	--local=/remote.test/ --mx-host=remote.test,mx.remote.test,10 \
	--address=/mx.remote.test/127.0.0.3 2>"$tmp/dnsmasq.log" &
pids="$pids $!"
for i in $(seq 50); do [ -s "$tmp/sinkport" ] && break; sleep 0.1; done
dns_up "$dport" mx.remote.test || echo "# dnsmasq did not answer"

# The internal server: Postfix on a free loopback port, taking mail for
# internal.ourco.test into the maildir $tmp/pfmail/box with its virtual
# delivery agent.
PATH=$PATH:/usr/sbin
pport=$(free_port)
mkdir -p "$tmp/pfmail"
chown 65534:65534 "$tmp/pfmail"
have_pf=0
sh "$top/share/devel/postfix-instance.sh" "$tmp" "$pport" mail.internal.ourco.test \
	'smtpd_recipient_restrictions = permit_mynetworks, reject' \
	'virtual_mailbox_domains = internal.ourco.test' \
	"virtual_mailbox_base = $tmp/pfmail" 'virtual_mailbox_maps = static:box/' \
	'virtual_uid_maps = static:65534' 'virtual_gid_maps = static:65534' \
	'virtual_minimum_uid = 100' 2>"$tmp/pfstart.err" && have_pf=1

gport=$(free_port)
control me gw.ourco.test
control localdomains ourco.test internal.ourco.test
control relayclients 127.0.0.5
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u" "internal.ourco.test smtp:[127.0.0.1]:$pport"
control resolvers "127.0.0.1@$dport"
control smtpport "$(cat "$tmp/sinkport")"
control tls-policy 'remote.test encrypt'
control retrymin 1
control retrymax 2
control timeoutdns 5

# wait_for N GLOB: until N files match
wait_for() {
	for i in $(seq 100); do
		[ "$(ls $2 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
send() {	# send SOURCE FROM "RCPT ..." SUBJECT [FROMHDR]
	$py - "$gport" "$@" <<'PY'
import smtplib, sys
port, src, frm, rcpts, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5]
fh = sys.argv[6] if len(sys.argv) > 6 else frm
s = smtplib.SMTP('127.0.0.1', port, source_address=(src, 0))
s.sendmail(frm, rcpts, 'From: %s\r\nTo: x@y.test\r\nSubject: %s\r\n\r\nbody\r\n' % (fh, subj))
s.quit()
PY
}

ok 'the supervisor starts as root and listens' start_gw
like_log() { if grep -Eq -- "$2" "$tmp/gw.log"; then _result 1 "$1"; else _result 0 "$1" "$(cat "$tmp/gw.log")"; fi; }
like_log '... and drops to nobody' '^[0-9T:Z-]+ portcullis: running as nobody'

# --- inbound, to the maildir route ---------------------------------------
send 127.0.0.1 alice@outside.test bob@ourco.test inbound-1
ok 'inbound mail lands in the maildir route' wait_for 1 "$md/bob/new/*"
f=$(ls "$md"/bob/new/* | head -1)
ok '... with Return-Path and Delivered-To' grep -q '^Delivered-To: bob@ourco.test' "$f"
ok '... through the inbound chain (spoof-check -a)' grep -q '^Authentication-Results: gw.ourco.test' "$f"
ok '... and smtpd-accept'"'"'s Received' grep -q '^Received: from ' "$f"
drained() {
	for i in $(seq "${1:-100}"); do
		[ -z "$(ls "$Q/incoming/new")$(ls "$Q/outgoing/new")" ] && return 0
		sleep 0.1
	done
	return 1
}
ok 'the queue is empty afterwards' drained

# --- inbound, by SMTP to the internal Postfix -----------------------------
if [ $have_pf = 1 ]; then
	send 127.0.0.1 alice@outside.test carol@internal.ourco.test inbound-postfix
	ok 'inbound mail for internal.ourco.test reaches the internal Postfix' \
		wait_for 1 "$tmp/pfmail/box/new/*"
	pff=$(ls "$tmp"/pfmail/box/new/* | head -1)
	ok '... Postfix delivered it to its maildir' grep -q '^Subject: inbound-postfix' "$pff"
	ok '... after our inbound chain' grep -q '^Authentication-Results: gw.ourco.test' "$pff"
	ok '... Postfix received it from the gateway' \
		grep -q 'by mail.internal.ourco.test (Postfix) with E\?SMTP' "$pff"
	ok '... Postfix logged status=sent' grep -q 'to=<carol@internal.ourco.test>.*status=sent' "$tmp/postfix.log"
	ok '... and its queue is empty (mailq)' sh -c "postqueue -c '$pf' -p | grep -q 'Mail queue is empty'"
	ok 'our queue is empty afterwards' drained
else
	for i in 1 2 3 4 5 6 7; do
		_n=$((_n + 1))
		echo "ok $_n # SKIP Postfix did not start: $(head -1 "$tmp/pfstart.log" 2>/dev/null)"
	done
fi
ok 'the stages ran as nobody: the maildir file is nobody'"'"'s' test "$(stat -c %u "$f")" = 65534

# --- quarantine: a spoofed CEO from outside ------------------------------
send 127.0.0.1 x@evil.test bob@ourco.test spoofed 'CEO <ceo@ourco.test>'
ok 'a spoofed From is quarantined' wait_for 1 "$Q/quarantine/new/*"
ok '... with the reason in a header' grep -q '^X-Portcullis-Quarantine: stage 2 (spoof-check) exit 99' "$Q"/quarantine/new/*
is '... and not delivered' "$(ls "$md/bob/new" | wc -l)" 1

# --- outbound: 250, 451 once, 550 ----------------------------------------
send 127.0.0.5 alice@ourco.test 'ok1@remote.test ok2@remote.test once1@remote.test bad@remote.test' outbound-1 alice@ourco.test
ok 'outbound: the MX receives the message twice (250s now, the 451 later)' wait_for 4 "$tmp/in/*.e*"
sleep 0.5
envs=$(cat "$tmp"/in/*.env)
is 'ok1 and ok2 delivered once, together' "$(printf '%s\n' "$envs" | grep -c 'rcpt=ok1@remote.test ok2@remote.test$')" 1
is 'the 451 recipient delivered on retry, once' "$(printf '%s\n' "$envs" | grep -c '^rcpt=once1@remote.test$')" 1
is 'the 550 recipient never delivered' "$(printf '%s\n' "$envs" | grep -c bad@)" 0
is 'both over TLS (policy encrypt)' "$(printf '%s\n' "$envs" | grep -c 'tls=True')" 2
ok 'the 550 is bounced to the sender (routed to our maildir)' wait_for 1 "$md/alice/new/*"
b=$(ls "$md"/alice/new/* | head -1)
ok '... a multipart/report DSN' grep -q 'Content-Type: multipart/report; report-type=delivery-status' "$b"
ok '... from the null sender' grep -q '^Return-Path: <>' "$b"
ok '... Final-Recipient of the failed address only' grep -q '^Final-Recipient: rfc822; bad@remote.test' "$b"
is '... only that one' "$(grep -c '^Final-Recipient' "$b")" 1
ok '... Status 5.1.1 and the remote reply' grep -q '^Diagnostic-Code: smtp; 550 5.1.1 no such user' "$b"
ok '... the original headers' grep -q '^Subject: outbound-1' "$b"
like_log 'the deferral is logged' 'delivery=deferred left=1 bounced=1'
ok 'the outgoing queue drains' sh -c "for i in \$(seq 50); do [ -z \"\$(ls $Q/outgoing/new)\" ] && exit 0; sleep 0.1; done; exit 1"

# --- limits -----------------------------------------------------------
control maxperip 1
kill $gw; wait $gw 2>/dev/null
start_gw
r=$($py - "$gport" <<'PY'
import socket, sys, time
a = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
a.recv(100)
b = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
print(b.recv(100).decode().strip())
PY
)
case $r in '421 4.7.0'*) x=1 ;; *) x=0 ;; esac
is 'control/maxperip: a second connection gets 421' "$x" 1
rm "$PORTCULLIS_CONTROL/maxperip"

# --- crash: kill -9 at random moments ------------------------------------
n=${CRASH_MESSAGES:-500}
: >"$tmp/acked"
kill $gw; wait $gw 2>/dev/null
start_gw
before=$(ls "$md/bob/new" | wc -l)
$py "$data/flow/send.py" "$gport" "$n" "$tmp/acked" &
sender=$!
pids="$pids $sender"
kills=0
while kill -0 $sender 2>/dev/null; do
	sleep "0.$(shuf -i 2-9 -n 1)"
	kill -9 $gw 2>/dev/null
	wait $gw 2>/dev/null
	kills=$((kills + 1))
	start_gw
done
acked=$(wc -l <"$tmp/acked")
drained 600
sleep 0.3
cat "$md"/bob/new/* | sed -n 's/^Subject: \(crash-[0-9]*\)$/\1/p' | sort >"$tmp/got"
missing=$(sort -u "$tmp/acked" | comm -23 - "$tmp/got" | wc -l)
dups=$(uniq -d "$tmp/got" | wc -l)
whole=$(grep -l '^END-OF-MESSAGE crash-' "$md"/bob/new/* | wc -l)
echo "# crash test: $n sent, $acked acknowledged, $kills kill -9, $(wc -l <"$tmp/got") delivered, $dups duplicates"
ok 'messages were acknowledged during the kills' test "$acked" -gt 0
is 'every acknowledged message arrived' "$missing" 0
is 'none truncated' "$whole" "$(wc -l <"$tmp/got")"
like_log 'the restarts logged their recovery or start' 'started: queue'
done_testing
