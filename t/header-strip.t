#!/bin/sh
# header-strip: outbound, nothing that names the inside leaves in the
# header (private and link-local addresses, internal host names, software
# versions); inbound, headers only portcullis may write are removed;
# everything else stays byte for byte.  Errors are 111 with nothing on
# stdout; what cannot be rewritten safely is 100.
. "$(dirname "$0")/lib.sh"

d=$data/header-strip
got=$tmp/.out          # run's stdout, bytes as written (NULs, CRs, last LF)
rules=$top/share/rules/header-strip
control me gw.ourco.example
control internalhosts exch01.corp.ourco.example .corp.ourco.example laptop-alice

# the header section of a file, without the blank line
head_of() { sed '/^\r\{0,1\}$/q' "$1" | sed '$d'; }
# how many lines of the header section of the output match
in_head() { head_of "$got" | grep -Ec -- "$1"; }
body_of() { sed '1,/^\r\{0,1\}$/d' "$1"; }

## Outbound: two internal Exchange hops

run header-strip <"$d/exchange-out.eml"
is_exit 'outbound message is rewritten' 0
ok 'the result is exactly the expected message' cmp "$got" "$d/exchange-out.expected"
is 'one log line on stderr' "$err" \
	'header-strip: qid=- verdict=pass direction=out removed=17 scrubbed=3'
head_of "$got" >"$tmp/h"
head_of "$d/exchange-out.eml" >"$tmp/h.in"
for pat in '(^|[^0-9.])10\.[0-9]+\.[0-9]+\.[0-9]+' \
	'172\.(1[6-9]|2[0-9]|3[01])\.[0-9]+\.[0-9]+' '192\.168\.[0-9]+\.[0-9]+' \
	'[Ff][Ee][89AaBb][0-9A-Fa-f]:' '[Ff][CcDd][0-9A-Fa-f]{2}:' \
	'corp\.ourco\.example' '[Ee][Xx][Cc][Hh]0[12]' 'laptop-alice' \
	'15\.0?1\.2507' 'V6\.00\.2900' '16\.0\.17126' 'Thunderbird' \
	'Microsoft SMTP Server' 'Outlook' 'MimeOLE' '%12'; do
	ok "the fixture has /$pat/ in its header" grep -Eq -- "$pat" "$tmp/h.in"
	is "no /$pat/ left in the header" "$(grep -Ec -- "$pat" "$tmp/h")" 0
done
for name in X-MS-Exchange- X-MS-Has-Attach X-MS-TNEF-Correlator X-Originating-IP \
	X-Mailer User-Agent X-MimeOLE; do
	is "no $name field left" "$(grep -ic "^$name" "$tmp/h")" 0
done
like 'the external Received stays' '^Received: from mail\.partner\.example \(mail\.partner\.example \[198\.51\.100\.25\]\)$'
is 'exactly one Received is left' "$(grep -c '^Received:' "$tmp/h")" 1
like 'a scrubbed field keeps its folding' '^ \[redacted\]\) smtp\.mailfrom=ourco\.example; dkim=none'
like 'an internal name becomes internal.invalid' '^Received-SPF: None \(internal\.invalid: '
like 'an address with a port is found too' 'client-ip=\[redacted\]:25$'
like 'a public address next to a private one stays' '^X-Forwarded-For: \[redacted\], 198\.51\.100\.77$'
unlike 'folded fields are removed whole' '5f1c2d3e|^ Thunderbird|^ 15\.1\.2507'
body_of "$d/exchange-out.eml" >"$tmp/body.in"
body_of "$got" >"$tmp/body.out"
ok 'the body is byte for byte the same' cmp "$tmp/body.in" "$tmp/body.out"
head_of "$d/exchange-out.eml" | grep -Ev '^(Received|X-MS-|x-ms-|X-Originating|X-Mailer|User-Agent|X-MimeOLE|Authentication-Results|X-Forwarded-For|Received-SPF|[ 	])' >"$tmp/kept.in"
head_of "$got" | grep -Ev '^(Received|Authentication-Results|X-Forwarded-For|Received-SPF|[ 	])' >"$tmp/kept.out"
ok 'every field no rule matched is byte for byte the same' cmp "$tmp/kept.in" "$tmp/kept.out"

run header-strip "$d/exchange-out.eml"
is_exit 'a file argument works as stdin does' 0
ok 'same result from a file' cmp "$got" "$d/exchange-out.expected"

