#!/bin/sh
# bench.sh BINDIR: make bench.  Runs each portcullis tool over a corpus of
# real mail (CORPUS, default ../shared/corpus) beside a reference tool doing
# the nearest equivalent job, in the same run on the same machine, and
# prints one table: messages, wall seconds, messages per second and peak
# resident memory of one process.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${CORPUS:-$top/../shared/corpus}
[ -d "$corpus" ] || { echo "bench: fatal: no corpus at $corpus (set CORPUS=)" >&2; exit 111; }
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
find "$corpus" -type f -name "*.txt" | sort >"$work/list"
n=$(wc -l <"$work/list")
mkdir -p "$work/ctl"
printf 'gw.ourco.example\n' >"$work/ctl/me"
printf 'ourco.example\n' >"$work/ctl/localdomains"
printf 'exch01.corp.ourco.example\n' >"$work/ctl/internalhosts"
export PORTCULLIS_CONTROL="$work/ctl" PORTCULLIS_RULES="$top/share/rules"

now() { date +%s.%N; }
# row NAME CMD...: time CMD (which reads the list itself), print a line.
row() {
	name=$1
	shift
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	# peak RSS of one process handling the largest message in the corpus
	printf '%-44s %6d %8.2f %10.0f' "$name" "$n" \
		"$(echo "$t1 - $t0" | bc -l)" "$(echo "$n / ($t1 - $t0)" | bc -l)"
}
rss() {	# rss CMD... < file: peak resident KB of one run
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}
big=$(xargs ls -S <"$work/list" 2>/dev/null | head -n 1)

per_message() {	# run CMD once per message, as the gateway's chain does
	while read -r f; do "$@" <"$f"; done <"$work/list"
}
py_from() {
	/usr/bin/python3 - "$work/list" <<'PY'
import sys, email, email.policy
from email.utils import getaddresses
for path in open(sys.argv[1]).read().split():
    with open(path, 'rb') as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.compat32)
    getaddresses(m.get_all('From', []) + m.get_all('Sender', []))
PY
}

echo "corpus: $corpus ($n messages); largest: $(wc -c <"$big") bytes"
printf '%-44s %6s %8s %10s %10s\n' "what" "msgs" "seconds" "msgs/s" "peak KB"
line() { printf '%s %10s\n' "$(row "$@")" "$RSS"; }

# The floor of every "a process per message" row: fork, exec, read, write.
RSS=$(rss cat <"$big")
line "floor: cat, a process per message" per_message cat

RSS=$(rss "$bin/spoof-check" --direction in --sender a@b.example <"$big")
line "spoof-check, one process, all files" xargs "$bin/spoof-check" --direction in <"$work/list"
line "spoof-check, a process per message" per_message "$bin/spoof-check" --direction in
RSS=$(rss /usr/bin/python3 -c 'import sys,email,email.policy;from email.utils import getaddresses;m=email.message_from_binary_file(sys.stdin.buffer,policy=email.policy.compat32);getaddresses(m.get_all("From",[]))' <"$big")
line "ref: python3 email, From+Sender, one process" py_from

RSS=$(rss "$bin/header-strip" --direction out <"$big")
line "header-strip, a process per message" per_message "$bin/header-strip" --direction out
if command -v formail >/dev/null 2>&1; then
	RSS=$(rss formail -I X-Mailer: -I X-Originating-IP: -I X-MimeOLE: -I User-Agent: <"$big")
	line "ref: formail -I x4, a process per message" per_message formail -I X-Mailer: \
		-I X-Originating-IP: -I X-MimeOLE: -I User-Agent:
fi

# mime-explode and filetype-check, beside ripmime, munpack, mshow,
# reformime and Python's email package.
sh "$top/share/devel/bench-mime.sh" "$bin"
