#!/bin/sh
# bench-smtpd.sh BINDIR: the smtpd-accept part of make bench.  Messages
# per second accepted into the queue, fsync before 250 on both sides, by
# smtpd-accept (behind tcpserver) and by Postfix's smtpd (Debian's
# postfix, a private instance on a free loopback port whose mail is put on
# hold, so that no delivery competes), both driven by Postfix's
# smtp-source: 5 KB and 100 KB messages, 1, 10 and 50 concurrent clients,
# one connection per message.  Also the disk's own ceiling (5 KB files
# written, synced, renamed and the directory synced, one at a time) and
# the peak memory of one session.  BENCH_MSGS messages per cell (400).
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
msgs=${BENCH_MSGS:-400}
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench-smtpd.XXXXXX")
chmod 755 "$work"
pids=
pf=$work/pf
cleanup() {
	[ -f "$pf/main.cf" ] && postfix -c "$pf" stop >/dev/null 2>&1
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for c in tcpserver smtp-source postfix; do
	command -v $c >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v $c >/dev/null 2>&1 || { echo "bench: fatal: $c missing (deps.sh bench)" >&2; exit 111; }
done
freeport() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- smtpd-accept behind tcpserver, as nobody -----------------------------
mkdir -p "$work/ctl" "$work/q"
chown 65534:65534 "$work/q"
printf 'bench.example\n' >"$work/ctl/me"
printf 'ourco.example\n' >"$work/ctl/localdomains"
# tcpserver hands its environment on: no extra exec of env(1) per connection
PORTCULLIS_CONTROL=$work/ctl PORTCULLIS_QUEUE=$work/q \
	tcpserver -1 -HR -l bench.example -u 65534 -g 65534 -c 200 -b 200 \
	127.0.0.1 0 "$bin/smtpd-accept" >"$work/port" 2>/dev/null &
pids="$pids $!"

# --- the portcullis supervisor: its pool of smtpd-accept workers ----------
# The queue is held (concurrencyscan 0), as Postfix's is below: only the
# door is measured.
gport=$(freeport)
mkdir -p "$work/gctl" "$work/gq"
printf 'bench.example\n' >"$work/gctl/me"
printf 'ourco.example\n' >"$work/gctl/localdomains"
printf '127.0.0.1:%s\n' "$gport" >"$work/gctl/listen"
printf '0\n' >"$work/gctl/concurrencyscan"
printf '200\n' >"$work/gctl/maxconnections"
printf '200\n' >"$work/gctl/maxperip"
printf '10\n' >"$work/gctl/smtpdspare"
"$bin/portcullis" -C "$work/gctl" -Q "$work/gq" 2>"$work/gw.log" &
pids="$pids $!"

# --- Postfix: a private instance, everything it accepts put on hold -------
pport=$(freeport)
if ! sh "$top/share/devel/postfix-instance.sh" "$work" "$pport" bench.example \
    'relay_domains = ourco.example' \
    'smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject' \
    'smtpd_client_connection_count_limit = 0' \
    'smtpd_client_connection_rate_limit = 0' 'default_process_limit = 200'; then
	echo "bench: fatal: postfix did not start" >&2
	exit 111
fi
for i in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(head -1 "$work/port")
sleep 0.5

# The disk's ceiling: what the queue's protocol costs without SMTP.
ceiling=$(/usr/bin/python3 - "$work/fs" <<'EOP'
import os, sys, time
d = sys.argv[1]
os.makedirs(d + "/tmp"); os.makedirs(d + "/new")
data = b"x" * 5120
n, t0 = 0, time.time()
while time.time() - t0 < 3:
    p = "%s/tmp/%d" % (d, n)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data); os.fsync(fd); os.close(fd)
    os.rename(p, "%s/new/%d" % (d, n))
    dfd = os.open(d + "/new", os.O_RDONLY); os.fsync(dfd); os.close(dfd)
    n += 1
print("%.0f" % (n / (time.time() - t0)))
EOP
)

now() { date +%s.%N; }
# cell PORT SIZE CONC [-d]: messages per second, or "fail"; -d sends all
# of a client's messages over one connection
cell() {
	t0=$(now)
	if ! smtp-source ${4:-} -s "$3" -m "$msgs" -l "$2" -f a@sender.example \
	    -t x@ourco.example "127.0.0.1:$1" >"$work/src.log" 2>&1; then
		echo fail
		return
	fi
	t1=$(now)
	echo "$msgs $t0 $t1" | awk '{ printf "%.0f", $1 / ($3 - $2) }'
}
drain() {
	rm -rf "$work/q/incoming"
	rm -rf "$work/gq/incoming/new" "$work/gq/incoming/env"
	postsuper -c "$pf" -d ALL >/dev/null 2>&1
}

printf '\nsmtpd-accept vs Postfix %s smtpd: messages/s into the queue (fsync before 250), %s messages per cell\n' \
	"$(postconf -c "$pf" -h mail_version 2>/dev/null)" "$msgs"
printf 'disk ceiling (5 KB file: write, fsync, rename, fsync dir; one at a time): %s/s\n\n' "$ceiling"
printf 'smtpd-accept: behind tcpserver, a process per connection; portcullis: the supervisor'"'"'s\npre-started workers (smtpd-accept -w); ratio: portcullis / postfix\n\n'
printf '%-8s %7s %-11s %13s %10s %9s %6s\n' size clients connections smtpd-accept portcullis postfix ratio
row() {	# row SIZE CONC [-d]
	drain
	a=$(cell "$port" "$1" "$2" ${3:-})
	drain
	g=$(cell "$gport" "$1" "$2" ${3:-})
	drain
	p=$(cell "$pport" "$1" "$2" ${3:-})
	r=$(echo "$g $p" | awk '$1+0 > 0 && $2+0 > 0 { printf "%.2f", $1 / $2; exit } { print "-" }')
	printf '%-8s %7s %-11s %13s %10s %9s %6s\n' "$(($1 / 1024))K" "$2" \
		"$([ -n "${3:-}" ] && echo reused || echo per-msg)" "$a" "$g" "$p" "$r"
}
for size in 5120 102400; do
	for conc in 1 10 50; do
		row $size $conc
	done
done
row 5120 1 -d
row 5120 10 -d

# peak memory of one smtpd-accept session taking one 100 KB message
{
	printf 'EHLO m.example\r\nMAIL FROM:<a@m.example>\r\nRCPT TO:<x@ourco.example>\r\nDATA\r\n'
	printf 'Subject: m\r\n\r\n'
	head -c 76800 /dev/zero | tr '\0' 'x' | fold -w 76 | sed 's/$/\r/'
	printf '.\r\nQUIT\r\n'
} >"$work/m.smtp"
rss=$(cd "$work" && PORTCULLIS_CONTROL="$work/ctl" PORTCULLIS_QUEUE="$work/q" TCPREMOTEIP=127.0.0.1 \
	/usr/bin/time -f %M setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$bin/smtpd-accept" <"$work/m.smtp" 2>&1 >/dev/null | tail -1)
prss=$(ps -o rss= -C smtpd 2>/dev/null | sort -n | tail -1)
printf '\npeak RSS of one session: smtpd-accept %s KB (target < 4096), a Postfix smtpd process %s KB\n' \
	"$rss" "${prss:-?}"
