#!/bin/sh
# bench-rewriters.sh BINDIR: the rewriters' part of make bench (run it
# alone with the same argument).  Over the corpus (CORPUS, default
# ../shared/corpus): add-disclaimer beside altermime (Debian's package,
# the disclaimer tool of many Postfix and qmail sites) with the same text
# and HTML disclaimer, and link-defang, each as a process per message and
# add-disclaimer and link-defang also as the gateway runs them, one
# resident given a job per message (t/serve-job.py).  Prints messages,
# wall seconds, messages/s and CPU seconds, then what each disclaimer
# tool's output is worth, read back by Python's email package: messages
# whose decoded body text shows the disclaimer, messages with more MIME
# defects than they came with, and messages whose attachments no longer
# decode to the same bytes.
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
printf '100000\n' >"$work/ctl/stagemaxuse"
printf 'This e-mail and its attachments are confidential and meant for the\naddressee only.  Ourco Ltd, registered in Cardiff.\n' \
	>"$work/ctl/disclaimer"
printf '<p class="legal">This e-mail and its attachments are confidential and meant for the addressee only.  Ourco Ltd, registered in Cardiff.</p>\n' \
	>"$work/ctl/disclaimer.html"
export PORTCULLIS_CONTROL="$work/ctl"
unset DIRECTION SENDER

now() { date +%s.%N; }
# cpu: user+system seconds of this shell's finished children so far,
# from the file row() has times write (times must run in this shell, not
# in a $(...) subshell)
cpu() {
	tail -n 1 "$work/times" | tr 'ms' '  ' |
		awk '{ printf "%.3f", $1 * 60 + $2 + $3 * 60 + $4 }'
}
# each DIR CMD...: CMD once per message, its output into DIR/N
each() {
	d=$1
	shift
	mkdir -p "$work/$d"
	i=0
	while read -r f; do
		i=$((i + 1))
		"$@" <"$f" >"$work/$d/$i" 2>/dev/null
	done <"$work/list"
}
# altermime edits a file in place: a copy, then the edit
alter() {
	mkdir -p "$work/alt"
	i=0
	while read -r f; do
		i=$((i + 1))
		cp "$f" "$work/alt/$i"
		altermime --input="$work/alt/$i" --disclaimer="$work/ctl/disclaimer" \
			--disclaimer-html="$work/ctl/disclaimer.html" --htmltoo \
			>/dev/null 2>&1
	done <"$work/list"
}
row() {	# row NAME CMD...: time CMD, print a line
	name=$1
	shift
	times >"$work/times"
	c0=$(cpu)
	t0=$(now)
	"$@"
	t1=$(now)
	times >"$work/times"
	c1=$(cpu)
	printf '%-48s %6d %8.2f %8.0f %8.2f\n' "$name" "$n" \
		"$(echo "$t1 - $t0" | bc -l)" "$(echo "$n / ($t1 - $t0)" | bc -l)" \
		"$(echo "$c1 - $c0" | bc -l)"
}
resident() {	# resident NAME PROG...: one resident over every message
	name=$1
	shift
	t0=$(now)
	# shellcheck disable=SC2046 # the corpus's paths have no blanks
	set -- $(/usr/bin/python3 "$top/t/serve-job.py" --quiet --cpu -- "$@" -- \
		$(cat "$work/list") | sed -n 's/^cpu \([0-9.]*\) jobs \([0-9]*\) hwm \([0-9]*\)$/\1 \2/p')
	t1=$(now)
	if [ "${2:-0}" -eq "$n" ]; then
		printf '%-48s %6d %8.2f %8.0f %8.2f\n' "$name" "$n" \
			"$(echo "$t1 - $t0" | bc -l)" "$(echo "$n / ($t1 - $t0)" | bc -l)" "$1"
	else
		echo "($name: the resident did ${2:-0} of $n jobs)"
	fi
}

echo "corpus: $corpus ($n messages)"
printf '%-48s %6s %8s %8s %8s\n' "what" "msgs" "seconds" "msgs/s" "cpu s"
row "floor: cat, a process per message" each cat cat
row "add-disclaimer, a process per message" each dis "$bin/add-disclaimer"
resident "add-disclaimer, resident, as the gateway" "$bin/add-disclaimer"
if command -v altermime >/dev/null 2>&1; then
	row "ref: altermime --htmltoo, a process per message" alter
else
	echo "(altermime not installed: apt-get install altermime)"
fi
row "link-defang, a process per message" each def "$bin/link-defang"
resident "link-defang, resident, as the gateway" "$bin/link-defang"

echo
echo "what the disclaimer tools' output is worth (Python's email package):"
/usr/bin/python3 - "$work" "$work/list" <<'PY'
import hashlib, os, sys
from email import message_from_bytes, policy
work, lst = sys.argv[1], sys.argv[2]
files = open(lst).read().split()
key = "confidentialandmeantforthe"

def look(raw):
    m = message_from_bytes(raw, policy=policy.default)
    defects, shown, att = 0, False, []
    for p in m.walk():
        defects += len(p.defects)
        if p.is_multipart():
            continue
        try:
            if p.get_content_disposition() == "attachment":
                att.append(hashlib.sha256(p.get_payload(decode=True) or b"").hexdigest())
            elif p.get_content_maintype() == "text":
                t = "".join(c for c in p.get_content().lower() if c.isalpha())
                shown = shown or key in t
        except Exception:
            defects += 1
    return defects, shown, att

print("%-34s %8s %10s %12s" % ("tool", "shown", "+defects", "attach.diff"))
for name, d in (("add-disclaimer", "dis"), ("altermime", "alt")):
    if not os.path.isdir(os.path.join(work, d)):
        continue
    shown = worse = diff = 0
    for i, f in enumerate(files, 1):
        a = look(open(f, "rb").read())
        b = look(open(os.path.join(work, d, str(i)), "rb").read())
        shown += b[1]
        worse += b[0] > a[0]
        diff += a[2] != b[2]
    print("%-34s %8d %10d %12d" % (name, shown, worse, diff))
PY
