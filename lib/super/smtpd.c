/* smtpd: the listeners and the pool of smtpd-accept workers.
 * Connections are served by pre-started smtpd-accept -w processes, as
 * Postfix's master keeps its smtpd processes: a fork and exec per
 * connection costs more than the whole SMTP session of a small message.
 * Each worker has a socketpair to us; we accept, keep the limits in total
 * and per client (an IPv4 address, an IPv6 /64), and hand the socket over
 * with SCM_RIGHTS and the addresses as text.  The worker writes "d" when
 * the session is over.  A worker serves at most control/smtpdmaxuse sessions (1: a fresh
 * process for every connection, still started ahead of time), and idle
 * workers beyond control/smtpdspare leave after control/smtpdidle
 * seconds.  In the supervisor's process; a client sends us nothing but
 * its connection. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "ip.h"
#include "log.h"
#include "sandbox.h"
#include "super.h"

/* A client's address as ip_parse takes it: a link-local one's "%scope"
 * dropped.  0 or -1. */
static int
parse_client(const char *ip, struct ip_addr *a)
{
	return ip_parse(ip, strcspn(ip, "%"), a);
}

/* Sessions being served, in total (ip NULL) or from one client: its IPv4
 * address or its IPv6 network (control/maxperipv4prefix, 32, and
 * maxperipv6prefix, 64), an IPv4-mapped IPv6 address counted as IPv4. */
static size_t
busy(const char *ip)
{
	struct ip_addr a, b;
	size_t i, n = 0;
	int pa = ip ? parse_client(ip, &a) : -1;

	for (i = 0; i < super_nkids; i++) {
		if (super_kids[i].kind != SUPER_CONN || !super_kids[i].busy)
			continue;
		if (ip == NULL)
			n++;
		else if (pa == 0 && parse_client(super_kids[i].ip, &b) == 0)
			n += (size_t)ip_same_prefix(&a, &b,
			    (unsigned)super_cf.maxperip4, (unsigned)super_cf.maxperip6);
		else
			n += strcmp(super_kids[i].ip, ip) == 0;
	}
	return n;
}

/* Start one worker; its index in super_kids, or -1. */
static int
spawn_smtpd(void)
{
	char use[32];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn(errno, "unable to start smtpd-accept");
		return -1;
	}
	snprintf(use, sizeof use, "%lu", super_cf.smtpdmaxuse);
	if ((pid = fork()) == 0) {
		char *argv[] = { "smtpd-accept", "-w", use, NULL };
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		/* the residents' job sockets, for verdicts at the door */
		super_pool_export();
		/* dup2 onto itself would keep close-on-exec */
		if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) == -1 : dup2(sv[1], 3) == -1)
			_exit(111);
		if (sandbox_child(argv[0]) == -1) {
			log_warn(errno, "unable to start smtpd-accept as its user");
			_exit(111);
		}
		execvp(argv[0], argv);
		_exit(111);
	}
	close(sv[1]);
	if (pid == -1 || super_kid_add(pid, SUPER_CONN, NULL, NULL) == -1) {
		log_warn(errno, "unable to start smtpd-accept");
		close(sv[0]);
		return -1;
	}
	super_kids[super_nkids - 1].ctl = sv[0];
	return (int)(super_nkids - 1);
}

/* smtpd-accept ends every session by control/timeoutsession itself; a
 * worker still busy SMTPD_SLACK seconds later is stuck (a hung disk, a
 * bug) and is killed, so that it cannot hold its client's share of
 * maxperip for ever.  Its client never had a 250 for a message that was
 * not queued, so killing it loses nothing. */
#define SMTPD_SLACK 10

static void
kill_stuck(struct super_child *k, time_t now)
{
	if (now - k->idle <= (time_t)(super_cf.sessiontimeout + SMTPD_SLACK))
		return;
	log_warn(0, "smtpd-accept[%ld] ip=%s: session past control/timeoutsession; "
	    "killed", (long)k->pid, k->ip);
	kill(k->pid, SIGKILL);
	k->idle = now;   /* once: the reaper takes it from here */
}

