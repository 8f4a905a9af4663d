#!/bin/sh
# deps.sh build|test|fuzz: make sure the Debian packages a step needs are
# here.  As root, missing ones are installed with apt-get; otherwise the exact
# command to run is printed and the step fails.  INSTALL says why each is
# needed.  Checks by command and pkg-config name, so it costs nothing when
# everything is present.
set -u
what=${1:-build}

pkgs=
need() { pkgs="$pkgs $1"; }

case $what in
build)
	command -v cc >/dev/null 2>&1 || need gcc
	command -v make >/dev/null 2>&1 || need make
	command -v pkg-config >/dev/null 2>&1 || need pkg-config
	pc() { pkg-config --exists "$1" 2>/dev/null || need "$2"; }
	if command -v pkg-config >/dev/null 2>&1; then
		pc libpcre2-8 libpcre2-dev
		pc openssl libssl-dev
		# libunbound's .pc file needs libevent's (REAL-PARTS.md)
		pkg-config --exists libunbound 2>/dev/null ||
			{ need libunbound-dev; need libevent-dev; }
		# mime-explode, filetype-check: containers and file types
		pc libarchive libarchive-dev
		pc libmagic libmagic-dev
		# dnsbl-check: registered domains of links (Public Suffix List)
		pc libpsl libpsl-dev
		# spam-score, dnsbl-check: link hosts to A-labels (IDNA)
		pc libidn2 libidn2-dev
		# spam-score: the Bayes token store
		pc lmdb liblmdb-dev
		# the supervisor and the filters: each stage's seccomp filter
		pc libseccomp libseccomp-dev
		# relay-out (MTA-STS policies) and rules-update (the signed
		# rules bundle), over HTTPS
		pc libcurl libcurl4-openssl-dev
	else
		need libpcre2-dev
		need libssl-dev
		need libunbound-dev
		need libevent-dev
		need libarchive-dev
		need libmagic-dev
		need libpsl-dev
		need libidn2-dev
		need liblmdb-dev
		need libseccomp-dev
		need libcurl4-openssl-dev
	fi
	;;
test)
	command -v prove >/dev/null 2>&1 || need perl
	command -v python3 >/dev/null 2>&1 || need python3
	command -v mandoc >/dev/null 2>&1 || need mandoc
	# t/smtpd-accept.t: a real listener, real clients, a test certificate
	command -v tcpserver >/dev/null 2>&1 || need ucspi-tcp
	command -v swaks >/dev/null 2>&1 || need swaks
	perl -MNet::SSLeay -e 1 >/dev/null 2>&1 || need libnet-ssleay-perl
	command -v openssl >/dev/null 2>&1 || need openssl
	command -v curl >/dev/null 2>&1 || need curl
	command -v msmtp >/dev/null 2>&1 || need msmtp
	command -v setpriv >/dev/null 2>&1 || need util-linux
	[ -x /usr/bin/python3 ] || need python3
	# t/relay-out.t, t/flow.t: a DNS server and scripted SMTP receivers
	[ -x /usr/sbin/dnsmasq ] || need dnsmasq-base
	/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need python3-aiosmtpd
	# t/flow.t: a real Postfix (a private instance) as the internal server
	[ -x /usr/sbin/postfix ] || need postfix
	# t/mime-explode.t, t/filetype-check.t: fixtures made by real archivers,
	# and ClamAV's harmless test executables in many containers
	command -v zip >/dev/null 2>&1 || need zip
	command -v 7z >/dev/null 2>&1 || need p7zip-full
	[ -d /usr/share/clamav-testfiles ] || need clamav-testfiles
	# t/dnsbl-check.t: blocklist zones served by a real rbldnsd
	command -v rbldnsd >/dev/null 2>&1 || need rbldnsd
	[ -f /usr/share/publicsuffix/public_suffix_list.dat ] || need publicsuffix
	# t/procmail.t: the README's and the pages' recipes under a real procmail
	command -v procmail >/dev/null 2>&1 || need procmail
	# t/virus-scan.t: real clamd instances with a database the test writes
	[ -x /usr/sbin/clamd ] || need clamav-daemon
	# ... and a real c-icap with its virus_scan service as the ICAP engine
	command -v c-icap >/dev/null 2>&1 || need c-icap
	[ -f /usr/lib/x86_64-linux-gnu/c_icap/virus_scan.so ] ||
		need libc-icap-mod-virus-scan
	# t/dane.t: a zone signed with ldns-signzone, served by NSD
	command -v nsd >/dev/null 2>&1 || need nsd
	command -v ldns-signzone >/dev/null 2>&1 || need ldnsutils
	# t/dkim-sign.t: our signatures checked by a second implementation
	/usr/bin/python3 -c 'import dkim, nacl' >/dev/null 2>&1 || need python3-dkim
	# t/arc-seal.t, t/auth-arc.t: the ARC suite read with PyYAML
	/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || need python3-yaml
	# t/install.t: the installed unit, logrotate and fail2ban files checked
	# by their own tools
	command -v systemd-analyze >/dev/null 2>&1 || need systemd
	command -v logrotate >/dev/null 2>&1 || need logrotate
	command -v fail2ban-regex >/dev/null 2>&1 || need fail2ban
	# t/log-report.t: the report's HTML page rendered by a real browser
	command -v chromium >/dev/null 2>&1 || need chromium
	;;
