#!/bin/sh
# arc-seal: the 17 signing tests of ValiMail's arc_test_suite (in
# ../shared/auth-suites, read in place), whose fixed key, t= and inputs
# give byte-exact seals; then with keys of our own: a first seal over
# auth-check's results, a change to the body (a list footer) and a second
# seal by another forwarder, each chain validated by a second
# implementation (dkimpy's arc_verify) and by our own auth-check with the
# keys served by dnsmasq; cv= found by verifying when no Authentication-
# Results of ours says it, a broken chain sealed with cv=fail and never
# sealed on again, a stranger's arc=pass below Received not believed,
# DNS down a 111, and the control files.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! $PY -c 'import dkim, yaml' 2>/dev/null; then
	echo "1..0 # SKIP python3-dkim (dkimpy) and python3-yaml are not installed"
	exit 0
fi
trap '[ -n "${dnsmasq_pid:-}" ] && kill "$dnsmasq_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
got=$tmp/.out
shared=${PORTCULLIS_SHARED:-$top/../shared}
suite=$shared/auth-suites/arc_test_suite/arc-draft-sign-tests.yml

## The ValiMail signing suite

if [ ! -f "$suite" ]; then
	ok "# SKIP no ARC signing suite at $suite" true
else
	# each test: its key, arcdomain, me (srv-id) and archeaders
	# (sig-headers) in a control directory of its own, ARCSEAL_TIME its
	# t=; compared: the b= of both signatures, every other tag, and the
	# AAR, white space aside (relaxed canonicalisation)
	$PY - "$suite" "$tmp/suite" <<'PY' >"$tmp/suite.out"
import os, re, subprocess, sys, yaml
suite, work = sys.argv[1], sys.argv[2]
def tags(v):
    return dict(t.split('=', 1) for t in re.sub(r'\s+', '', v).split(';') if t)
def fields(head):
    f = {}
    for m in re.finditer(r'^(ARC-[A-Za-z-]+): (.*?)\r?\n(?=\S|$)', head, re.S | re.M):
        f.setdefault(m.group(1), m.group(2))
    return f
for n, sc in enumerate(yaml.safe_load_all(open(suite))):
    if not sc:
        continue
    ctl = os.path.join(work, str(n))
    os.makedirs(os.path.join(ctl, 'dkim', sc['domain']))
    open(os.path.join(ctl, 'dkim', sc['domain'], sc['sel'] + '.key'), 'w').write(sc['privatekey'])
    open(os.path.join(ctl, 'arcdomain'), 'w').write(sc['domain'] + '\n')
    open(os.path.join(ctl, 'arcselector'), 'w').write(sc['sel'] + '\n')
    for name, t in sc['tests'].items():
        open(os.path.join(ctl, 'me'), 'w').write(t['srv-id'] + '\n')
        open(os.path.join(ctl, 'archeaders'), 'w').write(t['sig-headers'].replace(':', '\n') + '\n')
        msg = t['message'].replace('\r\n', '\n').replace('\n', '\r\n').encode()
        p = subprocess.run(['arc-seal', '-C', ctl], input=msg, capture_output=True,
                           env=dict(os.environ, ARCSEAL_TIME=str(t['t'])))
        f = fields(p.stdout.decode('utf-8', 'replace').split('\r\n\r\n')[0] + '\r\n')
        res = []
        if p.returncode != 0:
            res.append('exit %d: %s' % (p.returncode, p.stderr.decode()))
        elif not (t.get('AS') or '').strip():
            if p.stdout != msg:
                res.append('a set was added to a chain that ended')
        else:
            for k, want in (('ARC-Seal', t['AS']), ('ARC-Message-Signature', t['AMS'])):
                g, w = tags(f.get(k, '')), tags(want)
                if g != w:
                    res.append('%s differs in %s' % (k, ','.join(sorted(x for x in set(g) | set(w) if g.get(x) != w.get(x)))))
            aar = ' '.join(f.get('ARC-Authentication-Results', '').split())
            if aar != ' '.join(t['AAR'].split()):
                res.append('AAR %r' % aar)
        print('%s\t%s' % (name, '; '.join(res) or 'same'))
PY
	tab=$(printf '\t')
	n=0
	while IFS=$tab read -r name res; do
		is "suite: $name" "$res" same
		n=$((n + 1))
	done <"$tmp/suite.out"
	is 'the suite has 17 signing tests' "$n" 17
