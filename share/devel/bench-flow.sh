#!/bin/sh
# bench-flow.sh BINDIR: the end-to-end rows of make bench, all in one run.
# Corpus messages (CORPUS, default ../shared/corpus; shuffled once, the
# same order for every row, so ham and spam mix) sent by SMTP, one
# connection each, through:
#   - portcullis: its default inbound chain judging at the door (spam
#     refused 5xx at the end of DATA), relay-out into a maildir route;
#     its DNS (auth-check's) a loopback dnsmasq answering NXDOMAIN to
#     all, and no anti-virus engine (virus-scan flags mail unscanned):
#     network checks off, as for rspamd;
#   - Postfix alone: a private instance on a free loopback port, smtpd,
#     cleanup, qmgr, virtual into a maildir;
#   - Postfix with rspamd as a milter: the same Postfix with
#     smtpd_milters pointing at the project's private rspamd
#     (share/devel/rspamd-instance.sh, network checks off) in milter mode,
#     the stack an administrator would pick instead of portcullis.
# Each at BENCH_FLOW_CONCS concurrent clients ("1 10 50"), BENCH_FLOW_MSGS
# messages a row (2000).  For each row: messages answered 250, refused
# 5xx at the door (handled: nothing queued, nothing bounced), failed (4xx
# or no answer), landed (maildir + quarantine), messages handled a second
# from the first connection until the last accepted one has landed, CPU
# per message handled, and the reply latency at the end of DATA (median
# and 99th percentile: the time around the DATA command, body included).
#
# CPU per message is the machine's busy time (/proc/stat) over the row
# less the load generator's own CPU (one process, bench-flow.py: the
# clients and the watcher, by getrusage).  On a machine shared with other
# work that column carries the others' work too; the "own" column is the
# CPU of the system's own process trees (the supervisor and all it starts;
# Postfix's master and its children, plus rspamd's), which does not, but
# misses what the kernel does outside them (journal commits, loopback
# softirqs).  Both are printed.
#
# Then how cost grows with message size (BENCH_FLOW_SIZES, "SIZE:MSGS ...",
# generated messages with an attachment; BENCH_FLOW_SIZE_CONC clients) and
# with concurrent connections (BENCH_FLOW_CONNS, "1 50 200 500"; at least
# BENCH_FLOW_CONN_MSGS messages a row and twice the clients), for
# portcullis and Postfix with rspamd; the ratios portcullis / Postfix with
# rspamd; and the supervisor's resident memory through a longer burst
# (BENCH_FLOW_RSS_MSGS, 10000), which must stay flat.  Each system first
# gets BENCH_FLOW_WARM messages (40), not counted: its processes started,
# its rules loaded, as in a gateway that has been up for a while.  BENCH_FLOW_VERBOSE
# prints each row's raw line on stderr as it ends.  Without rspamd
# (deps.sh bench installs it) the Postfix-with-rspamd rows are left out.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
msgs=${BENCH_FLOW_MSGS:-2000}
concs=${BENCH_FLOW_CONCS:-${BENCH_FLOW_CONC:-1 10 50}}
rssmsgs=${BENCH_FLOW_RSS_MSGS:-10000}
sizes=${BENCH_FLOW_SIZES:-1024:100 102400:50 1048576:20 20971520:4}
sizeconc=${BENCH_FLOW_SIZE_CONC:-4}
conns=${BENCH_FLOW_CONNS:-1 50 200 500}
connmsgs=${BENCH_FLOW_CONN_MSGS:-200}
warm=${BENCH_FLOW_WARM:-40}
corpus=${CORPUS:-$top/../shared/corpus}
py=/usr/bin/python3
flowpy=$top/share/devel/bench-flow.py
PORTCULLIS_RULES=${PORTCULLIS_RULES:-$top/share/rules}
export PORTCULLIS_RULES
[ -d "$corpus" ] || { echo "bench-flow: fatal: no corpus at $corpus (set CORPUS=)" >&2; exit 111; }
for c in postfix postconf; do
	command -v $c >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v $c >/dev/null 2>&1 || { echo "bench-flow: fatal: $c missing (deps.sh bench)" >&2; exit 111; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench-flow.XXXXXX")
chmod 755 "$work"
res=$work/res
mkdir -p "$res"
gw=
pf=
. "$top/share/devel/rspamd-instance.sh"
dnspid=
cleanup() {
	[ -n "$gw" ] && kill "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
	[ -n "$dnspid" ] && kill "$dnspid" 2>/dev/null
	for _d in "$work/p1/pf" "$work/p2/pf"; do
		[ -f "$_d/main.cf" ] && postfix -c "$_d" stop >/dev/null 2>&1
	done
	rspamd_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
freeport() {
	$py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
waitport() {	# waitport PORT: until something answers there (5 s)
	for _i in $(seq 50); do
		$py -c "import socket; socket.create_connection(('127.0.0.1', $1)).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
find "$corpus" -type f -name '*.txt' | sort >"$work/list"
[ -s "$work/list" ] || { echo "bench-flow: fatal: no *.txt messages in $corpus" >&2; exit 111; }
verbose() { [ -n "${BENCH_FLOW_VERBOSE:-}" ] && echo "bench-flow: $*" >&2; return 0; }

# flow KEY ARGS...: one row by bench-flow.py, its line kept in res/KEY
flow() {
	_k=$1
	shift
	$py "$flowpy" "$@" >"$res/$_k" 2>"$res/$_k.err" ||
		echo "bench-flow: row $_k failed: $(tail -n 1 "$res/$_k.err")" >&2
	verbose "$_k: $(cat "$res/$_k")"
	grep -q 'stalled=1' "$res/$_k" 2>/dev/null &&
		echo "bench-flow: row $_k: nothing landed for 60 s; gave up waiting" >&2
	return 0
}
# get KEY FIELD: one value of a row's line
get() {
	tr ' ' '\n' <"$res/$1" 2>/dev/null | sed -n "s/^$2=//p"
}

# how busy the machine is before any row: the others' work
idle=$($py -c '
import os, time
def b():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v[:8]) - v[3] - v[4], sum(v[:8])
a = b(); time.sleep(2); c = b()
print("%.0f" % (100.0 * (c[0] - a[0]) / max(1, c[1] - a[1])))')

# --- portcullis --------------------------------------------------------
gport=$(freeport)
ctl=$work/ctl
Q=$work/q
mkdir -p "$ctl" "$work/md/bench/new" "$work/md/bench/cur" "$work/md/bench/tmp"
chown -R 65534:65534 "$work/md"
printf 'bench.example\n' >"$ctl/me"
printf 'ourco.example\n' >"$ctl/localdomains"
printf '127.0.0.1:%s\n' "$gport" >"$ctl/listen"
printf 'ourco.example maildir:%s/md/%%u\nsender.example maildir:%s/md/%%u\n' \
	"$work" "$work" >"$ctl/routes"
printf '1000\n' >"$ctl/maxconnections"
printf '1000\n' >"$ctl/maxperip"
# Network checks off, as for rspamd below: auth-check's questions (SPF,
# DKIM keys, DMARC of the corpus's real sender domains) go to a dnsmasq on
# loopback that answers NXDOMAIN to everything at once, not to the world
dport=$(freeport)
/usr/sbin/dnsmasq --port="$dport" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --keep-in-foreground --pid-file= --user=root \
	--local=/#/ 2>/dev/null &
dnspid=$!
printf '127.0.0.1@%s\n' "$dport" >"$ctl/resolvers"
"$bin/portcullis" -C "$ctl" -Q "$Q" 2>"$work/gw.log" &
gw=$!
waitport "$gport" || { echo "bench-flow: fatal: portcullis is not listening; its log:" >&2
	tail -n 5 "$work/gw.log" >&2; exit 111; }
gwflow() {	# gwflow KEY MSGS CONC SOURCE-ARGS...
	_k=$1 _n=$2 _c=$3
	shift 3
	flow "$_k" --port "$gport" --msgs "$_n" --conc "$_c" --tree "$gw" \
		--done "$work/md/bench/new" --done "$Q/quarantine/new" \
		--empty "$Q/incoming/new" --empty "$Q/outgoing/new" "$@"
}
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$gw/status"; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$gw/status"; }
# a warm-up, not counted, as for every system: the first messages pay for
# starting processes and loading rules
gwflow warm "$warm" 4 --list "$work/list"
rss0=$(rss)
for c in $concs; do
	gwflow "gw.main.$c" "$msgs" "$c" --list "$work/list" --shuffle
done
rss1=$(rss)
for s in $sizes; do
	gwflow "gw.size.${s%%:*}" "${s#*:}" "$sizeconc" --size "${s%%:*}"
done
for c in $conns; do
	n=$connmsgs
	[ "$n" -lt $((2 * c)) ] && n=$((2 * c))
	gwflow "gw.conn.$c" "$n" "$c" --list "$work/list" --shuffle
done

# --- the supervisor's memory through a longer burst ----------------------
step=$((rssmsgs / 5))
line="supervisor RSS (KB) after 0 messages: $rss0, $msgs: $rss1"
sent=0
while [ "$step" -gt 0 ] && [ "$sent" -lt "$rssmsgs" ]; do
	gwflow rss "$step" 10 --list "$work/list"
	grep -q 'stalled=1' "$res/rss" && break
	sent=$((sent + step))
	line="$line, +$sent: $(rss)"
	verbose "$line"
done
rssline="$line; peak $(hwm) KB (must stay flat)"
kill "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
gw=

# --- Postfix: alone, then with rspamd as a milter ------------------------
pfstart() {	# pfstart DIR [MAIN.CF-LINE...]: a private Postfix in DIR on a free port
	pw=$1
	shift
	pf=$pw/pf
	pport=$(freeport)
	mkdir -p "$pw/pfmail/bench/new" "$pw/pfmail/bench/cur" "$pw/pfmail/bench/tmp"
	chown -R 65534:65534 "$pw/pfmail"
	chmod -R 700 "$pw/pfmail/bench"
	sh "$top/share/devel/postfix-instance.sh" "$pw" "$pport" bench.example \
	    'smtpd_recipient_restrictions = permit_mynetworks, reject' \
	    'smtpd_client_connection_count_limit = 0' \
	    'smtpd_client_connection_rate_limit = 0' 'default_process_limit = 600' \
	    'message_size_limit = 52428800' 'virtual_mailbox_limit = 0' \
	    'virtual_mailbox_domains = ourco.example' \
	    "virtual_mailbox_base = $pw/pfmail" 'virtual_mailbox_maps = static:bench/' \
	    'virtual_uid_maps = static:65534' 'virtual_gid_maps = static:65534' \
	    'virtual_minimum_uid = 100' "$@" || return 1
	waitport "$pport" || return 1
	pfpid=$(tr -d ' ' <"$pw/pfq/pid/master.pid")
}
pfflow() {	# pfflow KEY MSGS CONC SOURCE-ARGS...
	_k=$1 _n=$2 _c=$3
	shift 3
	set -- "$@" --tree "$pfpid"
	[ -n "$rspamd_pid" ] && set -- "$@" --tree "$rspamd_pid"
	flow "$_k" --port "$pport" --msgs "$_n" --conc "$_c" \
		--done "$pw/pfmail/bench/new" "$@"
}
pfstart "$work/p1" || { echo "bench-flow: fatal: postfix did not start" >&2; exit 111; }
pfflow warm "$warm" 4 --list "$work/list"
for c in $concs; do
	pfflow "pf.main.$c" "$msgs" "$c" --list "$work/list" --shuffle
done
postfix -c "$pf" stop >/dev/null 2>&1
pfv=$(postconf -d -h mail_version 2>/dev/null)

withrspamd=
if ! command -v rspamd >/dev/null 2>&1; then
	echo "bench-flow: no rspamd (deps.sh bench installs it): no Postfix+rspamd rows" >&2
elif ! rspamd_start "$work" "$(freeport)" "$(freeport)"; then
	echo "bench-flow: rspamd did not start: no Postfix+rspamd rows" >&2
else
	mport=$(sed -n 's/.*bind_socket = "127.0.0.1:\([0-9]*\)".*/\1/p' "$rspamd_dir/rspamd.conf" | tail -n 1)
	rv=$(rspamd -v | awk '{ print $NF }')
	if pfstart "$work/p2" "smtpd_milters = inet:127.0.0.1:$mport" 'milter_protocol = 6' \
	    'milter_default_action = accept'; then
		withrspamd=1
		pfflow warm "$warm" 4 --list "$work/list"
		for c in $concs; do
			pfflow "pr.main.$c" "$msgs" "$c" --list "$work/list" --shuffle
		done
		# the row is real only if rspamd saw the mail
		f=$(find "$pw/pfmail/bench/new" -type f | head -n 1)
		if [ -z "$f" ] || ! grep -q '^X-Spamd-Result:' "$f"; then
			echo "bench-flow: a message delivered through Postfix+rspamd has no X-Spamd-Result: the milter was not applied" >&2
			withrspamd=0
		fi
		for s in $sizes; do
			pfflow "pr.size.${s%%:*}" "${s#*:}" "$sizeconc" --size "${s%%:*}"
		done
		for c in $conns; do
			n=$connmsgs
			[ "$n" -lt $((2 * c)) ] && n=$((2 * c))
			pfflow "pr.conn.$c" "$n" "$c" --list "$work/list" --shuffle
		done
		postfix -c "$pf" stop >/dev/null 2>&1
	else
		echo "bench-flow: postfix with the milter did not start" >&2
	fi
	rspamd_stop
fi

# --- the tables ------------------------------------------------------------
# figures KEY: handled, msgs/s, CPU ms/msg (the machine less the load
# generator and the others' processes), raw (the machine less the load
# generator), own (the system's process trees)
figures() {
	[ -s "$res/$1" ] || { echo "- - - - -"; return; }
	tr ' ' '\n' <"$res/$1" | awk -F= '{ v[$1] = $2 } END {
		h = v["ok"] + v["rej"]
		if (h == 0 || v["t_end"] == 0) { print "0 - - - -"; exit }
		printf "%d %.1f %.2f %.2f %.2f\n", h, h / v["t_end"],
			1000 * (v["busy"] - v["gen"] - v["others"]) / h,
			1000 * (v["busy"] - v["gen"]) / h, 1000 * v["tree"] / h }'
}
# mainrow NAME KEY CLIENTS
mainrow() {
	if [ ! -s "$res/$2" ]; then printf '%-30s %4s  (no result)\n' "$1" "$3"; return; fi
	set -- "$1" "$2" "$3" $(figures "$2")
	_land=$(get "$2" land)
	_q=$(echo "$_land" | awk -F, '{ print ($2 == "") ? "" : "+" $2 "q" }')
	printf '%-30s %4s %6s %5s %5s %10s %7s %7s %7s %7s %7s %7s\n' "$1" "$3" \
		"$(get "$2" ok)" "$(get "$2" rej)" \
		"$(($(get "$2" tmp) + $(get "$2" err)))" "${_land%%,*}$_q" "$5" "$6" "$8" "$7" \
		"$(get "$2" p50)" "$(get "$2" p99)"
	grep -q 'stalled=1' "$res/$2" && printf '%-30s      (stalled: not all accepted mail landed)\n' ''
	return 0
}
hdr() {
	printf '%-30s %4s %6s %5s %5s %10s %7s %7s %7s %7s %7s %7s\n' '' clients \
		'250' '5xx' failed landed 'msgs/s' 'CPU ms' 'own ms' 'raw ms' 'p50 ms' 'p99 ms'
}
printf '\nend to end, SMTP in to maildir out: %s corpus messages a row, one connection each\n' "$msgs"
printf '(machine busy %s%% of %s cores before the rows, with work of others: "raw ms" counts it)\n' \
	"$idle" "$(nproc)"
hdr
for c in $concs; do mainrow 'portcullis, default chain' "gw.main.$c" "$c"; done
for c in $concs; do mainrow "Postfix $pfv alone" "pf.main.$c" "$c"; done
if [ -n "$withrspamd" ]; then
	_t="Postfix+rspamd $rv milter"
	[ "$withrspamd" = 0 ] && _t="$_t (NO HEADER)"
	for c in $concs; do mainrow "$_t" "pr.main.$c" "$c"; done
fi
cat <<'EOT'
(250: accepted; 5xx: refused at the end of DATA, handled, nothing queued or
bounced; failed: 4xx or no answer; landed: maildir + quarantine; msgs/s: 250
and 5xx a second until the last accepted message landed; CPU ms: the machine's
busy time less the load generator's and the other userland processes' CPU, per
message handled (the system's processes, the kernel's threads and interrupts);
own ms: the system's own processes only; raw ms: the machine's busy time less
the load generator's; p50/p99: reply latency around the DATA command)
EOT
[ "$withrspamd" = 1 ] &&
	echo "(Postfix+rspamd: mail delivered through it carries rspamd's X-Spamd-Result)"

# ratio ROW-A ROW-B: "rate x, CPU x" of A over B
ratio() {
	set -- "$(figures "$1")" "$(figures "$2")"
	echo "$1 $2" | awk '$2+0 > 0 && $7+0 > 0 && $3+0 > 0 && $8+0 > 0 && $10+0 > 0 {
		printf "%.2f %.2f %.2f", $2 / $7, $3 / $8, $5 / $10; exit } { print "- - -" }'
}
if [ "$withrspamd" = 1 ]; then
	printf '\nportcullis / Postfix+rspamd (rate: higher is better; CPU per message: lower is better; target: rate 2x or more)\n'
	behind=
	for c in $concs; do
		set -- $(ratio "gw.main.$c" "pr.main.$c")
		v=
		[ "$1" != - ] && v=$(echo "$1 $2 $3" | awk '{
			if ($1 < 1) s = "BEHIND on rate"; else if ($1 < 2) s = "ahead on rate, short of 2x"; else s = "2x or more on rate"
			if ($2 > 1) s = s ", MORE CPU a message"
			if ($3 > 1) s = s ", MORE CPU a message (own)"
			print s }')
		printf '  %3s clients: rate %5sx, CPU/msg %5sx, %5sx own  %s\n' "$c" "$1" "$2" "$3" "$v"
		case $v in *BEHIND*|*MORE*) behind=1 ;; esac
	done
	[ -n "$behind" ] && echo "  portcullis is behind Postfix with rspamd where marked above."
fi

# size and connection tables: portcullis beside Postfix+rspamd
costrow() {	# costrow NAME KEY LABEL
	if [ ! -s "$res/$2" ]; then printf '%-22s %8s  (no result)\n' "$1" "$3"; return; fi
	set -- "$1" "$2" "$3" $(figures "$2")
	printf '%-22s %8s %5s %5s %5s %6s %8s %8s %8s %8s %8s\n' "$1" "$3" \
		"$(get "$2" sent)" "$(get "$2" ok)" "$(get "$2" rej)" \
		"$(($(get "$2" tmp) + $(get "$2" err)))" "$5" "$6" "$8" \
		"$(get "$2" p50)" "$(get "$2" p99)"
	_e=$(get "$2" errs)
	[ "$_e" != - ] && [ -n "$_e" ] && printf '%-22s %8s (no answer: %s)\n' '' '' "$_e"
	grep -q 'stalled=1' "$res/$2" && printf '%-22s %8s (stalled: not all accepted mail landed)\n' '' ''
	return 0
}
costhdr() {
	printf '%-22s %8s %5s %5s %5s %6s %8s %8s %8s %8s %8s\n' '' "$1" msgs 250 5xx failed \
		'msgs/s' 'CPU ms' 'own ms' 'p50 ms' 'p99 ms'
}
printf '\ncost by message size: generated messages (text, then a base64 attachment), %s clients\n' "$sizeconc"
printf '(portcullis databytes defaults to 50 MB; the Postfix message_size_limit is raised to 50 MB)\n'
costhdr size
for s in $sizes; do
	z=${s%%:*}
	l=$(echo "$z" | awk '{ if ($1 >= 1048576) printf "%g MB", $1 / 1048576; else printf "%g KB", $1 / 1024 }')
	costrow portcullis "gw.size.$z" "$l"
	[ -n "$withrspamd" ] && costrow 'Postfix+rspamd' "pr.size.$z" "$l"
done
printf '\ncost by concurrent connections: corpus messages, %s a row or twice the clients\n' "$connmsgs"
printf '(portcullis maxconnections and maxperip 1000; Postfix default_process_limit 600)\n'
costhdr clients
for c in $conns; do
	costrow portcullis "gw.conn.$c" "$c"
	[ -n "$withrspamd" ] && costrow 'Postfix+rspamd' "pr.conn.$c" "$c"
done

printf '\n%s\n' "$rssline"
