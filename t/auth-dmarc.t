#!/bin/sh
# auth-check, DMARC: the RFC 7489 cases of ../shared/auth-suites/mailauth
# (34; the RFC 9989 ones are not our bar).  Each case's records are served
# by a real dnsmasq; its DKIM domains sign the message here (dkimpy, a
# 2048-bit key published at t._domainkey.DOMAIN) and its SPF domain is the
# envelope sender with "v=spf1 ip4:192.0.2.1 -all", so that the SPF and
# DKIM results are real.  The portable assertions are checked against the
# dmarc= result and its comment (p=, sp=, pct=, policy=, and "record at"
# the domain whose policy applies, which mailauth calls "domain").
# Then the verdicts: reject, quarantine, control/dmarcpolicy, temperror.
. "$(dirname "$0")/lib.sh"

shared=${PORTCULLIS_SHARED:-$top/../shared}
cases=$shared/auth-suites/mailauth/dmarc/cases.json
if [ ! -f "$cases" ]; then
	echo "1..0 # SKIP no DMARC cases at $cases"
	exit 0
fi
trap '[ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
control me mx.ourco.test
control authtimeout 2
openssl genrsa -out "$tmp/key.pem" 2048 2>/dev/null
dead=$(free_port udp)

mkdir "$tmp/c"
/usr/bin/python3 - "$cases" "$tmp" "$dead" <<'PY'
import json, sys, os, subprocess, dkim
cases, tmp, dead = sys.argv[1], sys.argv[2], sys.argv[3]
key = open(os.path.join(tmp, 'key.pem'), 'rb').read()
pub = subprocess.run(['openssl', 'rsa', '-in', os.path.join(tmp, 'key.pem'), '-pubout'],
                     capture_output=True).stdout.decode()
pub = ''.join(l for l in pub.splitlines() if not l.startswith('-----'))
def dom(x):
    return x['domain'] if isinstance(x, dict) else x
def txt(name, strings):
    return 'txt-record=%s,%s\n' % (name, ','.join('"%s"' % s.replace('"', '') for s in strings))
rows = []
for c in json.load(open(cases)):
    if not c['spec'].startswith('RFC 7489') or len(c['calls']) != 1:
        continue
    exp = [e for e in c['expect'] if e.get('portable')]
    if not exp:
        continue
    call = c['calls'][0]
    inp = call['input']
    frm = inp['headerFrom']
    if isinstance(frm, list):
        if len(frm) != 1:
            continue
        frm = frm[0]
    if '@' not in frm:
        frm = 'user@' + frm
    conf = ['local=/#/\n']
    records = {}
    for name, types in call['dns'].items():
        for t, v in types.items():
            if isinstance(v, dict) and 'error' in v:
                conf.append('server=/%s/127.0.0.1#%s\n' % (name, dead))
            elif t == 'TXT':
                records.setdefault(name, []).extend(v)
            elif t == 'A':
                for a in v:
                    conf.append('address=/%s/%s\n' % (name, a))
            elif t == 'MX':
                for m in v:
                    conf.append('mx-host=%s,%s,%s\n' % (name, m.get('exchange', 'mx.' + name), m.get('priority', 10)))
    spf = [dom(d) for d in inp['spfDomains']]
    for d in spf:
        records.setdefault(d, []).append(['v=spf1 ip4:192.0.2.1 -all'])
    dk = [dom(d) for d in inp['dkimDomains']]
    for d in dk:
        parts = ['v=DKIM1; k=rsa; p=' + pub[:200], pub[200:]]
        records.setdefault('t._domainkey.' + d, []).append(parts)
    for name, lst in records.items():
        for strings in lst:
            conf.append(txt(name, strings))
    msg = ('From: %s\r\nTo: bob@ourco.test\r\nSubject: %s\r\n\r\nbody\r\n' % (frm, c['id'])).encode()
    for d in dk:
        msg = dkim.sign(msg, b't', d.encode(), key, include_headers=[b'from', b'to', b'subject']) + msg
    cid = c['id'][:60]
    open(os.path.join(tmp, 'c', cid + '.conf'), 'w').write(''.join(conf))
    open(os.path.join(tmp, 'c', cid + '.eml'), 'wb').write(msg)
    sender = 'user@' + spf[0] if spf else 'user@nospf.invalid'
    want = ' '.join('%s=%s' % (e['field'], e['value']) for e in exp)
    rows.append('\t'.join([cid, sender, want]))
open(os.path.join(tmp, 'rows'), 'w').write('\n'.join(rows) + '\n')
PY


