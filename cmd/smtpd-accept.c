/* smtpd-accept: one SMTP session on fds 0 and 1 (tcpserver, inetd or the
 * supervisor's listener style), taking mail from the internet and from
 * inside into the queue's incoming stage.  The session itself is
 * lib/door/smtp_session.c; this file reads the control files, finds the
 * client, wires the connection and the queue to the session, and logs.
 * Everything on fd 0 is hostile.  Refuses to run as root. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chain.h"
#include "conn.h"
#include "ctl.h"
#include "env.h"
#include "hdr.h"
#include "judge.h"
#include "io.h"
#include "ip.h"
#include "log.h"
#include "queue.h"
#include "rcptcheck.h"
#include "smtp_session.h"
#include "sandbox.h"
#include "spawn.h"
#include "tls.h"
#include "verdict.h"

static struct queue q;
static struct queue_msg qm;
static struct conn conn;
static struct rcptcheck rck;
static const char *qdir;

/* Verdicts at the door: the chains, read with the session's control
 * files, and the time the door may spend judging one message. */
static struct ctl_list chain_in, chain_out;
static unsigned long doortimeout;

static void
usage(void)
{
	log_fatal(0, "usage: smtpd-accept [-C controldir] [-Q queuedir] [-w maxuse] "
	    "| [-C controldir] --lint");
}

/* A configuration error: tell the client to come back later (qmail-smtpd
 * does the same) and exit 111. */
static int
config_fail(const char *what)
{
	static const char msg[] = "421 4.3.0 Temporary configuration problem\r\n";

	log_fatal(errno, "unable to read control/%s", what);
	(void)io_write_all(1, msg, sizeof msg - 1);
	return EXIT_TEMP;
}

/* Every setting (portcullis-control(5)); -1 names what failed in *what. */
static int
config(struct smtp_conf *c, struct ctl_list *ld, const char **what)
{
	char text[200];
	struct ip_net *n1, *n2;
	struct hdr_limits hl;
	static const struct {
		const char *name;
		size_t off;
		unsigned long def, min, max;
	} num[] = {
		{ "maxrcpt", offsetof(struct smtp_conf, maxrcpt),
		  SMTP_DEF_MAXRCPT, 1, 100000 },
		{ "maxhops", offsetof(struct smtp_conf, maxhops),
		  SMTP_DEF_MAXHOPS, 1, 1000 },
		{ "maxerrors", offsetof(struct smtp_conf, maxerrors),
		  SMTP_DEF_MAXERRORS, 1, 1000 },
		{ "maxjunkcommands", offsetof(struct smtp_conf, maxjunk),
		  SMTP_DEF_MAXJUNK, 1, 100000 },
		{ "maxcmdline", offsetof(struct smtp_conf, maxcmdline),
		  SMTP_DEF_MAXCMDLINE, 512, SMTP_MAX_CMDLINE },
		{ "maxtextline", offsetof(struct smtp_conf, maxtextline),
		  SMTP_DEF_MAXTEXTLINE, 1000, 1048576 },
		{ "timeoutsmtpd", offsetof(struct smtp_conf, timeout),
		  SMTP_DEF_TIMEOUT, 1, 3600 },
		{ "timeoutsession", offsetof(struct smtp_conf, sessiontimeout),
		  SMTP_DEF_SESSIONTIMEOUT, 1, 86400 },
		{ "greetdelay", offsetof(struct smtp_conf, greetdelay),
		  SMTP_DEF_GREETDELAY, 0, 30000 },
	};
	size_t i;

	smtp_conf_defaults(c);
	/* the settings every tool shares, read the same way (lib/core/ctl.c) */
	if (ctl_me(c->me, sizeof c->me) == -1 ||
	    ctl_databytes(&c->databytes, NULL) == -1 ||
	    ctl_hdr_limits(&hl) == -1) {
		*what = "me, databytes or headerbytes";
		return -1;
	}
	c->maxhdr = hl.max_bytes;
	if (ctl_string(*what = "smtpgreeting", "ESMTP", text, sizeof text) == -1)
		return -1;
	log_clean(c->me, sizeof c->me, c->me, strlen(c->me));
	/* RFC 5321 4.3.1: the greeting starts with our name */
	if ((size_t)snprintf(c->greeting, sizeof c->greeting, "%s %s", c->me,
	    text) >= sizeof c->greeting)
		errno = 0;   /* a long banner is cut, not refused */
	log_clean(c->greeting, sizeof c->greeting, c->greeting, strlen(c->greeting));
	for (i = 0; i < sizeof num / sizeof num[0]; i++)
		if (ctl_ulong(*what = num[i].name, num[i].def, num[i].min,
		    num[i].max, (unsigned long *)((char *)c + num[i].off)) == -1)
			return -1;
	if (ctl_lines(*what = "localdomains", ld) == -1 ||
	    ctl_nets(*what = "relayclients", &n1, &c->nrelay) == -1 ||
	    ctl_nets(*what = "tlsclients", &n2, &c->ntlsreq) == -1)
		return -1;
	ctl_free(&chain_in);
	ctl_free(&chain_out);
	/* a stage the door forks runs under the same limits and filter as
	 * one the supervisor forks (portcullis(7), PRIVILEGES) */
	if (ctl_ulong(*what = "doortimeout", 60, 0, 540, &doortimeout) == -1 ||
	    chain_load(0, &chain_in) == -1 || chain_load(1, &chain_out) == -1 ||
	    sandbox_config(&sandbox_cf) == -1) {
		*what = "doortimeout, chain.in, chain.out or the stages' sandbox";
		return -1;
	}
	c->localdomains = ld->v;
	c->nlocal = ld->n;
	c->relay = n1;
	c->tlsreq = n2;
	return tls_config(*what = "tlscert", &c->tls);
}

