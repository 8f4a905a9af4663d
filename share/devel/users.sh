#!/bin/sh
# users.sh [--prefix DIR]: the system accounts of portcullis(7),
# PRIVILEGES, which make install creates (as root, without DESTDIR) where
# they are missing: group portcullis; the queue owner portcullis and the
# door portcullis-smtpd in it; the scanners (portcullis-scan) and delivery
# (portcullis-deliver) each in a group of its own, so that neither can
# write incoming/.  --prefix: into another root's /etc (useradd's own).
set -eu
pre= pfx=
if [ "${1:-}" = --prefix ]; then
	pfx=$2
	pre="--prefix $2"
fi
sh=/usr/sbin/nologin
[ -x "$sh" ] || sh=/bin/false
has() { grep -q "^$2:" "$pfx/etc/$1"; }	# has passwd|group NAME
has group portcullis || groupadd $pre --system portcullis
add() {	# add NAME HOME USERADD-OPTION...
	_n=$1 _h=$2
	shift 2
	has passwd "$_n" && return 0
	useradd $pre --system --no-create-home --home-dir "$_h" --shell "$sh" "$@" "$_n"
	echo "users.sh: created system user $_n"
}
add portcullis /var/spool/portcullis --gid portcullis
add portcullis-smtpd /nonexistent --gid portcullis
add portcullis-scan /nonexistent --user-group
add portcullis-deliver /nonexistent --user-group
