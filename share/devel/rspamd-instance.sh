# rspamd-instance.sh, sourced by the benches (". rspamd-instance.sh"): a
# private rspamd (Debian's rspamd, its rules in /etc/rspamd, the system's
# own instance untouched) with every check that would reach the network
# turned off, so that it is measured on the same local work as spam-score
# and SpamAssassin with local tests only.
#
#   rspamd_start WORK PORT [MILTERPORT]
#                            configuration, databases, pid file and log in
#                            WORK/rspamd; normal workers (one per core) on
#                            127.0.0.1:PORT, no controller or fuzzy worker.
#                            With MILTERPORT, also a milter (rspamd_proxy
#                            workers, one per core, scanning themselves) on
#                            127.0.0.1:MILTERPORT for Postfix's smtpd_milters,
#                            adding X-Spamd-Result and X-Spam-Status even to
#                            mail from loopback; otherwise no proxy.  Returns 0 once every worker has loaded
#                            its Hyperscan database (the first start
#                            compiles it: tens of CPU seconds), 1 otherwise
#                            with the log's tail on stderr.  Sets rspamd_pid
#                            (the main process, our child: rspamd -f).
#   rspamd_cpu               CPU ticks (user+system) of the main process,
#                            its reaped children and its live workers.
#   rspamd_hwm               the largest peak resident KB of the workers.
#   rspamd_hwm_reset         restarts the workers' peak count: a worker is
#                            forked from the main process at its start-up
#                            peak (the configuration, its multi-pattern
#                            compile) and gives the excess back on its first
#                            message; reset after that.
#   rspamd_stop              stops it by pid; a no-op when not started.
#
# No packet leaves loopback: the modules that ask DNS lists, hash services,
# Redis or HTTP are disabled by name below, and rspamd's resolver is pointed
# at 127.0.0.1:1, where nothing listens, so what is left (the rDNS of a
# client address found in Received, the downloads of rspamd.com's maps)
# fails at once on loopback.  The maps with no local fallback (the free and
# disposable mail domains of multimap) are then empty.
rspamd_pid=

