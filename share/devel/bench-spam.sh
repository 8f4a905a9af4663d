#!/bin/sh
# bench-spam.sh BINDIR: spam-score's speed in make bench, beside
# SpamAssassin (its Perl engine, local tests only, as spamd runs it) and
# rspamd (when installed: rspamadm, network checks off) on the same
# messages in the same run.  Prints one table: messages, wall seconds, CPU
# seconds (user+system of the process and its children), messages per CPU
# second (per core), and peak resident memory.  CORPUS as bench.sh; SA_MAX
# caps how many messages SpamAssassin gets (default 300: it is slow).
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${CORPUS:-$top/../shared/corpus}
[ -d "$corpus" ] || { echo "bench-spam: fatal: no corpus at $corpus (set CORPUS=)" >&2; exit 111; }
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench-spam.XXXXXX")
trap 'rm -rf "$work"' EXIT
find "$corpus" -type f -name "*.txt" | sort >"$work/list"
[ -s "$work/list" ] || find "$corpus" -type f | sort >"$work/list"
n=$(wc -l <"$work/list")
head -n "${SA_MAX:-300}" "$work/list" >"$work/list.sa"
nsa=$(wc -l <"$work/list.sa")
big=$(xargs ls -S <"$work/list" 2>/dev/null | head -n 1)
mkdir -p "$work/ctl"
export PORTCULLIS_CONTROL="$work/ctl" PORTCULLIS_RULES="${PORTCULLIS_RULES:-$top/share/rules}"

# row NAME COUNT SCRIPT: run the shell script under time(1), which counts
# the CPU of every process it starts; wall, CPU, messages per CPU second
row() {
	name=$1 cnt=$2
	/usr/bin/time -f '%e %U %S' -o "$work/t" sh -c "$3" >/dev/null 2>&1
	set -- $(tail -n 1 "$work/t")
	cpu=$(echo "$2 + $3" | bc -l)
	printf '%-46s %6d %8.2f %8.2f %10.0f %9s\n' "$name" "$cnt" "$1" "$cpu" \
		"$(echo "$cnt / ($cpu + 0.0001)" | bc -l)" "$RSS"
}
rss() {	# rss CMD... < file: peak resident KB of one run
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}
ss=$bin/spam-score
batch="xargs '$ss' <'$work/list'"
each="while read -r f; do '$ss' <\"\$f\"; done <'$work/list'"

echo "spam-score speed: $n messages; largest $(wc -c <"$big") bytes"
printf '%-46s %6s %8s %8s %10s %9s\n' "what" "msgs" "wall s" "CPU s" "msgs/CPU s" "peak KB"
RSS=$(rss "$bin/spam-score" <"$big")
row "spam-score, rules, one process, all files" "$n" "$batch"
row "spam-score, rules, a process per message" "$n" "$each"
printf '%s\n' "$work/bayes.lmdb" >"$work/ctl/bayesdb"
printf '1\n' >"$work/ctl/bayesmin"
grep '/spam/' "$work/list" | xargs "$bin/spam-score" --learn-spam >/dev/null 2>&1
grep -v '/spam/' "$work/list" | xargs "$bin/spam-score" --learn-ham >/dev/null 2>&1
RSS=$(rss "$bin/spam-score" <"$big")
row "spam-score, rules+Bayes, one process" "$n" "$batch"
row "spam-score, rules+Bayes, a process per message" "$n" "$each"
rm -f "$work/ctl/bayesdb"

if perl -MMail::SpamAssassin -e 1 2>/dev/null; then
	cat >"$work/sa.pl" <<'PL'
use Mail::SpamAssassin;
my $sa = Mail::SpamAssassin->new({ local_tests_only => 1,
    dont_copy_prefs => 1, userprefs_filename => "/dev/null",
    post_config_text => "use_bayes 0\nskip_rbl_checks 1\nuse_razor2 0\n" .
    "use_pyzor 0\nuse_dcc 0\nuse_auto_whitelist 0\n" });
$sa->compile_now(0);
while (my $f = <STDIN>) {
	chomp $f;
	open(my $fh, "<", $f) or next;
	my @l = <$fh>;
	close $fh;
	my $m = $sa->parse(\@l);
	my $s = $sa->check($m);
	$s->finish;
	$m->finish;
}
PL
	RSS=$(rss perl -MMail::SpamAssassin -e 'Mail::SpamAssassin->new({local_tests_only=>1})->compile_now(0)' </dev/null)
	row "ref: SpamAssassin $(spamassassin -V | awk 'NR==1{print $3}') engine, one process" "$nsa" \
		"perl '$work/sa.pl' <'$work/list.sa'"
	RSS=-
	row "  spam-score on the same messages" "$nsa" "xargs '$ss' <'$work/list.sa'"
else
	echo "(SpamAssassin not installed: apt-get install spamassassin for its row)"
fi
if command -v rspamadm >/dev/null 2>&1 && command -v rspamc >/dev/null 2>&1; then
	echo "(rspamd is installed: run rspamd with network checks off and rspamc" \
		"over the same list by hand; not automated here)"
else
	echo "(rspamd not installed: no rspamd row)"
fi
