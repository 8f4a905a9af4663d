#!/bin/sh
# smtpd-accept: SMTP transcripts over a pipe (the client is a script, see
# t/smtp-chat.py), then real clients (swaks, python smtplib) behind
# tcpserver on a loopback port the kernel picks.  smtpd-accept refuses
# root, so it runs as nobody (65534) on a queue that user owns.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chat=$top/t/smtp-chat.py
d=$data/smtpd-accept
chmod 711 "$tmp"
chmod 755 "$PORTCULLIS_CONTROL"
Q=$tmp/queue
mkdir "$Q"
chown 65534:65534 "$Q"
new=$Q/incoming/new
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

control me gw.ourco.example
# the queue's form of a message as the door took it: no chain runs at the
# door here (verdicts at the door are t/door.t's)
control doortimeout 0
control localdomains ourco.example .sub.ourco.example
control relayclients 10.0.0.0/8 2001:db8::/32

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# session [VAR=VALUE...] < SCRIPT: one session over a pipe, client
# 192.0.2.7 unless TCPREMOTEIP is given; transcript in $out, log in $err.
session() {
	run $py "$chat" -- env TCPREMOTEIP=192.0.2.7 PORTCULLIS_QUEUE="$Q" "$@" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/smtpd-accept"
}
count() { ls "$new" 2>/dev/null | wc -l; }
last() { ls -t "$new" | head -1; }
ok_chat() { is_exit "$1" 0; }

# --- privileges and banner ------------------------------------------------
run env PORTCULLIS_QUEUE="$Q" smtpd-accept </dev/null
is_exit 'refuses to run as root' 111
err_like '... and says so' 'smtpd-accept: fatal: refusing to run as root'

session <<'EOF2'
< ^220 gw\.ourco\.example ESMTP$
> EHLO client.example
< ^250 ENHANCEDSTATUSCODES$
> QUIT
< ^221 2\.0\.0
eof
EOF2
ok_chat 'banner is "220 <me> ESMTP"; QUIT closes'
like 'EHLO offers PIPELINING' '^S: 250-PIPELINING$'
like 'EHLO offers SIZE with databytes' '^S: 250-SIZE 52428800$'
like 'EHLO offers 8BITMIME' '^S: 250-8BITMIME$'
like 'EHLO offers SMTPUTF8' '^S: 250-SMTPUTF8$'
unlike 'no CHUNKING offered' 'CHUNKING|BDAT'
unlike 'no STARTTLS without a certificate' 'STARTTLS'
unlike 'no software name anywhere' '[Pp]ortcullis|smtpd|[Pp]ostfix|qmail'
err_like 'one log line per connection' '^smtpd-accept: ip=192\.0\.2\.7 host=- helo=client\.example dir=in tls=no accepted=0 refused=0 errors=0 end=quit$'

control smtpgreeting 'ESMTP Authorized use only'
session <<'EOF2'
< ^220 gw\.ourco\.example ESMTP Authorized use only$
> QUIT
< ^221
EOF2
ok_chat 'control/smtpgreeting sets the banner text after our name'
rm "$PORTCULLIS_CONTROL/smtpgreeting"

# --- one message, into the queue -----------------------------------------
session <<'EOF2'
< ^220
> EHLO client.example
< ^250
> MAIL FROM:<alice@sender.example> BODY=8BITMIME
< ^250 2\.1\.0
> RCPT TO:<Bob@OurCo.Example.>
< ^250 2\.1\.5
> DATA
< ^354
> Subject: hello
> X-Portcullis-Spam-Score: pass 2.0.0 forged
> Authentication-Results: gw.ourco.example; spf=pass smtp.mailfrom=forged
> Authentication-Results: mx.sender.example; spf=pass
> X-Portcullis: not ours, kept
>
> ..a stuffed dot
> body \xe9 8-bit
> .
< ^250 2\.0\.0 Ok: queued as [0-9]+\.M[0-9]+P[0-9]+Q[0-9]+$
> QUIT
< ^221
EOF2
ok_chat 'a message is accepted with 250 and its queue id'
qid=$(printf '%s\n' "$out" | sed -n 's/^S: 250 2.0.0 Ok: queued as //p')
is 'exactly one message in incoming/new' "$(count)" 1
is 'it has the queue id of the reply' "$(ls "$new")" "$qid"
sed -e "s/$qid/QID/" -e 's/; [A-Z][a-z][a-z], .*/; DATE/' "$new/$qid" >"$tmp/got"
ok 'message bytes: Received on top, our headers gone, dots unstuffed, LF' \
	cmp "$tmp/got" "$d/accepted.eml"
