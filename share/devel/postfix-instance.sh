#!/bin/sh
# postfix-instance.sh WORK PORT HOSTNAME [MAIN.CF-LINE ...]: start a private
# Postfix for the tests and benches (Debian's postfix, the system's own
# instance untouched): its configuration in WORK/pf, queue in WORK/pfq,
# data in WORK/pfdata, log in WORK/postfix.log, listening on
# 127.0.0.1:PORT.  Each MAIN.CF-LINE is added to main.cf (the caller's
# delivery or hold policy).  Exits 0 once started; otherwise 1 with what
# Postfix said on stderr.  Stop it with: postfix -c WORK/pf stop.
set -u
work=$1 port=$2 host=$3
shift 3
PATH=$PATH:/usr/sbin
pf=$work/pf
mkdir -p "$pf" "$work/pfq" "$work/pfdata" || exit 1
chown postfix "$work/pfdata" 2>/dev/null
{
	cat <<EOC
compatibility_level = 3.6
queue_directory = $work/pfq
data_directory = $work/pfdata
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = $host
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file = $work/postfix.log
maillog_file_prefixes = $work
EOC
	for l in "$@"; do printf '%s\n' "$l"; done
} >"$pf/main.cf"
cat >"$pf/master.cf" <<EOC
127.0.0.1:$port inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
virtual   unix - n n - - virtual
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOC
command -v postfix >/dev/null 2>&1 || { echo "postfix-instance: postfix is missing" >&2; exit 1; }
if ! postfix -c "$pf" start >"$work/pfstart.log" 2>&1; then
	cat "$work/pfstart.log" "$work/postfix.log" >&2 2>/dev/null
	exit 1
fi
