#!/bin/sh
# auth-check, SPF: the openspf suites of RFC 7208 (pyspf's edition, 203
# tests) and RFC 4408 (191) from ../shared/auth-suites, each scenario's zone served by a real
# dnsmasq on a loopback port; every test must give one of its acceptable
# results in the Authentication-Results field, and its exp= explanation
# where the suite gives one.  Five tests are documented deviations
# (auth-check(8), STANDARDS), asserted at the result we give instead:
#   null-text: a TXT record with empty rdata (malformed: RFC 1035 3.3.14
#     wants one string at least) makes libunbound answer SERVFAIL for the
#     whole RRset, so the result is temperror, not pass.
#   mx-colon-domain, -ip4mapped: the DNS layer keeps only host-name bytes
#     of names in MX and PTR answers (':' and '/' become '?'), so such an
#     MX host is not found: neutral, not pass.
#   p-macro-ip4-valid, p-macro-multiple: the DNS layer never sends
#     reverse lookups of private addresses (192.168/16) off the machine,
#     so %{p} is "unknown" for them.
. "$(dirname "$0")/lib.sh"

shared=${PORTCULLIS_SHARED:-$top/../shared}
suites=$shared/auth-suites/pyspf/dnsmasq
if [ ! -f "$suites/rfc7208/tests.tsv" ] || [ ! -f "$suites/rfc4408/tests.tsv" ]; then
	echo "1..0 # SKIP no SPF suites at $suites"
	exit 0
fi
trap '[ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
control me mx.ourco.test
# the suite's timeout cases wait on a server that never answers
control authtimeout 3
printf 'From: someone@example.com\nSubject: spf\n\nbody\n' >"$tmp/m.eml"

# both editions, RFC 7208's and RFC 4408's (191 tests; every one passes
# with the same deviations); empty fields become "-" so that read keeps
# the columns
for rfc in rfc7208 rfc4408; do
suite=$suites/$rfc
awk -F'\t' 'NR > 1 { for (i = 1; i <= 7; i++) if ($i == "") $i = "-"; print }' \
    OFS='\t' "$suite/tests.tsv" >"$tmp/rows"
conf=
tab=$(printf '\t')
while IFS=$tab read -r id c host helo from want exp _; do
	if [ "$c" != "$conf" ]; then
		dnsmasq_zone "$suite/$c"
		conf=$c
	fi
	[ "$from" = - ] && from=
	[ "$helo" = - ] && helo=
	run env DIRECTION=in TCPREMOTEIP="$host" HELO="$helo" SENDER="$from" \
	    auth-check -a "$tmp/m.eml"
	got=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*spf=\([a-z]*\).*/\1/p' | head -1)
	dev=
	case $id in
	null-text) dev="temperror: libunbound refuses an empty TXT rdata" ;;
	mx-colon-domain*) dev="neutral: MX names keep host-name bytes only" ;;
	p-macro-ip4-valid) dev="fail: no private reverse lookups"; exp="connect from unknown" ;;
	p-macro-multiple) dev="neutral: no private reverse lookups" ;;
	esac
	[ -n "$dev" ] && want=${dev%%:*}
	case ",$want," in
	*",$got,"*) good=1 ;;
	*) good=0 ;;
	esac
	if [ "$good" = 1 ] && [ "$exp" != - ] && [ "$exp" != DEFAULT ]; then
		printf '%s\n' "$out" | sed -n '/^Authentication-Results/,/^[^[:space:]A]/p' |
		    tr -d '\n' | grep -F -q -- ": $exp)" || good=0
	fi
	_result "$good" "spf $rfc $c $id: $got (want $want${exp:+, exp $exp})${dev:+ deviation: ${dev#*: }}" \
	    "$(printf '%s\n' "$out" | sed -n '/^Authentication-Results/,/^[^[:space:]A]/p' | head -6)"
done <"$tmp/rows"
done
done_testing
