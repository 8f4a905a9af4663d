/* stages: the resident copies of our own stages (lib/queue/serve.h).
 * Our own stages judge message after message as their batch mode does;
 * control/stageworkers copies of each (default: concurrencyscan, so that
 * every scan worker finds one of each free) keep their rules and
 * databases loaded.  A stage line of any other program, or with
 * stageworkers 0, is forked and executed per message as before.
 * In the supervisor's process; a resident runs as a stage (sandbox.h). */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "serve.h"
#include "spawn.h"
#include "super.h"

/* The resident copies of one stage command line (lib/queue/serve.h):
 * started with --serve, reading jobs from sock[0]; scan workers send on
 * sock[1]. */
struct pool {
	const char       *line;
	unsigned long     want;        /* residents to keep running */
	int               delivery;    /* relay-out's: never the door's */
	struct spawn_argv av;
	int               sock[2];
	unsigned          fails;       /* starts that failed in a row */
	time_t            wait_until;  /* no new start before then */
};

static struct pool *pools;
static size_t npools;

/* The job socket of a stage line's residents when at least one runs (as
 * this scan worker saw it when it was forked); else -1, and the stage is
 * forked and executed for the message as any other program. */
static const char *alive;   /* a resident worker's job's word (below) */

static int
pool_alive(size_t p)
{
	size_t i;

	if (alive)
		return p < strlen(alive) && alive[p] == '1';
	for (i = 0; i < super_nkids; i++)
		if (super_kids[i].kind == SUPER_STAGE && super_kids[i].pool == p)
			return 1;
	return 0;
}

int
super_pool_socket(const char *line)
{
	size_t p;

	for (p = 0; p < npools; p++)
		if (strcmp(pools[p].line, line) == 0 && pool_alive(p))
			return pools[p].sock[1];
	return -1;
}

/* Which pools have a resident running now, a '1' or '0' each, for a
 * resident worker's next job (children.c); -1 when they do not fit. */
int
super_pool_alive_mask(char *out, size_t n)
{
	size_t p;

	if (npools + 1 > n || npools > SUPER_MAX_POOLS)
		return -1;
	for (p = 0; p < npools; p++)
		out[p] = pool_alive(p) ? '1' : '0';
	out[npools] = '\0';
	if (npools == 0) {
		out[0] = '-';   /* a word even with no pool */
		out[1] = '\0';
	}
	return 0;
}

/* In a resident worker: the pools its job says run (a copy is kept). */
void
super_pool_alive_set(const char *mask)
{
	static char m[SUPER_MAX_POOLS + 1];

	snprintf(m, sizeof m, "%s", mask);
	alive = m;
}

/* A resident left: a normal end (its uses, its age, a changed control
 * file) or a kill (a scan worker's, for time) is replaced at once; one
 * that failed within a few seconds of its start, by an exit status or a
 * crash, is tried again later and later, its stage forked and executed
 * for each message meanwhile. */
void
super_stage_gone(const struct super_child *c, int w)
{
	struct pool *p;
	time_t now = time(NULL);
	long delay;

	if (c->pool >= npools)
		return;   /* of the chains before a reload */
	p = &pools[c->pool];

	if ((WIFEXITED(w) && WEXITSTATUS(w) == 0) || (WIFSIGNALED(w) &&
	    (WTERMSIG(w) == SIGKILL || WTERMSIG(w) == SIGTERM))) {
		p->fails = 0;
		return;
	}
	if (now - c->idle >= 3) {
		log_warn(0, "resident %s ended (status %d); starting another",
		    p->line, w);
		p->fails = 0;
		return;
	}
	p->fails++;
	delay = p->fails < 6 ? 1L << p->fails : 60;
	p->wait_until = now + delay;
	log_warn(0, "resident %s failed at its start (status %d); its messages "
	    "run it by fork and exec; next try in %ld s", p->line, w, delay);
	/* the door's workers were handed this pool's job socket, which no
	 * resident reads now: new ones start without it, rather than each
	 * message waiting doortimeout at the door */
	super_smtpd_retire();
}

