/* children: the table of the processes the supervisor started (smtpd
 * workers, scan and delivery workers, resident stages), reaping them, and
 * starting a worker per due message of a stage.  In the supervisor's one
 * process; the queue's file names are checked by the queue layer. */
#include <dirent.h>
#include <errno.h>
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
#include "queue.h"
#include "sched.h"
#include "super.h"

static size_t maxkids;

/* Messages whose worker failed (exit status not 0: it could not even
 * write a retry schedule, or it crashed), held back in memory with the
 * same backoff as a schedule, so that the supervisor never starts
 * worker after worker on the same message.  Lost at a restart, which
 * only tries each such message once more. */
struct held {
	enum super_kind kind;
	char     id[QUEUE_ID_MAX];
	time_t   until;
	unsigned tries;
};
static struct held *held;
static size_t nheld, maxheld;

static struct held *
held_find(enum super_kind k, const char *id)
{
	size_t i;

	for (i = 0; i < nheld; i++)
		if (held[i].kind == k && strcmp(held[i].id, id) == 0)
			return &held[i];
	return NULL;
}

/* A worker for id ended with wait status w: held back when it failed. */
static void
held_note(enum super_kind k, const char *id, int w)
{
	struct held *h = held_find(k, id), *t;
	time_t wait;

	if (WIFEXITED(w) && WEXITSTATUS(w) == 0) {
		if (h)
			*h = held[--nheld];
		return;
	}
	if (h == NULL) {
		/* entries of messages long gone (done by a later worker of
		 * another supervisor, say) make room first */
		for (size_t i = 0; i < nheld; )
			if (held[i].until + 86400 < time(NULL))
				held[i] = held[--nheld];
			else
				i++;
		if (nheld == maxheld) {
			size_t n = maxheld ? maxheld * 2 : 16;
			if ((t = reallocarray(held, n, sizeof *t)) == NULL) {
				log_warn(errno, "qid=%s unable to hold back", id);
				return;
			}
			held = t;
			maxheld = n;
		}
		h = &held[nheld++];
		memset(h, 0, sizeof *h);
		h->kind = k;
		snprintf(h->id, sizeof h->id, "%s", id);
	}
	h->tries++;
	wait = sched_backoff(h->tries, super_cf.retrymin, super_cf.retrymax);
	h->until = time(NULL) + wait;
	log_warn(0, "qid=%s %s worker failed (status %d): held back %llds", id,
	    k == SUPER_SCAN ? "scan" : "delivery", w, (long long)wait);
}

/* 1 while id is held back from another worker of kind k. */
static int
held_back(enum super_kind k, const char *id, time_t now)
{
	struct held *h = held_find(k, id);

	return h && h->until > now;
}

int
super_kid_add(pid_t pid, enum super_kind k, const char *id, const char *ip)
{
	struct super_child *c;

	if (super_nkids == maxkids) {
		size_t n = maxkids ? maxkids * 2 : 64;
		if ((c = reallocarray(super_kids, n, sizeof *c)) == NULL)
			return -1;
		super_kids = c;
		maxkids = n;
	}
	c = &super_kids[super_nkids++];
	memset(c, 0, sizeof *c);
	c->pid = pid;
	c->kind = k;
	c->ctl = -1;
	c->idle = time(NULL);
	snprintf(c->id, sizeof c->id, "%s", id ? id : "");
	snprintf(c->ip, sizeof c->ip, "%s", ip ? ip : "");
	return 0;
}

/* Workers of kind k (for SUPER_DELIVER, resident ones busy with a
 * message count too), of id and ip when given. */
size_t
super_kid_count(enum super_kind k, const char *id, const char *ip)
{
	size_t i, n = 0;

	for (i = 0; i < super_nkids; i++) {
		const struct super_child *c = &super_kids[i];
		if (((k == SUPER_DELIVER && c->kind == SUPER_DWORK) ||
		    (k == SUPER_SCAN && c->kind == SUPER_SWORK)) && c->busy &&
		    (!id || strcmp(c->id, id) == 0))
			n++;
		else if (c->kind == k && (!id || strcmp(c->id, id) == 0) &&
		    (!ip || strcmp(c->ip, ip) == 0))
			n++;
	}
	return n;
}

