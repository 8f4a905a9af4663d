#!/bin/sh
# dnsbl-check: DNS block and allow lists served by a real rbldnsd behind a
# real dnsmasq (which also serves the reverse and forward names), both on
# free loopback ports with zones written here; own list files; FCrDNS,
# the reverse name against the sender, HELO checks, URI lists, DNS that
# does not answer, postmaster mail, batch mode and its cache, -a.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# --- the lists, in rbldnsd's own formats --------------------------------
z=$tmp/zones
mkdir "$z"
cat >"$z/bl4" <<'EOF'
# a DNSBL: the default value and text first ($ is the address)
:127.0.0.2:Listed by bl.test, see http://bl.test/$
192.0.2.66
198.51.100.0/24 :127.0.0.4:spam network
!198.51.100.7
192.0.2.77 :127.255.255.254:query refused
EOF
cat >"$z/bl6" <<'EOF'
:127.0.0.2:IPv6 listed
2001:db8:bad::/48
EOF
cat >"$z/wl" <<'EOF'
:127.0.10.1:trusted sender
192.0.2.20
192.0.2.30
EOF
cat >"$z/dbl" <<'EOF'
:127.0.1.2:domain listed: $
evil.test
.spam.test
EOF
cat >"$z/uri" <<'EOF'
:127.0.0.2:link listed
badlink.test
9.113.0.203
EOF
chmod 644 "$z"/*
chmod 755 "$z"
rport=$(free_port udp)
rbldnsd -n -q -u nobody -w "$z" -b "127.0.0.1/$rport" \
	bl.test:ip4set:bl4 bl.test:ip6trie:bl6 wl.test:ip4set:wl \
	dbl.test:dnset:dbl uri.test:dnset:uri >"$tmp/rbldnsd.log" 2>&1 &
pids="$pids $!"

# --- dnsmasq: reverse and forward names, the lists forwarded ------------
dport=$(free_port udp)
deadport=$(free_port udp)
dnsmasq --port="$dport" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --keep-in-foreground --pid-file= --user=root \
	--server=/bl.test/127.0.0.1#$rport --server=/wl.test/127.0.0.1#$rport \
	--server=/dbl.test/127.0.0.1#$rport --server=/uri.test/127.0.0.1#$rport \
	--server=/dead.test/127.0.0.1#$deadport \
	--local=/good.test/ --local=/2.0.192.in-addr.arpa/ \
	--local=/100.51.198.in-addr.arpa/ --local=/113.0.203.in-addr.arpa/ \
	--local=/b.d.0.1.0.0.2.ip6.arpa/ \
	--address=/mail.good.test/192.0.2.10 \
	--ptr-record=10.2.0.192.in-addr.arpa,mail.good.test \
	--address=/liar.good.test/192.0.2.99 \
	--ptr-record=11.2.0.192.in-addr.arpa,liar.good.test \
	--address=/mx.good.test/192.0.2.20 \
	--ptr-record=20.2.0.192.in-addr.arpa,mx.good.test \
	--address=/mail6.good.test/2001:db8:1::10 \
	--ptr-record=0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa,mail6.good.test \
	--address=/host.evil.test/192.0.2.40 \
	--ptr-record=40.2.0.192.in-addr.arpa,host.evil.test \
	2>"$tmp/dnsmasq.log" &
pids="$pids $!"
# both servers answer before the first test, however loaded the machine
dns_up "$rport" 2.0.0.127.bl.test || echo "# rbldnsd did not answer: $(cat "$tmp/rbldnsd.log")"
dns_up "$dport" mail.good.test || echo "# dnsmasq did not answer: $(cat "$tmp/dnsmasq.log")"

control resolvers "127.0.0.1@$dport"
control me gw.ourco.test
control localdomains ourco.test
control dnsbltimeout 2
control dnsbl 'bl.test=127.0.0.[2..3]*3' 'wl.test=127.0.[0..255].[1..3]*-4'
control rhsbl 'dbl.test=127.0.1.[2..99]*2'
control uribl 'uri.test*2'
msg=$tmp/plain.eml
printf 'From: Bob <bob@good.test>\nSubject: hello\n\nHello there.\n' >"$msg"
DC="env DIRECTION=in SENDER=bob@good.test RECIPIENT=alice@ourco.test HELO=mail.good.test dnsbl-check"

# --- client address lists -------------------------------------------
run $DC --ip 192.0.2.66 <"$msg"
is_exit 'a listed client is rejected' 100
like 'the verdict names the list, its code and its TXT reason' \
	'^dnsbl-check reject 5\.7\.1 score=3\.50 reject=1: bl\.test=127\.0\.0\.2 "Listed by bl\.test, see http://bl\.test/192\.0\.2\.66", nordns$'
err_like 'the log line carries the reason' '^dnsbl-check: qid=- verdict=reject reason=score=3\.50 '

run $DC --ip 192.0.2.10 <"$msg"
is_exit 'an unlisted client with forward-confirmed reverse DNS passes' 0
like 'the reverse name belongs to the sender: a small bonus' '^dnsbl-check pass 2\.0\.0 score=-0\.20 reject=1: rdns_match$'

run $DC --ip 198.51.100.5 <"$msg"
is_exit 'an answer outside the pattern does not count' 0
unlike 'so bl.test is not named' 'bl\.test'
control dnsbl 'bl.test=127.0.0.[2;4]*3'
run $DC --ip 198.51.100.5 <"$msg"
is_exit 'with the answer in the pattern it counts' 100
like 'the entry'"'"'s own text is shown' 'bl\.test=127\.0\.0\.4 "spam network"'
run $DC --ip 198.51.100.7 <"$msg"
is_exit 'an exception in the list is not listed' 0

control dnsbl 'bl.test*3' 'wl.test=127.0.[0..255].[1..3]*-4'
run $DC --ip 192.0.2.77 <"$msg"
is_exit 'a list error code (127.255.255.x) is not a pass' 111
like 'it is a DNS failure' '^dnsbl-check tempfail 4\.4\.3 DNS did not answer: bl\.test'

control dnsbl 'bl.test=127.0.0.[2..3]*3' 'wl.test=127.0.[0..255].[1..3]*-4' 'file:blocked*3'
printf '192.0.2.20\n' >"$PORTCULLIS_CONTROL/blocked"
run $DC --ip 192.0.2.20 <"$msg"
is_exit 'an allow list (negative weight) outweighs a block' 0
like 'both are named' '^dnsbl-check pass 2\.0\.0 score=-1\.20 reject=1: wl\.test=127\.0\.10\.1, file:blocked=127\.0\.0\.2, rdns_match$'

run $DC --ip 2001:db8:1::10 <"$msg"
is_exit 'an IPv6 client with forward-confirmed reverse DNS (AAAA) passes' 0
like 'its reverse name is the sender'"'"'s' '^dnsbl-check pass 2\.0\.0 score=-0\.20 reject=1: rdns_match$'
run $DC --ip 2001:db8:bad::25 <"$msg"
is_exit 'an IPv6 client is looked up in nibble form' 100
like 'and named with its text' 'bl\.test=127\.0\.0\.2 "IPv6 listed"'

cat >"$PORTCULLIS_CONTROL/blocked" <<'EOF'
:127.0.0.3:blocked by the postmaster: $
203.0.113.0/24
!203.0.113.8
EOF
run $DC --ip 203.0.113.5 <"$msg"
is_exit 'an own list (rbldnsd ip4set format) rejects' 100
like 'with its text, $ replaced' 'file:blocked=127\.0\.0\.3 "blocked by the postmaster: 203\.0\.113\.5"'
# resident (--serve, as the supervisor runs it): an edit of an own list
# file ends it, so that a fresh one reads the list
cp "$PORTCULLIS_CONTROL/blocked" "$tmp/blocked.keep"
run $py "$top/t/serve-job.py" --quiet --env DIRECTION=in --env SENDER=bob@good.test \
	--env RECIPIENT=alice@ourco.test --env HELO=mail.good.test -- dnsbl-check -- \
	"$msg|TCPREMOTEIP=203.0.113.5" \
	"!printf '198.51.100.0/24\\n' >'$PORTCULLIS_CONTROL/blocked'" "+1.5" \
	"$msg|TCPREMOTEIP=203.0.113.5"
like 'a resident rejects by an own list' '^== 1 pid=[0-9]+ exit=100$'
like '... and leaves when the list file is edited' '^== 4 (lost|pid=- exit=-)'
like '... with 0, for a fresh one to read it' '^resident exit 0$'
mv "$tmp/blocked.keep" "$PORTCULLIS_CONTROL/blocked"
run $DC --ip 203.0.113.8 <"$msg"
is_exit 'an exception in an own list' 0

# --- reverse DNS and HELO -----------------------------------------------
run $DC --ip 192.0.2.12 <"$msg"
is_exit 'no reverse name alone only flags' 0
like 'flag, naming nordns' '^dnsbl-check flag 2\.0\.0 score=0\.50 reject=1: nordns$'
run $DC --ip 192.0.2.11 <"$msg"
is_exit 'a reverse name that does not resolve back flags' 0
like 'named fcrdns' '^dnsbl-check flag 2\.0\.0 score=0\.50 reject=1: fcrdns$'
run env DIRECTION=in SENDER=bob@good.test HELO=192.0.2.12 dnsbl-check --ip 192.0.2.12 <"$msg"
is_exit 'no reverse name and a bare IP as HELO: rejected' 100
like 'both named' 'score=1\.00 reject=1: nordns, helo_bareip$'
run env DIRECTION=in SENDER=bob@good.test HELO=gw.ourco.test dnsbl-check --ip 192.0.2.10 <"$msg"
is_exit 'a HELO that claims to be us is rejected' 100
like 'named helo_ours' 'helo_ours'
run env DIRECTION=in SENDER=bob@good.test HELO=[192.0.2.10] dnsbl-check --ip 192.0.2.10 <"$msg"
is_exit 'an address literal as HELO is fine' 0
like 'and not scored' '^dnsbl-check pass 2\.0\.0 score=-0\.20 reject=1: rdns_match$'
run env DIRECTION=in SENDER=bob@good.test dnsbl-check <"$msg"
is_exit 'no client address: the names are still checked' 0
like 'and the verdict says the address was unknown' 'score=0\.00 reject=1 \(client address unknown\)$'
run env DIRECTION=in SENDER=bob@good.test HELO=localhost dnsbl-check --ip 192.0.2.10 <"$msg"
is_exit 'a HELO that is not a FQDN alone passes' 0
like 'but is scored' 'score=0\.10 reject=1: rdns_match, helo_nofqdn$'

long=$(printf 'a%.0s' $(seq 64))
printf 'From: <bob@x$y.test>\nSubject: x\n\nhttp://%s.example.com/ http://www.%s.example/\n' "$long" "$long" >"$tmp/hostile.eml"
run env DIRECTION=in SENDER='bob@good.test' HELO='mail good.test' dnsbl-check --ip 192.0.2.10 <"$tmp/hostile.eml"
is_exit 'names that cannot exist are not asked: no temporary failure' 0

# --- domain lists (rhsbl) -----------------------------------------------
run env DIRECTION=in SENDER=x@evil.test dnsbl-check --ip 192.0.2.10 <"$msg"
is_exit 'a listed sender domain is rejected' 100
like 'named with what was looked up' 'dbl\.test\(evil\.test\)=127\.0\.1\.2 "domain listed: evil\.test"'
run env DIRECTION=in SENDER=x@a.b.spam.test dnsbl-check --ip 192.0.2.10 <"$msg"
is_exit 'a subdomain of a listed wildcard' 100
run $DC --ip 192.0.2.40 <"$msg"
is_exit 'a listed reverse name counts' 100
like 'named' 'dbl\.test\(host\.evil\.test\)|dbl\.test\(evil\.test\)'
control rhsbl 'dbl.test=127.0.1.[2..99]*2 helo'
run env DIRECTION=in SENDER=x@evil.test HELO=mail.good.test dnsbl-check --ip 192.0.2.10 <"$msg"
is_exit 'a list for HELO names only ignores the sender' 0
run env DIRECTION=in SENDER=x@good.test HELO=mx.evil.test dnsbl-check --ip 192.0.2.10 <"$msg"
is_exit 'and catches the HELO name (by its registered domain)' 100
printf 'evil.test\n' >"$PORTCULLIS_CONTROL/baddomains"
control rhsbl 'file:baddomains*2 from'
printf 'From: <ceo@evil.test>\nSubject: x\n\nhi\n' >"$tmp/from.eml"
run $DC --ip 192.0.2.10 <"$tmp/from.eml"
is_exit 'an own domain list on the From domain' 100
like 'named' 'file:baddomains\(evil\.test\)=127\.0\.0\.2'

# --- URI lists ----------------------------------------------------------
control rhsbl
b64=$(printf '<html><body><a href="https://www.BadLink.test/win?x=1">click</a> and http://paypal.test@203.0.113.9/login</body></html>\n' | base64 -w0)
cat >"$tmp/uri.eml" <<EOF
From: Bob <bob@good.test>
Subject: offer
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=XX

--XX
Content-Type: text/plain

see www.ourco.test/help
--XX
Content-Type: text/html
Content-Transfer-Encoding: base64

$b64
--XX--
EOF
run $DC --ip 192.0.2.10 <"$tmp/uri.eml"
is_exit 'a link to a listed domain in base64 HTML is rejected' 100
like 'the registered domain is named' 'uri\.test\(badlink\.test\)=127\.0\.0\.2 "link listed"'
printf 'From: <bob@good.test>\nMIME-Version: 1.0\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<a href=3D"&#104;&#116;tp&colon;//shop.badl=\nink.test/">x</a>\n' >"$tmp/qp.eml"
run $DC --ip 192.0.2.10 <"$tmp/qp.eml"
is_exit 'a link hidden by character references and a QP soft break' 100
like 'is found' 'uri\.test\(badlink\.test\)'
control uribl 'uri.test=127.0.0.2*0.7' 'file:baduri*0.7'
printf '203.0.113.9\n' >"$PORTCULLIS_CONTROL/baduri"
run $DC --ip 192.0.2.10 <"$tmp/uri.eml"
is_exit 'an address link hidden behind a user part is found' 100
unlike 'no entry for the user part' 'paypal'
control urimax 0
run $DC --ip 192.0.2.10 <"$tmp/uri.eml"
is_exit 'urimax 0 turns link lookups off' 0
control urimax

# --- DNS that cannot answer --------------------------------------------
control dnsbl 'bl.test*3' 'dead.test*1'
control dnsbltimeout 1
run $DC --ip 192.0.2.10 <"$msg"
is_exit 'a list that does not answer is a temporary failure' 111
like 'named, with the possible scores' '^dnsbl-check tempfail 4\.4\.3 DNS did not answer: dead\.test; score -0\.20 to 0\.80'
run $DC --ip 192.0.2.66 <"$msg"
is_exit 'but a listing that decides anyway still rejects' 100
control dnsbl 'bl.test*3' 'dead.test*-4'
run $DC --ip 192.0.2.10 <"$msg"
is_exit 'an allow list that does not answer cannot make clean mail worse' 0
run $DC --ip 192.0.2.66 <"$msg"
is_exit 'but cannot be assumed for listed mail' 111
control resolvers "127.0.0.1@$deadport"
control dnsbl 'bl.test*3'
start=$(date +%s)
run $DC --ip 192.0.2.66 <"$msg"
is_exit 'no resolver at all: 111, never a pass' 111
like 'the DNS failure is named' 'DNS did not answer: bl\.test, nordns, fcrdns, rdns_mismatch, rdns_match;'
is 'the per-query timeout bounds the wait' "$(( $(date +%s) - start <= 3 ))" 1
control dnsbltimeout 30
control dnsbldeadline 1
start=$(date +%s)
run $DC --ip 192.0.2.10 <"$msg"
is_exit 'the deadline bounds the wait as well' 111
is 'within the deadline' "$(( $(date +%s) - start <= 3 ))" 1
control dnsbldeadline
control resolvers "127.0.0.1@$dport"
control dnsbltimeout 2

# --- postmaster, direction, trace, batch, -a ----------------------------
run env DIRECTION=in SENDER=bob@good.test RECIPIENT='postmaster@ourco.test
abuse@ourco.test' dnsbl-check --ip 192.0.2.66 <"$msg"
is_exit 'mail only to postmaster and abuse is never rejected' 0
like 'it is flagged instead, saying why' '^dnsbl-check flag 2\.0\.0 .*only to postmaster or abuse'
run env DIRECTION=in SENDER=bob@good.test RECIPIENT='postmaster@ourco.test
alice@ourco.test' dnsbl-check --ip 192.0.2.66 <"$msg"
is_exit 'with another recipient it is rejected' 100
run env SENDER=bob@good.test dnsbl-check --direction out --ip 192.0.2.66 <"$msg"
is_exit 'outbound mail is not checked' 0
like 'and says so' '^dnsbl-check pass 2\.0\.0 outbound: not checked$'
printf 'Received: from x (unknown [192.0.2.66])\n\tby gw.ourco.test with ESMTP id 1; Mon, 2 Mar 2026 10:00:00 +0000\nFrom: <bob@good.test>\n\nhi\n' >"$tmp/trace.eml"
run env DIRECTION=in dnsbl-check <"$tmp/trace.eml"
is_exit 'the client address from our Received header (rescans)' 100

cp "$msg" "$tmp/a.eml"
cp "$msg" "$tmp/b.eml"
run env DIRECTION=in DNSBL_CHECK_STATS=1 dnsbl-check --ip 192.0.2.66 "$tmp/a.eml" "$tmp/b.eml"
is_exit 'batch mode: the worst verdict is the exit status' 100
is 'one verdict line per file' "$(printf '%s\n' "$out" | grep -c ': dnsbl-check reject 5\.7\.1 ')" 2
err_like 'the second message is answered from the cache' 'stats: queries=[0-9]+ cached=[1-9]'

run $DC -a --ip 192.0.2.66 <"$msg"
is_exit '-a: the exit status is still the verdict' 100
like '-a: our header on top' '^X-Portcullis-Dnsbl-Check: reject 5\.7\.1 score=3\.50 '
like '-a: the message follows' '^Hello there\.$'
run $DC -t --ip 192.0.2.66 <"$msg"
is_exit '-t: tag only exits 0' 0

# --- configuration errors and --lint ------------------------------------
control dnsbl 'bl.test=127.0.0.[2..300]*3'
run $DC --ip 192.0.2.66 <"$msg"
is_exit 'a bad pattern is a configuration error: 111' 111
err_like 'the line is named' 'dnsbl line 1: pattern'
control dnsbl 'file:missing*2'
run dnsbl-check --lint
is_exit '--lint: a missing own list is an error' 111
err_like 'named' 'unable to open .*/missing'
control dnsbl 'bl.test=127.0.0.[2..11]*3' 'file:blocked*2'
control rhsbl 'dbl.test*2 sender helo'
control uribl
run dnsbl-check --lint
is_exit '--lint: a good configuration' 0
like 'counts the sites' '^dnsbl-check: dnsbl: 2 sites$'
like 'and the own entries' 'own lists: 2 entries'

done_testing
