/* serve: resident stages (see serve.h).  The tool's side runs as the
 * gateway's user, started by the supervisor; the job packets come from
 * the supervisor's own scan workers through a socketpair nobody else
 * holds, but their contents are still checked: a packet that is not a
 * whole job is dropped with its descriptors closed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "io.h"
#include "log.h"
#include "mono.h"
#include "serve.h"

#define JOB_FDS 4            /* in, out, log, reply (IO_MAX_FDS) */
#define CHECK_EVERY_MS 100   /* how often the configuration is looked at */

const char *const serve_vars[] = {
	"SENDER", "RECIPIENT", "DIRECTION", "QUEUEID", "TCPREMOTEIP",
	"TCPREMOTEHOST", "HELO", "TLS", "BODY", "SMTPUTF8", NULL
};

static volatile sig_atomic_t leave;

static void
on_term(int sig)
{
	(void)sig;
	leave = 1;
}

/* The name among serve_vars that s[0..n) spells, or NULL. */
static const char *
var_named(const char *s, size_t n)
{
	size_t i;

	for (i = 0; serve_vars[i]; i++)
		if (strlen(serve_vars[i]) == n && memcmp(serve_vars[i], s, n) == 0)
			return serve_vars[i];
	return NULL;
}

/* The job's variables into the environment: every one of serve_vars is
 * unset first, so that nothing of the last job's envelope remains. */
static void
set_vars(const char *d, size_t n)
{
	const char *s, *eq, *name;
	size_t i, k;

	for (i = 0; serve_vars[i]; i++)
		unsetenv(serve_vars[i]);
	for (i = sizeof SERVE_MAGIC; i < n; i += k + 1) {
		s = d + i;
		k = strnlen(s, n - i);
		if (k == n - i)
			break;           /* not terminated: ignore the rest */
		if ((eq = memchr(s, '=', k)) != NULL &&
		    (name = var_named(s, (size_t)(eq - s))) != NULL)
			setenv(name, eq + 1, 1);
	}
}

/* Receive one job: its data into d, its descriptors into fd.  1: a job;
 * 0: nothing there; 2: try again (a signal, or a bad packet, dropped);
 * -1: the socket is done. */
static int
recv_job(char *d, size_t cap, size_t *n, int fd[JOB_FDS])
{
	size_t nfd, i;
	ssize_t r = io_recv_fds(SERVE_FD, d, cap, fd, JOB_FDS, &nfd,
	    MSG_DONTWAIT);

	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (r == -1 && errno == EINTR)
		return 2;
	if (r == 0 || (r == -1 && errno != EPROTO))
		return -1;   /* every sender is gone, or the socket failed */
	if (r == -1 || nfd != JOB_FDS || (size_t)r < sizeof SERVE_MAGIC ||
	    memcmp(d, SERVE_MAGIC, sizeof SERVE_MAGIC) != 0) {
		for (i = 0; i < nfd && i < JOB_FDS; i++)
			close(fd[i]);
		log_warn(0, "dropped a job packet that is not a whole job");
		return 2;
	}
	*n = (size_t)r;
	return 1;
}

