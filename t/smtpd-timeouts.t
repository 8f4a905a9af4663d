#!/bin/sh
# smtpd-timeouts: a client may hold a worker only as long as
# control/timeoutsmtpd (each silent period: no byte from it, no byte of
# ours taken, TLS handshake or not) and control/timeoutsession (the
# whole session) allow.  The clients are t/smtp-stall.py over real TCP on
# loopback: silent after STARTTLS, stalled or trickling in the TLS
# handshake, never reading its replies (plain and in TLS), dripping one
# byte at a time.  Then the supervisor with maxperip 1: a stalled client's
# worker is freed, and the next connection from that address is served.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
stall=$top/t/smtp-stall.py
chmod 711 "$tmp"
chmod 755 "$PORTCULLIS_CONTROL"
Q=$tmp/queue
mkdir "$Q"
chown 65534:65534 "$Q"
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=gw.ourco.test \
	-keyout "$PORTCULLIS_CONTROL/tlskey" -out "$PORTCULLIS_CONTROL/tlscert" \
	>/dev/null 2>&1
chmod 644 "$PORTCULLIS_CONTROL/tlskey"
control me gw.ourco.test
control localdomains ourco.test
control timeoutsmtpd 2
control timeoutsession 5

# stall MODE: smtpd-accept against one hostile client, at most 20 s
stall() {
	run $py "$stall" "$1" 20 -- env PORTCULLIS_QUEUE="$Q" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/smtpd-accept"
}
# within NAME MIN MAX: the session ended after MIN and before MAX seconds
within() {
	_e=$(printf '%s\n' "$out" | sed -n 's/^elapsed=\([0-9.]*\) .*/\1/p')
	if [ -n "$_e" ] && awk "BEGIN { exit !($_e >= $2 && $_e < $3) }"; then
		_result 1 "$1"
	else
		_result 0 "$1" "$(printf '%s\n' "$out" | head -3)"
	fi
}

stall silent-tls
within 'silent after STARTTLS: the session ends at timeoutsmtpd' 1.5 5
err_like '... the handshake is what timed out' 'TLS handshake failed: not done within control/timeoutsmtpd'
err_like '... logged as tls-timeout' 'end=tls-timeout$'

stall half-hello
within 'half a ClientHello, then nothing: ends at timeoutsmtpd' 1.5 5
err_like '... logged as tls-timeout' 'end=tls-timeout$'

stall drip-hello
within 'a ClientHello one byte a second: the handshake as a whole is bounded' 1.5 5
err_like '... logged as tls-timeout' 'end=tls-timeout$'

stall no-read
within 'pipelined EHLOs, replies never read: ends timeoutsmtpd after our writes stop' 1.5 6
err_like '... logged as write-timeout' 'end=write-timeout$'

stall no-read-tls
within '... the same inside TLS' 1.5 6
err_like '... logged as write-timeout' 'tls=yes .*end=write-timeout$'

stall drip
within 'one byte every 0.4 s: the session ends at timeoutsession' 4.5 8
like '... with 421 4.4.2' '^S: 421 4\.4\.2 .*session time limit'
err_like '... logged as session-timeout' 'end=session-timeout$'

stall idle
within 'an idle client still ends at timeoutsmtpd' 1.5 5
like '... with 421 4.4.2' '^S: 421 4\.4\.2 .*timeout exceeded'

# --- the supervisor: the worker is freed -------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "# SKIP supervisor part: the supervisor drops root, run as root"
	done_testing
	exit
fi
gport=$(free_port)
control listen "127.0.0.1:$gport"
control maxperip 1
control smtpdspare 0
control timeoutsession 60
Q=$tmp/gq
start_gw || _result 0 'the supervisor answers'
# start_gw's own probe holds the one place of 127.0.0.1 until its session
# is over (slow under ASan): wait for its end before the holder comes
for i in $(seq 100); do grep -q ' end=' "$tmp/gw.log" && break; sleep 0.1; done
sleep 0.5

# hold PORT: a client that goes silent after STARTTLS, in the background
$py - "$gport" >"$tmp/hold.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
f = s.makefile('rb')
def reply():
    while True:
        ln = f.readline()
        if not ln or ln[3:4] != b'-':
            return ln
print(reply().decode().strip())
s.sendall(b'EHLO hold.example\r\n'); reply()
s.sendall(b'STARTTLS\r\n'); print(reply().decode().strip(), flush=True)
s.settimeout(30)
try:
    while s.recv(4096):
        pass
    print('closed by the server', flush=True)
except OSError as e:
    print('error', e, flush=True)
PY
holder=$!
for i in $(seq 50); do grep -q '^220 2' "$tmp/hold.out" && break; sleep 0.1; done
like_file() { grep -Eq -- "$2" "$3" && _result 1 "$1" || _result 0 "$1" "$(cat "$3")"; }
like_file 'a client goes silent after STARTTLS in a worker' '^220 2\.0\.0' "$tmp/hold.out"
banner() {	# the first reply line a new client from 127.0.0.1 gets
	$py -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
print(s.makefile("rb").readline().decode().strip())' "$gport"
}
run banner
like 'while it holds its worker, maxperip 1 refuses the next from that address' '^421 4\.7\.0'
sleep 3
run banner
like 'after timeoutsmtpd the worker is free: the next one is served' '^220 gw\.ourco\.test'
like_file '... the held client was dropped' '^closed by the server' "$tmp/hold.out"
kill "$holder" 2>/dev/null
like_file 'the supervisor logged the handshake timeout' 'end=tls-timeout' "$tmp/gw.log"

# a worker stuck past timeoutsession (stopped here by SIGSTOP; in life a
# hung disk or a bug) is killed by the supervisor, and its client's
# place is free again
kill "$gw"
wait "$gw" 2>/dev/null
control timeoutsession 2
start_gw || _result 0 'the supervisor answers again'
sleep 0.5
$py -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(s.makefile("rb").readline().decode().strip(), flush=True)
time.sleep(30)' "$gport" >"$tmp/hold2.out" 2>&1 &
holder=$!
for i in $(seq 50); do grep -q '^220' "$tmp/hold2.out" && break; sleep 0.1; done
w=$(pgrep -P "$gw" smtpd-accept)
is 'one worker serves the held client' "$(printf '%s\n' "$w" | grep -c .)" 1
kill -STOP "$w"
sleep 3
run banner
like 'the stopped worker still holds the place past timeoutsession' '^421 4\.7\.0'
for i in $(seq 150); do grep -q 'killed' "$tmp/gw.log" && break; sleep 0.1; done
like_file '... until the supervisor kills it, some seconds later' \
	"smtpd-accept\\[$w\\] ip=127\\.0\\.0\\.1: session past control/timeoutsession; killed" "$tmp/gw.log"
sleep 0.5
run banner
like '... then the next client from that address is served' '^220 gw\.ourco\.test'
ok '... and the stuck worker is gone' sh -c "! kill -0 $w 2>/dev/null"
kill "$holder" 2>/dev/null
done_testing