printf 'Q%s\nDin\nI192.0.2.7\nHclient.example\nB8BITMIME\nFalice@sender.example\nTBob@ourco.example\n' \
	"$qid" >"$tmp/want.env"
ok 'envelope file incoming/env/QID' cmp "$Q/incoming/env/$qid" "$tmp/want.env"
ok 'tmp/ is empty afterwards' test -z "$(ls "$Q/incoming/tmp")"
is 'queue directories are private (0700)' "$(stat -c %a "$Q/incoming/new")" 700
# 0640: the supervisor reads the door's files through the queue's group
is 'the message is 0640' "$(stat -c %a "$new/$qid")" 640
err_like 'one log line per message' "^smtpd-accept: qid=$qid ip=192\.0\.2\.7 from=<alice@sender\.example> rcpts=1 bytes=[0-9]+ verdict=accepted"

# two recipients: no "for" clause, both in the envelope
session <<'EOF2'
< ^220
> HELO old.example
< ^250 gw\.ourco\.example$
> MAIL FROM:<>
< ^250
> RCPT TO:<a@ourco.example>
< ^250
> RCPT TO:<b@x.sub.ourco.example>
< ^250
> DATA
< ^354
> Subject: two
>
> x
> .
< ^250
> QUIT
< ^221
EOF2
ok_chat 'null sender, two recipients, HELO'
f=$(last)
like_file() { if grep -Eq -- "$2" "$3"; then _result 1 "$1"; else _result 0 "$1" "$3 does not match /$2/"; fi; }
like_file 'HELO session: "with SMTP"' '^	by gw\.ourco\.example with SMTP id' "$new/$f"
if grep -q 'for <' "$new/$f"; then _result 0 'no "for" with two recipients'; else _result 1 'no "for" with two recipients'; fi
like_file 'empty F line for <>' '^F$' "$Q/incoming/env/$f"
like_file 'second recipient in the envelope' '^Tb@x\.sub\.ourco\.example$' "$Q/incoming/env/$f"

# forged trace: HELO and host name cannot make a second "[ip]" or "by"
session TCPREMOTEHOST='a (b [10.9.9.9]) by gw' <<'EOF2'
< ^220
> EHLO [10.0.0.1]
< ^250
> MAIL FROM:<a@f.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> Subject: forged trace
>
> x
> .
< ^250
> QUIT
< ^221
EOF2
ok_chat 'a session with a bracketed HELO and a hostile TCPREMOTEHOST'
like_file '... neither can forge the address in Received' \
	'^Received: from \?10\.0\.0\.1\? \(a\?\?b\?\?10\.9\.9\.9\?\?\?by\?gw \[192\.0\.2\.7\]\)$' "$new/$(last)"
like_file '... the envelope keeps the HELO as given' '^H\[10\.0\.0\.1\]$' "$Q/incoming/env/$(last)"

control headerbytes 1024
hdr=$(printf '%0900d' 0)
n0=$(count)
session <<EOF2
< ^220
> EHLO h.example
< ^250
> MAIL FROM:<a@h.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> X-A: $hdr
> X-B: $hdr
>
> x
> .
< ^552 5\.3\.4 Header
> QUIT
< ^221
EOF2
ok_chat 'control/headerbytes: a larger header section is 552 5.3.4'
is '... nothing queued' "$(count)" "$n0"
rm "$PORTCULLIS_CONTROL/headerbytes"

