/* deliver: one message of the outgoing stage handed to relay-out (a
 * delivery worker, forked by the supervisor, as the gateway's user), and
 * relay-out's result line per recipient turned into done, retry or
 * bounce.  relay-out's output is parsed as untrusted text. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "io.h"
#include "log.h"
#include "sandbox.h"
#include "serve.h"
#include "qenv.h"
#include "queue.h"
#include "spawn.h"
#include "super.h"

/* How long relay-out has after SIGTERM to leave before SIGKILL. */
#define DELIVER_GRACE_MS 5000

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* relay-out in a process group of its own, with the message on stdin and
 * its result lines into out. */
static pid_t
relay_start(int in, int out)
{
	char *argv[] = { "relay-out", NULL };
	pid_t pid = fork();

	if (pid != 0) {
		if (pid > 0)
			(void)setpgid(pid, pid);   /* whichever of us is first */
		return pid;
	}
	(void)setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1)
		_exit(111);
	/* the delivery user, no capabilities (portcullis(7), PRIVILEGES) */
	if (sandbox_child(argv[0]) == -1) {
		log_warn(errno, "unable to sandbox %s", argv[0]);
		_exit(111);
	}
	execvp(argv[0], argv);
	_exit(111);   /* not found or not executable: a broken install */
}

/* Wait for pid until the deadline (ms, monotonic); 1 when it ended. */
static int
relay_wait(pid_t pid, long long deadline)
{
	struct timespec nap = { 0, 20 * 1000000 };
	int w;

	for (;;) {
		pid_t r = waitpid(pid, &w, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return 1;
		if (now_ms() >= deadline)
			return 0;
		nanosleep(&nap, NULL);
	}
}

/* A job of a resident relay-out (serve.h): its result lines from fd into
 * out until it closes them and says its status on rfd, or until the
 * deadline, when the resident is killed (its pool starts another).  As
 * relay(). */
static int
relay_resident(int fd, int rfd, long long deadline, const struct envelope *e,
    struct buf *out)
{
	struct pollfd pf[2];
	char chunk[4096], rb[64];
	size_t rlen = 0;
	pid_t pid = 0;
	int st = -1, open_out = 1, done = 0, left;
	ssize_t r;

	while (!done || open_out) {
		left = (int)(deadline - now_ms());
		if (left <= 0)
			break;
		pf[0].fd = open_out ? fd : -1;
		pf[0].events = POLLIN;
		pf[1].fd = done ? -1 : rfd;
		pf[1].events = POLLIN;
		if (poll(pf, 2, left) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents) {
			if ((r = io_read_some(fd, chunk, sizeof chunk)) <= 0)
				open_out = 0;
			else if (out->len < 1024 * 1024)
				(void)buf_add(out, chunk, (size_t)r);
		}
		if (pf[1].revents && serve_reply(rfd, rb, &rlen, sizeof rb, &pid,
		    &st) == 1)
			done = 1;
	}
	close(fd);
	close(rfd);
	if (done || !open_out)
		return 0;   /* its lines are in; a lost status counts as none */
	log_warn(0, "qid=%s relay-out still running after timeoutdelivery "
	    "(%lus): killed", e->qid ? e->qid : "-", super_cf.deliverytimeout);
	if (pid > 0)
		kill(pid, SIGKILL);
	return 1;
}

/* relay-out's result lines for e's recipients into out, the ones it wrote
 * before timeoutdelivery passed included: then its whole process group is
 * sent SIGTERM, and SIGKILL if still there DELIVER_GRACE_MS later, and is
 * waited for, so that no delivery ever runs beside the next try.  1 when
 * it was killed, 0 when it ended, -1 when it could not be started. */
static int
relay(const char *mp, const struct envelope *e, unsigned flags, struct buf *out)
{
	long long deadline = now_ms() + (long long)super_cf.deliverytimeout * 1000;
	int p[2], in, killed = 0, left, sock, rfd = -1;
	struct pollfd pf;
	char chunk[4096];
	ssize_t r;
	pid_t pid = -1;

	if (super_export_env(e) == -1 || pipe2(p, O_CLOEXEC) == -1)
		return -1;
	super_setenv("BODY", flags & QUEUE_8BITMIME ? "8BITMIME" : NULL);
	super_setenv("SMTPUTF8", flags & QUEUE_SMTPUTF8 ? "1" : NULL);
	if ((in = open(mp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	/* a resident relay-out when the pool has one running (its pid
	 * comes in its first reply line), else one forked and executed */
	sock = super_pool_socket(SUPER_RELAY);
	if (sock == -1 || serve_send(sock, in, p[1], 2, &rfd) == -1) {
		rfd = -1;
		pid = relay_start(in, p[1]);
	}
	(void)sandbox_spawned();   /* keep only CAP_KILL (portcullis(7)) */
	close(in);
	close(p[1]);
	if (rfd != -1)
		return relay_resident(p[0], rfd, deadline, e, out);
	if (pid == -1) {
		close(p[0]);
		return -1;
	}
	pf.fd = p[0];
	pf.events = POLLIN;
	for (;;) {
		left = (int)(deadline - now_ms());
		if (left <= 0) {
			killed = 1;
			break;
		}
		if (poll(&pf, 1, left) == -1) {
			if (errno == EINTR)
				continue;
			killed = 1;
			break;
		}
		if (pf.revents == 0)
			continue;
		if ((r = io_read_some(p[0], chunk, sizeof chunk)) <= 0)
			break;
		if (out->len < 1024 * 1024)
			(void)buf_add(out, chunk, (size_t)r);
	}
	if (!killed && !relay_wait(pid, deadline))
		killed = 1;
	if (killed) {
		log_warn(0, "qid=%s relay-out still running after timeoutdelivery "
		    "(%lus): killed", e->qid ? e->qid : "-", super_cf.deliverytimeout);
		kill(-pid, SIGTERM);
		if (!relay_wait(pid, now_ms() + DELIVER_GRACE_MS)) {
			kill(-pid, SIGKILL);
			(void)relay_wait(pid, now_ms() + 3600 * 1000LL);
		}
		kill(-pid, SIGKILL);   /* whatever it left behind in its group */
		/* what it wrote before it was stopped still counts */
		while (out->len < 1024 * 1024 &&
		    (r = io_read_some(p[0], chunk, sizeof chunk)) > 0)
			(void)buf_add(out, chunk, (size_t)r);
	}
	close(p[0]);
	return killed;
}

/* The result line of recipient i, "K ADDR CODE TEXT" (relay-out(8)
 * writes one per recipient, in order), or NULL. */
static const char *
result_of(char **lines, size_t nl, size_t i)
{
	if (i < nl && (lines[i][0] == 'r' || lines[i][0] == 'h' ||
	    lines[i][0] == 's') && lines[i][1] == ' ' && strchr(lines[i] + 2, ' '))
		return lines[i];
	return NULL;
}

/* A recipient for the bounce, from its result line l (NULL: none came);
 * its status is the reply's, or status when given.  st is its own. */
static void
deliver_failed(struct dsn_rcpt *d, char *st, const char *addr, const char *l,
    const char *status)
{
	const char *rep = l ? strchr(l + 2, ' ') + 1 :
	    "451 4.3.0 no result from relay-out";

	d->addr = addr;
	d->diag = rep;
	if (status)
		snprintf(st, 16, "%s", status);
	else
		dsn_status_of(rep, st, 16);
	d->status = st;
}

/* A step after delivery failed (why): the message is tried again with
 * backoff, past the queue lifetime too, since what failed was the
 * giving up itself. */
static int
deliver_later(const char *id, const char *mp, const char *why)
{
	enum super_fate f = super_after_tempfail("outgoing", id, mp, 1);

	log_info("qid=%s delivery=deferred reason=%s", id, why);
	return f == SUPER_STUCK ? 111 : 0;
}

/* No delivery could be tried at all (why: the message or its envelope
 * unreadable): backoff; past the queue lifetime, with no envelope to
 * bounce to, the message goes to the quarantine for an administrator. */
static int
deliver_stuck(const char *id, const char *mp, int fd, const char *why)
{
	char oid[QUEUE_ID_MAX], w[300];

	switch (super_after_tempfail("outgoing", id, mp, 0)) {
	case SUPER_LATER:
		log_info("qid=%s delivery=deferred reason=%s", id, why);
		return 0;
	case SUPER_STUCK:
		return 111;
	case SUPER_GIVE_UP:
		break;
	}
	snprintf(w, sizeof w, "undeliverable for the queue lifetime: %s", why);
	if (fd == -1 || super_quarantine(NULL, 0, w, fd, oid, sizeof oid) == -1) {
		log_warn(errno, "qid=%s unable to quarantine", id);
		return deliver_later(id, mp, why);
	}
	queue_remove(super_cf.qdir, "outgoing", id);
	log_info("qid=%s delivery=done reason=%s quarantine=%s", id, why, oid);
	return 0;
}

/* Inbound recipients that failed for good: a copy of the message for
 * them alone into quarantine, the replies on top, under an id of its own
 * (the log line names both), so that releasing it delivers to them. */
static int
deliver_hold(const char *id, const char *mp, const struct envelope *e,
    unsigned flags, const struct dsn_rcpt *dr, size_t n)
{
	struct envelope h = *e;
	char oid[QUEUE_ID_MAX], why[600], **rcpt;
	size_t i, o;
	int fd, rc;

	if ((rcpt = calloc(n, sizeof *rcpt)) == NULL)
		return -1;
	o = (size_t)snprintf(why, sizeof why, "undeliverable, not bounced to "
	    "an outside sender:");
	for (i = 0; i < n; i++) {
		rcpt[i] = (char *)dr[i].addr;
		if (o < sizeof why)
			o += (size_t)snprintf(why + o, sizeof why - o, "%s <%s> %s",
			    i ? ";" : "", dr[i].addr, dr[i].diag);
	}
	h.rcpt = rcpt;
	h.nrcpt = n;
	h.qid = NULL;
	if ((fd = open(mp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		free(rcpt);
		return -1;
	}
	rc = super_quarantine(&h, flags, why, fd, oid, sizeof oid);
	close(fd);
	free(rcpt);
	if (rc == -1) {
		log_warn(errno, "qid=%s unable to hold its failed recipients", id);
		return -1;
	}
	log_info("qid=%s held=%zu quarantine=%s reason=no bounce to an outside "
	    "sender", id, n, oid);
	return 0;
}

/* Write e with the recipients of kind[] in keep into the envelope. */
static int
record(const char *id, const struct envelope *e, unsigned flags,
    const char *kind, const char *keep, char **tmp)
{
	struct envelope n = *e;
	size_t i;

	n.rcpt = tmp;
	n.nrcpt = 0;
	for (i = 0; i < e->nrcpt; i++)
		if (strchr(keep, kind[i]))
			tmp[n.nrcpt++] = e->rcpt[i];
	return queue_env_replace(super_cf.qdir, "outgoing", id, &n, flags);
}

/* One message of outgoing through relay-out.  Every recipient ends as
 * accepted (done, never delivered again), failed for good (bounced
 * once), or temporary (left in the envelope for super_after_tempfail's
 * schedule, and bounced once it gives up).  The order is what keeps an
 * accepted recipient from a second delivery: first the envelope loses
 * the accepted ones, then the bounce is written, then the envelope loses
 * the bounced ones.  A crash or a failure in between repeats only the
 * later steps (a bounce at worst twice); 111 only when not even a
 * schedule could be written. */
/* What delivering one message holds, freed by super_deliver_one after,
 * whichever way it ended: a resident delivery worker does message after
 * message, so nothing may stay behind (the lock above all). */
struct held_res {
	struct buf out;
	char **lines, **tmp, *kind;
	struct dsn_rcpt *dr;
	char (*st)[16];
};

static int
deliver_locked(const char *id, const char *mp, const struct envelope *ep,
    unsigned flags, struct held_res *hr)
{
	const struct envelope e = *ep;
	char **lines, **tmp, *kind;
	char (*st)[16];
	struct dsn_rcpt *dr;
	const char *l, *reason = NULL;
	size_t i, nl = 0, ndr = 0, nleft = 0, nok = 0;
	enum super_fate fate = SUPER_LATER;
	char *p, *save;
	int rr;

	hr->lines = lines = calloc(e.nrcpt + 1, sizeof *lines);
	hr->tmp = tmp = calloc(e.nrcpt + 1, sizeof *tmp);
	hr->dr = dr = calloc(e.nrcpt + 1, sizeof *dr);
	hr->st = st = calloc(e.nrcpt + 1, sizeof *st);
	hr->kind = kind = calloc(e.nrcpt + 1, 1);
	if (lines == NULL || tmp == NULL || dr == NULL || st == NULL || kind == NULL) {
		log_warn(errno, "qid=%s out of memory", id);
		return deliver_later(id, mp, "out of memory");
	}
	if ((rr = relay(mp, &e, flags, &hr->out)) == -1)
		log_warn(errno, "qid=%s unable to run relay-out", id);
	if (buf_addc(&hr->out, '\0') == 0)
		for (p = strtok_r(hr->out.p, "\n", &save); p && nl < e.nrcpt;
		    p = strtok_r(NULL, "\n", &save))
			lines[nl++] = p;
	/* 'r' accepted, 'h' failed for good, 's' temporary; a recipient
	 * without a result line is a temporary failure */
	for (i = 0; i < e.nrcpt; i++) {
		l = result_of(lines, nl, i);
		kind[i] = l && (l[0] == 'r' || l[0] == 'h') ? l[0] : 's';
		nok += kind[i] == 'r';
		nleft += kind[i] == 's';
		if (kind[i] == 'h')
			deliver_failed(&dr[ndr++], st[i], e.rcpt[i], l, NULL);
	}
	if (nleft && (fate = super_after_tempfail("outgoing", id, mp, 0)) ==
	    SUPER_GIVE_UP) {
		/* the queue lifetime is over: the temporary ones are bounced */
		for (i = 0; i < e.nrcpt; i++)
			if (kind[i] == 's') {
				kind[i] = 'h';
				deliver_failed(&dr[ndr++], st[i], e.rcpt[i],
				    result_of(lines, nl, i), "4.4.7");
			}
		nleft = 0;
		reason = "Delivery was tried for the queue lifetime without success.";
	}
	/* 1: the accepted recipients are done, for good */
	if (nok && ndr && record(id, &e, flags, kind, "hs", tmp) == -1) {
		log_warn(errno, "qid=%s unable to record its accepted recipients", id);
		return deliver_later(id, mp, "envelope not rewritten");
	}
	/* 2: one bounce for those that failed for good, to a sender we can
	 * trust (outbound: our relay clients); inbound, a copy for them is
	 * held in quarantine instead, for the administrator to release: a
	 * bounce to an outside envelope sender, whom nobody checked, would
	 * be backscatter */
	if (ndr && e.dir == ENV_DIR_IN) {
		if (deliver_hold(id, mp, &e, flags, dr, ndr) == -1)
			return deliver_later(id, mp, "failed recipients not held");
	} else if (ndr && super_bounce(&e, mp, dr, ndr, reason) == -1) {
		log_warn(errno, "qid=%s unable to write the bounce", id);
		return deliver_later(id, mp, "bounce not written");
	}
	/* 3: what is left waits for its schedule, or the message is done */
	if (nleft) {
		if ((nok || ndr) && record(id, &e, flags, kind, "s", tmp) == -1) {
			log_warn(errno, "qid=%s unable to rewrite its envelope; "
			    "its bounce may be sent twice", id);
			return deliver_later(id, mp, "envelope not rewritten");
		}
		log_info("qid=%s delivery=deferred left=%zu bounced=%zu%s", id,
		    nleft, ndr, rr == 1 ? " timeout=1" : "");
		return fate == SUPER_STUCK ? 111 : 0;
	}
	queue_remove(super_cf.qdir, "outgoing", id);
	log_info("qid=%s delivery=done bounced=%zu", id, ndr);
	return 0;
}

int
super_deliver_one(const char *id)
{
	char mp[PATH_MAX], ep[PATH_MAX];
	struct held_res hr;
	struct envelope e;
	unsigned flags;
	int fd, rc;

	if (queue_path(mp, sizeof mp, super_cf.qdir, "outgoing", "new", id) == -1 ||
	    queue_path(ep, sizeof ep, super_cf.qdir, "outgoing", "env", id) == -1) {
		log_warn(errno, "qid=%s a name too long for the queue", id);
		return 111;
	}
	if ((fd = queue_lock(mp)) == -1) {
		if (errno == ENOENT || errno == EBUSY)
			return 0;
		log_warn(errno, "qid=%s unable to open", id);
		return deliver_stuck(id, mp, -1, "unable to open the message");
	}
	if (qenv_read(ep, &e, &flags) == -1) {
		log_warn(errno, "qid=%s unable to read its envelope", id);
		rc = deliver_stuck(id, mp, fd, "unable to read its envelope");
		close(fd);
		return rc;
	}
	memset(&hr, 0, sizeof hr);
	rc = deliver_locked(id, mp, &e, flags, &hr);
	buf_free(&hr.out);
	free(hr.lines);
	free(hr.tmp);
	free(hr.kind);
	free(hr.dr);
	free(hr.st);
	env_free(&e);
	close(fd);   /* the lock, last */
	return rc;
}
