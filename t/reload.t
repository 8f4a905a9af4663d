#!/bin/sh
# reload: SIGHUP makes portcullis read its own control files again.  A
# new chain is in force for the next message (the resident stages
# restart), a new listen line is bound while the old socket stays, a
# session open across the reload is not dropped, and a bad configuration
# (a value out of bounds, an address that cannot be bound) is refused
# with a log line while the one in force goes on.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
Q=$tmp/q
md=$tmp/md
mkdir "$md"
[ "$(id -u)" = 0 ] && chown 65534 "$md"
cat >"$tmp/tag.sh" <<'EOF'
#!/bin/sh
printf 'X-Reload: tagged\n'
exec cat
EOF
chmod 755 "$tmp/tag.sh"

send() {	# send PORT RCPT
	$py - "$@" <<'PY'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.sendmail('alice@outside.test', [sys.argv[2]], 'From: alice@outside.test\r\nSubject: reload\r\n\r\nbody\r\n')
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
log_count() { grep -c -- "$1" "$tmp/gw.log"; }
# hup PATTERN: SIGHUP, then wait until the log has one more PATTERN line
hup() {
	_before=$(log_count "$1")
	kill -HUP $gw
	for i in $(seq 50); do
		[ "$(log_count "$1")" -gt "$_before" ] && return 0
		sleep 0.1
	done
	return 1
}
like_file() { if grep -Eq -- "$3" "$2"; then _result 1 "$1"; else _result 0 "$1" "$(cat "$2")"; fi; }
unlike_file() { if grep -Eq -- "$3" "$2"; then _result 0 "$1" "$(cat "$2")"; else _result 1 "$1"; fi; }

gport=$(free_port)
control me gw.ourco.test
control localdomains ourco.test
control routes "ourco.test maildir:$md/%u"
control listen "127.0.0.1:$gport"
control chain.in 'header-strip --direction in'
control stageworkers 1
ok 'the supervisor starts' start_gw
send "$gport" one@ourco.test
ok 'a message passes the first chain' wait_for 15 "$md/one/new/*"
unlike_file '... untagged' "$(ls "$md"/one/new/* | head -1)" '^X-Reload:'

# a session opened before the reload and finished after it
$py - "$gport" "$tmp/held" <<'PY' &
import smtplib, sys, os, time
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.ehlo()
assert s.mail('alice@outside.test')[0] == 250 and s.rcpt('held@ourco.test')[0] == 250
open(sys.argv[2], 'w').close()
while os.path.exists(sys.argv[2]):
    time.sleep(0.1)
s.data('From: alice@outside.test\r\nSubject: held\r\n\r\nbody\r\n')
s.quit()
PY
held=$!
wait_for 5 "$tmp/held"

gport2=$(free_port)
control listen "127.0.0.1:$gport" "127.0.0.1:$gport2"
control chain.in 'header-strip --direction in' "sh $tmp/tag.sh"
residents() { ps -o pid=,comm= --ppid $gw | awk '$2 == "header-strip" { print $1 }' | sort | tr '\n' ' '; }
r1=$(residents)
ok 'SIGHUP: reloaded' hup 'reloaded:'
like_file '... the log says the residents restart' "$tmp/gw.log" 'reloaded: 2 listeners, chains of 2 and 7 stages; resident stages restart'
for i in $(seq 50); do
	r2=$(residents)
	[ -n "$r2" ] && [ "$r2" != "$r1" ] && ! printf '%s' "$r2" | grep -qw "$(echo $r1 | cut -d' ' -f1)" && break
	sleep 0.1
done
ok '... the old residents left and fresh ones run' \
	test -n "$r1" -a -n "$r2" -a "$r1" != "$r2"
rm -f "$tmp/held"
wait $held
is '... a session open across the reload finishes' "$?" 0
ok '... and its message arrives' wait_for 15 "$md/held/new/*"
send "$gport2" two@ourco.test
ok '... the new listen line takes mail' wait_for 15 "$md/two/new/*"
like_file '... through the new chain' "$(ls "$md"/two/new/* | head -1)" '^X-Reload: tagged'
send "$gport" three@ourco.test
ok '... and the old listener still does' wait_for 15 "$md/three/new/*"

control maxconnections 0
ok 'a value out of bounds: the reload is refused' hup 'reload refused'
like_file '... the log names the file' "$tmp/gw.log" 'unable to read control/maxconnections'
rm "$PORTCULLIS_CONTROL/maxconnections"
# a port someone else holds cannot be bound: refused too
bport=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$py -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$bport" &
bpid=$!
sleep 0.3
control listen "127.0.0.1:$gport" "127.0.0.1:$bport"
control chain.in 'header-strip --direction in'
ok 'an address that cannot be bound: refused' hup 'reload refused'
like_file '... the log says which' "$tmp/gw.log" "unable to listen on 127.0.0.1:$bport"
kill $bpid 2>/dev/null
send "$gport2" four@ourco.test
ok '... the listeners in force stay' wait_for 15 "$md/four/new/*"
like_file '... and so does the chain in force' "$(ls "$md"/four/new/* | head -1)" '^X-Reload: tagged'
kill -0 $gw 2>/dev/null
is '... the supervisor runs on' "$?" 0
control listen "127.0.0.1:$gport" "127.0.0.1:$gport2"
control chain.in 'header-strip --direction in' "sh $tmp/tag.sh"
control maxconnections 50
r1=$(residents)
ok 'a reload of limits only' hup 'reloaded:'
is '... leaves the residents alone' "$(grep 'reloaded:' "$tmp/gw.log" | tail -1 | grep -c restart)" 0
is '... the same processes' "$(residents)" "$r1"
kill $gw; wait $gw 2>/dev/null
gw=
done_testing
