#!/bin/sh
# spam-accuracy.sh [BINDIR]: spam-score's accuracy on a corpus of real mail
# (CORPUS, default ../shared/corpus, with spam/, ham/ and hard-ham/ holding
# one message per file; hard-ham/ is legitimate bulk mail: newsletters,
# order confirmations, vendor mailings people asked for), beside Debian's
# SpamAssassin when it is installed, on the same split in the same run.
#
# Cross-validated in K folds (default 5): each folder's files, in sorted
# order, are dealt round-robin into K folds; for each fold Bayes learns the
# other K-1 folds of all three folders and the fold is measured, so every
# message is measured once by a database that never saw it.  Rules alone
# learn nothing and are measured on every message; their weights are fitted
# on this corpus by share/devel/fit-weights.py, whose own held-out
# (cross-validated) numbers FIT=1 adds as a row.  Columns: spam caught
# (flagged or worse at the default threshold 5.0), ham and hard ham wrongly
# flagged.  SpamAssassin runs with local tests only (no DNS, no network
# checks), one Perl process through its API, its Bayes trained by sa-learn
# on the same folds.  rspamd, when installed, is a private server with its
# network checks off (share/devel/rspamd-instance.sh); its rules alone only
# (its Bayes needs Redis), spam caught at its default "add header" score, 6.
# Prints one table; SpamAssassin's rows take long (an hour and more on two
# busy cores; SA=0 leaves them out, RSPAMD=0 rspamd's).  Local use only:
# never in the timed test suite (t/spam-corpus.t runs spam-score's rows).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$top/bin}
corpus=${CORPUS:-$top/../shared/corpus}
K=${K:-5}
[ -x "$bin/spam-score" ] || { echo "spam-accuracy: fatal: no $bin/spam-score (make first)" >&2; exit 111; }
[ -d "$corpus/spam" ] && [ -d "$corpus/ham" ] || {
	echo "spam-accuracy: fatal: no spam/ and ham/ under $corpus (set CORPUS=)" >&2; exit 111; }
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-acc.XXXXXX")
. "$top/share/devel/rspamd-instance.sh"
trap 'rspamd_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

classes="spam ham"
[ -d "$corpus/hard-ham" ] && classes="spam ham hard-ham"
for c in $classes; do
	find "$corpus/$c" -type f ! -name '.*' | sort >"$work/all.$c"
	awk -v k="$K" -v w="$work" -v c="$c" '{ print > (w "/fold." ((NR - 1) % k) "." c) }' "$work/all.$c"
done
ns=$(wc -l <"$work/all.spam")
nh=$(wc -l <"$work/all.ham")
nhh=0
[ -s "$work/all.hard-ham" ] 2>/dev/null && nhh=$(wc -l <"$work/all.hard-ham")
echo "corpus: $corpus; $ns spam, $nh ham, $nhh hard ham; Bayes in $K folds" \
	"(learns $((K - 1)) of $K of every folder, measured on the rest)"
printf '%-46s %14s %14s %14s\n' "what" "spam caught" "ham flagged" "hard ham flagged"

pct() { [ "$2" -gt 0 ] && echo "100 * $1 / $2" | bc -l || echo 0; }
row() {	# row NAME SPAM_CAUGHT HAM_FLAGGED HARDHAM_FLAGGED
	printf '%-46s %6d %6.1f%% %6d %6.2f%% %6d %6.2f%%\n' "$1" "$2" "$(pct "$2" "$ns")" \
		"$3" "$(pct "$3" "$nh")" "${4:-0}" "$(pct "${4:-0}" "$nhh")"
}
# caught FILE: how many verdict lines say flag or worse
caught() { [ -f "$1" ] || { echo 0; return; }
	awk '$3 == "flag" || $3 == "quarantine" || $3 == "reject" { n++ } END { print n + 0 }' "$1"; }
# rows3 NAME PREFIX: the row of PREFIX.spam, PREFIX.ham, PREFIX.hard-ham
rows3() { row "$1" "$(caught "$2.spam")" "$(caught "$2.ham")" "$(caught "$2.hard-ham")"; }
# others I: the files of every fold but I, of class C
others() { j=0; while [ "$j" -lt "$K" ]; do
	[ "$j" -ne "$1" ] && cat "$work/fold.$j.$2" 2>/dev/null; j=$((j + 1)); done; }

# --- spam-score ---------------------------------------------------------
mkdir -p "$work/ctl"
export PORTCULLIS_CONTROL="$work/ctl" PORTCULLIS_RULES="${PORTCULLIS_RULES:-$top/share/rules}"
for c in $classes; do
	xargs "$bin/spam-score" --direction in <"$work/all.$c" >"$work/rules.$c" 2>/dev/null
done
rows3 "spam-score, rules alone" "$work/rules"
if [ "${FIT:-0}" != 0 ]; then
	python3 "$top/share/devel/fit-weights.py" --bin "$bin" --folds "$K" --report |
		awk '/^held-out/ { print $2, $3, $4 }' >"$work/fit"
	read -r a b c <"$work/fit" && row "  the fit, held out ($K folds)" "$a" "$b" "$c"