static ssize_t
c_read(void *ctx, void *p, size_t n, int ms)
{
	return conn_read(&conn, p, n, ms);
}

static int
c_write(void *ctx, const void *p, size_t n)
{
	return conn_write(&conn, p, n);
}

/* Half-close after the last reply, so that the client sees the end; on a
 * pipe (tests, inetd's nowait on a pipe) by pointing fd 1 at /dev/null. */
static void
c_shutdown(void *ctx)
{
	int fd;

	if (conn.tls != NULL || shutdown(1, SHUT_WR) == 0 || errno != ENOTSOCK)
		return;
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
		dup2(fd, 1);
		close(fd);
	}
}

static int
c_starttls(void *ctx, char *info, size_t n)
{
	int e;

	if (conn_starttls(&conn, info, n) == -1) {
		e = errno;
		if (e == ETIMEDOUT || e == ETIME)
			log_warn(0, "TLS handshake failed: not done within "
			    "control/timeoutsmtpd");
		else
			log_warn(0, "TLS handshake failed: %s", tls_error());
		errno = e;
		return -1;
	}
	return 0;
}

/* A message the door will judge is kept in memory (a memfd) while it
 * is small: the chain reads it from there and writes the message file
 * itself (judge.c), so that a passed message is written to the queue's
 * disk once and a refused one never.  Past DOOR_MEM_MAX, or when it is
 * not judged after all, it goes to incoming/tmp under the same id. */
#define DOOR_MEM_MAX (1024 * 1024)
static int mem = -1;
static size_t membytes;

/* The message from memory into tmp/ID, where it goes on being written. */
static int
spill(void)
{
	char id[QUEUE_ID_MAX], b[65536];
	ssize_t r;

	if (mem == -1)
		return 0;
	snprintf(id, sizeof id, "%s", qm.id);
	if (queue_open_as(&q, &qm, id) == -1 || lseek(mem, 0, SEEK_SET) != 0)
		goto fail;
	while ((r = io_read_some(mem, b, sizeof b)) > 0)
		if (queue_write(&qm, b, (size_t)r) == -1)
			goto fail;
	if (r == -1)
		goto fail;
	close(mem);
	mem = -1;
	return 0;
fail:
	log_warn(errno, "unable to write %s", id);
	return -1;
}

static int
m_open(void *ctx, char *id, size_t n)
{
	if (mem != -1) {
		close(mem);
		mem = -1;
	}
	if (doortimeout > 0 &&
	    (mem = memfd_create("portcullis-message", MFD_CLOEXEC)) != -1) {
		memset(&qm, 0, sizeof qm);
		qm.q = &q;
		qm.fd = -1;
		membytes = 0;
		if (queue_new_id(qm.id, sizeof qm.id) == 0) {
			snprintf(id, n, "%s", qm.id);
			return 0;
		}
		close(mem);
		mem = -1;
	}
	if (queue_open(&q, &qm) == -1) {
		log_warn(errno, "unable to open a message in %s/incoming", q.dir);
		return -1;
	}
	snprintf(id, n, "%s", qm.id);
	return 0;
}

static int
m_write(void *ctx, const void *p, size_t n)
{
	if (mem != -1 && membytes + n > DOOR_MEM_MAX && spill() == -1)
		return -1;
	if (mem != -1) {
		if (io_write_all(mem, p, n) == -1) {
			log_warn(errno, "unable to keep %s in memory", qm.id);
			return -1;
		}
		membytes += n;
		return 0;
	}
	if (queue_write(&qm, p, n) == -1) {
		log_warn(errno, "unable to write %s", qm.id);
		return -1;
	}
	return 0;
}

/* A message the door judged goes straight into its stage (outgoing, or
 * quarantine) when the supervisor says the door may write there
 * ($PORTCULLIS_DOORQUEUE=direct: the door runs as the queue's owner);
 * else into incoming with its verdict (envelope line J), which the
 * supervisor moves on without judging it again. */
