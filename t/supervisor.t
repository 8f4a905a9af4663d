#!/bin/sh
# supervisor: what portcullis does with time and limits, with real parts
# started here.  A chain stage that sleeps past timeoutstage counts as
# temporary and the message is scanned again, not lost; a recipient that
# keeps getting 451 (aiosmtpd) is held in quarantine once queuelifetime
# has passed, never bounced to the outside sender; an inbound policy reject (header-strip
# refusing a header section over control/headerfields) is quarantined
# with the stage's reason, never bounced to the outside sender; deliveries over LMTP (aiosmtpd's LMTP, a reply per recipient
# after DATA) by TCP and by a Unix socket; SMTPUTF8 mail handed on with
# SMTPUTF8 (aiosmtpd offering it); maxconnections turns the
# connection past the limit away with 421 and takes the next one once a
# session ends.  The supervisor runs as root and drops to nobody.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
gw=
trap 'kill $gw 2>/dev/null; for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
Q=$tmp/q
md=$tmp/md
mkdir "$md" "$tmp/in" "$tmp/lmtp" "$tmp/flags"
chown 65534 "$md" "$tmp/flags"
chmod 777 "$tmp/in" "$tmp/lmtp"

SINK_SMTPUTF8=1 $py "$data/relay-out/sink.py" "$tmp/in" 127.0.0.3 >"$tmp/sinkport" 2>"$tmp/sink.log" &
pids="$pids $!"
$py "$data/relay-out/peer.py" lmtp "$tmp/lmtp" 127.0.0.1 >"$tmp/lport" 2>"$tmp/lmtp.log" &
pids="$pids $!"
$py "$data/relay-out/peer.py" lmtp "$tmp/lmtp" "$tmp/lmtp.sock" >"$tmp/lsock" 2>"$tmp/lmtp2.log" &
pids="$pids $!"
for i in $(seq 50); do
	[ -s "$tmp/sinkport" ] && [ -s "$tmp/lport" ] && [ -s "$tmp/lsock" ] && break
	sleep 0.1
done

# A chain stage that hangs the first time it sees slowonce@ and passes
# the message through after that.
cat >"$tmp/slow.sh" <<EOF
#!/bin/sh
case \$RECIPIENT in
*slowonce@*) [ -e "$tmp/flags/slow" ] || { : >"$tmp/flags/slow"; exec sleep 30; } ;;
esac
exec cat
EOF
chmod 755 "$tmp/slow.sh"

gport=$(free_port)
control me gw.ourco.test
# what the queue does after it has taken a message: the door's verdicts
# (t/door.t) are off, so that every message here is judged after the queue
control doortimeout 0
control localdomains ourco.test lm.ourco.test lms.ourco.test slow.ourco.test u8.ourco.test
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u" "outside.test maildir:$md/%u" \
	"slow.ourco.test smtp:[127.0.0.3]:$(cat "$tmp/sinkport")" \
	"lm.ourco.test lmtp:[127.0.0.1]:$(cat "$tmp/lport")" \
	"lms.ourco.test lmtp:$tmp/lmtp.sock" \
	"u8.ourco.test smtp:[127.0.0.3]:$(cat "$tmp/sinkport")"
control chain.in 'header-strip --direction in' "sh $tmp/slow.sh" 'spoof-check -a'
control timeoutstage 3
control queuelifetime 6
control retrymin 1
control retrymax 1
control headerfields 16