static int
resident_capable(const struct spawn_argv *a)
{
	static const char *const ours[] = { "header-strip", "spoof-check",
		"filetype-check", "spam-score", "dnsbl-check", "relay-out",
		"virus-scan", "dkim-sign", "auth-check",
		"add-disclaimer", "link-defang", "arc-seal", NULL };
	const char *b = strrchr(a->v[0], '/');
	size_t i;

	b = b ? b + 1 : a->v[0];
	for (i = 0; ours[i]; i++)
		if (strcmp(b, ours[i]) == 0)
			return a->n < SPAWN_MAX_ARGS;
	return 0;
}

static void
pool_add(const char *line, unsigned long want)
{
	struct pool *p;
	size_t i;

	for (i = 0; i < npools; i++)
		if (strcmp(pools[i].line, line) == 0)
			return;
	if ((p = reallocarray(pools, npools + 1, sizeof *p)) == NULL)
		return;
	pools = p;
	p = &pools[npools];
	memset(p, 0, sizeof *p);
	p->line = line;
	p->want = want;
	p->delivery = strcmp(line, SUPER_RELAY) == 0;
	if (want == 0 || spawn_split(line, &p->av) == -1)
		return;
	if (!resident_capable(&p->av) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->sock) == -1) {
		spawn_argv_free(&p->av);
		return;
	}
	p->av.v[p->av.n] = "--serve";
	p->av.v[p->av.n + 1] = NULL;
	npools++;
}

void
super_pools_init(void)
{
	size_t i;

	/* relay-out too, control/deliveryworkers of it: a delivery costs
	 * its own work, not an exec and the loading of TLS and DNS
	 * libraries (deliver.c) */
	pool_add(SUPER_RELAY, super_cf.deliveryworkers);
	if (super_cf.stageworkers == 0)
		return;
	for (i = 0; i < super_cf.chain_in.n; i++)
		pool_add(super_cf.chain_in.v[i], super_cf.stageworkers);
	for (i = 0; i < super_cf.chain_out.n; i++)
		pool_add(super_cf.chain_out.v[i], super_cf.stageworkers);
}

static void
spawn_stage(size_t k)
{
	struct pool *p = &pools[k];
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (sandbox_child(p->av.v[0]) == -1) {
			log_warn(errno, "unable to sandbox %s", p->line);
			_exit(111);
		}
		/* a resident does not outlive us (set after the uid change,
		 * which clears it) */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
			_exit(111);
		if (p->sock[0] == SERVE_FD ? fcntl(SERVE_FD, F_SETFD, 0) == -1 :
		    dup2(p->sock[0], SERVE_FD) == -1)
			_exit(111);
		execvp(p->av.v[0], p->av.v);
		_exit(111);
	}
	if (pid == -1 || super_kid_add(pid, SUPER_STAGE, NULL, NULL) == -1) {
		log_warn(errno, "unable to start resident %s", p->line);
		p->wait_until = time(NULL) + 5;
		return;
	}
	super_kids[super_nkids - 1].pool = k;
}

void
super_tend_stages(void)
{
	time_t now = time(NULL);
	size_t k, i, n;

	for (k = 0; k < npools; k++) {
		if (now < pools[k].wait_until)
			continue;
		for (n = i = 0; i < super_nkids; i++) {
			if (super_kids[i].kind != SUPER_STAGE || super_kids[i].pool != k)
				continue;
			n++;
			/* a resident up for a few seconds: the pool has
			 * mended, and the door's new workers get it again */
			if (pools[k].fails > 0 && now - super_kids[i].idle >= 3) {
				pools[k].fails = 0;
				super_smtpd_retire();
			}
		}
		while (n++ < pools[k].want && now >= pools[k].wait_until)
			spawn_stage(k);
	}
}

/* In a forked worker: only residents keep their end of a job socket, so
 * that when the last of them is gone (we were killed, say) what the
 * worker sends fails or comes back unanswered, rather than waiting for the
 * stage timeout. */
