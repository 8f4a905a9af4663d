#!/bin/sh
# Every program has a man page beside its source, and every page in the
# tree is well-formed mdoc (mandoc -Tlint, warnings included).
. "$(dirname "$0")/lib.sh"

for c in "$top"/cmd/*.c; do
	[ -e "$c" ] || continue
	p=${c%.c}.8
	ok "$(basename "$c") has a man page beside it" test -f "$p"
done
for p in "$top"/cmd/*.8 "$top"/share/man/*.[578]; do
	[ -e "$p" ] || continue
	run mandoc -Tlint -Wwarning "$p"
	is "$(basename "$p") is clean mdoc" "$out$err" ""
done
done_testing
