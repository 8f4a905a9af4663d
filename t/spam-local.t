#!/bin/sh
# spam-local: an administrator's own rules beside the shipped ones
# (control/spam.local, control/outbound.local; spam-score(5), LOCAL
# RULES): new rules, other weights, rules turned off by name, all kept
# apart from share/rules so that an update never overwrites them; a bad
# line is 111 with its file and line, for the scorer, its --lint and
# portcullis -n alike.
. "$(dirname "$0")/lib.sh"

chmod 711 "$tmp"
chmod 755 "$PORTCULLIS_CONTROL"
C=$PORTCULLIS_CONTROL
printf 'From: a@example.net\nTo: b@ourco.example\nSubject: save 50%% off\nDate: Wed, 2 Dec 2026 10:00:00 +0000\nMessage-ID: <1@example.net>\n\nthe purple elephant is here\n' >"$tmp/m.eml"
printf 'From: a@example.net\nTo: b@ourco.example\nSubject: hi\nDate: Wed, 2 Dec 2026 10:00:00 +0000\nMessage-ID: <2@example.net>\n\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n' >"$tmp/gtube.eml"
score_of() { printf '%s\n' "$out" | sed -n 's/.* score=\([-0-9.]*\) .*/\1/p'; }

run spam-score --direction in <"$tmp/m.eml"
is_exit 'the shipped rules alone: 0' 0
like '... SUBJ_MONEY at its shipped weight' 'tests=.*SUBJ_MONEY'
unlike '... and no rule of ours' 'LOCAL_'
base=$(score_of)
run spam-score --lint
shipped=$(printf '%s\n' "$out" | sed -n 's|^spam-score: .*/spam: \([0-9]*\) rules.*|\1|p')

# --- add, reweigh, turn off ----------------------------------------------
control spam.local '# our own' \
	'body   LOCAL_ELEPHANT  /purple elephant/i  6.0' \
	'describe LOCAL_ELEPHANT the code word of last week'"'"'s campaign' \
	'score  SUBJ_MONEY  2.2' \
	'meta   LOCAL_BOTH  LOCAL_ELEPHANT && SUBJ_MONEY  0.5'
run spam-score --direction in <"$tmp/m.eml"
is_exit 'spam.local: a new rule flags the message (0)' 0
like '... its rule is named' 'tests=.*LOCAL_ELEPHANT'
like '... a local meta over a shipped rule hits' 'tests=.*LOCAL_BOTH'
like '... flagged' '^spam-score flag '
# SUBJ_MONEY's shipped weight, as the rules file has it today
sw=$(awk '$1 == "header" && $2 == "SUBJ_MONEY" { print $NF }' "$PORTCULLIS_RULES/spam")
want=$(awk -v b="$base" -v w="$sw" 'BEGIN { printf "%.1f", b + 6.0 + (2.2 - w) + 0.5 }')
# (the scores are printed to a tenth: the sum may differ by one)
got=$(score_of)
ok "... the score: shipped + 6.0 + (2.2 - $sw) + 0.5 = $want (got $got)" \
	awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; exit !(g != "" && d <= 0.11 && d >= -0.11) }'
run spam-score --lint
is_exit '--lint reads spam.local: 0' 0
like '... the rules counted with the shipped ones' "/spam: $((shipped + 2)) rules"

control spam.local 'disable GTUBE'
run spam-score --direction in <"$tmp/gtube.eml"
is_exit 'disable GTUBE: the test string passes' 0
unlike '... GTUBE does not hit' 'GTUBE'
rm "$C/spam.local"
run spam-score --direction in <"$tmp/gtube.eml"
like 'spam.local gone: GTUBE hits again' 'tests=.*GTUBE'
ok '... and the shipped file was never touched' \
	git -C "$top" diff --quiet -- share/rules/spam

# --- outbound.local is the outbound set's --------------------------------
control outbound.local 'body LOCAL_OUT /purple elephant/i 3.0'
run spam-score --direction out <"$tmp/m.eml"
like 'outbound.local: an outbound rule' 'tests=.*LOCAL_OUT'
run spam-score --direction in <"$tmp/m.eml"
unlike '... not an inbound one' 'LOCAL_OUT'
rm "$C/outbound.local"

# --- a full copy in control/spam still takes spam.local ------------------
grep -v '^header SUBJ_MONEY\|^describe SUBJ_MONEY' "$top/share/rules/spam" >"$C/spam"
control spam.local 'body LOCAL_ELEPHANT /purple elephant/i 6.0'
run spam-score --direction in <"$tmp/m.eml"
like 'control/spam and spam.local together' 'tests=.*LOCAL_ELEPHANT'
unlike '... the copy without SUBJ_MONEY' 'SUBJ_MONEY'
rm "$C/spam" "$C/spam.local"

# --- errors: the file and the line -----------------------------------------
control spam.local 'body LOCAL_OK /ok/ 1' 'disable NO_SUCH_RULE'
run spam-score --direction in <"$tmp/m.eml"
is_exit 'disable of an unknown rule: 111' 111
err_like '... names the file, the line and the rule' 'spam.local line 2: disable of an unknown rule .NO_SUCH_RULE.'
control spam.local 'body SUBJ_MONEY /x/ 1'
run spam-score --lint
is_exit 'a rule of a shipped name: --lint 111' 111
err_like '... defined twice, on its line' 'spam.local line 1: SUBJ_MONEY: defined twice'
control spam.local 'score SUBJ_MONEY lots'
run spam-score --lint
is_exit 'a weight that is not a number: 111' 111
err_like '... says so' 'spam.local line 1: SUBJ_MONEY: score must be one number'
control spam.local 'body LOCAL_BAD /unclosed(/ 1'
run portcullis -n -C "$C" -Q "$tmp/q"
is_exit 'portcullis -n: a regex that does not compile in spam.local: 111' 111
err_like '... spam-score names it' 'spam-score: .*spam.local line 1'
rm "$C/spam.local"

done_testing
