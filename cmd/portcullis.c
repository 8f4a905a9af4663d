/* portcullis: the supervisor.  One long-running process in the
 * foreground, logging to stderr: it binds the listening sockets, drops
 * root, hands each connection to a pre-started smtpd-accept worker
 * (tcpserver's environment, limits in total and per client), runs each
 * message of the incoming stage through the chain of its direction, and
 * hands what passes to relay-out, retrying and bouncing per recipient.
 * All state is in the queue's directories, so a kill -9 at any instant
 * loses nothing: a restart finds the work where it was.  Trusts nothing a
 * connection or a stage sends it; no stage ever runs as root.  This file
 * is main() and the wiring; each concern is a module of lib/super/. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "ctl.h"
#include "log.h"
#include "queue.h"
#include "sandbox.h"
#include "spawn.h"
#include "super.h"
#include "verdict.h"

#define DEF_LISTEN "127.0.0.1:2525"

static int sigpipe_fd[2];
static volatile sig_atomic_t stop, hup;
/* a configuration error stops a start, but only refuses a reload */
static void (*cf_error)(int, const char *, ...) = log_fatal;

static void
on_signal(int sig)
{
	int e = errno;

	if (sig == SIGTERM || sig == SIGINT)
		stop = 1;
	if (sig == SIGHUP)
		hup = 1;
	(void)!write(sigpipe_fd[1], "x", 1);
	errno = e;
}

/* What a crash left: half-written files in tmp/ (never acknowledged),
 * envelopes whose message never reached new/.  smtpd-accept processes
 * of a killed supervisor may still be writing into incoming/tmp, so only
 * old files go there; outgoing and quarantine are ours alone. */
static void
recover(int all)
{
	size_t n = 0;

	n += queue_clean(super_cf.qdir, "incoming", "tmp", 3600, 0);
	n += queue_clean(super_cf.qdir, "incoming", "env", 3600, 1);
	n += queue_clean(super_cf.qdir, "outgoing", "tmp", all ? 0 : 3600, 0);
	n += queue_clean(super_cf.qdir, "outgoing", "env", 3600, 1);
	n += queue_clean(super_cf.qdir, "quarantine", "tmp", all ? 0 : 3600, 0);
	if (n)
		log_info("recovery: removed %zu leftover files", n);
}

static int
config(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	static const struct {
		const char *name;
		unsigned long *v, def, min, max;
	} num[] = {
		{ "maxconnections", &super_cf.maxconn, 100, 1, 100000 },
		{ "maxperip", &super_cf.maxperip, 10, 1, 100000 },
		{ "maxperipv4prefix", &super_cf.maxperip4, 32, 8, 32 },
		{ "maxperipv6prefix", &super_cf.maxperip6, 64, 16, 128 },
		{ "timeoutsession", &super_cf.sessiontimeout, 1800, 1, 86400 },
		{ "concurrencyremote", &super_cf.delconc, 20, 1, 10000 },
		{ "queuelifetime", &super_cf.lifetime, 432000, 1, 31536000 },
		{ "timeoutstage", &super_cf.stagetimeout, 300, 1, 86400 },
		{ "retrymin", &super_cf.retrymin, 300, 1, 86400 },
		{ "retrymax", &super_cf.retrymax, 14400, 1, 604800 },
		{ "timeoutdelivery", &super_cf.deliverytimeout, 3600, 1, 86400 },
		{ "smtpdspare", &super_cf.smtpdspare, 2, 0, 1000 },
		{ "smtpdmaxuse", &super_cf.smtpdmaxuse, 100, 1, 1000000 },
		{ "smtpdidle", &super_cf.smtpdidle, 60, 1, 86400 },
	};
	size_t i;

	for (i = 0; i < sizeof num / sizeof num[0]; i++)
		if (ctl_ulong(num[i].name, num[i].def, num[i].min, num[i].max,
		    num[i].v) == -1) {
			cf_error(errno, "unable to read control/%s", num[i].name);
			return -1;
		}
	if (ctl_ulong("concurrencyscan", ncpu > 0 ? (unsigned long)ncpu : 2, 0,
	    10000, &super_cf.scanconc) == -1 ||
	    ctl_ulong("stageworkers", super_cf.scanconc, 0, 1000, &super_cf.stageworkers) == -1 ||
	    ctl_ulong("deliveryworkers", super_cf.delconc < 8 ? super_cf.delconc : 8,
	    0, 10000, &super_cf.deliveryworkers) == -1 ||
	    ctl_me(super_cf.me, sizeof super_cf.me) == -1 ||
	    ctl_lines("listen", &super_cf.listen) == -1 ||
	    chain_load(0, &super_cf.chain_in) == -1 ||
	    chain_load(1, &super_cf.chain_out) == -1 ||
	    sandbox_config(&sandbox_cf) == -1) {
		cf_error(errno, "unable to read the control files");
		return -1;
	}
	if (super_cf.listen.n == 0 && (super_cf.listen.v = calloc(1, sizeof *super_cf.listen.v)) &&
	    (super_cf.listen.lineno = calloc(1, sizeof *super_cf.listen.lineno)) &&
	    (super_cf.listen.v[0] = strdup(DEF_LISTEN)))
		super_cf.listen.n = 1;
	return 0;
}