stop_gw() { kill $gw; wait $gw 2>/dev/null; }
# wait_for SECONDS N GLOB: until N files match
wait_for() {
	for i in $(seq $(($1 * 10))); do
		[ "$(ls $3 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
send() {	# send FROM "RCPT ..." SUBJECT [EXTRA_HEADER_FIELDS]
	$py - "$gport" "$@" <<'PY'
import smtplib, sys
port, frm, rcpts, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4]
extra = ''.join('X-Filler-%d: %d\r\n' % (i, i) for i in range(int(sys.argv[5]) if len(sys.argv) > 5 else 0))
s = smtplib.SMTP('127.0.0.1', port)
s.sendmail(frm, rcpts, 'From: %s\r\nTo: x@y.test\r\nSubject: %s\r\n%s\r\nbody\r\n' % (frm, subj, extra))
s.quit()
PY
}
like_log() { if grep -Eq -- "$2" "$tmp/gw.log"; then _result 1 "$1"; else _result 0 "$1" "$(cat "$tmp/gw.log")"; fi; }
drained() {
	for i in $(seq "${1:-100}"); do
		[ -z "$(ls "$Q/incoming/new")$(ls "$Q/outgoing/new")" ] && return 0
		sleep 0.1
	done
	return 1
}

ok 'the supervisor starts' start_gw

# Everything is sent at once; each part is checked as it lands.
send carol@outside.test temp1@slow.ourco.test lifetime-1
send erin@outside.test slowonce@ourco.test slow-stage
send alice@outside.test 'ok@lm.ourco.test bad@lm.ourco.test' lmtp-tcp
send alice@outside.test ok@lms.ourco.test lmtp-unix
send dave@outside.test bob@ourco.test too-many-fields 30
$py - "$gport" <<'PY'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
for rcpt, subj in (('j\u00f6rg@u8.ourco.test', 'utf8-address'), ('ascii@u8.ourco.test', 'utf8-flag')):
    s.sendmail('frank@outside.test', [rcpt], ('From: frank@outside.test\r\nSubject: %s\r\n\r\nbody\r\n' % subj).encode(),
               mail_options=['SMTPUTF8'])
s.quit()
PY

# --- LMTP ----------------------------------------------------------------
ok 'LMTP over TCP and a Unix socket: both messages arrive' wait_for 10 2 "$tmp/lmtp/*.eml"
envs=$(cat "$tmp"/lmtp/*.env)
is '... over TCP, only the recipient answered 250 after DATA' \
	"$(printf '%s\n' "$envs" | grep -c '^rcpt=ok@lm\.ourco\.test$')" 1
is '... over the socket, the one recipient' \
	"$(printf '%s\n' "$envs" | grep -c '^rcpt=ok@lms\.ourco\.test$')" 1
# held: the quarantined copy for an inbound recipient that failed for good
held() { grep -l "^X-Portcullis-Quarantine: undeliverable, not bounced to an outside sender:.*<$1>" "$Q"/quarantine/new/* 2>/dev/null | head -1; }
wait_held() { for i in $(seq $(($2 * 10))); do [ -n "$(held "$1")" ] && return 0; sleep 0.1; done; return 1; }
ok '... the 550 after DATA: a copy held in quarantine, for the admin' wait_held bad@lm.ourco.test 10
h=$(held bad@lm.ourco.test)
ok '... with the server'"'"'s reply on top' grep -q '^X-Portcullis-Quarantine: .*<bad@lm.ourco.test> 550' "$h"
is '... for the refused recipient only' "$(grep '^T' "$Q/quarantine/env/$(basename "$h")")" 'Tbad@lm.ourco.test'
is '... and no bounce to the outside sender (backscatter)' "$(ls "$md/alice/new" 2>/dev/null | wc -l)" 0
ok '... the LMTP server'"'"'s own reply' grep -q '^X-Portcullis-Quarantine: .*<bad@lm.ourco.test> 550 5.1.1 <bad@lm.ourco.test> no such mailbox' "$h"
ok '... and the message whole' grep -q '^Subject: lmtp-tcp' "$h"

# --- SMTPUTF8 -------------------------------------------------------------
ok 'SMTPUTF8 mail: both messages reach the next hop' wait_for 10 2 "$tmp/in/*.eml"
envs=$(cat "$tmp"/in/*.env)
is '... a non-ASCII address goes with SMTPUTF8 on MAIL' \
	"$(printf '%s\n' "$envs" | grep -A2 "^rcpt=j$(printf '\303\266')rg@u8" | grep -c '^opts=.*SMTPUTF8')" 1
# an ASCII message received with SMTPUTF8 keeps it: the supervisor hands
# the queue's SMTPUTF8 flag to relay-out (SMTPUTF8=1)
ok '... an ASCII one received with SMTPUTF8 keeps it' sh -c \
	"printf '%s\\n' \"\$1\" | grep -A2 '^rcpt=ascii@u8' | grep -q '^opts=.*SMTPUTF8'" sh "$envs"

# --- policy reject of inbound mail: quarantined, never bounced -----------
# (a bounce to an outside envelope sender would be backscatter; the
# outbound reject and its DSN are in t/failures.t)
ok 'an inbound header section past control/headerfields is quarantined (header-strip refuses it)' \
	sh -c 'for i in $(seq 100); do grep -lq "^X-Portcullis-Quarantine: reject" "$1"/* 2>/dev/null && exit 0; sleep 0.1; done; exit 1' sh "$Q/quarantine/new"
b=$(grep -l '^X-Portcullis-Quarantine: reject' "$Q"/quarantine/new/* | head -1)
ok '... the quarantine header names the verdict, the stage and its reason' \
	grep -q '^X-Portcullis-Quarantine: reject stage 1 (header-strip) exit 100: header section exceeds the field count limit' "$b"
ok '... the message whole' grep -q '^Subject: too-many-fields' "$b"
is '... not delivered' "$(ls "$md/bob/new" 2>/dev/null | wc -l)" 0
like_log '... the log names the stage and the quarantine' 'verdict=reject reason=stage 1 \(header-strip\) exit 100 quarantine='

# --- a chain stage past timeoutstage --------------------------------------
ok 'a stage that sleeps past timeoutstage: the message still arrives' \
	wait_for 20 1 "$md/slowonce/new/*"
ok '... the stage did hang the first time' test -e "$tmp/flags/slow"
like_log '... the stage was killed and counted as 111' 'stage 2 \(sh\) timed out: counted as 111'
like_log '... so the verdict was tempfail, retried' 'verdict=tempfail reason=stage 2 \(sh\) exit 111'
is '... delivered once' "$(ls "$md/slowonce/new" | wc -l)" 1
ok '... whole, through every stage' grep -q '^Authentication-Results: gw.ourco.test' "$md"/slowonce/new/*
is '... no bounce to the sender' "$(ls "$md/erin/new" 2>/dev/null | wc -l)" 0
is 'no bounce to the sender of the rejected inbound message' "$(ls "$md/dave/new" 2>/dev/null | wc -l)" 0

# --- queuelifetime: 451 until it expires, then held, never bounced ------
# (inbound: the sender is outside; outbound expiry bounces are in
# t/failures.t)
ok 'a recipient that gets 451 every time is held after queuelifetime' \
	wait_held temp1@slow.ourco.test 30
h=$(held temp1@slow.ourco.test)
like_log '... after deferrals' 'delivery=deferred left=1 bounced=0'
ok '... with the last reply of the server on top' \
	grep -q '^X-Portcullis-Quarantine: .*<temp1@slow.ourco.test> 451 4.2.0 try again later' "$h"
ok '... the message whole' grep -q '^Subject: lifetime-1' "$h"
is '... no bounce to the outside sender' "$(ls "$md/carol/new" 2>/dev/null | wc -l)" 0
is '... the server never took the message' "$(grep -l 'temp1@' "$tmp"/in/*.env 2>/dev/null | wc -l)" 0
ok 'the queue is empty afterwards' drained 100
like_log 'the message is done, its recipient held' 'held=1 quarantine=.* reason=no bounce to an outside sender'

# --- maxconnections -------------------------------------------------------
stop_gw
control maxconnections 1
start_gw
r=$($py - "$gport" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(('127.0.0.1', port))
first = a.recv(200).decode().strip()
b = socket.create_connection(('127.0.0.1', port), source_address=('127.0.0.2', 0))
second = b.recv(200).decode().strip()
a.sendall(b'QUIT\r\n')
a.recv(200)
a.close()
third = ''
for i in range(50):     # the supervisor notices the session's end
    time.sleep(0.1)
    c = socket.create_connection(('127.0.0.1', port), source_address=('127.0.0.3', 0))
    third = c.recv(200).decode().strip()
    c.close()
    if third.startswith('220'):
        break
print(first[:3]); print(second); print(third[:3])
PY
)
is 'maxconnections 1: the first session is greeted' "$(printf '%s\n' "$r" | sed -n 1p)" 220
like_x() { case $2 in $3) _result 1 "$1" ;; *) _result 0 "$1" "got: $2" ;; esac; }
like_x '... a second, from another address, gets 421 4.7.0' "$(printf '%s\n' "$r" | sed -n 2p)" '421 4.7.0*'
is '... once the first ended, the next one is greeted' "$(printf '%s\n' "$r" | sed -n 3p)" 220
like_log '... the refusal is logged' 'ip=127\.0\.0\.2 refused: too many connections'
done_testing
