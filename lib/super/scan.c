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
#include "chain.h"
#include "dsn.h"
#include "io.h"
#include "log.h"
#include "qenv.h"
#include "queue.h"
#include "spawn.h"
#include "super.h"
#include "verdict.h"

/* A give-up that failed (the quarantine or the bounce could not be
 * written) is tried again with backoff, never at once. */
static int
scan_later_anyway(const char *id, const char *mp)
{
	return super_after_tempfail("incoming", id, mp, 1) == SUPER_STUCK ? 111 : 0;
}

/* Give a message up for verdict v (reject, or tempfail for too long).
 * Outbound mail came from our own relay clients: one bounce per
 * recipient, with the reason the rejecting stage gave when it gave one,
 * none to <>.  Inbound mail (or mail whose envelope cannot be read) goes
 * to the quarantine with the reason on top: a bounce to an outside
 * envelope sender, whom nobody checked, would be backscatter. */
static int
scan_give_up(const char *id, const char *mp, int fd, const struct envelope *e,
    unsigned flags, enum verdict v, const char *why, const char *reason)
{
	char diag[VERDICT_TEXT_MAX + 16], sentence[VERDICT_TEXT_MAX + 64];
	char hdr[VERDICT_TEXT_MAX + 300], oid[QUEUE_ID_MAX];
	const char *vn = v == VERDICT_REJECT ? "reject" : "tempfail";
	struct dsn_rcpt *dr;
	size_t i;

	if (e == NULL || e->dir != ENV_DIR_OUT) {
		snprintf(hdr, sizeof hdr, "%s %s%s%s", vn, why, reason[0] ? ": " : "",
		    reason);
		if (super_quarantine(e, flags, hdr, fd, oid, sizeof oid) == -1) {
			log_warn(errno, "qid=%s unable to quarantine", id);
			return scan_later_anyway(id, mp);
		}
		queue_remove(super_cf.qdir, "incoming", id);
		log_info("qid=%s verdict=%s reason=%s quarantine=%s", id, vn, why, oid);
		return 0;
	}
	if (e->sender == NULL || e->sender[0] == '\0') {
		log_info("qid=%s verdict=%s reason=%s no bounce to <>", id, vn, why);
		queue_remove(super_cf.qdir, "incoming", id);
		return 0;
	}
	if ((dr = calloc(e->nrcpt ? e->nrcpt : 1, sizeof *dr)) == NULL) {
		log_warn(errno, "qid=%s unable to write the bounce", id);
		return scan_later_anyway(id, mp);
	}
	snprintf(diag, sizeof diag, "550 5.7.1 %s", v == VERDICT_REJECT &&
	    reason[0] ? reason : "message refused by policy");
	snprintf(sentence, sizeof sentence, "Your message was refused by this "
	    "gateway's policy%s%s.", v == VERDICT_REJECT && reason[0] ? ": " : "",
	    v == VERDICT_REJECT ? reason : "");
	for (i = 0; i < e->nrcpt; i++) {
		dr[i].addr = e->rcpt[i];
		dr[i].status = v == VERDICT_REJECT ? "5.7.1" : "4.4.7";
		dr[i].diag = v == VERDICT_REJECT ? diag : "421 4.4.7 message expired";
	}
	if (super_bounce(e, mp, dr, e->nrcpt, sentence) == -1) {
		log_warn(errno, "qid=%s unable to write the bounce", id);
		free(dr);
		return scan_later_anyway(id, mp);
	}
	free(dr);
	queue_remove(super_cf.qdir, "incoming", id);
	log_info("qid=%s verdict=%s reason=%s", id, vn, why);
	return 0;
}

/* The scan could not go on for now: the message waits with backoff
 * (super_after_tempfail), and past the queue lifetime is given up. */
static int
scan_tempfail(const char *id, const char *mp, int fd, const struct envelope *e,
    unsigned flags, const char *why)
{
	char w[512];

	switch (super_after_tempfail("incoming", id, mp, 0)) {
	case SUPER_LATER:
		log_info("qid=%s verdict=tempfail reason=%s", id, why);
		return 0;
	case SUPER_STUCK:
		return 111;
	case SUPER_GIVE_UP:
		break;
	}
	snprintf(w, sizeof w, "%s; could not be scanned within the queue lifetime",
	    why);
	return scan_give_up(id, mp, fd, e, flags, VERDICT_TEMPFAIL, w, "");
}

/* A message the door's chain judged: moved on whole under its id. */
static int
super_move_judged(const char *id, const char *mp, int fd,
    const struct envelope *e, unsigned flags)
{
	const char *to = flags & QUEUE_HOLD ? "quarantine" : "outgoing";

	if (queue_move(super_cf.qdir, "incoming", to, id, e,
	    flags & ~(QUEUE_JUDGED | QUEUE_HOLD)) == -1) {
		log_warn(errno, "qid=%s unable to move it into %s", id, to);
		return scan_tempfail(id, mp, fd, e, flags, "unable to move it on");
	}
	log_info("qid=%s verdict=%s at=door", id, flags & QUEUE_HOLD ?
	    "quarantine" : "pass");
	return 0;
}

