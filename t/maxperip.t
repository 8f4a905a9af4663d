#!/bin/sh
# maxperip: the supervisor counts a client's connections per IPv4 address
# and per IPv6 /64 (control/maxperipv4prefix, maxperipv6prefix), an
# IPv4-mapped IPv6 address as the IPv4 address it is.  Run for real in a
# private network namespace (unshare -n) whose loopback holds several
# addresses of one /64 and one of the next; clients connect from each of
# them to the supervisor listening on [::] (dual stack, so IPv4 clients
# arrive as ::ffff:a.b.c.d).  Needs root: the supervisor drops root.
if [ -z "${PORTCULLIS_IN_NETNS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root (unshare -n, and the supervisor drops root)"
		exit 0
	fi
	if ! unshare -n true 2>/dev/null; then
		echo "1..0 # SKIP unshare -n is not available here"
		exit 0
	fi
	PORTCULLIS_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
gw=
held=
trap 'kill $gw $held 2>/dev/null; rm -rf "$tmp"' EXIT
Q=$tmp/q

ip link set lo up
for a in 2001:db8::1 2001:db8::2 2001:db8::3 2001:db8:0:1::1; do
	ip addr add "$a/64" dev lo nodad
done
ok 'the namespace has four addresses in two /64s' \
	sh -c "[ \$(ip -6 addr show dev lo | grep -c 'inet6 2001:db8') = 4 ]"

gport=$(free_port)
control me gw.ourco.test
control localdomains ourco.test
control listen "[::]:$gport"
control maxperip 1

# client MODE SOURCE DEST: "hold" keeps the session open in the
# background ($held), once it has its banner; "probe" prints the first
# reply line and quits
cat >"$tmp/client.py" <<'PY'
import socket, sys, time
mode, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
s = socket.socket(fam)
s.settimeout(10)
s.bind((src, 0))
s.connect((dst, port))
print(s.makefile('rb').readline().decode().strip(), flush=True)
if mode == 'hold':
    time.sleep(60)
else:
    s.sendall(b'QUIT\r\n')
PY
client() { $py "$tmp/client.py" "$@" "$gport"; }
hold() {	# hold SOURCE DEST
	$py "$tmp/client.py" hold "$1" "$2" "$gport" >"$tmp/hold.out" 2>&1 &
	held="$held $!"
	for _i in $(seq 100); do
		grep -q . "$tmp/hold.out" && break
		sleep 0.1
	done
	grep -q '^220 ' "$tmp/hold.out"
}
release() {
	kill $held 2>/dev/null
	held=
	sleep 0.5	# the workers see the end and say so
}

start_gw || _result 0 'the supervisor answers'
sleep 0.3

ok 'maxperip 1: a client from 2001:db8::2 is served and stays' hold 2001:db8::2 2001:db8::1
run client probe 2001:db8::3 2001:db8::1
like '... another address of its /64 gets 421' '^421 4\.7\.0'
run client probe 2001:db8:0:1::1 2001:db8::1
like '... one from the next /64 is served' '^220 gw\.ourco\.test'
run client probe ::1 ::1
like '... ::1 is its own client' '^220 '

ok 'an IPv4 client (::ffff:127.0.0.1 on the dual-stack socket) stays' hold 127.0.0.1 127.0.0.1
run client probe 127.0.0.2 127.0.0.1
like '... another IPv4 address is served (IPv4 is counted per address)' '^220 '
run client probe 127.0.0.1 127.0.0.1
like '... the same address again gets 421' '^421 4\.7\.0'
like_log() { grep -Eq -- "$2" "$tmp/gw.log" && _result 1 "$1" || _result 0 "$1" "$(cat "$tmp/gw.log")"; }
like_log 'the refusals are logged, with the limit' 'ip=2001:db8::3 refused: too many connections \(maxperip\)'
like_log '... an IPv4 client under its mapped address' 'ip=::ffff:127\.0\.0\.1 refused: too many connections \(maxperip\)'
release
kill "$gw"
wait "$gw" 2>/dev/null

# other prefix lengths: IPv6 per address, IPv4 per /24
control maxperipv6prefix 128
control maxperipv4prefix 24
start_gw || _result 0 'the supervisor answers again'
sleep 0.3
ok 'maxperipv6prefix 128: a client from 2001:db8::2 stays' hold 2001:db8::2 2001:db8::1
run client probe 2001:db8::3 2001:db8::1
like '... another address of its /64 is now served' '^220 '
ok 'maxperipv4prefix 24: a client from 127.0.0.1 stays' hold 127.0.0.1 127.0.0.1
run client probe 127.0.0.2 127.0.0.1
like '... another address of its /24 gets 421' '^421 4\.7\.0'
release
run client probe 127.0.0.2 127.0.0.1
like '... and is served once the first has gone' '^220 '

control maxperipv6prefix 200
kill "$gw"
wait "$gw" 2>/dev/null
portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q" 2>"$tmp/bad.log" &
gw=$!
sleep 1
ok 'maxperipv6prefix 200 is refused at start' sh -c "! kill -0 $gw 2>/dev/null"
ok '... and the log says which file' grep -q 'control/maxperipv6prefix' "$tmp/bad.log"
done_testing
