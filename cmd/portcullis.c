/* portcullis: the supervisor.  One long-running process in the
 * foreground, logging to stderr: it binds the listening sockets, drops
 * root, hands each connection to a pre-started smtpd-accept worker
 * (tcpserver's environment, limits in total and per client), runs each
 * message of the incoming stage through the chain of its direction, and
 * hands what passes to relay-out, retrying and bouncing per recipient.
 * All state is in the queue's directories, so a kill -9 at any instant
 * loses nothing: a restart finds the work where it was.  Trusts nothing a connection or a
 * stage sends it; no stage ever runs as root. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "dsn.h"
#include "env.h"
#include "io.h"
#include "log.h"
#include "msg.h"
#include "qenv.h"
#include "queue.h"
#include "sched.h"
#include "serve.h"
#include "spawn.h"
#include "verdict.h"

#define MAX_LISTEN 16
#define DEF_LISTEN "127.0.0.1:2525"

enum kind { K_CONN = 1, K_SCAN, K_DELIVER, K_STAGE };

struct child {
	pid_t pid;
	enum kind kind;
	char  id[QUEUE_ID_MAX];
	char  ip[64];       /* K_CONN: the client of the session it serves */
	int   ctl;          /* K_CONN: our end of its socketpair, or -1 */
	int   busy;         /* K_CONN: serving a session */
	unsigned long uses; /* K_CONN: sessions handed to it */
	time_t idle;        /* K_CONN: idle since; K_STAGE: started at */
	size_t pool;        /* K_STAGE: its pool */
};

/* The resident copies of one stage command line (lib/queue/serve.h): started
 * with --serve, reading jobs from sock[0]; scan workers send on sock[1]. */
struct pool {
	const char       *line;
	struct spawn_argv av;
	int               sock[2];
	unsigned          fails;       /* starts that failed in a row */
	time_t            wait_until;  /* no new start before then */
};

static struct {
	char me[256], user[64], qdir[PATH_MAX];
	struct ctl_list listen, chain_in, chain_out;
	unsigned long maxconn, maxperip, scanconc, delconc, lifetime;
	unsigned long smtpdspare, smtpdmaxuse, smtpdidle, stageworkers;
	unsigned long stagetimeout, retrymin, retrymax, deliverytimeout;
} cf;

static int lfd[MAX_LISTEN];
static size_t nlfd;
static struct child *kids;
static size_t nkids, maxkids;
static struct pool *pools;
static size_t npools;
static int sigpipe_fd[2];
static volatile sig_atomic_t stop;

/* --- small helpers ---------------------------------------------------- */

