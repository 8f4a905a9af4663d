/* judge: verdicts at the door (see judge.h).  Runs in smtpd-accept, under
 * the door's uid: the message it judges came from a stranger and was
 * written to incoming/tmp; the stages' exit statuses are all it believes
 * of them.  Library code: logs, never exits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "io.h"
#include "judge.h"
#include "log.h"
#include "spawn.h"

/* Copy the whole of file in to the end of fd out. */
static int
copy_fd(int in, int out)
{
	char b[65536];
	ssize_t r;

	if (lseek(in, 0, SEEK_SET) != 0)
		return -1;
	while ((r = io_read_some(in, b, sizeof b)) > 0)
		if (io_write_all(out, b, (size_t)r) == -1)
			return -1;
	return r == 0 ? 0 : -1;
}

/* Put the chain's output (with a header on top when top is given) in
 * the place of the message written so far, as the file the commit will
 * sync and rename into new/. */
static int
replace_msg(struct queue_msg *qm, const char *tp, const char *op, int out,
    const char *top)
{
	int fd;

	if (top != NULL) {
		if ((fd = open(tp, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW)) == -1)
			return -1;
		if (io_write_all(fd, top, strlen(top)) == -1 || copy_fd(out, fd) == -1) {
			close(fd);
			return -1;
		}
		unlink(op);
	} else {
		if (rename(op, tp) == -1 ||
		    (fd = open(tp, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW)) == -1)
			return -1;
	}
	close(qm->fd);
	qm->fd = fd;
	return 0;
}

/* As replace_msg with a header on top, where the chain wrote tp itself
 * (the message came from memory): the header and the output into op,
 * renamed over tp. */
static int
hold_from_memory(struct queue_msg *qm, const char *tp, const char *op, int out,
    const char *top)
{
	int fd = open(op, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0640);

	if (fd == -1)
		return -1;
	if (io_write_all(fd, top, strlen(top)) == -1 || copy_fd(out, fd) == -1 ||
	    rename(op, tp) == -1) {
		close(fd);
		return -1;
	}
	if (qm->fd != -1)
		close(qm->fd);
	qm->fd = fd;
	return 0;
}

/* The chain of the message's direction on the message just written,
 * before the reply to its end (DESIGN.md, "the flow").  Our resident
 * stages when the supervisor handed us their job sockets, else each stage
 * forked and executed.  Past d->timeout the message is accepted unjudged
 * and the queue judges it. */
int
door_judge(const struct door_judge *d, const struct envelope *e,
    unsigned *flags, struct smtp_judgement *j)
{
	const struct ctl_list *ch = e->dir == ENV_DIR_OUT ? d->chain_out : d->chain_in;
	char tp[PATH_MAX], op[PATH_MAX + 8], td[PATH_MAX], top[400];
	int serve[SPAWN_MAX_STAGES];
	struct envelope x = *e;
	struct chain_result r;
	const char *p;
	int in = -1, out = -1, rc = -1, mem = 0, kept = 0;

	if (d->timeout == 0 || ch->n == 0)
		return 0;
	x.qid = d->qm->id;
	if (queue_path(tp, sizeof tp, d->q->dir, "incoming", "tmp", d->qm->id) == -1 ||
	    queue_path(td, sizeof td, d->q->dir, "incoming", "tmp", NULL) == -1 ||
	    (size_t)snprintf(op, sizeof op, "%s.door", tp) >= sizeof op)
		return 0;
	/* the stages read it through the page cache (or from memory): the
	 * commit syncs what is kept, and a refused message is never synced
	 * at all.  From memory, the chain writes the message file itself. */
	mem = d->mem && *d->mem >= 0;
	if (env_export(&x) == -1 ||
	    (in = mem ? fcntl(*d->mem, F_DUPFD_CLOEXEC, 3) :
	    open(tp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    (out = open(mem ? tp : op, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0640)) == -1) {
		log_warn(errno, "qid=%s unable to judge at the door; the queue will",
		    d->qm->id);
		rc = 0;
		goto out;
	}
	chain_serve_from_env(ch, serve, SPAWN_MAX_STAGES);
	/* Where the supervisor runs its stages under the scanners' own uid
	 * (PORTCULLIS_DOORFORK=0), the door forks no parser under its uid:
	 * a stage line without a running resident (a site's script,
	 * stageworkers 0, a resident that failed) sends the message to be
	 * judged after the queue. */
	if ((p = getenv("PORTCULLIS_DOORFORK")) != NULL && strcmp(p, "0") == 0) {
		size_t i;
		for (i = 0; i < ch->n && i < SPAWN_MAX_STAGES; i++)
			if (serve[i] == -1) {
				snprintf(j->verdict, sizeof j->verdict, "accepted");
				snprintf(j->reason, sizeof j->reason,
				    "door=unjudged (stage %zu has no resident)", i + 1);
				rc = 0;
				goto out;
			}
	}
	if (chain_run(ch, in, out, (unsigned)d->timeout * 1000, serve, td,
	    &r) == -1 || r.late) {
		/* not judged in time (or not at all): accepted as before
		 * verdicts at the door, and judged after the queue */
		snprintf(j->verdict, sizeof j->verdict, "accepted");
		snprintf(j->reason, sizeof j->reason, "door=%s",
		    r.late ? "late" : "unjudged");
		rc = 0;
		goto out;
	}
	snprintf(j->reason, sizeof j->reason, "%s", r.why);
	switch (r.v) {
	case VERDICT_PASS:
	case VERDICT_FLAG:
		if (mem) {
			/* the output is the message: on disk once */
			d->qm->fd = out;
			out = -1;
			kept = 1;
		} else if (replace_msg(d->qm, tp, op, out, NULL) == -1)
			break;
		*flags |= QUEUE_JUDGED;
		snprintf(j->verdict, sizeof j->verdict, "accepted");
		rc = 0;
		break;
	case VERDICT_QUARANTINE:
		snprintf(top, sizeof top, "X-Portcullis-Quarantine: %s\n", r.why);
		if (mem ? hold_from_memory(d->qm, tp, op, out, top) == -1 :
		    replace_msg(d->qm, tp, op, out, top) == -1)
			break;
		kept = mem;
		*flags |= QUEUE_HOLD;
		snprintf(j->verdict, sizeof j->verdict, "quarantined");
		rc = 0;
		break;
	case VERDICT_REJECT:
		/* RFC 3463 5.7.1: delivery not authorized, message refused */
		snprintf(j->reply, sizeof j->reply, "550 5.7.1 %s",
		    r.reason[0] ? r.reason : "Message refused by policy");
		rc = 1;
		break;
	default:
		snprintf(j->reply, sizeof j->reply, "451 4.7.1 Message could not "
		    "be checked now, try again later");
		rc = -1;
		break;
	}
	if (rc == -1 && !j->reply[0])
		log_warn(errno, "qid=%s unable to keep the judged message", d->qm->id);
out:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	unlink(op);
	if (mem && !kept)
		unlink(tp);   /* the commit writes it from memory, or nothing */
	if (kept) {
		/* the message is its file now, not the memory */
		close(*d->mem);
		*d->mem = -1;
	}
	return rc;
}

/* The residents' job sockets the supervisor handed us are ours alone,
 * not the stages' we fork. */
void
door_serve_cloexec(void)
{
	const char *p = getenv("PORTCULLIS_SERVE");
	char *end;
	long fd;

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		fd = strtol(p, &end, 10);
		if (end != p && fd > 2 && fd < 65536)
			(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
}