fi

## Keys of our own; the records for dkimpy and for dnsmasq

keys=$PORTCULLIS_CONTROL/dkim
mkdir -p "$keys/seal.test" "$keys/fwd.test"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$keys/seal.test/arc1.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$keys/fwd.test/arc2.key" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$keys/seal.test/ed.key"
dkim-sign --dns-record | $PY -c 'import re, sys
for l in sys.stdin:
    m = re.match(r"(\S+)\. IN TXT \((.*)\)$", l)
    if m:
        print(m.group(1), "".join(re.findall(r"\"([^\"]*)\"", m.group(2))))' >"$tmp/recs"
{
	echo 'local=/test/'
	while read -r name txt; do
		printf 'txt-record=%s,"%s"\n' "$name" "$txt"
	done <"$tmp/recs"
} >"$tmp/zone.conf"
dnsmasq_zone "$tmp/zone.conf"
control authtimeout 3
control me mx.seal.test
control arcdomain seal.test
control arcselector arc1

# the second forwarder's control directory: its own name and key
hop2=$tmp/hop2
cp -r "$PORTCULLIS_CONTROL" "$hop2"
printf 'mx.fwd.test\n' >"$hop2/me"
printf 'fwd.test\n' >"$hop2/arcdomain"
printf 'arc2\n' >"$hop2/arcselector"
rm -rf "$hop2/dkim/seal.test"

msg=$tmp/m.eml
printf 'Received: from mail.example.com (mail.example.com [192.0.2.1])\n\tby mx.seal.test; Wed, 2 Dec 2026 10:00:00 +0000\nFrom: Alice <alice@example.com>\nTo: list@seal.test\nSubject: a  folded\n  subject\nDate: Wed, 2 Dec 2026 10:00:00 +0000\nMessage-ID: <1@example.com>\n\nHello  there \n\n\n' >"$msg"

## --lint and the control files

run arc-seal --lint
is_exit '--lint: a working configuration' 0
like '--lint names the key' 'sealing as seal\.test with .*/dkim/seal\.test/arc1\.key \(2048 bits\), authserv-id mx\.seal\.test'
rm "$PORTCULLIS_CONTROL/arcselector"
run arc-seal --lint
is_exit 'one RSA key of arcdomain: no arcselector needed' 0
cp "$keys/seal.test/arc1.key" "$keys/seal.test/arc0.key"
run arc-seal --lint
is_exit 'two RSA keys and no arcselector: 111' 111
err_like 'and says to name one' 'name one in .*/arcselector'
rm "$keys/seal.test/arc0.key"
control arcselector ed
run arc-seal <"$msg"
is_exit 'an Ed25519 key does not seal (RFC 8617: rsa-sha256): 111' 111
err_like 'and says so' 'rsa-sha256 only'
is 'nothing on stdout' "$(wc -c <"$got")" 0
control arcselector arc1
rm "$PORTCULLIS_CONTROL/arcdomain"
run arc-seal <"$msg"
is_exit 'no control/arcdomain: 111' 111
err_like 'and says which file' 'no .*/arcdomain'
control arcdomain seal.test
control archeaders from subject 'bad name:'
run arc-seal <"$msg"
is_exit 'a bad line in archeaders: 111' 111
control archeaders from subject arc-seal
run arc-seal <"$msg"
is_exit 'archeaders may not name ARC-Seal: 111' 111
rm "$PORTCULLIS_CONTROL/archeaders"

## The first hop: auth-check's results, then the seal

run env DIRECTION=in TCPREMOTEIP=192.0.2.1 SENDER='<alice@example.com>' \
	auth-check -a "$msg"
is_exit 'auth-check passes the message' 0
cp "$got" "$tmp/in1.eml"
run arc-seal "$tmp/in1.eml"
is_exit 'arc-seal seals it' 0
cp "$got" "$tmp/s1.eml"
err_like 'the log line: domain, instance, cv' 'verdict=pass sealed=seal\.test i=1 cv=none from=chain$'
is 'the set is on top: AS, AMS, AAR' "$(sed -n 's/^\(ARC-[A-Za-z-]*\):.*/\1/p' "$tmp/s1.eml" | tr '\n' ' ')" \
	'ARC-Seal ARC-Message-Signature ARC-Authentication-Results '