void
super_reap(void)
{
	pid_t pid;
	size_t i;
	int w;

	while ((pid = waitpid(-1, &w, WNOHANG)) > 0)
		for (i = 0; i < super_nkids; i++)
			if (super_kids[i].pid == pid) {
				if (super_kids[i].ctl != -1)
					close(super_kids[i].ctl);
				if (super_kids[i].kind == SUPER_STAGE)
					super_stage_gone(&super_kids[i], w);
				else if (super_kids[i].kind == SUPER_SCAN ||
				    super_kids[i].kind == SUPER_DELIVER)
					held_note(super_kids[i].kind, super_kids[i].id, w);
				else if ((super_kids[i].kind == SUPER_DWORK ||
				    super_kids[i].kind == SUPER_SWORK) &&
				    super_kids[i].busy)
					/* died on a message: held back as a
					 * worker that failed on it */
					held_note(super_kids[i].kind == SUPER_DWORK ?
					    SUPER_DELIVER : SUPER_SCAN, super_kids[i].id,
					    WIFEXITED(w) && WEXITSTATUS(w) == 0 ? 111 << 8 : w);
				super_kids[i] = super_kids[--super_nkids];
				break;
			}
}

/* In a worker just forked: nothing of the supervisor's it must not hold. */
static void
worker_setup(void)
{
	size_t i;

	for (i = 0; i < super_nlfd; i++)
		close(super_lfd[i]);
	/* a worker's end of file is its signal to leave */
	for (i = 0; i < super_nkids; i++)
		if (super_kids[i].ctl != -1)
			close(super_kids[i].ctl);
	/* only residents hold their end of a job socket: when the last of
	 * them is gone (we were killed, say), what we send fails or comes
	 * back unanswered, rather than waiting for the stage timeout */
	super_pool_close_jobs();
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

/* Start a worker process for id. */
void
super_start_worker(enum super_kind k, const char *id)
{
	pid_t pid = fork();

	if (pid == 0) {
		worker_setup();
		_exit(k == SUPER_SCAN ? super_scan_one(id) : super_deliver_one(id));
	}
	if (pid > 0)
		super_kid_add(pid, k, id, NULL);
}

/* ---- resident workers ----------------------------------------------------
 * Forked from the supervisor as the one-message workers are, and kept:
 * each takes "ID MASK\n" on its socketpair, does that message as a
 * one-message worker would (super_scan_one, super_deliver_one, each of
 * which lets go of all it held), and answers "STATUS\n", the exit status
 * a one-message worker would have had.  MASK says which resident pools
 * run now (stages.c), so that a kept worker never hands a job to a pool
 * that has none.  A fork per message is saved; at most the stage's
 * concurrency of them, started as messages come; each leaves after 1000
 * messages, at a reload, or when its socketpair closes (the supervisor is
 * gone).  A delivery worker only hands messages to resident relay-outs and
 * keeps CAP_KILL alone; a scan worker may still fork a stage that has no
 * resident, under the scanners' uid, as a one-message worker does. */
#define WORK_MAXUSE 1000
#define WORK_JOB_MAX (QUEUE_ID_MAX + SUPER_MAX_POOLS + 8)

static int
work_loop(enum super_kind k, int fd)
{
	char b[WORK_JOB_MAX], *sp;
	ssize_t n;
	unsigned long uses;
	int st;

	/* a delivery worker only hands messages to the resident relay-outs,
	 * never starts one under another uid: of the supervisor's
	 * capabilities it keeps CAP_KILL alone, to stop a resident at
	 * timeoutdelivery */
	if (k == SUPER_DWORK && sandbox_spawned() == -1)
		return 111;
	/* ps shows which is which (a one-message worker stays "portcullis") */
	(void)prctl(PR_SET_NAME, k == SUPER_DWORK ? "portcullis-dlv" :
	    "portcullis-scan", 0, 0, 0);
	for (uses = 0; uses < WORK_MAXUSE; uses++) {
		do
			n = read(fd, b, sizeof b - 1);
		while (n == -1 && errno == EINTR);
		if (n <= 0)
			return 0;
		b[n] = '\0';
		b[strcspn(b, "\n")] = '\0';
		if ((sp = strchr(b, ' ')) == NULL || sp == b || strchr(b, '/'))
			return 111;
		*sp = '\0';
		super_pool_alive_set(sp + 1);
		st = k == SUPER_DWORK ? super_deliver_one(b) : super_scan_one(b);
		n = snprintf(b, sizeof b, "%d\n", st);
		if (write(fd, b, (size_t)n) != n)
			return 0;
	}
	return 0;
}

/* A new resident worker of kind k: its index in super_kids, or -1. */
static int
work_start(enum super_kind k)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		worker_setup();
		_exit(work_loop(k, sv[1]));
	}
	close(sv[1]);
	if (pid == -1 || super_kid_add(pid, k, NULL, NULL) == -1) {
		close(sv[0]);
		return -1;
	}
	super_kids[super_nkids - 1].ctl = sv[0];
	return (int)(super_nkids - 1);
}

