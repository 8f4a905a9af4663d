#!/bin/sh
# spoof-check: mail from outside claiming our domains, mail leaving without
# them, the published From-header ambiguities, business-only mode, and the
# checker contract (verdict line, -a, -t, batch mode, exit codes).
. "$(dirname "$0")/lib.sh"

d=$data/spoof-check
control localdomains ourco.example
control me gw.ourco.example
IN="env DIRECTION=in SENDER=mallory@evil.example spoof-check"

# --- inbound ----------------------------------------------------------
run env DIRECTION=in SENDER=bob@partner.example spoof-check <"$d/legit.eml"
is_exit 'inbound from a partner passes' 0
like    'the verdict line says pass' '^spoof-check pass 2\.0\.0 '
is      'one verdict line' "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1
err_like 'the log line names the verdict' '^spoof-check: qid=- verdict=pass reason=ok$'

run env DIRECTION=in SENDER=ceo@ourco.example spoof-check <"$d/legit.eml"
is_exit 'inbound with our envelope sender is quarantined' 99
like    'the reason names the envelope sender' '^spoof-check quarantine 5\.7\.1 envelope sender claims ourco\.example from outside'
err_like 'an alert line is written' '^spoof-check: alert: .*envelope sender claims ourco\.example'

run $IN <"$d/from-ours.eml"
is_exit 'inbound From ours with a foreign envelope is quarantined' 99
like    'the reason names the From header' 'From header claims ourco\.example from outside'

run $IN <"$d/display.eml"
is_exit 'an address of ours in the display name is quarantined' 99
like    'the reason names the display text' 'From display text claims ourco\.example'

run env DIRECTION=in SENDER= spoof-check <"$d/bounce.eml"
is_exit 'a bounce with the null sender passes' 0
like    'the bounce verdict is pass' '^spoof-check pass '

run env DIRECTION=in SENDER=bob@partner.example RECIPIENT="alice@ourco.example
bob@ourco.example" spoof-check <"$d/legit.eml"
is_exit 'several recipients in RECIPIENT' 0

# --- the From-header ambiguities (Chen et al., Composition Kills) -----
# Each row is the header lines of a message from mallory@evil.example to
# us, written with printf; none of them may pass inbound.
n=0
while IFS='|' read -r name hdrs; do
	[ -n "$name" ] || continue
	n=$((n + 1))
	printf "$hdrs"'To: a@ourco.example\nSubject: x\n\nbody\n' >"$tmp/amb$n.eml"
	run $IN "$tmp/amb$n.eml"
	if [ "$rc" = 99 ] || [ "$rc" = 100 ]; then _result 1 "ambiguity: $name"
	else _result 0 "ambiguity: $name" "exit $rc: $out"; fi
done <<'EOF'
two From fields|From: mallory@evil.example\nFrom: ceo@ourco.example\n
two From fields, ours second, other case|From: mallory@evil.example\nFROM: ceo@OURCO.EXAMPLE\n
two addresses in one From|From: ceo@ourco.example, mallory@evil.example\nSender: mallory@evil.example\n
encoded word as the address|From: =?utf-8?B?Y2VvQG91cmNvLmV4YW1wbGU=?=\n
encoded word inside the addr-spec|From: <=?utf-8?Q?ceo?=@evil.example>\n
encoded word in the display name|From: =?utf-8?B?Y2VvQG91cmNvLmV4YW1wbGU=?= <mallory@evil.example>\n
Q-encoded at sign in the display name|From: =?utf-8?Q?ceo=40ourco.example?= <mallory@evil.example>\n
comment after the address|From: <mallory@evil.example>(@ourco.example)\n
comment before the address|From: (ceo@ourco.example) mallory@evil.example\n
quoted local part with our address|From: "ceo@ourco.example"@evil.example\n
unquoted address as display name|From: ceo@ourco.example <mallory@evil.example>\n
folded display address|From: ceo@ourco.example\n <mallory@evil.example>\n
white space before the colon|From : ceo@ourco.example\n
white space before the colon, foreign|From : mallory@evil.example\n
a From hidden as a continuation line|Subject: hello\n From: ceo@ourco.example\nFrom: mallory@evil.example\n
a first line starting with white space| From: ceo@ourco.example\nFrom: mallory@evil.example\n
a From after a bare CR|X-Note: hi\rFrom: ceo@ourco.example\nFrom: mallory@evil.example\n
a control byte in the field name|Fr\001om: ceo@ourco.example\nFrom: mallory@evil.example\n
obsolete route through our domain|From: <@ourco.example:mallory@evil.example>\n
unclosed quote|From: "ceo@ourco.example <mallory@evil.example>\n
two angle addresses|From: <ceo@ourco.example> <mallory@evil.example>\n
escaped at sign|From: ceo\\@ourco.example <mallory@evil.example>\n
group named with our address|From: ceo@ourco.example:;\n
Sender of ours|From: mallory@evil.example\nSender: ceo@ourco.example\n
two Sender fields|From: mallory@evil.example\nSender: a@evil.example\nSender: b@evil.example\n
trailing dot on our domain|From: ceo@ourco.example.\n
full-width at sign in the display name|From: "ceo\357\274\240ourco.example" <mallory@evil.example>\n
zero-width space in our domain|From: "ceo@ourco\342\200\213.example" <mallory@evil.example>\n
EOF

