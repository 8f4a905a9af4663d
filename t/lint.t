#!/bin/sh
# lint: every tool's --lint reads every setting the tool reads, as a run
# reads it, and says what is wrong in words (the file, the line, the
# value, the allowed range), exit 111; portcullis -n runs each part's own
# --lint on its control directory (the door's, delivery's, each chain
# stage's rules), as the user that part runs as; relayclients is read the
# same way by smtpd-accept and every checker: a bad line is an error for
# all of them.
. "$(dirname "$0")/lib.sh"

chmod 711 "$tmp"
chmod 755 "$PORTCULLIS_CONTROL"
C=$PORTCULLIS_CONTROL
printf 'From: a@example.net\nTo: b@ourco.example\nSubject: hi\n\nbody\n' >"$tmp/m.eml"
checkers="spoof-check filetype-check spam-score dnsbl-check"
tools="$checkers header-strip mime-explode smtpd-accept relay-out"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# --- every tool has --lint, and passes the defaults -----------------------
for t in $tools; do
	run $t -C "$C" --lint
	is_exit "$t --lint on the defaults: 0" 0
done
run smtpd-accept -C "$C" --lint
like 'smtpd-accept --lint says what it read' '^smtpd-accept: me .*, 0 local domains, 0 relay client networks, databytes 52428800, TLS off'
run relay-out -C "$C" --lint
like 'relay-out --lint says what it read' '^relay-out: me .*, 0 routes, 0 TLS policies, port 25$'
run mime-explode -C "$C" --lint
like 'mime-explode --lint says its limits' '^mime-explode: depth 50, parts 10000,'

# --- a setting every tool reads: each says which file, line and bounds ---
control databytes 50X
for t in $checkers header-strip smtpd-accept relay-out; do
	run $t -C "$C" --lint
	is_exit "databytes 50X: $t --lint 111" 111
	err_like '... naming the file, line, value and bounds' \
		'control/databytes line 1: "50X" is not a number from 1024 to 2147483648'
done
rm "$C/databytes"

# --- relayclients: one parser for all ------------------------------------
control relayclients 10.0.0.0/8 '# the office' 'office-router'
for t in $checkers smtpd-accept; do
	run $t -C "$C" --lint
	is_exit "a bad relayclients line: $t --lint 111" 111
	err_like '... names the line and the value' \
		'control/relayclients line 3: "office-router" is not an address or a CIDR range'
done
# a checker that must tell the direction by the client's address
run spoof-check --ip 192.0.2.1 <"$tmp/m.eml"
is_exit '... spoof-check judging a message by its client: 111, not skipped' 111
err_like '... with the same words' 'control/relayclients line 3: "office-router"'
run as_nobody env TCPREMOTEIP=192.0.2.1 smtpd-accept </dev/null
is_exit '... smtpd-accept with a client: 111' 111
like '... which is told to come back later' '^421 4\.3\.0 '
err_like '... with the same words' 'control/relayclients line 3: "office-router"'
control relayclients 10.0.0.0/8 192.0.2.0/24
run spoof-check --ip 198.51.100.1 <"$tmp/m.eml"
is_exit 'a good relayclients: a client outside it is inbound (pass)' 0
run spoof-check --ip 192.0.2.1 <"$tmp/m.eml"
is_exit '... one inside it is outbound: From not ours, rejected' 100
like '... as outbound mail is' 'is not one of our domains'
rm "$C/relayclients"
control tlsclients 10.0.0.0/33
run smtpd-accept -C "$C" --lint
is_exit 'tlsclients with a /33: smtpd-accept --lint 111' 111
err_like '... names it' 'control/tlsclients line 1: "10.0.0.0/33" is not an address or a CIDR range'
rm "$C/tlsclients"

# --- smtpd-accept: its own limits and the certificate ---------------------
control maxrcpt 0
run smtpd-accept -C "$C" --lint
is_exit 'maxrcpt 0: smtpd-accept --lint 111' 111
err_like '... with the bounds' 'control/maxrcpt line 1: "0" is not a number from 1 to 100000'
rm "$C/maxrcpt"
printf 'not a certificate\n' >"$C/tlscert"
run smtpd-accept -C "$C" --lint
is_exit 'a tlscert that does not load: 111' 111
err_like '... says TLS' 'smtpd-accept: fatal: TLS: '
rm "$C/tlscert"

# --- relay-out: routes, tls-policy, port, resolvers ----------------------
control routes 'ourco.example smtp:exch01.ourco.example' 'lists.ourco.example lmtp:dovecot'
run relay-out -C "$C" --lint
is_exit 'an LMTP route without a port: relay-out --lint 111' 111
err_like '... names the line' 'control/routes line 2: not DOMAIN NEXTHOP'
control routes 'ourco.example smtp:exch01.ourco.example:2525' '* smtp:[192.0.2.5]'
run relay-out -C "$C" --lint
is_exit 'good routes: 0' 0
like '... counted' ', 2 routes,'
control tls-policy 'partner.example verify' 'bank.example mandatory'
run relay-out -C "$C" --lint
is_exit 'a TLS policy that does not exist: 111' 111
err_like '... names the line and the choices' 'control/tls-policy line 2: not \[DOMAIN\] none\|may\|encrypt\|verify'
rm "$C/tls-policy"
control smtpport 99999
run relay-out -C "$C" --lint
is_exit 'smtpport 99999: 111' 111
err_like '... with the range' 'control/smtpport: "99999" is not a port from 1 to 65535'
rm "$C/smtpport"
control timeoutremote 2h
run relay-out -C "$C" --lint
is_exit 'timeoutremote 2h: 111' 111
err_like '... with the bounds' 'control/timeoutremote line 1: "2h" is not a number from 1 to 3600'
rm "$C/timeoutremote" "$C/routes"