void
super_pool_close_jobs(void)
{
	size_t i;

	for (i = 0; i < npools; i++)
		close(pools[i].sock[0]);
}

/* At our stop: the residents finish the jobs they have and leave. */
void
super_stages_stop(void)
{
	size_t i;

	for (i = 0; i < super_nkids; i++)
		if (super_kids[i].kind == SUPER_STAGE)
			kill(super_kids[i].pid, SIGTERM);
}

/* A chain's lines into one variable, a line each. */
static void
export_chain(const char *name, const struct ctl_list *l)
{
	size_t i, n = 1;
	char *v, *p;

	for (i = 0; i < l->n; i++)
		n += strlen(l->v[i]) + 1;
	if ((v = p = malloc(n)) == NULL) {
		unsetenv(name);
		return;
	}
	for (i = 0; i < l->n; i++) {
		memcpy(p, l->v[i], strlen(l->v[i]));
		p += strlen(l->v[i]);
		*p++ = '\n';
	}
	*p = '\0';
	setenv(name, v, 1);
	free(v);
}

/* In a forked child about to execute smtpd-accept: the job socket of
 * every stage line with a resident running, kept open across exec (above
 * fd 9, clear of the fds 0 to 3 the child sets up) and named in
 * $PORTCULLIS_SERVE as "FD COMMAND LINE" lines, so that the door's chain
 * runs on the residents as the queue's does. */
void
super_pool_export(void)
{
	char *v = NULL, *t;
	size_t p, i, len = 0, add;
	int fd;

	for (p = 0; p < npools; p++) {
		for (i = 0; i < super_nkids; i++)
			if (super_kids[i].kind == SUPER_STAGE && super_kids[i].pool == p)
				break;
		/* none running, or failing at their start: not for the door;
		 * nor delivery's, which only delivery workers may reach */
		if (i == super_nkids || pools[p].fails > 0 || pools[p].delivery ||
		    (fd = fcntl(pools[p].sock[1], F_DUPFD, 10)) == -1)
			continue;
		add = strlen(pools[p].line) + 16;
		if ((t = realloc(v, len + add)) == NULL)
			break;
		v = t;
		len += (size_t)snprintf(v + len, add, "%s%d %s", len ? "\n" : "", fd,
		    pools[p].line);
	}
	if (v)
		setenv("PORTCULLIS_SERVE", v, 1);
	else
		unsetenv("PORTCULLIS_SERVE");
	free(v);
	/* the chains in force, which a refused reload keeps */
	export_chain("PORTCULLIS_CHAIN_IN", &super_cf.chain_in);
	export_chain("PORTCULLIS_CHAIN_OUT", &super_cf.chain_out);
	/* with stages under a uid of their own, the door forks none under
	 * its uid: a stage without a resident is judged after the queue */
	setenv("PORTCULLIS_DOORFORK", sandbox_cf.setuid ? "0" : "1", 1);
	/* under the queue's own uid the door may commit what it judged
	 * straight into outgoing or quarantine; under one of its own it
	 * writes incoming/ alone (portcullis(7), PRIVILEGES) */
	setenv("PORTCULLIS_DOORQUEUE", sandbox_cf.setuid ? "incoming" : "direct", 1);
}

/* After a reload changed the chains or the stages' limits: the residents
 * finish the jobs they have and leave (a message whose resident left
 * has its chain run again by fork and exec), and the pools start afresh
 * from the new chains. */
void
super_pools_reset(void)
{
	size_t i;

	for (i = 0; i < super_nkids; i++)
		if (super_kids[i].kind == SUPER_STAGE) {
			kill(super_kids[i].pid, SIGTERM);
			super_kids[i].pool = SIZE_MAX;
		}
	for (i = 0; i < npools; i++) {
		close(pools[i].sock[0]);
		close(pools[i].sock[1]);
		spawn_argv_free(&pools[i].av);
	}
	free(pools);
	pools = NULL;
	npools = 0;
	super_pools_init();
}