like 'the AAR carries auth-check results' '^ARC-Authentication-Results: i=1; mx\.seal\.test;'
like 'and every one of them' '^[[:space:]]dmarc='
like 'the seal: cv=none, i=1' 'cv=none; d=seal\.test; i=1; s=arc1; t=[0-9]+$'
awk 'top && /^(ARC-|	)/ { next } { top = 0; print }' top=1 "$tmp/s1.eml" >"$tmp/rest.eml"
ok 'the message follows the set byte for byte' cmp "$tmp/rest.eml" "$tmp/in1.eml"
is 'no line over 998 characters' "$(awk 'length($0) > 998' "$tmp/s1.eml" | wc -l)" 0
run $PY "$top/t/arc-verify.py" "$tmp/recs" <"$tmp/s1.eml"
is_exit 'dkimpy arc_verify: the chain passes' 0
like 'with one set' '^cv=pass i=1 '
control me mx.other.test
run env DIRECTION=in auth-check -a "$tmp/s1.eml"
like 'our auth-check: arc=pass' '^[[:space:]]*arc=pass \(1 sets verified, sealed by seal\.test\)'
control me mx.seal.test

## The second hop: a footer changes the body; the seal keeps the chain

printf -- '-- \nthe list footer\n' >>"$tmp/s1.eml"
run $PY "$top/t/arc-verify.py" "$tmp/recs" <"$tmp/s1.eml"
is_exit 'dkimpy: a changed body breaks the first set' 1
# the footer was added before hop 2 received it: hop 2 finds the chain
# broken; to model the list's own change after its check, check first
run env PORTCULLIS_CONTROL="$hop2" DIRECTION=in auth-check -a "$tmp/s1.eml"
like 'hop 2 auth-check on the changed message: arc=fail' '^[[:space:]]*arc=fail'
# now the normal case: hop 2 checks the message as hop 1 sent it ...
sed '$d' "$tmp/s1.eml" | sed '$d' >"$tmp/s1b.eml"
run env PORTCULLIS_CONTROL="$hop2" DIRECTION=in auth-check -a "$tmp/s1b.eml"
like 'hop 2 auth-check: arc=pass' '^[[:space:]]*arc=pass'
# ... and changes it (a footer) before it seals
{ cat "$got"; printf -- '-- \nthe list footer\n'; } >"$tmp/in2.eml"
run env PORTCULLIS_CONTROL="$hop2" arc-seal "$tmp/in2.eml"
is_exit 'hop 2 seals' 0
cp "$got" "$tmp/s2.eml"
err_like 'cv=pass from our own Authentication-Results' 'sealed=fwd\.test i=2 cv=pass from=authentication-results$'
like 'the AAR of i=2 is hop 2 results' '^ARC-Authentication-Results: i=2; mx\.fwd\.test;'
run $PY "$top/t/arc-verify.py" "$tmp/recs" <"$tmp/s2.eml"
is_exit 'dkimpy arc_verify: the chain of two passes' 0
like 'with two sets' '^cv=pass i=2 '
run env DIRECTION=in auth-check -a "$tmp/s2.eml"
like 'our auth-check: arc=pass over two sets' '^[[:space:]]*arc=pass \(2 sets verified, sealed by fwd\.test\)'
sed 's/^Hello  there/Hello there!/' "$tmp/s2.eml" >"$tmp/t2.eml"
run $PY "$top/t/arc-verify.py" "$tmp/recs" <"$tmp/t2.eml"
is_exit 'dkimpy: a change after the second seal fails' 1

## cv verified now, when no Authentication-Results of ours says it

