#!/bin/sh
# log-report: the day's summary of a real gateway's log.  A gateway the
# test starts takes mail in both directions from clients on several
# loopback addresses (a real receiver, Debian's aiosmtpd, answers 250,
# 451 and 550 per recipient), refuses GTUBE and a junk client at the door,
# delivers, defers and bounces; log-report's text and its HTML page
# (rendered by headless Chromium, what it shows read back from the
# browser's layout) must give the numbers the log itself gives, counted
# here with grep and awk.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
gw=
sinkpid=
trap 'kill $gw $sinkpid 2>/dev/null; rm -rf "$tmp"' EXIT
like_file() { if grep -Eq -- "$3" "$2"; then _result 1 "$1"; else _result 0 "$1" "$(cat "$2")"; fi; }

# --- a day at the gateway ----------------------------------------------------
md=$tmp/md
mkdir "$md" "$tmp/sink"
[ "$(id -u)" = 0 ] && chown 65534 "$md"
$py "$data/relay-out/sink.py" "$tmp/sink" 127.0.0.1 >"$tmp/sinkport" 2>"$tmp/sink.log" &
sinkpid=$!
for i in $(seq 100); do [ -s "$tmp/sinkport" ] && break; sleep 0.1; done
sport=$(cat "$tmp/sinkport")
gport=$(free_port)
Q=$tmp/q
control listen "127.0.0.1:$gport"
control me gw.ourco.test
control localdomains ourco.test
control relayclients 127.0.0.10
control routes "ourco.test maildir:$md/%u" "partner.test smtp:[127.0.0.1]:$sport"
control maxerrors 3
control retrymin 3600
# GTUBE refused at the door; a Subject about money held in quarantine
# the subject's SUBJ_MONEY puts that message alone over 3 (a bare From
# and a short text score 2.7: spam-score(5))
control spamthresholds 'in quarantine 3.0' 'in reject 20'
ok 'the gateway starts' start_gw

$py - "$gport" <<'PY' >"$tmp/clients.out" 2>&1
import smtplib, socket, sys
port = int(sys.argv[1])
def send(src, frm, rcpts, subject, body='hello\r\n', ok=True):
    c = smtplib.SMTP('127.0.0.1', port, source_address=(src, 0), timeout=60)
    msg = ('From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s.%s@x>\r\n'
           'Date: Wed, 2 Dec 2026 10:00:00 +0000\r\n\r\n%s') % (
        frm, ', '.join(rcpts), subject, subject.replace(' ', '-'), src, body)
    try:
        c.sendmail(frm, rcpts, msg)
    except smtplib.SMTPException as e:
        print('refused', subject, e)
    c.quit()
# inbound: four messages from two outside clients
send('127.0.0.2', 'alice@outside.test', ['bob@ourco.test'], 'one')
send('127.0.0.2', 'alice@outside.test', ['bob@ourco.test', 'carol@ourco.test'], 'two')
send('127.0.0.2', 'alice@outside.test', ['carol@ourco.test'], 'three', 'x' * 5000 + '\r\n')
send('127.0.0.3', 'dave@far.test', ['bob@ourco.test'], 'four')
send('127.0.0.3', 'dave@far.test', ['carol@ourco.test'], 'save 50% off now')
# GTUBE, refused at the door by spam-score
send('127.0.0.4', 'spammer@spam.test', ['bob@ourco.test'], 'gtube',
     'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n')
# outbound from the inside: delivered, bounced (550), deferred (451)
send('127.0.0.10', 'erin@ourco.test', ['good@partner.test'], 'out one')
send('127.0.0.10', 'erin@ourco.test', ['bad@partner.test', 'good2@partner.test'], 'out two')
send('127.0.0.10', 'frank@ourco.test', ['temp@partner.test'], 'out three')
# a client that only makes errors
s = socket.create_connection(('127.0.0.1', port), source_address=('127.0.0.5', 0))
s.recv(512)
s.sendall(b'FOO\r\nBAR\r\nBAZ\r\n')
while s.recv(512):
    pass
print('clients done')
PY
like_file 'the clients ran' "$tmp/clients.out" '^clients done$'
log=$tmp/gw.log
settled() {
	[ "$(grep -c 'delivery=done' "$log")" -ge 6 ] &&
	grep -q 'delivery=deferred' "$log" && grep -q 'bounce=' "$log" &&
	[ "$(grep -c ' end=' "$log")" -ge 11 ]
}
for i in $(seq 300); do settled && break; sleep 0.1; done
ok 'the gateway delivered, deferred and bounced' settled
kill $gw
wait $gw
gw=
[ -n "${KEEP_LOG:-}" ] && cp "$log" "$KEEP_LOG"