int
serve_loop(int (*run)(void *), void *arg)
{
	static char d[SERVE_MAX_DATA + 1];
	struct sigaction sa;
	unsigned long maxuse, uses = 0;
	time_t born = time(NULL);
	long checked = 0;
	int logfd, null, fd[JOB_FDS], rc;
	size_t n;
	static char name[80];

	/* several messages per process: its lines carry the pid, as the
	 * smtpd workers' do */
	snprintf(name, sizeof name, "%s[%ld]", log_prog(), (long)getpid());
	log_init(name);
	if (ctl_ulong("stagemaxuse", 1000, 1, 100000000, &maxuse) == -1) {
		log_fatal(errno, "unable to read %s/stagemaxuse", ctl_dir());
		return 111;
	}
	if ((logfd = fcntl(2, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    (null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(null, 0) == -1 || dup2(null, 1) == -1) {
		log_fatal(errno, "unable to set up as a resident stage");
		return 111;
	}
	/* a reader that goes away is a write error for the job, not our end */
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sa.sa_flags = SA_RESTART;   /* a job's reads go on; poll still wakes */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (;;) {
		/* asked to leave (the supervisor stops, or died: its scan
		 * workers may still wait), we first do the jobs already
		 * queued, so that none waits for a resident that is gone */
		if (!leave) {
			struct pollfd pf = { SERVE_FD, POLLIN, 0 };
			int pr;
			long t;

			if (uses >= maxuse || time(NULL) - born >= SERVE_MAX_AGE)
				break;   /* the supervisor starts a fresh one */
			pr = poll(&pf, 1, 1000);
			t = now_ms();
			if (pr == -1 && errno != EINTR) {
				log_fatal(errno, "unable to wait for jobs");
				return 111;
			}
			if (t - checked >= CHECK_EVERY_MS) {
				checked = t;
				if (ctl_changed())
					break;   /* a fresh one reads the new files */
			}
			if (pr <= 0)
				continue;
			if (!(pf.revents & POLLIN))
				break;       /* hung up, no job pending */
		}
		if ((rc = recv_job(d, sizeof d - 1, &n, fd)) == -1)
			break;
		if (rc == 0 && leave)
			break;
		if (rc != 1)
			continue;
		d[n] = '\0';
		(void)!dprintf(fd[3], "P%ld\n", (long)getpid());
		set_vars(d, n);
		if (dup2(fd[0], 0) == -1 || dup2(fd[1], 1) == -1 ||
		    dup2(fd[2], 2) == -1) {
			rc = 111;
		} else {
			clearerr(stdout);
			rc = run(arg);
			fflush(stdout);
			clearerr(stdout);
			fflush(stderr);
		}
		/* the job's ends closed, so that the stage after sees its end */
		dup2(null, 0);
		dup2(null, 1);
		dup2(logfd, 2);
		close(fd[0]);
		close(fd[1]);
		close(fd[2]);
		(void)!dprintf(fd[3], "X%d\n", rc);
		close(fd[3]);
		uses++;
	}
	return 0;
}

/* ---- the supervisor's side ------------------------------------------- */

int
serve_send(int sock, int in, int out, int err, int *reply)
{
	static char d[SERVE_MAX_DATA];
	size_t n, i, k;
	int p[2], fds[JOB_FDS], e;

	memcpy(d, SERVE_MAGIC, sizeof SERVE_MAGIC);
	n = sizeof SERVE_MAGIC;
	for (i = 0; serve_vars[i]; i++) {
		const char *v = getenv(serve_vars[i]);
		k = strlen(serve_vars[i]) + (v ? 1 + strlen(v) : 0) + 1;
		if (n + k > sizeof d) {
			errno = E2BIG;
			return -1;
		}
		n += (size_t)snprintf(d + n, sizeof d - n, "%s%s%s", serve_vars[i],
		    v ? "=" : "", v ? v : "") + 1;
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	fds[0] = in;
	fds[1] = out;
	fds[2] = err;
	fds[3] = p[1];
	if (io_send_fds(sock, d, n, fds, JOB_FDS, MSG_NOSIGNAL) == -1) {
		e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	close(p[1]);
	*reply = p[0];
	return 0;
}

int
serve_reply(int fd, char *buf, size_t *len, size_t cap, pid_t *pid,
    int *status)
{
	ssize_t r;
	char *s, *nl;

	for (;;) {
		if (*len + 1 >= cap) {
			*status = -1;   /* a resident that talks too much is broken */
			return 1;
		}
		r = read(fd, buf + *len, cap - 1 - *len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			*status = -1;   /* ended without its status */
			return 1;
		}
		*len += (size_t)r;
		buf[*len] = '\0';
		for (s = buf; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
			*nl = '\0';
			if (s[0] == 'P')
				*pid = (pid_t)strtol(s + 1, NULL, 10);
			else if (s[0] == 'X') {
				*status = (int)strtol(s + 1, NULL, 10);
				return 1;
			}
		}
		/* keep an unfinished line for the next read */
		*len = strlen(s);
		memmove(buf, s, *len + 1);
	}
	return 0;
}
