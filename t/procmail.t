#!/bin/sh
# procmail: the recipes the README and the man pages give, run by a real
# procmail (-m, as an MTA's delivery would run it).  A checker that cannot
# decide (111: here a control file it cannot use) must leave the message
# in the MTA's queue (procmail exits 75, EX_TEMPFAIL) and deliver nothing:
# a bare ":0 fw" recipe would deliver it unchecked ("Rescue of unfiltered
# data").  A maildir folder is filed into without a lock file.
. "$(dirname "$0")/lib.sh"

control localdomains ourco.example
bad=$tmp/bad
mkdir "$bad"
printf 'many\n' >"$bad/headerfields"
printf 'From: alice@example.net\nTo: bob@ourco.example\nSubject: hello\n\nhi\n' >"$tmp/m.eml"
printf 'From: alice@example.net\nTo: bob@ourco.example\nSubject: offer\n\n%s\n' \
	'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X' >"$tmp/gtube.eml"

# The literal recipe of the README (the indented lines after "In procmail:")
# and of a page's EXAMPLES (the display after the words given).
readme_recipe() {
	awk '/In procmail:$/ { on = 1; next }
	     on && /^[^ ]/ { exit }
	     on { sub(/^    /, ""); print }' "$top/README"
}
page_recipe() {	# page_recipe PAGE WORDS
	awk -v w="$2" 'index($0, w) { on = 1; next }
	     on && /^\.Bd/ { in_bd = 1; next }
	     in_bd && /^\.Ed/ { exit }
	     in_bd { print }' "$top/cmd/$1"
}
# deliver CONTROLDIR RECIPE < MESSAGE: procmail with the recipe, then a
# last recipe into the maildir inbox/; exit status in $rc, log in $plog
deliver() {
	rm -rf "$tmp/mail" "$tmp/procmail.log"
	mkdir "$tmp/mail"
	{
		echo "SHELL=/bin/sh"
		echo "PATH=$BIN:/usr/bin:/bin"
		echo "PORTCULLIS_CONTROL=$1"
		echo "PORTCULLIS_RULES=$PORTCULLIS_RULES"
		echo "MAILDIR=$tmp/mail"
		echo "LOGFILE=$tmp/procmail.log"
		printf '%s\n' "$2"
		printf ':0\ninbox/\n'
	} >"$tmp/rc"
	run procmail -m "$tmp/rc"
	plog=$(cat "$tmp/procmail.log" 2>/dev/null)
}
count() { ls "$tmp/mail/$1/new" 2>/dev/null | wc -l; }

recipe=$(readme_recipe)
ok 'the README has a procmail recipe' test -n "$recipe"

deliver "$PORTCULLIS_CONTROL" "$recipe" <"$tmp/m.eml"
is_exit 'README recipe, the checker works: delivered (0)' 0
is '... into the inbox' "$(count inbox)" 1
ok '... with the checker'"'"'s header' grep -q '^Authentication-Results: ' "$tmp"/mail/inbox/new/*

deliver "$bad" "$recipe" <"$tmp/m.eml"
is_exit 'README recipe, the checker exits 111: back to the MTA (75)' 75
is '... nothing delivered' "$(count inbox)" 0
ok '... procmail saw the failure' sh -c 'printf "%s\n" "$1" | grep -q "Program failure (111)"' sh "$plog"

# why the second recipe is there: without it the message goes on unchecked
deliver "$bad" "$(printf ':0 fw\n| spoof-check -a -t --direction in\n')" <"$tmp/m.eml"
is_exit 'a bare ":0 fw" recipe: procmail exits 0 ...' 0
is '... and delivers the message unchecked' "$(count inbox)" 1
ok '... (procmail'"'"'s "Rescue of unfiltered data")' sh -c 'printf "%s\n" "$1" | grep -q "Rescue of unfiltered data"' sh "$plog"

for page in spam-score spoof-check dnsbl-check header-strip; do
	r=$(page_recipe "$page.8" 'A procmail recipe')
	ok "$page(8) has a procmail recipe" test -n "$r"
	deliver "$bad" "$r" <"$tmp/m.eml"
	is_exit "... the checker exits 111: back to the MTA (75)" 75
	is "... nothing delivered" "$(ls "$tmp"/mail/*/new 2>/dev/null | grep -c .)" 0
done

r=$(page_recipe spam-score.8 'A procmail recipe')
deliver "$PORTCULLIS_CONTROL" "$r" <"$tmp/gtube.eml"
is_exit 'spam-score(8)'"'"'s recipe on GTUBE: 0' 0
is '... filed in spam/' "$(count spam)" 1
is '... not in the inbox' "$(count inbox)" 0
ok '... without a lock failure' sh -c '! printf "%s\n" "$1" | grep -q "Lock failure"' sh "$plog"
deliver "$PORTCULLIS_CONTROL" "$r" <"$tmp/m.eml"
is '... a clean message goes to the inbox' "$(count inbox)" 1
done_testing