/* Keep control/smtpdspare idle workers ready; let those idle too long go
 * (closing our end is their signal to leave); kill the stuck. */
void
super_tend_pool(void)
{
	size_t i, idle = 0, all = 0;
	time_t now = time(NULL);

	for (i = 0; i < super_nkids; i++)
		if (super_kids[i].kind == SUPER_CONN && super_kids[i].ctl != -1) {
			all++;
			if (super_kids[i].busy) {
				kill_stuck(&super_kids[i], now);
				continue;
			}
			if (++idle > super_cf.smtpdspare && now - super_kids[i].idle >
			    (time_t)super_cf.smtpdidle) {
				close(super_kids[i].ctl);
				super_kids[i].ctl = -1;
				idle--;
				all--;
			}
		}
	while (idle < super_cf.smtpdspare && all < super_cf.maxconn + super_cf.smtpdspare &&
	    spawn_smtpd() != -1) {
		idle++;
		all++;
	}
}

/* A worker wrote on its socketpair: "d" per finished session, "q" after
 * its last one; end of file when it leaves. */
void
super_from_worker(int fd)
{
	char b[16];
	ssize_t n;
	size_t i;

	for (i = 0; i < super_nkids; i++)
		if (super_kids[i].kind == SUPER_CONN && super_kids[i].ctl == fd)
			break;
	if (i == super_nkids)
		return;
	n = read(fd, b, sizeof b);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	super_kids[i].busy = 0;
	super_kids[i].ip[0] = '\0';
	super_kids[i].idle = time(NULL);
	if (n <= 0 || memchr(b, 'q', (size_t)n) != NULL ||
	    super_kids[i].uses >= super_cf.smtpdmaxuse) {
		close(fd);
		super_kids[i].ctl = -1;
	}
}