run env DIRECTION=in header-strip --direction out <"$d/exchange-out.eml"
is_exit '--direction wins over DIRECTION' 0
ok 'outbound rules applied' cmp "$got" "$d/exchange-out.expected"

run env QUEUEID=1764000000.4711 header-strip <"$d/exchange-out.eml"
err_like 'the queue id is in the log line' '^header-strip: qid=1764000000\.4711 verdict=pass '

## Line ends and the mbox From line

sed 's/$/\r/' "$d/exchange-out.eml" >"$tmp/crlf.eml"
sed 's/$/\r/' "$d/exchange-out.expected" >"$tmp/crlf.expected"
run header-strip <"$tmp/crlf.eml"
is_exit 'a CRLF message is rewritten' 0
ok 'a CRLF message stays CRLF, byte for byte' cmp "$got" "$tmp/crlf.expected"
is 'no bare LF in the CRLF result' "$(grep -cv "$(printf '\r')\$" "$got")" 0

{ echo 'From alice@ourco.example Tue Nov 24 09:14:00 2026'; cat "$d/exchange-out.eml"; } >"$tmp/mbox.eml"
{ echo 'From alice@ourco.example Tue Nov 24 09:14:00 2026'; cat "$d/exchange-out.expected"; } >"$tmp/mbox.expected"
run header-strip <"$tmp/mbox.eml"
is_exit 'a message with an mbox From line is rewritten' 0
is 'the From line stays first' "$(head -n 1 "$got")" 'From alice@ourco.example Tue Nov 24 09:14:00 2026'
ok 'and the rest is as without it' cmp "$got" "$tmp/mbox.expected"

## Inbound: headers only portcullis may write

run env DIRECTION=in header-strip <"$d/forged-in.eml"
is_exit 'inbound message is rewritten' 0
ok 'the result is exactly the expected message' cmp "$got" "$d/forged-in.expected"
is 'one log line on stderr' "$err" \
	'header-strip: qid=- verdict=pass direction=in removed=11 scrubbed=0'
is 'forged X-Spam-* verdicts are removed' "$(in_head '^X-Spam-(Flag|Score|Level|Status|Report):')" 0
is 'forged X-Portcullis-* headers are removed, whatever their case' "$(in_head '^[Xx]-[Pp]ortcullis-')" 0
is 'a forged X-Virus-Status is removed' "$(in_head '^X-Virus-Status:')" 0
is 'Authentication-Results with our authserv-id are removed (token, comment, quoted, any case)' \
	"$(in_head '^Authentication-Results: (gw\.ourco\.example;|\(forged\)|"gw)')" 0
like 'the body still says what it said' '^X-Spam-Flag: YES \(in the body: stays\)$'
like 'Authentication-Results with another authserv-id stay' '^Authentication-Results: mail\.partner\.example; spf=pass'
like 'an authserv-id that only starts with ours stays' '^Authentication-Results: gw\.ourco\.example\.evil\.example; dkim=pass'
like 'inbound, trace and client headers stay' '^Received: from build07\.lan \(192\.168\.1\.20\)'

run header-strip --direction in "$d/exchange-out.eml"
is_exit 'inbound rules leave an outbound-looking message alone' 0
ok 'nothing of it changed' cmp "$got" "$d/exchange-out.eml"

## Control files and the rule file

printf 'Message-ID: <B4F2C1@exch01.corp.ourco.example>\nReferences: <x@EXCH02.corp.ourco.example>\nSubject: t\n\nbody\n' >"$tmp/mid.eml"
run header-strip <"$tmp/mid.eml"
is_exit 'Message-ID and References are scrubbed by default' 0
is 'the internal names become internal.invalid, the unique part stays' "$out" 'Message-ID: <B4F2C1@internal.invalid>
References: <x@internal.invalid>
Subject: t

body'
grep -v 'Message-ID|In-Reply-To' "$rules" >"$PORTCULLIS_CONTROL/header-strip"
run header-strip <"$tmp/mid.eml"
is_exit 'a site that prefers threading drops the rule in its copy' 0
ok 'and the message then leaves as it came' cmp "$got" "$tmp/mid.eml"