run env PORTCULLIS_CONTROL="$hop2" arc-seal "$tmp/s1b.eml"
is_exit 'no stamp: the chain is verified with DNS' 0
err_like 'cv=pass, verified' 'i=2 cv=pass from=verified$'
cp "$got" "$tmp/v2.eml"
run $PY "$top/t/arc-verify.py" "$tmp/recs" <"$tmp/v2.eml"
is_exit 'dkimpy: passes' 0
sed '/^ARC-Seal:/,/^[^[:space:]]/ s/^\(	b=\)./\1A/' "$tmp/s1b.eml" >"$tmp/bad.eml"
ok 'a seal is broken' sh -c "! cmp -s '$tmp/bad.eml' '$tmp/s1b.eml'"
run env PORTCULLIS_CONTROL="$hop2" arc-seal "$tmp/bad.eml"
is_exit 'a broken chain is still sealed' 0
err_like 'with cv=fail' 'i=2 cv=fail from=verified$'
cp "$got" "$tmp/f2.eml"
run $PY "$top/t/arc-verify.py" "$tmp/recs" <"$tmp/f2.eml"
is_exit 'dkimpy: the chain does not pass' 1
# dkimpy reports a chain whose newest seal says cv=fail as ended (None);
# RFC 8617 5.2 makes that a fail
like 'it ends at our cv=fail seal' '^cv=None i=2 ARC-Seal\[2\] reported failure'
run env DIRECTION=in auth-check -a "$tmp/f2.eml"
like 'our auth-check: arc=fail' '^[[:space:]]*arc=fail'
run arc-seal "$tmp/f2.eml"
is_exit 'a chain ended by cv=fail ...' 0
ok '... gets no further set (RFC 8617 5.1.2)' cmp "$got" "$tmp/f2.eml"
err_like 'and the log says why' 'unsealed reason=the newest seal says cv=fail$'

# a stranger's Authentication-Results with our authserv-id, below the
# Received field: not ours, not believed
awk 'NR == 1 { print; next } !done && /^[^[:space:]]/ && seen { print "Authentication-Results: mx.fwd.test; arc=pass"; done = 1 } /^Received:/ { seen = 1 } { print }' \
	"$tmp/bad.eml" >"$tmp/forged.eml"
ok 'the forged field is there' grep -q '^Authentication-Results: mx.fwd.test; arc=pass' "$tmp/forged.eml"
run env PORTCULLIS_CONTROL="$hop2" arc-seal "$tmp/forged.eml"
err_like 'a forged arc=pass below Received is not believed' 'i=2 cv=fail from=verified$'

# DNS down: the chain cannot be validated, the mail waits
printf '127.0.0.1@%s\n' "$(free_port udp)" >"$hop2/resolvers"
printf '1\n' >"$hop2/authtimeout"
run env PORTCULLIS_CONTROL="$hop2" arc-seal "$tmp/s1b.eml"
is_exit 'no DNS answer: 111' 111
is 'nothing on stdout' "$(wc -c <"$got")" 0
err_like 'the log says why' 'verdict=tempfail reason=the ARC chain cannot be validated now'

## Line ends and a resident

sed 's/$/\r/' "$msg" >"$tmp/crlf.eml"
run arc-seal "$tmp/crlf.eml"
cp "$got" "$tmp/c1.eml"
is 'CRLF in, CRLF out' "$(grep -c "$(printf '\r')\$" "$tmp/c1.eml")" "$(wc -l <"$tmp/c1.eml")"
run $PY "$top/t/arc-verify.py" "$tmp/recs" <"$tmp/c1.eml"
is_exit 'dkimpy: a CRLF message sealed passes' 0
printf 'X-Only: a field not signed\n\nbody\n' >"$tmp/nofrom.eml"
run arc-seal "$tmp/nofrom.eml"
is_exit 'a message with no field to sign passes' 0
ok 'unchanged' cmp "$got" "$tmp/nofrom.eml"

## The resident mode (lib/queue/serve.h), as the supervisor drives it

run $PY "$top/t/serve-job.py" -- arc-seal -- "$tmp/in1.eml|QUEUEID=q1" "$tmp/nofrom.eml"
is_exit 'arc-seal --serve: the driver and the resident end normally' 0
like '... two jobs, both exit 0' '^== 2 pid=[0-9]+ exit=0$'
like '... job 1 is sealed' 'qid=q1 verdict=pass sealed=seal\.test i=1 cv=none'
like '... job 2 is not, and QUEUEID of job 1 is gone' 'qid=- verdict=pass unsealed reason=no field to sign'
printf '%s\n' "$out" | sed -n '/^== 1 /,/^-- log/p' | sed '1d;$d' >"$tmp/r.eml"
run $PY "$top/t/arc-verify.py" "$tmp/recs" <"$tmp/r.eml"
is_exit '... and dkimpy verifies what the resident sealed' 0
done_testing