rspamd_start() {
	rspamd_dir=$1/rspamd
	_port=$2
	_mport=${3:-}
	_n=$(nproc 2>/dev/null || echo 1)
	mkdir -p "$rspamd_dir/local.d" "$rspamd_dir/override.d" \
		"$rspamd_dir/db" "$rspamd_dir/run" "$rspamd_dir/log" "$rspamd_dir/tmp" || return 1
	# The stock rule set, without statistic.conf: rspamd's Bayes keeps its
	# tokens only in Redis, which the bench does not run.
	cat >"$rspamd_dir/rspamd.conf" <<EOC
lua = "\$RULESDIR/rspamd.lua";
.include "\$CONFDIR/metrics.conf"
.include "\$CONFDIR/actions.conf"
.include "\$CONFDIR/groups.conf"
.include "\$CONFDIR/composites.conf"
.include "\$CONFDIR/modules.conf"
.include "\$CONFDIR/settings.conf"
modules {
	path = "\${PLUGINSDIR}";
	fallback_path = "\${SHAREDIR}/lua";
}
options {
	pidfile = "\$RUNDIR/rspamd.pid";
	.include "\$CONFDIR/options.inc"
	.include(priority=10) "\$LOCAL_CONFDIR/override.d/options.inc"
}
logging {
	type = "file";
	filename = "\$LOGDIR/rspamd.log";
	level = "info";
}
worker "normal" {
	bind_socket = "127.0.0.1:$_port";
	count = $_n;
	.include "\$CONFDIR/worker-normal.inc"
}
EOC
	# the milter: what REAL-PARTS.md's recipe for Postfix with rspamd says
	_ready=$_n
	if [ -n "$_mport" ]; then
		cat >>"$rspamd_dir/rspamd.conf" <<EOC
worker "rspamd_proxy" {
	bind_socket = "127.0.0.1:$_mport";
	milter = yes;
	timeout = 120s;
	upstream "local" {
		default = yes;
		self_scan = yes;
	}
	count = $_n;
	max_retries = 5;
	discard_on_reject = false;
	quarantine_on_reject = false;
	spam_header = "X-Spam";
	reject_message = "Spam message rejected";
}
EOC
		printf '%s\n' 'skip_local = false;' 'skip_authenticated = false;' \
			'use = ["x-spamd-result", "x-spam-status"];' \
			>"$rspamd_dir/local.d/milter_headers.conf"
		_ready=$((2 * _n))
	fi
	cat >"$rspamd_dir/override.d/options.inc" <<EOC
dns {
	nameserver = ["127.0.0.1:1"];
	timeout = 0.1s;
	retransmits = 0;
}
tempdir = "$rspamd_dir/tmp";
control_socket = "";
EOC
	# DNS blocklists (rbl holds surbl and emails since 3.0), hash and
	# checksum services, Redis-backed state, SPF/DKIM/DMARC/ARC key and
	# record lookups and what only consumes their results (whitelist),
	# update and map fetchers, exporters.
	for _m in rbl surbl emails fuzzy_check neural dcc external_services \
	    antivirus replies ratelimit greylist reputation history_redis \
	    dmarc dkim spf arc asn mx_check whitelist dkim_signing \
	    rspamd_update url_redirector clickhouse elastic metadata_exporter \
	    metric_exporter p0f bimi aws_s3; do
		printf 'enabled = false;\n' >"$rspamd_dir/local.d/$_m.conf"
	done
	# phishing's own URL checks stay; Phishtank is a DNS list
	printf 'phishtank_enabled = false;\n' >"$rspamd_dir/local.d/phishing.conf"
	# hfilter's HELO, host name and From-domain checks resolve names
	printf 'helo_enabled = false;\nhostname_enabled = false;\nfrom_enabled = false;\n' \
		>"$rspamd_dir/local.d/hfilter.conf"

	# rspamd will not run its workers as root: nobody then, in directories
	# it may write (WORK itself only traversable)
	set --
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody:"$(id -gn nobody)" "$rspamd_dir/db" "$rspamd_dir/run" \
			"$rspamd_dir/log" "$rspamd_dir/tmp" || return 1
		chmod 711 "$(dirname "$rspamd_dir")"
		set -- -u nobody -g "$(id -gn nobody)"
	fi
	rspamd -f -c "$rspamd_dir/rspamd.conf" "$@" \
		--var "LOCAL_CONFDIR=$rspamd_dir" --var "DBDIR=$rspamd_dir/db" \
		--var "RUNDIR=$rspamd_dir/run" --var "LOGDIR=$rspamd_dir/log" \
		>"$rspamd_dir/stdout" 2>&1 &
	rspamd_pid=$!
	# ready when each worker (and milter) has said it loaded the compiled
	# expressions
	for _i in $(seq 1200); do
		kill -0 "$rspamd_pid" 2>/dev/null || break
		_r=$(grep -c 'rspamd_worker_hyperscan_ready' "$rspamd_dir/log/rspamd.log" 2>/dev/null)
		[ "${_r:-0}" -ge "$_ready" ] && return 0
		sleep 0.1
	done
	echo "rspamd-instance: rspamd is not ready after 120 s:" >&2
	tail -n 5 "$rspamd_dir/stdout" "$rspamd_dir/log/rspamd.log" >&2 2>/dev/null
	rspamd_stop
	return 1
}

# _rspamd_kids: the pids of the main process's children
_rspamd_kids() {
	ps -o pid= --ppid "$rspamd_pid" 2>/dev/null
}

rspamd_cpu() {
	# /proc/PID/stat after the ")" of the name: field 12 utime, 13 stime,
	# 14 cutime, 15 cstime (clock ticks)
	for _p in "$rspamd_pid" $(_rspamd_kids); do
		sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null
	done | awk '
		{ t += $12 + $13 }
		NR == 1 { t += $14 + $15 }
		END { print t + 0 }'
}

rspamd_hwm() {
	for _p in $(_rspamd_kids); do
		tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null | grep -q normal || continue
		awk '$1 == "VmHWM:" { print $2 }' "/proc/$_p/status" 2>/dev/null
	done | sort -n | tail -n 1
}

rspamd_hwm_reset() {
	# proc(5): writing 5 to clear_refs resets VmHWM to the present RSS
	for _p in $(_rspamd_kids); do
		printf '5\n' >"/proc/$_p/clear_refs" 2>/dev/null || return 1
	done
}

rspamd_stop() {
	[ -n "$rspamd_pid" ] || return 0
	_kids=$(_rspamd_kids)
	kill "$rspamd_pid" 2>/dev/null
	# the main process stops its workers, then itself
	for _i in $(seq 100); do
		kill -0 "$rspamd_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$rspamd_pid" 2>/dev/null
	wait "$rspamd_pid" 2>/dev/null
	# a worker left behind (its pid still an rspamd's)
	for _p in $_kids; do
		grep -q '^rspamd' "/proc/$_p/cmdline" 2>/dev/null && kill -9 "$_p"
	done
	rspamd_pid=
}