# the unfolded Authentication-Results of ours in $out
ar() {
	printf '%s\n' "$out" | sed -n '/^Authentication-Results: mx/,/^[^[:space:]A]/p' |
	    sed '$d' | tr -d '\r\n'
}

tab=$(printf '\t')
while IFS=$tab read -r id sender want; do
	dnsmasq_zone "$tmp/c/$id.conf"
	run env DIRECTION=in TCPREMOTEIP=192.0.2.1 HELO=mail.sender.example \
	    SENDER="$sender" auth-check -a -t "$tmp/c/$id.eml"
	a=$(ar)
	dm=$(printf '%s' "$a" | sed -n 's/.*dmarc=\(.*\)/\1/p')
	good=1
	for w in $want; do
		f=${w%%=*} v=${w#*=}
		case $f in
		status.result) printf '%s' "$dm" | grep -q "^$v " || good=0 ;;
		policy) printf '%s' "$dm" | grep -q " policy=$v[ )]" || good=0 ;;
		p|sp|pct) printf '%s' "$dm" | grep -q "[ ;:]$f=$v[ )]" || good=0 ;;
		domain) printf '%s' "$dm" | grep -q "record at $v:" || good=0 ;;
		*) good=0 ;;
		esac
	done
	_result "$good" "dmarc $id: $want" "$dm"
done <"$tmp/rows"

# --- verdicts ----------------------------------------------------------------
cat >"$tmp/v.conf" <<CONF
local=/#/
txt-record=_dmarc.strict.test,"v=DMARC1; p=reject"
txt-record=_dmarc.soft.test,"v=DMARC1; p=quarantine"
txt-record=_dmarc.watch.test,"v=DMARC1; p=none"
txt-record=strict.test,"v=spf1 ip4:192.0.2.1 -all"
server=/_domainkey.strict.test/127.0.0.1#$dead
CONF
dnsmasq_zone "$tmp/v.conf"
for d in strict soft watch; do
	printf 'From: <ann@%s.test>\nTo: bob@ourco.test\nSubject: forged\n\nbody\n' "$d" >"$tmp/$d.eml"
done
AC="env DIRECTION=in TCPREMOTEIP=198.51.100.7 HELO=mail.forger.example SENDER=x@forger.example auth-check"
run $AC "$tmp/strict.eml"
is_exit "p=reject and nothing aligned: rejected" 100
like "with the policy in the verdict" 'auth-check reject 5\.7\.1 .*DMARC policy of strict\.test says reject'
run $AC "$tmp/soft.eml"
is_exit "p=quarantine: quarantined" 99
run $AC "$tmp/watch.eml"
is_exit "p=none: passed" 0
run env DIRECTION=in TCPREMOTEIP=192.0.2.1 HELO=mail.strict.test SENDER=ann@strict.test auth-check "$tmp/strict.eml"
is_exit "SPF aligned: passed" 0
like "dmarc=pass in the verdict" 'dmarc=pass'
control dmarcpolicy quarantine
run $AC "$tmp/strict.eml"
is_exit "control/dmarcpolicy quarantine softens reject" 99
control dmarcpolicy none
run $AC "$tmp/strict.eml"
is_exit "control/dmarcpolicy none: header only" 0
run $AC -a "$tmp/strict.eml"
like "the header still says fail" 'dmarc=fail'
printf '%s\n' "$out" >"$tmp/annotated.eml"
run spam-score "$tmp/annotated.eml"
like "spam-score scores the DMARC fail from the header" 'tests=.*AUTH_DMARC_FAIL'
rm "$PORTCULLIS_CONTROL/dmarcpolicy"

# a signature whose key lookup fails may have aligned: wait, never reject
/usr/bin/python3 - "$tmp/key.pem" "$tmp/strict.eml" "$tmp/signed.eml" <<'PY'
import sys, dkim
key = open(sys.argv[1], 'rb').read()
msg = open(sys.argv[2], 'rb').read().replace(b'\n', b'\r\n')
open(sys.argv[3], 'wb').write(dkim.sign(msg, b't', b'strict.test', key,
    include_headers=[b'from', b'to', b'subject']) + msg)
PY
run $AC "$tmp/signed.eml"
is_exit "DKIM temperror under p=reject: tempfail" 111
like "with a 4.7.5 status" 'auth-check tempfail 4\.7\.5 '

# no DNS at all (a fresh machine without network): results temperror, pass
control resolvers "127.0.0.1@$dead"
control authtimeout 1
run $AC -a "$tmp/strict.eml"
is_exit "no resolver answers: the message passes" 0
like "spf=temperror in the header" 'spf=temperror'
like "dmarc=temperror in the header" 'dmarc=temperror'
done_testing
