#!/bin/sh
# spam-score's Bayes database over time: learning stamps each token with
# its day (--now fakes the clock), --bayes-stats and --bayes-dump, expiry
# by age and count and to control/bayesmaxtokens, autolearning from
# control/bayesautolearn (spam, ham, neither, known already, off, a
# database it cannot write), and learning while other processes score and
# autolearn.
. "$(dirname "$0")/lib.sh"

d=$data/spam-score
IN="spam-score --direction in"
db=$tmp/bayes.lmdb
control bayesdb "$db"
control bayesmin 2

# variant SRC DIR NAME...: copies of SRC with a word of their own each
variant() {
	_src=$1 _dir=$2
	shift 2
	mkdir -p "$_dir"
	for _w in "$@"; do
		sed "s/^Subject: /Subject: $_w /" "$_src" >"$_dir/$_w.eml"
	done
}
variant "$d/spam-html.eml" "$tmp/sp" alpha bravo charlie
variant "$d/ham-reply.eml" "$tmp/hm" delta echo foxtrot
# stat NAME: one line of --bayes-stats
stat() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k { print $2 }'; }

# --- learning on given days, stats, dump ---------------------------------------
run spam-score --learn-spam --now 2025-01-01 "$tmp"/sp/*.eml
is_exit 'spam learned on 2025-01-01' 0
like    'three' 'learned 3 spam'
run spam-score --learn-ham --now 2025-03-01 "$tmp"/hm/*.eml
like    'ham learned on 2025-03-01' 'learned 3 ham'
run spam-score --learn-ham --now 2025-13-01 "$tmp"/hm/delta.eml
is_exit 'a bad --now is 111' 111
err_like 'with the usage' 'usage: .*--now YYYY-MM-DD'

run spam-score --bayes-stats
is_exit 'stats exit 0' 0
is      'stats: spam learned' "$(stat spam)" 3
is      'stats: ham learned' "$(stat ham)" 3
is      'stats: messages known' "$(stat known)" 6
is      'stats: the oldest day' "$(stat oldest)" 2025-01-01
is      'stats: the newest day' "$(stat newest)" 2025-03-01
is      'stats: since the first learning' "$(stat since)" 2025-01-01
is      'stats: nothing undated' "$(stat undated)" 0
like    'stats: the database' "^database $db\$"
like    'stats: its size' '^filebytes [1-9][0-9]*$'
tokens=$(stat tokens)
ok      'stats: some tokens' test "$tokens" -gt 50
run spam-score --bayes-dump
is_exit 'dump exit 0' 0
is      'dump: one line per token' "$(printf '%s\n' "$out" | grep -c '^token ')" "$tokens"
like    'dump: token, counts, day' '^token [0-9a-f]{16} 3 0 2025-01-01$'
like    'dump: the ham tokens' '^token [0-9a-f]{16} 0 1 2025-03-01$'
run spam-score --bayes-stats --bayes-expire
is_exit 'two modes at once is 111' 111

# --- expiry by age --------------------------------------------------------------
run spam-score --bayes-dump
# what the age rule should take on 2025-04-01: spam tokens of count 2 or less
want=$(printf '%s\n' "$out" | awk '$1 == "token" && $5 == "2025-01-01" && $3 + $4 <= 2' | wc -l)
run spam-score --bayes-expire --now 2025-03-31
is_exit 'expire exits 0' 0
like    'on day 89 nothing expires' 'expired 0 tokens'
run spam-score --bayes-expire --now 2025-04-01
like    'on day 90 the rare spam tokens expire' "expired $want tokens: $want not learned for 90 days with a count of 2 or less, 0 over bayesmaxtokens; $((tokens - want)) left"
ok      'there were some' test "$want" -gt 0
run spam-score --bayes-dump
is      'no hapax of 2025-01-01 left' \
	"$(printf '%s\n' "$out" | awk '$5 == "2025-01-01" && $3 + $4 <= 2' | wc -l)" 0
like    'the tokens of all three spam stay' '^token [0-9a-f]{16} 3 0 2025-01-01$'
run spam-score --bayes-stats
is      'messages learned are kept' "$(stat spam)/$(stat ham)" 3/3
run spam-score --bayes-expire --now 2025-06-01 --days 30 --count 0
like    '--count 0: nothing is that rare' 'expired 0 tokens'
run spam-score --bayes-expire --days x
is_exit 'a bad --days is 111' 111

# --- the size bound ---------------------------------------------------------
run spam-score --bayes-stats
left=$(stat tokens)
run spam-score --bayes-dump
newest=$(printf '%s\n' "$out" | awk '$1 == "token" && $5 == "2025-03-01"' | wc -l)
control bayesmaxtokens 5
run spam-score --bayes-expire
is_exit 'bayesmaxtokens under 100 is 111' 111
control bayesmaxtokens 100
run spam-score --bayes-expire --now 2025-04-02
like    'bayesmaxtokens: the oldest go' "expired $((left - 100)) tokens: 0 not learned .* $((left - 100)) over bayesmaxtokens; 100 left"
run spam-score --bayes-dump
is      'the oldest went: every token of the newer day is left' \
	"$(printf '%s\n' "$out" | awk '$1 == "token" && $5 == "2025-03-01"' | wc -l)" "$newest"
ok      'and fewer than 100 of them' test "$newest" -lt 100
run spam-score --bayes-expire --now 2025-04-02
like    'under the bound nothing more goes' 'expired 0 tokens'
rm -f "$PORTCULLIS_CONTROL/bayesmaxtokens"

# --- autolearn --------------------------------------------------------------------
rm -f "$db" "$db-lock"
run $IN -a <"$tmp/sp/alpha.eml"
unlike  'off without control/bayesautolearn' 'autolearn='
ok      'and no database is made' test ! -e "$db"
control bayesautolearn '12.0 0.1'
run $IN -a <"$tmp/sp/alpha.eml"
is_exit 'autolearn: spam is still flagged, exit 0' 0
like    'X-Spam-Status says Yes' '^X-Spam-Status: Yes, score='
like    'and autolearn=spam at its end' ' autolearn=spam version=portcullis$'
run $IN -a <"$tmp/sp/alpha.eml"
like    'the same message again: known, not learned' 'autolearn=no version='
run $IN -a <"$tmp/hm/delta.eml"
like    'autolearn=ham' ' autolearn=ham version=portcullis$'
run $IN -a <"$d/image-only.eml"
like    'a score between the thresholds: no' 'autolearn=no version='
run spam-score --learn-ham "$tmp/sp/bravo.eml"
run $IN -a <"$tmp/sp/bravo.eml"
like    'a message learned by hand is never autolearned' 'autolearn=no version='
run spam-score --bayes-stats
is      'one spam autolearned, two ham (one by hand)' "$(stat spam)/$(stat ham)" 1/2
run $IN --explain <"$tmp/sp/charlie.eml"
like    'the verdict line is unchanged' '^spam-score flag 2\.7\.0 '
like    '--explain says what autolearn did' 'autolearn=spam'
# as spam only with 3 points from header rules and 3 from body rules:
# headers alone (a forged or odd header) or a body alone teach nothing
control bayesautolearn '5 0.1'
printf 'From: offers@prizes.example\nTo: undisclosed-recipients:;\nSubject: NEW OFFER $$$ FOR YOU\n\nHello,\n\nsee you at the meeting on Tuesday.\n' >"$tmp/hdr-only.eml"
printf 'From: bob@partner.example\nTo: alice@ourco.test\nSubject: meeting notes\nDate: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <x1@partner.example>\n\nCongratulations, you have won! Claim your prize now!!! FREE money, 100%% guaranteed, act now, limited time offer, click here to unsubscribe.\n' >"$tmp/body-only.eml"
run $IN -a <"$tmp/hdr-only.eml"
like    'over the spam threshold on header rules alone: flagged' '^X-Spam-Status: Yes, score='
like    '... but not learned' 'autolearn=no version='
run $IN -a <"$tmp/body-only.eml"
like    'over it on body rules alone: flagged' '^X-Spam-Status: Yes, score='
like    '... not learned either' 'autolearn=no version='
# the learning score leaves Bayes out: a spam threshold between the score
# without the Bayes rules and the score with them, and the next spam is
# over it with Bayes and under it without; the next ham at -3 or under
# with Bayes, over it without
control bayesmin 1
control bayesautolearn '1000 -1000'
variant "$d/spam-html.eml" "$tmp/sp" golf
variant "$d/ham-reply.eml" "$tmp/hm" hotel
run $IN --explain <"$tmp/sp/golf.eml"
like    'spam: a Bayes rule hits' '^ +[0-9.]+ BAYES_'
bayespts=$(printf '%s\n' "$out" | awk '$2 ~ /^BAYES_/ { s += $1 } END { print s + 0 }')
total=$(printf '%s\n' "$out" | sed -n 's/^spam-score: explain: .* score=\([-0-9.]*\) .*/\1/p')
ok      'spam: the Bayes rules add points' awk -v b="$bayespts" 'BEGIN { exit !(b > 0) }'
control bayesautolearn "$(awk -v t="$total" -v b="$bayespts" 'BEGIN { printf "%.2f", t - b / 2 }') -3"
run $IN --explain <"$tmp/sp/golf.eml"
like    'spam: over the threshold with Bayes' "score=$total "
like    'spam: without Bayes under it: no' 'autolearn=no'
run $IN --explain <"$tmp/hm/hotel.eml"
like    'ham: a Bayes rule hits' '^ +-[0-9.]+ BAYES_'
like    'ham: and the score is -3 or less' 'score=-([3-9]|[1-9][0-9])\.'
like    'ham: without Bayes over -3: no' 'autolearn=no'
control bayesautolearn '5'
run $IN <"$tmp/sp/golf.eml"
is_exit 'a bad bayesautolearn is 111' 111
err_like 'it names the file' 'bayesautolearn line 1'
control bayesautolearn
run $IN -a <"$tmp/sp/golf.eml"
like    'an empty bayesautolearn: 12.0 and 0.1' 'autolearn=spam'
control bayesdb "$tmp/nonexistent/dir/db"
run $IN -a <"$tmp/sp/alpha.eml"
is_exit 'a database it cannot write: the verdict stands' 0
like    'still flagged' '^X-Spam-Flag: YES'
like    'autolearn=unavailable' 'autolearn=unavailable version='
err_like 'a warning' 'warning: unable to open .*nonexistent/dir/db for autolearning'
control bayesdb "$db"

