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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
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

size_t
super_kid_count(enum super_kind k, const char *id, const char *ip)
{
	size_t i, n = 0;

	for (i = 0; i < super_nkids; i++)
		if (super_kids[i].kind == k && (!id || strcmp(super_kids[i].id, id) == 0) &&
		    (!ip || strcmp(super_kids[i].ip, ip) == 0))
			n++;
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
				super_kids[i] = super_kids[--super_nkids];
				break;
			}
}

/* Start a worker process for id. */
void
super_start_worker(enum super_kind k, const char *id)
{
	pid_t pid = fork();

	if (pid == 0) {
		size_t i;
		for (i = 0; i < super_nlfd; i++)
			close(super_lfd[i]);
		/* a worker's end of file is its signal to leave */
		for (i = 0; i < super_nkids; i++)
			if (super_kids[i].ctl != -1)
				close(super_kids[i].ctl);
		/* only residents hold their end of a job socket: when the
		 * last of them is gone (we were killed, say), what we send
		 * fails or comes back unanswered, rather than waiting for
		 * the stage timeout */
		super_pool_close_jobs();
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		_exit(k == SUPER_SCAN ? super_scan_one(id) : super_deliver_one(id));
	}
	if (pid > 0)
		super_kid_add(pid, k, id, NULL);
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
		super_start_worker(k, de->d_name);
	}
	closedir(d);
}
