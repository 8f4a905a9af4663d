#!/bin/sh
# portcullis-queue: the administrator's commands on a real queue.  The
# supervisor runs here (as root, dropping to nobody) with a route that
# defers (SMTP to a port nobody listens on, retrymin an hour), so that
# messages sit in outgoing with a schedule, and a chain stage that exits
# 99 for one recipient (annotating, as a checker's -a does), so that a message sits in quarantine with its
# X-Portcullis-Quarantine header.  Then list, show, flush, hold, release,
# delete and stats, each checked against the queue's files; a released
# quarantined message is delivered to a maildir route without the header.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
Q=$tmp/q
md=$tmp/md
mkdir "$md"
chown 65534 "$md"

mkdir "$tmp/flags"
chown 65534 "$tmp/flags"
cat >"$tmp/q.sh" <<EOF
#!/bin/sh
echo "\$RECIPIENT" >>"$tmp/flags/runs"
case \$RECIPIENT in
*quar@*) echo 'X-Test-Stage: quarantine 5.7.1 held for a test'; cat; exit 99 ;;
esac
exec cat
EOF
chmod 755 "$tmp/q.sh"

gport=$(free_port)
closed=$(free_port)
control me gw.ourco.test
control doortimeout 0
control localdomains ourco.test defer.test
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u" "defer.test smtp:[127.0.0.1]:$closed"
control chain.in "sh $tmp/q.sh"
control retrymin 3600
control retrymax 3600

