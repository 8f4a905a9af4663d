#!/bin/sh
# Links whose host is hidden the ways browsers still resolve (percent codes,
# capitals and a final dot, Unicode labels, the IDNA full stops, a user
# part, IPv4 in hex or one number, backslashes, character references):
# spam-score's URI rules and dnsbl-check's URI lists see the host the
# reader is taken to, the same rule and list entry as the plain link hits,
# and the rules on the hiding itself (URI_ENCODED_HOST, URI_USERINFO,
# URI_IP) still fire.  dnsbl-check asks a real rbldnsd behind dnsmasq, both
# on free loopback ports.
. "$(dirname "$0")/lib.sh"

chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# the IDNA full stops U+3002, U+FF0E, U+FF61 and a-umlaut, as UTF-8
s3002=$(printf '\343\200\202')
sff0e=$(printf '\357\274\216')
sff61=$(printf '\357\275\241')
auml=$(printf '\303\244')

# mk TYPE BODY: a one-part message with BODY (printf %s: no escapes) as
# text/TYPE in UTF-8
mk() {
	{
		printf 'From: Bob <bob@good.test>\nTo: alice@ourco.test\nSubject: hello\n'
		printf 'Date: Mon, 2 Jun 2025 10:00:00 +0000\nMessage-ID: <1@good.test>\n'
		printf 'MIME-Version: 1.0\nContent-Type: text/%s; charset=utf-8\n\n' "$1"
		printf 'Hello, see %s today.\n' "$2"
	} >"$tmp/m.eml"
}

# every way of writing a link to badlink.test (one per line; the last
# fields say which HTML or text type carries it)
cat >"$tmp/forms" <<EOF
plain	http://badlink.test/x
percent	http://%62adlink%2Etest/x
case-dot	HTTP://BADLINK.TEST./x
u3002	http://www.badlink${s3002}test/x
uff0e	http://www.badlink${sff0e}test/x
uff61	http://www.badlink${sff61}test/x
user	http://paypal.test@badlink.test/x
backslash	http:\\\\badlink.test\\x
EOF

