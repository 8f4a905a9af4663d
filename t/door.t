#!/bin/sh
# door: verdicts at the door.  The chain of a message's direction runs
# after the message is written and before the reply to the end of DATA:
# a reject is a 5xx to the client and nothing is queued or bounced; a
# temporary failure (a stage down) is 451 and nothing stays; a quarantine
# is 250 and the message goes to quarantine/; a pass is 250 and the queue
# does not judge it again; past control/doortimeout the message is taken
# and judged after the queue, where an inbound reject becomes a
# quarantine, never a bounce to an outside sender.  The id of the 250
# reply names the message in every log line until its delivery.
# Real parts: the supervisor started here (as root, dropping to nobody),
# python's smtplib as the client, the shipped filetype-check and
# spam-score as stages.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
Q=$tmp/q
md=$tmp/md
mkdir "$md" "$tmp/flags"
chown 65534 "$md" "$tmp/flags"

# A stage that acts by recipient: quarantine@ is held (99), down@ cannot
# decide (111), slow@ takes longer than the door's budget and is then
# refused (100), everything else passes.  It counts its runs per message.
cat >"$tmp/stage.sh" <<EOF
#!/bin/sh
echo "\$QUEUEID" >>"$tmp/flags/runs"
cat
case \$RECIPIENT in
*quarantine@*) echo "stage.sh: qid=\$QUEUEID verdict=quarantine reason=held for review" >&2; exit 99 ;;
*down@*) exit 111 ;;
*slow@*) sleep 4; echo "stage.sh: qid=\$QUEUEID verdict=reject reason=too slow to like" >&2; exit 100 ;;
esac
exit 0
EOF
chmod 755 "$tmp/stage.sh"

gport=$(free_port)
control me gw.ourco.test
control localdomains ourco.test
control relayclients 127.0.0.2
control listen "127.0.0.1:$gport"
control routes "ourco.test maildir:$md/%u"
control chain.in 'header-strip --direction in' "sh $tmp/stage.sh" 'filetype-check -a' 'spam-score -a'
control doortimeout 2
control timeoutstage 20
control retrymin 1
control retrymax 1