/* Hand id of stage kind k (SUPER_SCAN or SUPER_DELIVER) to an idle
 * resident worker, or a new one; 0, or -1 (the caller forks a
 * one-message worker instead). */
static int
work_hand(enum super_kind k, const char *id)
{
	enum super_kind wk = k == SUPER_SCAN ? SUPER_SWORK : SUPER_DWORK;
	char b[WORK_JOB_MAX], mask[SUPER_MAX_POOLS + 1];
	size_t i, len = strlen(id);
	int w = -1, n;

	/* delivery only while resident relay-outs run: else a one-message
	 * worker, which may start relay-out under the delivery uid itself */
	if (len >= sizeof super_kids[0].id ||
	    (k == SUPER_DELIVER && super_pool_socket(SUPER_RELAY) < 0) ||
	    super_pool_alive_mask(mask, sizeof mask) == -1)
		return -1;
	for (i = 0; i < super_nkids && w == -1; i++)
		if (super_kids[i].kind == wk && !super_kids[i].busy &&
		    super_kids[i].ctl != -1 && super_kids[i].uses < WORK_MAXUSE)
			w = (int)i;
	if (w == -1 && (w = work_start(wk)) == -1)
		return -1;
	n = snprintf(b, sizeof b, "%s %s\n", id, mask);
	if (n < 0 || (size_t)n >= sizeof b ||
	    send(super_kids[w].ctl, b, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		close(super_kids[w].ctl);
		super_kids[w].ctl = -1;
		return -1;
	}
	super_kids[w].busy = 1;
	super_kids[w].idle = time(NULL);
	memcpy(super_kids[w].id, id, len + 1);
	return 0;
}

/* A resident worker answered (or left). */
void
super_from_dworker(int fd)
{
	char b[32];
	ssize_t n;
	size_t i;

	for (i = 0; i < super_nkids; i++)
		if ((super_kids[i].kind == SUPER_DWORK ||
		    super_kids[i].kind == SUPER_SWORK) && super_kids[i].ctl == fd)
			break;
	if (i == super_nkids)
		return;
	n = read(fd, b, sizeof b - 1);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* gone: reaped, and a message it had held back (super_reap) */
		close(fd);
		super_kids[i].ctl = -1;
		return;
	}
	b[n] = '\0';
	if (super_kids[i].busy)
		held_note(super_kids[i].kind == SUPER_DWORK ? SUPER_DELIVER :
		    SUPER_SCAN, super_kids[i].id, atoi(b) << 8);
	super_kids[i].busy = 0;
	super_kids[i].id[0] = '\0';
	super_kids[i].uses++;
	super_kids[i].idle = time(NULL);
}

/* After a reload: the resident workers finish the message they have and
 * leave; new ones start with the new settings and pools. */
void
super_dwork_retire(void)
{
	size_t i;

	for (i = 0; i < super_nkids; i++)
		if ((super_kids[i].kind == SUPER_DWORK ||
		    super_kids[i].kind == SUPER_SWORK) && super_kids[i].ctl != -1) {
			shutdown(super_kids[i].ctl, SHUT_WR);
			super_kids[i].uses = WORK_MAXUSE;   /* never handed more */
			if (!super_kids[i].busy) {
				close(super_kids[i].ctl);
				super_kids[i].ctl = -1;
			}
		}
}

/* Start workers for the due messages of a stage, up to the limit. */
void
super_run_stage(const char *stage, enum super_kind k, unsigned long limit)
{
	char p[PATH_MAX], sp[PATH_MAX];
	struct dirent *de;
	struct sched s;
	time_t now = time(NULL);
	DIR *d;

	if (super_kid_count(k, NULL, NULL) >= limit ||
	    queue_path(p, sizeof p, super_cf.qdir, stage, "new", NULL) == -1 ||
	    (d = opendir(p)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && super_kid_count(k, NULL, NULL) < limit) {
		if (de->d_name[0] == '.' || super_kid_count(k, de->d_name, NULL) ||
		    held_back(k, de->d_name, now))
			continue;
		if (queue_path(sp, sizeof sp, super_cf.qdir, stage, "sched", de->d_name) == 0 &&
		    sched_read(sp, &s) == 0 && s.next > now)
			continue;
		if (queue_held(super_cf.qdir, stage, de->d_name))
			continue;
		if (work_hand(k, de->d_name) == 0)
			continue;
		super_start_worker(k, de->d_name);
	}
	closedir(d);
}