# --- what the log says, counted here ----------------------------------------
# expectations from the log itself, by a second reading: door lines by
# their client (127.0.0.10 is the inside), the rest by grep
$py - "$log" >"$tmp/want" <<'PY'
import re, sys, collections
want = collections.OrderedDict()
door = {}        # qid -> dir
recv = collections.Counter(); byts = collections.Counter()
hours = collections.Counter()
for line in open(sys.argv[1]):
    m = re.match(r'(\S+)T(\d\d):\S+ smtpd-accept\[\d+\]: qid=(\S+) ip=(\S+) from=<(.*)> rcpts=\d+ bytes=(\d+) verdict=(\S+)', line)
    if m:
        d = 'out' if m.group(4) == '127.0.0.10' else 'in'
        v = m.group(7)
        if v in ('accepted', 'quarantined'):
            door[m.group(3)] = d
            recv[d] += 1; byts[d] += int(m.group(6)); hours[(int(m.group(2)), d)] += 1
        recv[(v, d)] += 1
text = open(sys.argv[1]).read()
for d in ('in', 'out'):
    want['received-' + d] = recv[d]
    want['bytes-' + d] = byts[d]
    want['quarantined-' + d] = recv[('quarantined', d)]
    want['refused-' + d] = recv[('refused', d)]
deliv = collections.Counter(); failed = collections.Counter(); deferred = collections.Counter()
for m in re.finditer(r'relay-out(?:\[\d+\])?: qid=(\S+) rcpt=\S+ result=(\w)', text):
    d = door.get(m.group(1), 'other')
    {'r': deliv, 'h': failed, 's': deferred}[m.group(2)][d] += 1
for d in ('in', 'out', 'other'):
    want['delivered-' + d] = deliv[d]
    want['failed-' + d] = failed[d]
    want['deferred-' + d] = deferred[d]
want['received-total'] = recv['in'] + recv['out']
want['deferrals'] = len(re.findall(r' delivery=deferred', text))
want['bounces'] = len(re.findall(r'portcullis: qid=\S+ bounce=', text))
want['sessions'] = len(re.findall(r'smtpd-accept\[\d+\]: ip=\S+ .* end=', text))
want['connrefused'] = len(re.findall(r'refused: too many connections', text))
for (h, d), n in hours.items():
    want['hour-%d-%s' % (h, d)] = n
want['spam-score reject'] = len(re.findall(r'spam-score\[\d+\]: qid=\S+ verdict=reject', text))
want['spam-score quarantine'] = len(re.findall(r'spam-score\[\d+\]: qid=\S+ verdict=quarantine', text))
want['door refused long-line'] = len(re.findall(r'verdict=refused reason=long-line', text))
want['rule GTUBE'] = len(re.findall(r'tests=[^ ]*GTUBE', text))
want['sender <alice@outside.test>'] = len(re.findall(r'from=<alice@outside.test> \S+ \S+ verdict=(?:accepted|quarantined)', text))
want['recipient bob@ourco.test'] = len(re.findall(r'relay-out(?:\[\d+\])?: qid=\S+ rcpt=bob@ourco.test result=r', text))
want['junk 127.0.0.5'] = len(re.findall(r'ip=127.0.0.5 .* end=errors', text))
want['delays'] = sum(1 for m in re.finditer(r'portcullis: qid=(\S+) delivery=done', text) if m.group(1) in door)
for k, v in want.items():
    print('%s|%s' % (k, v))
PY
wantof() { sed -n "s/^$1|//p" "$tmp/want"; }
is 'the log: four messages in, three out' "$(wantof received-in) $(wantof received-out)" '4 3'
is '... two refused at the door (a long line, GTUBE)' \
	"$(wantof refused-in) $(wantof 'door refused long-line') $(wantof 'spam-score reject')" '2 1 1'
is '... one quarantined, one bounced, one deferred' \
	"$(wantof quarantined-in) $(wantof bounces) $(wantof deferrals)" '1 1 1'

