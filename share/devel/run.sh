#!/bin/sh
# run.sh BINDIR: the README's run command.  Starts the gateway in the
# foreground on built-in defaults: queue, control files and a maildir in
# ./run (created on first use, never overwritten), listening on
# 127.0.0.1:2525 (edit run/control/listen), taking mail for the demo
# domain ourco.example into run/maildir/USER.  As root it binds, then
# runs as nobody, so the run folder is given to nobody.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
run=${PORTCULLIS_RUN:-$top/run}
user=nobody
mkdir -p "$run/control" "$run/queue" "$run/maildir"
ctl=$run/control
[ -f "$ctl/me" ] || echo gw.ourco.example >"$ctl/me"
[ -f "$ctl/localdomains" ] || echo ourco.example >"$ctl/localdomains"
[ -f "$ctl/listen" ] || echo 127.0.0.1:2525 >"$ctl/listen"
[ -f "$ctl/routes" ] || echo "ourco.example maildir:$run/maildir/%u" >"$ctl/routes"
[ -f "$ctl/user" ] || echo "$user" >"$ctl/user"
# inside clients (may send anywhere): none but this machine
[ -f "$ctl/relayclients" ] || echo 127.0.0.2 >"$ctl/relayclients"
if [ "$(id -u)" = 0 ]; then
	# portcullis refuses, as root, a queue below a folder another user
	# could change (portcullis(7), PRIVILEGES): say so before it does
	d=$(cd "$run" && pwd -P)
	while :; do
		set -- $(stat -c '%u %a' "$d")
		if [ "$1" != 0 ] || { [ $((0$2 & 022)) != 0 ] && [ $((0$2 & 01000)) = 0 ]; }; then
			echo "run.sh: fatal: $d is not root's alone; as root, portcullis" \
				"refuses a queue below it; set PORTCULLIS_RUN=/tmp/portcullis-run" >&2
			exit 111
		fi
		[ "$d" = / ] && break
		d=$(dirname "$d")
	done
	chmod 755 "$run" "$ctl"
	chown -R "$user" "$run/queue" "$run/maildir"
	if ! setpriv --reuid="$(id -u $user)" --regid="$(id -g $user)" --clear-groups \
		test -w "$run/maildir" 2>/dev/null; then
		echo "run.sh: fatal: $user cannot reach $run (a parent folder is" \
			"private); set PORTCULLIS_RUN=/tmp/portcullis-run" >&2
		exit 111
	fi
fi
cat <<EOM
portcullis: queue $run/queue, control $run/control
  send:  swaks --server $(head -1 "$ctl/listen" | sed 's/:\([0-9]*\)$/ --port \1/') --to bob@ourco.example --from alice@example.net
  lands: $run/maildir/bob/new/
  stop:  Ctrl-C
EOM
PORTCULLIS_RULES=${PORTCULLIS_RULES:-$top/share/rules}
export PORTCULLIS_RULES
exec "$bin/portcullis" -C "$ctl" -Q "$run/queue"