# --- pipelining ---------------------------------------------------------
n0=$(count)
session <<'EOF2'
< ^220
>> EHLO p.example\r\nMAIL FROM:<a@p.example>\r\nRCPT TO:<x@ourco.example>\r\nRCPT TO:<y@evil.example>\r\nDATA\r\nSubject: p\r\n\r\npipelined\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n
< ^250 ENHANCEDSTATUSCODES
< ^250 2\.1\.0
< ^250 2\.1\.5
< ^554 5\.7\.1
< ^354
< ^250 2\.0\.0 Ok: queued
< ^250 2\.0\.0 Ok$
< ^250 2\.0\.0 Ok$
< ^221
eof
EOF2
ok_chat 'a whole pipelined session in one write gets every reply in order'
is '... and one message queued' "$(count)" $((n0 + 1))

# --- relay control --------------------------------------------------------
control maxerrors 1000
{
	echo '< ^220'
	echo '> EHLO r.example'
	echo '< ^250 '
	echo '> MAIL FROM:<a@r.example>'
	echo '< ^250'
	while read -r want addr; do
		echo "> RCPT TO:$addr"
		echo "< ^$want"
	done <"$d/relay.tab"
	echo '> QUIT'
	echo '< ^221'
} >"$tmp/relay.chat"
session <"$tmp/relay.chat"
ok_chat "every relay trick in t/data/smtpd-accept/relay.tab gets its answer"
while read -r want addr; do
	a=$(printf '%s' "$addr" | sed 's/[][\\.*^$%|?+(){}]/\\&/g')
	if printf '%s\n' "$out" | grep -A1 -F -- "C: RCPT TO:$addr" | grep -q "^S: $want"; then
		_result 1 "RCPT TO:$addr -> $want"
	else
		_result 0 "RCPT TO:$addr -> $want" "$(printf '%s\n' "$out" | grep -A1 -F -- "C: RCPT TO:$addr")"
	fi
done <"$d/relay.tab"

for ip in ::ffff:10.1.2.3 10.1.2.3 2001:db8::25; do
	session TCPREMOTEIP=$ip <<'EOF2'
< ^220
> EHLO inside.example
< ^250
> MAIL FROM:<a@ourco.example>
< ^250
> RCPT TO:<someone@elsewhere.example>
< ^250 2\.1\.5
> RCPT TO:<"q@x"@elsewhere.example>
< ^250 2\.1\.5
> DATA
< ^354
> Subject: out
>
> x
> .
< ^250
> QUIT
< ^221
EOF2
	ok_chat "relay client $ip may send anywhere"
	f=$(last)
	like_file "... its mail is outbound (D out)" '^Dout$' "$Q/incoming/env/$f"
	like_file "... a quoted local part stays quoted in the envelope" '^T"q@x"@elsewhere\.example$' "$Q/incoming/env/$f"
done
like_file 'IPv6 client address in Received as [IPv6:...]' '\[IPv6:2001:db8::25\]' "$new/$f"
control maxerrors 10

# --- SMTP smuggling: a bare LF or CR never ends the data ----------------------
while IFS='|' read -r name payload; do
	[ -z "$name" ] && continue
	n0=$(count)
	session <<EOF2
< ^220
> EHLO s.example
< ^250
> MAIL FROM:<a@s.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
>> Subject: smuggle\\r\\n\\r\\nbody$payload
>> MAIL FROM:<admin@ourco.example>\\r\\nRCPT TO:<x@ourco.example>\\r\\nDATA\\r\\nSubject: smuggled\\r\\n\\r\\nevil\\r\\n.\\r\\n
< ^554 5\\.6\\.0 Bare (LF|CR)
< ^421
eof
EOF2
	ok_chat "smuggling ($name): 554 5.6.0, then the connection ends"
	is "smuggling ($name): nothing queued" "$(count)" "$n0"
