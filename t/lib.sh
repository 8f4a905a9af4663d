# t/lib.sh: the TAP helpers every t/*.t sources.  Each test file runs in its
# own temporary directory ($tmp, removed at exit); tools come from
# $PORTCULLIS_BIN (make check sets it) and shipped rules from share/rules.
#
#   run CMD...              run it; keeps $out (stdout), $err (stderr), $rc
#   is_exit  NAME WANT      exit status
#   like     NAME REGEX     stdout matches (grep -E)
#   unlike   NAME REGEX     stdout does not match
#   err_like NAME REGEX     stderr matches
#   is       NAME GOT WANT  two strings are equal
#   ok       NAME CMD...    CMD succeeds
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
data=$top/t/data
BIN=${PORTCULLIS_BIN:-$top/bin}
PATH=$BIN:$PATH
export PATH
PORTCULLIS_RULES=$top/share/rules
export PORTCULLIS_RULES
unset SENDER RECIPIENT TCPREMOTEIP TCPREMOTEHOST HELO DIRECTION TLS QUEUEID PORTCULLIS_LOGTIME PORTCULLIS_SERVE PORTCULLIS_DOORFORK PORTCULLIS_CHAIN_IN PORTCULLIS_CHAIN_OUT
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-t.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# An empty control directory: every setting at its documented default.
PORTCULLIS_CONTROL=$tmp/control
export PORTCULLIS_CONTROL
mkdir -p "$PORTCULLIS_CONTROL"
# but for the machine's own clamd, which virus-scan finds by default at
# /run/clamav/clamd.ctl: no test depends on it (t/virus-scan.t starts its own)
: >"$PORTCULLIS_CONTROL/clamd"

_n=0
_fail=0
out=
err=
rc=0

_result() {	# _result OK NAME [DIAG]
	_n=$((_n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $_n - $2"
	else
		_fail=$((_fail + 1))
		echo "not ok $_n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
	return 0
}

run() {
	"$@" >"$tmp/.out" 2>"$tmp/.err"
	rc=$?
	out=$(cat "$tmp/.out")
	err=$(cat "$tmp/.err")
}

is_exit() {
	if [ "$rc" = "$2" ]; then _result 1 "$1"
	else _result 0 "$1" "exit $rc, want $2
stdout: $out
stderr: $err"; fi
}

like() {
	if printf '%s\n' "$out" | grep -Eq -- "$2"; then _result 1 "$1"
	else _result 0 "$1" "stdout does not match /$2/:
$out"; fi
}

unlike() {
	if printf '%s\n' "$out" | grep -Eq -- "$2"; then _result 0 "$1" "stdout matches /$2/:
$(printf '%s\n' "$out" | grep -E -- "$2")"
	else _result 1 "$1"; fi
}

err_like() {
	if printf '%s\n' "$err" | grep -Eq -- "$2"; then _result 1 "$1"
	else _result 0 "$1" "stderr does not match /$2/:
$err"; fi
}

is() {
	if [ "$2" = "$3" ]; then _result 1 "$1"
	else _result 0 "$1" "got:  $2
want: $3"; fi
}

ok() {
	_name=$1
	shift
	if "$@" >/dev/null 2>&1; then _result 1 "$_name"
	else _result 0 "$_name" "failed: $*"; fi
}

# A control file: control NAME LINE...
control() {
	_f=$PORTCULLIS_CONTROL/$1
	shift
	: >"$_f"
	for _l in "$@"; do printf '%s\n' "$_l" >>"$_f"; done
}

# A port nobody listens on now: free_port [udp]
free_port() {
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1:] == ["udp"] else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$@"
}

# A DNS server started in the background answers: dns_up PORT NAME
# returns 0 once a query for NAME on 127.0.0.1:PORT gets any answer,
# 1 after 10 s (a fixed sleep is too short on a loaded machine).
dns_up() {	# dns_up PORT NAME: 0 once a query there is answered, within 10 s
	/usr/bin/python3 - "$@" <<'PY'
import socket, struct, sys, time
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
q += b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0'
q += struct.pack('>HH', 1, 1)
end = time.time() + 10
while time.time() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(q, ('127.0.0.1', port))
        if s.recv(512)[:2] == b'\x12\x34':
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# dnsmasq serving the zone in conf-file CONF on a free loopback port, in
# the background, once it answers: dnsmasq_zone CONF.  Stops the one this
# started before; sets $dnsmasq_pid and $dnsmasq_port, and points
# control/resolvers at it.  A free port can be taken before dnsmasq binds
# it on a busy machine, so it tries three.  The caller kills $dnsmasq_pid.
dnsmasq_pid=
dnsmasq_zone() {
	[ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null &&
	    wait "$dnsmasq_pid" 2>/dev/null
	for _try in 1 2 3; do
		dnsmasq_port=$(free_port udp)
		dnsmasq --keep-in-foreground --port="$dnsmasq_port" \
		    --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
		    --no-hosts --pid-file= --user=root --conf-file="$1" \
		    2>"$tmp/dnsmasq.log" &
		dnsmasq_pid=$!
		dns_up "$dnsmasq_port" up.invalid && break
		echo "# dnsmasq did not answer: $(cat "$tmp/dnsmasq.log")"
		kill "$dnsmasq_pid" 2>/dev/null
	done
	control resolvers "127.0.0.1@$dnsmasq_port"
}

# The supervisor on $PORTCULLIS_CONTROL and queue $Q, logging to
# $tmp/gw.log, in the background ($gw: its pid); returns once it answers
# on 127.0.0.1:$gport, 1 when it does not within 5 s.  With GW_AS=UID
# (and root) it runs as that ordinary user from the start, on a queue
# folder of its own.
start_gw() {
	if [ -n "${GW_AS:-}" ] && [ "$(id -u)" = 0 ]; then
		mkdir -p "$Q" && chown "$GW_AS:$GW_AS" "$Q"
		setpriv --reuid="$GW_AS" --regid="$GW_AS" --clear-groups \
			portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q" 2>>"$tmp/gw.log" &
	else
		portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q" 2>>"$tmp/gw.log" &
	fi
	gw=$!
	_eofs=$(grep -c ' end=' "$tmp/gw.log" 2>/dev/null)
	for _i in $(seq 50); do
		/usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $gport)).close()" \
			2>/dev/null || { sleep 0.1; continue; }
		# GW_AS: it is that user that answers
		[ -z "${GW_AS:-}" ] || [ "$(id -u)" != 0 ] ||
			[ "$(ps -o uid= -p $gw | tr -d ' ')" = "$GW_AS" ] || return 1
		# the probe's session is over, and its worker free again, before
		# a test counts connections or workers (slow under ASan)
		for _j in $(seq 100); do
			[ "$(grep -c ' end=' "$tmp/gw.log" 2>/dev/null)" -gt "${_eofs:-0}" ] && break
			sleep 0.1
		done
		sleep 0.3
		return 0
	done
	return 1
}

done_testing() {
	echo "1..$_n"
	[ "$_fail" = 0 ]
}
