#!/bin/sh
# failures: every failure of a message ends in exactly one of moved on,
# scheduled for retry with backoff, or given up (bounced once, or
# quarantined), whatever its size.  A counting chain stage and a
# counting relay-out (a wrapper beside a copy of portcullis, found first
# as the supervisor finds its stages) log every run; each failure the
# test provokes (a schedule that cannot be written included) must run the
# chain or relay-out a bounded number of times in a window (retrymin 3:
# at most 3 in 10 s).  Real parts: the
# supervisor as root dropping to nobody, smtpd-accept, relay-out, an
# aiosmtpd peer answering each recipient by its local part, a peer that
# stalls after the data.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
gw=
trap 'kill $gw 2>/dev/null; for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
Q=$tmp/q
md=$tmp/md
mkdir "$md" "$tmp/in" "$tmp/count" "$tmp/bin"
chown 65534 "$md" "$tmp/count"
chmod 777 "$tmp/in"

# The peer: each recipient answered by its local part (rcpt-peer.py).
$py "$data/relay-out/rcpt-peer.py" "$tmp/in" "$(free_port)" >"$tmp/pport" 2>"$tmp/peer.log" &
pids="$pids $!"
$py "$data/relay-out/peer.py" stall-dot "$tmp/in" 127.0.0.1 >"$tmp/sport" 2>"$tmp/stall.log" &
pids="$pids $!"
for i in $(seq 50); do
	[ -s "$tmp/pport" ] && [ -s "$tmp/sport" ] && break
	sleep 0.1
done

# The counting stage: one line per run; by the recipient, tempfail
# forever, reject (with a reason in the log line the supervisor quotes),
# quarantine, else pass.
cat >"$tmp/count.sh" <<EOF
#!/bin/sh
echo "\$(date +%s) \$QUEUEID \$(printf '%s' "\$RECIPIENT" | tr '\n' ' ')" >>"$tmp/count/chain"
case \$RECIPIENT in
*stagetemp@*) cat >/dev/null; exit 111 ;;
*reject@*) cat >/dev/null; echo "count: qid=\$QUEUEID verdict=reject reason=policy says no" >&2; exit 100 ;;
*quar@*) cat; exit 99 ;;
esac
exec cat
EOF
# relay-out, counted: the supervisor runs the relay-out beside its own
# executable.  A run that starts while an earlier one for the same
# message is still alive is noted as an overlap.
cat >"$tmp/bin/relay-out" <<EOF
#!/bin/sh
for p in \$(awk -v q="\$QUEUEID" '\$3 == q { print \$2 }' "$tmp/count/relay" 2>/dev/null); do
	kill -0 "\$p" 2>/dev/null && echo "\$QUEUEID \$p" >>"$tmp/count/overlap"
done
echo "\$(date +%s) \$\$ \$QUEUEID \$(printf '%s' "\$RECIPIENT" | tr '\n' ' ')" >>"$tmp/count/relay"
exec "$BIN/relay-out" "\$@"
EOF
chmod 755 "$tmp/count.sh" "$tmp/bin/relay-out"
cp "$BIN/portcullis" "$tmp/bin/portcullis"
: >"$tmp/count/chain"
: >"$tmp/count/relay"
chown 65534 "$tmp/count/chain" "$tmp/count/relay"

gport=$(free_port)
control me gw.ourco.test
# the failures of the queue, after it has taken a message: no verdicts at
# the door here (t/door.t), every message is judged after the queue
control doortimeout 0
control localdomains ourco.test
control relayclients 127.0.0.1
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u" "outside.test maildir:$md/%u" \
	"sink.test smtp:[127.0.0.3]:$(cat "$tmp/pport")" \
	"slow.test smtp:[127.0.0.1]:$(cat "$tmp/sport")"