static int
same_lines(const struct ctl_list *a, const struct ctl_list *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* The line of control/listen l names, in list o, or o->n. */
static size_t
line_in(const struct ctl_list *o, const char *l)
{
	size_t j;

	for (j = 0; j < o->n && j < SUPER_MAX_LISTEN; j++)
		if (strcmp(o->v[j], l) == 0)
			return j;
	return o->n;
}

/* Listeners for a new control/listen (in super_cf) after old: the
 * socket of a line we listen on already is kept, so that no connection
 * waiting in its backlog is lost and no second bind of its port fails;
 * new lines are bound, and only when all of them are, the sockets of
 * lines gone are closed.  -1 leaves the old listeners as they were. */
static int
relisten(const struct ctl_list *old)
{
	struct ctl_list now = super_cf.listen, add;
	char *addv[SUPER_MAX_LISTEN];
	unsigned addl[SUPER_MAX_LISTEN];
	int oldfd[SUPER_MAX_LISTEN], fresh[SUPER_MAX_LISTEN], fd[SUPER_MAX_LISTEN];
	size_t oldn = super_nlfd, nfresh, i, j, k, n = 0;
	int rc;

	memset(&add, 0, sizeof add);
	add.v = addv;
	add.lineno = addl;
	for (i = 0; i < now.n && add.n < SUPER_MAX_LISTEN; i++)
		if (line_in(old, now.v[i]) == old->n) {
			addv[add.n] = now.v[i];
			addl[add.n++] = now.lineno[i];
		}
	memcpy(oldfd, super_lfd, sizeof oldfd);
	super_cf.listen = add;
	super_nlfd = 0;
	rc = super_listen_all();
	super_cf.listen = now;
	nfresh = super_nlfd;
	memcpy(fresh, super_lfd, sizeof fresh);
	if (rc == -1) {
		for (i = 0; i < nfresh; i++)
			close(fresh[i]);
		memcpy(super_lfd, oldfd, sizeof oldfd);
		super_nlfd = oldn;
		return -1;
	}
	for (i = k = 0; i < now.n && n < SUPER_MAX_LISTEN; i++)
		if ((j = line_in(old, now.v[i])) < old->n && j < oldn)
			fd[n++] = oldfd[j];
		else if (k < nfresh)
			fd[n++] = fresh[k++];
	for (j = 0; j < oldn; j++)
		if (line_in(&now, old->v[j]) == now.n)
			close(oldfd[j]);
	memcpy(super_lfd, fd, sizeof fd);
	super_nlfd = n;
	return 0;
}

static void
free_lists(struct super_conf *c)
{
	ctl_free(&c->listen);
	ctl_free(&c->chain_in);
	ctl_free(&c->chain_out);
}

/* SIGHUP: our own control files again (listen, chains, limits).  A new
 * configuration that cannot be read or bound is refused and the one in
 * force stays; sessions, scans and deliveries under way go on either
 * way.  When the chains or the stages' limits changed, the residents
 * finish their jobs and leave, and fresh ones start for the new chains.
 * The uids (control/user and the others) are read at the start only. */
static void
reload(void)
{
	struct super_conf old = super_cf;
	struct sandbox_conf sold = sandbox_cf;
	int restart;

	memset(&super_cf.listen, 0, sizeof super_cf.listen);
	memset(&super_cf.chain_in, 0, sizeof super_cf.chain_in);
	memset(&super_cf.chain_out, 0, sizeof super_cf.chain_out);
	cf_error = log_warn;
	if (config() == -1 || relisten(&old.listen) == -1) {
		free_lists(&super_cf);
		super_cf = old;
		sandbox_cf = sold;
		cf_error = log_fatal;
		log_warn(0, "reload refused: the configuration in force stays");
		return;
	}
	cf_error = log_fatal;
	restart = !same_lines(&old.chain_in, &super_cf.chain_in) ||
	    !same_lines(&old.chain_out, &super_cf.chain_out) ||
	    old.stageworkers != super_cf.stageworkers ||
	    old.deliveryworkers != super_cf.deliveryworkers ||
	    sold.memory_mb != sandbox_cf.memory_mb || sold.cpu_s != sandbox_cf.cpu_s ||
	    sold.nnet != sandbox_cf.nnet ||
	    memcmp(sold.net, sandbox_cf.net, sizeof sold.net) != 0;
	ctl_free(&old.listen);
	/* delivery workers were forked with the old settings and pools */
	super_dwork_retire();
	if (restart) {
		/* the pools name the old chains' lines until they are reset */
		super_pools_reset();
		super_smtpd_retire();
		ctl_free(&old.chain_in);
		ctl_free(&old.chain_out);
	} else {
		ctl_free(&super_cf.chain_in);
		ctl_free(&super_cf.chain_out);
		super_cf.chain_in = old.chain_in;
		super_cf.chain_out = old.chain_out;
	}
	log_info("reloaded: %zu listeners, chains of %zu and %zu stages%s",
	    super_nlfd, super_cf.chain_in.n, super_cf.chain_out.n,
	    restart ? "; resident stages restart" : "");
}

/* Whether a chain line's program can be run: a path, or found on PATH
 * (ours first, spawn_path_self). */
static int
runnable(const char *line)
{
	struct spawn_argv a;
	int ok;

	if (spawn_split(line, &a) == -1)
		return 0;
	ok = spawn_runnable(a.v[0]);
	spawn_argv_free(&a);
	return ok;
}

/* Whether prog is one of ours: a program beside our own executable,
 * which answers --lint.  Its path in p. */
static int
ours(const char *prog, char *p, size_t n)
{
	char self[PATH_MAX], *s;
	ssize_t r = readlink("/proc/self/exe", self, sizeof self - 1);

	if (r <= 0 || strchr(prog, '/'))
		return 0;
	self[r] = '\0';
	if ((s = strrchr(self, '/')) == NULL)
		return 0;
	*s = '\0';
	return (size_t)snprintf(p, n, "%s/%s", self, prog) < n &&
	    access(p, X_OK) == 0;
}

/* Run one part's own --lint on our control directory, as the user that
 * part runs as (who: its control file) when we are root, so that a file
 * that user cannot read is found now, and no file is made root's; its
 * words go to our standard error.  0, or 1 when it found a fault. */
static int
lint_part(const char *prog, const char *who)
{
	char path[PATH_MAX];
	uid_t u;
	gid_t g;
	pid_t pid;
	int st;

	if (!ours(prog, path, sizeof path))
		return 0;
	if ((pid = fork()) == -1) {
		log_fatal(errno, "unable to run %s --lint", prog);
		return 1;
	}
	if (pid == 0) {
		if (geteuid() == 0 && (super_user_of(who, &u, &g) == -1 ||
		    setgroups(0, NULL) == -1 || setgid(g) == -1 || setuid(u) == -1))
			_exit(EXIT_TEMP);
		if (dup2(2, 1) == -1)
			_exit(EXIT_TEMP);
		execl(path, prog, "--lint", "-C", ctl_dir(), (char *)NULL);
		log_fatal(errno, "unable to run %s", path);
		_exit(EXIT_TEMP);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	log_fatal(0, "%s --lint -C %s: the configuration has a fault (above)",
	    prog, ctl_dir());
	return 1;
}

/* The program of each chain line, each linted once, as a stage. */
static int
lint_chains(void)
{
	const struct ctl_list *ch[2] = { &super_cf.chain_in, &super_cf.chain_out };
	char seen[64][64];
	size_t i, k, nseen = 0, j;
	int bad = 0;

	for (k = 0; k < 2; k++)
		for (i = 0; i < ch[k]->n; i++) {
			struct spawn_argv a;
			if (spawn_split(ch[k]->v[i], &a) == -1)
				continue;
			for (j = 0; j < nseen && strcmp(seen[j], a.v[0]); j++)
				;
			if (j == nseen && nseen < 64 && strlen(a.v[0]) < sizeof seen[0]) {
				snprintf(seen[nseen++], sizeof seen[0], "%s", a.v[0]);
				bad |= lint_part(a.v[0], "scanuser");
			}
			spawn_argv_free(&a);
		}
	return bad;
}

/* -n: read and check the supervisor's own configuration, bind nothing,
 * start nothing: every setting in bounds, every listen line an address
 * and a port, every chain line a program that can be run.  0, or 111
 * with a line for each fault. */
static int
check_config(void)
{
	struct addrinfo *ai;
	size_t i;
	int bad = 0;

	if (config() == -1)
		return EXIT_TEMP;
	for (i = 0; i < super_cf.listen.n; i++) {
		if (super_listen_parse(super_cf.listen.v[i],
		    super_cf.listen.lineno[i], &ai) == -1)
			bad = 1;
		else
			freeaddrinfo(ai);
	}
	for (i = 0; i < super_cf.chain_in.n + super_cf.chain_out.n; i++) {
		const struct ctl_list *l = i < super_cf.chain_in.n ?
		    &super_cf.chain_in : &super_cf.chain_out;
		size_t k = i < super_cf.chain_in.n ? i : i - super_cf.chain_in.n;
		if (!runnable(l->v[k])) {
			log_fatal(0, "%s line %u: \"%s\": no such program",
			    l == &super_cf.chain_in ? "chain.in" : "chain.out",
			    l->lineno[k] ? l->lineno[k] : (unsigned)k + 1, l->v[k]);
			bad = 1;
		}
	}
	/* and every part's own: the door's, delivery's, each stage's rules */
	bad |= lint_part("smtpd-accept", "smtpduser");
	bad |= lint_part("relay-out", "deliveryuser");
	bad |= lint_chains();
	if (bad)
		return EXIT_TEMP;
	log_info("configuration ok: control %s, queue %s, %zu listeners, "
	    "chains of %zu and %zu stages", ctl_dir(), super_cf.qdir,
	    super_cf.listen.n, super_cf.chain_in.n, super_cf.chain_out.n);
	return 0;
}

static void
loop(void)
{
	struct pollfd *pf = NULL, *t;
	size_t i, n, cap = 0;
	time_t last_clean = time(NULL);
	char x[64];

	while (!stop) {
		if (hup) {
			hup = 0;
			reload();
		}
		super_run_stage("incoming", SUPER_SCAN, super_cf.scanconc);
		super_run_stage("outgoing", SUPER_DELIVER, super_cf.delconc);
		/* residents first: a new smtpd-accept worker is handed the
		 * job sockets of the stages that have residents running */
		super_tend_stages();
		super_tend_pool();
		/* the listeners, our signal pipe, and every worker's socketpair */
		if (cap < super_nlfd + 1 + super_nkids) {
			if ((t = reallocarray(pf, super_nlfd + 1 + super_nkids + 16,
			    sizeof *pf)) == NULL) {
				sleep(1);
				continue;
			}
			pf = t;
			cap = super_nlfd + 1 + super_nkids + 16;
		}
		for (n = 0; n < super_nlfd; n++) {
			pf[n].fd = super_lfd[n];
			pf[n].events = POLLIN;
		}
		pf[n].fd = sigpipe_fd[0];
		pf[n++].events = POLLIN;
		for (i = 0; i < super_nkids; i++)
			if ((super_kids[i].kind == SUPER_CONN ||
			    super_kids[i].kind == SUPER_DWORK ||
			    super_kids[i].kind == SUPER_SWORK) && super_kids[i].ctl != -1) {
				pf[n].fd = super_kids[i].ctl;
				pf[n++].events = POLLIN;
			}
		if (poll(pf, n, 1000) == -1 && errno != EINTR)
			break;
		if (pf[super_nlfd].revents & POLLIN)
			while (read(sigpipe_fd[0], x, sizeof x) > 0)
				;
		for (i = super_nlfd + 1; i < n; i++)
			if (pf[i].revents) {
				super_from_worker(pf[i].fd);
				super_from_dworker(pf[i].fd);
			}
		super_reap();
		for (i = 0; i < super_nlfd; i++)
			if (pf[i].revents & POLLIN)
				super_accept_one(super_lfd[i]);
		if (time(NULL) - last_clean > 600) {
			recover(0);
			last_clean = time(NULL);
		}
	}
	free(pf);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	int ch, lint = 0;

	/* one id and one time on every line: journald stamps its own */
	if (getenv("PORTCULLIS_LOGTIME") == NULL)
		setenv("PORTCULLIS_LOGTIME", getenv("JOURNAL_STREAM") ? "0" : "1", 1);
	log_init(argv[0]);
	/* the chains are ours to read from control/: these variables are
	 * for the smtpd-accept workers we start (lib/queue/chain.h) */
	unsetenv("PORTCULLIS_CHAIN_IN");
	unsetenv("PORTCULLIS_CHAIN_OUT");
	unsetenv("PORTCULLIS_SERVE");
	/* queue files 0640, folders as made: the door's reach the
	 * supervisor through the group (portcullis(7), PRIVILEGES) */
	umask(027);
	while ((ch = getopt(argc, argv, "C:Q:n")) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch == 'Q')
			setenv("PORTCULLIS_QUEUE", optarg, 1);
		else if (ch == 'n')
			lint = 1;
		else {
			log_fatal(0, "usage: portcullis [-n] [-C controldir] [-Q queuedir]");
			return EXIT_TEMP;
		}
	}
	/* every stage reads the same control directory and queue */
	setenv("PORTCULLIS_CONTROL", ctl_dir(), 1);
	snprintf(super_cf.qdir, sizeof super_cf.qdir, "%s", queue_dir_default(NULL));
	setenv("PORTCULLIS_QUEUE", super_cf.qdir, 1);
	/* the stages are found beside our own executable first */
	spawn_path_self();
	if (lint)
		return check_config();
	if (config() == -1 || super_listen_all() == -1 || super_drop_root() == -1)
		return EXIT_TEMP;
	if (queue_mkstage(super_cf.qdir, "incoming") == -1 ||
	    queue_mkstage(super_cf.qdir, "outgoing") == -1 ||
	    queue_mkstage(super_cf.qdir, "quarantine") == -1) {
		log_fatal(errno, "unable to create the queue in %s", super_cf.qdir);
		return EXIT_TEMP;
	}
	super_pools_init();
	recover(1);
	if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) == -1)
		return EXIT_TEMP;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("started: queue %s, control %s, me %s", super_cf.qdir, ctl_dir(), super_cf.me);
	loop();
	log_info("stopping");
	super_stages_stop();
	return 0;
}

