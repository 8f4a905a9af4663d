#!/bin/sh
# auth-check, ARC: the validation suite of ValiMail's arc_test_suite (171
# tests in ../shared/auth-suites/arc_test_suite) with each scenario's key
# records served by a real dnsmasq; arc= must equal the expected cv (an
# empty cv, where the newest seal already says cv=fail, is fail: RFC 8617
# 5.2).  Then a trusted sealer (control/arcsealers) standing in for a DMARC
# failure.
. "$(dirname "$0")/lib.sh"

shared=${PORTCULLIS_SHARED:-$top/../shared}
suite=$shared/auth-suites/arc_test_suite/arc-draft-validation-tests.yml
if [ ! -f "$suite" ]; then
	echo "1..0 # SKIP no ARC suite at $suite"
	exit 0
fi
trap '[ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
control me mx.ourco.test
control authtimeout 3

mkdir "$tmp/a"
/usr/bin/python3 - "$suite" "$tmp" <<'PY'
import sys, os, yaml
suite, tmp = sys.argv[1], sys.argv[2]
rows = []
for n, sc in enumerate(yaml.safe_load_all(open(suite))):
    if not sc:
        continue
    conf = os.path.join(tmp, 'a', 's%d.conf' % n)
    with open(conf, 'w') as f:
        f.write('local=/#/\n')
        for name, rec in (sc.get('txt-records') or sc.get('txt_records') or {}).items():
            rec = str(rec).replace('"', '')
            parts = [rec[i:i + 250] for i in range(0, len(rec), 250)] or ['']
            f.write('txt-record=%s,%s\n' % (name, ','.join('"%s"' % p for p in parts)))
    for name, t in sc['tests'].items():
        m = os.path.join(tmp, 'a', 's%d-%s.eml' % (n, name))
        msg = (t.get('message') or '').replace('\r\n', '\n').replace('\n', '\r\n')
        open(m, 'w', newline='').write(msg)
        cv = t.get('cv')
        cv = 'none' if cv in (None, 'None') else (str(cv).strip().lower() or 'fail')
        rows.append('\t'.join([conf, name, m, cv]))
open(os.path.join(tmp, 'rows'), 'w').write('\n'.join(rows) + '\n')
PY

tab=$(printf '\t')
zone=
while IFS=$tab read -r conf id m want; do
	[ "$conf" != "$zone" ] && dnsmasq_zone "$conf" && zone=$conf
	run env DIRECTION=in auth-check -a -t "$m"
	got=$(printf '%s\n' "$out" | sed -n '/^Authentication-Results: mx/,/^[^[:space:]A]/p' |
	    sed -n 's/^[[:space:]]*arc=\([a-z]*\).*/\1/p' | head -1)
	is "arc $id" "$got" "$want"
done <"$tmp/rows"

# --- a trusted sealer stands in for a DMARC failure ---------------------
# cv_pass_i1_1: sealed by example.org, From d1.example.org, which has no
# aligned SPF or DKIM pass here; its domain says p=reject
row=$(grep "${tab}cv_pass_i1_1$tab" "$tmp/rows")
conf=${row%%$tab*}
m=$(printf '%s\n' "$row" | cut -f3)
{ cat "$conf"; printf 'txt-record=_dmarc.d1.example.org,"v=DMARC1; p=reject"\n'; } >"$tmp/trust.conf"
dnsmasq_zone "$tmp/trust.conf"
run env DIRECTION=in auth-check "$m"
is_exit "DMARC p=reject fails: rejected" 100
control arcsealers example.org
run env DIRECTION=in auth-check "$m"
is_exit "sealed by a sealer in control/arcsealers: passed" 0
like "the verdict says why" 'overridden: ARC sealed by trusted example\.org'
control arcsealers lists.other.example
run env DIRECTION=in auth-check "$m"
is_exit "a sealer not listed changes nothing" 100
done_testing
