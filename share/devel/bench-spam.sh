#!/bin/sh
# bench-spam.sh BINDIR: spam-score's speed in make bench, beside
# SpamAssassin (its Perl engine, local tests only, as spamd runs it) and
# rspamd (when installed: a private rspamd server with its network checks
# off, share/devel/rspamd-instance.sh, fed by rspamc) on the same messages
# in the same run.  Prints one table: messages, wall seconds, CPU seconds
# (user+system of the process and its children; for rspamd, of its server
# processes, and beside it server and client), messages per CPU second (per
# core), and peak resident memory.  CORPUS as bench.sh; SA_MAX caps how
# many messages SpamAssassin gets (default 300: it is slow).
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${CORPUS:-$top/../shared/corpus}
[ -d "$corpus" ] || { echo "bench-spam: fatal: no corpus at $corpus (set CORPUS=)" >&2; exit 111; }
work=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench-spam.XXXXXX")
. "$top/share/devel/rspamd-instance.sh"
trap 'rspamd_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
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
	line "$name" "$cnt" "$1" "$(echo "$2 + $3" | bc -l)"
}
line() {	# line NAME COUNT WALL CPU: one row of the table, peak KB from $RSS
	printf '%-46s %6d %8.2f %8.2f %10.0f %9s\n' "$1" "$2" "$3" "$4" \
		"$(echo "$2 / ($4 + 0.0001)" | bc -l)" "$RSS"
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
# as the gateway runs it: one resident (--serve) given a job per message
# by t/serve-job.py as a scan worker would; its own CPU, from /proc
printf '100000\n' >"$work/ctl/stagemaxuse"
resident() {	# resident NAME: the row of one resident over every message
	name=$1 t0=$(date +%s.%N)
	# shellcheck disable=SC2046 # the corpus's paths have no blanks
	set -- $(/usr/bin/python3 "$top/t/serve-job.py" --quiet --cpu -- "$ss" -- \
		$(cat "$work/list") | sed -n 's/^cpu \([0-9.]*\) jobs \([0-9]*\) hwm \([0-9]*\)$/\1 \2 \3/p')
	if [ "${2:-0}" -eq "$n" ]; then
		RSS=$3
		line "$name" "$n" "$(echo "$(date +%s.%N) - $t0" | bc -l)" "$1"
	else
		echo "($name: the resident did ${2:-0} of $n jobs)"
	fi
}
resident "spam-score, rules, resident, as the gateway"
printf '%s\n' "$work/bayes.lmdb" >"$work/ctl/bayesdb"
printf '1\n' >"$work/ctl/bayesmin"
grep '/spam/' "$work/list" | xargs "$bin/spam-score" --learn-spam >/dev/null 2>&1
grep -v '/spam/' "$work/list" | xargs "$bin/spam-score" --learn-ham >/dev/null 2>&1
RSS=$(rss "$bin/spam-score" <"$big")
row "spam-score, rules+Bayes, one process" "$n" "$batch"
row "spam-score, rules+Bayes, a process per message" "$n" "$each"
resident "spam-score, rules+Bayes, resident"
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
if command -v rspamd >/dev/null 2>&1 && command -v rspamc >/dev/null 2>&1; then
	# Only the scanning counts: the server's start (configuration, the
	# Hyperscan compile) and a warm-up are shown apart.  rspamc sends 8
	# messages at a time so that every worker is busy; the server's CPU is
	# read from /proc before and after, the client's from time(1).
	tck=$(getconf CLK_TCK)
	rport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	t0=$(date +%s.%N)
	if rspamd_start "$work" "$rport"; then
		hwm0=$(rspamd_hwm)
		# a worker gives back its start-up memory on its first message:
		# a few messages each before the peak count restarts
		head -n 16 "$work/list" | xargs rspamc -h "127.0.0.1:$rport" -n 8 >/dev/null 2>&1
		rspamd_hwm_reset || echo "(rspamd: its peak KB below includes the start)"
		c0=$(rspamd_cpu)
		echo "(rspamd start and 16 warm-up messages, not counted: $(echo "$(date +%s.%N) - $t0" | bc -l | xargs printf %.1f) s," \
			"$(echo "$c0 / $tck" | bc -l | xargs printf %.1f) CPU s, a worker's peak" \
			"$hwm0 KB; $(nproc) workers)"
		/usr/bin/time -f '%e %U %S' -o "$work/t" \
			xargs rspamc -h "127.0.0.1:$rport" -n 8 <"$work/list" >"$work/rspamd.out" 2>&1
		c1=$(rspamd_cpu)
		set -- $(tail -n 1 "$work/t")
		scpu=$(echo "($c1 - $c0) / $tck" | bc -l)
		got=$(grep -c '^Action: ' "$work/rspamd.out")
		[ "$got" -eq "$n" ] || { echo "(rspamd answered $got of $n messages; rspamc said:)"
			grep -v -e '^Symbol: ' -e '^Results for ' -e '^\[Metric' -e '^Action: ' \
				-e '^Spam: ' -e '^Score: ' -e '^Message-ID: ' -e '^Urls: ' \
				-e '^Emails: ' -e '^$' "$work/rspamd.out" | head -n 3; }
		RSS=$(rspamd_hwm)
		rv=$(rspamd -v | awk '{ print $NF }')
		line "ref: rspamd $rv, network checks off, server CPU" "$n" "$1" "$scpu"
		RSS=-
		line "  the same, server and rspamc client CPU" "$n" "$1" "$(echo "$scpu + $2 + $3" | bc -l)"
		rspamd_stop
	fi
else
	echo "(rspamd not installed: apt-get install rspamd for its row)"
fi
