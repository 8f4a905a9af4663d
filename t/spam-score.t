#!/bin/sh
# spam-score: the shipped inbound and outbound rules on messages written for
# these tests, every rule type of spam-score(5) through a rule file of the
# test's own, --lint errors, --explain, thresholds and exit codes, the
# SpamAssassin-style headers of -a, and Bayes learning into a temporary
# LMDB database, then classifying with it.
. "$(dirname "$0")/lib.sh"

d=$data/spam-score
IN="spam-score --direction in"
OUT="spam-score --direction out"

# --- the shipped inbound rules ------------------------------------------
run $IN <"$d/ham-reply.eml"
is_exit 'a reply in a conversation passes' 0
like    'its verdict line' '^spam-score pass 2\.0\.0 score=-[0-9.]+ required=5\.0 tests=.*QUOTED_REPLY'
err_like 'one log line' '^spam-score: qid=- verdict=pass reason=score='

run $IN <"$d/spam-html.eml"
is_exit 'HTML spam is flagged, exit 0' 0
like    'flagged with a score over 5' '^spam-score flag 2\.7\.0 score=([5-9]|[1-9][0-9])\.[0-9] required=5\.0 '
like    'the verdict text is capped' '^spam-score flag .{300,420}$'
run $IN --explain <"$d/spam-html.eml"
like    'the 2047-decoded Subject in capitals' '^ +[0-9.]+ SUBJ_ALLCAPS '
like    'the IP link' '^ +[0-9.]+ URI_IP '
like    'the link showing another host' '^ +[0-9.]+ LINK_MISMATCH '
like    'V.I.A.G.R.A is obfuscated' '^ +[0-9.]+ __OBFUSCATED_WORD '
like    'text rendered from quoted-printable HTML' '^ +[0-9.]+ BULK_REMOVE '
like    'forged Outlook Express' '^ +[0-9.]+ FORGED_OE '
like    'no Message-ID' '^ +[0-9.]+ MSGID_MISSING '

run $IN <"$d/image-only.eml"
like    'an image with no text' 'tests=.*IMAGE_ONLY'
like    'HTML only' 'tests=.*HTML_ONLY'

