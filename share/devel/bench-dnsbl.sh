#!/bin/sh
# bench-dnsbl.sh BIN [CORPUS]: dnsbl-check in batch over a corpus of real
# mail (default ../shared/corpus), against a real rbldnsd behind dnsmasq
# on free loopback ports, with a client list, a domain list and a URI
# list whose data this script writes (a few of the corpus's own link
# domains are listed, so that hits happen).  Prints messages per second,
# DNS queries per second and how many were answered from the cache.
set -eu
BIN=${1:?usage: bench-dnsbl.sh BIN [CORPUS]}
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${2:-$top/../shared/corpus}
py=/usr/bin/python3
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
freeport() {
	$py -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
files=$(find "$corpus" -type f -name '*.txt' | sort)
n=$(printf '%s\n' "$files" | wc -l)

printf ':127.0.0.2:listed\n192.0.2.66\n198.51.100.0/24\n' >"$tmp/bl4"
printf ':127.0.1.2:listed $\nevil.test\n' >"$tmp/dbl"
# every 50th registered domain the corpus links to is listed
{ echo ":127.0.0.2:link listed"
  cat $files | grep -Eoi 'https?://[a-z0-9.-]+' | tr A-Z a-z |
  sed 's|.*//||' | awk -F. 'NF>=2 {print $(NF-1)"."$NF}' | sort -u | awk 'NR%50==0'
} >"$tmp/uri"
chmod 644 "$tmp"/*
rport=$(freeport)
rbldnsd -n -q -u nobody -w "$tmp" -b "127.0.0.1/$rport" bl.test:ip4set:bl4 \
	dbl.test:dnset:dbl uri.test:dnset:uri >/dev/null 2>&1 &
pids="$pids $!"
dport=$(freeport)
# everything else the lists forward gets NXDOMAIN from rbldnsd; the
# reverse zone of the client is dnsmasq's own
dnsmasq --port="$dport" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --keep-in-foreground --pid-file= --user=root \
	--server=/bl.test/127.0.0.1#$rport --server=/dbl.test/127.0.0.1#$rport \
	--server=/uri.test/127.0.0.1#$rport --local=/2.0.192.in-addr.arpa/ \
	--address=/mail.good.test/192.0.2.10 --local=/good.test/ \
	--ptr-record=10.2.0.192.in-addr.arpa,mail.good.test \
	--cache-size=10000 2>/dev/null &
pids="$pids $!"
sleep 0.5
ctl=$tmp/control
mkdir "$ctl"
echo "127.0.0.1@$dport" >"$ctl/resolvers"
echo 'bl.test*3' >"$ctl/dnsbl"
echo 'dbl.test*2' >"$ctl/rhsbl"
echo 'uri.test*2' >"$ctl/uribl"

for ip in 192.0.2.10 192.0.2.66; do
	start=$(date +%s.%N)
	PORTCULLIS_CONTROL=$ctl DNSBL_CHECK_STATS=1 "$BIN/dnsbl-check" \
		--direction in --ip $ip $files >"$tmp/out" 2>"$tmp/err" || :
	end=$(date +%s.%N)
	stats=$(grep 'stats:' "$tmp/err" | sed 's/.*stats: //')
	q=$(echo "$stats" | sed 's/.*queries=\([0-9]*\).*/\1/')
	c=$(echo "$stats" | sed 's/.*cached=\([0-9]*\).*/\1/')
	awk -v n="$n" -v s="$start" -v e="$end" -v q="$q" -v c="$c" -v ip="$ip" \
	    -v rej="$(grep -c ' reject ' "$tmp/out")" \
	    -v tf="$(grep -c ' tempfail ' "$tmp/out")" 'BEGIN {
		t = e - s
		printf "dnsbl-check --ip %s: %d messages in %.2f s, %.0f msg/s; " \
		    "%d DNS queries (%.0f/s), %d answered from the cache; " \
		    "%d rejected, %d tempfail\n", ip, n, t, n / t, q, q / t, c, rej, tf
	}'
done

# raw rate, no cache: one message linking 1000 distinct domains, all asked
# at once in one round
{ printf 'From: <bob@good.test>\nSubject: links\n\n'
  i=0; while [ $i -lt 1000 ]; do echo "http://www.d$i.example/"; i=$((i + 1)); done
} >"$tmp/links.eml"
echo 1000 >"$ctl/urimax"
start=$(date +%s.%N)
PORTCULLIS_CONTROL=$ctl DNSBL_CHECK_STATS=1 "$BIN/dnsbl-check" --direction in \
	--ip 192.0.2.10 "$tmp/links.eml" >"$tmp/out" 2>"$tmp/err" || :
end=$(date +%s.%N)
q=$(sed -n 's/.*stats: queries=\([0-9]*\).*/\1/p' "$tmp/err")
awk -v s="$start" -v e="$end" -v q="$q" 'BEGIN {
	printf "one message, %d queries at once, no cache: %.3f s, %.0f queries/s\n",
	    q, e - s, q / (e - s) }'
