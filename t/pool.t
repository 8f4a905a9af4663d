#!/bin/sh
# pool: the supervisor's smtpd-accept workers (smtpd-accept -w).  One
# worker serves several sessions one after another, up to smtpdmaxuse,
# and nothing of a session reaches the next: TLS, the client's address,
# the envelope.  The supervisor runs as root and drops to nobody; clients
# are python's smtplib from two loopback addresses; the inbound route is
# a maildir.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the supervisor drops root: run as root"; exit 0; }
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
Q=$tmp/q
md=$tmp/md
mkdir "$md"
chown 65534 "$md"
gport=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=gw.ourco.test \
	-keyout "$PORTCULLIS_CONTROL/tlskey" -out "$PORTCULLIS_CONTROL/tlscert" \
	>/dev/null 2>&1
chmod 644 "$PORTCULLIS_CONTROL/tlskey"
control me gw.ourco.test
control localdomains ourco.test
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u"
# no spare: the one worker started for the first connection serves the
# next ones while it lives, which makes the test's order certain
control smtpdspare 0
control smtpdmaxuse 3

start_gw
# send SOURCE RCPT SUBJECT [tls]
send() {
	$py - "$gport" "$@" <<'PY'
import smtplib, ssl, sys
port, src, rcpt, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = smtplib.SMTP('127.0.0.1', port, source_address=(src, 0))
if len(sys.argv) > 5:
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    s.starttls(context=c)
s.sendmail('a@sender.test', [rcpt], 'From: a@sender.test\r\nSubject: %s\r\n\r\nbody\r\n' % subj)
s.quit()
PY
}
wait_for() {	# wait_for N GLOB
	for i in $(seq 100); do
		[ "$(ls $2 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# the connection test above used the first worker once: three sessions
# left for it, then a second worker takes over
ok "first session, with STARTTLS" send 127.0.0.1 one@ourco.test m1 tls
ok "second session, plain, from another address" send 127.0.0.6 two@ourco.test m2
ok "third session" send 127.0.0.1 three@ourco.test m3
ok "fourth session" send 127.0.0.1 four@ourco.test m4
ok "all four delivered" wait_for 4 "$md/*/new/*"

rcv() { sed -n '/^Received: from/,/;/p' "$md/$1"/new/* | head -4; }
like_in() {	# like_in NAME TEXT REGEX
	if printf '%s\n' "$2" | grep -Eq "$3"; then _result 1 "$1"
	else _result 0 "$1" "# got: $2"; fi
}
unlike_in() {
	if printf '%s\n' "$2" | grep -Eq "$3"; then _result 0 "$1" "# got: $2"
	else _result 1 "$1"; fi
}
like_in "session 1 was TLS" "$(rcv one)" "with ESMTPS \\(TLS"
unlike_in "session 2, same worker, knows nothing of session 1's TLS" "$(rcv two)" "ESMTPS|TLS"
like_in "session 2 has its own client address" "$(rcv two)" "\\[127\\.0\\.0\\.6\\]"
like_in "session 3 has its own again" "$(rcv three)" "\\[127\\.0\\.0\\.1\\]"
unlike_in "session 3 has no recipient of session 2" "$(sed -n '/^$/q;p' "$md"/three/new/*)" "two@"

# which worker served each session: "smtpd-accept[PID]: qid=..." lines
pids=$(sed -n 's/^[0-9T:Z-]* smtpd-accept\[\([0-9]*\)\]: qid=.*/\1/p' "$tmp/gw.log")
is "a log line per session, each with its worker's pid" "$(printf '%s\n' "$pids" | grep -c .)" 4
first=$(printf '%s\n' "$pids" | sed -n 1p)
is "sessions 1-2 by the worker of the connection test" \
	"$(printf '%s\n' "$pids" | sed -n 2p)" "$first"
second=$(printf '%s\n' "$pids" | sed -n 3p)
isnt() { [ "$2" != "$3" ]; _result $((1 - $?)) "$1" "# both: $2"; }
isnt "session 3 by a new worker: the first served its three" "$second" "$first"
is "session 4 by that new worker" "$(printf '%s\n' "$pids" | sed -n 4p)" "$second"
ok "the first worker is gone" sh -c "! kill -0 $first 2>/dev/null"
ok "the second worker waits for more" kill -0 "$second"
like_in "no worker runs as root" "$(ps -o user= -p "$second")" "^nobody$"
unlike_in "no error logged" "$(grep -E "warning|fatal" "$tmp/gw.log")" "."
done_testing
