#!/bin/sh
# demo.sh BINDIR: make demo.  Shows the filters at work on share/examples
# (header-strip, spoof-check, mime-explode, filetype-check, spam-score),
# then the whole gateway for a moment: the supervisor on a loopback port,
# one message through smtpd-accept, the inbound chain and relay-out into a
# maildir, and portcullis-queue's view of the queue; all with a throw-away
# control directory for the example organisation ourco.example.  make run
# is the gateway to keep running.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
ex=$top/share/examples
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-demo.XXXXXX")
gw=
trap '[ -n "$gw" ] && kill "$gw" 2>/dev/null; rm -rf "$work"' EXIT
ctl=$work/ctl
mkdir "$ctl"
printf 'gw.ourco.example\n' >"$ctl/me"
printf 'ourco.example\n' >"$ctl/localdomains"
printf '10.0.0.0/8\n' >"$ctl/relayclients"
printf 'exch01.corp.ourco.example\n.corp.ourco.example\n' >"$ctl/internalhosts"
PORTCULLIS_CONTROL=$ctl
PORTCULLIS_RULES=$top/share/rules
export PORTCULLIS_CONTROL PORTCULLIS_RULES

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Control directory (one setting per file):"
for f in "$ctl"/*; do printf '  %-14s %s\n' "$(basename "$f")" "$(tr '\n' ' ' <"$f")"; done

say "Outbound: $ex/outbound-exchange.eml crossed two internal Exchange hops."
say "Headers before header-strip:"
sed '/^$/q' "$ex/outbound-exchange.eml"
say "Headers after  header-strip --direction out:"
"$bin/header-strip" --direction out <"$ex/outbound-exchange.eml" | sed '/^\r\{0,1\}$/q'
echo "(exit $?)"

say "spoof-check, one verdict line per file (batch mode, as a cron rescan runs it):"
DIRECTION=in "$bin/spoof-check" --sender attacker@evil.example \
	"$ex/inbound-spoof.eml" "$ex/inbound-display.eml" 2>/dev/null
echo "(exit $?: the worst verdict; 99 = quarantine)"
DIRECTION=in "$bin/spoof-check" --sender bob@partner.example \
	"$ex/inbound-legit.eml" 2>/dev/null
echo "(exit $?)"
DIRECTION=out "$bin/spoof-check" --sender alice@ourco.example \
	"$ex/outbound-exchange.eml" 2>/dev/null
echo "(exit $?)"
DIRECTION=out "$bin/spoof-check" --sender bob@partner.example \
	"$ex/inbound-legit.eml" 2>/dev/null
echo "(exit $?: 100 = reject; outbound mail must carry our domain)"

say "spoof-check -a (annotate, as the gateway's chain and procmail use it):"
DIRECTION=in "$bin/spoof-check" -a --sender attacker@evil.example \
	<"$ex/inbound-spoof.eml" 2>/dev/null | sed '/^$/q'

# A message with an executable named invoice.pdf (the headers of a
# Windows program, nothing more), and one with GTUBE, the standard spam
# test string.
att=$work/invoice.eml
/usr/bin/python3 - >"$att" <<'PY'
import base64
exe = bytearray(256)
exe[0:2] = b'MZ'; exe[0x3c] = 0x80; exe[0x80:0x86] = b'PE\0\0\x4c\x01'
exe[0x94] = 0xe0; exe[0x96:0x9a] = b'\x02\x01\x0b\x01'
print('From: billing@example.net\nTo: bob@ourco.example\nSubject: invoice\n'
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n'
      'Content-Type: text/plain\n\nPlease see the attached invoice.\n--b\n'
      'Content-Type: application/pdf; name=invoice.pdf\n'
      'Content-Disposition: attachment; filename=invoice.pdf\n'
      'Content-Transfer-Encoding: base64\n\n%s\n--b--' %
      base64.encodebytes(bytes(exe)).decode().strip())
PY
gtube=$work/gtube.eml
printf 'From: offers@example.net\nTo: bob@ourco.example\nSubject: offer\n\n%s\n' \
	'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X' >"$gtube"

say "mime-explode --list: the parts of a message with an 'invoice.pdf':"
"$bin/mime-explode" --list <"$att" 2>/dev/null

say "filetype-check judges the part by its bytes, not its name:"
"$bin/filetype-check" --direction in "$att" 2>/dev/null
echo "(exit $?: 100 = reject)"

say "spam-score: GTUBE, and the partner's mail:"
"$bin/spam-score" "$gtube" "$ex/inbound-legit.eml" 2>/dev/null
echo "(exit $?: GTUBE is spam, flagged: delivered marked, as spam-score(5) sets)"

# The gateway, started here on a port nobody uses; as root it drops to
# nobody, so its folders must be open to that user.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chmod 755 "$work" "$ctl"
mkdir "$work/maildir"
[ "$(id -u)" = 0 ] && chown nobody "$work/maildir"
printf '127.0.0.1:%s\n' "$port" >"$ctl/listen"
printf 'ourco.example maildir:%s/maildir/%%u\n' "$work" >"$ctl/routes"
say "portcullis -n: the whole configuration checked first (each part's --lint):"
"$bin/portcullis" -n -C "$ctl" -Q "$work/queue" 2>&1 | sed 's/^[0-9T:-]*Z //'
echo "(exit $?)"
say "The gateway: portcullis on a loopback port, one message through it:"
"$bin/portcullis" -C "$ctl" -Q "$work/queue" 2>"$work/gw.log" &
gw=$!
for i in $(seq 50); do
	/usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" \
		2>/dev/null && break
	sleep 0.1
done
/usr/bin/python3 - "$port" "$ex/inbound-legit.eml" <<'PY'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
code, reply = s.ehlo('client.example.net')
print('EHLO:', code, reply.decode().split('\n')[0])
s.mail('bob@partner.example')
s.rcpt('carol@ourco.example')
code, reply = s.data(open(sys.argv[2]).read())   # str: sent with CRLF
print('DATA:', code, reply.decode())
s.quit()
PY
for i in $(seq 100); do
	[ -n "$(ls "$work/maildir/carol/new" 2>/dev/null)" ] && break
	sleep 0.1
done
say "Delivered into the maildir route (its headers; the chain's are on top):"
sed '/^\r\{0,1\}$/q' "$work"/maildir/carol/new/* 2>/dev/null | cut -c1-100
say "The supervisor's log: one id from the door to the delivery:"
sed 's/^[0-9T:-]*Z //' "$work/gw.log" | grep -E 'qid=|started' | cut -c1-120
say "portcullis-queue stats (the queue is empty again):"
"$bin/portcullis-queue" -Q "$work/queue" stats
kill "$gw"
wait "$gw" 2>/dev/null
gw=
say "log-report: that log summed up (-H makes it a page with charts):"
"$bin/log-report" "$work/gw.log" | sed -n '/^Messages  *in /,/^  recipients delivered/p;/^Delays/p'

say "Try your own: $bin/spoof-check --direction in < message.eml"
echo "The gateway to keep running: make run (README).  Man pages: man cmd/*.8"