static int
qpath(char *out, size_t n, const char *stage, const char *sub, const char *id)
{
	int r = id ? snprintf(out, n, "%s/%s/%s/%s", cf.qdir, stage, sub, id) :
	    snprintf(out, n, "%s/%s/%s", cf.qdir, stage, sub);

	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
sync_dir(const char *stage, const char *sub)
{
	char p[PATH_MAX];
	int fd, r;

	if (qpath(p, sizeof p, stage, sub, NULL) == -1 ||
	    (fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static void
unlink_msg(const char *stage, const char *id)
{
	static const char *const sub[] = { "new", "env", "sched" };
	char p[PATH_MAX];
	size_t i;

	/* the message first: an envelope without a message is an orphan
	 * the recovery removes; a message without envelope would be stuck */
	for (i = 0; i < 3; i++)
		if (qpath(p, sizeof p, stage, sub[i], id) == 0)
			unlink(p);
	(void)sync_dir(stage, "new");
}

static char *
rcpt_lines(const struct envelope *e)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < e->nrcpt; i++)
		if (buf_printf(&b, "%s%s", i ? "\n" : "", e->rcpt[i]) == -1)
			return NULL;
	return buf_cstr(&b);
}

static void
set_or_unset(const char *name, const char *v)
{
	if (v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

/* The envelope into the environment of a stage (DESIGN.md). */
static int
export_env(const struct envelope *e)
{
	char *r = rcpt_lines(e);

	if (r == NULL)
		return -1;
	setenv("SENDER", e->sender ? e->sender : "", 1);
	setenv("RECIPIENT", r, 1);
	free(r);
	setenv("DIRECTION", env_dir_name(e->dir), 1);
	set_or_unset("QUEUEID", e->qid);
	set_or_unset("TCPREMOTEIP", e->ip);
	set_or_unset("TCPREMOTEHOST", e->host);
	set_or_unset("HELO", e->helo);
	set_or_unset("TLS", e->tls);
	return 0;
}

/* Put a message into a stage of the queue (tmp, fsync, env, new). */
static int
enqueue(const char *stage, const struct envelope *e, unsigned flags,
    const char *top, size_t toplen, const char *p, size_t n, char *id,
    size_t idn)
{
	struct queue q;
	struct queue_msg m;

	if (queue_init(&q, cf.qdir, stage) == -1 || queue_open(&q, &m) == -1)
		return -1;
	if (queue_write(&m, top, toplen) == -1 || queue_write(&m, p, n) == -1) {
		queue_abort(&m);
		return -1;
	}
	snprintf(id, idn, "%s", m.id);
	return queue_commit(&m, e, flags);
}

/* --- bounces ---------------------------------------------------------- */

/* A DSN for the failed recipients of message file msgpath, to the
 * envelope sender; none to <> (DESIGN.md).  A failed bounce goes to
 * postmaster once, from qmail's double-bounce sender "#@[]". */
static int
bounce(const struct envelope *orig, const char *msgpath,
    const struct dsn_rcpt *r, size_t n, const char *reason)
{
	struct envelope e;
	struct dsn d;
	struct msg m;
	struct buf b = BUF_INIT;
	struct stat st;
	char pm[300], id[QUEUE_ID_MAX];
	char *rcpt[1];
	int rc;

	memset(&e, 0, sizeof e);
	if (strcmp(orig->sender, "#@[]") == 0) {
		log_info("qid=%s bounce dropped: a double bounce failed", orig->qid);
		return 0;
	}
	if (orig->sender[0] == '\0') {
		snprintf(pm, sizeof pm, "postmaster@%s", cf.me);
		rcpt[0] = pm;
		e.sender = "#@[]";
	} else {
		rcpt[0] = orig->sender;
		e.sender = "";
	}
	e.rcpt = rcpt;
	e.nrcpt = 1;
	e.dir = ENV_DIR_OUT;
	e.qid = orig->qid;
	if (msg_read_file(msgpath, 1024 * 1024, &m) == -1)
		return -1;
	memset(&d, 0, sizeof d);
	d.me = cf.me;
	d.to = rcpt[0];
	d.qid = orig->qid;
	d.reason = reason;
	d.arrival = stat(msgpath, &st) == 0 ? st.st_mtime : time(NULL);
	d.hdr = m.raw.p ? m.raw.p + m.hdr_off : "";
	d.hdrlen = m.hdr_len;
	d.r = r;
	d.n = n;
	rc = dsn_format(&d, time(NULL), &b);
	if (rc == 0)
		rc = enqueue("outgoing", &e, 0, "", 0, b.p, b.len, id, sizeof id);
	if (rc == 0)
		log_info("qid=%s bounce=%s to=<%s> rcpts=%zu", orig->qid, id,
		    rcpt[0], n);
	msg_free(&m);
	buf_free(&b);
	return rc;
}

/* --- the chain (a scan worker, in its own process) ---------------------- */

/* The job socket of a stage line's residents when at least one runs (as
 * this scan worker saw it when it was forked); else -1, and the stage is
 * forked and executed for the message as any other program. */
static int
pool_socket(const char *line)
{
	size_t p, i;

	for (p = 0; p < npools; p++)
		if (strcmp(pools[p].line, line) == 0)
			for (i = 0; i < nkids; i++)
				if (kids[i].kind == K_STAGE && kids[i].pool == p)
					return pools[p].sock[1];
	return -1;
}

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
		serve[i] = pool_socket(chain->v[i]);
	for (try = 0; n; try++) {
		if (spawn_pipeline(st, n, in, out, (unsigned)cf.stagetimeout *
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
	if (qpath(p, sizeof p, "incoming", "tmp", NULL) == -1 ||
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

/* Schedule a retry of a message in stage; past queuelifetime, 1. */
static int
retry_later(const char *stage, const char *id, const char *msgpath)
{
	char sp[PATH_MAX];
	struct sched s;
	struct stat st;
	time_t now = time(NULL);

	if (qpath(sp, sizeof sp, stage, "sched", id) == -1)
		return -1;
	if (sched_read(sp, &s) != 0) {
		s.first = stat(msgpath, &st) == 0 ? st.st_mtime : now;
		s.tries = 0;
	}
	s.tries++;
	s.next = now + sched_backoff(s.tries, cf.retrymin, cf.retrymax);
	if ((unsigned long)(now - s.first) > cf.lifetime)
		return 1;
	return sched_write(sp, &s);
}

static int
lock_msg(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	/* a worker of a supervisor that was killed may still be at it */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		errno = EBUSY;
		return -1;
	}
	return fd;
}

static int
scan_one(const char *id)
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

	if (qpath(mp, sizeof mp, "incoming", "new", id) == -1 ||
	    qpath(ep, sizeof ep, "incoming", "env", id) == -1)
		return 111;
	if ((fd = lock_msg(mp)) == -1)
		return errno == ENOENT || errno == EBUSY ? 0 : 111;
	if (qenv_read(ep, &e, &flags) == -1) {
		log_warn(errno, "qid=%s unable to read its envelope", id);
		return 111;
	}
	if (export_env(&e) == -1 || queue_init(&q, cf.qdir, "outgoing") == -1 ||
	    queue_open(&q, &om) == -1) {
		log_warn(errno, "qid=%s unable to open outgoing", id);
		return 111;
	}
	logfd = stage_log_begin(&saved);
	v = run_chain(e.dir == ENV_DIR_OUT ? &cf.chain_out : &cf.chain_in, fd,
	    om.fd, why, sizeof why);
	stage_log_end(logfd, saved, "reject", reason, sizeof reason);
	if (v <= VERDICT_FLAG) {
		if (queue_commit(&om, &e, flags) == -1) {
			log_warn(errno, "qid=%s unable to queue for delivery", id);
			return 111;
		}
		unlink_msg("incoming", id);
		log_info("qid=%s verdict=pass dir=%s out=%s", id,
		    env_dir_name(e.dir), om.id);
		return 0;
	}
	if (v == VERDICT_QUARANTINE) {
		(void)qpath(tp, sizeof tp, "outgoing", "tmp", om.id);
		snprintf(hdr, sizeof hdr, "X-Portcullis-Quarantine: %s\n", why);
		if (slurp(tp, &b) == -1 ||
		    enqueue("quarantine", &e, flags, hdr, strlen(hdr), b.p, b.len,
		    oid, sizeof oid) == -1) {
			log_warn(errno, "qid=%s unable to quarantine", id);
			queue_abort(&om);
			return 111;
		}
		queue_abort(&om);
		unlink_msg("incoming", id);
		log_info("qid=%s verdict=quarantine reason=%s quarantine=%s", id,
		    why, oid);
		return 0;
	}
	queue_abort(&om);
	if (v == VERDICT_TEMPFAIL) {
		if (retry_later("incoming", id, mp) == 0) {
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
	else if (bounce(&e, mp, dr, e.nrcpt, sentence) == -1) {
		log_warn(errno, "qid=%s unable to write the bounce", id);
		return 111;
	}
	else
		log_info("qid=%s verdict=reject reason=%s", id, why);
	unlink_msg("incoming", id);
	return 0;
}

/* --- delivery (a delivery worker, in its own process) ------------------- */

/* relay-out's result lines for e's recipients; -1 for none yet. */
static int
relay(const char *mp, const struct envelope *e, unsigned flags, struct buf *out)
{
	char *argv[] = { "relay-out", NULL };
	int p[2], in, w = 0;
	pid_t pid;
	char chunk[4096];
	ssize_t r;

	if (export_env(e) == -1 || pipe2(p, O_CLOEXEC) == -1)
		return -1;
	set_or_unset("BODY", flags & QUEUE_8BITMIME ? "8BITMIME" : NULL);
	set_or_unset("SMTPUTF8", flags & QUEUE_SMTPUTF8 ? "1" : NULL);
	if ((in = open(mp, O_RDONLY | O_CLOEXEC)) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	alarm((unsigned)cf.deliverytimeout);
	pid = spawn_child(argv, in, p[1]);
	close(in);
	close(p[1]);
	while ((r = io_read_some(p[0], chunk, sizeof chunk)) > 0)
		if (out->len < 1024 * 1024)
			buf_add(out, chunk, (size_t)r);
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &w, 0);
	alarm(0);
	return 0;
}

static int
rewrite_env(const char *id, const struct envelope *e, unsigned flags)
{
	char ep[PATH_MAX], tp[PATH_MAX];
	struct buf b = BUF_INIT;
	int fd, rc = -1;

	if (qpath(ep, sizeof ep, "outgoing", "env", id) == -1 ||
	    qpath(tp, sizeof tp, "outgoing", "tmp", id) == -1 ||
	    queue_env_format(e, e->qid ? e->qid : id, flags, &b) == -1)
		goto out;
	strncat(tp, ".env", sizeof tp - strlen(tp) - 1);
	if ((fd = open(tp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		goto out;
	if (io_write_all(fd, b.p, b.len) == -1 || fsync(fd) == -1) {
		close(fd);
		unlink(tp);
		goto out;
	}
	close(fd);
	rc = rename(tp, ep) == -1 ? -1 : sync_dir("outgoing", "env");
out:
	buf_free(&b);
	return rc;
}

static int
deliver_one(const char *id)
{
	char mp[PATH_MAX], ep[PATH_MAX], st[16][16];
	struct envelope e;
	struct buf out = BUF_INIT;
	struct dsn_rcpt *dr;
	char **left, **lines;
	size_t i, nl = 0, ndr = 0, nleft = 0;
	unsigned flags;
	char *p, *save;
	int fd, exp;

	if (qpath(mp, sizeof mp, "outgoing", "new", id) == -1 ||
	    qpath(ep, sizeof ep, "outgoing", "env", id) == -1)
		return 111;
	if ((fd = lock_msg(mp)) == -1)
		return errno == ENOENT || errno == EBUSY ? 0 : 111;
	if (qenv_read(ep, &e, &flags) == -1) {
		log_warn(errno, "qid=%s unable to read its envelope", id);
		return 111;
	}
	if (relay(mp, &e, flags, &out) == -1) {
		log_warn(errno, "qid=%s unable to run relay-out", id);
		return 111;
	}
	lines = calloc(e.nrcpt + 1, sizeof *lines);
	dr = calloc(e.nrcpt + 1, sizeof *dr);
	left = calloc(e.nrcpt + 1, sizeof *left);
	if (lines == NULL || dr == NULL || left == NULL)
		return 111;
	for (p = strtok_r(out.p ? out.p : (char[]){ 0 }, "\n", &save); p && nl < e.nrcpt;
	    p = strtok_r(NULL, "\n", &save))
		lines[nl++] = p;
	exp = retry_later("outgoing", id, mp) == 1;
	for (i = 0; i < e.nrcpt; i++) {
		/* "K ADDR REPLY"; a missing line is a temporary failure */
		char *l = i < nl ? lines[i] : NULL, *rep;
		rep = l ? strchr(l + 2, ' ') : NULL;
		rep = rep ? rep + 1 : (char *)"451 4.3.0 no result from relay-out";
		if (l && l[0] == 'r')
			continue;
		if ((l && l[0] == 'h') || exp) {
			dr[ndr].addr = e.rcpt[i];
			dsn_status_of(rep, st[ndr % 16], sizeof st[0]);
			if (exp && !(l && l[0] == 'h'))
				snprintf(st[ndr % 16], sizeof st[0], "4.4.7");
			dr[ndr].status = st[ndr % 16];
			dr[ndr++].diag = rep;
			continue;
		}
		left[nleft++] = e.rcpt[i];
	}
	if (ndr && bounce(&e, mp, dr, ndr, exp ? "Delivery was tried for the "
	    "queue lifetime without success." : NULL) == -1) {
		log_warn(errno, "qid=%s unable to write the bounce", id);
		return 111;   /* everything is retried: may deliver twice */
	}
	if (nleft) {
		e.rcpt = left;
		e.nrcpt = nleft;
		if (rewrite_env(id, &e, flags) == -1) {
			log_warn(errno, "qid=%s unable to rewrite its envelope", id);
			return 111;
		}
		log_info("qid=%s delivery=deferred left=%zu bounced=%zu", id,
		    nleft, ndr);
		return 0;
	}
	unlink_msg("outgoing", id);
	log_info("qid=%s delivery=done bounced=%zu", id, ndr);
	return 0;
}

/* --- the supervisor's own loop ------------------------------------------ */

static void
on_signal(int sig)
{
	int e = errno;

	if (sig == SIGTERM || sig == SIGINT)
		stop = 1;
	(void)!write(sigpipe_fd[1], "x", 1);
	errno = e;
}

static int
add_kid(pid_t pid, enum kind k, const char *id, const char *ip)
{
	struct child *c;

	if (nkids == maxkids) {
		size_t n = maxkids ? maxkids * 2 : 64;
		if ((c = reallocarray(kids, n, sizeof *c)) == NULL)
			return -1;
		kids = c;
		maxkids = n;
	}
	c = &kids[nkids++];
	memset(c, 0, sizeof *c);
	c->pid = pid;
	c->kind = k;
	c->ctl = -1;
	c->idle = time(NULL);
	snprintf(c->id, sizeof c->id, "%s", id ? id : "");
	snprintf(c->ip, sizeof c->ip, "%s", ip ? ip : "");
	return 0;
}

static size_t
count(enum kind k, const char *id, const char *ip)
{
	size_t i, n = 0;

	for (i = 0; i < nkids; i++)
		if (kids[i].kind == k && (!id || strcmp(kids[i].id, id) == 0) &&
		    (!ip || strcmp(kids[i].ip, ip) == 0))
			n++;
	return n;
}

/* Sessions being served, in total or (ip) from one client. */
static size_t
busy(const char *ip)
{
	size_t i, n = 0;

	for (i = 0; i < nkids; i++)
		if (kids[i].kind == K_CONN && kids[i].busy &&
		    (!ip || strcmp(kids[i].ip, ip) == 0))
			n++;
	return n;
}

/* A resident left: a normal end (its uses, its age, a changed control
 * file) or a kill (a scan worker's, for time) is replaced at once; one
 * that failed within a few seconds of its start, by an exit status or a
 * crash, is tried again later and later, its stage forked and executed
 * for each message meanwhile. */
static void
stage_gone(const struct child *c, int w)
{
	struct pool *p = &pools[c->pool];
	time_t now = time(NULL);
	long delay;

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
}

static void
reap(void)
{
	pid_t pid;
	size_t i;
	int w;

	while ((pid = waitpid(-1, &w, WNOHANG)) > 0)
		for (i = 0; i < nkids; i++)
			if (kids[i].pid == pid) {
				if (kids[i].ctl != -1)
					close(kids[i].ctl);
				if (kids[i].kind == K_STAGE)
					stage_gone(&kids[i], w);
				else if (kids[i].kind != K_CONN && !(WIFEXITED(w) &&
				    WEXITSTATUS(w) == 0))
					log_warn(0, "qid=%s %s worker failed (status %d)",
					    kids[i].id, kids[i].kind == K_SCAN ? "scan" :
					    "delivery", w);
				kids[i] = kids[--nkids];
				break;
			}
}

/* Start a worker process for id. */
static void
start_worker(enum kind k, const char *id)
{
	pid_t pid = fork();

	if (pid == 0) {
		size_t i;
		for (i = 0; i < nlfd; i++)
			close(lfd[i]);
		/* a worker's end of file is its signal to leave */
		for (i = 0; i < nkids; i++)
			if (kids[i].ctl != -1)
				close(kids[i].ctl);
		/* only residents hold their end of a job socket: when the
		 * last of them is gone (we were killed, say), what we send
		 * fails or comes back unanswered, rather than waiting for
		 * the stage timeout */
		for (i = 0; i < npools; i++)
			close(pools[i].sock[0]);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		_exit(k == K_SCAN ? scan_one(id) : deliver_one(id));
	}
	if (pid > 0)
		add_kid(pid, k, id, NULL);
}

/* Whether a worker we did not start (one of a supervisor that was killed)
 * still has the message: it would take a place among our workers only to
 * find the lock taken, and the same few would take them all again. */
static int
held_elsewhere(const char *stage, const char *id)
{
	char p[PATH_MAX];
	int fd, held;

	if (qpath(p, sizeof p, stage, "new", id) == -1 ||
	    (fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	held = flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Start workers for the due messages of a stage, up to the limit. */
static void
run_stage(const char *stage, enum kind k, unsigned long limit)
{
	char p[PATH_MAX], sp[PATH_MAX];
	struct dirent *de;
	struct sched s;
	time_t now = time(NULL);
	DIR *d;

	if (count(k, NULL, NULL) >= limit ||
	    qpath(p, sizeof p, stage, "new", NULL) == -1 ||
	    (d = opendir(p)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && count(k, NULL, NULL) < limit) {
		if (de->d_name[0] == '.' || count(k, de->d_name, NULL))
			continue;
		if (qpath(sp, sizeof sp, stage, "sched", de->d_name) == 0 &&
		    sched_read(sp, &s) == 0 && s.next > now)
			continue;
		if (held_elsewhere(stage, de->d_name))
			continue;
		start_worker(k, de->d_name);
	}
	closedir(d);
}

/* --- the pool of smtpd-accept workers -----------------------------------
 * Connections are served by pre-started smtpd-accept -w processes, as
 * Postfix's master keeps its smtpd processes: a fork and exec per
 * connection costs more than the whole SMTP session of a small message.
 * Each worker has a socketpair to us; we accept, keep the limits in total
 * and per client, and hand the socket over with SCM_RIGHTS and the
 * addresses as text.  The worker writes "d" when the session is over.
 * A worker serves at most control/smtpdmaxuse sessions (1: a fresh
 * process for every connection, still started ahead of time), and idle
 * workers beyond control/smtpdspare leave after control/smtpdidle
 * seconds. */

/* Start one worker; its index in kids, or -1. */
static int
spawn_smtpd(void)
{
	char use[32];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn(errno, "unable to start smtpd-accept");
		return -1;
	}
	snprintf(use, sizeof use, "%lu", cf.smtpdmaxuse);
	if ((pid = fork()) == 0) {
		char *argv[] = { "smtpd-accept", "-w", use, NULL };
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		/* dup2 onto itself would keep close-on-exec */
		if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) == -1 : dup2(sv[1], 3) == -1)
			_exit(111);
		execvp(argv[0], argv);
		_exit(111);
	}
	close(sv[1]);
	if (pid == -1 || add_kid(pid, K_CONN, NULL, NULL) == -1) {
		log_warn(errno, "unable to start smtpd-accept");
		close(sv[0]);
		return -1;
	}
	kids[nkids - 1].ctl = sv[0];
	return (int)(nkids - 1);
}

/* Keep control/smtpdspare idle workers ready; let those idle too long go
 * (closing our end is their signal to leave). */
static void
tend_pool(void)
{
	size_t i, idle = 0, all = 0;
	time_t now = time(NULL);

	for (i = 0; i < nkids; i++)
		if (kids[i].kind == K_CONN && kids[i].ctl != -1) {
			all++;
			if (kids[i].busy)
				continue;
			if (++idle > cf.smtpdspare && now - kids[i].idle >
			    (time_t)cf.smtpdidle) {
				close(kids[i].ctl);
				kids[i].ctl = -1;
				idle--;
				all--;
			}
		}
	while (idle < cf.smtpdspare && all < cf.maxconn + cf.smtpdspare &&
	    spawn_smtpd() != -1) {
		idle++;
		all++;
	}
}

/* --- resident stages (lib/queue/serve.h) ------------------------------------
 * Our own stages judge message after message as their batch mode does;
 * control/stageworkers copies of each (default: concurrencyscan, so that
 * every scan worker finds one of each free) keep their rules and
 * databases loaded.  A stage line of any other program, or with
 * stageworkers 0, is forked and executed per message as before. */

static int
resident_capable(const struct spawn_argv *a)
{
	static const char *const ours[] = { "header-strip", "spoof-check",
		"filetype-check", "spam-score", "dnsbl-check", NULL };
	const char *b = strrchr(a->v[0], '/');
	size_t i;

	b = b ? b + 1 : a->v[0];
	for (i = 0; ours[i]; i++)
		if (strcmp(b, ours[i]) == 0)
			return a->n < SPAWN_MAX_ARGS;
	return 0;
}

static void
pool_add(const char *line)
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
	if (spawn_split(line, &p->av) == -1)
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

static void
pools_init(void)
{
	size_t i;

	if (cf.stageworkers == 0)
		return;
	for (i = 0; i < cf.chain_in.n; i++)
		pool_add(cf.chain_in.v[i]);
	for (i = 0; i < cf.chain_out.n; i++)
		pool_add(cf.chain_out.v[i]);
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
		/* a resident does not outlive us */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
			_exit(111);
		if (p->sock[0] == SERVE_FD ? fcntl(SERVE_FD, F_SETFD, 0) == -1 :
		    dup2(p->sock[0], SERVE_FD) == -1)
			_exit(111);
		execvp(p->av.v[0], p->av.v);
		_exit(111);
	}
	if (pid == -1 || add_kid(pid, K_STAGE, NULL, NULL) == -1) {
		log_warn(errno, "unable to start resident %s", p->line);
		p->wait_until = time(NULL) + 5;
		return;
	}
	kids[nkids - 1].pool = k;
}

static void
tend_stages(void)
{
	time_t now = time(NULL);
	size_t k, i, n;

	for (k = 0; k < npools; k++) {
		if (now < pools[k].wait_until)
			continue;
		for (n = i = 0; i < nkids; i++)
			n += kids[i].kind == K_STAGE && kids[i].pool == k;
		while (n++ < cf.stageworkers && now >= pools[k].wait_until)
			spawn_stage(k);
	}
}

/* A worker wrote on its socketpair: "d" per finished session, "q" after
 * its last one; end of file when it leaves. */
static void
from_worker(int fd)
{
	char b[16];
	ssize_t n;
	size_t i;

	for (i = 0; i < nkids; i++)
		if (kids[i].kind == K_CONN && kids[i].ctl == fd)
			break;
	if (i == nkids)
		return;
	n = read(fd, b, sizeof b);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	kids[i].busy = 0;
	kids[i].ip[0] = '\0';
	kids[i].idle = time(NULL);
	if (n <= 0 || memchr(b, 'q', (size_t)n) != NULL ||
	    kids[i].uses >= cf.smtpdmaxuse) {
		close(fd);
		kids[i].ctl = -1;
	}
}

/* Hand the connection to worker i; -1 when it is gone. */
static int
hand_over(size_t i, int fd, const char *ip, const char *port, const char *lip,
    const char *lport)
{
	char data[4 * 64];
	int n = snprintf(data, sizeof data, "%s %s %s %s", ip, port, lip, lport);

	if (n < 0 || (size_t)n >= sizeof data)
		return -1;
	if (io_send_fds(kids[i].ctl, data, (size_t)n, &fd, 1,
	    MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		close(kids[i].ctl);
		kids[i].ctl = -1;
		return -1;
	}
	kids[i].busy = 1;
	kids[i].uses++;
	/* numeric addresses: at most INET6_ADDRSTRLEN plus a scope */
	snprintf(kids[i].ip, sizeof kids[i].ip, "%.*s",
	    (int)sizeof kids[i].ip - 1, ip);
	return 0;
}

/* One connection: to an idle worker, or a new one. */
static void
accept_one(int l)
{
	struct sockaddr_storage ss, ls;
	socklen_t sl = sizeof ss, ll = sizeof ls;
	char ip[NI_MAXHOST], port[NI_MAXSERV], lip[NI_MAXHOST], lport[NI_MAXSERV];
	static const char busy_msg[] = "421 4.7.0 Too many connections, try later\r\n";
	int fd = accept4(l, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	size_t i, tries;
	int w;

	if (fd == -1)
		return;
	getsockname(fd, (struct sockaddr *)&ls, &ll);
	if (getnameinfo((struct sockaddr *)&ss, sl, ip, sizeof ip, port, sizeof port,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0 ||
	    getnameinfo((struct sockaddr *)&ls, ll, lip, sizeof lip, lport,
	    sizeof lport, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		close(fd);
		return;
	}
	if (busy(NULL) >= cf.maxconn || busy(ip) >= cf.maxperip) {
		(void)!write(fd, busy_msg, sizeof busy_msg - 1);
		log_info("ip=%s refused: too many connections", ip);
		close(fd);
		return;
	}
	for (tries = 0; tries < 3; tries++) {
		for (i = 0, w = -1; i < nkids && w == -1; i++)
			if (kids[i].kind == K_CONN && !kids[i].busy &&
			    kids[i].ctl != -1)
				w = (int)i;
		if (w == -1 && (w = spawn_smtpd()) == -1)
			break;
		if (hand_over((size_t)w, fd, ip, port, lip, lport) == 0) {
			close(fd);
			return;
		}
	}
	(void)!write(fd, "421 4.3.0 Try again later\r\n", 27);
	log_warn(0, "ip=%s refused: no smtpd-accept worker", ip);
	close(fd);
}

/* Bind every ADDRESS:PORT of control/listen ("[v6]:port" for IPv6). */
static int
listen_all(void)
{
	struct addrinfo hints, *ai;
	size_t i;
	int one = 1;

	for (i = 0; i < cf.listen.n && nlfd < MAX_LISTEN; i++) {
		char host[256], *c, *h = host;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char ip[NI_MAXHOST], port[NI_MAXSERV];
		int fd;
		snprintf(host, sizeof host, "%s", cf.listen.v[i]);
		if ((c = strrchr(host, ':')) == NULL) {
			log_fatal(0, "control/listen line %u: not ADDRESS:PORT",
			    cf.listen.lineno[i]);
			return -1;
		}
		*c++ = '\0';
		if (*h == '[' && h[strlen(h) - 1] == ']') {
			h++;
			h[strlen(h) - 1] = '\0';
		}
		memset(&hints, 0, sizeof hints);
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
		if (getaddrinfo(h, c, &hints, &ai) != 0) {
			log_fatal(0, "control/listen line %u: bad address",
			    cf.listen.lineno[i]);
			return -1;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, 128) == -1) {
			log_fatal(errno, "unable to listen on %s", cf.listen.v[i]);
			freeaddrinfo(ai);
			return -1;
		}
		freeaddrinfo(ai);
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		getnameinfo((struct sockaddr *)&ss, sl, ip, sizeof ip, port,
		    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
		log_info("listening on %s port %s", ip, port);
		lfd[nlfd++] = fd;
	}
	return 0;
}

/* Make the queue directory the user's, so that a fresh install (or make
 * run as root) works; then give up root for good. */
static int
drop_root(void)
{
	struct passwd *pw;
	static const char *const stage[] = { "", "/incoming", "/outgoing",
		"/quarantine" };
	char p[PATH_MAX];
	size_t i;

	if (getuid() != 0 && geteuid() != 0)
		return 0;
	if ((pw = getpwnam(cf.user)) == NULL) {
		log_fatal(0, "control/user: no user %s", cf.user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_fatal(0, "control/user: %s is root; no stage may run as root",
		    cf.user);
		return -1;
	}
	for (i = 0; i < sizeof stage / sizeof stage[0]; i++) {
		if ((size_t)snprintf(p, sizeof p, "%s%s", cf.qdir, stage[i]) >= sizeof p)
			return -1;
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			log_fatal(errno, "unable to create %s", p);
			return -1;
		}
		if (chown(p, pw->pw_uid, pw->pw_gid) == -1) {
			log_fatal(errno, "unable to give %s to %s", p, cf.user);
			return -1;
		}
	}
	if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1 || setuid(0) == 0) {
		log_fatal(errno, "unable to drop root to %s", cf.user);
		return -1;
	}
	log_info("running as %s (uid %ld)", cf.user, (long)pw->pw_uid);
	return 0;
}

/* Remove the files of a folder older than age seconds (0: all). */
static size_t
clean_dir(const char *stage, const char *sub, time_t age, int orphan_env)
{
	char p[PATH_MAX], f[PATH_MAX + 300], np[PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	size_t n = 0;
	DIR *d;

	if (qpath(p, sizeof p, stage, sub, NULL) == -1 || (d = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(f, sizeof f, "%s/%s", p, de->d_name);
		if (stat(f, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (age && now - st.st_mtime < age))
			continue;
		/* an envelope is an orphan only when its message is gone */
		if (orphan_env && (qpath(np, sizeof np, stage, "new", de->d_name) == -1 ||
		    access(np, F_OK) == 0))
			continue;
		if (unlink(f) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* What a crash left: half-written files in tmp/ (never acknowledged),
 * envelopes whose message never reached new/.  smtpd-accept processes
 * of a killed supervisor may still be writing into incoming/tmp, so only
 * old files go there; outgoing and quarantine are ours alone. */
static void
recover(int all)
{
	size_t n = 0;

	n += clean_dir("incoming", "tmp", 3600, 0);
	n += clean_dir("incoming", "env", 3600, 1);
	n += clean_dir("outgoing", "tmp", all ? 0 : 3600, 0);
	n += clean_dir("outgoing", "env", 3600, 1);
	n += clean_dir("quarantine", "tmp", all ? 0 : 3600, 0);
	if (n)
		log_info("recovery: removed %zu leftover files", n);
}

static void
mkstage(const char *stage)
{
	static const char *const sub[] = { "tmp", "new", "cur", "env", "sched" };
	char p[PATH_MAX];
	size_t i;

	mkdir(cf.qdir, 0700);
	if (qpath(p, sizeof p, stage, ".", NULL) == 0)
		mkdir(p, 0700);
	for (i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (qpath(p, sizeof p, stage, sub[i], NULL) == 0)
			mkdir(p, 0700);
}

/* The default chains: the filters that exist, each later one added. */
static const char *const def_in[] = { "header-strip --direction in",
	"spoof-check -a", "filetype-check -a", "spam-score -a", NULL };
static const char *const def_out[] = { "spoof-check -a", "filetype-check -a",
	"spam-score -a", "header-strip --direction out", NULL };

static int
chain_default(struct ctl_list *l, const char *const *cmd)
{
	size_t n;

	for (n = 0; cmd[n]; n++)
		;
	if ((l->v = calloc(n, sizeof *l->v)) == NULL ||
	    (l->lineno = calloc(n, sizeof *l->lineno)) == NULL)
		return -1;
	for (l->n = 0; l->n < n; l->n++)
		if ((l->v[l->n] = strdup(cmd[l->n])) == NULL)
			return -1;
	return 0;
}

static int
config(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	static const struct {
		const char *name;
		unsigned long *v, def, min, max;
	} num[] = {
		{ "maxconnections", &cf.maxconn, 100, 1, 100000 },
		{ "maxperip", &cf.maxperip, 10, 1, 100000 },
		{ "concurrencyremote", &cf.delconc, 20, 1, 10000 },
		{ "queuelifetime", &cf.lifetime, 432000, 1, 31536000 },
		{ "timeoutstage", &cf.stagetimeout, 300, 1, 86400 },
		{ "retrymin", &cf.retrymin, 300, 1, 86400 },
		{ "retrymax", &cf.retrymax, 14400, 1, 604800 },
		{ "timeoutdelivery", &cf.deliverytimeout, 3600, 1, 86400 },
		{ "smtpdspare", &cf.smtpdspare, 2, 0, 1000 },
		{ "smtpdmaxuse", &cf.smtpdmaxuse, 100, 1, 1000000 },
		{ "smtpdidle", &cf.smtpdidle, 60, 1, 86400 },
	};
	size_t i;

	for (i = 0; i < sizeof num / sizeof num[0]; i++)
		if (ctl_ulong(num[i].name, num[i].def, num[i].min, num[i].max,
		    num[i].v) == -1) {
			log_fatal(errno, "unable to read control/%s", num[i].name);
			return -1;
		}
	if (ctl_ulong("concurrencyscan", ncpu > 0 ? (unsigned long)ncpu : 2, 0,
	    10000, &cf.scanconc) == -1 ||
	    ctl_ulong("stageworkers", cf.scanconc, 0, 1000, &cf.stageworkers) == -1 ||
	    ctl_me(cf.me, sizeof cf.me) == -1 ||
	    ctl_string("user", "nobody", cf.user, sizeof cf.user) == -1 ||
	    ctl_lines("listen", &cf.listen) == -1 ||
	    ctl_lines("chain.in", &cf.chain_in) == -1 ||
	    ctl_lines("chain.out", &cf.chain_out) == -1) {
		log_fatal(errno, "unable to read the control files");
		return -1;
	}
	if ((cf.chain_in.path[0] == '\0' &&
	    chain_default(&cf.chain_in, def_in) == -1) ||
	    (cf.chain_out.path[0] == '\0' &&
	    chain_default(&cf.chain_out, def_out) == -1))
		return -1;
	if (cf.listen.n == 0 && (cf.listen.v = calloc(1, sizeof *cf.listen.v)) &&
	    (cf.listen.lineno = calloc(1, sizeof *cf.listen.lineno)) &&
	    (cf.listen.v[0] = strdup(DEF_LISTEN)))
		cf.listen.n = 1;
	return 0;
}

/* Stages are found beside our own executable first, then on PATH. */
static void
set_path(void)
{
	char self[PATH_MAX], *s, p[PATH_MAX * 2];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	const char *old = getenv("PATH");

	if (n <= 0)
		return;
	self[n] = '\0';
	if ((s = strrchr(self, '/')) != NULL)
		*s = '\0';
	snprintf(p, sizeof p, "%s:%s", self, old ? old : "/usr/bin:/bin");
	setenv("PATH", p, 1);
}

static void
loop(void)
{
	struct pollfd *pf = NULL, *t;
	size_t i, n, cap = 0;
	time_t last_clean = time(NULL);
	char x[64];

	while (!stop) {
		run_stage("incoming", K_SCAN, cf.scanconc);
		run_stage("outgoing", K_DELIVER, cf.delconc);
		tend_pool();
		tend_stages();
		/* the listeners, our signal pipe, and every worker's socketpair */
		if (cap < nlfd + 1 + nkids) {
			if ((t = reallocarray(pf, nlfd + 1 + nkids + 16,
			    sizeof *pf)) == NULL) {
				sleep(1);
				continue;
			}
			pf = t;
			cap = nlfd + 1 + nkids + 16;
		}
		for (n = 0; n < nlfd; n++) {
			pf[n].fd = lfd[n];
			pf[n].events = POLLIN;
		}
		pf[n].fd = sigpipe_fd[0];
		pf[n++].events = POLLIN;
		for (i = 0; i < nkids; i++)
			if (kids[i].kind == K_CONN && kids[i].ctl != -1) {
				pf[n].fd = kids[i].ctl;
				pf[n++].events = POLLIN;
			}
		if (poll(pf, n, 1000) == -1 && errno != EINTR)
			break;
		if (pf[nlfd].revents & POLLIN)
			while (read(sigpipe_fd[0], x, sizeof x) > 0)
				;
		for (i = nlfd + 1; i < n; i++)
			if (pf[i].revents)
				from_worker(pf[i].fd);
		reap();
		for (i = 0; i < nlfd; i++)
			if (pf[i].revents & POLLIN)
				accept_one(lfd[i]);
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
	int ch;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "C:Q:")) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch == 'Q')
			setenv("PORTCULLIS_QUEUE", optarg, 1);
		else {
			log_fatal(0, "usage: portcullis [-C controldir] [-Q queuedir]");
			return EXIT_TEMP;
		}
	}
	/* every stage reads the same control directory and queue */
	setenv("PORTCULLIS_CONTROL", ctl_dir(), 1);
	snprintf(cf.qdir, sizeof cf.qdir, "%s", queue_dir_default(NULL));
	setenv("PORTCULLIS_QUEUE", cf.qdir, 1);
	set_path();
	if (config() == -1 || listen_all() == -1 || drop_root() == -1)
		return EXIT_TEMP;
	mkstage("incoming");
	mkstage("outgoing");
	mkstage("quarantine");
	pools_init();
	recover(1);
	if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) == -1)
		return EXIT_TEMP;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("started: queue %s, control %s, me %s", cf.qdir, ctl_dir(), cf.me);
	loop();
	log_info("stopping");
	for (size_t i = 0; i < nkids; i++)
		if (kids[i].kind == K_STAGE)
			kill(kids[i].pid, SIGTERM);
	return 0;
}