fi
i=0
while [ "$i" -lt "$K" ]; do
	printf '%s\n' "$work/bayes.$i.lmdb" >"$work/ctl/bayesdb"
	others "$i" spam | xargs "$bin/spam-score" --learn-spam >/dev/null
	for c in $classes; do
		[ "$c" = spam ] || others "$i" "$c" | xargs "$bin/spam-score" --learn-ham >/dev/null
	done
	for c in $classes; do
		xargs "$bin/spam-score" --direction in <"$work/fold.$i.$c" >>"$work/bayes.$c" 2>/dev/null
	done
	rm -f "$work/bayes.$i.lmdb" "$work/bayes.$i.lmdb-lock"
	i=$((i + 1))
done
rm -f "$work/ctl/bayesdb"
rows3 "spam-score, rules and Bayes" "$work/bayes"

# --- rspamd, network checks off ------------------------------------------------
# Its rules alone: rspamd's Bayes keeps its tokens in Redis, which this
# script does not run.  A message counts as caught at score 6, the
# default "add header" action (SpamAssassin's flag and ours are at 5);
# "greylist" at 4 is a delay, not a verdict.
if [ "${RSPAMD:-1}" = 0 ]; then
	:
elif ! command -v rspamd >/dev/null 2>&1 || ! command -v rspamc >/dev/null 2>&1; then
	echo "(rspamd is not installed: apt-get install rspamd for its row)"
elif rport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])') &&
    rspamd_start "$work" "$rport"; then
	# one score a line, from rspamc's "Score: 8.50 / 15.00"
	for c in $classes; do
		xargs rspamc -h "127.0.0.1:$rport" -n 8 <"$work/all.$c" 2>/dev/null |
			awk '$1 == "Score:" { print $2 }' >"$work/rspamd.$c"
	done
	rspamd_stop
	at6() { awk '$1 >= 6 { n++ } END { print n + 0 }' "$1"; }
	row "rspamd $(rspamd -v | awk '{ print $NF }'), rules alone, score >= 6" \
		"$(at6 "$work/rspamd.spam")" "$(at6 "$work/rspamd.ham")" "$(at6 "$work/rspamd.hard-ham" 2>/dev/null || echo 0)"
fi

# --- SpamAssassin, local tests only ------------------------------------------
[ "${SA:-1}" = 0 ] && exit 0
if ! command -v sa-learn >/dev/null 2>&1 || ! perl -MMail::SpamAssassin -e 1 2>/dev/null; then
	echo "(SpamAssassin is not installed: apt-get install spamassassin for its rows)"
	exit 0
fi
# sa_check CONFIG < list: a verdict line per message, one Perl process
sa_check() {
	SA_CONF=$1 perl -MMail::SpamAssassin -e '
		my $sa = Mail::SpamAssassin->new({ local_tests_only => 1,
		    dont_copy_prefs => 1, userprefs_filename => "/dev/null",
		    post_config_text => $ENV{SA_CONF} });
		$sa->compile_now(0);
		while (my $f = <STDIN>) {
			chomp $f;
			open(my $fh, "<", $f) or next;
			my @l = <$fh>;
			close $fh;
			my $m = $sa->parse(\@l);
			my $s = $sa->check($m);
			printf "%s SA %s %.1f\n", $f, $s->is_spam ? "flag" : "pass", $s->get_score;
			$s->finish;
			$m->finish;
		}' 2>/dev/null
}
common="skip_rbl_checks 1
use_razor2 0
use_pyzor 0
use_dcc 0
use_auto_whitelist 0
use_txrep 0
bayes_auto_learn 0
required_score 5.0"
for c in $classes; do
	sa_check "$common
use_bayes 0" <"$work/all.$c" >"$work/sa.$c"
done
rows3 "SpamAssassin $(spamassassin -V | awk 'NR==1{print $3}'), local rules alone" "$work/sa"
i=0
while [ "$i" -lt "$K" ]; do
	rm -rf "$work/sabayes" && mkdir -p "$work/sabayes"
	others "$i" spam | xargs sa-learn --local --no-sync --dbpath "$work/sabayes" --spam >/dev/null 2>&1
	for c in $classes; do
		[ "$c" = spam ] || others "$i" "$c" |
			xargs sa-learn --local --no-sync --dbpath "$work/sabayes" --ham >/dev/null 2>&1
	done
	sa-learn --local --dbpath "$work/sabayes" --sync >/dev/null 2>&1
	for c in $classes; do
		sa_check "$common
use_bayes 1
bayes_path $work/sabayes/bayes" <"$work/fold.$i.$c" >>"$work/sabayes.$c"
	done
	i=$((i + 1))
done
rows3 "SpamAssassin, local rules and Bayes" "$work/sabayes"