# --- learning while others score and autolearn ---------------------------------
mkdir -p "$tmp/many"
i=0
while [ $i -lt 3000 ]; do
	printf 'From: u%d@example.org\nSubject: report %d\nMessage-ID: <%d@example.org>\n\nquarterly figures %d for the team, draft%d attached\n' \
		$i $i $i $i $i >"$tmp/many/$i.eml"
	i=$((i + 1))
done
variant "$d/spam-html.eml" "$tmp/sp2" zero one two three four five six seven eight nine
control bayesautolearn '12.0 0.1'
spam-score --learn-ham "$tmp"/many/*.eml >"$tmp/learn.out" 2>&1 &
learner=$!
scored=0 bad=0 during=0
for n in zero one two three four five six seven eight nine; do
	kill -0 $learner 2>/dev/null && during=$((during + 1))
	spam-score --direction in -a <"$tmp/sp2/$n.eml" >"$tmp/s.out" 2>"$tmp/s.err"
	s=$?
	grep -q '^X-Spam-Flag: YES' "$tmp/s.out" &&
		grep -q ' autolearn=spam version=' "$tmp/s.out" && [ $s = 0 ] ||
		{ bad=$((bad + 1)); sed 's/^/# /' "$tmp/s.err"; }
	spam-score --direction in <"$d/ham-reply.eml" >"$tmp/h.out" 2>&1 ||
		bad=$((bad + 1))
	grep -q '^spam-score pass ' "$tmp/h.out" || bad=$((bad + 1))
	scored=$((scored + 2))
done
wait $learner
is      'the learner finishes' "$?" 0
ok      "scoring began while it learned ($during of 10 rounds)" test "$during" -gt 0
is      'every message scored while it learned' "$bad/$scored" 0/20
run cat "$tmp/learn.out"
like    'it learned all' 'learned 3000 ham, 0 known already, 0 failed'
run spam-score --bayes-stats
is      'nothing was lost: hand-learned and autolearned' "$(stat ham)/$(stat spam)" \
	"$((2 + 3000 + 1))/$((3 + 10))"

done_testing
