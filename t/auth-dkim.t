#!/bin/sh
# auth-check, DKIM: the verification vectors of ../shared/auth-suites
# (dkim/vectors.json: RFC 8463 and RFC 6376 examples, Exim ed25519, gmail
# folding, broken keys, tampering, l=; OpenDKIM/opendkim-vectors.json: 106
# from libopendkim's tests) with their key records served by a real
# dnsmasq on loopback.  "pass" must be dkim=pass; "fail" and "not pass"
# anything else; "none" is dkim=none or, for a signature too malformed to
# read, permerror (RFC 6376 6.1.1 calls that PERMFAIL).  rsa-sha1 is never a
# pass (RFC 8301).  Then keys under 1024 bits, DNS failure, and a forged
# Authentication-Results of ours being replaced.
. "$(dirname "$0")/lib.sh"

shared=${PORTCULLIS_SHARED:-$top/../shared}
suite=$shared/auth-suites
if [ ! -f "$suite/dkim/vectors.json" ] || [ ! -f "$suite/OpenDKIM/opendkim-vectors.json" ]; then
	echo "1..0 # SKIP no DKIM vectors under $suite"
	exit 0
fi
trap '[ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
control me mx.ourco.test
control authtimeout 3

# the zone and one row per vector: id, message file, expected results
mkdir "$tmp/msgs"
/usr/bin/python3 - "$suite" "$tmp" <<'PY'
import json, sys, os
suite, tmp = sys.argv[1], sys.argv[2]
# a zone per vector of dkim/ (they publish different keys under one
# name), one for all of OpenDKIM's
txt = {}
rows = []
for v in json.load(open(os.path.join(suite, 'dkim/vectors.json'))):
    txt[v['id']] = v['dns']
    m = os.path.join(tmp, 'msgs', v['id'])
    data = open(os.path.join(suite, v['file']), 'rb').read()
    open(m, 'wb').write(data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n'))
    rows.append((v['id'], v['id'], m, ','.join(v['expect'])))
o = json.load(open(os.path.join(suite, 'OpenDKIM/opendkim-vectors.json')))
txt['opendkim'] = o['keys']
for v in o['vectors']:
    m = os.path.join(tmp, 'msgs', 'opendkim-' + v['id'])
    open(m, 'wb').write(v['message'].encode('latin-1'))
    rows.append(('opendkim', 'opendkim-' + v['id'] + ' ' + v['alg'], m, v['expect'].replace(' ', '-')))
for k in txt:
    with open(os.path.join(tmp, 'dkim-%s.conf' % k), 'w') as f:
        f.write('local=/#/\n')
        for name, rec in sorted(txt[k].items()):
            rec = rec.replace('"', '')
            parts = [rec[i:i + 250] for i in range(0, len(rec), 250)] or ['']
            f.write('txt-record=%s,%s\n' % (name, ','.join('"%s"' % p for p in parts)))
with open(os.path.join(tmp, 'rows'), 'w') as f:
    for r in rows:
        f.write('\t'.join(r) + '\n')
PY

# dkim= results of the Authentication-Results in $out, in order
dkim_results() {
	printf '%s\n' "$out" | sed -n '/^Authentication-Results/,/^[^[:space:]A]/p' |
	    sed -n 's/^[[:space:]]*dkim=\([a-z]*\).*/\1/p' | paste -sd, -
}

tab=$(printf '\t')
zone=
while IFS=$tab read -r z id m want; do
	[ "$z" != "$zone" ] && dnsmasq_zone "$tmp/dkim-$z.conf" && zone=$z
	run env DIRECTION=in auth-check -a "$m"
	got=$(dkim_results)
	good=1
	set -- $(printf '%s' "$got" | tr , ' ')
	for w in $(printf '%s' "$want" | tr , ' '); do
		g=${1:-missing}
		[ $# -gt 0 ] && shift
		case $w:$g in
		pass:pass|none:none|none:permerror) ;;
		fail:pass|not-pass:pass|*:missing) good=0 ;;
		fail:*|not-pass:*) ;;
		*) good=0 ;;
		esac
	done
	_result "$good" "dkim $id: $got (want $want)" "$(printf '%s\n' "$out" | sed -n '1,12p')"
done <"$tmp/rows"

# --- keys under 1024 bits, signed here with dkimpy --------------------------
# (a 512-bit key verifies cryptographically; RFC 8301 3.2 says refuse it)
openssl genrsa -out "$tmp/k512.pem" 512 2>/dev/null
openssl genrsa -out "$tmp/k2048.pem" 2048 2>/dev/null
printf 'From: Ann <ann@small.test>\nTo: bob@ourco.test\nSubject: small key\n\nhello\n' >"$tmp/plain.eml"
for bits in 512 2048; do
	/usr/bin/python3 - "$tmp/k$bits.pem" "$tmp/plain.eml" "$tmp/s$bits.eml" "k$bits" <<'PY'
import sys, dkim
key = open(sys.argv[1], 'rb').read()
msg = open(sys.argv[2], 'rb').read().replace(b'\n', b'\r\n')
sig = dkim.sign(msg, sys.argv[4].encode(), b'small.test', key,
                include_headers=[b'from', b'to', b'subject'])
open(sys.argv[3], 'wb').write(sig + msg)
PY
	pub=$(openssl rsa -in "$tmp/k$bits.pem" -pubout 2>/dev/null | grep -v '^-----' | tr -d '\n')
	printf 'txt-record=k%s._domainkey.small.test,"v=DKIM1; k=rsa; p=%s"\n' "$bits" "$pub" |
	    sed 's/\(.\{240\}\)/\1","/g' >>"$tmp/dkim-small.conf"
done
dnsmasq_zone "$tmp/dkim-small.conf"
run env DIRECTION=in auth-check -a "$tmp/s2048.eml"
is "a 2048-bit key signed here passes" "$(dkim_results)" pass
run env DIRECTION=in auth-check -a "$tmp/s512.eml"
is "a 512-bit key is refused" "$(dkim_results)" policy
like "and the header says why" 'under 1024 bits'

# --- DNS that does not answer: temperror, never pass ------------------------
dead=$(free_port udp)
control resolvers "127.0.0.1@$dead"
control authtimeout 1
run env DIRECTION=in auth-check -a "$tmp/s2048.eml"
is "a key that cannot be fetched is a temperror" "$(dkim_results)" temperror
is_exit "and the message passes (no DMARC policy known)" 0

# --- a forged Authentication-Results of ours is replaced --------------------
{ printf 'Authentication-Results: mx.ourco.test; dkim=pass header.d=small.test\n'
  printf 'Authentication-Results: other.example; dkim=pass\n'
  cat "$tmp/s512.eml"; } >"$tmp/forged.eml"
dnsmasq_zone "$tmp/dkim-small.conf"
run env DIRECTION=in auth-check -a "$tmp/forged.eml"
is "one Authentication-Results of ours" "$(printf '%s\n' "$out" | grep -c '^Authentication-Results: mx.ourco.test')" 1
is "it is ours, first" "$(printf '%s\n' "$out" | head -1 | cut -c1-37)" "Authentication-Results: mx.ourco.test"
like "another authserv-id's field stays" '^Authentication-Results: other.example; dkim=pass'
is "the forged pass is gone" "$(dkim_results)" policy
done_testing