done <"$d/smuggle.tab"
err_like 'the refusal is logged with its reason' 'verdict=refused reason=bare-(lf|cr)'

# --- limits ---------------------------------------------------------------
long=$(printf '%0520d' 0)
session <<EOF2
< ^220
> NOOP $long
< ^500 5\.5\.2 Error: line too long
> NOOP ${long%?????????????????????????????}
< ^250
> QUIT
< ^221
EOF2
ok_chat 'a command line over 512 octets gets 500, one of 510 with its CRLF is fine'

text=$(printf '%0998d' 0)
n0=$(count)
session <<EOF2
< ^220
> EHLO l.example
< ^250
> MAIL FROM:<a@l.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> Subject: long
>
> $text
> .
< ^250
> MAIL FROM:<a@l.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> Subject: long
>
> ${text}x
> .
< ^554 5\.6\.0 Line too long
> QUIT
< ^221
EOF2
ok_chat 'a text line of 1000 octets with CRLF is taken, 1001 refused (554 5.6.0)'
is '... one message queued' "$(count)" $((n0 + 1))

n0=$(count)
session <<'EOF2'
< ^220
> N\x00OP
< ^500 5\.5\.2 Error: bad character
> EHLO h\xe9.example
< ^501
> N\xffOP
< ^500
> EHLO n.example
< ^250
> MAIL FROM:<j\xc3\xb6rg@n.example>
< ^553 5\.6\.7
> MAIL FROM:<j\xf6rg@n.example> SMTPUTF8
< ^501 5\.6\.7
> MAIL FROM:<j\xc3\xb6rg@n.example> SMTPUTF8
< ^250
> RCPT TO:<x\x00y@ourco.example>
< ^501
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> Subject: nul
>
> a\x00b
> .
< ^554 5\.6\.0 NUL
> QUIT
< ^221
EOF2
ok_chat 'NULs and 8-bit in commands; UTF-8 only with SMTPUTF8; NUL in data refused'
is '... nothing queued' "$(count)" "$n0"

control maxrcpt 3
session <<'EOF2'
< ^220
> EHLO m.example
< ^250
> MAIL FROM:<a@m.example>
< ^250
> RCPT TO:<a@ourco.example>
< ^250
> RCPT TO:<b@ourco.example>
< ^250
> RCPT TO:<c@ourco.example>
< ^250
> RCPT TO:<d@ourco.example>
< ^452 4\.5\.3
> QUIT
< ^221
EOF2
ok_chat 'control/maxrcpt: one recipient too many gets 452 4.5.3'

control maxrcpt 1
control maxerrors 2
{
	printf '%s\n' '< ^220' '> EHLO m.example' '< ^250' \
		'> MAIL FROM:<a@m.example>' '< ^250' '> RCPT TO:<a@ourco.example>' '< ^250'
	for i in $(seq 1001); do printf '%s\n' "> RCPT TO:<r$i@ourco.example>" '< ^452'; done
	printf '%s\n' '> RCPT TO:<last@ourco.example>' '< ^452' '< ^421 4\.7\.0' eof
} >"$tmp/overshoot.chat"
session <"$tmp/overshoot.chat"
ok_chat '... 1000 RCPTs past it get 452; then each counts as an error'
err_like '... logged as errors' 'errors=2 end=errors$'
rm "$PORTCULLIS_CONTROL/maxrcpt" "$PORTCULLIS_CONTROL/maxerrors"

control databytes 2000
big=$(printf '%01500d' 0)
n0=$(count)
session <<EOF2
< ^220
> EHLO z.example
< ^250 ENH
> MAIL FROM:<a@z.example> SIZE=5000
< ^552 5\.3\.4
> MAIL FROM:<a@z.example> SIZE=1000
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> Subject: big
>
> $big
> $big
> .
< ^552 5\.3\.4
> QUIT
< ^221
EOF2
like 'control/databytes is the SIZE in EHLO' '^S: 250-SIZE 2000$'
ok_chat 'control/databytes: SIZE too large refused at MAIL, a larger message at the end of DATA'
is '... nothing queued' "$(count)" "$n0"
rm "$PORTCULLIS_CONTROL/databytes"

