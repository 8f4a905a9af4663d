#!/bin/sh
# relay-resident: delivery through resident relay-outs (the supervisor's
# delivery pool, control/deliveryworkers), walked through the failures
# t/failures.t counts with relay-out forked per delivery, and through the
# resident delivery workers that hand them their messages: a 5xx beside a
# 2xx (one bounce, the accepted recipient once), a recipient answered 451
# every time (tries bounded), a peer that never answers the end of data
# (the resident killed at timeoutdelivery, the message deferred, a fresh
# resident in its place), a resident killed -9 between messages (the
# next message still delivered).  Real parts: the supervisor as root
# dropping to nobody, smtpd-accept, relay-out, an aiosmtpd peer answering
# each recipient by its local part, a peer that stalls after the data.
# t/relay-resident-user.t runs it all with the supervisor started as an
# ordinary user.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
gw=
trap 'kill $gw 2>/dev/null; for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
Q=$tmp/q
md=$tmp/md
mkdir "$md" "$tmp/in"
chown 65534 "$md"
chmod 777 "$tmp/in"

$py "$data/relay-out/rcpt-peer.py" "$tmp/in" "$(free_port)" >"$tmp/pport" 2>"$tmp/peer.log" &
pids="$pids $!"
$py "$data/relay-out/peer.py" stall-dot "$tmp/in" 127.0.0.1 >"$tmp/sport" 2>"$tmp/stall.log" &
pids="$pids $!"
for i in $(seq 50); do
	[ -s "$tmp/pport" ] && [ -s "$tmp/sport" ] && break
	sleep 0.1
done

gport=$(free_port)
control me gw.ourco.test
control localdomains ourco.test
control relayclients 127.0.0.1
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u" \
	"sink.test smtp:[127.0.0.3]:$(cat "$tmp/pport")" \
	"slow.test smtp:[127.0.0.1]:$(cat "$tmp/sport")"
control chain.in cat
control chain.out cat
control retrymin 3
control retrymax 6
control queuelifetime 30
control timeoutdelivery 6
control deliveryworkers 2

