/* scan: one message of the incoming stage through the chain of its
 * direction (a scan worker, forked by the supervisor, as the gateway's
 * user).  The stages are strangers' parsers: their exit status is all we
 * believe of them, their stderr is only quoted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "io.h"
#include "log.h"
#include "msg.h"
#include "qenv.h"
#include "queue.h"
#include "spawn.h"
#include "super.h"
#include "verdict.h"

static enum verdict
verdict_of_code(int c)
{
	return c == 0 ? VERDICT_PASS : c == 99 ? VERDICT_QUARANTINE :
	    c == 100 ? VERDICT_REJECT : VERDICT_TEMPFAIL;
}

static int
lost_not_late(const int *status, size_t n)
{
	size_t i;
	int lost = 0;

	for (i = 0; i < n; i++) {
		if (status[i] == SPAWN_TIMEDOUT)
			return 0;
		lost |= status[i] == SPAWN_LOST;
	}
	return lost;
}

/* Run the chain with the message on stdin into the outgoing queue's tmp
 * file; the worst verdict wins.  why names the stage that decided. */
static enum verdict
run_chain(const struct ctl_list *chain, int in, int out, char *why,
    size_t whyn)
{
	struct spawn_argv st[SPAWN_MAX_STAGES];
	int status[SPAWN_MAX_STAGES], serve[SPAWN_MAX_STAGES];
	enum verdict v = VERDICT_PASS, sv;
	size_t i, n = chain->n;
	int c, try;

	snprintf(why, whyn, "no stage objected");
	if (n > SPAWN_MAX_STAGES) {
		snprintf(why, whyn, "chain too long");
		return VERDICT_TEMPFAIL;
	}
	for (i = 0; i < n; i++)
		if (spawn_split(chain->v[i], &st[i]) == -1) {
			while (i-- > 0)
				spawn_argv_free(&st[i]);
			snprintf(why, whyn, "bad chain line %u", chain->lineno[0]);
			return VERDICT_TEMPFAIL;
		}
	for (i = 0; i < n; i++)
		serve[i] = super_pool_socket(chain->v[i]);
	for (try = 0; n; try++) {
		if (spawn_pipeline(st, n, in, out, (unsigned)super_cf.stagetimeout *
		    1000, serve, status) == -1) {
			snprintf(why, whyn, "unable to start the chain: %s",
			    strerror(errno));
			v = VERDICT_TEMPFAIL;
			n = 0;
			break;
		}
		/* A resident that died on the message (killed, out of
		 * memory, a crash) said nothing about it: the chain runs again
		 * at once, every stage by fork and exec, rather than the
		 * message waiting retrymin for its rescan.  Once: what fails
		 * then is counted as it comes.  Not after a timeout, which
		 * has had its time already. */
		if (try > 0 || !lost_not_late(status, n) ||
		    lseek(in, 0, SEEK_SET) != 0 || ftruncate(out, 0) != 0 ||
		    lseek(out, 0, SEEK_SET) != 0)
			break;
		log_warn(0, "a resident stage ended without a status; "
		    "the chain runs again, by fork and exec");
		for (i = 0; i < n; i++)
			serve[i] = -1;
	}
	for (i = 0; i < n; i++) {
		c = spawn_exit_code(status[i]);
		if (c == -1) {
			log_warn(0, "stage %zu (%s) %s: counted as 111", i + 1,
			    st[i].v[0], status[i] == SPAWN_TIMEDOUT ? "timed out" :
			    status[i] == SPAWN_LOST ? "ended without a status" :
			    WIFSIGNALED(status[i]) ? "died by a signal" :
			    "exited with an unknown status");
		}
		sv = verdict_of_code(c);
		if (sv > v || (sv == v && sv != VERDICT_PASS && i == 0)) {
			v = sv;
			snprintf(why, whyn, "stage %zu (%s) exit %d", i + 1, st[i].v[0],
			    c == -1 ? 111 : c);
		}
	}
	for (i = 0; i < chain->n && i < SPAWN_MAX_STAGES; i++)
		spawn_argv_free(&st[i]);
	return v;
}

/* While the chain runs, the stages' stderr goes into an unnamed file, so
 * that a reject can quote the stage's own reason (lib/queue/dsn.c); after, the
 * lines go on to our stderr as before.  -1: the log goes straight on. */