control chain.in "sh $tmp/count.sh"
control chain.out "sh $tmp/count.sh"
control databytes 62914560
control maxrcpt 100
control retrymin 3
control retrymax 6
control queuelifetime 8
control timeoutdelivery 8
# relay-out forked per delivery, so that the wrapper above counts every
# run (t/relay-resident.t walks the same failures with resident ones)
control deliveryworkers 0

start_gw() {	# as root (it drops to nobody), or GW_AS from the start
	if [ -n "${GW_AS:-}" ] && [ "$(id -u)" = 0 ]; then
		mkdir -p "$Q" && chown "$GW_AS:$GW_AS" "$Q"
		setpriv --reuid="$GW_AS" --regid="$GW_AS" --clear-groups \
			"$tmp/bin/portcullis" -C "$PORTCULLIS_CONTROL" -Q "$Q" 2>>"$tmp/gw.log" &
	else
		"$tmp/bin/portcullis" -C "$PORTCULLIS_CONTROL" -Q "$Q" 2>>"$tmp/gw.log" &
	fi
	gw=$!
	for _i in $(seq 50); do
		$py -c "import socket; socket.create_connection(('127.0.0.1', $gport)).close()" \
			2>/dev/null || { sleep 0.1; continue; }
		# GW_AS: it is that user that answers
		[ -z "${GW_AS:-}" ] || [ "$(id -u)" != 0 ] ||
			[ "$(ps -o uid= -p $gw | tr -d ' ')" = "$GW_AS" ] || return 1
		return 0
	done
	return 1
}
# wait_for SECONDS N GLOB: until N files match
wait_for() {
	for i in $(seq $(($1 * 10))); do
		[ "$(ls $3 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# send SOURCE FROM "RCPT ..." SUBJECT BYTES: a message of about BYTES,
# from 127.0.0.1 (a relay client: outbound) or 127.0.0.2 (inbound)
sends=
send() {
	_send "$@" &
	sends="$sends $!"
}
_send() {
	$py - "$gport" "$@" <<'PY'
import smtplib, sys
port, src, frm, rcpts, subj, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5], int(sys.argv[6])
line = b'x' * 76 + b'\r\n'
body = line * (size // len(line) + 1)
s = smtplib.SMTP('127.0.0.1', port, source_address=(src, 0), timeout=120)
s.sendmail(frm, rcpts, b'From: ' + frm.encode() + b'\r\nTo: x@y.test\r\nSubject: ' + subj.encode() + b'\r\n\r\n' + body)
s.quit()
PY
}
# The queue id a run log knows a message by: qid_of FILE RCPT
qid_of() { awk -v r="$2" 'index($0, r) { print $3; exit }' "$1"; }
# runs FILE FIELD QID: how many runs of QID within 10 s of its first
runs() {
	awk -v f="$2" -v q="$3" '$f == q { if (!t) t = $1; if ($1 < t + 10) n++ } END { print n + 0 }' "$1"
}
like_log() { if grep -Eq -- "$2" "$tmp/gw.log"; then _result 1 "$1"; else _result 0 "$1" "$(tail -40 "$tmp/gw.log")"; fi; }
bounded() {	# bounded NAME FILE FIELD QID MAX
	_r=$(runs "$2" "$3" "$4")
	if [ -n "$4" ] && [ "$_r" -ge 1 ] && [ "$_r" -le "$5" ]; then _result 1 "$1 ($_r)"
	else _result 0 "$1" "qid '$4': $_r runs in 10 s, want 1..$5"; fi
}
dsn_of() { grep -l "^Subject: $2" "$md/$1/new/"* 2>/dev/null | head -1; }

ok 'the supervisor starts' start_gw

# An envelope that cannot be read: a message in incoming/new alone.
printf 'From: x@outside.test\nSubject: no-envelope\n\nbody\n' >"$tmp/noenv"
chown 65534 "$tmp/noenv"
mv "$tmp/noenv" "$Q/incoming/new/noenv1"

MB=1048576
big=$((MB * 3 / 2))
huge=$((MB * 51))
send 127.0.0.1 alice@ourco.test reject@sink.test out-reject-big $big
send 127.0.0.1 alice@ourco.test reject@sink.test out-reject-huge $huge
send 127.0.0.2 carol@outside.test reject@ourco.test in-reject-big $big
send 127.0.0.2 carol@outside.test reject@ourco.test in-reject-huge $huge
send 127.0.0.2 carol@outside.test quar@ourco.test quarantine-big $big
send 127.0.0.2 carol@outside.test quar@ourco.test quarantine-huge $huge
send 127.0.0.1 bob@ourco.test 'good1@sink.test bad1@sink.test' mixed-big $big
send 127.0.0.1 dora@ourco.test "good2@sink.test $(for i in $(seq 40); do printf 'st5.%d.%dn%02d@sink.test ' $((i / 10 + 1)) $((i % 10)) $i; done)" forty 100
send 127.0.0.1 erin@ourco.test temp1@sink.test temp-forever 100
send 127.0.0.1 fred@ourco.test stagetemp@sink.test stagetemp-out 100
send 127.0.0.2 carol@outside.test stagetemp@ourco.test stagetemp-in 100
send 127.0.0.1 gina@ourco.test stall@slow.test timeout 100
for p in $sends; do wait $p; done

# --- reject of outbound mail over 1 MiB and over 50 MiB: one bounce each ---
ok 'outbound rejects over 1 MiB and 50 MiB: one bounce each to our sender' \
	wait_for 30 2 "$md/alice/new/*"
for s in big huge; do
	b=$(grep -l "^Subject: out-reject-$s" "$md"/alice/new/* | head -1)
	ok "... $s: a DSN with Status 5.7.1" grep -q '^Status: 5.7.1' "$b"
	ok "... $s: with the stage's reason" grep -q '^Diagnostic-Code: smtp; 550 5.7.1 policy says no' "$b"
	ok "... $s: the original headers as text/rfc822-headers" grep -q '^Content-Type: text/rfc822-headers' "$b"
	ok "... $s: never the body" sh -c "! grep -q xxxxxxxxxx '$b'"
done
is '... the chain ran once for each' "$(grep -c 'reject@sink.test' "$tmp/count/chain")" 2
is '... nothing reached the peer' "$(grep -l 'reject@' "$tmp"/in/*.done 2>/dev/null | wc -l)" 0

# --- reject of inbound mail: quarantined, never bounced ---------------------
ok 'inbound rejects over 1 MiB and 50 MiB: quarantined' \
	wait_for 30 4 "$Q/quarantine/new/*"
for s in big huge; do
	b=$(grep -l "^Subject: in-reject-$s" "$Q"/quarantine/new/* | head -1)
	ok "... $s: with the verdict and the reason on top" \
		grep -q '^X-Portcullis-Quarantine: reject stage 1 (sh) exit 100: policy says no' "$b"
	b2=$(grep -l "^Subject: quarantine-$s" "$Q"/quarantine/new/* | head -1)
	ok "... the quarantine verdict, $s: quarantined" grep -q '^X-Portcullis-Quarantine: stage 1 (sh) exit 99' "$b2"
done
is '... the huge one whole (streamed, no size limit)' \
	"$(grep -c '^xxxxxxxxxx' "$(grep -l '^Subject: quarantine-huge' "$Q"/quarantine/new/*)")" $((huge / 78 + 1))
is '... the chain ran once for each' "$(grep -c 'reject@ourco.test\|quar@ourco.test' "$tmp/count/chain")" 4

# --- a 5xx recipient beside a 2xx one (over 1 MiB) -----------------------
ok 'one recipient refused 5xx, one accepted: the refused one bounced' wait_for 30 1 "$md/bob/new/*"
sleep 1
is '... the accepted one got the message once' "$(grep -l '^rcpt=good1@' "$tmp"/in/*.done | wc -l)" 1
is '... one bounce' "$(ls "$md/bob/new" | wc -l)" 1
b=$(ls "$md"/bob/new/* | head -1)
is '... for the refused recipient only' "$(grep '^Final-Recipient' "$b")" 'Final-Recipient: rfc822; bad1@sink.test'
q=$(qid_of "$tmp/count/relay" good1@sink.test)
is '... relay-out ran once' "$(runs "$tmp/count/relay" 3 "$q")" 1

# --- 40 failed recipients, each with its own status ----------------------
ok '40 refused recipients: one bounce' wait_for 30 1 "$md/dora/new/*"
b=$(ls "$md"/dora/new/* | head -1)
is '... 40 Final-Recipient fields' "$(grep -c '^Final-Recipient' "$b")" 40
bad=$(awk '/^Final-Recipient: rfc822; st/ { split($3, a, "n"); want = substr(a[1], 3); getline; getline
	if ($0 != "Status: " want) print }' "$b")
is '... each with the status its own reply gave' "$bad" ''
is '... the accepted one got it once' "$(grep -l '^rcpt=good2@' "$tmp"/in/*.done | wc -l)" 1

# --- the bounded windows: 4xx forever, stage tempfail, timeout, envelope ---
sleep 11
q=$(qid_of "$tmp/count/relay" temp1@sink.test)
bounded 'a recipient answered 451 every time: relay-out runs bounded' "$tmp/count/relay" 3 "$q" 3
q=$(awk '/stagetemp@sink.test/ { print $2; exit }' "$tmp/count/chain")
bounded 'a stage that tempfails every time (outbound): chain runs bounded' "$tmp/count/chain" 2 "$q" 3
q=$(awk '/stagetemp@ourco.test/ { print $2; exit }' "$tmp/count/chain")
bounded '... (inbound): chain runs bounded' "$tmp/count/chain" 2 "$q" 3
q=$(qid_of "$tmp/count/relay" stall@slow.test)
bounded 'a delivery past timeoutdelivery: relay-out runs bounded' "$tmp/count/relay" 3 "$q" 2
like_log '... relay-out was killed' "qid=$q relay-out still running after timeoutdelivery \\(8s\\): killed"
# relay-out gets TERM, then KILL 5 s later: the deferral follows that
# (or, on a machine so loaded that its queuelifetime of 8 s ran out by
# then, given up: bounced once)
for i in $(seq 200); do grep -Eq "qid=$q delivery=(deferred|done)" "$tmp/gw.log" && break; sleep 0.1; done
like_log '... and the message deferred (or given up, past its lifetime)' "qid=$q delivery=(deferred left=1 bounced=0 timeout=1|done bounced=1)"
ok '... never two deliveries of it at once' test ! -s "$tmp/count/overlap"
n=$(grep -c 'qid=noenv1 unable to read its envelope' "$tmp/gw.log")
if [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then _result 1 "an unreadable envelope: tries bounded ($n)"
else _result 0 'an unreadable envelope: tries bounded' "$n tries"; fi

# --- given up after queuelifetime: bounced once, or quarantined ----------
ok 'the 451 recipient is bounced once queuelifetime has passed' wait_for 20 1 "$md/erin/new/*"
ok '... Status 4.4.7' grep -q '^Status: 4.4.7' "$md"/erin/new/*
ok 'the outbound message a stage tempfails forever is bounced' wait_for 20 1 "$md/fred/new/*"
ok '... Status 4.4.7' grep -q '^Status: 4.4.7' "$md"/fred/new/*
ok 'the inbound one is quarantined' sh -c "grep -l '^X-Portcullis-Quarantine: tempfail stage 1 (sh) exit 111; could not be scanned within the queue lifetime' '$Q'/quarantine/new/* | xargs grep -l '^Subject: stagetemp-in'"
ok 'the message without an envelope is quarantined' wait_for 20 1 "$Q/quarantine/new/*"
ok '... with the reason' sh -c "grep -l '^X-Portcullis-Quarantine: tempfail unable to read its envelope' '$Q'/quarantine/new/* | xargs grep -l '^Subject: no-envelope'"
is 'no bounce ever goes to the outside sender' "$(ls "$md/carol/new" 2>/dev/null | wc -l)" 0

# --- a bounce that cannot be written ---------------------------------------
# outgoing/new refuses new files (nobody, the supervisor's user, may not
# write it); a message for one good and one refused recipient is put
# straight into outgoing as the scan would.  The accepted recipient must
# not get it again while the bounce waits.
chmod 555 "$Q/outgoing/new"
printf 'Qnobounce1\nDout\nFhana@ourco.test\nTgood3@sink.test\nTbad3@sink.test\n' >"$Q/outgoing/env/nobounce1"
$py -c "import sys; sys.stdout.write('From: hana@ourco.test\nSubject: nobounce\n\n' + ('y' * 76 + '\n') * 20000)" >"$Q/outgoing/nb.tmp"
chown 65534 "$Q/outgoing/env/nobounce1" "$Q/outgoing/nb.tmp"
mv "$Q/outgoing/nb.tmp" "$Q/outgoing/new/nobounce1"
sleep 10
bounded 'a bounce that cannot be written: relay-out runs bounded' "$tmp/count/relay" 3 nobounce1 3
like_log '... logged' 'qid=nobounce1 unable to write the bounce'
is '... the accepted recipient got it once' "$(grep -l '^rcpt=good3@' "$tmp"/in/*.done | wc -l)" 1
is '... relay-out was handed the accepted recipient once' "$(grep -c ' nobounce1 .*good3@' "$tmp/count/relay")" 1
chmod 755 "$Q/outgoing/new"
ok '... once it can be written, one bounce' wait_for 20 1 "$md/hana/new/*"
sleep 2
is '... only one' "$(ls "$md/hana/new" | wc -l)" 1
is '... the accepted recipient still got it once' "$(grep -l '^rcpt=good3@' "$tmp"/in/*.done | wc -l)" 1
ok 'the message that timed out every time is bounced after queuelifetime' wait_for 20 1 "$md/gina/new/*"
ok '... Status 4.4.7' grep -q '^Status: 4.4.7' "$md"/gina/new/*
ok 'the queue is empty' sh -c "for i in \$(seq 100); do [ -z \"\$(find '$Q/incoming/new' '$Q/outgoing/new' -type f)\" ] && exit 0; sleep 0.1; done; exit 1"
# --- not even a schedule can be written ------------------------------------
# incoming/sched refuses new files: the scan worker says so and exits
# 111, and the supervisor holds the message back in memory, with backoff.
chmod 555 "$Q/incoming/sched"
send 127.0.0.1 ivan@ourco.test stagetemp@sink.test no-schedule 100
for p in $sends; do wait $p; done
sleep 10
q=$(awk '/stagetemp@sink.test/ { q = $2 } END { print q }' "$tmp/count/chain")
bounded 'no schedule can be written: chain runs still bounded' "$tmp/count/chain" 2 "$q" 3
like_log '... said loudly' "qid=$q unable to write its retry schedule; held back in memory"
like_log '... the supervisor holds it back' "qid=$q scan worker failed \\(status [0-9]+\\): held back [0-9]+s"
chmod 755 "$Q/incoming/sched"
ok '... once it can be, given up after queuelifetime: bounced' wait_for 30 1 "$md/ivan/new/*"

is 'every sender got one bounce per message, never more' \
	"$(for u in alice bob dora erin fred gina hana ivan; do printf '%s=%s ' $u $(ls "$md/$u/new" | wc -l); done)" \
	'alice=2 bob=1 dora=1 erin=1 fred=1 gina=1 hana=1 ivan=1 '
is 'no other worker ever failed' "$(grep 'worker failed' "$tmp/gw.log" | grep -vc "qid=$q ")" 0
kill $gw
wait $gw 2>/dev/null
done_testing