static int
m_commit(void *ctx, const struct envelope *e, unsigned flags)
{
	const char *d = getenv("PORTCULLIS_DOORQUEUE"), *to = NULL;

	if (spill() == -1)
		return -1;   /* not judged at the door: written out first */
	if (d && strcmp(d, "direct") == 0 && (flags & (QUEUE_JUDGED | QUEUE_HOLD)))
		to = flags & QUEUE_HOLD ? "quarantine" : "outgoing";
	if (queue_commit_into(&qm, to, e, to ? flags & ~(QUEUE_JUDGED |
	    QUEUE_HOLD) : flags) == -1) {
		log_warn(errno, "unable to queue %s", qm.id);
		return -1;
	}
	return 0;
}

/* The chain of the message's direction on the message just written,
 * before the reply to its end (lib/door/judge.c). */
static int
m_judge(void *ctx, const struct envelope *e, unsigned *flags,
    struct smtp_judgement *j)
{
	struct door_judge dj = { &q, &qm, &chain_in, &chain_out, doortimeout,
	    &mem };

	return door_judge(&dj, e, flags, j);
}

static void
m_abort(void *ctx)
{
	if (mem != -1) {
		close(mem);
		mem = -1;
	}
	queue_abort(&qm);
}

static void
m_log(void *ctx, const char *line)
{
	log_info("%s", line);
}

/* RCPT at a local domain: control/recipients and verification
 * (lib/door/rcptcheck.c). */
static int
rcpt_check(void *ctx, const char *local, const char *domain, char *reply,
    size_t n)
{
	return rcptcheck_decide(&rck, local, domain, reply, n) != RCPTCHECK_OK;
}

/* The client's address: tcpserver's TCPREMOTEIP, else the socket's peer. */
static void
client_ip(char *ip, size_t n)
{
	const char *e = getenv("TCPREMOTEIP");
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	snprintf(ip, n, "unknown");
	if (e && *e) {
		snprintf(ip, n, "%s", e);
		return;
	}
	if (getpeername(0, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, n);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, n);
}

/* One session on fds 0 and 1.  The control files are read at the first
 * and again whenever one of them has changed, come or gone since
 * (ctl_changed: a stat of each, not a read), so that a change takes
 * effect at the next connection.  0, or EXIT_TEMP. */
static int
session(void)
{
	static struct smtp_conf c;
	static struct ctl_list ld;
	static int loaded;
	struct smtp_io io = { NULL, c_read, c_write, c_shutdown,
	    c_starttls, m_open, m_write, m_commit, m_abort, m_log, m_judge,
	    rcpt_check };
	const char *what = "";
	char ip[INET6_ADDRSTRLEN + 8];
	int rc = 0;

	if (loaded && ctl_changed()) {
		ctl_free(&ld);
		free((void *)c.relay);
		free((void *)c.tlsreq);
		loaded = 0;
	}
	if (!loaded) {
		ctl_watch_reset();
		memset(&c, 0, sizeof c);
		memset(&ld, 0, sizeof ld);
		if (config(&c, &ld, &what) == -1) {
			ctl_free(&ld);
			free((void *)c.relay);
			free((void *)c.tlsreq);
			return config_fail(what);
		}
		loaded = 1;
	}
	/* a certificate that does not load is a broken install: mail waits */
	if (c.tls && tls_init() == -1) {
		errno = 0;
		log_warn(0, "TLS: %s", tls_error());
		rc = config_fail("tlscert");
	} else if (queue_init(&q, qdir, "incoming") == -1) {
		rc = config_fail("queue");
	} else if (rcptcheck_init(&rck, q.dir, c.localdomains, c.nlocal, c.me,
	    &what) == -1) {
		rc = config_fail(what);
	} else if (conn_open(&conn, 0, 1, c.timeout, c.sessiontimeout) == -1) {
		log_fatal(errno, "unable to set up the connection");
		rc = EXIT_TEMP;
	} else {
		rck.log = m_log;
		io.ctx = &c;
		client_ip(ip, sizeof ip);
		if (smtp_session_run(&c, &io, ip, getenv("TCPREMOTEHOST")) == -1) {
			log_fatal(errno, "unable to start the session");
			rc = EXIT_TEMP;
		}
	}
	conn_close(&conn);
	rcptcheck_free(&rck);
	return rc;
}

/* Take one connection from the supervisor on fd 3: the socket as
 * SCM_RIGHTS, with "IP PORT LOCALIP LOCALPORT" as the data.  The socket
 * goes onto fds 0 and 1 and the addresses into tcpserver's variables, so
 * that a session cannot tell a pooled start from a tcpserver one.  1 when
 * a connection came, 0 at the end (the supervisor closed fd 3), -1. */