static int
stage_log_begin(int *saved)
{
	char p[PATH_MAX];
	int fd;

	*saved = -1;
	if (queue_path(p, sizeof p, super_cf.qdir, "incoming", "tmp", NULL) == -1 ||
	    (fd = open(p, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1)
		return -1;
	if ((*saved = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1 || dup2(fd, 2) == -1) {
		if (*saved != -1)
			close(*saved);
		close(fd);
		return -1;
	}
	return fd;
}

static void
stage_log_end(int fd, int saved, const char *verdict, char *reason, size_t n)
{
	char b[16384], more[4096];
	ssize_t r;
	size_t got = 0;

	reason[0] = '\0';
	if (fd == -1)
		return;
	dup2(saved, 2);
	close(saved);
	/* the first 16 KiB are kept to find the reason in; all goes on */
	if (lseek(fd, 0, SEEK_SET) == 0)
		while ((r = io_read_some(fd, got < sizeof b ? b + got : more,
		    got < sizeof b ? sizeof b - got : sizeof more)) > 0) {
			(void)io_write_all(2, got < sizeof b ? b + got : more,
			    (size_t)r);
			if (got < sizeof b)
				got += (size_t)r;
		}
	if (dsn_stage_reason(b, got, verdict, reason, n) == -1)
		reason[0] = '\0';
	close(fd);
}

/* Read a whole file (bounded). */
static int
slurp(const char *path, struct buf *b)
{
	struct msg m;

	if (msg_read_file(path, CTL_DATABYTES + CTL_FILTER_SLACK * 2, &m) == -1)
		return -1;
	*b = m.raw;
	return 0;
}

/* A message the door's chain judged: moved on whole under its id. */
static int
super_move_judged(const char *id, const struct envelope *e, unsigned flags)
{
	const char *to = flags & QUEUE_HOLD ? "quarantine" : "outgoing";

	if (queue_move(super_cf.qdir, "incoming", to, id, e,
	    flags & ~(QUEUE_JUDGED | QUEUE_HOLD)) == -1) {
		log_warn(errno, "qid=%s unable to move it into %s", id, to);
		return 111;
	}
	log_info("qid=%s verdict=%s at=door", id, flags & QUEUE_HOLD ?
	    "quarantine" : "pass");
	return 0;
}

int
super_scan_one(const char *id)
{
	char mp[PATH_MAX], ep[PATH_MAX], tp[PATH_MAX], why[256], oid[QUEUE_ID_MAX];
	char hdr[400], reason[VERDICT_TEXT_MAX + 1], diag[VERDICT_TEXT_MAX + 16];
	char sentence[VERDICT_TEXT_MAX + 64];
	struct envelope e;
	struct queue q;
	struct queue_msg om;
	struct buf b = BUF_INIT;
	struct dsn_rcpt *dr;
	unsigned flags;
	enum verdict v;
	size_t i;
	int fd, logfd, saved;

	if (queue_path(mp, sizeof mp, super_cf.qdir, "incoming", "new", id) == -1 ||
	    queue_path(ep, sizeof ep, super_cf.qdir, "incoming", "env", id) == -1)
		return 111;
	if ((fd = queue_lock(mp)) == -1)
		return errno == ENOENT || errno == EBUSY ? 0 : 111;
	if (qenv_read(ep, &e, &flags) == -1) {
		log_warn(errno, "qid=%s unable to read its envelope", id);
		return 111;
	}
	/* judged at the door already: on to its stage, not judged twice */
	if (flags & (QUEUE_JUDGED | QUEUE_HOLD))
		return super_move_judged(id, &e, flags);
	if (super_export_env(&e) == -1 || queue_init(&q, super_cf.qdir, "outgoing") == -1 ||
	    queue_open(&q, &om) == -1) {
		log_warn(errno, "qid=%s unable to open outgoing", id);
		return 111;
	}
	logfd = stage_log_begin(&saved);
	v = run_chain(e.dir == ENV_DIR_OUT ? &super_cf.chain_out : &super_cf.chain_in, fd,
	    om.fd, why, sizeof why);
	stage_log_end(logfd, saved, "reject", reason, sizeof reason);
	if (v <= VERDICT_FLAG) {
		if (queue_commit(&om, &e, flags) == -1) {
			log_warn(errno, "qid=%s unable to queue for delivery", id);
			return 111;
		}
		queue_remove(super_cf.qdir, "incoming", id);
		log_info("qid=%s verdict=pass dir=%s out=%s", id,
		    env_dir_name(e.dir), om.id);
		return 0;
	}
	if (v == VERDICT_QUARANTINE) {
		(void)queue_path(tp, sizeof tp, super_cf.qdir, "outgoing", "tmp", om.id);
		snprintf(hdr, sizeof hdr, "X-Portcullis-Quarantine: %s\n", why);
		if (slurp(tp, &b) == -1 ||
		    queue_put(super_cf.qdir, "quarantine", &e, flags, hdr, strlen(hdr), b.p, b.len,
		    oid, sizeof oid) == -1) {
			log_warn(errno, "qid=%s unable to quarantine", id);
			queue_abort(&om);
			return 111;
		}
		queue_abort(&om);
		queue_remove(super_cf.qdir, "incoming", id);
		log_info("qid=%s verdict=quarantine reason=%s quarantine=%s", id,
		    why, oid);
		return 0;
	}
	queue_abort(&om);
	if (v == VERDICT_TEMPFAIL) {
		if (super_retry_later("incoming", id, mp) == 0) {
			log_info("qid=%s verdict=tempfail reason=%s", id, why);
			return 0;
		}
		snprintf(why + strlen(why), sizeof why - strlen(why),
		    "; could not be scanned within the queue lifetime");
	}
	/* reject, or tempfail for too long: a bounce for every recipient,
	 * with the reason the rejecting stage gave when it gave one */
	if ((dr = calloc(e.nrcpt ? e.nrcpt : 1, sizeof *dr)) == NULL)
		return 111;
	snprintf(diag, sizeof diag, "550 5.7.1 %s", v == VERDICT_REJECT &&
	    reason[0] ? reason : "message refused by policy");
	snprintf(sentence, sizeof sentence, "Your message was refused by this "
	    "gateway's policy%s%s.", v == VERDICT_REJECT && reason[0] ? ": " : "",
	    v == VERDICT_REJECT ? reason : "");
	for (i = 0; i < e.nrcpt; i++) {
		dr[i].addr = e.rcpt[i];
		dr[i].status = v == VERDICT_REJECT ? "5.7.1" : "4.4.7";
		dr[i].diag = v == VERDICT_REJECT ? diag : "421 4.4.7 message expired";
	}
	if (e.sender[0] == '\0')
		log_info("qid=%s verdict=reject reason=%s no bounce to <>", id, why);
	else if (super_bounce(&e, mp, dr, e.nrcpt, sentence) == -1) {
		log_warn(errno, "qid=%s unable to write the bounce", id);
		return 111;
	}
	else
		log_info("qid=%s verdict=reject reason=%s", id, why);
	queue_remove(super_cf.qdir, "incoming", id);
	return 0;
}
