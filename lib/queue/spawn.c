/* spawn: fork, exec and wait for the supervisor (see spawn.h).  Runs as
 * the gateway's user; a child becomes its program's own uid, limits and
 * filter (sandbox.h) before its exec.  A stage that hangs is killed at its time limit;
 * one that dies by a signal or exits with a status outside the filter
 * contract is reported as such, for the caller to count as 111. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mono.h"
#include "sandbox.h"
#include "serve.h"
#include "spawn.h"

/* Split a command line at blanks; no quoting, no globbing, no variables. */
int
spawn_split(const char *line, struct spawn_argv *a)
{
	char *p;

	memset(a, 0, sizeof *a);
	if ((a->buf = strdup(line)) == NULL)
		return -1;
	for (p = a->buf; *p; ) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (a->n == SPAWN_MAX_ARGS) {
			spawn_argv_free(a);
			errno = E2BIG;
			return -1;
		}
		a->v[a->n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	a->v[a->n] = NULL;
	if (a->n == 0) {
		spawn_argv_free(a);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

void
spawn_argv_free(struct spawn_argv *a)
{
	free(a->buf);
	a->buf = NULL;
	a->n = 0;
}

/* Start argv with in on fd 0 and out on fd 1 (-1: leave as is); stderr
 * is shared, so that every stage's log line reaches the supervisor's. */
pid_t
spawn_child(char *const argv[], int in, int out)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (in >= 0 && in != 0 && dup2(in, 0) == -1)
		_exit(111);
	if (out >= 0 && out != 1 && dup2(out, 1) == -1)
		_exit(111);
	if (sandbox_child(argv[0]) == -1) {
		log_warn(errno, "unable to sandbox %s", argv[0]);
		_exit(111);
	}
	execvp(argv[0], argv);
	_exit(111);   /* not found or not executable: a broken install */
}

/* Run n stages from in to out joined by pipes; status[i] gets each
 * stage's wait status, SPAWN_TIMEDOUT, or SPAWN_LOST.  A stage whose
 * serve[i] is a job socket (serve.h) is handed to a resident copy instead
 * of being forked and executed; serve may be NULL.  0, or -1 when a stage
 * could not be started (those started are killed and reaped). */
int
spawn_pipeline(struct spawn_argv *st, size_t n, int in, int out,
    unsigned timeout_ms, const int *serve, int *status)
{
	pid_t pid[SPAWN_MAX_STAGES];
	int rfd[SPAWN_MAX_STAGES];
	char rbuf[SPAWN_MAX_STAGES][64];
	size_t rlen[SPAWN_MAX_STAGES];
	struct pollfd pf[SPAWN_MAX_STAGES];
	int prev = in, p[2], w, left, st_code, execd = 0;
	size_t i, k, np;
	long end, now;

	if (n == 0 || n > SPAWN_MAX_STAGES) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		int to;
		p[0] = p[1] = -1;
		rfd[i] = -1;
		rlen[i] = 0;
		pid[i] = 0;
		if (i + 1 < n && pipe2(p, O_CLOEXEC) == -1)
			break;
		to = i + 1 < n ? p[1] : out;
		if (serve && serve[i] >= 0 &&
		    serve_send(serve[i], prev, to, 2, &rfd[i]) == 0)
			;   /* a resident has it (or will) */
		else {
			pid[i] = spawn_child(st[i].v, prev, to);
			execd++;
		}
		if (prev != in)
			close(prev);
		if (p[1] >= 0)
			close(p[1]);
		prev = p[0];
		if (pid[i] == -1)
			break;
	}
	if (prev >= 0 && prev != in)
		close(prev);
	if (i < n) {
		for (k = 0; k < i; k++)
			if (pid[k] > 0) {
				kill(pid[k], SIGKILL);
				waitpid(pid[k], NULL, 0);
			}
		/* residents see their input end and finish on their own */
		for (k = 0; k <= i && k < n; k++)
			if (rfd[k] >= 0)
				close(rfd[k]);
		return -1;
	}
	for (i = 0; i < n; i++)
		status[i] = -1;
	/* a stage has its limit from the start of the pipeline: a stage
	 * waiting for input from a slow one before it is slow too */
	end = now_ms() + timeout_ms;
	for (left = (int)n; left > 0; ) {
		pid_t r;
		while (execd && (r = waitpid(-1, &w, WNOHANG)) > 0)
			for (k = 0; k < n; k++)
				if (rfd[k] < 0 && pid[k] == r && status[k] == -1) {
					status[k] = w;
					left--;
					execd--;
				}
		for (np = k = 0; k < n; k++)
			if (rfd[k] >= 0 && status[k] == -1) {
				pf[np].fd = rfd[k];
				pf[np].events = POLLIN;
				pf[np++].revents = 0;
			}
		now = now_ms();
		if (left > 0 && now < end) {
			/* children are polled for; residents wake us */
			long wait = execd ? 2 : end - now;
			if (wait > 1000)
				wait = 1000;
			if (poll(pf, np, (int)wait) == -1 && errno != EINTR)
				break;
		}
		for (i = 0; i < np; i++) {
			if (pf[i].revents == 0)
				continue;
			for (k = 0; k < n && rfd[k] != pf[i].fd; k++)
				;
			if (k < n && serve_reply(rfd[k], rbuf[k], &rlen[k],
			    sizeof rbuf[k], &pid[k], &st_code) == 1) {
				status[k] = st_code >= 0 && st_code < 256 ?
				    st_code << 8 : SPAWN_LOST;
				close(rfd[k]);
				rfd[k] = -2;   /* done */
				left--;
			}
		}
		if (left > 0 && now_ms() >= end) {
			for (k = 0; k < n; k++) {
				if (status[k] != -1)
					continue;
				if (rfd[k] >= 0) {
					/* the resident on it, if one has begun, goes */
					if (pid[k] > 0)
						kill(pid[k], SIGKILL);
					close(rfd[k]);
				} else if (pid[k] > 0) {
					kill(pid[k], SIGKILL);
					waitpid(pid[k], NULL, 0);
				}
				status[k] = SPAWN_TIMEDOUT;
			}
			break;
		}
	}
	for (k = 0; k < n; k++)
		if (rfd[k] >= 0)
			close(rfd[k]);
	return 0;
}

/* The filter contract's reading of a wait status: 0, 99, 100 or 111;
 * anything else (a signal, an unknown status, a timeout) is -1, which
 * the caller counts as 111 and logs loudly. */
int
spawn_exit_code(int w)
{
	int c;

	if (w == SPAWN_TIMEDOUT || w == SPAWN_LOST || w == -1 || !WIFEXITED(w))
		return -1;
	c = WEXITSTATUS(w);
	return c == 0 || c == 99 || c == 100 || c == 111 ? c : -1;
}

/* PATH with the folder of our own executable first, so that the stages
 * run are those installed beside us, as the supervisor finds them. */
void
spawn_path_self(void)
{
	char self[PATH_MAX], *sl, p[PATH_MAX * 2];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	const char *old = getenv("PATH");

	if (n <= 0)
		return;
	self[n] = '\0';
	if ((sl = strrchr(self, '/')) != NULL)
		*sl = '\0';
	if ((size_t)snprintf(p, sizeof p, "%s:%s", self, old ? old : "/usr/bin:/bin") <
	    sizeof p)
		setenv("PATH", p, 1);
}

/* Whether prog can be run as spawn_child runs it: a path, or found on
 * PATH. */
int
spawn_runnable(const char *prog)
{
	char p[PATH_MAX];
	const char *path = getenv("PATH"), *e;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (; path && *path; path = *e ? e + 1 : e) {
		e = strchrnul(path, ':');
		if ((size_t)snprintf(p, sizeof p, "%.*s/%s", (int)(e - path), path,
		    prog) < sizeof p && access(p, X_OK) == 0)
			return 1;
	}
	return 0;
}