/* Hand the connection to worker i; -1 when it is gone. */
static int
hand_over(size_t i, int fd, const char *ip, const char *port, const char *lip,
    const char *lport)
{
	char data[4 * 64];
	int n = snprintf(data, sizeof data, "%s %s %s %s", ip, port, lip, lport);

	if (n < 0 || (size_t)n >= sizeof data)
		return -1;
	if (io_send_fds(super_kids[i].ctl, data, (size_t)n, &fd, 1,
	    MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		close(super_kids[i].ctl);
		super_kids[i].ctl = -1;
		return -1;
	}
	super_kids[i].busy = 1;
	super_kids[i].idle = time(NULL);
	super_kids[i].uses++;
	/* numeric addresses: at most INET6_ADDRSTRLEN plus a scope */
	snprintf(super_kids[i].ip, sizeof super_kids[i].ip, "%.*s",
	    (int)sizeof super_kids[i].ip - 1, ip);
	return 0;
}

/* One connection: to an idle worker, or a new one. */
void
super_accept_one(int l)
{
	struct sockaddr_storage ss, ls;
	socklen_t sl = sizeof ss, ll = sizeof ls;
	char ip[NI_MAXHOST], port[NI_MAXSERV], lip[NI_MAXHOST], lport[NI_MAXSERV];
	static const char busy_msg[] = "421 4.7.0 Too many connections, try later\r\n";
	int fd = accept4(l, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	const char *why;
	size_t i, tries;
	int w;

	if (fd == -1)
		return;
	getsockname(fd, (struct sockaddr *)&ls, &ll);
	if (getnameinfo((struct sockaddr *)&ss, sl, ip, sizeof ip, port, sizeof port,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0 ||
	    getnameinfo((struct sockaddr *)&ls, ll, lip, sizeof lip, lport,
	    sizeof lport, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		close(fd);
		return;
	}
	if ((why = busy(NULL) >= super_cf.maxconn ? "maxconnections" :
	    busy(ip) >= super_cf.maxperip ? "maxperip" : NULL) != NULL) {
		(void)!write(fd, busy_msg, sizeof busy_msg - 1);
		log_info("ip=%s refused: too many connections (%s)", ip, why);
		close(fd);
		return;
	}
	for (tries = 0; tries < 3; tries++) {
		for (i = 0, w = -1; i < super_nkids && w == -1; i++)
			if (super_kids[i].kind == SUPER_CONN && !super_kids[i].busy &&
			    super_kids[i].ctl != -1)
				w = (int)i;
		if (w == -1 && (w = spawn_smtpd()) == -1)
			break;
		if (hand_over((size_t)w, fd, ip, port, lip, lport) == 0) {
			close(fd);
			return;
		}
	}
	(void)!write(fd, "421 4.3.0 Try again later\r\n", 27);
	log_warn(0, "ip=%s refused: no smtpd-accept worker", ip);
	close(fd);
}

/* Bind every ADDRESS:PORT of control/listen ("[v6]:port" for IPv6). */
/* One line of control/listen, "ADDRESS:PORT" or "[v6]:PORT", checked
 * strictly (a port is 0 to 65535 in digits, 0 for one the kernel
 * chooses: 99999 is refused, never taken for another port), into *ai;
 * -1 with the line named in the log. */
int
super_listen_parse(const char *line, unsigned lineno, struct addrinfo **ai)
{
	struct addrinfo hints;
	char host[256], *c, *h = host, *end;
	unsigned long port;

	if ((size_t)snprintf(host, sizeof host, "%s", line) >= sizeof host ||
	    (c = strrchr(host, ':')) == NULL) {
		log_fatal(0, "control/listen line %u: \"%s\" is not ADDRESS:PORT",
		    lineno, line);
		return -1;
	}
	*c++ = '\0';
	errno = 0;
	port = strtoul(c, &end, 10);
	if (*c < '0' || *c > '9' || *end != '\0' || errno || port > 65535) {
		log_fatal(0, "control/listen line %u: port \"%s\" is not a number "
		    "from 0 to 65535", lineno, c);
		return -1;
	}
	if (*h == '[' && h[strlen(h) - 1] == ']') {
		h++;
		h[strlen(h) - 1] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(h, c, &hints, ai) != 0) {
		log_fatal(0, "control/listen line %u: \"%s\" is not a numeric "
		    "address", lineno, h);
		return -1;
	}
	return 0;
}

int
super_listen_all(void)
{
	struct addrinfo *ai;
	size_t i;
	int one = 1;

	for (i = 0; i < super_cf.listen.n && super_nlfd < SUPER_MAX_LISTEN; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char ip[NI_MAXHOST], port[NI_MAXSERV];
		int fd;
		if (super_listen_parse(super_cf.listen.v[i], super_cf.listen.lineno[i],
		    &ai) == -1)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, 128) == -1) {
			log_fatal(errno, "unable to listen on %s", super_cf.listen.v[i]);
			freeaddrinfo(ai);
			return -1;
		}
		freeaddrinfo(ai);
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		getnameinfo((struct sockaddr *)&ss, sl, ip, sizeof ip, port,
		    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
		log_info("listening on %s port %s", ip, port);
		super_lfd[super_nlfd++] = fd;
	}
	return 0;
}

/* After the resident pools were started afresh: the smtpd-accept workers
 * hold the old job sockets, so the idle ones leave now and the busy ones
 * after their session; new workers get the new sockets. */
void
super_smtpd_retire(void)
{
	size_t i;

	for (i = 0; i < super_nkids; i++) {
		if (super_kids[i].kind != SUPER_CONN || super_kids[i].ctl == -1)
			continue;
		if (super_kids[i].busy)
			super_kids[i].uses = super_cf.smtpdmaxuse;
		else {
			close(super_kids[i].ctl);
			super_kids[i].ctl = -1;
		}
	}
}