# --- the text report --------------------------------------------------------
run log-report "$log"
is_exit 'log-report: 0' 0
printf '%s\n' "$out" >"$tmp/report.txt"
row() {	# row LABEL: the numbers of a totals row
	sed -n "s/^  $1  *\([0-9 ]*\)$/\1/p" "$tmp/report.txt" | tr -s ' '
}
for r in received:received bytes\ received:bytes 'quarantined at the door:quarantined' \
    'refused at the door:refused' 'recipients delivered:delivered' \
    'recipients failed for good:failed' 'recipient deferrals:deferred'; do
	label=${r%%:*}
	k=${r#*:}
	in=$(wantof "$k-in"); o=$(wantof "$k-out"); ot=$(wantof "$k-other")
	is "text: $label (in out other total)" "$(row "$label")" \
		"$in $o ${ot:-0} $((in + o + ${ot:-0}))"
done
like 'text: deferrals' "^Deliveries deferred: $(wantof deferrals)\$"
like 'text: bounces' "^Bounces sent: $(wantof bounces)\$"
like 'text: sessions' "^Sessions: $(wantof sessions)\$"
h=$(sed -n 's/^hour-\([0-9]*\)-in|.*/\1/p' "$tmp/want" | head -1)
like 'text: the hour of the day' "^  $(printf %02d "$h"):00 +$(wantof "hour-$h-in") +$(wantof "hour-$h-out") +0\$"
like 'text: spam-score'"'"'s rejects, with their reason' \
	"^ +$(wantof 'spam-score reject')  spam-score +reject +score=#\\.# required=#\\.#\$"
like 'text: the door'"'"'s refusal, by reason' "^ +$(wantof 'door refused long-line')  door +refused +long-line\$"
like 'text: the top sender' "^ +$(wantof 'sender <alice@outside.test>') +[0-9]+  <alice@outside.test>\$"
like 'text: the top recipient' "^ +$(wantof 'recipient bob@ourco.test')  bob@ourco.test\$"
like 'text: the rules' "^ +$(wantof 'rule GTUBE')  GTUBE\$"
like 'text: the bounce'"'"'s reason' '^ +1  550 5\.1\.1 no such user$'
like 'text: the deferral'"'"'s reason' '^ +1  451 4\.2\.0 try again later$'
like 'text: the junk client' "^ +$(wantof 'junk 127.0.0.5') +0  127\\.0\\.0\\.5\$"
like 'text: the delays' "^Delays from the door to delivery: $(wantof delays) messages; seconds: min "

# --- the page, as Chromium shows it -------------------------------------------
run log-report -H "$log"
is_exit 'log-report -H: 0' 0
printf '%s\n' "$out" >"$tmp/report.html"
unlike '... a page with no script' '<script'
unlike '... and nothing fetched' '(src|href)=|https?://|url\('
like '... its charts inline SVG' '<svg id="hours"'
# the probe reads back what the browser laid out: the text of every
# cell with an id, the rows of the tables, the bars' drawn heights
sed 's|</body>|<script>(function(){var o={};document.querySelectorAll("td[id],span[id]").forEach(function(e){o[e.id]=e.innerText});o.rows={};["verdicts","senders","recipients","rules","junk","hourtable"].forEach(function(t){o.rows[t]=[].map.call(document.querySelectorAll("#"+t+" tr"),function(r){return r.innerText.split("\\t").join("\|")})});o.bars=[].map.call(document.querySelectorAll("rect.bar"),function(r){var b=r.getBoundingClientRect();return [r.dataset.hour,r.dataset.dir,+r.dataset.n,b.height]});o.dbars=[].map.call(document.querySelectorAll("rect.dbar"),function(r){return [+r.dataset.n,r.getBoundingClientRect().width]});var p=document.createElement("pre");p.id="probe";p.textContent=JSON.stringify(o);document.body.appendChild(p)})()</script></body>|' \
	"$tmp/report.html" >"$tmp/probe.html"
chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/chr" \
	--dump-dom "file://$tmp/probe.html" >"$tmp/dom.html" 2>"$tmp/chr.log"
ok 'Chromium renders the page' grep -q '<pre id="probe">' "$tmp/dom.html"
chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/chr" \
	--window-size=1200,2400 --screenshot="$tmp/report.png" "file://$tmp/report.html" \
	>/dev/null 2>>"$tmp/chr.log"
ok '... and draws it (a screenshot)' test -s "$tmp/report.png"
$py - "$tmp/dom.html" "$tmp/want" >"$tmp/cmp" <<'PY'
import html, json, re, sys
dom = open(sys.argv[1]).read()
m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
o = json.loads(html.unescape(m.group(1)))
want = dict(l.rstrip('\n').split('|', 1) for l in open(sys.argv[2]))
def out(name, got, w):
    print('%s|%s|%s' % (name, got, w))
for k in ('received', 'bytes', 'quarantined', 'refused', 'delivered', 'failed', 'deferred'):
    for d in ('in', 'out', 'other'):
        if k + '-' + d in want:
            out('page: %s %s' % (k, d), o.get(k + '-' + d), want[k + '-' + d])
for k in ('deferrals', 'bounces', 'sessions', 'connrefused'):
    out('page: ' + k, o.get(k), want[k])
out('page: messages with a delay', o.get('ndelay'), want['delays'])
rows = o['rows']
def find(table, pred):
    return next((r for r in rows[table] if pred(r.split('|'))), '')
r = find('verdicts', lambda c: c[1:3] == ['spam-score', 'reject'])
out('page: spam-score rejects', r.split('|')[0], want['spam-score reject'])
r = find('verdicts', lambda c: c[1:4] == ['door', 'refused', 'long-line'])
out('page: the door refused a long line', r.split('|')[0], want['door refused long-line'])
r = find('senders', lambda c: c[-1] == '<alice@outside.test>')
out('page: alice sent', r.split('|')[0], want['sender <alice@outside.test>'])
r = find('recipients', lambda c: c[-1] == 'bob@ourco.test')
out('page: bob received', r.split('|')[0], want['recipient bob@ourco.test'])
r = find('rules', lambda c: c[-1] == 'GTUBE')
out('page: GTUBE', r.split('|')[0], want['rule GTUBE'])
r = find('junk', lambda c: c[-1] == '127.0.0.5')
out('page: the junk client', r.split('|')[0], want['junk 127.0.0.5'])
# the chart: one bar per hour and direction with traffic, each as tall
# as its count says (the same pixels per message for every bar)
bars = {(b[0], b[1]): b for b in o['bars']}
hw = {k[5:]: v for k, v in want.items() if k.startswith('hour-')}
out('chart: a bar for each hour and direction', ' '.join(sorted('%s-%s' % k for k in bars)),
    ' '.join(sorted(hw)))
for k, v in sorted(hw.items()):
    h, d = k.split('-')
    b = bars.get((h, d))
    out('chart: bar %s shows' % k, b and b[2], v)
ppm = [b[3] / b[2] for b in o['bars'] if b[2]]
out('chart: heights in proportion to the counts', max(ppm) - min(ppm) < 0.5, True)
stack = {}
for b in o['bars']:
    stack[b[0]] = stack.get(b[0], 0) + b[3]
out('chart: the busiest hour is drawn full height (150 px)', round(max(stack.values())), 150)
out('chart: delay bars add up to the messages', sum(b[0] for b in o['dbars']), want['delays'])
PY
while IFS='|' read -r name got want; do
	is "$name" "$got" "$want"
done <"$tmp/cmp"

# --- a hostile name is shown as text -----------------------------------------
printf '%s\n' '2026-12-02T10:00:00Z smtpd-accept[9]: qid=1.M1P9Q1 ip=192.0.2.9 from=<"<img src=x onerror=alert(1)>"@evil.test> rcpts=1 bytes=10 verdict=accepted reason=-' \
	'2026-12-02T10:00:01Z smtpd-accept[9]: ip=192.0.2.9 host=- helo=<b>hi</b> dir=in tls=no accepted=1 refused=0 errors=0 end=quit' >"$tmp/evil.log"
run log-report -H "$tmp/evil.log"
unlike 'a sender with markup: no tag of it in the page' '<img|<b>'
like '... but its text, escaped' '&lt;img src=x onerror=alert\(1\)&gt;'
run log-report -d 2026-12-03 "$tmp/evil.log"
like '-d: only that day'"'"'s lines' '^  received +0 +0 +0 +0$'
run log-report -d 2026-12-02 "$tmp/evil.log"
like '... that day'"'"'s' '^  received +1 +0 +0 +1$'
printf 'not a log line\n\000\377 garbage\n' >"$tmp/junk.log"
run log-report <"$tmp/junk.log"
is_exit 'lines of something else are counted, not fatal' 0
like '... as lines not of the gateway' '^Lines: 2 read, 2 not of the gateway$'
run log-report "$tmp/no-such-file"
is_exit 'a file that is not there: 111' 111

done_testing