# --- mime-explode ---------------------------------------------------------
control mimepartbytes 12
run mime-explode -C "$C" --lint
is_exit 'mimepartbytes 12: mime-explode --lint 111' 111
err_like '... with the bounds' 'control/mimepartbytes line 1: "12" is not a number from 1024'
rm "$C/mimepartbytes"

# --- portcullis -n: every part's own --lint -------------------------------
run portcullis -n -C "$C" -Q "$tmp/q"
is_exit 'portcullis -n on the defaults: 0' 0
control routes 'ourco.example smtpx:exch01'
run portcullis -n -C "$C" -Q "$tmp/q"
is_exit 'portcullis -n with a bad route: 111' 111
err_like '... relay-out'"'"'s own words' 'relay-out: fatal: control/routes line 1: not DOMAIN NEXTHOP'
err_like '... and which part found it' 'portcullis: fatal: relay-out --lint -C .*: the configuration has a fault'
rm "$C/routes"
# a local copy of the spam rules with a broken line: the chain's
# spam-score finds it before any mail waits on it
{ cat "$top/share/rules/spam"; echo 'body BROKEN /unclosed(/ 1.0'; } >"$C/spam"
run portcullis -n -C "$C" -Q "$tmp/q"
is_exit 'portcullis -n with a broken rule in control/spam: 111' 111
err_like '... spam-score names it' 'spam-score: .*spam'
err_like '... as the stage of a chain' 'portcullis: fatal: spam-score --lint'
rm "$C/spam"
control chain.in 'dnsbl-check -a' 'spoof-check -a'
control dnsbl 'zen.example.invalid ='
run portcullis -n -C "$C" -Q "$tmp/q"
is_exit 'a stage only in a control chain (dnsbl-check) is linted too' 111
err_like '... by its own --lint' 'portcullis: fatal: dnsbl-check --lint'
rm "$C/dnsbl" "$C/chain.in"
control mimedepth 0
run portcullis -n -C "$C" -Q "$tmp/q"
is_exit 'mimedepth 0, read by the stages that walk MIME: portcullis -n 111' 111
err_like '... filetype-check says so' 'filetype-check: fatal: .*control/mimedepth line 1: "0" is not a number from 1 to 200'
err_like '... spam-score too, in the same words' 'spam-score: fatal: .*control/mimedepth line 1: "0" is not a number from 1 to 200'
rm "$C/mimedepth"
if [ "$(id -u)" = 0 ]; then
	# as root, each part is linted as its own user: a control directory
	# only root can read would make every real run fail
	chmod 700 "$C"
	run portcullis -n -C "$C" -Q "$tmp/q"
	is_exit 'as root, a control directory the parts cannot read: 111' 111
	err_like '... found by the parts, under their uids' 'Permission denied'
	chmod 755 "$C"
	run portcullis -n -C "$C" -Q "$tmp/q"
	is_exit '... readable again: 0' 0
	# (but the empty clamd every test's directory gets from t/lib.sh)
	is '... and no file made root'"'"'s in it' "$(find "$C" -user 0 -type f ! -name clamd)" ''
fi

# --- the operations tools that read the control directory ---------------
run maildir-rescan -C "$C" --lint
is_exit 'maildir-rescan --lint on the default chain: 0' 0
like '... says what it read' '^maildir-rescan: chain of 6 stages, timeoutstage 300, quarantine folder \.Quarantine'
control chain.in 'spoof-check -a' 'no-such-filter'
run maildir-rescan -C "$C" --lint
is_exit 'a chain line that names no program: 111' 111
err_like '... named with its line' 'chain line 2: "no-such-filter": no such program'
rm "$C/chain.in"
control timeoutstage 0
run maildir-rescan -C "$C" --lint
is_exit 'timeoutstage 0: 111' 111
err_like '... with its bounds' 'control/timeoutstage line 1: "0" is not a number from 1 to 86400'
rm "$C/timeoutstage"
mkdir "$tmp/share"
ln -s "$top/share/rules" "$tmp/share/rules"
run rules-update -C "$C" -R "$tmp/share/rules" --lint
is_exit 'rules-update --lint, no subscription: 0' 0
like '... says it is off' 'no rulesurl: off'
control rulesurl 'http://rules.example.org/rules.tgz'
run rules-update -C "$C" -R "$tmp/share/rules" --lint
is_exit 'a rules URL that is not HTTPS: 111' 111
err_like '... says so' 'control/rulesurl: http://rules.example.org/rules.tgz: HTTPS only'
control rulesurl 'https://rules.example.org/rules.tgz'
run rules-update -C "$C" -R "$tmp/share/rules" --lint
is_exit 'a subscription without control/rules.pub: 111' 111
printf 'not a key\n' >"$C/rules.pub"
run rules-update -C "$C" -R "$tmp/share/rules" --lint
is_exit 'a rules.pub that is no key: 111' 111
err_like '... says so' 'rules.pub: not a PEM public key'
openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout -out "$C/rules.pub" 2>/dev/null
run rules-update -C "$C" -R "$tmp/share/rules" --lint
is_exit '... a key and an HTTPS URL: 0' 0
run rules-update -C "$C" -R "$top/share/rules" --lint
is_exit 'rules that are a folder, not a link: 111' 111
rm "$C/rulesurl" "$C/rules.pub"

done_testing