control maxhops 3
n0=$(count)
session <<'EOF2'
< ^220
> EHLO h.example
< ^250
> MAIL FROM:<a@h.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> Received: from a by b
> Received: from b by c
> Delivered-To: x@ourco.example
> Received: from c by d
> Subject: loop
>
> x
> .
< ^554 5\.4\.6
> QUIT
< ^221
EOF2
ok_chat 'control/maxhops: too many Received/Delivered-To is 554 5.4.6'
is '... nothing queued' "$(count)" "$n0"
rm "$PORTCULLIS_CONTROL/maxhops"

control greetdelay 300
session <<'EOF2'
> EHLO early.example
< ^554 5\.7\.1 .*banner
eof
EOF2
ok_chat 'control/greetdelay: a client that talks before the banner is refused'
err_like '... logged as pregreet' 'end=pregreet'
session <<'EOF2'
< ^220
> QUIT
< ^221
EOF2
ok_chat '... one that waits gets the banner'
rm "$PORTCULLIS_CONTROL/greetdelay"

control timeoutsmtpd 1
session <<'EOF2'
< ^220
sleep 1.6
< ^421 4\.4\.2
eof
EOF2
ok_chat 'control/timeoutsmtpd: an idle client gets 421 4.4.2 and is dropped'
session <<'EOF2'
< ^220
> EHLO t.example
< ^250
> MAIL FROM:<a@t.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> Subject: slow
sleep 1.6
< ^421 4\.4\.2
eof
EOF2
ok_chat '... also in the middle of DATA'
rm "$PORTCULLIS_CONTROL/timeoutsmtpd"

control maxerrors 3
session <<'EOF2'
< ^220
> FOO
< ^500
> BAR
< ^500
> BAZ
< ^500
< ^421 4\.7\.0
eof
EOF2
ok_chat 'control/maxerrors: the third error ends the session with 421'
rm "$PORTCULLIS_CONTROL/maxerrors"

control maxjunkcommands 2
control maxerrors 2
session <<'EOF2'
< ^220
> NOOP
< ^250
> RSET
< ^250
> VRFY x
< ^252
> HELP
< ^214
< ^421 4\.7\.0
eof
EOF2
ok_chat 'control/maxjunkcommands: NOOP, RSET, VRFY, HELP past it count as errors'
err_like '... logged as errors' 'errors=2 end=errors$'
session <<'EOF2'
< ^220
> EHLO j.example
< ^250
> NOOP
< ^250
> NOOP
< ^250
> MAIL FROM:<a@j.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^354
> Subject: j
>
> .
< ^250 2\.0\.0
> NOOP
< ^250
> RSET
< ^250
> QUIT
< ^221
EOF2
ok_chat '... and a message queued starts the count again'
rm "$PORTCULLIS_CONTROL/maxjunkcommands" "$PORTCULLIS_CONTROL/maxerrors"

session <<'EOF2'
< ^220
> GET / HTTP/1.0
< ^421
eof
EOF2
ok_chat 'an HTTP request ends the session at once'