printf 'From: ceo@ourco.example\000<mallory@evil.example>\nTo: a@ourco.example\nSubject: x\n\nbody\n' >"$tmp/nul.eml"
run $IN <"$tmp/nul.eml"
is_exit 'a NUL byte in From is quarantined' 99
like    'the NUL is called ambiguous or a claim' '^spoof-check quarantine 5\.7\.1 '
printf 'From: mallory@evil.example\000ceo\nTo: a@ourco.example\n\nbody\n' >"$tmp/nul2.eml"
run $IN <"$tmp/nul2.eml"
is_exit 'a NUL byte in a foreign From is quarantined too' 99
like    'and called ambiguous' 'ambiguous From field'

# Structural findings that only flag.
printf 'To: a@ourco.example\nSubject: x\n\nbody\n' >"$tmp/nofrom.eml"
run env DIRECTION=in SENDER=bob@partner.example spoof-check <"$tmp/nofrom.eml"
is_exit 'no From field: flagged, delivered' 0
like    'the verdict is flag' '^spoof-check flag 2\.0\.0 no From field$'
printf 'From: a@partner.example, b@partner.example\nTo: a@ourco.example\n\nx\n' >"$tmp/two.eml"
run env DIRECTION=in SENDER=a@partner.example spoof-check <"$tmp/two.eml"
is_exit 'two From addresses without Sender: flagged' 0
like    'the verdict says why' '^spoof-check flag .*no Sender field'

# CRLF input is read the same way.
sed 's/$/\r/' "$d/from-ours.eml" >"$tmp/crlf.eml"
run $IN <"$tmp/crlf.eml"
is_exit 'CRLF input: From ours is quarantined' 99
like    'CRLF input: same reason' 'From header claims ourco\.example from outside'
sed 's/$/\r/' "$d/legit.eml" >"$tmp/crlf-legit.eml"
run env DIRECTION=in SENDER=bob@partner.example spoof-check <"$tmp/crlf-legit.eml"
is_exit 'CRLF input: the partner passes' 0

# --- outbound ---------------------------------------------------------
run env DIRECTION=out SENDER=alice@ourco.example spoof-check <"$d/outbound.eml"
is_exit 'outbound from ours passes' 0
like    'outbound verdict pass' '^spoof-check pass '

run env DIRECTION=out SENDER=bob@partner.example spoof-check <"$d/legit.eml"
is_exit 'outbound from a foreign domain is rejected' 100
like    'the reason says it is not ours' '^spoof-check reject 5\.7\.1 envelope sender partner\.example is not one of our domains'

run env DIRECTION=out SENDER=mallory@evil.example spoof-check <"$d/outbound.eml"
is_exit 'outbound with From ours but a foreign envelope is rejected' 100

run env DIRECTION=out SENDER=alice@ourco.example spoof-check <"$d/legit.eml"
is_exit 'outbound with our envelope but a foreign From is rejected' 100
like    'the reason names the From' 'From header partner\.example is not one of our domains'

run env DIRECTION=out SENDER=alice@ourco.example spoof-check <"$d/display.eml"
is_exit 'outbound: a display name is only a name; the address decides' 100
unlike  'outbound: no claim from a display name' 'display text'

# --- direction --------------------------------------------------------
run env DIRECTION=out SENDER=alice@ourco.example spoof-check --direction in <"$d/outbound.eml"
is_exit '--direction in wins over DIRECTION=out' 99
run env DIRECTION=in SENDER=alice@ourco.example spoof-check --direction out <"$d/outbound.eml"
is_exit '--direction out wins over DIRECTION=in' 0
control relayclients 10.0.0.0/8
run env SENDER=alice@ourco.example spoof-check --ip 10.1.2.3 <"$d/outbound.eml"
is_exit 'a client in relayclients makes it outbound' 0
run env SENDER=alice@ourco.example spoof-check --ip 203.0.113.9 <"$d/outbound.eml"
is_exit 'a client outside relayclients makes it inbound' 99
rm -f "$PORTCULLIS_CONTROL/relayclients"
run env DIRECTION=sideways spoof-check <"$d/legit.eml"
is_exit 'a bad DIRECTION is a configuration error' 111

