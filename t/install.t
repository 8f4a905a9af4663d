#!/bin/sh
# install: make install into a DESTDIR lays out the programs, rules and
# pages, the example control directory, the spool and log folders, the
# systemd unit, logrotate, fail2ban and cron files; systemd-analyze
# verify accepts the unit; the installed supervisor runs from the
# installed files as root with no more than the unit's capability
# bounding set (port 25 in a private network namespace, the installed
# spool, separate uids), reloads on the unit's ExecReload signal, and
# fail2ban-regex with the installed filter finds in its log exactly the
# clients that misbehaved; make uninstall removes it all, but a changed
# control file and a spool holding mail.  Needs root (unshare -n, the
# supervisor's root start).
if [ -z "${PORTCULLIS_IN_NETNS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root (unshare -n, the supervisor's root start)"
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
chmod 755 "$tmp"
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
ip link set lo up

dest=$tmp/root
# the build the suite runs on: make's own tree (O=) for the binaries, so
# that nothing is rebuilt, with the sanitizer's flags when it is .san
o=$(dirname "$BIN")
san=
case $o in */.san) san=SANITIZE=1 ;; esac
inst() {	# inst TARGET [VAR=VALUE...]
	make -s -C "$top" O="$o" $san PREFIX=/usr DESTDIR="$dest" "$@" \
		>"$tmp/make.out" 2>&1
}
like_file() { if grep -Eq -- "$3" "$2"; then _result 1 "$1"; else _result 0 "$1" "$(cat "$2")"; fi; }

