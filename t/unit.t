#!/bin/sh
# Runs every C unit test of lib/ (built by make check into
# $PORTCULLIS_UNIT) and passes on its TAP as one test each, with the
# failing lines shown.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${PORTCULLIS_UNIT:-$top/t/unit}
n=0
fail=0
for t in "$dir"/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	n=$((n + 1))
	name=$(basename "$t")
	o=$(cd "$top" && ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" \
		"$t" 2>&1)
	s=$?
	if [ $s = 0 ] && ! printf '%s\n' "$o" | grep -q '^not ok'; then
		echo "ok $n - lib unit: $name ($(printf '%s\n' "$o" | grep -c '^ok') checks)"
	else
		fail=$((fail + 1))
		echo "not ok $n - lib unit: $name (exit $s)"
		printf '%s\n' "$o" | grep -v '^ok' | sed 's/^/# /'
	fi
done
[ $n -gt 0 ] || { echo "not ok 1 - no unit tests found in $dir"; n=1; fail=1; }
echo "1..$n"
[ $fail = 0 ]