/* One locked message of incoming, its envelope read: through its chain
 * (see super_scan_one). */
static int
scan_locked(const char *id, const char *mp, int fd, struct envelope *ep,
    unsigned flags)
{
	char tp[PATH_MAX], why[256], oid[QUEUE_ID_MAX];
	char reason[VERDICT_TEXT_MAX + 1], w[512];
	struct envelope e = *ep;
	struct queue q;
	struct queue_msg om;
	enum verdict v;
	const struct ctl_list *ch;
	struct chain_result cr;
	char td[PATH_MAX];
	int serve[SPAWN_MAX_STAGES];
	size_t i;
	int tfd;

	/* judged at the door already: on to its stage, not judged twice */
	if (flags & (QUEUE_JUDGED | QUEUE_HOLD))
		return super_move_judged(id, mp, fd, &e, flags);
	if (super_export_env(&e) == -1 || queue_init(&q, super_cf.qdir, "outgoing") == -1 ||
	    queue_open_as(&q, &om, id) == -1) {
		log_warn(errno, "qid=%s unable to open outgoing", id);
		return scan_tempfail(id, mp, fd, &e, flags, "unable to open outgoing");
	}
	/* the one chain runner the door uses too, on our residents */
	ch = e.dir == ENV_DIR_OUT ? &super_cf.chain_out : &super_cf.chain_in;
	for (i = 0; i < ch->n && i < SPAWN_MAX_STAGES; i++)
		serve[i] = super_pool_socket(ch->v[i]);
	(void)chain_run(ch, fd, om.fd, (unsigned)super_cf.stagetimeout * 1000,
	    serve, queue_path(td, sizeof td, super_cf.qdir, "incoming", "tmp",
	    NULL) == 0 ? td : NULL, &cr);
	v = cr.v;
	snprintf(why, sizeof why, "%s", cr.why);
	snprintf(reason, sizeof reason, "%s", cr.reason);
	if (v <= VERDICT_FLAG) {
		if (queue_commit(&om, &e, flags) == -1) {
			log_warn(errno, "qid=%s unable to queue for delivery", id);
			return scan_tempfail(id, mp, fd, &e, flags,
			    "unable to queue for delivery");
		}
		queue_remove(super_cf.qdir, "incoming", id);
		log_info("qid=%s verdict=pass dir=%s out=%s", id,
		    env_dir_name(e.dir), om.id);
		return 0;
	}
	if (v == VERDICT_QUARANTINE) {
		/* the chain's output, with the headers the stages added */
		(void)queue_path(tp, sizeof tp, super_cf.qdir, "outgoing", "tmp", om.id);
		tfd = open(tp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (tfd == -1 || super_quarantine(&e, flags, why, tfd, oid,
		    sizeof oid) == -1) {
			log_warn(errno, "qid=%s unable to quarantine", id);
			if (tfd != -1)
				close(tfd);
			queue_abort(&om);
			return scan_tempfail(id, mp, fd, &e, flags, "unable to quarantine");
		}
		close(tfd);
		queue_abort(&om);
		queue_remove(super_cf.qdir, "incoming", id);
		log_info("qid=%s verdict=quarantine reason=%s quarantine=%s", id,
		    why, oid);
		return 0;
	}
	queue_abort(&om);
	if (v == VERDICT_TEMPFAIL)
		return scan_tempfail(id, mp, fd, &e, flags, why);
	snprintf(w, sizeof w, "%s", why);
	return scan_give_up(id, mp, fd, &e, flags, VERDICT_REJECT, w, reason);
}

/* One message of incoming through its chain.  Every way out is moved on
 * (outgoing or quarantine), scheduled (scan_tempfail) or given up
 * (scan_give_up); 111 only when not even a schedule could be written.
 * All it held is let go whichever way (a resident scan worker does
 * message after message), the lock last. */
int
super_scan_one(const char *id)
{
	char mp[PATH_MAX], ep[PATH_MAX];
	struct envelope e;
	unsigned flags;
	int fd, rc;

	if (queue_path(mp, sizeof mp, super_cf.qdir, "incoming", "new", id) == -1 ||
	    queue_path(ep, sizeof ep, super_cf.qdir, "incoming", "env", id) == -1) {
		log_warn(errno, "qid=%s a name too long for the queue", id);
		return 111;
	}
	if ((fd = queue_lock(mp)) == -1) {
		if (errno == ENOENT || errno == EBUSY)
			return 0;
		log_warn(errno, "qid=%s unable to open", id);
		return scan_tempfail(id, mp, -1, NULL, 0, "unable to open the message");
	}
	if (qenv_read(ep, &e, &flags) == -1) {
		log_warn(errno, "qid=%s unable to read its envelope", id);
		rc = scan_tempfail(id, mp, fd, NULL, 0, "unable to read its envelope");
		close(fd);
		return rc;
	}
	rc = scan_locked(id, mp, fd, &e, flags);
	env_free(&e);
	close(fd);
	return rc;
}
