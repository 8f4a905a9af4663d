#!/bin/sh
# maildir-rescan: mail already delivered, judged again by today's chain;
# what is caught now moves into .Quarantine, one line each; a second run
# judges only what is new, until the rules or the control files change;
# a filter that cannot decide leaves the message where it is, to be
# judged next time; and while a delivery and a mail client are at work
# in the same maildir, no message is lost or doubled.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
md=$tmp/Maildir
mkdir -p "$md/tmp" "$md/new" "$md/cur"
msg() {	# msg FILE SUBJECT BODY
	printf 'Return-Path: <a@outside.test>\nFrom: a@outside.test\nTo: bob@ourco.test\nSubject: %s\nDate: Wed, 2 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@outside.test>\n\n%s\n' \
		"$2" "$(basename "$1" | tr -c 'a-z0-9\n' x)" "$3" >"$1"
}
msg "$md/new/1000.A1.host" 'lunch' 'see you at noon'
msg "$md/cur/1001.A2.host:2,S" 'minutes' 'the minutes of the meeting'
msg "$md/cur/1002.A3.host:2,RS" 'offer' \
	'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
$py - >"$md/new/1003.A4.host" <<'PY'
import base64
exe = bytearray(256)
exe[0:2] = b'MZ'; exe[0x3c] = 0x80; exe[0x80:0x86] = b'PE\0\0\x4c\x01'
print('From: billing@outside.test\nTo: bob@ourco.test\nSubject: invoice\n'
      'Date: Wed, 2 Dec 2026 10:00:00 +0000\nMessage-ID: <inv@outside.test>\n'
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n'
      'Content-Type: text/plain\n\nsee attached\n--b\n'
      'Content-Type: application/pdf; name=invoice.pdf\n'
      'Content-Disposition: attachment; filename=invoice.pdf\n'
      'Content-Transfer-Encoding: base64\n\n%s\n--b--' %
      base64.encodebytes(bytes(exe)).decode().strip())
PY
# spam is held, not only marked, with these thresholds
control spamthresholds 'in quarantine 5.0'
control localdomains ourco.test

# --- the inbound chain of the control directory ---------------------------
run maildir-rescan "$md"
is_exit 'a rescan with the inbound chain: 0' 0
like '... GTUBE caught, with the stage and its reason' \
	"^$md/cur/1002\\.A3\\.host:2,RS: quarantine: stage [0-9] \\(spam-score\\) exit 99: .* -> $md/\\.Quarantine/cur/1002\\.A3\\.host:2,RS\$"
like '... the disguised program caught' \
	"^$md/new/1003\\.A4\\.host: reject: stage [0-9] \\(filetype-check\\) exit 100.* -> $md/\\.Quarantine/new/1003\\.A4\\.host\$"
is '... one line per message caught' "$(printf '%s\n' "$out" | grep -c .)" 2
is '... the rest stays' "$(cd "$md" && ls new cur | grep -c host)" 2
ok '... the caught ones are in .Quarantine, flags kept' \
	test -f "$md/.Quarantine/cur/1002.A3.host:2,RS" -a -f "$md/.Quarantine/new/1003.A4.host"
ok '... a maildir folder of its own' test -d "$md/.Quarantine/tmp"
is '... nothing on stderr (quiet for cron)' "$err" ''

# --- incremental ----------------------------------------------------------
# a filter that counts the messages it is given, and holds "bad" ones
cat >"$tmp/count.sh" <<EOF
n=\$(cat | grep -c '^Subject: bad')
echo x >>"$tmp/judged"
[ "\$n" = 0 ] || exit 99
exit 0
EOF
chain="sh $tmp/count.sh"
run maildir-rescan -f "$chain" -v "$md"
is_exit 'a filter named with -f: 0' 0
is '... judged both messages' "$(wc -l <"$tmp/judged")" 2
err_like '... -v says how many' '2 messages, 2 judged, 0 not judged now'
run maildir-rescan -f "$chain" -v "$md"
is '... again: nothing judged twice' "$(wc -l <"$tmp/judged")" 2
err_like '... and says so' '2 messages, 0 judged'
msg "$md/new/1004.A5.host" 'bad news' 'x'
run maildir-rescan -f "$chain" "$md"
is '... a new message: only it is judged' "$(wc -l <"$tmp/judged")" 3
like '... and caught' "^$md/new/1004\\.A5\\.host: quarantine: stage 1 \\(sh\\) exit 99 -> "
mv "$md/new/1000.A1.host" "$md/cur/1000.A1.host:2,S"
run maildir-rescan -f "$chain" "$md"
is '... read by the user meanwhile (new to cur): not judged again' "$(wc -l <"$tmp/judged")" 3

control orgname 'Our Co'
run maildir-rescan -f "$chain" "$md"
is '... a control file changed: all judged again' "$(wc -l <"$tmp/judged")" 5
touch "$tmp/sigs.cvd"
run maildir-rescan -f "$chain" -V "$tmp/sigs.cvd" "$md"
is '... a signature file named with -V: judged again' "$(wc -l <"$tmp/judged")" 7
run maildir-rescan -f "$chain" -V "$tmp/sigs.cvd" "$md"
is '... and not once more' "$(wc -l <"$tmp/judged")" 7
run maildir-rescan -a -f "$chain" -V "$tmp/sigs.cvd" "$md"
is '... -a: all of them, whatever was judged' "$(wc -l <"$tmp/judged")" 9