SC="spam-score --direction in"
# --- spam-score: a rule on the host sees every form ---------------------
cat >"$PORTCULLIS_CONTROL/spam" <<'R'
uri  T_BADLINK  /^https?:\/\/(?:[^\/?#@]*\.)?badlink\.test(?:[\/?#:]|$)/  6
uri  T_IDN      /^https?:\/\/xn--bdlink-bua\.test\//  6
test T_IP       uri_ip  6
uri  URI_USERINFO      /^[a-z]+:\/\/[^\/?#]*@/i  0.1
uri  URI_ENCODED_HOST  /^https?:\/\/[^\/?#]*%[0-9a-f]{2}/i  0.1
R
while IFS='	' read -r name link; do
	mk plain "$link"
	run $SC --explain <"$tmp/m.eml"
	like "spam-score: the $name link hits the host's rule" '^ +6\.00 T_BADLINK'
	mk html "<a href=\"$link\">here</a>"
	run $SC --explain <"$tmp/m.eml"
	like "spam-score: the $name link in an href hits it too" '^ +6\.00 T_BADLINK'
done <"$tmp/forms"
mk html '<a href="&#104;ttp&colon;//b&#x61;dlink&period;test/">x</a>'
run $SC --explain <"$tmp/m.eml"
like 'spam-score: character references in an href' '^ +6\.00 T_BADLINK'
mk html '<a href="http:badlink.test">x</a>'
run $SC --explain <"$tmp/m.eml"
like 'spam-score: an href with no slashes after http:' '^ +6\.00 T_BADLINK'
mk plain 'http://evil.example/badlink.test/ http://badlink.testing.example/'
run $SC --explain <"$tmp/m.eml"
unlike 'spam-score: the name in a path or inside another name is no hit' 'T_BADLINK'

for link in "http://xn--bdlink-bua.test/" "http://b${auml}dlink.test/" \
    "http://B%C3%84DLINK.test/" "http://b${auml}dlink${s3002}test/"; do
	mk plain "$link"
	run $SC --explain <"$tmp/m.eml"
	like "spam-score: $link is the A-label's rule" '^ +6\.00 T_IDN'
done

for link in "http://203.0.113.9/" "http://0xcb.0.0x71.9/" "http://3405803785/" \
    "http://0313.0.0161.011/" "http://203.0.28937/"; do
	mk plain "$link"
	run $SC --explain <"$tmp/m.eml"
	like "spam-score: $link is a link to an address" '^ +6\.00 T_IP'
done

mk plain 'http://paypal.test@badlink.test/ and http://%62adlink.test/'
run $SC --explain <"$tmp/m.eml"
like 'spam-score: the user part is still seen' '^ +0\.10 URI_USERINFO'
like 'spam-score: the percent codes are still seen' '^ +0\.10 URI_ENCODED_HOST'
mk plain 'http://badlink.test/ only'
run $SC --explain <"$tmp/m.eml"
unlike 'spam-score: not in the plain link' 'URI_USERINFO|URI_ENCODED_HOST'

# --- the shipped rules on hidden links ---------------------------------
rm "$PORTCULLIS_CONTROL/spam"
mk plain 'http://%62it.ly/abc'
run $SC --explain <"$tmp/m.eml"
like 'shipped: a percent-coded shortener is still a shortener' '^ +[0-9.]+ URI_SHORTENER'
like 'shipped: and a host in percent codes' '^ +[0-9.]+ URI_ENCODED_HOST'
mk plain 'http://www.paypal.com@0xcb.0.0x71.9/login'
run $SC --explain <"$tmp/m.eml"
like 'shipped: a hex address is a bare IP' '^ +[0-9.]+ URI_IP '
like 'shipped: behind a user part' '^ +[0-9.]+ URI_USERINFO'

# --- dnsbl-check: the same URI list entry ------------------------------
z=$tmp/zones
mkdir "$z"
cat >"$z/uri" <<'EOF'
:127.0.0.2:link listed
badlink.test
xn--bdlink-bua.test
9.113.0.203
EOF
chmod 644 "$z"/*
chmod 755 "$z"
rport=$(free_port udp)
rbldnsd -n -q -u nobody -w "$z" -b "127.0.0.1/$rport" uri.test:dnset:uri \
	>"$tmp/rbldnsd.log" 2>&1 &
pids="$pids $!"
dport=$(free_port udp)
dnsmasq --port="$dport" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --keep-in-foreground --pid-file= --user=root \
	--server=/uri.test/127.0.0.1#$rport \
	--local=/good.test/ --local=/2.0.192.in-addr.arpa/ \
	--address=/mail.good.test/192.0.2.10 \
	--ptr-record=10.2.0.192.in-addr.arpa,mail.good.test \
	2>"$tmp/dnsmasq.log" &
pids="$pids $!"
dns_up "$rport" badlink.test.uri.test || echo "# rbldnsd did not answer"
dns_up "$dport" mail.good.test || echo "# dnsmasq did not answer"
control resolvers "127.0.0.1@$dport"
control dnsbltimeout 2
control uribl 'uri.test*2'
DC="env DIRECTION=in SENDER=bob@good.test RECIPIENT=alice@ourco.test HELO=mail.good.test dnsbl-check --ip 192.0.2.10"

mk plain 'nothing listed: http://example.org/'
run $DC <"$tmp/m.eml"
is_exit 'dnsbl-check: an unlisted link passes' 0
while IFS='	' read -r name link; do
	mk plain "$link"
	run $DC <"$tmp/m.eml"
	is_exit "dnsbl-check: the $name link is rejected" 100
	like '  by the list entry of the plain name' 'uri\.test\(badlink\.test\)=127\.0\.0\.2'
	mk html "<a href=\"$link\">here</a>"
	run $DC <"$tmp/m.eml"
	like "dnsbl-check: the $name link in an href" 'uri\.test\(badlink\.test\)=127\.0\.0\.2'
done <"$tmp/forms"
mk html '<a href="&#104;ttp://b&#x61;dlink&period;test/">x</a>'
run $DC <"$tmp/m.eml"
like 'dnsbl-check: character references in an href' 'uri\.test\(badlink\.test\)'
for link in "http://b${auml}dlink.test/" "https://www.B%C3%84DLINK.test/" \
    '<a href="http://b&#228;dlink.test/">x</a>'; do
	mk html "$link"
	run $DC <"$tmp/m.eml"
	like "dnsbl-check: $link is looked up as its A-label" \
		'uri\.test\(xn--bdlink-bua\.test\)=127\.0\.0\.2'
done
for link in "http://0xcb.0.0x71.9/" "http://3405803785/" "http://0313.0.0161.011/"; do
	mk plain "$link"
	run $DC <"$tmp/m.eml"
	like "dnsbl-check: $link is looked up as 203.0.113.9" \
		'uri\.test\(9\.113\.0\.203\)=127\.0\.0\.2'
done

done_testing
