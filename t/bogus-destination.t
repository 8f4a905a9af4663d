#!/bin/sh
# bogus destinations: with control/bogusdomains, mail from our relay
# clients to a domain no mail can reach (the names RFC 2606 and RFC 6761
# reserve, when the file says "reserved", and the domains it lists) is
# refused at RCPT with 550 5.1.2 and the notice's first line, so that a
# test system's burst never reaches the queue; a domain control/routes
# names is exempt, and other recipients of the same message go on.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
Q=$tmp/q
md=$tmp/md
mkdir "$md" && chown 65534 "$md"
gport=$(free_port)
control me gw.ourco.example
control localdomains ourco.example
control relayclients 127.0.0.1
control listen "127.0.0.1:$gport"
control routes "ourco.example maildir:$md/%u" "lab.test maildir:$md/%u"
control bogusdomains reserved ourco-typo.com .typo.example.net
chmod 644 "$PORTCULLIS_CONTROL"/*
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT

# rcpt ADDR...: one session from 127.0.0.1, MAIL then a RCPT per address;
# prints each RCPT's reply code and text
rcpt() {
	$py - "$gport" "$@" <<'PY'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.ehlo('inside.ourco.example')
s.mail('alice@ourco.example')
for a in sys.argv[2:]:
    c, t = s.rcpt(a)
    print(a, c, t.decode())
s.quit()
PY
}
# queued: messages in every queue folder
queued() { find "$Q" -path '*/new/*' -type f 2>/dev/null | wc -l; }

ok 'the gateway starts' start_gw

run rcpt user@test.example x@localhost x@a.invalid x@mail.example.com \
	x@example.org x@ourco-typo.com x@a.typo.example.net X@TEST. x@lab.test \
	x@partner.example.co x@ourco.example
for a in user@test.example x@localhost x@a.invalid x@mail.example.com \
	x@example.org x@ourco-typo.com x@a.typo.example.net X@TEST.; do
	like "$a is refused with 550 5.1.2" "^$a 550 5\.1\.2 <@[a-z.-]+>: Recipient address rejected: bogus destination"
done
like 'a routed reserved name (lab.test) is taken' '^x@lab.test 250 '
like 'a domain that only looks like one is taken' '^x@partner.example.co 250 '
like 'a local recipient is taken' '^x@ourco.example 250 '
like 'the reply quotes the notice' 'no mail can reach; fix the address or the test setup$'
ok 'the log names the bogus destination' grep -q 'rcpt=<@test.example> verdict=reject reason=bogus destination' "$tmp/gw.log"

# a message to a bogus and a good recipient goes to the good one only
$py - "$gport" >"$tmp/mixed.out" 2>&1 <<'PY'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
r = s.sendmail('alice@ourco.example', ['bob@ourco.example', 'load@test.example'],
               'From: alice@ourco.example\r\nSubject: two\r\n\r\nbody\r\n')
print(sorted(r.items()))
s.quit()
PY
ok 'one message, a good and a bogus recipient: only the bogus refused' \
	grep -q "load@test.example', (550" "$tmp/mixed.out"
for i in $(seq 100); do ls "$md"/bob/new/* >/dev/null 2>&1 && break; sleep 0.1; done
ok '... the message reaches the good one' sh -c "ls '$md'/bob/new/* >/dev/null 2>&1"

## The blog's test storm: 500 messages to test.example

# the two-recipient message delivered first, so that the queue is empty
for i in $(seq 100); do [ "$(queued)" = 0 ] && break; sleep 0.1; done
t0=$(date +%s)
$py - "$gport" >"$tmp/burst.out" 2>&1 <<'PY'
import smtplib, sys
port = int(sys.argv[1])
refused = other = 0
s = None
for i in range(500):
    for attempt in range(3):
        try:
            if s is None:
                s = smtplib.SMTP('127.0.0.1', port, timeout=30)
            s.sendmail('loadtest@ourco.example', ['user%d@test.example' % i],
                       'From: loadtest@ourco.example\r\nSubject: load %d\r\n\r\nx\r\n' % i)
            other += 1
            break
        except smtplib.SMTPRecipientsRefused as e:
            code, text = list(e.recipients.values())[0]
            if code == 550 and text.startswith(b'5.1.2'):
                refused += 1
            else:
                other += 1
            break
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException,
                ConnectionError):
            # maxerrors ends a session of refusals: a fresh one goes on
            try:
                s.close()
            except Exception:
                pass
            s = None
if s is not None:
    try:
        s.quit()
    except Exception:
        pass
print("refused %d other %d" % (refused, other))
PY
t1=$(date +%s)
is 'all 500 refused at RCPT' "$(cat "$tmp/burst.out")" 'refused 500 other 0'
is '... nothing of them in the queue' "$(queued)" 0
is '... not a byte of them anywhere in it' "$(grep -rl 'loadtest@ourco.example' "$Q" 2>/dev/null | wc -l)" 0
ok '... at once (within 120 s on a loaded machine)' test $((t1 - t0)) -le 120
echo "# 500 refusals in $((t1 - t0)) s"
is '... and no message was accepted for them' "$(grep -c 'from=<loadtest@ourco.example>' "$tmp/gw.log")" 0

kill $gw; wait $gw 2>/dev/null; gw=

## Without control/bogusdomains nothing is refused for it

rm "$PORTCULLIS_CONTROL/bogusdomains"
control routes "ourco.example maildir:$md/%u" "test.example maildir:$md/%u"
ok 'the gateway starts without bogusdomains' start_gw
run rcpt user@test.example
like 'a reserved name is taken' '^user@test.example 250 '
kill $gw; wait $gw 2>/dev/null; gw=

done_testing