# --- -a, -t, batch ----------------------------------------------------
run env DIRECTION=in SENDER=mallory@evil.example spoof-check -a <"$d/from-ours.eml"
is_exit '-a keeps the verdict in the exit status' 99
is      '-a: Authentication-Results is the first line' \
	"$(printf '%s\n' "$out" | head -n 1 | cut -d';' -f1)" 'Authentication-Results: gw.ourco.example'
like    '-a: the result is fail' 'x-portcullis-spoof=fail'
like    '-a: smtp.mailfrom' 'smtp\.mailfrom=mallory@evil\.example'
like    '-a: header.from' 'header\.from=ourco\.example'
unlike  '-a: no X-Portcullis-Spoof-Check header' '^X-Portcullis-Spoof-Check:'
is      '-a: no line over 78 columns' "$(awk 'length > 78' "$tmp/.out" | wc -l | tr -d ' ')" 0
# what follows our header: from the first line that is neither ours nor
# one of its continuation lines
rest() { awk '!f && /^[^ \t]/ && !/^Authentication-Results:/ { f = 1 } f' "$1"; }
rest "$tmp/.out" >"$tmp/rest"
ok      '-a: the message follows byte for byte' cmp "$tmp/rest" "$d/from-ours.eml"

env DIRECTION=in SENDER=bob@partner.example spoof-check -a \
	<"$tmp/crlf-legit.eml" >"$tmp/a-crlf" 2>/dev/null
rest "$tmp/a-crlf" >"$tmp/rest"
ok      '-a on CRLF input: the message follows unchanged' \
	cmp "$tmp/rest" "$tmp/crlf-legit.eml"
is      '-a on CRLF input: our header lines end in CRLF too' \
	"$(head -n 1 "$tmp/a-crlf" | tail -c 2 | od -An -c | tr -d ' ')" '\r\n'

run env DIRECTION=in SENDER=bob@partner.example spoof-check -a <"$d/forged-ar.eml"
is_exit '-a on a message with a forged Authentication-Results: pass' 0
is      '-a: only one Authentication-Results of ours' \
	"$(printf '%s\n' "$out" | grep -c '^Authentication-Results: gw\.ourco\.example;')" 1
unlike  '-a: the forged one is gone' 'x-portcullis-spoof=pass$'
like    '-a: the other server'"'"'s header stays' '^Authentication-Results: mx\.partner\.example; spf=pass'
like    '-a: ours says pass' '^Authentication-Results: gw\.ourco\.example; x-portcullis-spoof=pass'

run $IN -t <"$d/from-ours.eml"
is_exit '-t exits 0 whatever it found' 0
like    '-t still prints the quarantine verdict' '^spoof-check quarantine 5\.7\.1 '

run $IN "$d/legit.eml" "$d/from-ours.eml"
is_exit 'batch mode exits with the worst verdict' 99
like    'batch: a line for the first file' "^$d/legit\.eml: spoof-check pass "
like    'batch: a line for the second file' "^$d/from-ours\.eml: spoof-check quarantine "
is      'batch: two lines' "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2

run $IN "$d/legit.eml" "$tmp/does-not-exist.eml"
is_exit 'batch: an unreadable file is a tempfail' 111
like    'batch: it gets its verdict line' 'does-not-exist\.eml: spoof-check tempfail'

# --- rules ------------------------------------------------------------
run spoof-check --lint
is_exit '--lint on the shipped rules' 0
like    '--lint says what it read' 'spoof-check: .*/spoof-check: 4 rule lines'

cp "$top/share/rules/spoof-check" "$PORTCULLIS_CONTROL/spoof-check"
printf 'news@ourco.example  *@*  in  pass\n' >>"$PORTCULLIS_CONTROL/spoof-check"
run env DIRECTION=in SENDER=bounce-77@mailer.partner.example spoof-check <"$d/newsletter.eml"
is_exit 'an admin rule lets the partner newsletter use our domain' 0
run $IN <"$d/from-ours.eml"
is_exit 'the rest of our domain is still protected' 99