bench)
	command -v bc >/dev/null 2>&1 || need bc
	[ -x /usr/bin/time ] || need time
	command -v formail >/dev/null 2>&1 || need procmail
	# smtpd-accept against Postfix's smtpd, both driven by smtp-source
	command -v tcpserver >/dev/null 2>&1 || need ucspi-tcp
	[ -x /usr/sbin/smtp-source ] || need postfix
	# mime-explode beside the MIME unpackers administrators use
	command -v ripmime >/dev/null 2>&1 || need ripmime
	command -v munpack >/dev/null 2>&1 || need mpack
	command -v mshow >/dev/null 2>&1 || need mblaze
	# add-disclaimer beside altermime (bench-rewriters.sh)
	command -v altermime >/dev/null 2>&1 || need altermime
	# spam-score beside SpamAssassin's engine and a private rspamd, both
	# with their network checks off (bench-spam.sh); not needed by make check
	perl -MMail::SpamAssassin -e 1 >/dev/null 2>&1 || need spamassassin
	{ command -v rspamd && command -v rspamc; } >/dev/null 2>&1 || need rspamd
	# virus-scan beside clamdscan, both against a private clamd
	[ -x /usr/sbin/clamd ] || need clamav-daemon
	command -v clamdscan >/dev/null 2>&1 || need clamdscan
	# bench-flow.py, the end-to-end load generator and watcher (Debian's
	# python: its smtplib, ctypes for inotify)
	[ -x /usr/bin/python3 ] || need python3
	;;
fuzz)
	command -v clang >/dev/null 2>&1 || need clang
	# libFuzzer's runtime and the sanitizer runtimes for clang
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
		>/dev/null 2>&1 || need libclang-rt-14-dev
	;;
*)
	echo "deps.sh: fatal: unknown step $what" >&2; exit 111 ;;
esac

[ -z "$pkgs" ] && exit 0
line="apt-get install -y --no-install-recommends$pkgs"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: installing:$pkgs" >&2
	# the bench runs its own Postfix instance: the system's stays unconfigured
	case " $pkgs " in *" postfix "*)
		echo "postfix postfix/main_mailer_type select No configuration" |
			debconf-set-selections 2>/dev/null ;;
	esac
	if ! DEBIAN_FRONTEND=noninteractive $line >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive $line >/dev/null || {
			echo "deps.sh: fatal: unable to install:$pkgs" >&2; exit 1; }
	fi
	exit 0
fi
echo "deps.sh: fatal: missing packages; run as root:" >&2
echo "    apt-get update && $line" >&2
exit 1