# --- what make install lays out ------------------------------------------
inst install
is 'make install DESTDIR= PREFIX=/usr: 0' "$?" 0
missing=
for t in "$top"/cmd/*.c; do
	t=$(basename "$t" .c)
	[ -x "$dest/usr/bin/$t" ] || missing="$missing bin/$t"
	[ -f "$dest/usr/share/man/man8/$t.8" ] || missing="$missing man8/$t.8"
done
for r in "$top"/share/rules/*; do
	[ -e "$dest/usr/share/portcullis/rules/$(basename "$r")" ] || missing="$missing rules/$(basename "$r")"
done
for f in etc/portcullis/README etc/portcullis/me etc/portcullis/relayclients \
    etc/portcullis/routes usr/lib/systemd/system/portcullis.service \
    etc/logrotate.d/portcullis etc/fail2ban/filter.d/portcullis.conf \
    etc/fail2ban/jail.d/portcullis.conf etc/cron.d/portcullis \
    usr/share/man/man5/portcullis-control.5 usr/share/man/man7/portcullis.7; do
	[ -f "$dest/$f" ] || missing="$missing $f"
done
is '... every program, page, rule file and system file' "$missing" ''
is '... the spool, 0700 until the supervisor makes it its owner'"'"'s' \
	"$(stat -c %a "$dest/var/spool/portcullis")" 700
is '... the log folder, 0750' "$(stat -c %a "$dest/var/log/portcullis")" 750
is '... the rules a link rules-update can turn' "$(readlink "$dest/usr/share/portcullis/rules")" rules-dist
unit=$dest/usr/lib/systemd/system/portcullis.service
like_file '... the unit runs the installed supervisor on /etc/portcullis' "$unit" \
	'^ExecStart=/usr/bin/portcullis -C /etc/portcullis -Q /var/spool/portcullis$'
like_file '... reloads with SIGHUP' "$unit" '^ExecReload=kill -HUP \$MAINPID$'
like_file '... checks the configuration first' "$unit" '^ExecStartPre=/usr/bin/portcullis -n '
like_file 'the jail reads the log the unit writes' "$dest/etc/fail2ban/jail.d/portcullis.conf" \
	'^logpath += /var/log/portcullis/portcullis.log$'
like_file 'logrotate turns over that log' "$dest/etc/logrotate.d/portcullis" \
	'^/var/log/portcullis/portcullis.log \{$'
n=$(grep -Evc '^[[:space:]]*(#|$)' "$dest/etc/portcullis/me" "$dest/etc/portcullis/relayclients" \
	"$dest/etc/portcullis/routes" "$dest/etc/portcullis/listen" | awk -F: '{ s += $2 } END { print s }')
is 'the example control files hold only comments' "$n" 0
run "$dest/usr/bin/portcullis" -n -C "$dest/etc/portcullis" -Q "$tmp/nq"
is_exit '... and portcullis -n accepts them' 0
err_like '... (every default)' 'configuration ok: .*1 listeners'
run logrotate -d -s "$tmp/lr.state" "$dest/etc/logrotate.d/portcullis"
is_exit 'logrotate -d reads the installed file' 0
unlike '... without an error' 'error'

# --- systemd-analyze verify ------------------------------------------------
# the unit as installed, but its programs looked up under DESTDIR: verify
# checks that ExecStart= names an executable
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s|=/usr/bin/portcullis|=$dest/usr/bin/portcullis|" "$unit" >"$tmp/portcullis.service"
	run systemd-analyze verify --man=no "$tmp/portcullis.service"
	is_exit 'systemd-analyze verify: 0' 0
	is '... and no warning' "$err$out" ''
else
	echo "ok $((_n + 1)) # SKIP systemd-analyze is not installed (package systemd)"
	_n=$((_n + 1))
fi

# --- the installed gateway under the unit's bounding set ------------------
# the capability names of CapabilityBoundingSet=, for setpriv
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' |
	sed 's/cap_//g; s/^/+/; s/ /,+/g')
ok 'the unit names a bounding set' test -n "$caps"
ctl=$dest/etc/portcullis
export PORTCULLIS_CONTROL="$ctl"
md=$tmp/md
mkdir "$md"
printf '127.0.0.1:25\n' >"$ctl/listen"
printf 'gw.ourco.test\n' >"$ctl/me"
printf 'ourco.test\n' >"$ctl/localdomains"
printf 'ourco.test maildir:%s/%%u\n' "$md" >"$ctl/routes"
printf '3\n' >"$ctl/maxerrors"
printf '1\n' >"$ctl/greetdelay"
printf '2\n' >"$ctl/maxperip"
printf '4k\n' >"$ctl/databytes"
printf 'spoof-check -a\n' >"$ctl/chain.in"
users=
if getent passwd daemon >/dev/null && getent passwd man >/dev/null &&
    getent passwd lp >/dev/null; then
	printf 'nobody\n' >"$ctl/user"
	printf 'daemon\n' >"$ctl/smtpduser"
	printf 'man\n' >"$ctl/scanuser"
	printf 'lp\n' >"$ctl/deliveryuser"
	chown lp "$md"
	users=1
else
	chown 65534 "$md"
fi
Q=$dest/var/spool/portcullis
log=$dest/var/log/portcullis/portcullis.log
PORTCULLIS_LOGTIME=1 setpriv --bounding-set=-all,$caps --no-new-privs \
	"$dest/usr/bin/portcullis" -C "$ctl" -Q "$Q" >>"$log" 2>&1 &
gw=$!
up=0
for i in $(seq 100); do
	grep -q 'listening on 127.0.0.1 port 25' "$log" && grep -q 'portcullis: started:' "$log" 2>/dev/null && { up=1; break; }
	kill -0 $gw 2>/dev/null || break
	sleep 0.1
done
is 'the installed supervisor starts under the unit'"'"'s bounding set, on port 25' "$up" 1
[ $up = 1 ] || cat "$log" | sed 's/^/# /'
if [ -n "$users" ]; then
	like_file '... as the queue owner, door, stages and delivery apart' "$log" \
		'running as nobody \(uid 65534\); door daemon, stages man, delivery lp'
fi
is '... the spool now the queue owner'"'"'s' "$(stat -c %U "$Q")" nobody

# clients, each from an address of its own on 127/8
$py - "$tmp" <<'PY' >"$tmp/clients.out" 2>&1
import smtplib, socket, sys, time
tmp = sys.argv[1]
def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(('127.0.0.1', 25))
    s.settimeout(20)
    return s
def banner(s):
    data = b''
    while not data.endswith(b'\n'):
        b = s.recv(512)
        if not b:
            break
        data += b
    return data
def drain(s):
    data = b''
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
    except OSError:
        pass
    return data
# a real sender: one message, accepted
c = smtplib.SMTP('127.0.0.1', 25, source_address=('127.0.0.1', 0), timeout=20)
c.sendmail('alice@outside.test', ['bob@ourco.test'],
    'From: alice@outside.test\r\nTo: bob@ourco.test\r\nSubject: hello\r\n'
    'Message-ID: <1@outside.test>\r\nDate: Wed, 2 Dec 2026 10:00:00 +0000\r\n\r\nhi\r\n')
c.quit()
# a web request on the SMTP port
s = conn('127.0.0.2'); banner(s); s.sendall(b'GET / HTTP/1.0\r\n\r\n'); drain(s)
# talks before the banner
s = conn('127.0.0.3'); s.sendall(b'EHLO now.example\r\n'); drain(s)
# errors past maxerrors
s = conn('127.0.0.4'); banner(s); s.sendall(b'FOO\r\nBAR\r\nBAZ\r\nQUUX\r\n'); drain(s)
# a message too big: refused at the door (aggressive mode only)
c = smtplib.SMTP('127.0.0.1', 25, source_address=('127.0.0.5', 0), timeout=20)
c.ehlo('big.example')
c.mail('big@outside.test')    # no SIZE=: refused at the end of DATA
c.rcpt('bob@ourco.test')
c.data('From: big@outside.test\r\nSubject: big\r\n\r\n' + ('y' * 70 + '\r\n') * 100)
c.quit()
# three at once from one address, past maxperip 2
held = [conn('127.0.0.6'), conn('127.0.0.6')]
time.sleep(0.5)
s = conn('127.0.0.6'); drain(s)
for h in held:
    h.close()
print('clients done')
PY
like_file 'the clients ran' "$tmp/clients.out" '^clients done$'
for i in $(seq 100); do
	ls "$md"/bob/new/* >/dev/null 2>&1 && break
	sleep 0.1
done
ok 'the real message is delivered to the maildir' sh -c "ls '$md'/bob/new/* >/dev/null"
for i in $(seq 100); do
	[ "$(grep -c ' end=' "$log")" -ge 7 ] && grep -q 'too many connections' "$log" && break
	sleep 0.1
done

# ExecReload: kill -HUP $MAINPID
kill -HUP $gw
for i in $(seq 100); do
	grep -q 'reloaded:' "$log" && break
	sleep 0.1
done
like_file 'SIGHUP (ExecReload) reloads' "$log" 'portcullis: reloaded: 1 listeners'
kill $gw
wait $gw
gw=

# --- fail2ban-regex on the gateway's own log ------------------------------
filter=$dest/etc/fail2ban/filter.d/portcullis.conf
if command -v fail2ban-regex >/dev/null 2>&1; then
	run fail2ban-regex -o ip "$log" "$filter"
	is 'fail2ban: the misbehaving clients, each once' "$(printf '%s\n' "$out" | sort)" \
"127.0.0.2
127.0.0.3
127.0.0.4
127.0.0.6"
	run fail2ban-regex -o ip "$log" "$filter[mode=aggressive]"
	like_file '... (the log has each end)' "$log" 'ip=127.0.0.2 .* end=http$'
	like_file '... (the log has each end)' "$log" 'ip=127.0.0.3 .* end=pregreet$'
	like_file '... (the log has each end)' "$log" 'ip=127.0.0.4 .* end=errors$'
	is '... mode=aggressive: and the one whose message was refused' "$(printf '%s\n' "$out" | sort)" \
"127.0.0.2
127.0.0.3
127.0.0.4
127.0.0.5
127.0.0.6"
	run fail2ban-regex "$log" "$filter"
	like '... dates read from the gateway'"'"'s stamps' 'Date template hits:'
	unlike '... no line without a date' 'no date|[1-9][0-9]* without date'
else
	echo "ok $((_n + 1)) # SKIP fail2ban-regex is not installed (package fail2ban)"
	_n=$((_n + 1))
fi

# --- make uninstall ------------------------------------------------------
# changed control files stay; mail in the spool stays
mkdir -p "$Q/quarantine/new"
echo mail >"$Q/quarantine/new/1.x"
inst uninstall
is 'make uninstall: 0' "$?" 0
like_file '... keeps a changed control file' "$tmp/make.out" 'keeping .*/etc/portcullis/me \(changed\)'
like_file '... keeps a spool that holds mail' "$tmp/make.out" 'keeping .*/var/spool/portcullis: it holds mail'
ok '... and the mail in it' test -f "$Q/quarantine/new/1.x"
unchanged=
[ -e "$dest/etc/portcullis/README" ] && unchanged=README
is '... removes the unchanged examples' "$unchanged" ''
cp "$log" "$tmp/gw.log"
rm -rf "$Q" "$dest/var/log/portcullis"
for f in me localdomains routes listen maxerrors greetdelay maxperip databytes \
    chain.in user smtpduser scanuser deliveryuser; do
	rm -f "$ctl/$f"
done
inst uninstall
is '... then removes everything' "$(cd "$dest" && find . -type f -o -type l)" ''
ok '... the control directory too' test ! -e "$ctl"

done_testing
