#!/bin/sh
# resident stages (lib/queue/serve.h): our stages started once with --serve and
# handed message after message.  First the protocol itself, driven by
# t/serve-job.py as a scan worker would: the envelope of one job never
# reaches the next, control/stagemaxuse, a changed control file makes the
# resident leave, a malformed packet is dropped, SIGTERM lets the queued
# jobs finish first.  Then the supervisor:
# residents started and used (their pids in the log), a changed control
# file in effect without a restart, residents killed or hung are replaced
# and the message is scanned again, a stage that cannot start runs by
# fork and exec and its mail waits, one killed on a message has the chain
# run again at once, stageworkers 0 turns them off.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
job() { run $py "$top/t/serve-job.py" "$@"; }

# --- the protocol ---------------------------------------------------------
control me gw.ourco.test
# what the queue does after it has taken a message: the door's verdicts
# (t/door.t) are off, so that every message here is judged after the queue
control doortimeout 0
control localdomains ourco.test
control internalhosts exch01.corp.ourco.test
control relayclients 10.0.0.0/8
cat >"$tmp/internal.eml" <<'EOF'
Received: from exch01.corp.ourco.test (exch01.corp.ourco.test [10.1.2.3])
	by gw.ourco.test with ESMTP id 1; Mon, 23 Nov 2026 10:00:00 +0000
From: alice@ourco.test
To: bob@partner.test
Subject: quarterly figures
Message-ID: <1@ourco.test>
Date: Mon, 23 Nov 2026 10:00:00 +0000

see attached
EOF
cat >"$tmp/free.eml" <<'EOF'
From: someone@outside.test
To: bob@ourco.test
Subject: free offer
Message-ID: <2@outside.test>
Date: Mon, 23 Nov 2026 10:00:00 +0000

hello
EOF

job -- header-strip -- "$tmp/internal.eml|DIRECTION=out|QUEUEID=q1" \
	"$tmp/internal.eml|DIRECTION=in"
is_exit 'header-strip --serve: the driver and the resident end normally' 0
like '... two jobs, one process, both exit 0' '^== 2 pid=[0-9]+ exit=0$'
is '... the same pid for both' "$(printf '%s\n' "$out" | sed -n 's/^== [0-9] pid=\([0-9]*\).*/\1/p' | sort -u | wc -l)" 1
like '... job 1 (DIRECTION=out) removes the internal hop' 'qid=q1 verdict=pass direction=out removed=1'
like '... job 2 (DIRECTION=in) keeps it, and QUEUEID of job 1 is gone' 'qid=- verdict=pass direction=in removed=0'
like '... the log names the resident' '^header-strip\[[0-9]+\]: qid=q1'
like '... the resident leaves when its socket closes' '^resident exit 0$'

job -- spoof-check -- "$tmp/internal.eml|TCPREMOTEIP=192.0.2.9|SENDER=alice@ourco.test|DIRECTION=in" \
	"$tmp/internal.eml|DIRECTION=in"
like 'spoof-check --serve: our domain from outside is caught' '^== 1 pid=[0-9]+ exit=(99|100)$'
like '... the next job is judged on its own envelope, not the last one'"'"'s' \
	'spoof-check\[[0-9]+\]: alert: qid=- ip=10\.1\.2\.3 spoofed sender: From header'

control spamthresholds 'in flag 1.0'
job -- spam-score -- "$tmp/free.eml|DIRECTION=in" "$tmp/free.eml|DIRECTION=in"
like 'spam-score --serve: the verdict of each job on its stdout' 'spam-score flag [0-9.]+ score=[0-9.]+ required=1.0 tests=.*SUBJ_FREE'
is '... twice, from one process' "$(printf '%s\n' "$out" | grep -c '^spam-score flag')" 2

control stagemaxuse 2
job -- spam-score -a -- "$tmp/free.eml" "$tmp/free.eml" "$tmp/free.eml"
like 'control/stagemaxuse 2: two jobs done' '^== 2 pid=[0-9]+ exit=0$'
like '... the third finds the resident gone' '^== 3 (lost|pid=- exit=-)'
like '... which left with 0' '^resident exit 0$'
rm -f "$PORTCULLIS_CONTROL/stagemaxuse"

job -- spam-score -a -- "$tmp/free.eml" "!printf 'in flag 9\n' >$PORTCULLIS_CONTROL/spamthresholds" \
	"+1.5" "$tmp/free.eml"
