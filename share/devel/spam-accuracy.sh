#!/bin/sh
# spam-accuracy.sh [BINDIR]: spam-score's accuracy on a corpus of real mail
# (CORPUS, default ../shared/corpus, with spam/ and ham/ holding one
# message per file), beside Debian's SpamAssassin when it is installed,
# on the same split in the same run.
#
# The corpus is split in two halves (alternate files in sorted order):
# Bayes learns the first half, every row is measured on the second.  Rows:
# rules alone, then rules with Bayes, for each tool; columns: spam caught
# (flagged or worse at the default threshold 5.0) and ham wrongly flagged.
# SpamAssassin runs with local tests only (no DNS, no network checks), one
# Perl process through its API, its Bayes trained by sa-learn on the same
# half.  rspamd, when installed, is a private server with its network
# checks off (share/devel/rspamd-instance.sh); its rules alone only (its
# Bayes needs Redis), spam caught at its default "add header" score, 6.
# Prints one table; SpamAssassin's rows take long (half an hour on two busy
# cores; SA=0 leaves them out, RSPAMD=0 rspamd's).  Local use only: never
# in the timed test suite.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$top/bin}
corpus=${CORPUS:-$top/../shared/corpus}
[ -x "$bin/spam-score" ] || { echo "spam-accuracy: fatal: no $bin/spam-score (make first)" >&2; exit 111; }
[ -d "$corpus/spam" ] && [ -d "$corpus/ham" ] || {
	echo "spam-accuracy: fatal: no spam/ and ham/ under $corpus (set CORPUS=)" >&2; exit 111; }
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-acc.XXXXXX")
. "$top/share/devel/rspamd-instance.sh"
trap 'rspamd_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

for c in spam ham; do
	find "$corpus/$c" -type f | sort >"$work/all.$c"
	awk 'NR % 2 == 1' "$work/all.$c" >"$work/train.$c"
	awk 'NR % 2 == 0' "$work/all.$c" >"$work/test.$c"
done
ns=$(wc -l <"$work/test.spam")
nh=$(wc -l <"$work/test.ham")
echo "corpus: $corpus; trained on $(wc -l <"$work/train.spam") spam and" \
	"$(wc -l <"$work/train.ham") ham, tested on $ns spam and $nh ham"
printf '%-44s %14s %14s\n' "what" "spam caught" "ham flagged"

row() {	# row NAME SPAM_CAUGHT HAM_FLAGGED
	printf '%-44s %6d %6.1f%% %6d %6.2f%%\n' "$1" "$2" \
		"$(echo "100 * $2 / $ns" | bc -l)" "$3" "$(echo "100 * $3 / $nh" | bc -l)"
}
# caught FILE: how many verdict lines say flag or worse
caught() { awk '$3 == "flag" || $3 == "quarantine" || $3 == "reject" { n++ } END { print n + 0 }' "$1"; }

# --- spam-score ---------------------------------------------------------
mkdir -p "$work/ctl"
export PORTCULLIS_CONTROL="$work/ctl" PORTCULLIS_RULES="${PORTCULLIS_RULES:-$top/share/rules}"
for c in spam ham; do
	xargs "$bin/spam-score" --direction in <"$work/test.$c" >"$work/rules.$c" 2>/dev/null
done
row "spam-score, rules alone" "$(caught "$work/rules.spam")" "$(caught "$work/rules.ham")"
printf '%s\n' "$work/bayes.lmdb" >"$work/ctl/bayesdb"
xargs "$bin/spam-score" --learn-spam <"$work/train.spam" >/dev/null
xargs "$bin/spam-score" --learn-ham <"$work/train.ham" >/dev/null
for c in spam ham; do
	xargs "$bin/spam-score" --direction in <"$work/test.$c" >"$work/bayes.$c" 2>/dev/null
done
row "spam-score, rules and Bayes" "$(caught "$work/bayes.spam")" "$(caught "$work/bayes.ham")"

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
	for c in spam ham; do
		xargs rspamc -h "127.0.0.1:$rport" -n 8 <"$work/test.$c" 2>/dev/null |
			awk '$1 == "Score:" { print $2 }' >"$work/rspamd.$c"
	done
	rspamd_stop
	[ "$(wc -l <"$work/rspamd.spam")" -eq "$ns" ] && [ "$(wc -l <"$work/rspamd.ham")" -eq "$nh" ] ||
		echo "(rspamd did not answer for every message: its row counts what it answered)"
	at6() { awk '$1 >= 6 { n++ } END { print n + 0 }' "$1"; }
	row "rspamd $(rspamd -v | awk '{ print $NF }'), rules alone, score >= 6" \
		"$(at6 "$work/rspamd.spam")" "$(at6 "$work/rspamd.ham")"
fi

# --- SpamAssassin, local tests only ------------------------------------------
[ "${SA:-1}" = 0 ] && exit 0
if ! command -v sa-learn >/dev/null 2>&1 || ! perl -MMail::SpamAssassin -e 1 2>/dev/null; then
	echo "(SpamAssassin is not installed: apt-get install spamassassin for its rows)"
	exit 0
fi
# sa_check CONFIG < list: "spam" or "ham" per message, one Perl process
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
for c in spam ham; do
	sa_check "$common
use_bayes 0" <"$work/test.$c" >"$work/sa.$c"
done
row "SpamAssassin $(spamassassin -V | awk 'NR==1{print $3}'), local rules alone" \
	"$(caught "$work/sa.spam")" "$(caught "$work/sa.ham")"
mkdir -p "$work/sabayes"
xargs sa-learn --local --no-sync --dbpath "$work/sabayes" --spam <"$work/train.spam" >/dev/null 2>&1
xargs sa-learn --local --no-sync --dbpath "$work/sabayes" --ham <"$work/train.ham" >/dev/null 2>&1
sa-learn --local --dbpath "$work/sabayes" --sync >/dev/null 2>&1
for c in spam ham; do
	sa_check "$common
use_bayes 1
bayes_path $work/sabayes/bayes" <"$work/test.$c" >"$work/sabayes.$c"
done
row "SpamAssassin, local rules and Bayes" "$(caught "$work/sabayes.spam")" "$(caught "$work/sabayes.ham")"