control header-strip '# ours: only the subject goes' 'drop out ^Subject$'
run header-strip <"$d/exchange-out.eml"
is_exit 'an override file in the control directory is read' 0
unlike 'its rules apply' '^Subject:'
like 'and the shipped ones do not' '^X-Mailer: Microsoft Outlook'
run header-strip --lint
is_exit '--lint on the override' 0
is '--lint names the file it read' "$out" "$PORTCULLIS_CONTROL/header-strip: 1 rule"
rm "$PORTCULLIS_CONTROL/header-strip"

run header-strip --lint
is_exit '--lint on the shipped rules' 0
like '--lint counts them' "^$top/share/rules/header-strip: [0-9]+ rules\$"
is '--lint: no warning about the shipped rules' "$err" ''

control header-strip '# broken' 'frob out ^X-Foo$'
run header-strip <"$d/exchange-out.eml"
is_exit 'an unknown action is a configuration error' 111
is 'nothing on stdout' "$out" ''
is 'the exact stderr line' "$err" \
	"header-strip: fatal: rules line 2 of $PORTCULLIS_CONTROL/header-strip: unknown action \"frob\" (drop, internal, scrub or ours)"
run header-strip --lint
is_exit '--lint finds it' 111
is '--lint says the same' "$err" \
	"header-strip: fatal: rules line 2 of $PORTCULLIS_CONTROL/header-strip: unknown action \"frob\" (drop, internal, scrub or ours)"
is '--lint writes nothing on stdout' "$out" ''

control header-strip 'drop sideways ^X-Foo$'
run header-strip <"$d/exchange-out.eml"
is_exit 'an unknown direction is a configuration error' 111
is 'its stderr line' "$err" \
	"header-strip: fatal: rules line 1 of $PORTCULLIS_CONTROL/header-strip: unknown direction \"sideways\" (in, out or both)"

control header-strip 'drop out ^X-(Foo'
run header-strip <"$d/exchange-out.eml"
is_exit 'a pattern that does not compile is a configuration error' 111
is 'nothing on stdout for it' "$out" ''
is 'its stderr line names the PCRE2 error' "$err" \
	"header-strip: fatal: rules line 1 of $PORTCULLIS_CONTROL/header-strip: pattern \"^X-(Foo\": missing closing parenthesis at offset 7"

control header-strip 'drop out'
run header-strip --lint
is_exit 'a rule without a pattern' 111
is 'its stderr line' "$err" \
	"header-strip: fatal: rules line 1 of $PORTCULLIS_CONTROL/header-strip: expected ACTION DIRECTION PATTERN"

control header-strip 'drop out ^(a+)+$'
printf 'Subject: x\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab: y\n\nbody\n' >"$tmp/redos.eml"
run header-strip <"$tmp/redos.eml"
is_exit 'a rule that backtracks without end on a name stops at the match limit' 111
is 'nothing on stdout for it' "$out" ''
is 'the stderr line names the rule' "$err" \
	"header-strip: fatal: rules line 1 of $PORTCULLIS_CONTROL/header-strip: unable to match: Numerical result out of range"

control header-strip 'drop out Mailer$'
run header-strip --lint
is_exit 'an unanchored pattern is legal' 0
err_like 'but --lint warns about it' '^header-strip: warning: rules line 1 of .*: pattern does not start with \^'
rm "$PORTCULLIS_CONTROL/header-strip"

run env PORTCULLIS_RULES="$tmp/nowhere" header-strip <"$d/exchange-out.eml"
is_exit 'no rule file anywhere is a configuration error' 111
is 'nothing on stdout without rules' "$out" ''
is 'the stderr line for it' "$err" \
	'header-strip: fatal: unable to read rules header-strip: No such file or directory'

control internalhosts exch01.corp.ourco.example '10.1.2'
run header-strip <"$d/exchange-out.eml"
is_exit 'a number in internalhosts is a configuration error' 111
is 'its stderr line' "$err" \
	"header-strip: fatal: $PORTCULLIS_CONTROL/internalhosts line 2: neither a host name, a .domain nor an address: 10.1.2"

control internalhosts .corp.ourco.example 198.51.100.0/24
run header-strip <"$d/exchange-out.eml"
is_exit 'internalhosts may list a network' 0
unlike 'a Received naming it is removed' '198\.51\.100\.25'
like 'an address in it is redacted' '^X-Forwarded-For: \[redacted\], \[redacted\]$'
control internalhosts exch01.corp.ourco.example .corp.ourco.example laptop-alice

## Options