like 'a control file the resident read changes: job 1 done before' '^== 1 pid=[0-9]+ exit=0$'
like '... the resident has left by the next job' '^== 4 (lost|pid=- exit=-)'
like '... with 0, for a fresh one to read the files' '^resident exit 0$'

job -- spam-score -- "?" "$tmp/free.eml"
like 'a packet that is not a job is dropped, the next job is served' '^== 2 pid=[0-9]+ exit=0$'
err_like '... with a warning' 'dropped a job packet that is not a whole job'

# SIGTERM (the supervisor stops, or died and the kernel says so) while
# jobs wait in the socket: the resident does them before it leaves, or
# their scan workers would wait for a resident that is gone.
# (A first job answered says the resident is in its loop, its handler set.)
job --quiet -- spam-score -- "$tmp/free.eml" '!kill -STOP $RESIDENT' \
	"&$tmp/free.eml" "&$tmp/free.eml" "&$tmp/free.eml" \
	'!kill -TERM $RESIDENT' '!kill -CONT $RESIDENT'
is 'SIGTERM with three jobs queued: all three are done' \
	"$(printf '%s\n' "$out" | grep -Ec '^== [345] pid=[0-9]+ exit=0$')" 3
like '... and then the resident leaves, with 0' '^resident exit 0$'

run spam-score --serve "$tmp/free.eml"
is_exit '--serve with files is refused' 111
err_like '... saying why' 'job socket, not files'

# --- the supervisor ---------------------------------------------------------
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
Q=$tmp/q
md=$tmp/md
mkdir "$md"
chown 65534 "$md"
gport=$(free_port)
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
rm -f "$PORTCULLIS_CONTROL/spamthresholds"
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u"
control chain.in 'header-strip --direction in' 'spoof-check -a' 'spam-score -a'
control stageworkers 2
control retrymin 1
control retrymax 1
control timeoutstage 3