# send FROM RCPT FILE [SOURCE]: prints the reply code and text to the
# end of DATA, as the client saw it
send() {
	$py - "$gport" "$@" <<'PY'
import smtplib, sys
port, frm, rcpt, f = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
src = (sys.argv[5], 0) if len(sys.argv) > 5 else None
s = smtplib.SMTP('127.0.0.1', port, source_address=src)
s.ehlo('client.example')
s.mail(frm)
s.rcpt(rcpt)
code, text = s.data(open(f, 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n'))
print(code, text.decode())
s.quit()
PY
}
files() { find "$Q" -path '*/new/*' -type f | sort; }
wait_for() {	# wait_for SECONDS N GLOB
	for i in $(seq $(($1 * 10))); do
		[ "$(ls $3 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

printf 'MZ\220\0\3\0\0\0\4\0\0\0\377\377\0\0' >"$tmp/prog.exe"
head -c 200 /dev/zero >>"$tmp/prog.exe"
(cd "$tmp" && zip -q inner.zip prog.exe)
{
	printf 'From: Mallory <m@outside.example>\nTo: bob@ourco.test\nSubject: invoice\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_b"\n\n'
	printf -- '--=_b\nContent-Type: text/plain\n\nsee attached\n'
	printf -- '--=_b\nContent-Type: application/zip; name="invoice.zip"\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 "$tmp/inner.zip"
	printf -- '--=_b--\n'
} >"$tmp/exe.eml"
printf 'From: Alice <alice@outside.example>\nTo: bob@ourco.test\nSubject: lunch\n\nAt noon?\n' >"$tmp/plain.eml"

ok 'the supervisor starts' start_gw

# --- a reject at the door ------------------------------------------------
r=$(send m@outside.example bob@ourco.test "$tmp/exe.eml")
case $r in 550\ 5.7.1*) ok=1 ;; *) ok=0 ;; esac
_result $ok 'an exe in a zip from outside is refused at DATA with 550 5.7.1' "$r"
like_r() { if printf '%s\n' "$r" | grep -Eq -- "$2"; then _result 1 "$1"; else _result 0 "$1" "$r"; fi; }
like_r 'the reply gives the stage'"'"'s reason' 'application/x-dosexec'
sleep 0.5
is 'nothing is queued, bounced or quarantined' "$(files)" ''
like_log() { if grep -Eq -- "$2" "$tmp/gw.log"; then _result 1 "$1"; else _result 0 "$1" "$(tail -20 "$tmp/gw.log")"; fi; }
like_log 'the door logs the refusal' 'smtpd-accept\[[0-9]+\]: qid=[^ ]+ ip=127\.0\.0\.1 from=<m@outside\.example> rcpts=1 bytes=[0-9]+ verdict=refused reason=stage 3 \(filetype-check\) exit 100'

# --- a pass: judged once, delivered, one id ------------------------------
: >"$tmp/flags/runs"
r=$(send alice@outside.example bob@ourco.test "$tmp/plain.eml")
like_r 'a clean message is accepted' '^250 2\.0\.0 Ok: queued as '
id=${r##* }
ok 'it is delivered' wait_for 10 1 "$md/bob/new/*"
f=$(ls "$md"/bob/new/* | head -1)
ok 'with the chain'"'"'s headers (spam-score ran at the door)' grep -q '^X-Spam-Status: ' "$f"
is 'the chain ran once for it' "$(grep -c . "$tmp/flags/runs")" 1
is 'the stages saw the id of the 250 reply' "$(cat "$tmp/flags/runs")" "$id"
like_log 'the door queued it for delivery, not to be judged again' "portcullis: qid=$id verdict=pass at=door|smtpd-accept\[[0-9]+\]: qid=$id .* verdict=accepted reason=no stage objected"
like_log 'its delivery is logged under the same id' "portcullis: qid=$id delivery=done"
like_log 'lines carry the time (no journal here)' "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9]{2}:[0-9]{2}:[0-9]{2}Z portcullis: qid=$id "
res=$(pgrep -f -- '^spam-score -a --serve$' | sort)
judged=$(sed -n "s/^[0-9T:Z-]* spam-score\[\([0-9]*\)\]: qid=$id .*/\1/p" "$tmp/gw.log")
ok 'spam-score judged it at the door as a resident of the supervisor' \
	sh -c 'test -n "$2" && printf "%s\n" "$1" | grep -qx -- "$2"' sh "$res" "$judged"

# --- messages above and below what the door keeps in memory (1 MiB) ----
# judged from memory, the chain writes the message file itself; above,
# the message is on disk before the chain runs; both delivered whole
for size in 900000 3000000; do
	{ printf 'From: Alice <alice@outside.example>\nTo: big%s@ourco.test\nSubject: size %s\n\n' "$size" "$size"
	  head -c "$size" /dev/urandom | base64 -w 76; } >"$tmp/big.eml"
	r=$(send alice@outside.example "big$size@ourco.test" "$tmp/big.eml")
	like_r "a message of $size bytes of text judged at the door is accepted" '^250 2\.0\.0 Ok: queued as '
	ok '... and delivered' wait_for 20 1 "$md/big$size/new/*"
	f=$(ls "$md/big$size"/new/* 2>/dev/null | head -1)
	is '... its body intact' "$(sed '1,/^$/d' "$f" | tr -d '\r' | md5sum)" "$(sed '1,/^$/d' "$tmp/big.eml" | md5sum)"
	ok '... with the chain'"'"'s headers' grep -q '^X-Spam-Status: ' "$f"
done
is 'no file of theirs is left in incoming/tmp' "$(ls "$Q/incoming/tmp" | wc -l)" 0

# --- a quarantine at the door ----------------------------------------------
r=$(send alice@outside.example quarantine@ourco.test "$tmp/plain.eml")
like_r 'a held message is accepted (250)' '^250 '
ok 'and lands in quarantine/' wait_for 10 1 "$Q/quarantine/new/*"
q=$(ls "$Q"/quarantine/new/* | head -1)
ok 'with the reason on top' grep -q '^X-Portcullis-Quarantine: stage 2 (sh) exit 99' "$q"
is 'not delivered' "$(ls "$md" | grep -c quarantine)" 0

# --- a stage down: 451, nothing stays ------------------------------------
r=$(send alice@outside.example down@ourco.test "$tmp/plain.eml")
like_r 'a stage that cannot decide gives 451' '^451 4\.7\.1 '
sleep 0.3
is 'nothing of it stays in the queue' "$(files | grep -v quarantine)" ''

# --- past the budget: taken, judged after the queue, never bounced -------
: >"$tmp/flags/runs"
t0=$(date +%s)
r=$(send m@outside.example slow@ourco.test "$tmp/plain.eml")
t1=$(date +%s)
like_r 'past doortimeout the message is taken' '^250 '
ok 'within the budget and a little' test $((t1 - t0)) -le 4
ok 'the queue judges it and holds it' wait_for 30 2 "$Q/quarantine/new/*"
is 'no bounce goes to the outside sender' "$(ls "$Q/outgoing/new" | wc -l)" 0
like_log 'the door said it was late' 'verdict=accepted reason=door=late'

# --- outbound: judged at the door too -------------------------------------
r=$(send alice@ourco.test someone@outside.example "$tmp/exe.eml" 127.0.0.2)
like_r 'an outbound exe is refused at DATA too' '^550 5\.7\.1 '

kill $gw; wait $gw 2>/dev/null; gw=

# --- a resident that fails at its start: the door does not wait for it ----
printf 'this is not a rule\n' >"$PORTCULLIS_CONTROL/spam"
: >"$tmp/gw.log"
ok 'with a broken rule file the supervisor starts' start_gw
for i in $(seq 100); do grep -q 'resident spam-score -a failed at its start' "$tmp/gw.log" && break; sleep 0.1; done
sleep 1
t0=$(date +%s)
r=$(send alice@outside.example bob@ourco.test "$tmp/plain.eml")
t1=$(date +%s)
like_r 'the message gets 451 at once: the stage cannot judge it' '^451 4\.7\.1 '
ok '... not after doortimeout spent waiting for a resident' test $((t1 - t0)) -lt 2
kill $gw; wait $gw 2>/dev/null; gw=
done_testing