control maxerrors 1000
session <<'EOF2'
< ^220
> MAIL FROM:<a@o.example>
< ^503 5\.5\.1
> EHLO o.example
< ^250
> RCPT TO:<x@ourco.example>
< ^503 5\.5\.1
> DATA
< ^503 5\.5\.1
> MAIL FROM:<a@o.example>
< ^250
> MAIL FROM:<a@o.example>
< ^503 5\.5\.1
> DATA
< ^554 5\.5\.1
> VRFY root
< ^252
> VRFY
< ^501 5\.5\.4
> EXPN staff
< ^502
> HELP
< ^214
> RSET
< ^250
> MAIL FROM:<a@o.example> FOO=BAR
< ^555 5\.5\.4
> MAIL FROM:a@o.example
< ^250
> RCPT TO:<x@ourco.example> NOTIFY=NEVER
< ^555
> STARTTLS
< ^502
> AUTH PLAIN AAAA
< ^502
> QUIT
< ^221
EOF2
ok_chat 'command order (RFC 5321 4.1.4), VRFY 252, bare VRFY 501, EXPN, HELP, unknown parameters'
rm "$PORTCULLIS_CONTROL/maxerrors"

# the queue cannot be written: 451, nothing visible
mkdir "$tmp/rootq"
chmod 700 "$tmp/rootq"
run $py "$chat" -- env TCPREMOTEIP=192.0.2.7 PORTCULLIS_QUEUE="$tmp/rootq" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/smtpd-accept" <<'EOF2'
< ^220
> EHLO q.example
< ^250
> MAIL FROM:<a@q.example>
< ^250
> RCPT TO:<x@ourco.example>
< ^250
> DATA
< ^451 4\.3\.0
> QUIT
< ^221
EOF2
ok_chat 'a queue we cannot write: 451 4.3.0 at DATA'
is '... and nothing in it' "$(find "$tmp/rootq" -type f | wc -l)" 0

# --- real clients over TCP ---------------------------------------------------
# tcpserver binds port 0 and prints the port the kernel chose (-1).
tcpserver -1 -HR -u 65534 -g 65534 -c 20 127.0.0.1 0 \
	env PORTCULLIS_QUEUE="$Q" "$BIN/smtpd-accept" >"$tmp/port" 2>"$tmp/tcpserver.log" &
pids="$pids $!"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -s "$tmp/port" ] && break
	sleep 0.1
done
port=$(head -1 "$tmp/port")
ok 'tcpserver listens on a port the kernel chose' test -n "$port"

n0=$(count)
run swaks --server 127.0.0.1 --port "$port" --from a@swaks.example \
	--to x@ourco.example --header 'Subject: swaks' --body 'from swaks' --pipeline
is_exit 'swaks (PIPELINING) delivers a message' 0
like '... and sees the queue id' '<- +250 2\.0\.0 Ok: queued as'
is '... which is in the queue' "$(count)" $((n0 + 1))
f=$(last)
like_file '... with TCPREMOTEIP in the Received header' '^Received: from .* \(unknown \[127\.0\.0\.1\]\)$' "$new/$f"

run swaks --server 127.0.0.1 --port "$port" --from a@swaks.example \
	--to x@evil.example
is_exit 'swaks: relaying to a foreign domain fails' 24
like '... with 554 5.7.1' '<\*\* +554 5\.7\.1'

n0=$(count)
run $py "$top/t/smtp-client.py" 127.0.0.1 "$port"
is_exit 'python smtplib: two messages in one session, one refused recipient' 0
like '... refused recipient reported' 'refused x@evil\.example 554'
like '... a bare VRFY (smtplib docmd) gets 501, as RFC 5321 grammar wants' '^bare VRFY 501 5\.5\.4'
like '... VRFY with an address gets 252' '^VRFY root 252 2\.5\.2'
is '... two messages queued' "$(count)" $((n0 + 2))

printf 'Subject: curl\r\n\r\nfrom curl\r\n' >"$tmp/curl.eml"
n0=$(count)
run curl -sS --max-time 10 "smtp://127.0.0.1:$port" --mail-from a@curl.example \
	--mail-rcpt x@ourco.example -T "$tmp/curl.eml"
is_exit 'curl delivers a message' 0
is '... which is queued' "$(count)" $((n0 + 1))
run curl -sS --max-time 10 "smtp://127.0.0.1:$port" --mail-from a@curl.example \
	--mail-rcpt x@evil.example -T "$tmp/curl.eml"