run header-strip --direction sideways <"$d/exchange-out.eml"
is_exit 'a bad --direction is a usage error' 111
is 'it says why' "$err" 'header-strip: fatal: direction must be in or out, not sideways'
run env DIRECTION=up header-strip <"$d/exchange-out.eml"
is_exit 'a bad DIRECTION too' 111
run header-strip "$d/exchange-out.eml" "$d/forged-in.eml"
is_exit 'a rewriter takes one message' 111
err_like 'usage is shown' '^usage: header-strip '
run header-strip "$tmp/no-such.eml"
is_exit 'a file that cannot be read is a temporary failure' 111
is 'nothing on stdout for it' "$out" ''
err_like 'it says which' "^header-strip: fatal: unable to read $tmp/no-such\\.eml: No such file or directory\$"
run header-strip --help
is_exit '--help' 0
like '--help prints the usage' '^usage: header-strip '

## Hostile and odd input

awk 'BEGIN { for (i = 0; i < 5000; i++) printf "X-Filler-%d: %d\n", i, i;
	print "Received: from x (10.0.0.1) by y"; print ""; print "body" }' >"$tmp/many.eml"
run header-strip <"$tmp/many.eml"
is_exit '5000 header fields cannot be checked: rejected' 100
is 'nothing on stdout for them' "$out" ''
is 'the reason' "$err" \
	'header-strip: qid=- verdict=reject direction=out reason=header section exceeds the field count limit'

awk 'BEGIN { s = sprintf("%900s", ""); gsub(/ /, "a", s);
	for (i = 0; i < 400; i++) printf "X-Big-%d: %s\n", i, s; print ""; print "body" }' >"$tmp/big.eml"
run header-strip <"$tmp/big.eml"
is_exit 'a header section over 256 KiB: rejected' 100
err_like 'the reason' 'reason=header section exceeds the size limit$'

control databytes 1024
{ printf 'Subject: big\n\n'; head -c 1100000 /dev/zero | tr '\0' 'x'; } >"$tmp/huge.eml"
run header-strip <"$tmp/huge.eml"
is_exit 'a message over databytes + 1 MiB: rejected' 100
is 'nothing on stdout for it' "$out" ''
is 'its reason' "$err" \
	'header-strip: qid=- verdict=reject direction=out reason=message exceeds 1049600 bytes'
rm "$PORTCULLIS_CONTROL/databytes"

run header-strip </dev/null
is_exit 'empty input passes' 0
is 'empty output' "$(wc -c <"$got" | tr -d ' ')" 0

printf 'Subject: nul\nX-Mailer: Foo 1.2\n\nA\0B\0\r\nC\0' >"$tmp/nul.eml"
printf 'Subject: nul\n\nA\0B\0\r\nC\0' >"$tmp/nul.expected"
run header-strip <"$tmp/nul.eml"
is_exit 'NUL bytes in the body' 0
ok 'pass through untouched' cmp "$got" "$tmp/nul.expected"

printf 'Subject: no body\nX-Mailer: Foo 1.2' >"$tmp/nobody.eml"
run header-strip <"$tmp/nobody.eml"
is_exit 'a header with no body and no final line end' 0
is 'the last field can still be removed' "$(cat "$got")" 'Subject: no body'

printf 'Subject: x\nX-Mailer : Foo 1.2\nno colon line 10.1.2.3\n\nbody\n' >"$tmp/obs.eml"
run header-strip <"$tmp/obs.eml"
is_exit 'obsolete syntax' 0
is 'a field with space before its colon is matched; a line without a name is kept' "$out" \
	'Subject: x
no colon line 10.1.2.3

body'

run sh -c 'header-strip <"$1" >/dev/full' sh "$d/exchange-out.eml"
is_exit 'a write error is a temporary failure' 111
err_like 'it says so' '^header-strip: fatal: unable to write the message: No space left on device$'

## Sender headers clients write keep their name, lose the inside
printf 'X-Sender: alice@192.168.50.2\nX-Authenticated-Sender: alice@exch01.corp.ourco.example\nSubject: s\n\nb\n' >"$tmp/xs.eml"
run header-strip --direction out <"$tmp/xs.eml"
is_exit 'X-Sender and X-Authenticated-Sender: scrubbed, not removed' 0
is 'the address and the internal name are redacted' "$out" 'X-Sender: alice@[redacted]
X-Authenticated-Sender: alice@internal.invalid
Subject: s

b'

done_testing
