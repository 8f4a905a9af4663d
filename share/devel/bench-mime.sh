#!/bin/sh
# bench-mime.sh BINDIR: the mime-explode and filetype-check part of make
# bench (bench.sh runs it; run it alone with the same arguments).  Takes
# the corpus (CORPUS, default ../shared/corpus) apart beside the tools
# administrators use for it, in the same run on the same files: Python's
# email package (compat32, one process), ripmime, munpack (mpack), mshow
# (mblaze) and reformime (maildrop), each writing every part into a
# scratch directory emptied between rows.  Prints messages, wall
# seconds, messages/s, peak resident KB of one process on the largest
# message, MB/s over the corpus's bytes, CPU seconds (user and system,
# all processes of the row) and MB per CPU second, and the runs that died
# by a signal.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${CORPUS:-$top/../shared/corpus}
[ -d "$corpus" ] || { echo "bench: fatal: no corpus at $corpus (set CORPUS=)" >&2; exit 111; }
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 111' INT TERM
find "$corpus" -type f -name "*.txt" | sort >"$work/list"
n=$(wc -l <"$work/list")
mkdir -p "$work/ctl"
export PORTCULLIS_CONTROL="$work/ctl" PORTCULLIS_RULES="$top/share/rules"
bytes=$(xargs cat <"$work/list" | wc -c)
big=$(xargs ls -S <"$work/list" 2>/dev/null | head -n 1)
out=$work/parts

now() { date +%s.%N; }
# cpu: user+system seconds of the finished children of this shell so
# far (times must run in this shell, not in a $(...) subshell); on a
# shared machine the CPU time says more than the wall clock.
cpu() {
	tail -n 1 "$work/times" | tr 'ms' '  ' |
		awk '{ printf "%.3f", $1 * 60 + $2 + $3 * 60 + $4 }'
}
rss() {	# rss CMD... < file: peak resident KB of one run
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}
# ran: after each run of a tool, count it as a crash when it died by a
# signal (status over 128; xargs says 125 when its command did).
crashes=0
ran() {
	if [ "$1" -gt 128 ] || [ "$1" -eq 125 ]; then crashes=$((crashes + 1)); fi
}
# mbs NAME CMD...: time CMD (which reads the list itself) after emptying
# the scratch directory, print a row.
mbs() {
	name=$1
	shift
	crashes=0
	fresh
	times >"$work/times"
	c0=$(cpu)
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	times >"$work/times"
	c1=$(cpu)
	el=$(echo "$t1 - $t0" | bc -l)
	cs=$(echo "$c1 - $c0 + 0.001" | bc -l)
	printf '%-46s %6d %7.2f %8.0f %8s %7.1f %7.2f %7.1f %7d\n' "$name" "$n" \
		"$el" "$(echo "$n / $el" | bc -l)" "$RSS" \
		"$(echo "$bytes / 1048576 / $el" | bc -l)" "$cs" \
		"$(echo "$bytes / 1048576 / $cs" | bc -l)" "$crashes"
}
fresh() { rm -rf "$out"; mkdir "$out"; }
batch() { xargs "$@" <"$work/list"; ran $?; }
each() {	# CMD once per message on stdin, as the gateway's chain runs it
	while read -r f; do "$@" <"$f"; ran $?; done <"$work/list"
}
each_in() {	# the same, inside the scratch directory (tools that write to .)
	while read -r f; do (cd "$out" && exec "$@" <"$f"); ran $?; done <"$work/list"
}
py_walk() {
	/usr/bin/python3 - "$work/list" <<'PY'
import sys, email, email.policy
for path in open(sys.argv[1]).read().split():
    with open(path, 'rb') as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.compat32)
    for p in m.walk():
        if not p.is_multipart():
            p.get_payload(decode=True)
PY
	ran $?
}

parts=$(xargs "$bin/mime-explode" --list <"$work/list" 2>/dev/null | wc -l)
echo "corpus: $corpus ($n messages, $bytes bytes, $parts parts and members);" \
	"largest: $(wc -c <"$big") bytes"
printf '%-46s %6s %7s %8s %8s %7s %7s %7s %7s\n' what msgs seconds msgs/s 'peak KB' \
	'MB/s' 'cpu s' 'MB/cpus' crashes

RSS=$(rss "$bin/mime-explode" -d "$work" <"$big")
mbs "mime-explode -d, one process, all files" batch "$bin/mime-explode" -d "$out"
mbs "mime-explode --list, one process, all files" batch "$bin/mime-explode" --list
mbs "mime-explode -d, a process per message" each "$bin/mime-explode" -d "$out"
RSS=$(rss cat <"$big")
mbs "floor: cat, a process per message" each cat
RSS=$(rss /usr/bin/python3 -c 'import sys,email,email.policy;m=email.message_from_binary_file(sys.stdin.buffer,policy=email.policy.compat32);[p.get_payload(decode=True) for p in m.walk()]' <"$big")
mbs "ref: python3 email walk+decode, one process" py_walk
if command -v ripmime >/dev/null 2>&1; then
	RSS=$(cd "$work" && rss ripmime -i - -d . <"$big")
	mbs "ref: ripmime, a process per message" each_in ripmime -i - -d .
fi
if command -v munpack >/dev/null 2>&1; then
	RSS=$(cd "$work" && rss munpack -q -t <"$big")
	mbs "ref: munpack -t (mpack), a process per message" each_in munpack -q -t
fi
if command -v mshow >/dev/null 2>&1; then
	RSS=$(cd "$work" && rss mshow -x /dev/stdin <"$big")
	mbs "ref: mshow -x (mblaze), a process per message" each_in mshow -x /dev/stdin
fi
if command -v reformime >/dev/null 2>&1; then
	RSS=$(cd "$work" && rss reformime -xpart- <"$big")
	mbs "ref: reformime -x (maildrop), a process per msg" each_in reformime -xpart-
fi
RSS=$(rss "$bin/filetype-check" --direction in <"$big")
mbs "filetype-check, one process, all files" batch "$bin/filetype-check" --direction in
echo "filetype-check, one process: $(echo "$parts / $el" | bc -l | cut -d. -f1) parts/s"
mbs "filetype-check, a process per message" each "$bin/filetype-check" --direction in
