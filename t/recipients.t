#!/bin/sh
# recipients: recipient validation at RCPT in smtpd-accept.  First
# control/recipients: a list of a million generated addresses indexed on
# first use (timed), @domain entries, postmaster and abuse always valid,
# +extensions, case, the index rebuilt when the text changes and by
# concurrent sessions, the in-memory fallback, a bad line; over a pipe
# (t/smtp-chat.py) and with real clients (swaks, python smtplib) behind
# tcpserver.  Then verification against a real Postfix on loopback that
# knows two users (virtual_mailbox_maps): its 550 becomes ours, its users
# are accepted and queued, a stopped Postfix gives 450, and a cached
# answer is used while it is stopped.  smtpd-accept runs as nobody.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chat=$top/t/smtp-chat.py
chmod 711 "$tmp"
chmod 755 "$PORTCULLIS_CONTROL"
Q=$tmp/queue
mkdir "$Q"
chown 65534:65534 "$Q"
new=$Q/incoming/new
pids=
pf=$tmp/pf
trap 'for p in $pids; do kill "$p" 2>/dev/null; done
	[ -f "$pf/main.cf" ] && /usr/sbin/postfix -c "$pf" stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT

control me gw.ourco.test
control localdomains ourco.test other.test internal.ourco.test
control relayclients 10.0.0.0/8

