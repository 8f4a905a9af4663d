#!/bin/sh
# privileges: what portcullis does as root with a queue its mail user
# could write (links planted towards a root-owned file and folder are
# refused, and neither target changes owner or mode), the uids of qmail's
# manner (door, stages and delivery each under their own, from control
# files), and each stage's sandbox (no socket but AF_UNIX, its limits).
# The same gateway started as an ordinary user works fully.  The root
# parts are skipped when the suite runs as an ordinary user.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
gw=
mutepid=
trap 'kill $gw $mutepid 2>/dev/null; rm -rf "$tmp"' EXIT
control listen 127.0.0.1:0

# mode and owner of a path as "uid:gid mode"
who() { stat -c '%u:%g %a' "$1"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
like_file() { if grep -Eq -- "$3" "$2"; then _result 1 "$1"; else _result 0 "$1" "$(cat "$2")"; fi; }

send() {	# send PORT RCPT SUBJECT
	$py - "$@" <<'PY'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.sendmail('alice@outside.test', [sys.argv[2]], 'From: alice@outside.test\r\nSubject: %s\r\n\r\nbody\r\n' % sys.argv[3])
s.quit()
PY
}
wait_for() {	# wait_for SECONDS GLOB
	for i in $(seq $(($1 * 10))); do
		ls $2 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# --- an ordinary user on a fresh queue ------------------------------------
# As root, the gateway runs as nobody from its start (setpriv); as an
# ordinary user, as that user.  It creates the whole queue itself, passes
# mail to a maildir, and a temporary failure is scheduled with backoff.
GW_AS=65534
md=$tmp/md0
mkdir "$md"
[ "$(id -u)" = 0 ] && chown 65534 "$md"
Q=$tmp/q0
dead=$(free_port)
gport=$(free_port)
control listen "127.0.0.1:$gport"
control me gw.ourco.test
control localdomains ourco.test down.ourco.test
control routes "down.ourco.test smtp:[127.0.0.1]:$dead" "ourco.test maildir:$md/%u"
ok 'as an ordinary user: the supervisor starts on a fresh queue' start_gw
for s in incoming outgoing quarantine; do
	for d in tmp new cur env sched; do
		[ -d "$Q/$s/$d" ] || echo "$s/$d" >>"$tmp/missing"
	done
done
is '... every stage has tmp, new, cur, env and sched' "$(cat "$tmp/missing" 2>/dev/null)" ''
send "$gport" bob@ourco.test plain
ok '... a message reaches the maildir' wait_for 15 "$md/bob/new/*"
send "$gport" carol@down.ourco.test deferred
ok '... a temporary failure gets a schedule in outgoing/sched' wait_for 15 "$Q/outgoing/sched/*"
sleep 2
is '... tried once, then it waits (retrymin, 300 s)' \
	"$(grep -c 'delivery=deferred' "$tmp/gw.log")" 1
is '... still queued' "$(ls "$Q/outgoing/new" | wc -l)" 1
is '... no bounce yet' "$(ls "$md/alice/new" 2>/dev/null | wc -l)" 0
kill $gw; wait $gw 2>/dev/null
gw=
GW_AS=
rm -f "$PORTCULLIS_CONTROL/routes"
control listen 127.0.0.1:0

if [ "$(id -u)" != 0 ]; then
	echo "# not root: the root start cases are skipped"
	done_testing
	exit
fi

# --- links planted in the queue before a root start ------------------------
mkdir "$tmp/rootdir"
chmod 700 "$tmp/rootdir"
echo secret >"$tmp/secret"
chmod 600 "$tmp/secret"
Q=$tmp/q1
mkdir "$Q"
chown 65534:65534 "$Q"
as_nobody ln -s "$tmp/rootdir" "$Q/incoming"
as_nobody mkdir "$Q/outgoing"
as_nobody ln -s "$tmp/secret" "$Q/outgoing/tmp"

run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q"
is_exit 'a queue folder that is a link: refused at the start' 111
err_like '... the log says which and why' "refusing the queue: $Q/incoming is a link"
is '... the root-owned folder it points to is unchanged' "$(who "$tmp/rootdir")" '0:0 700'
is '... and so is the root-owned file' "$(who "$tmp/secret")" '0:0 600'

rm "$Q/incoming"
run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q"
is_exit 'a link deeper down (outgoing/tmp to a 0600 root file): refused' 111
err_like '... named in the log' "refusing the queue: $Q/outgoing/tmp is a link"
is '... the file keeps its owner and mode' "$(who "$tmp/secret")" '0:0 600'
is '... and its bytes' "$(cat "$tmp/secret")" secret

rm "$Q/outgoing/tmp"
mkdir "$Q/quarantine"
chown 12345 "$Q/quarantine"
run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q"
is_exit 'a folder of another user: refused' 111
err_like '... named in the log' "$Q/quarantine belongs to uid 12345"
rmdir "$Q/quarantine"

ln -s "$tmp/rootdir" "$tmp/qlink"
run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$tmp/qlink"
is_exit 'a queue directory that is itself a link: refused' 111
is '... its target unchanged' "$(who "$tmp/rootdir")" '0:0 700'

# a folder above the queue that the mail user owns: it could swap the
# queue for a link between our check and our use
mkdir "$tmp/ud"
chown 65534 "$tmp/ud"
run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$tmp/ud/q"
is_exit 'a queue below a folder of another user: refused' 111
err_like '... the log names that folder' "refusing the queue: $tmp/ud, above it, can be changed"
ok '... and nothing was made in it' test ! -e "$tmp/ud/q"

gport=$(free_port)
control listen "127.0.0.1:$gport"
ok 'without the links it starts' start_gw
is '... every stage folder is the queue owner'"'"'s' \
	"$(find "$Q" -type d ! -user 65534 | wc -l)" 0
ok '... sched/ and quarantine/ exist' test -d "$Q/outgoing/sched" -a -d "$Q/quarantine/new"
kill $gw; wait $gw 2>/dev/null

# --- the uids of qmail's manner and each stage's sandbox, as root ----------
# A probe stage shows its uid, its limits and whether it can read the
# queue, and hangs the first time it sees slowonce@ (to be killed at
# timeoutstage); a python stage tries a TCP socket.
Q=$tmp/q2
mkdir "$tmp/flags"
chmod 777 "$tmp/flags"
{
	echo '#!/bin/sh'
	echo "q=$Q flags=$tmp/flags"
	cat <<'EOF'
case $RECIPIENT in
*slowonce@*) [ -e "$flags/slow" ] || { : >"$flags/slow"; exec sleep 30; } ;;
esac
printf 'X-Probe-Uid: %s\n' "$(id -u)"
printf 'X-Probe-Limits: %s %s\n' "$(ulimit -v)" "$(ulimit -t)"
if ls "$q/incoming/new" >/dev/null 2>&1; then r=readable
elif [ -d "$q/incoming" ]; then r=unsure; else r=denied; fi
printf 'X-Probe-Queue: %s\n' "$r"
printf 'X-Probe-Caps: %s\n' "$(awk '$1 == "CapEff:" || $1 == "CapPrm:" { printf "%s", $2 }' /proc/self/status)"
exec cat
EOF
} >"$tmp/probe.sh"
cat >"$tmp/net.py" <<'EOF'
import socket, sys
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    r = 'open'
except PermissionError as e:
    r = 'denied (%s)' % e.strerror
sys.stderr.write('net.py: socket(AF_INET) %s\n' % r)
sys.stdout.buffer.write(b'X-Net: ' + r.encode() + b'\n' + sys.stdin.buffer.read())
EOF
chmod 755 "$tmp/probe.sh" "$tmp/net.py"
md=$tmp/md
mkdir "$md"
control me gw.ourco.test
control localdomains ourco.test mute.ourco.test
# a next hop that takes a connection and stays silent, so that the
# delivery worker can be looked at while relay-out waits
mute=$(free_port)
$py -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
held = []
while True:
    held.append(s.accept())' "$mute" &
mutepid=$!
control routes "mute.ourco.test smtp:[127.0.0.1]:$mute" "ourco.test maildir:$md/%u"
control chain.in 'header-strip --direction in' "sh $tmp/probe.sh" "$py $tmp/net.py" 'spoof-check -a'
control stagememory 400
control stagecpu 30
control timeoutstage 2
control retrymin 1
control retrymax 1
# under ASan no RLIMIT_AS is set (its shadow takes terabytes)
vlimit=409600
ldd "$BIN/portcullis" 2>/dev/null | grep -q libasan && vlimit=unlimited
if getent passwd daemon >/dev/null && getent passwd man >/dev/null &&
    getent passwd lp >/dev/null; then
	control user nobody
	control smtpduser daemon
	control scanuser man
	control deliveryuser lp
	chown lp "$md"
	gport=$(free_port)
	control listen "127.0.0.1:$gport"
	ok 'separate uids: the supervisor starts' start_gw
	like_file '... the log names each' "$tmp/gw.log" \
		'running as nobody \(uid 65534\); door daemon, stages man, delivery lp'
	sleep 0.5
	is '... smtpd-accept runs as the door'"'"'s uid (daemon)' \
		"$(ps -o uid=,comm= --ppid $gw | awk '$2 == "smtpd-accept" { print $1 }' | sort -u)" 1
	is '... the resident stages as the scanners'"'"' (man)' \
		"$(ps -o uid=,comm= --ppid $gw | awk '$2 ~ /header-strip|spoof-check/ { print $1 }' | sort -u)" 6
	is '... the supervisor as the queue owner' "$(ps -o uid= -p $gw | tr -d ' ')" 65534
	is '... keeping only CAP_KILL, CAP_SETGID and CAP_SETUID' \
		"$(awk '$1 == "CapEff:" { print $2 }' /proc/$gw/status)" 00000000000000e0
	is '... in its bounding set too' \
		"$(awk '$1 == "CapBnd:" { print $2 }' /proc/$gw/status)" 00000000000000e0
	is '... incoming/ is the door'"'"'s through the group' "$(who "$Q/incoming/new")" '65534:65534 770'
	is '... outgoing/ the owner'"'"'s alone' "$(who "$Q/outgoing/new")" '65534:65534 700'
	send "$gport" bob@ourco.test sandboxed
	ok 'a message passes the chain and is delivered' wait_for 15 "$md/bob/new/*"
	ok '... judged after the queue: the door forks no stage under its own uid' \
		grep -q 'verdict=accepted reason=door=unjudged (stage 2 has no resident)' "$tmp/gw.log"
	m=$(ls "$md"/bob/new/* 2>/dev/null | head -1)
	is '... by relay-out under the delivery uid (lp)' "$(stat -c %u "$m" 2>/dev/null)" 7
	like_file '... a stage ran under the scanners'"'"' uid' "$m" '^X-Probe-Uid: 6$'
	like_file '... which cannot read the queue' "$m" '^X-Probe-Queue: denied$'
	like_file '... and has no capability' "$m" '^X-Probe-Caps: 0{32}$'
	like_file '... under control/stagememory and stagecpu' "$m" "^X-Probe-Limits: $vlimit 30\$"
	like_file '... socket(AF_INET) in a stage fails with EACCES' "$m" '^X-Net: denied \(Permission denied\)$'
	like_file '... and the stage'"'"'s log line says so' "$tmp/gw.log" 'net.py: socket\(AF_INET\) denied'
	like_file '... the whole chain ran' "$m" '^Authentication-Results: gw.ourco.test'
	send "$gport" slowonce@ourco.test slow
	ok 'a stage of another uid past timeoutstage is killed (CAP_KILL)' \
		wait_for 20 "$md/slowonce/new/*"
	ok '... it did hang' test -e "$tmp/flags/slow"
	like_file '... and was counted as 111' "$tmp/gw.log" 'stage 2 \(sh\) timed out'
	is '... no sleep of it is left' "$(ps -o args= -u man | grep -c '^sleep 30')" 0
	send "$gport" x@mute.ourco.test mute
	# relay-out runs resident, a child of the supervisor (deliver.c);
	# the delivery worker that handed it the mute message waits on it
	dw=
	for i in $(seq 900); do
		dw=$(ps -o pid=,comm= --ppid $gw 2>/dev/null | awk '$2 == "portcullis-dlv" { print $1; exit }')
		[ -n "$dw" ] && sleep 0.5 && kill -0 "$dw" 2>/dev/null && break
		dw=
		sleep 0.1
	done
	rp=$(ps -o pid=,comm= --ppid $gw 2>/dev/null | awk '$2 == "relay-out" { print $1 }')
	[ -n "$dw" ] || { echo "no delivery worker seen in 90 s; children:"; ps -o pid,ppid,uid,etimes,args --ppid $gw; tail -15 "$tmp/gw.log"; } >&2
	is '... the resident relay-outs run as the delivery uid' \
		"$(for p in $rp; do ps -o uid= -p "$p" | tr -d ' '; done | sort -u)" 7
	is '... a delivery worker keeps only CAP_KILL once it handed relay-out its job' \
		"$(awk '$1 == "CapEff:" { print $2 }' /proc/${dw:-0}/status 2>/dev/null)" 0000000000000020
	kill $gw; wait $gw 2>/dev/null
	gw=
else
	echo "# users daemon, man or lp missing: separate uids skipped"
fi

done_testing