printf '*@*  *@*  both  pass\n*@%%local  *@*  in  quarantene\n' >"$PORTCULLIS_CONTROL/spoof-check"
run $IN <"$d/legit.eml"
is_exit 'a typo in the rules is exit 111' 111
is      'nothing on stdout' "$out" ''
err_like 'stderr names the line' '^spoof-check: fatal: rules line 2: unknown action quarantene'
run spoof-check --lint
is_exit '--lint finds the typo' 111
err_like '--lint names the line' 'rules line 2: unknown action'

for bad in '*@* *@* sideways pass' 'ourco.example *@* in pass' \
	'*@%lokal *@* in pass' '*@* pass' '*@* *@* in pass extra'; do
	printf '%s\n' "$bad" >"$PORTCULLIS_CONTROL/spoof-check"
	run spoof-check --lint
	is_exit "--lint refuses: $bad" 111
done
printf '# only a comment\n\n' >"$PORTCULLIS_CONTROL/spoof-check"
run env DIRECTION=out SENDER=bob@partner.example spoof-check <"$d/legit.eml"
is_exit 'no rule matches: pass' 0
rm -f "$PORTCULLIS_CONTROL/spoof-check"

control localdomains 'our co.example'
run $IN <"$d/legit.eml"
is_exit 'a bad localdomains line is exit 111' 111
err_like 'stderr names localdomains' 'localdomains line 1: not a domain'
rm -f "$PORTCULLIS_CONTROL/localdomains"
run env DIRECTION=out SENDER=alice@ourco.example spoof-check <"$d/outbound.eml"
is_exit 'no localdomains: outbound is rejected' 100
like    'the reason says localdomains is empty' 'localdomains is empty'
run env DIRECTION=in SENDER=bob@partner.example spoof-check <"$d/legit.eml"
is_exit 'no localdomains: inbound passes' 0
control localdomains ourco.example .ourco.example
run env DIRECTION=out SENDER=alice@exch01.corp.ourco.example spoof-check <"$d/outbound.eml"
is_exit '.ourco.example in localdomains: subdomains are ours' 0
run env DIRECTION=in SENDER=x@mail.ourco.example spoof-check <"$d/legit.eml"
is_exit '.ourco.example: a subdomain claimed from outside is quarantined' 99

# --- business-only mode -----------------------------------------------
control allowsenders partner.example
run env DIRECTION=in SENDER=bob@partner.example spoof-check <"$d/legit.eml"
is_exit 'business-only: a listed partner passes' 0
run env DIRECTION=in SENDER=dan@stranger.example spoof-check <"$d/bypass.eml"
is_exit 'business-only: a stranger is quarantined (no key file)' 99
like    'business-only: the reason' 'sender stranger\.example not in allowsenders'
control bypasskeys K7q2-Zt9x4
run env DIRECTION=in SENDER=dan@stranger.example spoof-check <"$d/bypass.eml"
is_exit 'business-only: the bypass key in the Subject lets it in' 0
like    'business-only: the verdict says so' '^spoof-check pass 2\.0\.0 bypass key in Subject'
control bypasskeys K7q2-Zt9x
run env DIRECTION=in SENDER=dan@stranger.example spoof-check <"$d/bypass.eml"
is_exit 'business-only: a key must be a whole word' 99
control bypasskeys short
run env DIRECTION=in SENDER=dan@stranger.example spoof-check <"$d/bypass.eml"
is_exit 'business-only: a too-short key is a configuration error' 111
run env DIRECTION=out SENDER=alice@ourco.example spoof-check <"$d/outbound.eml"
is_exit 'business-only does not touch outbound mail' 0
rm -f "$PORTCULLIS_CONTROL/allowsenders" "$PORTCULLIS_CONTROL/bypasskeys"

## Header limits are control settings (portcullis-control(5))
{ for i in $(seq 1 40); do echo "X-Filler-$i: $i"; done
  printf 'From: bob@partner.example\nTo: alice@ourco.example\n\nhi\n'; } >"$tmp/many.eml"
control headerfields 16
run spoof-check --direction in --sender bob@partner.example "$tmp/many.eml"
is_exit 'more fields than control/headerfields: quarantined' 99
like 'the verdict names the limit' 'spoof-check quarantine 5\.6\.0 header section exceeds the field count limit'
control headerfields many
run spoof-check --direction in --sender bob@partner.example "$tmp/many.eml"
is_exit 'a headerfields that is not a number is a configuration error' 111
err_like 'stderr names the files' 'spoof-check: fatal: unable to read .*/headerfields or headerbytes: control/headerfields line 1: "many" is not a number from 16 to 1000000$'
is 'and no verdict is printed' "$out" ''
rm -f "$PORTCULLIS_CONTROL/headerfields"

done_testing
