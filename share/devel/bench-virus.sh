#!/bin/sh
# bench-virus.sh BIN [CORPUS]: virus-scan beside clamdscan on the same
# messages, both against one private clamd (a database this script
# writes: EICAR and ClamAV's test executable) on a unix socket: the clean
# corpus (default ../shared/corpus, first 1000 messages), then the same
# number of infected messages (the test executable attached in the
# containers clamav-testfiles ships), then virus-scan with a second clamd
# listed, for the cost of a second engine.  Prints messages per second
# and milliseconds per message for each.
set -eu
BIN=${1:?usage: bench-virus.sh BIN [CORPUS]}
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${2:-$top/../shared/corpus}
TF=/usr/share/clamav-testfiles
N=${BENCH_VIRUS_N:-1000}
if ! [ -x /usr/sbin/clamd ] || ! command -v clamdscan >/dev/null 2>&1 ||
    ! [ -d "$corpus" ] || ! [ -d "$TF" ]; then
	echo "bench-virus: skipped (needs clamav-daemon, clamdscan, clamav-testfiles and $corpus)"
	exit 0
fi
tmp=$(mktemp -d)
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

E='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
clamd_up() {	# clamd_up NAME
	mkdir -p "$tmp/$1.db"
	echo "Eicar-Test:0:*:$(printf '%s' "$E" | od -An -tx1 | tr -d ' \n')" >"$tmp/$1.db/t.ndb"
	echo "$(md5sum <"$TF/clam.exe" | cut -d' ' -f1):$(wc -c <"$TF/clam.exe" | tr -d ' '):Clamav.Test.File-6" \
		>"$tmp/$1.db/t.hdb"
	printf 'Foreground yes\nDatabaseDirectory %s\nLocalSocket %s\nLogFile %s\n' \
		"$tmp/$1.db" "$tmp/$1.sock" "$tmp/$1.log" >"$tmp/$1.conf"
	/usr/sbin/clamd -c "$tmp/$1.conf" >/dev/null 2>&1 &
	pids="$pids $!"
	for _i in $(seq 300); do [ -S "$tmp/$1.sock" ] && return 0; sleep 0.1; done
	echo "bench-virus: clamd $1 did not start" >&2
	exit 1
}
clamd_up a
clamd_up b

find "$corpus" -type f | sort | head -n "$N" >"$tmp/clean.list"
n=$(wc -l <"$tmp/clean.list")
mkdir "$tmp/inf"
i=0
set -- $(cd "$TF" && ls clam.zip clam.7z clam.tar.gz clam.cab clam.exe.bz2 clam.arj clam.exe)
while [ "$i" -lt "$n" ]; do
	for f; do
		[ "$i" -lt "$n" ] || break
		{ printf 'From: a@example.net\nTo: b@example.org\nSubject: %s\n' "$i"
		  printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n'
		  printf -- '--B\nContent-Type: text/plain\n\nsee attached\n--B\n'
		  printf 'Content-Type: application/octet-stream; name="%s"\n' "$f"
		  printf 'Content-Transfer-Encoding: base64\n\n'
		  base64 "$TF/$f"; printf -- '--B--\n'; } >"$tmp/inf/$i.eml"
		i=$((i + 1))
	done
done
ls "$tmp"/inf/*.eml >"$tmp/inf.list"

mkdir "$tmp/ctl"
echo "$tmp/a.sock" >"$tmp/ctl/clamd"
printf 'LocalSocket %s\n' "$tmp/a.sock" >"$tmp/clamdscan.conf"

# run LABEL SET CMD...: time CMD over the files of SET
run() {
	label=$1 set=$2
	shift 2
	start=$(date +%s.%N)
	"$@" $(cat "$tmp/$set.list") >"$tmp/out" 2>/dev/null || :
	end=$(date +%s.%N)
	hits=$(grep -Ec ' (reject|FOUND)' "$tmp/out" || :)
	awk -v l="$label" -v n="$n" -v s="$start" -v e="$end" -v h="$hits" 'BEGIN {
		t = e - s
		printf "%-40s %5d messages in %6.2f s: %7.1f msg/s, %6.2f ms/msg, %d found\n",
		    l, n, t, n / t, 1000 * t / n, h
	}'
}
export PORTCULLIS_CONTROL="$tmp/ctl"
# clamd keeps the hashes of clean files it scanned: each tool's first
# pass over a set is cold, its second warm (what a rescan meets)
run "virus-scan, clean, cold" clean "$BIN/virus-scan"
run "virus-scan, clean, warm" clean "$BIN/virus-scan"
run "virus-scan, infected" inf "$BIN/virus-scan"
echo "$tmp/b.sock" >"$tmp/ctl/clamd"
printf 'LocalSocket %s\n' "$tmp/b.sock" >"$tmp/clamdscan.conf"
run "clamdscan --stream, clean, cold" clean clamdscan -c "$tmp/clamdscan.conf" --stream --no-summary
run "clamdscan --stream, clean, warm" clean clamdscan -c "$tmp/clamdscan.conf" --stream --no-summary
run "clamdscan --stream, infected" inf clamdscan -c "$tmp/clamdscan.conf" --stream --no-summary
echo 0 >"$tmp/ctl/virusleafbytes"
run "virus-scan, no leaves, clean, warm" clean "$BIN/virus-scan"
run "virus-scan, no leaves, infected" inf "$BIN/virus-scan"
rm "$tmp/ctl/virusleafbytes"
printf '%s\n%s\n' "$tmp/a.sock" "$tmp/b.sock" >"$tmp/ctl/clamd"
run "virus-scan, two engines, clean, warm" clean "$BIN/virus-scan"
run "virus-scan, two engines, infected" inf "$BIN/virus-scan"