# --- dry run, tempfail, bad options -------------------------------------
msg "$md/new/1005.A6.host" 'bad again' 'x'
run maildir-rescan -n -f "$chain" "$md"
like '-n: says what it would move' "^$md/new/1005\\.A6\\.host: quarantine: .*\\(not moved: -n\\)\$"
ok '... and moves nothing' test -f "$md/new/1005.A6.host"
printf 'cat >/dev/null\nexit 111\n' >"$tmp/unsure.sh"
run maildir-rescan -a -f "sh $tmp/unsure.sh" "$md"
is_exit 'a filter that cannot decide: 111' 111
err_like '... names the message' '1005\.A6\.host: not judged now: stage 1 \(sh\) exit 111'
ok '... which stays' test -f "$md/new/1005.A6.host"
run maildir-rescan -f "$chain" "$md"
like '... and is judged on the next run' "^$md/new/1005\\.A6\\.host: quarantine: "
run maildir-rescan -q ../elsewhere "$md"
is_exit 'a quarantine folder outside the maildir: 111' 111
run maildir-rescan -c "$tmp/no-such-chain" "$md"
is_exit 'a chain file that is not there: 111' 111
run maildir-rescan -f "$chain" "$tmp/nomaildir"
is_exit 'a maildir that is not there: 111' 111

# --- beside a delivery and a mail client ---------------------------------
md2=$tmp/Busy
mkdir -p "$md2/tmp" "$md2/new" "$md2/cur"
# 300 messages delivered the maildir way (tmp, then rename into new) while
# a mail client moves what it finds in new/ to cur/ with flags, and
# rescans run at the same time; one in three is "bad"
$py - "$md2" <<'PY' &
import os, sys, time
md = sys.argv[1]
for i in range(300):
    name = '%d.M%dP%d.host' % (2000000000 + i, i, os.getpid())
    with open(os.path.join(md, 'tmp', name), 'w') as f:
        f.write('From: a@outside.test\nSubject: %s %d\nMessage-ID: <m%d@x>\n\nbody\n'
                % ('bad' if i % 3 == 0 else 'good', i, i))
    os.rename(os.path.join(md, 'tmp', name), os.path.join(md, 'new', name))
    time.sleep(0.01)
open(os.path.join(md, 'tmp', '.done'), 'w').close()
PY
deliver=$!
$py - "$md2" <<'PY' &
import os, sys, time
md = sys.argv[1]
end = time.time() + 60
while time.time() < end:
    for n in os.listdir(os.path.join(md, 'new')):
        try:
            os.rename(os.path.join(md, 'new', n), os.path.join(md, 'cur', n + ':2,S'))
        except OSError:
            pass
    if os.path.exists(os.path.join(md, 'tmp', '.done')) and not os.listdir(os.path.join(md, 'new')):
        break
    time.sleep(0.005)
PY
client=$!
printf 'grep -q "^Subject: bad" && exit 99\nexit 0\n' >"$tmp/bad.sh"
fails=0
runs=0
while kill -0 $deliver 2>/dev/null || kill -0 $client 2>/dev/null; do
	runs=$((runs + 1))
	maildir-rescan -f "sh $tmp/bad.sh" "$md2" >>"$tmp/busy.out" 2>>"$tmp/busy.err" ||
		fails=$((fails + 1))
done
wait $deliver $client
maildir-rescan -f "sh $tmp/bad.sh" "$md2" >>"$tmp/busy.out" 2>>"$tmp/busy.err" ||
	fails=$((fails + 1))
ok "busy: rescans ran while mail came in ($runs)" test "$runs" -ge 2
is '... every rescan ran clean' "$fails $(cat "$tmp/busy.err")" '0 '
$py - "$md2" >"$tmp/busy.check" <<'PY'
import collections, os, re, sys
md = sys.argv[1]
seen = collections.Counter(); where = {}
for folder in ('', '.Quarantine'):
    for sub in ('new', 'cur'):
        d = os.path.join(md, folder, sub)
        if not os.path.isdir(d):
            continue
        for n in os.listdir(d):
            m = re.search(r'^Subject: (\w+) (\d+)$', open(os.path.join(d, n)).read(), re.M)
            seen[int(m.group(2))] += 1
            where[int(m.group(2))] = (m.group(1), folder)
print('messages', len(seen))
print('doubled', sum(1 for v in seen.values() if v > 1))
print('bad outside quarantine', sum(1 for k, (s, f) in where.items() if s == 'bad' and f != '.Quarantine'))
print('good in quarantine', sum(1 for k, (s, f) in where.items() if s == 'good' and f == '.Quarantine'))
PY
is 'busy: all 300 messages are there' "$(sed -n 's/^messages //p' "$tmp/busy.check")" 300
is '... none twice' "$(sed -n 's/^doubled //p' "$tmp/busy.check")" 0
is '... every bad one held' "$(sed -n 's/^bad outside quarantine //p' "$tmp/busy.check")" 0
is '... no good one held' "$(sed -n 's/^good in quarantine //p' "$tmp/busy.check")" 0
is '... one line for each held' "$(grep -c ' -> ' "$tmp/busy.out")" 100

done_testing
