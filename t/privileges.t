#!/bin/sh
# privileges: what portcullis does as root with a queue its mail user
# could write (links planted towards a root-owned file and folder are
# refused, and neither target changes owner or mode), the uids of qmail's
# manner (door, stages and delivery each under their own, from control
# files), and each stage's sandbox (no socket but AF_UNIX, its limits).
# The root parts are skipped when the suite runs as an ordinary user.
. "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
chmod 755 "$tmp" "$PORTCULLIS_CONTROL"
gw=
trap 'kill $gw 2>/dev/null; rm -rf "$tmp"' EXIT
control listen 127.0.0.1:0

# mode and owner of a path as "uid:gid mode"
who() { stat -c '%u:%g %a' "$1"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
like_file() { if grep -Eq -- "$3" "$2"; then _result 1 "$1"; else _result 0 "$1" "$(cat "$2")"; fi; }

if [ "$(id -u)" != 0 ]; then
	echo "# not root: the root start cases are skipped"
	done_testing
	exit
fi

# --- links planted in the queue before a root start ------------------------
mkdir "$tmp/rootdir"
chmod 700 "$tmp/rootdir"
echo secret >"$tmp/secret"
chmod 600 "$tmp/secret"
Q=$tmp/q1
mkdir "$Q"
chown 65534:65534 "$Q"
as_nobody ln -s "$tmp/rootdir" "$Q/incoming"
as_nobody mkdir "$Q/outgoing"
as_nobody ln -s "$tmp/secret" "$Q/outgoing/tmp"

run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q"
is_exit 'a queue folder that is a link: refused at the start' 111
err_like '... the log says which and why' "refusing the queue: $Q/incoming is a link"
is '... the root-owned folder it points to is unchanged' "$(who "$tmp/rootdir")" '0:0 700'
is '... and so is the root-owned file' "$(who "$tmp/secret")" '0:0 600'

rm "$Q/incoming"
run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q"
is_exit 'a link deeper down (outgoing/tmp to a 0600 root file): refused' 111
err_like '... named in the log' "refusing the queue: $Q/outgoing/tmp is a link"
is '... the file keeps its owner and mode' "$(who "$tmp/secret")" '0:0 600'
is '... and its bytes' "$(cat "$tmp/secret")" secret

rm "$Q/outgoing/tmp"
mkdir "$Q/quarantine"
chown 12345 "$Q/quarantine"
run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$Q"
is_exit 'a folder of another user: refused' 111
err_like '... named in the log' "$Q/quarantine belongs to uid 12345"
rmdir "$Q/quarantine"

ln -s "$tmp/rootdir" "$tmp/qlink"
run timeout 10 portcullis -C "$PORTCULLIS_CONTROL" -Q "$tmp/qlink"
is_exit 'a queue directory that is itself a link: refused' 111
is '... its target unchanged' "$(who "$tmp/rootdir")" '0:0 700'

gport=$(free_port)
control listen "127.0.0.1:$gport"
ok 'without the links it starts' start_gw
is '... every stage folder is the queue owner'"'"'s' \
	"$(find "$Q" -type d ! -user 65534 | wc -l)" 0
ok '... sched/ and quarantine/ exist' test -d "$Q/outgoing/sched" -a -d "$Q/quarantine/new"
kill $gw; wait $gw 2>/dev/null

done_testing