# legitimate bulk mail: HTML, tables, remote images, many links and
# "click here" from a sender that links to its own site and runs its own
# List-Unsubscribe is not flagged for its shape
run $IN --explain <"$d/newsletter.eml"
is_exit 'a newsletter: exit 0' 0
like    'a newsletter with List-Unsubscribe passes' '^spam-score pass 2\.0\.0 score=-?[0-4]\.[0-9] '
like    '... its own List-Unsubscribe counts for it' '^ +-[0-9.]+ UNSUB_FROM '
like    '... and its links to its own domain' '^ +[0-9.]+ __FROM_IN_LINKS '
unlike  '... so no LINKS_ELSEWHERE' ' LINKS_ELSEWHERE '
# a link whose text shows one host and goes to another scores
run $IN --explain <"$d/lying-link.eml"
like    'a lying link scores' '^ +[1-9][0-9.]* LINK_MISMATCH '
like    'a lying link to an IP address is flagged' '^spam-score flag 2\.7\.0 '
# the structural rules together stay under the threshold: the shape of
# commercial mail alone never flags it
structural=$(awk '($1 == "test" || $1 == "rawbody" || $1 == "body" || $1 == "full" || $1 == "meta") &&
	$2 ~ /^(URI_MANY|HTML_TABLE_BG|HTML_IMG_REMOTE|HTML_FONT_TINY|HTML_ONLY|HTML_ONLY_NOREPLY|BULK_CLICK|HTML_FORM|HTML_SCRIPT|HTML_FONT_BIG|HTML_CENTER_BIG|HTML_FONT_WHITE|BASE64_TEXT|IMAGE_AND_LINK)$/ &&
	$NF > 0 { s += $NF } END { print (s < 5) ? "under" : "over " s }' "$top/share/rules/spam")
is      'structural rules together under 5 points' "$structural" under

run $IN "$d/ham-reply.eml" "$d/spam-html.eml"
is_exit 'batch: worst verdict is flag, exit 0' 0
like    'batch: the first file prefixed' "^$d/ham-reply\\.eml: spam-score pass "
like    'batch: the second file prefixed' "^$d/spam-html\\.eml: spam-score flag "

# --- -a: SpamAssassin's headers -------------------------------------------
run $IN -a <"$d/spam-html.eml"
is_exit '-a on spam exits 0' 0
like    'X-Spam-Flag: YES' '^X-Spam-Flag: YES$'
like    'X-Spam-Score' '^X-Spam-Score: [0-9]+\.[0-9]$'
like    'X-Spam-Level stars' '^X-Spam-Level: \*\*\*\*\*+$'
like    'X-Spam-Status Yes with tests' '^X-Spam-Status: Yes, score=[0-9.]+ required=5\.0 tests='
like    'X-Spam-Status folded' '^	[A-Z_,]+'
like    'the body follows unchanged' '^Make money from home! Earn \$5,000 per week!!!</font></center>$'

sed 's/$/\r/' "$d/spam-html.eml" >"$tmp/crlf.eml"
run $IN -a --explain <"$tmp/crlf.eml"
like    'CRLF mail gets CRLF headers' '^X-Spam-Score: [0-9.]+'"$(printf '\r')"'$'
like    'folded lines too' '^	[A-Z_,]+'"$(printf '\r')"'$'
unlike  'with -a, --explain is not in the message' 'explain:'
err_like 'with -a, --explain goes to stderr' '^spam-score: explain: direction=in'

run $IN -a <"$d/forged-status.eml"
like    'a clean message says No' '^X-Spam-Status: No, score=[-0-9.]+ required=5\.0'
unlike  'no X-Spam-Flag on ham' '^X-Spam-Flag'
unlike  'the forged status from outside is gone' 'ALL_TRUSTED'
unlike  'the forged score from outside is gone' '^X-Spam-Score: -10\.0'
is      'one X-Spam-Status' "$(printf '%s\n' "$out" | grep -c '^X-Spam-Status')" 1

control spamsubject '[SPAM]'
run $IN -a <"$d/spam-html.eml"
like    'Subject tagged' '^Subject: \[SPAM\] =\?utf-8\?B\?'
is      'one Subject' "$(printf '%s\n' "$out" | grep -c '^Subject:')" 1
run $IN -a <"$d/ham-reply.eml"
like    'ham Subject untouched' '^Subject: Re: minutes'
rm -f "$PORTCULLIS_CONTROL/spamsubject"

# --- thresholds and exit codes ------------------------------------------------
control spamthresholds 'in quarantine 10' 'in reject 15'
run $IN <"$d/spam-html.eml"
is_exit 'over the reject threshold: 100' 100
like    'reject verdict' '^spam-score reject 5\.7\.1 score='
run $IN -t <"$d/spam-html.eml"
is_exit '-t exits 0 even for reject' 0
control spamthresholds 'in quarantine 10' 'in reject off'
run $IN <"$d/spam-html.eml"
is_exit 'over the quarantine threshold: 99' 99
control spamthresholds 'in flag five'
run $IN <"$d/ham-reply.eml"
is_exit 'a broken spamthresholds is 111' 111
err_like 'it says which line' 'spamthresholds line 1: want'
rm -f "$PORTCULLIS_CONTROL/spamthresholds"

# --- outbound: passwords and secrets -------------------------------------------
run $OUT <"$d/out-weak.eml"
is_exit 'a weak password is rejected' 100
like    'the notice leads the verdict' '^spam-score reject 5\.7\.1 Your message was not sent: it contains a password'
like    'the rule' 'tests=.*PASSWORD_WEAK'
run $OUT <"$d/out-key.eml"
is_exit 'a private key in an attachment is rejected' 100
like    'PRIVATE_KEY' 'tests=PRIVATE_KEY'
run $OUT <"$d/out-token.eml"
is_exit 'tokens are rejected' 100
like    'GitHub and AWS' 'tests=AWS_ACCESS_KEY,GITHUB_TOKEN'
run $OUT <"$d/out-clean.eml"
is_exit 'talking about a password is fine' 0
like    'nothing hit' 'tests=none'
run $OUT <"$d/out-orgname.eml"
is_exit 'without orgname that password is only shown (flag)' 0
like    'flagged' '^spam-score flag .*PASSWORD_SHOWN'
control orgname OurCo
run $OUT <"$d/out-orgname.eml"
is_exit 'with orgname: rejected' 100
like    'orgname plus digits' 'tests=.*PASSWORD_ORGNAME'
run $OUT --explain <"$d/out-orgname.eml"
like    '--explain prints the notice once' '^notice password-policy:$'
is      'exactly once' "$(printf '%s\n' "$out" | grep -c '^notice password-policy:')" 1
run $IN <"$d/out-weak.eml"
is_exit 'inbound mail is not held to the password policy' 0

# --- every rule type, in a rule file of our own --------------------------------
cat >"$PORTCULLIS_CONTROL/spam" <<'R'
# a test rule set
header T_SUBJ     Subject  /FREE MONEY/      1.5
describe T_SUBJ   subject says it
header T_ALL      ALL      /^X-Mailer: Microsoft/m   0.5
body   T_BODY     /make money from home/i   2
body   T_ENTITY   /cheap\.\s+Act now/       0.25
rawbody T_RAW     /<font color="#ffffff"/i  1
uri    T_URI      /^http:\/\/198\.51\.100\.23\//  1
full   T_FULL     /^Content-Transfer-Encoding: quoted-printable/m  0.5
test   T_HTML     html_only                 0.5
test   T_UPPER    upper_ratio(90)           9
bayes  T_BAYES    0.9 1.0                   3
body   __A        /one-time mailing/        0
body   __B        /nothing like this/       0
meta   T_META     __A && !__B && (T_SUBJ + T_URI >= 2)   1
meta   T_NOT      __B || T_UPPER             1
score  T_RAW      1.25
R
run $IN --explain <"$d/spam-html.eml"
is_exit 'own rules: exit 0' 0
like 'explain header line' '^spam-score: explain: direction=in score=8\.5 required=5\.0 verdict=flag'
like 'header rule on the decoded Subject, with its description' '^ +1\.50 T_SUBJ +subject says it$'
like 'header ALL' '^ +0\.50 T_ALL'
like 'body rule on rendered HTML' '^ +2\.00 T_BODY'
like 'body text is entity-decoded and folded' '^ +0\.25 T_ENTITY'
like 'rawbody, score changed by a score line' '^ +1\.25 T_RAW'
like 'uri rule' '^ +1\.00 T_URI'
like 'full rule' '^ +0\.50 T_FULL'
like 'built-in test' '^ +0\.50 T_HTML'
like 'meta rule' '^ +1\.00 T_META'
unlike 'a meta rule that does not hold' 'T_NOT'
unlike 'an upper ratio not reached' 'T_UPPER'
unlike 'bayes off: no bayes rule' 'T_BAYES'
like 'the verdict' 'tests=T_ALL,T_BODY,T_ENTITY,T_FULL,T_HTML,T_META,T_RAW,T_SUBJ,T_URI$'
unlike '__ rules are not in tests=' 'tests=.*__A'

# --- --lint -------------------------------------------------------------------
run spam-score --lint
is_exit '--lint on good rules exits 0' 0
like    'it counts the rules' 'spam: 14 rules: 2 header, 4 body, 1 rawbody, 1 uri, 1 full, 2 test, 1 bayes, 2 meta'
like    'the prefilter (header rules too)' '9 of 9 regexes prefiltered'
like    'Bayes off' 'Bayes: off'

lint_bad() {	# lint_bad NAME LINE REGEX
	printf '%s\n' 'body OK /fine/ 1' "$2" >"$PORTCULLIS_CONTROL/spam"
	run spam-score --lint
	is_exit "lint: $1 is 111" 111
	err_like "lint: $1 says why" "$3"
	run $IN <"$d/ham-reply.eml"
	is_exit "scoring with $1 is 111" 111
}
lint_bad 'a bad regex' 'body BAD /(unclosed/ 1' 'spam line 2: BAD: bad regex: missing closing parenthesis'
err_like 'scoring: the bad regex is logged with its file and line' 'spam line 2: BAD: bad regex: missing closing parenthesis'
like    'scoring: the message is tempfailed' '^spam-score tempfail 4\.3\.0 '
# a regex is compiled when a message first needs it: one whose literal
# is not in the message is not compiled, so only --lint finds it
printf '%s\n' 'body OK /fine/ 1' 'body BAD /zyxwvu(/ 1' >"$PORTCULLIS_CONTROL/spam"
run $IN <"$d/ham-reply.eml"
is_exit 'a bad regex the prefilter rules out: the message passes' 0
run $IN "$d/ham-reply.eml" "$d/ham-reply.eml"
is_exit 'batch without that literal: exit 0' 0
printf 'Subject: zyxwvu\n\nzyxwvu\n' >"$tmp/zyx.eml"
run $IN "$d/ham-reply.eml" "$tmp/zyx.eml"
is_exit 'batch: the message that needs it is tempfailed, exit 111' 111
like    'batch: the other is scored' "^$d/ham-reply\\.eml: spam-score pass "
err_like 'batch: the bad rule is named with its line' 'spam line 2: BAD: bad regex'
lint_bad 'a missing score' 'body BAD /x/' 'line 2: BAD: the last word must be the score'
lint_bad 'an unknown type' 'bodyx BAD /x/ 1' "line 2: unknown rule type 'bodyx'"
lint_bad 'a duplicate name' 'body OK /x/ 1' 'line 2: OK: defined twice'
lint_bad 'an unknown test' 'test BAD no_such_test 1' "unknown built-in test 'no_such_test'"
lint_bad 'an unknown flag' 'body BAD /x/q 1' "unknown regex flag 'q'"
lint_bad 'a meta on nothing' 'meta BAD OK && NOPE 1' "meta uses an unknown rule 'NOPE'"
lint_bad 'a bad meta' 'meta BAD OK && 1' 'BAD: meta: incomplete expression'
lint_bad 'a bad bayes band' 'bayes BAD 0.9 0.5 1' 'bayes needs LOW HIGH SCORE'
lint_bad 'describe of nothing' 'describe NOPE text' "describe of an unknown rule 'NOPE'"
lint_bad 'a missing notice' 'notice OK no-such-notice' 'unable to read the notice notices/no-such-notice'
lint_bad 'a bad header name' 'header BAD Sub:ject /x/ 1' 'header rule needs a field name'
printf '%s\n' 'body A /a/ 0' 'meta M1 A && M2 1' 'meta M2 M1 1' >"$PORTCULLIS_CONTROL/spam"
run spam-score --lint
is_exit 'lint: a meta loop is 111' 111
err_like 'lint: the loop is named' 'meta rules refer to each other in a loop'
rm -f "$PORTCULLIS_CONTROL/spam"

# --- Bayes: learn, then classify -------------------------------------------
control bayesdb "$tmp/bayes.lmdb"
control bayesmin 2
mkdir -p "$tmp/sp" "$tmp/hm"
for i in alpha bravo charlie; do
	sed "s/Make money/Make money $i/" "$d/spam-html.eml" >"$tmp/sp/$i.eml"
	sed "s/Hi Bob/Hi Bob $i/" "$d/ham-reply.eml" >"$tmp/hm/$i.eml"
done
run spam-score --lint
like    'lint: the database does not exist yet' 'does not exist yet'
run spam-score --learn-spam "$tmp"/sp/*.eml
is_exit 'learning spam exits 0' 0
like    'it says how many' 'learned 3 spam, 0 known already, 0 failed'
run spam-score --learn-spam "$tmp"/sp/alpha.eml
like    'a message learned twice is known' 'learned 0 spam, 1 known already'
run spam-score --learn-ham "$tmp"/hm/*.eml
is_exit 'learning ham exits 0' 0
like    'three ham' 'learned 3 ham'
ok      'the database exists' test -f "$tmp/bayes.lmdb"
run spam-score --lint
like    'lint: counts learned' 'Bayes: .*bayes\.lmdb: 3 spam, 3 ham learned'
run $IN --explain <"$d/spam-html.eml"
like    'spam: Bayes probability near 1' 'bayes=(0\.9[0-9]*|1\.0000)'
like    'spam: BAYES_99 hits' '^ +[0-9.]+ BAYES_99 '
run $IN --explain <"$d/ham-reply.eml"
like    'ham: Bayes probability near 0' 'bayes=0\.0[0-9]*'
like    'ham: BAYES_00 hits' '^ +-[0-9.]+ BAYES_00 '
run spam-score --learn-ham "$tmp"/sp/alpha.eml
like    'relearning moves a message over' 'learned 1 ham'
run spam-score --learn-spam --learn-ham "$tmp"/sp/alpha.eml
is_exit 'both learn options at once is 111' 111
control bayesdb "$tmp/nonexistent/dir/db"
run $IN <"$d/ham-reply.eml"
is_exit 'a missing database only turns Bayes off' 0
run spam-score --learn-spam "$d/spam-html.eml"
is_exit 'learning into a path that cannot be created is 111' 111
rm -f "$PORTCULLIS_CONTROL/bayesdb"
run spam-score --learn-spam "$d/spam-html.eml"
is_exit 'learning without bayesdb is 111' 111
err_like 'it says what to do' 'put its path into .*/bayesdb'

# --- hostile input ------------------------------------------------------------
printf 'Subject: x\n\n' >"$tmp/empty.eml"
run $IN <"$tmp/empty.eml"
is_exit 'an empty body passes' 0
head -c 300000 /dev/zero | tr '\0' '<' >"$tmp/lt.html"
{ printf 'Content-Type: text/html\n\n'; cat "$tmp/lt.html"; } >"$tmp/lt.eml"
run $IN <"$tmp/lt.eml"
is_exit '300 KB of < is judged, not a crash' 0
{ printf 'Subject: x\nContent-Type: text/plain\n\n'; head -c 200000 /dev/zero | tr '\0' 'a'; printf '!\n'; } >"$tmp/a.eml"
run $IN <"$tmp/a.eml"
is_exit 'a 200 KB word' 0
printf 'Subject: \000\001\nContent-Type: text/html\n\n<a href="http://\000x">&#0;&#x110000;&#99999999999;</a>\n' >"$tmp/nul.eml"
run $IN <"$tmp/nul.eml"
is_exit 'NULs and bad character references' 0

run spam-score --direction sideways <"$d/ham-reply.eml"
is_exit 'a bad direction is 111' 111

# --- GTUBE: the standard test string is always spam --------------------
printf 'From: a@b.example\nTo: c@ourco.example\nSubject: test\n\n' >"$tmp/gtube.eml"
printf 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n' >>"$tmp/gtube.eml"
run spam-score --direction in <"$tmp/gtube.eml"
is_exit 'GTUBE inbound is flagged (the inbound reject threshold is off by default)' 0
like 'GTUBE scores 1000' '^spam-score flag 2\.7\.0 score=10[0-9][0-9]\.[0-9] .*tests=.*GTUBE'
run spam-score --direction out <"$tmp/gtube.eml"
is_exit 'GTUBE outbound is rejected' 100
like '... named' '^spam-score reject 5\.7\.1 score=1000\.0 .*tests=GTUBE'

done_testing