wait_for() {	# wait_for SECONDS N GLOB: until N files match
	for i in $(seq $(($1 * 10))); do
		[ "$(ls $3 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
send() {	# send FROM "RCPT ..." SUBJECT [BYTES]: from 127.0.0.1, a relay client
	$py - "$gport" "$@" <<'PY'
import smtplib, sys
port, frm, rcpts, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4]
size = int(sys.argv[5]) if len(sys.argv) > 5 else 0
line = b'x' * 76 + b'\r\n'
body = line * (size // len(line) + 1) if size else b'body\r\n'
s = smtplib.SMTP('127.0.0.1', port, timeout=60)
s.sendmail(frm, rcpts, ('From: %s\r\nTo: x@y.test\r\nSubject: %s\r\n\r\n' % (frm, subj)).encode() + body)
s.quit()
PY
}
like_log() { if grep -Eq -- "$2" "$tmp/gw.log"; then _result 1 "$1"; else _result 0 "$1" "$(tail -30 "$tmp/gw.log")"; fi; }
residents() { ps -o pid=,comm= --ppid "$gw" 2>/dev/null | awk '$2 == "relay-out" { print $1 }' | sort; }
qid_of() { sed -n "s/.*smtpd-accept\[[0-9]*\]: qid=\([^ ]*\) .*from=<$1>.*/\1/p" "$tmp/gw.log" | head -1; }

ok 'the supervisor starts' start_gw
for i in $(seq 50); do [ "$(residents | wc -l)" = 2 ] && break; sleep 0.1; done
r0=$(residents)
is 'control/deliveryworkers resident relay-outs run' "$(printf '%s\n' "$r0" | grep -c .)" 2

# --- a 5xx beside a 2xx ---------------------------------------------------
send bob@ourco.test 'good1@sink.test bad1@sink.test' mixed 1572864
ok 'one recipient refused 5xx, one accepted (1.5 MiB): the refused one bounced' wait_for 20 1 "$md/bob/new/*"
sleep 1
is '... the accepted one got the message once' "$(grep -l '^rcpt=good1@' "$tmp"/in/*.done | wc -l)" 1
is '... one bounce' "$(ls "$md/bob/new" | wc -l)" 1
is '... for the refused recipient only' "$(grep '^Final-Recipient' "$md"/bob/new/*)" 'Final-Recipient: rfc822; bad1@sink.test'
send carl@ourco.test 'good2@sink.test' second
ok 'a second message is delivered' wait_for 20 2 "$tmp/in/*.done"
served=$(sed -n 's/.*relay-out\[\([0-9]*\)\]: qid=.* result=.*/\1/p' "$tmp/gw.log" | sort -u)
ok '... by the resident relay-outs, not by a relay-out per message' \
	sh -c 'test -n "$1" && for p in $1; do printf "%s\n" "$2" | grep -qx "$p" || exit 1; done' sh "$served" "$r0"
is '... which are still the same processes' "$(residents)" "$r0"
dworkers() { ps -o pid=,comm= --ppid "$gw" 2>/dev/null | awk '$2 == "portcullis-dlv" { print $1 }' | sort; }
d0=$(dworkers)
ok 'delivery workers stay for the next message (resident, not forked per message)' test -n "$d0"
send dave@ourco.test good5@sink.test third
ok '... a third message is delivered' wait_for 20 3 "$tmp/in/*.done"
ok '... and the workers of the first are still there' \
	sh -c 'for p in $1; do kill -0 "$p" || exit 1; done' sh "$d0"
kill -9 $d0
send dave@ourco.test good6@sink.test fourth
ok 'delivery workers killed -9: the next message is still delivered' wait_for 20 4 "$tmp/in/*.done"

# --- 451 every time: tries bounded ---------------------------------------
send erin@ourco.test temp1@sink.test temp-forever
q=$(qid_of erin@ourco.test)
sleep 10
n=$(grep -c "qid=$q rcpt=temp1@sink.test result=s" "$tmp/gw.log")
if [ -n "$q" ] && [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then _result 1 "a recipient answered 451 every time: tries bounded ($n in 10 s)"
else _result 0 'a recipient answered 451 every time: tries bounded' "qid '$q': $n tries"; fi
like_log '... deferred, not bounced' "qid=$q delivery=deferred left=1 bounced=0"

# --- a peer that never answers the end of data ----------------------------
r1=$(residents)
send gina@ourco.test stall@slow.test timeout
q=$(qid_of gina@ourco.test)
ok 'a delivery past timeoutdelivery: the resident is killed' \
	sh -c 'for i in $(seq 300); do grep -q "qid=$1 relay-out still running after timeoutdelivery (6s): killed" "$2" && exit 0; sleep 0.1; done; exit 1' sh "$q" "$tmp/gw.log"
ok '... the message deferred' \
	sh -c 'for i in $(seq 100); do grep -q "qid=$1 delivery=deferred" "$2" && exit 0; sleep 0.1; done; exit 1' sh "$q" "$tmp/gw.log"
for i in $(seq 50); do [ "$(residents | wc -l)" = 2 ] && [ "$(residents)" != "$r1" ] && break; sleep 0.1; done
is '... and a fresh resident took the killed one'"'"'s place' "$(residents | wc -l)" 2
ok '... (another pid)' test "$(residents)" != "$r1"
is '... the message is still queued' "$(ls "$Q/outgoing/new" | grep -c "$q")" 1

# --- a resident killed -9 between messages -----------------------------------
kill -9 $(residents | head -1)
send hank@ourco.test good3@sink.test after-kill
ok 'a resident killed -9: the next message is still delivered' \
	sh -c 'for i in $(seq 200); do grep -l "^rcpt=good3@" "$1"/*.done >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1' sh "$tmp/in"
for i in $(seq 50); do [ "$(residents | wc -l)" = 2 ] && break; sleep 0.1; done
is '... and the pool is whole again' "$(residents | wc -l)" 2

# --- deliveryworkers 0: relay-out forked per delivery --------------------
control deliveryworkers 0
kill -HUP $gw
for i in $(seq 100); do [ -z "$(residents)" ] && break; sleep 0.1; done
is 'deliveryworkers 0 (after a reload): no resident' "$(residents)" ''
send ivan@ourco.test good4@sink.test forked
ok '... a message is delivered by a relay-out of its own' \
	sh -c 'for i in $(seq 200); do grep -l "^rcpt=good4@" "$1"/*.done >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1' sh "$tmp/in"
kill $gw; wait $gw 2>/dev/null
gw=
done_testing