send() {	# send RCPT SUBJECT
	$py - "$gport" "$@" <<'PY'
import smtplib, sys
port, rcpt, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP('127.0.0.1', port)
s.sendmail('carol@outside.test', [rcpt], 'From: carol@outside.test\r\nTo: %s\r\n'
           'Subject: %s\r\nMessage-ID: <%s@outside.test>\r\n\r\nbody\r\n' % (rcpt, subj, subj))
s.quit()
PY
}
wait_for() {	# wait_for SECONDS N GLOB
	for i in $(seq $(($1 * 10))); do
		[ "$(ls $3 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
like_log() { if grep -Eq -- "$2" "$tmp/gw.log"; then _result 1 "$1"; else _result 0 "$1" "$(tail -20 "$tmp/gw.log")"; fi; }
residents() { pgrep -P "$gw" -f -- "^$1 --serve\$" | sort; }
spam_pids() { sed -n 's/^[0-9T:Z-]* spam-score\[\([0-9]*\)\].*/\1/p' "$tmp/gw.log" | sort -u; }

ok 'the supervisor starts' start_gw
sleep 0.5
is 'two residents of each stage line' "$(residents 'spam-score -a' | wc -l) $(residents 'header-strip --direction in' | wc -l)" '2 2'
before=$(residents 'spam-score -a')
for i in 1 2 3 4 5 6; do send "u$i@ourco.test" "free plan $i"; done
ok 'six messages delivered' wait_for 15 6 "$md/u*/new/*"
is '... each scored by a resident' "$(spam_pids | grep -cvxF "$before")" 0
ok '... with the header of the stage' grep -q '^X-Spam-Status: No' "$md/u1/new/"*

control spamthresholds 'in flag 1.0'
sleep 1.5
send u7@ourco.test 'free plan 7'
ok 'a changed control file is in effect without a restart' wait_for 10 1 "$md/u7/new/*"
ok '... the message is flagged by the new threshold' grep -q '^X-Spam-Flag: YES' "$md/u7/new/"*
after=$(residents 'spam-score -a')
is '... by residents started afresh' "$(printf '%s\n' "$after" | grep -cxF "$before")" 0

kill -9 $after
sleep 0.5
send u8@ourco.test 'plan 8'
ok 'residents killed: the next message still passes' wait_for 10 1 "$md/u8/new/*"
is '... two new residents' "$(residents 'spam-score -a' | grep -cvxF "$after")" 2

# a resident killed while it has a message (the stage before it kills it
# once it has surely taken the job): the chain runs again at once by fork
# and exec, not after a rescan
cat >"$tmp/kill.sh" <<EOF
#!/bin/sh
if [ ! -e "$tmp/killed" ]; then
	: >"$tmp/killed"
	sleep 0.5
	pkill -9 -P "\$(cat "$tmp/gw.pid")" -f '^spam-score -a --serve\$'
fi
exec cat
EOF
chmod 755 "$tmp/kill.sh"
chmod 1777 "$tmp"
kill $gw; wait $gw 2>/dev/null
control chain.in "sh $tmp/kill.sh" 'spam-score -a'
control retrymin 30
control retrymax 30
ok 'a resident killed on a message: the supervisor starts' start_gw
echo $gw >"$tmp/gw.pid"
sleep 0.5
send u12@ourco.test 'plan 12'
ok '... the message is delivered at once, not after retrymin' wait_for 10 1 "$md/u12/new/*"
ok '... scored by spam-score run by fork and exec' grep -q '^X-Spam-Status: ' "$md"/u12/new/*
like_log '... the run again is said' 'a resident stage ended without a status; the chain runs again'
control retrymin 1
control retrymax 1

# a stage before spam-score that never closes its output: spam-score's
# resident waits on its input until timeoutstage, is killed, and the
# message is scanned again
cat >"$tmp/hang.sh" <<EOF
#!/bin/sh
[ -e "$tmp/hung" ] || { : >"$tmp/hung"; exec sleep 30; }
exec cat
EOF
chmod 755 "$tmp/hang.sh"
: >"$tmp/flagdir"; rm -f "$tmp/flagdir"; chmod 1777 "$tmp"
kill $gw; wait $gw 2>/dev/null
control chain.in "sh $tmp/hang.sh" 'spam-score -a'
ok 'the supervisor starts again' start_gw
sleep 0.5
hung_before=$(residents 'spam-score -a')
send u9@ourco.test 'plan 9'
ok 'a resident waiting past timeoutstage: the message is scanned again and delivered' \
	wait_for 15 1 "$md/u9/new/*"
ok '... the first try counted as temporary' grep -q 'verdict=tempfail reason=stage' "$tmp/gw.log"
is '... the resident on it was killed and replaced' \
	"$(residents 'spam-score -a' | grep -cvxF "$hung_before")" 1

# a stage that cannot start (a rule file it refuses): it runs by fork and
# exec, which gives 111, and the mail waits until the file is mended
kill $gw; wait $gw 2>/dev/null
control chain.in 'spam-score -a'
control spam 'nonsense line here'
ok 'with a broken rule file the supervisor still starts' start_gw
send u10@ourco.test 'plan 10'
sleep 2.5
like_log '... the resident failing at its start is said' 'resident spam-score -a failed at its start'
is '... the message waits' "$(ls "$md/u10/new" 2>/dev/null | wc -l)" 0
rm -f "$PORTCULLIS_CONTROL/spam"
ok '... and is delivered once the file is mended' wait_for 20 1 "$md/u10/new/*"

kill $gw; wait $gw 2>/dev/null
control stageworkers 0
ok 'stageworkers 0: the supervisor starts' start_gw
sleep 0.5
is '... no residents' "$(residents 'spam-score -a' | wc -l)" 0
send u11@ourco.test 'plan 11'
ok '... mail still passes, each stage forked and executed' wait_for 10 1 "$md/u11/new/*"
kill $gw; wait $gw 2>/dev/null

rm -f "$PORTCULLIS_CONTROL/stageworkers"
ok 'the supervisor starts once more' start_gw
sleep 0.5
all=$(pgrep -a -P "$gw" -f -- '--serve$' | grep -v ' relay-out --serve$' | cut -d' ' -f1)
# one of each line of chain.in and of the default chain.out, twice
is '... with its residents' "$(printf '%s\n' "$all" | grep -c .)" 14
is '... and its resident relay-outs (deliveryworkers)' "$(pgrep -P "$gw" -f -- '^relay-out --serve$' | grep -c .)" 8
all=$(pgrep -P "$gw" -f -- '--serve$')
kill -9 $gw; wait $gw 2>/dev/null
gw=
sleep 0.5
left=0
# (a zombie is gone too: it waits only for whoever reaps orphans here)
for p in $all; do
	case $(ps -o stat= -p "$p" 2>/dev/null) in ''|Z*) ;; *) left=$((left + 1)) ;; esac
done
is 'no resident outlives the supervisor, even one killed with -9' "$left" 0

done_testing