session() {
	run $py "$chat" -- env TCPREMOTEIP=192.0.2.7 PORTCULLIS_QUEUE="$Q" "$@" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/smtpd-accept"
}
count() { ls "$new" 2>/dev/null | wc -l; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# rcpts "<ADDR> WANT"...: one session, RCPT for each address, each reply
# checked against the regular expression WANT; then a test per address
rcpts() {
	{
		echo '< ^220'
		echo '> EHLO r.example'
		echo '< ^250 '
		echo '> MAIL FROM:<a@r.example>'
		echo '< ^250'
		for _p in "$@"; do
			echo "> RCPT TO:${_p%% *}"
			echo "< ^${_p#* }"
		done
		echo '> QUIT'
		echo '< ^221'
	} >"$tmp/rcpt.chat"
	session ${env:-} <"$tmp/rcpt.chat"
	for _p in "$@"; do
		if printf '%s\n' "$out" | grep -A1 -F -- "C: RCPT TO:${_p%% *}" |
		    grep -Eq "^S: ${_p#* }"; then
			_result 1 "${label:-}RCPT TO:${_p%% *} -> ${_p#* }"
		else
			_result 0 "${label:-}RCPT TO:${_p%% *} -> ${_p#* }" "$out
$err"
		fi
	done
}

# --- no list: every address at a local domain, as before ------------------
rcpts '<anyone@ourco.test> 250' '<x@other.test> 250' '<x@elsewhere.test> 554'
ok 'no control/recipients: no index is made' test ! -e "$Q/recipients.cdb"

# --- a million entries -----------------------------------------------------
t0=$(ms)
{
	echo '# generated: a million users'
	seq 1 1000000 | awk '{ print "user" $1 "@ourco.test" }'
	echo '@other.test   # the whole domain'
	echo 'Carol.Smith@OurCo.Test'
	echo 'dave+sales@ourco.test'
} >"$PORTCULLIS_CONTROL/recipients"
echo "# generating 1,000,003 lines took $(($(ms) - t0)) ms"

t0=$(ms)
rcpts '<user1@ourco.test> 250' '<user1000000@ourco.test> 250' \
	'<user1000001@ourco.test> 550 5\.1\.1 <user1000001@ourco\.test>: Recipient address rejected: unknown user$' \
	'<nobody@ourco.test> 550 5\.1\.1 <nobody@ourco\.test>: Recipient address rejected: unknown user$'
t1=$(($(ms) - t0))
build=$(printf '%s\n' "$err" | sed -n 's/.*recipients\.cdb rebuilt from .* in \([0-9]*\) ms$/\1/p')
ok 'the first session builds the index' test -n "$build"
echo "# index of 1,000,003 entries built in ${build:-?} ms (the whole session: $t1 ms)"
ok '... in under 10 s' test "${build:-99999}" -lt 10000
err_like '... the unknown recipient is logged' '^smtpd-accept: rcpt=<nobody@ourco\.test> verdict=unknown reason=recipients$'
ok '... the index is owned by the smtpd user' test "$(stat -c %u "$Q/recipients.cdb")" = 65534
ok '... and no temporary file is left' sh -c "! ls '$Q' | grep -q tmp"

t0=$(ms)
rcpts '<user500000@ourco.test> 250' '<user0@ourco.test> 550'
t1=$(($(ms) - t0))
# timed, not asserted: a test machine's speed varies too much
echo "# a session with two lookups in the index: $t1 ms"
unlike_err() { if printf '%s\n' "$err" | grep -Eq -- "$2"; then _result 0 "$1" "$err"; else _result 1 "$1"; fi; }
unlike_err 'the second session uses the index as it is' 'rebuilt'

rcpts '<anyone@other.test> 250' '<Anyone@OTHER.TEST.> 250' \
	'<carol.smith@ourco.test> 250' '<CAROL.SMITH@ourco.test> 250' \
	'<USER42@OurCo.Test> 250' '<user42+tag@ourco.test> 250' \
	'<user42+@ourco.test> 250' '<user42-tag@ourco.test> 550' \
	'<dave+sales@ourco.test> 250' '<dave@ourco.test> 550' '<dave+other@ourco.test> 550' \
	'<postmaster@ourco.test> 250' '<PostMaster@internal.ourco.test> 250' \
	'<abuse@ourco.test> 250' '<ABUSE+x@ourco.test> 250' '<postmaster> 250' \
	'<user1@elsewhere.test> 554' '<"user1"@ourco.test> 250'
err=

control recipientdelimiter '-+'
rcpts '<user42-tag@ourco.test> 250' '<user42+tag@ourco.test> 250'
control recipientdelimiter
label='empty recipientdelimiter: ' rcpts '<user42+tag@ourco.test> 550' '<user42@ourco.test> 250'
rm "$PORTCULLIS_CONTROL/recipientdelimiter"

label='relay client: ' env=TCPREMOTEIP=10.1.1.1 rcpts '<nobody@ourco.test> 550' \
	'<anyone@elsewhere.test> 250'

# a changed text is indexed again; sessions at the same moment all wait
# for one build and all answer from the new list
echo 'newbie@ourco.test' >>"$PORTCULLIS_CONTROL/recipients"
printf '%s\n' '< ^220' '> EHLO p.example' '< ^250 ' '> MAIL FROM:<a@p.example>' '< ^250' \
	'> RCPT TO:<newbie@ourco.test>' '< ^250' '> RCPT TO:<user3@ourco.test>' '< ^250' \
	'> RCPT TO:<oldie@ourco.test>' '< ^550' '> QUIT' '< ^221' >"$tmp/par.chat"
for i in 1 2 3 4 5 6; do
	( $py "$chat" -- env TCPREMOTEIP=192.0.2.7 PORTCULLIS_QUEUE="$Q" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/smtpd-accept" \
		<"$tmp/par.chat" >/dev/null 2>"$tmp/par.$i"; echo $? >"$tmp/par.rc.$i" ) &
done
wait
: >"$tmp/par.all"
for i in 1 2 3 4 5 6; do cat "$tmp/par.$i" "$tmp/par.rc.$i" >>"$tmp/par.all"; done
is 'six sessions at once after a change: one rebuilt the index' \
	"$(grep -c 'rebuilt from' "$tmp/par.all")" 1
is '... and all six answered from the new list' "$(cat "$tmp"/par.rc.* | tr -d '\n')" 000000
rcpts '<newbie@ourco.test> 250' '<user999999@ourco.test> 250' '<oldie@ourco.test> 550'
ok '... no temporary file is left' sh -c "! ls '$Q' | grep -q tmp"

# --- real clients --------------------------------------------------------
tcpserver -1 -HR -u 65534 -g 65534 -c 20 127.0.0.1 0 \
	env PORTCULLIS_QUEUE="$Q" "$BIN/smtpd-accept" >"$tmp/port" 2>"$tmp/tcpserver.log" &
pids="$pids $!"
for i in $(seq 30); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(head -1 "$tmp/port")
ok 'tcpserver listens on a port the kernel chose' test -n "$port"

n0=$(count)
run swaks --server 127.0.0.1 --port "$port" --from a@swaks.test --to nobody@ourco.test
is_exit 'swaks: an unknown recipient fails' 24
like '... with 550 5.1.1 at RCPT' '<\*\* +550 5\.1\.1 <nobody@ourco\.test>: Recipient address rejected: unknown user'
is '... and nothing is queued' "$(count)" "$n0"
run swaks --server 127.0.0.1 --port "$port" --from a@swaks.test --to user7@ourco.test
is_exit 'swaks: a listed recipient is accepted' 0
is '... and queued' "$(count)" $((n0 + 1))

n0=$(count)
run $py - "$port" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
try:
    s.sendmail("a@py.test", ["ghost@ourco.test"], "Subject: one\r\n\r\nx\r\n")
    print("accepted")
except smtplib.SMTPRecipientsRefused as e:
    for r, (c, t) in e.recipients.items():
        print("refused %s %d %s" % (r, c, t.decode()))
bad = s.sendmail("a@py.test", ["user8@ourco.test", "ghost@ourco.test"],
    "Subject: two\r\n\r\nx\r\n")
for r, (c, t) in bad.items():
    print("partly %s %d %s" % (r, c, t.decode()))
s.quit()
PY
like 'smtplib: the only recipient unknown: refused with 550 5.1.1' '^refused ghost@ourco\.test 550 5\.1\.1 '
like 'smtplib: one of two unknown: that one refused' '^partly ghost@ourco\.test 550 5\.1\.1 '
is '... and one message queued' "$(count)" $((n0 + 1))
f=$(ls -t "$new" | head -1)
ok '... for the known recipient only' sh -c "grep -q '^Tuser8@ourco.test\$' '$Q/incoming/env/$f' && ! grep -q ghost '$Q/incoming/env/$f'"

# --- an index that cannot be written; a bad line -------------------------
Q2=$tmp/queue2
mkdir -p "$Q2/recipients.cdb"
chown -R 65534:65534 "$Q2"
C2=$tmp/control2
mkdir "$C2"
chmod 755 "$C2"
cp "$PORTCULLIS_CONTROL/me" "$PORTCULLIS_CONTROL/localdomains" "$C2/"
printf 'small@ourco.test\n@other.test\n' >"$C2/recipients"
label='index unwritable: ' env="PORTCULLIS_QUEUE=$Q2 PORTCULLIS_CONTROL=$C2" \
	rcpts '<small@ourco.test> 250' '<user1@ourco.test> 550' '<x@other.test> 250'
err_like '... the list is read into memory and the log says why' \
	'recipients: .*/control2/recipients read into memory: no index: unable to rename .*recipients\.cdb'
printf 'small@ourco.test\nnot an address\n' >"$C2/recipients"
label='bad line: ' env="PORTCULLIS_QUEUE=$Q2 PORTCULLIS_CONTROL=$C2" \
	rcpts '<small@ourco.test> 451 4\.3\.0 <small@ourco\.test>: Recipient address rejected: temporary configuration problem' \
	'<x@elsewhere.test> 554'
err_like '... the log names the line' 'recipients: unable to read .*/control2/recipients line 2: not an address'

# --- verification against a real Postfix on loopback ----------------------
# The internal server knows carol and dave at internal.ourco.test (an
# inline virtual_mailbox_maps); Postfix answers any other address there
# with 550 5.1.1 itself (smtpd_reject_unlisted_recipient), and erin, for
# now, with 450.
PATH=$PATH:/usr/sbin
pport=$(free_port)
mkdir -p "$tmp/pfmail"
chown 65534:65534 "$tmp/pfmail"
have_pf=0
sh "$top/share/devel/postfix-instance.sh" "$tmp" "$pport" mail.internal.ourco.test \
	'smtpd_recipient_restrictions = check_recipient_access inline:{ { erin@internal.ourco.test = 450 4.2.1 try later } }, permit_mynetworks, reject' \
	'virtual_mailbox_domains = internal.ourco.test' \
	"virtual_mailbox_base = $tmp/pfmail" \
	"virtual_mailbox_maps = inline:{ carol@internal.ourco.test=box/, dave@internal.ourco.test=box/, erin@internal.ourco.test=box/, $(printf 'j\303\266rg')@internal.ourco.test=box/ }" \
	'virtual_uid_maps = static:65534' 'virtual_gid_maps = static:65534' \
	'virtual_minimum_uid = 100' 2>"$tmp/pfstart.err" && have_pf=1
ok 'a private Postfix starts on a free loopback port' test $have_pf = 1
for i in $(seq 50); do
	$py -c "import socket; socket.create_connection(('127.0.0.1', $pport)).close()" \
		2>/dev/null && break
	sleep 0.1
done

rm -f "$PORTCULLIS_CONTROL/recipients"
control routes "internal.ourco.test smtp:[127.0.0.1]:$pport"
control verifyrecipients internal.ourco.test
control verifytimeout 3

n0=$(count)
run swaks --server 127.0.0.1 --port "$port" --from a@swaks.test --to carol@internal.ourco.test
is_exit 'verify: a user the internal Postfix knows is accepted' 0
is '... and queued' "$(count)" $((n0 + 1))
ok '... the probe was logged' grep -q 'rcpt=<carol@internal\.ourco\.test> verify=ok cached=no said=host \[127\.0\.0\.1\]:[0-9]* said: 250 ' "$tmp/tcpserver.log"

n0=$(count)
run swaks --server 127.0.0.1 --port "$port" --from a@swaks.test --to nobody@internal.ourco.test
is_exit 'verify: a user the internal Postfix does not know fails' 24
like '... with our 550 5.1.1 at RCPT' '<\*\* +550 5\.1\.1 <nobody@internal\.ourco\.test>: Recipient address rejected: undeliverable address'
unlike '... which does not show the internal server' '127\.0\.0\.1\]:|mail\.internal|User unknown'
is '... nothing queued' "$(count)" "$n0"
ok '... the log keeps what Postfix said' grep -q 'rcpt=<nobody@internal\.ourco\.test> verify=undeliverable cached=no said=.* said: 550 5\.1\.1 .*(in reply to RCPT TO)' "$tmp/tcpserver.log"
label='verify: ' rcpts '<nobody@internal.ourco.test> 550 5\.1\.1' '<Carol@Internal.OurCo.Test> 250' \
	'<postmaster@internal.ourco.test> 250'
err_like '... both answers come from the cache now' 'rcpt=<nobody@internal\.ourco\.test> verify=undeliverable cached=yes'
err_like '... carol too, whatever the case' 'rcpt=<Carol@internal\.ourco\.test> verify=ok cached=yes'
ok '... the cache is in the queue directory, the smtpd user'"'"'s' test "$(stat -c %u "$Q/verify.db")" = 65534
# an address in UTF-8: the probe says SMTPUTF8, as the client did
session <<'EOF2'
< ^220
> EHLO u.example
< ^250 
> MAIL FROM:<a@u.example> SMTPUTF8
< ^250
> RCPT TO:<j\xc3\xb6rg@internal.ourco.test>
< ^250
> RCPT TO:<j\xc3\xb8rg@internal.ourco.test>
< ^550 5\.1\.1
> QUIT
< ^221
EOF2
is_exit 'verify: a UTF-8 user Postfix knows is accepted, one it does not know is refused' 0
label='a 4xx from Postfix: ' rcpts '<erin@internal.ourco.test> 450 4\.1\.1'
err_like '... is logged' 'rcpt=<erin@internal\.ourco\.test> verify=unverified cached=no said=.* said: 450 4\.2\.1 .*try later'
label='... and not cached: ' rcpts '<erin@internal.ourco.test> 450 4\.1\.1'
err_like '... Postfix is asked again' 'rcpt=<erin@internal\.ourco\.test> verify=unverified cached=no'
ok 'the probes delivered nothing at Postfix' test -z "$(ls "$tmp/pfmail/box/new" 2>/dev/null)"

postfix -c "$pf" stop >/dev/null 2>&1
for i in $(seq 50); do
	$py -c "import socket; socket.create_connection(('127.0.0.1', $pport)).close()" \
		2>/dev/null || break
	sleep 0.1
done
n0=$(count)
run swaks --server 127.0.0.1 --port "$port" --from a@swaks.test --to carol@internal.ourco.test
is_exit 'Postfix stopped: a verified user is still accepted from the cache' 0
is '... and queued' "$(count)" $((n0 + 1))
run swaks --server 127.0.0.1 --port "$port" --from a@swaks.test --to dave@internal.ourco.test
is_exit 'Postfix stopped: a user never verified fails' 24
like '... with 450 4.1.1 at RCPT' '<\*\* +450 4\.1\.1 <dave@internal\.ourco\.test>: Recipient address rejected: unverified address'
is '... nothing queued' "$(count)" $((n0 + 1))
ok '... the log says why' grep -q 'rcpt=<dave@internal\.ourco\.test> verify=unverified cached=no said=unable to connect to 127\.0\.0\.1 port' "$tmp/tcpserver.log"
label='no answer is cached: ' rcpts '<dave@internal.ourco.test> 450 4\.1\.1' '<nobody@internal.ourco.test> 550' \
	'<erin@internal.ourco.test> 450 4\.1\.1'
err_like '... dave is asked again' 'rcpt=<dave@internal\.ourco\.test> verify=unverified cached=no'
err_like '... but not twice in one session' 'rcpt=<erin@internal\.ourco\.test> verify=unverified cached=session'

# a server that takes the connection and never speaks: 450 within
# control/verifytimeout, for the whole probe
$py -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(60)' >"$tmp/silent.port" &
pids="$pids $!"
for i in $(seq 30); do [ -s "$tmp/silent.port" ] && break; sleep 0.1; done
control localdomains ourco.test other.test internal.ourco.test slow.ourco.test
control routes "internal.ourco.test smtp:[127.0.0.1]:$pport" \
	"slow.ourco.test smtp:[127.0.0.1]:$(cat "$tmp/silent.port")"
control verifyrecipients internal.ourco.test .ourco.test
control verifytimeout 1
t0=$(ms)
label='a silent server: ' rcpts '<x@slow.ourco.test> 450 4\.1\.1'
t1=$(($(ms) - t0))
# a loose bound: the machine may be loaded; the default would be 10 s
ok '... within the time limit (1 s, and less than the default 10 s)' test "$t1" -lt 6000
err_like '... the log says it timed out' 'rcpt=<x@slow\.ourco\.test> verify=unverified cached=no said=lost connection with \[127\.0\.0\.1\]:[0-9]+ before the greeting: Connection timed out'
control verifytimeout 3

done_testing