static int
take_conn(void)
{
	char data[4 * 64], *f[4], *save = NULL;
	static const char *const var[4] = { "TCPREMOTEIP", "TCPREMOTEPORT",
		"TCPLOCALIP", "TCPLOCALPORT" };
	size_t nfd;
	ssize_t n;
	int fd = -1, i;

	do
		n = io_recv_fds(3, data, sizeof data - 1, &fd, 1, &nfd, 0);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	if (nfd != 1) {
		if (nfd > 1)
			close(fd);
		errno = EPROTO;
		return -1;
	}
	data[n] = '\0';
	for (i = 0; i < 4; i++)
		if ((f[i] = strtok_r(i ? NULL : data, " ", &save)) == NULL) {
			close(fd);
			errno = EPROTO;
			return -1;
		}
	for (i = 0; i < 4; i++)
		setenv(var[i], f[i], 1);
	setenv("PROTO", "TCP", 1);
	unsetenv("TCPREMOTEHOST");
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

/* Point fds 0 and 1 at /dev/null once a session is over, so that nothing
 * of it stays open while the worker waits for the next. */
static void
drop_conn(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	close(fd);
}

/* -w N: a pooled worker of the supervisor.  Serves up to N sessions, one
 * at a time, each handed over on fd 3; after each it writes "d" on fd 3
 * so that the supervisor counts it idle again, "q" after the last.  Nothing of a session is
 * kept for the next: the control files and queue are opened afresh and
 * the TLS connection freed (only the loaded certificate is reused). */
static int
worker(unsigned long maxuse)
{
	unsigned long n;
	int r;

	/* our line to the supervisor is not for the stages we start */
	(void)fcntl(3, F_SETFD, FD_CLOEXEC);
	for (n = 0; n < maxuse; n++) {
		if ((r = take_conn()) <= 0) {
			if (r == -1)
				log_warn(errno, "unable to take a connection");
			return r == 0 ? 0 : EXIT_TEMP;
		}
		(void)session();
		drop_conn();
		/* "q" after the last: the supervisor must not hand us one more
		 * in the moment before it sees us leave */
		if (io_write_all(3, n + 1 < maxuse ? "d" : "q", 1) == -1)
			return 0;
	}
	return 0;
}

/* --lint: every setting a session reads, read as a session reads it,
 * and the certificate loaded; no connection, no queue written.  It may
 * run as root (the unit's ExecStartPre): it only reads. */
static int
lint(void)
{
	struct smtp_conf c;
	struct ctl_list ld;
	const char *what = "";
	int rc = EXIT_TEMP;

	if (config(&c, &ld, &what) == -1) {
		log_fatal(errno, "unable to read control/%s", what);
		return EXIT_TEMP;
	}
	if (c.tls && tls_init() == -1)
		log_fatal(0, "TLS: %s", tls_error());
	else if (rcptcheck_init(&rck, qdir ? qdir : queue_dir_default(NULL),
	    c.localdomains, c.nlocal, c.me, &what) == -1)
		log_fatal(errno, "unable to read control/%s", what);
	else {
		printf("smtpd-accept: me %s, %zu local domains, %zu relay client "
		    "networks, databytes %lu, TLS %s, chains of %zu and %zu stages\n",
		    c.me, c.nlocal, c.nrelay, (unsigned long)c.databytes,
		    c.tls ? "on" : "off", chain_in.n, chain_out.n);
		rc = fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
	}
	rcptcheck_free(&rck);
	ctl_free(&ld);
	free((void *)c.relay);
	free((void *)c.tlsreq);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned long maxuse = 0;
	char *end;
	int ch, dolint = 0;
	static const struct option lo[] = {
		{ "lint", no_argument, NULL, 'L' }, { NULL, 0, NULL, 0 } };

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:Q:w:", lo, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch == 'Q')
			qdir = optarg;
		else if (ch == 'w' && (maxuse = strtoul(optarg, &end, 10)) > 0 &&
		    *end == '\0')
			continue;
		else if (ch == 'L')
			dolint = 1;
		else {
			usage();
			return EXIT_TEMP;
		}
	}
	if (dolint)
		return lint();
	/* a network-facing program never runs as root (STYLE.md) */
	if (getuid() == 0 || geteuid() == 0) {
		log_fatal(0, "refusing to run as root; run me under the gateway's "
		    "own user (tcpserver -u, setpriv)");
		return EXIT_TEMP;
	}
	signal(SIGPIPE, SIG_IGN);
	door_serve_cloexec();
	if (maxuse) {
		/* several sessions per process: its lines carry the pid, as
		 * Postfix's do, to tell one worker's sessions from another's */
		static char name[64];
		snprintf(name, sizeof name, "smtpd-accept[%ld]", (long)getpid());
		log_init(name);
		return worker(maxuse);
	}
	return session();
}
