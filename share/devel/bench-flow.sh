#!/bin/sh
# bench-flow.sh BINDIR: the end-to-end rows of make bench.  Corpus
# messages (CORPUS, default ../shared/corpus) sent by SMTP through a
# running portcullis (the default inbound chain, then relay-out into a
# maildir route) and, beside it, through Postfix alone (a private
# instance on a free loopback port delivering with its virtual agent into
# a maildir): messages per second from the first connection until the
# last message is in its maildir, both fsyncing every step.  Then the
# supervisor's resident memory through a longer burst, which must stay
# flat.  BENCH_FLOW_MSGS messages per row (2000), BENCH_FLOW_RSS_MSGS in
# the burst (10000), BENCH_FLOW_CONC concurrent clients (10), one
# connection per message.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
msgs=${BENCH_FLOW_MSGS:-2000}
rssmsgs=${BENCH_FLOW_RSS_MSGS:-10000}
conc=${BENCH_FLOW_CONC:-10}
corpus=${CORPUS:-$top/../shared/corpus}
py=/usr/bin/python3
PORTCULLIS_RULES=${PORTCULLIS_RULES:-$top/share/rules}
export PORTCULLIS_RULES
[ -d "$corpus" ] || { echo "bench-flow: fatal: no corpus at $corpus (set CORPUS=)" >&2; exit 111; }
for c in postfix postconf; do
	command -v $c >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v $c >/dev/null 2>&1 || { echo "bench-flow: fatal: $c missing (deps.sh bench)" >&2; exit 111; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench-flow.XXXXXX")
chmod 755 "$work"
gw=
pf=$work/pf
cleanup() {
	[ -n "$gw" ] && kill "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
	[ -f "$pf/main.cf" ] && postfix -c "$pf" stop >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
freeport() {
	$py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
find "$corpus" -type f -name '*.txt' | sort >"$work/list"
[ -s "$work/list" ] || { echo "bench-flow: fatal: no *.txt messages in $corpus" >&2; exit 111; }

# send.py PORT N: N corpus messages (cycling through the list) to
# bench@ourco.example, conc clients, one connection per message; prints
# how many were answered 250.
cat >"$work/send.py" <<'EOP'
import smtplib, sys, threading
port, n, conc, lst = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
files = [l.strip() for l in open(lst) if l.strip()]
msgs = []
for f in files:
    b = open(f, 'rb').read()
    if b.startswith(b'From '):           # the mbox line is not part of the message
        b = b.split(b'\n', 1)[1] if b'\n' in b else b''
    b = b.replace(b'\r\n', b'\n').replace(b'\r', b'\n').replace(b'\n', b'\r\n')
    if not b.endswith(b'\r\n'):
        b += b'\r\n'
    msgs.append(b)
lock, nxt, ok = threading.Lock(), [0], [0]
def worker():
    while True:
        with lock:
            i = nxt[0]
            if i >= n:
                return
            nxt[0] += 1
        try:
            s = smtplib.SMTP('127.0.0.1', port, timeout=120)
            s.sendmail('sender@sender.example', ['bench@ourco.example'],
                       msgs[i % len(msgs)], mail_options=['BODY=8BITMIME'])
            s.quit()
            with lock:
                ok[0] += 1
        except Exception:
            pass
ts = [threading.Thread(target=worker) for _ in range(conc)]
for t in ts: t.start()
for t in ts: t.join()
print(ok[0])
EOP
now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '$3 > $2 { printf "%.1f", $1 / ($3 - $2); exit } { print "-" }'; }
count() { find "$@" -type f 2>/dev/null | wc -l; }

# --- portcullis --------------------------------------------------------
gport=$(freeport)
ctl=$work/ctl
Q=$work/q
mkdir -p "$ctl" "$work/md"
chown 65534:65534 "$work/md"
printf 'bench.example\n' >"$ctl/me"
printf 'ourco.example\n' >"$ctl/localdomains"
printf '127.0.0.1:%s\n' "$gport" >"$ctl/listen"
printf 'ourco.example maildir:%s/md/%%u\nsender.example maildir:%s/md/%%u\n' \
	"$work" "$work" >"$ctl/routes"
printf '1000\n' >"$ctl/maxconnections"
printf '1000\n' >"$ctl/maxperip"
"$bin/portcullis" -C "$ctl" -Q "$Q" 2>"$work/gw.log" &
gw=$!
for i in $(seq 50); do
	$py -c "import socket; socket.create_connection(('127.0.0.1', $gport)).close()" \
		2>/dev/null && break
	sleep 0.1
done
# the gateway is done when its queue is empty and every accepted message
# has landed: in the maildir, in quarantine, or bounced
gw_done() {	# gw_done ACKED: 1 when nothing moved for 60 s
	_last= _still=0
	while [ $_still -lt 600 ]; do
		_left=$(count "$Q/incoming/new" "$Q/outgoing/new")
		_n=$(count "$work/md" "$Q/quarantine/new")
		[ "$_left" = 0 ] && [ "$_n" -ge "$1" ] && return 0
		if [ "$_n.$_left" = "$_last" ]; then _still=$((_still + 1)); else _still=0; fi
		_last=$_n.$_left
		sleep 0.1
	done
	return 1
}
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$gw/status"; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$gw/status"; }
rss0=$(rss)
t0=$(now)
acked=$($py "$work/send.py" "$gport" "$msgs" "$conc" "$work/list")
ts=$(now)
gw_done "$acked" || { echo "bench-flow: the gateway stalled; its log:" >&2; tail -5 "$work/gw.log" >&2; }
t1=$(now)
a=$(rate "$acked" "$t0" "$t1")
ain=$(rate "$acked" "$t0" "$ts")
ga=$acked
gdel=$(count "$work/md/bench")
gq=$(count "$Q/quarantine/new")
rss1=$(rss)

# --- Postfix alone: smtpd, cleanup, qmgr, virtual into a maildir -------
pport=$(freeport)
mkdir -p "$work/pfmail"
chown 65534:65534 "$work/pfmail"
if ! sh "$top/share/devel/postfix-instance.sh" "$work" "$pport" bench.example \
    'smtpd_recipient_restrictions = permit_mynetworks, reject' \
    'smtpd_client_connection_count_limit = 0' \
    'smtpd_client_connection_rate_limit = 0' 'default_process_limit = 200' \
    'virtual_mailbox_domains = ourco.example' \
    "virtual_mailbox_base = $work/pfmail" 'virtual_mailbox_maps = static:bench/' \
    'virtual_uid_maps = static:65534' 'virtual_gid_maps = static:65534' \
    'virtual_minimum_uid = 100'; then
	echo "bench-flow: fatal: postfix did not start" >&2
	exit 111
fi
sleep 0.5
t0=$(now)
packed=$($py "$work/send.py" "$pport" "$msgs" "$conc" "$work/list")
ts=$(now)
for i in $(seq 6000); do
	[ "$(count "$work/pfmail/bench/new")" -ge "$packed" ] && break
	sleep 0.1
done
t1=$(now)
p=$(rate "$packed" "$t0" "$t1")
pin=$(rate "$packed" "$t0" "$ts")
postfix -c "$pf" stop >/dev/null 2>&1

r=$(echo "$a $p" | awk '$1+0 > 0 && $2+0 > 0 { printf "%.2f", $1 / $2; exit } { print "-" }')
printf '\nend to end, SMTP in to maildir out, %s corpus messages, %s clients, one connection each\n' \
	"$msgs" "$conc"
printf '%-34s %9s %10s %10s %8s\n' '' accepted delivered 'accepted/s' 'msgs/s'
printf '%-34s %9s %10s %10s %8s\n' 'portcullis (default inbound chain)' "$ga" \
	"$gdel+${gq}q" "$ain" "$a"
printf '%-34s %9s %10s %10s %8s\n' "Postfix $(postconf -d -h mail_version 2>/dev/null) (smtpd, virtual)" \
	"$packed" "$(count "$work/pfmail/bench/new")" "$pin" "$p"
printf '%-34s %41s\n' 'ratio portcullis/Postfix, end to end' "$r"

# --- the supervisor's memory through a longer burst ----------------------
step=$((rssmsgs / 5))
line="supervisor RSS (KB) after 0 messages: $rss0, $msgs: $rss1"
sent=$msgs
done_n=$((gdel + gq))
while [ "$sent" -lt "$((msgs + rssmsgs))" ]; do
	$py "$work/send.py" "$gport" "$step" "$conc" "$work/list" >/dev/null
	done_n=$(count "$work/md/bench" "$Q/quarantine/new")
	gw_done "$done_n" || break
	sent=$((sent + step))
	line="$line, $sent: $(rss)"
	[ -n "${BENCH_FLOW_VERBOSE:-}" ] && echo "# $line" >&2
done
printf '\n%s; peak %s KB (must stay flat)\n' "$line" "$(hwm)"
