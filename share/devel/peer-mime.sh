#!/bin/sh
# peer-mime.sh BINDIR [-v]: how many of the peer suites' hostile messages
# get past the gateway's content and sender checks.  Reads in place (never
# copies) ../shared/peer-suites (or $PORTCULLIS_SHARED/peer-suites):
#
#   hide-content   noxxi/mime-is-broken: each message hides eicar.zip;
#                  "stopped" = filetype-check holds or refuses it (exit
#                  99 or 100), "found" = mime-explode lists eicar.com
#   hide-filename  each message hides the name file.zip; "seen" =
#                  mime-explode lists a name ending in .zip, "held" =
#                  filetype-check holds or refuses it
#   spoof          espoofer's server_a13 (built from its testcases.json as
#                  espoofer builds it) and Mailsploit's generic payload
#                  (a display name whose encoded words decode to CR, LF
#                  and NUL, written here from the published form):
#                  "caught" = spoof-check holds or refuses it
#
# Prints one line per set ("hide-content stopped 289/372 found 250/372")
# and, with -v, the X-Payload-Id of every message that got through.
# Exit 0; 111 when the suites are absent.
#
# Measured 2 December 2026, before and after the readings of issue 13:
#   hide-content   stopped 289/372 found 170/372 -> 372/372, 282/372
#   hide-filename  seen 102/176, held 138/176 -> seen 174/176 (the other
#                  two are named file.png and hide nothing), held 176/176
#   spoof          0/2 -> 2/2
set -u
bin=$(cd "${1:?usage: peer-mime.sh BINDIR [-v]}" && pwd)
verbose=${2:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${PORTCULLIS_SHARED:-$top/../shared}
suite=$shared/peer-suites
[ -d "$suite/mime/noxxi" ] || { echo "peer-mime: fatal: no suites at $suite" >&2; exit 111; }
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-peer.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 111' INT TERM
mkdir -p "$work/ctl"
echo legitimate.com >"$work/ctl/localdomains"
echo gw.legitimate.com >"$work/ctl/me"
export PORTCULLIS_CONTROL="$work/ctl" PORTCULLIS_RULES="$top/share/rules"

# verdicts FILE...: "path exit-class" lines from one batch run
verdicts() {
	"$bin/filetype-check" --direction in "$@" 2>/dev/null |
		sed -n 's/^\(.*\): filetype-check \([a-z]*\) .*/\1 \2/p'
}
# listed PATTERN FILE...: the files in whose --list a name matches
listed() {
	pat=$1
	shift
	"$bin/mime-explode" --list "$@" 2>/dev/null |
		awk -F'\t' -v pat="$pat" '{ n = $NF; f = $1; sub(/: [^:]*$/, "", f) }
			tolower(n) ~ pat { print f }' | sort -u
}
miss() {	# miss FILE: its payload id, for -v
	grep -a -m 1 '^X-Payload-Id:' "$1" | cut -c 15- | awk '{ print "  " $1 }'
}

set -- "$suite"/mime/noxxi/hide-content/*
n=$#
verdicts "$@" >"$work/hc.v"
listed '^eicar\.com$' "$@" >"$work/hc.found"
stopped=$(awk '$2 != "pass"' "$work/hc.v" | wc -l)
found=$(wc -l <"$work/hc.found")
echo "hide-content stopped $stopped/$n found $found/$n"
if [ "$verbose" = -v ]; then
	awk '$2 == "pass" { print $1 }' "$work/hc.v" | while read -r f; do
		grep -qxF "$f" "$work/hc.found" || miss "$f"
	done
fi

set -- "$suite"/mime/noxxi/hide-filename/*
n=$#
verdicts "$@" >"$work/hf.v"
listed '\.zip$' "$@" >"$work/hf.seen"
seen=$(wc -l <"$work/hf.seen")
held=$(awk '$2 != "pass"' "$work/hf.v" | wc -l)
either=$(awk '$2 != "pass" { print $1 }' "$work/hf.v" | cat - "$work/hf.seen" |
	sort -u | wc -l)
echo "hide-filename seen $seen/$n held $held/$n seen-or-held $either/$n"
if [ "$verbose" = -v ]; then
	awk '$2 == "pass" { print $1 }' "$work/hf.v" | while read -r f; do
		grep -qxF "$f" "$work/hf.seen" || miss "$f"
	done
fi

# espoofer builds its message as the From, To and Subject lines, the
# other header lines (ending in the empty line) and the body
python3 - "$suite/spoof/espoofer/testcases.json" "$work/a13.eml" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))['test_cases']['server_a13']['data']
m = t['from_header'] + t['to_header'] + t['subject_header'] + \
    t['other_headers'] + t['body']
open(sys.argv[2], 'wb').write(m.encode('latin-1'))
EOF
# Mailsploit's generic form: the spoofed name in one encoded word, then
# one that decodes to a line break and a NUL, then the real address
printf 'From: =?utf-8?b?%s?==?utf-8?Q?=0A=00?= <any@attack.com>\r\nTo: <victim@legitimate.com>\r\nSubject: x\r\n\r\nhi\r\n' \
	"$(printf 'Admin\r\n' | base64)" >"$work/mailsploit.eml"
caught=0
for f in a13 mailsploit; do
	env DIRECTION=in SENDER=any@attack.com "$bin/spoof-check" \
		<"$work/$f.eml" >"$work/$f.out" 2>/dev/null
	rc=$?
	if [ "$rc" = 99 ] || [ "$rc" = 100 ]; then caught=$((caught + 1))
	elif [ "$verbose" = -v ]; then echo "  $f: $(cat "$work/$f.out")"; fi
done
echo "spoof caught $caught/2"
exit 0
