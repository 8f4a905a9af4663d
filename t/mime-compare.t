#!/bin/sh
# The parser differential in CI: share/devel/mime-compare.py compares
# mime-explode's strict reading with Python's email package (compat32 and
# default policies) over the development corpus and every message of the
# peer MIME suites, read in place under ../shared (or $PORTCULLIS_SHARED).
# A disagreement not listed, with its reason, in
# t/data/mime-compare.explained fails the run; see the script's header for
# what is compared and how the lenient readings are counted.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
script=$top/share/devel/mime-compare.py
shared=${PORTCULLIS_SHARED:-$top/../shared}
if [ ! -d "$shared/corpus" ] && [ ! -d "$shared/peer-suites/mime" ]; then
	echo "1..0 # SKIP no corpus nor peer MIME suites under $shared"
	exit 0
fi

run $py "$script" "$BIN" "$shared"
is_exit 'no disagreement with Python that is not explained' 0
[ "$rc" = 0 ] || printf '%s\n' "$out" | grep ': NEW: ' | sed 's/^/# /'
unlike '... none new' ': NEW: '
like 'the count of messages compared is printed' '^compared: [1-9][0-9]* messages'
like '... and how many agree' '^agree: [0-9]+ of [0-9]+'
like '... and the explained ones, by kind' '^disagree: [0-9]+, explained [0-9]+, new 0$'
printf '%s\n' "$out" | grep -E '^(compared|agree|disagree|covered|  kind|extra)|: (stale|better):' |
	sed 's/^/# /'
if [ -d "$shared/corpus/ham" ]; then
	# the corpus is real mail: it must stay nearly all in agreement
	n=$(printf '%s\n' "$out" | grep -c '^corpus/.*: NEW')
	is 'no new disagreement on the corpus' "$n" 0
fi

# the check itself: with nothing explained, Thunderbird's test messages
# (read through a link, not copied) give new disagreements and exit 1
if [ -d "$shared/peer-suites/mime/thunderbird-jsmime" ]; then
	mkdir -p "$tmp/sh/peer-suites/mime"
	ln -s "$shared/peer-suites/mime/thunderbird-jsmime" "$tmp/sh/peer-suites/mime/"
	: >"$tmp/none"
	run $py "$script" --explained "$tmp/none" "$BIN" "$tmp/sh"
	is_exit 'an unexplained disagreement fails the run' 1
	like '... and is named' '^peer-suites/mime/thunderbird-jsmime/multipart-complex2: NEW: disagrees under both'
	like '... with what was compared' '^compared: 19 messages'
fi
run $py "$script" "$BIN" "$tmp/nowhere"
is_exit 'no messages at all is a setup error' 111
done_testing
