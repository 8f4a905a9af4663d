#!/bin/sh
# control: what every tool does with the control directory (lib/core/ctl.c,
# portcullis-control(5)).  A byte size may end in K, M or G; a number that
# is not one names the file, the line and the bounds; a control directory
# named by -C or $PORTCULLIS_CONTROL that is not there makes the tool stop
# (111) and say which, while no control directory at all still means
# every default.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 711 "$tmp"
chmod 755 "$PORTCULLIS_CONTROL"
Q=$tmp/queue
mkdir "$Q"
chown 65534:65534 "$Q"
printf 'From: a@example.net\nTo: b@ourco.example\nSubject: hi\n\nbody\n' >"$tmp/m.eml"

# --- sizes ---------------------------------------------------------------
control databytes 3M
run $py "$top/t/smtp-chat.py" -- env TCPREMOTEIP=192.0.2.7 PORTCULLIS_QUEUE="$Q" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/smtpd-accept" <<'EOF2'
< ^220
> EHLO client.example
< ^250 ENHANCEDSTATUSCODES$
> QUIT
< ^221
eof
EOF2
is_exit 'databytes 3M: smtpd-accept runs' 0
like '... and offers SIZE 3145728 (3 MiB)' '^S: 250-SIZE 3145728$'

control databytes 50M
run header-strip --direction in <"$tmp/m.eml"
is_exit 'databytes 50M: header-strip runs' 0
control headerbytes 64k
run spam-score <"$tmp/m.eml"
is_exit 'headerbytes 64k: spam-score runs' 0
rm "$PORTCULLIS_CONTROL/headerbytes"

control databytes 50X
run header-strip --direction in <"$tmp/m.eml"
is_exit 'databytes 50X: 111' 111
err_like '... names the file, the line, the value and the bounds' \
	'^header-strip: fatal: unable to read .*/databytes: control/databytes line 1: "50X" is not a number from 1024 to 2147483648 \(K, M or G may follow'
control databytes '# the SMTP size limit' '' 3G
run spam-score <"$tmp/m.eml"
is_exit 'databytes 3G, past its bound: 111' 111
err_like '... on line 3' 'control/databytes line 3: "3G" is not a number from 1024 to 2147483648'
rm "$PORTCULLIS_CONTROL/databytes"

control headerfields 10k
run spoof-check --direction in <"$tmp/m.eml"
is_exit 'headerfields 10k (a count, not a size): 111' 111
err_like '... says why' 'control/headerfields line 1: "10k" is not a number from 16 to 1000000$'
rm "$PORTCULLIS_CONTROL/headerfields"

control timeoutstage 5s
run portcullis -Q "$tmp/gq"
is_exit 'the supervisor with timeoutstage 5s: 111' 111
err_like '... names it' 'portcullis: fatal: unable to read control/timeoutstage: control/timeoutstage line 1: "5s" is not a number from 1 to 86400$'
rm "$PORTCULLIS_CONTROL/timeoutstage"

# --- a control directory that is not there -------------------------------
run header-strip -C "$tmp/nowhere" --direction in <"$tmp/m.eml"
is_exit '-C naming a missing directory: 111' 111
err_like '... says which' "the control directory $tmp/nowhere named by -C does not exist\$"
run env PORTCULLIS_CONTROL="$tmp/nowhere" spoof-check --direction in <"$tmp/m.eml"
is_exit '$PORTCULLIS_CONTROL naming a missing directory: 111' 111
err_like '... says which' "the control directory $tmp/nowhere named by \\\$PORTCULLIS_CONTROL does not exist\$"
run env PORTCULLIS_CONTROL="$tmp/m.eml" spam-score <"$tmp/m.eml"
is_exit '... naming a file: 111' 111
err_like '... says so' 'is not a directory$'
run portcullis -C "$tmp/nowhere" -Q "$tmp/gq"
is_exit 'the supervisor with -C missing: 111' 111
err_like '... says which' "the control directory $tmp/nowhere named by -C does not exist\$"
ok '... and never started a queue' test ! -e "$tmp/gq"

# --- no control directory at all: every default --------------------------
if [ -e /etc/portcullis ]; then
	_result 1 'no control directory at all: skipped, /etc/portcullis exists'
	_result 1 '... skipped'
else
	run env -u PORTCULLIS_CONTROL header-strip --direction in <"$tmp/m.eml"
	is_exit 'no control directory at all (/etc/portcullis absent): defaults, 0' 0
	# as the supervisor hands the default on to its stages
	run env PORTCULLIS_CONTROL=/etc/portcullis spoof-check --direction in <"$tmp/m.eml"
	is_exit '... the default named but absent: defaults too, 0' 0
fi
# --- the supervisor: -n checks, a listen port out of range is refused --
mkdir "$tmp/sc"
printf '127.0.0.1:99999\n' >"$tmp/sc/listen"
run portcullis -n -C "$tmp/sc" -Q "$tmp/scq"
is_exit 'portcullis -n: a listen port of 99999 is an error' 111
err_like '... naming the line and the bounds' 'control/listen line 1: port "99999" is not a number from 0 to 65535'
run portcullis -C "$tmp/sc" -Q "$tmp/scq"
is_exit '... and the supervisor does not start on another port' 111
printf '127.0.0.1:2525\n' >"$tmp/sc/listen"
printf 'header-strip --direction in\nno-such-filter -a\n' >"$tmp/sc/chain.in"
run portcullis -n -C "$tmp/sc" -Q "$tmp/scq"
is_exit 'portcullis -n: a chain program that is not there is an error' 111
err_like '... named with its line' 'chain.in line 2: "no-such-filter -a": no such program'
rm "$tmp/sc/chain.in"
run portcullis -n -C "$tmp/sc" -Q "$tmp/scq"
is_exit 'portcullis -n: a good configuration' 0
err_like '... says so, binding nothing' 'configuration ok: .*1 listeners, chains of 6 and 7 stages'
is '... and creates no queue' "$(ls -d "$tmp/scq" 2>/dev/null)" ''

done_testing