send() {	# send FROM "RCPT ..." SUBJECT
	$py - "$gport" "$@" <<'PY'
import smtplib, sys
port, frm, rcpts, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4]
s = smtplib.SMTP('127.0.0.1', port)
s.sendmail(frm, rcpts, 'From: %s\r\nTo: x@y.test\r\nSubject: %s\r\n\r\nbody\r\n' % (frm, subj))
s.quit()
PY
}
wait_for() {	# wait_for SECONDS N GLOB: until N files match
	for i in $(seq $(($1 * 10))); do
		[ "$(ls $3 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
pq() { run portcullis-queue -Q "$Q" "$@"; }
# the id of the message whose Subject is $1
idof() { grep -l "^Subject: $1" "$Q"/*/new/* 2>/dev/null | head -1 | xargs -r basename; }

# --- usage ---------------------------------------------------------------
run portcullis-queue
is_exit 'no command: usage, 111' 111
err_like '... says how' '^usage: portcullis-queue'
run portcullis-queue -Q "$tmp/none" list
is_exit 'a queue that is not there: 111' 111
err_like '... names it' "fatal: unable to become the owner of the queue $tmp/none"

ok 'the supervisor starts' start_gw
send alice@outside.test 'bob@defer.test carol@defer.test' deferred-one
send alice@outside.test dave@defer.test deferred-two
send alice@outside.test erin@defer.test to-delete
send mallory@outside.test quar@ourco.test held-one
ok 'three deferred messages get a schedule' wait_for 15 3 "$Q/outgoing/sched/*"
ok 'one is quarantined' wait_for 15 1 "$Q/quarantine/new/*"
d1=$(idof deferred-one); d2=$(idof deferred-two); dx=$(idof to-delete); qq=$(idof held-one)

# --- list ----------------------------------------------------------------
pq list
is_exit 'list: 0' 0
is '... one line per message' "$(printf '%s\n' "$out" | wc -l)" 4
like '... a deferred one: stage, sender, recipients, tries, next retry' \
	"^$d1 outgoing size=[0-9]+ age=[0-9]+s from=<alice@outside.test> rcpts=2 to=bob@defer.test,carol@defer.test tries=1 next=\\+(59m|60m)\$"
like '... the quarantined one with its reason' \
	"^$qq quarantine size=[0-9]+ age=[0-9]+s from=<mallory@outside.test> rcpts=1 to=quar@ourco.test tries=0 reason=stage 1 \\(sh\\) exit 99\$"
pq list quarantine
is '... list STAGE: that stage only' "$out" "$(printf '%s\n' "$out" | grep "^$qq quarantine")"
pq -j list outgoing
is_exit 'list -j: 0' 0
ok '... every line is JSON with the envelope' $py -c '
import json, sys
ls = [json.loads(l) for l in sys.argv[1].splitlines()]
d = [m for m in ls if m["id"] == sys.argv[2]][0]
assert len(ls) == 3 and d["stage"] == "outgoing" and d["sender"] == "alice@outside.test"
assert d["recipients"] == ["bob@defer.test", "carol@defer.test"] and d["tries"] == 1
assert d["next"] > d["arrival"] + 3000 and d["direction"] == "in"
' "$out" "$d1"

# --- show ----------------------------------------------------------------
pq show "$qq"
is_exit 'show: 0' 0
like '... the envelope' '^sender: <mallory@outside.test>$'
like '... each recipient' '^recipient: <quar@ourco.test>$'
like '... the reason' '^quarantine: stage 1 \(sh\) exit 99$'
like '... the headers' '^Subject: held-one$'
unlike '... not the body' '^body$'
pq show -b "$qq"
like 'show -b: the body too' '^body$'
pq show 1764000000.M1P1Q1
is_exit 'show of an id not queued: 100' 100
err_like '... says so' 'qid=1764000000.M1P1Q1 not in the queue'
pq show ../../etc/passwd
is_exit 'show of a path: 100, not read' 100

# --- stats ---------------------------------------------------------------
pq stats
like 'stats: counts per stage' '^outgoing messages=3 bytes=[0-9]+ oldest='
like '... the quarantine' '^quarantine messages=1 '
like '... an empty stage' '^hold messages=0 bytes=0$'

# --- delete --------------------------------------------------------------
# a message whose lock is held (a delivery running) is not pulled away
flock "$Q/outgoing/new/$dx" sleep 3 &
lk=$!
sleep 0.3
pq delete "$dx"
is_exit 'delete of a message being delivered: 111' 111
err_like '... says so' "qid=$dx unable to delete it: a delivery or scan has it now"
ok '... and leaves it' test -f "$Q/outgoing/new/$dx"
wait $lk
pq delete "$dx"
is_exit 'delete: 0' 0
err_like '... one line, who did it' "^portcullis-queue: qid=$dx action=delete stage=outgoing user=root\$"
ok '... the message is gone' test ! -e "$Q/outgoing/new/$dx"
ok '... its envelope' test ! -e "$Q/outgoing/env/$dx"
ok '... its schedule' test ! -e "$Q/outgoing/sched/$dx"
pq delete "$dx"
is_exit 'delete again: 100' 100

# --- flush ---------------------------------------------------------------
pq flush "$d2"
is_exit 'flush: 0' 0
err_like '... logged' "qid=$d2 action=flush stage=outgoing"
# the supervisor polls every second: the message is tried again at once,
# fails again, and gets its second try's schedule
tries() { cut -d' ' -f3 "$Q/outgoing/sched/$1" 2>/dev/null; }
for i in $(seq 100); do [ "$(tries "$d2")" = 2 ] && break; sleep 0.1; done
is '... the supervisor tried it again' "$(tries "$d2")" 2
is '... the other one still waits' "$(tries "$d1")" 1
pq list outgoing
like '... and it waits again' "^$d2 outgoing .* tries=2 next=\\+"

# --- hold ----------------------------------------------------------------
pq hold "$d1"
is_exit 'hold: 0' 0
err_like '... logged' "qid=$d1 action=hold from=outgoing to=hold user=root"
ok '... out of outgoing' test ! -e "$Q/outgoing/new/$d1"
ok '... into hold/new' test -f "$Q/hold/new/$d1"
ok '... with its envelope' grep -q '^Tcarol@defer.test$' "$Q/hold/env/$d1"
is '... owned by the queue'"'"'s user' "$(stat -c %u "$Q/hold/new/$d1" "$Q/hold/env/$d1" | sort -u)" 65534
pq list hold
like '... list shows it held' "^$d1 hold .* rcpts=2 "
pq flush "$d1"
is_exit '... flush of a held message: 100' 100
pq hold "$qq"
is_exit 'hold of a quarantined message: 100' 100
sleep 1.5
ok '... not delivered while held: still there' test -f "$Q/hold/new/$d1"

# --- release from hold ---------------------------------------------------
pq release "$d1"
is_exit 'release from hold: 0' 0
ok '... back in outgoing' test -f "$Q/outgoing/new/$d1"
ok '... hold is empty' test ! -e "$Q/hold/new/$d1" -a ! -e "$Q/hold/env/$d1"
for i in $(seq 50); do [ -e "$Q/outgoing/sched/$d1" ] && break; sleep 0.1; done
ok '... tried again (and deferred again) at once' test -e "$Q/outgoing/sched/$d1"

# --- release from quarantine ---------------------------------------------
run grep -c '^X-Portcullis-Quarantine:' "$Q/quarantine/new/$qq"
is 'the quarantined message carries the header' "$out" 1
# as the queue's own user this time
run setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/portcullis-queue" -Q "$Q" release "$qq"
is_exit 'release from quarantine, as the queue'"'"'s user: 0' 0
err_like '... logged' "qid=$qq action=release from=quarantine to=outgoing user=nobody"
ok '... delivered to the maildir route' wait_for 10 1 "$md/quar/new/*"
m=$(ls "$md"/quar/new/* | head -1)
run grep -c '^X-Portcullis-Quarantine:' "$m"
is '... without the quarantine header' "$out" 0
ok '... the message itself intact' grep -q '^Subject: held-one' "$m"
ok '... gone from quarantine' test ! -e "$Q/quarantine/new/$qq" -a ! -e "$Q/quarantine/env/$qq"
is '... delivered once' "$(ls "$md/quar/new" | wc -l)" 1
is '... not judged again: the chain ran on it once' "$(grep -c '^quar@' "$tmp/flags/runs")" 1
ok '... the supervisor logged the delivery under that id' grep -q "qid=$qq delivery=done" "$tmp/gw.log"
pq release "$d2"
is_exit 'release of an outgoing message: 100' 100

kill $gw
wait $gw 2>/dev/null
gw=
done_testing