is_exit 'curl: relaying refused (curl exit 55)' 55

n0=$(count)
run msmtp --host=127.0.0.1 --port="$port" --auth=off --tls=off \
	--from=a@msmtp.example x@ourco.example <"$tmp/curl.eml"
is_exit 'msmtp delivers a message' 0
is '... which is queued' "$(count)" $((n0 + 1))

# --- STARTTLS ----------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=gw.ourco.example \
	-keyout "$PORTCULLIS_CONTROL/tlskey" -out "$PORTCULLIS_CONTROL/tlscert" 2>/dev/null
chown 65534 "$PORTCULLIS_CONTROL/tlskey"
chmod 600 "$PORTCULLIS_CONTROL/tlskey"

n0=$(count)
run $py "$top/t/smtp-tls.py" 127.0.0.1 "$port"
is_exit 'python: STARTTLS, reset after it, and no plaintext injection' 0
[ "$rc" = 0 ] || printf '%s\n' "$out" | grep '^not ok' | sed 's/^/# /'
like '... the injection check ran' 'ok injected plaintext is not executed'
is '... one message over TLS queued' "$(count)" $((n0 + 1))
f=$(last)
like_file '... Received says ESMTPS with the TLS version and cipher' \
	'by gw\.ourco\.example with ESMTPS \(TLSv1\.[23] [A-Z0-9_-]+\) id' "$new/$f"
like_file '... the envelope has the S line' '^STLSv1\.[23] ' "$Q/incoming/env/$f"

run swaks --server 127.0.0.1 --port "$port" --tls --from a@swaks.example \
	--to x@ourco.example --header 'Subject: swaks tls'
is_exit 'swaks --tls delivers a message' 0
like '... over TLS' 'TLS started'

n0=$(count)
run msmtp --host=127.0.0.1 --port="$port" --auth=off --tls=on --tls-starttls=on \
	--tls-certcheck=off --from=a@msmtp.example x@ourco.example <"$tmp/curl.eml"
is_exit 'msmtp with STARTTLS delivers a message' 0
is '... which is queued' "$(count)" $((n0 + 1))
like_file '... over TLS' 'with ESMTPS' "$new/$(last)"

n0=$(count)
run curl -sS --max-time 10 --ssl-reqd -k "smtp://127.0.0.1:$port" \
	--mail-from a@curl.example --mail-rcpt x@ourco.example -T "$tmp/curl.eml"
is_exit 'curl --ssl-reqd (STARTTLS) delivers a message' 0
is '... which is queued' "$(count)" $((n0 + 1))
like_file '... over TLS' 'with ESMTPS' "$new/$(last)"

control tlsclients 127.0.0.0/8
run swaks --server 127.0.0.1 --port "$port" --from a@swaks.example --to x@ourco.example
like 'control/tlsclients: without STARTTLS, MAIL gets 530 5.7.0' '<\*\* +530 5\.7\.0'
run swaks --server 127.0.0.1 --port "$port" --tls --from a@swaks.example --to x@ourco.example
is_exit '... with STARTTLS the same client may send' 0

control tlsclients 192.0.2.0/24
session <<'EOF2'
< ^220
> EHLO must.example
< ^250
> MAIL FROM:<a@must.example>
< ^530 5\.7\.0
> QUIT
< ^221
EOF2
ok_chat 'control/tlsclients: MAIL without STARTTLS is 530 5.7.0'
like '... STARTTLS is offered' '^S: 250-STARTTLS$'
rm "$PORTCULLIS_CONTROL/tlsclients"

echo garbage >"$PORTCULLIS_CONTROL/tlscert"
session <<'EOF2'
< ^421 4\.3\.0
eof
EOF2
ok_chat 'a certificate that does not load: 421 4.3.0, mail waits'
err_like '... and the log says why' 'smtpd-accept: fatal: unable to read control/tlscert'

kill $pids 2>/dev/null
done_testing
