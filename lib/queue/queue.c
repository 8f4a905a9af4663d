/* queue: write one message and its envelope into a queue stage (see
 * queue.h).  Runs as the gateway's unprivileged user; trusts nothing of the
 * envelope it is given beyond its being strings: control bytes are replaced
 * so that one value can never become two lines of the envelope file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "queue.h"

/* The queue directory: the -Q override, else $PORTCULLIS_QUEUE, else the
 * default. */
const char *
queue_dir_default(const char *override)
{
	const char *d = override;

	if (d == NULL || *d == '\0')
		d = getenv("PORTCULLIS_QUEUE");
	return d && *d ? d : QUEUE_DEFAULT_DIR;
}

/* Set up q for one stage of the queue in dir (NULL: the default). */
int
queue_init(struct queue *q, const char *dir, const char *stage)
{
	dir = queue_dir_default(dir);
	if ((size_t)snprintf(q->dir, sizeof q->dir, "%s", dir) >= sizeof q->dir ||
	    (size_t)snprintf(q->stage, sizeof q->stage, "%s", stage) >=
	    sizeof q->stage || strchr(stage, '/') != NULL || stage[0] == '\0') {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* A queue id unique on this host, maildir-style: seconds, microseconds,
 * process id and a per-process counter ("1764000000.M123456P4242Q1").
 * Only [0-9A-Z.] so that it is safe as a file name and in a log line. */
int
queue_new_id(char *out, size_t n)
{
	static unsigned long counter;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	if ((size_t)snprintf(out, n, "%lld.M%06ldP%ldQ%lu", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++counter) >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
path(char *out, size_t n, const struct queue *q, const char *sub,
    const char *id)
{
	int r;

	if (id)
		r = snprintf(out, n, "%s/%s/%s/%s", q->dir, q->stage, sub, id);
	else if (sub)
		r = snprintf(out, n, "%s/%s/%s", q->dir, q->stage, sub);
	else
		r = snprintf(out, n, "%s/%s", q->dir, q->stage);
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
mkdir_private(const char *p)
{
	return mkdir(p, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

/* Create the queue directory and the stage's tmp, new, cur, env and sched
 * when they are missing: the one place that knows a stage's folders.
 * cur/ is never used by portcullis, but mail readers (mutt) only open a
 * maildir that has it. */
const char *const queue_sub[] = { "tmp", "new", "cur", "env", "sched", NULL };

static int
make_dirs(const struct queue *q)
{
	const char *const *sub = queue_sub;
	char p[PATH_MAX];
	size_t i;

	if (mkdir_private(q->dir) == -1)
		return -1;
	if (path(p, sizeof p, q, NULL, NULL) == -1 || mkdir_private(p) == -1)
		return -1;
	for (i = 0; sub[i]; i++)
		if (path(p, sizeof p, q, sub[i], NULL) == -1 ||
		    mkdir_private(p) == -1)
			return -1;
	return 0;
}

/* fsync a directory, so that a rename in it survives a power cut. */
static int
sync_dir(const struct queue *q, const char *sub)
{
	char p[PATH_MAX];
	int fd, r, e;

	if (path(p, sizeof p, q, sub, NULL) == -1)
		return -1;
	if ((fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* Start a message: a new id and tmp/ID created exclusively, 0640: the
 * door writes incoming/ under a uid of its own and the supervisor reads
 * it through the queue's group (portcullis(7), PRIVILEGES). */
int
queue_open(const struct queue *q, struct queue_msg *m)
{
	char p[PATH_MAX];
	int tries, made = 0;

	memset(m, 0, sizeof *m);
	m->fd = -1;
	m->q = q;
	for (tries = 0; tries < 100; tries++) {
		if (queue_new_id(m->id, sizeof m->id) == -1 ||
		    path(p, sizeof p, q, "tmp", m->id) == -1)
			return -1;
		m->fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
		    0640);
		if (m->fd >= 0)
			return 0;
		if (errno == ENOENT && !made) {
			if (make_dirs(q) == -1)
				return -1;
			made = 1;
			continue;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* Start a message under a given id (the id it had in an earlier stage,
 * so that one id names it from the door to its delivery): tmp/ID created
 * afresh, a leftover of a crash in this very step removed first. */
int
queue_open_as(const struct queue *q, struct queue_msg *m, const char *id)
{
	char p[PATH_MAX];
	int made = 0;

	memset(m, 0, sizeof *m);
	m->fd = -1;
	m->q = q;
	if (strchr(id, '/') != NULL || id[0] == '.' ||
	    (size_t)snprintf(m->id, sizeof m->id, "%s", id) >= sizeof m->id) {
		errno = EINVAL;
		return -1;
	}
	if (path(p, sizeof p, q, "tmp", m->id) == -1)
		return -1;
	for (;;) {
		(void)unlink(p);
		m->fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
		    0640);
		if (m->fd >= 0)
			return 0;
		if (errno != ENOENT || made || make_dirs(q) == -1)
			return -1;
		made = 1;
	}
}

int
queue_write(struct queue_msg *m, const void *p, size_t n)
{
	if (m->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (io_write_all(m->fd, p, n) == -1)
		return -1;
	m->bytes += n;
	return 0;
}

/* One envelope line: the letter and the value with every control byte
 * (CR and LF above all) replaced by '?'. */
static int
env_line(struct buf *b, int letter, const char *v)
{
	const unsigned char *s = (const unsigned char *)(v ? v : "");

	if (buf_addc(b, letter) == -1)
		return -1;
	for (; *s; s++)
		if (buf_addc(b, *s < 0x20 || *s == 0x7f ? '?' : *s) == -1)
			return -1;
	return buf_addc(b, '\n');
}

/* The envelope file's bytes (portcullis-queue(5)): Q id, D direction,
 * I client address, R its name, H HELO, S TLS, B and U for what the
 * message needs of the next hop, F sender, T each recipient; F and the T
 * lines last, so a reader can stop early. */
int
queue_env_format(const struct envelope *e, const char *id, unsigned flags,
    struct buf *b)
{
	size_t i;

	if (env_line(b, 'Q', id) == -1 ||
	    env_line(b, 'D', e->dir == ENV_DIR_OUT ? "out" : "in") == -1)
		return -1;
	if (e->ip && env_line(b, 'I', e->ip) == -1)
		return -1;
	if (e->host && env_line(b, 'R', e->host) == -1)
		return -1;
	if (e->helo && env_line(b, 'H', e->helo) == -1)
		return -1;
	if (e->tls && *e->tls && env_line(b, 'S', e->tls) == -1)
		return -1;
	if ((flags & QUEUE_8BITMIME) && env_line(b, 'B', "8BITMIME") == -1)
		return -1;
	if ((flags & QUEUE_SMTPUTF8) && env_line(b, 'U', "") == -1)
		return -1;
	if ((flags & (QUEUE_JUDGED | QUEUE_HOLD)) && env_line(b, 'J',
	    flags & QUEUE_HOLD ? "quarantine" : "pass") == -1)
		return -1;
	if (env_line(b, 'F', e->sender) == -1)
		return -1;
	for (i = 0; i < e->nrcpt; i++)
		if (env_line(b, 'T', e->rcpt[i]) == -1)
			return -1;
	return 0;
}

/* Write a whole file under tmp/ and sync it (never through a link a
 * stranger planted: O_EXCL refuses an existing name, links included). */
static int
write_synced(const char *p, const void *data, size_t n)
{
	int fd, e;

	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
	    0640)) == -1)
		return -1;
	if (io_write_all(fd, data, n) == -1 || fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(p);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* rename, creating the target directory once if it went missing. */
static int
rename_into(const struct queue *q, const char *from, const char *to)
{
	if (rename(from, to) == 0)
		return 0;
	if (errno != ENOENT || make_dirs(q) == -1)
		return -1;
	return rename(from, to);
}

/* The one envelope writer: env/ID written as tmp/ID.env, synced, renamed
 * over env/ID and env/ synced, so that a crash leaves the old envelope or
 * the new one, never a torn one. */
static int
env_write(const struct queue *q, const char *id, const char *qid,
    const struct envelope *e, unsigned flags)
{
	char tenv[PATH_MAX], nenv[PATH_MAX], envid[QUEUE_ID_MAX + 8];
	struct buf b = BUF_INIT;
	int err, rc = -1;

	snprintf(envid, sizeof envid, "%s.env", id);
	if (path(tenv, sizeof tenv, q, "tmp", envid) == -1 ||
	    path(nenv, sizeof nenv, q, "env", id) == -1 ||
	    queue_env_format(e, qid, flags, &b) == -1)
		goto out;
	unlink(tenv);   /* a leftover of a crash in this very rewrite */
	if (write_synced(tenv, b.p, b.len) == -1)
		goto out;
	if (rename_into(q, tenv, nenv) == -1) {
		err = errno;
		unlink(tenv);
		errno = err;
		goto out;
	}
	rc = sync_dir(q, "env");
out:
	err = errno;
	buf_free(&b);
	errno = err;
	return rc;
}

/* Finish a message: sync it, write and sync its envelope as env/ID, then
 * rename the message into new/ and sync new/.  Only after 0 may the
 * caller acknowledge the message.  On failure nothing is left in new/
 * nor env/, and the tmp file is removed. */
int
queue_commit(struct queue_msg *m, const struct envelope *e, unsigned flags)
{
	return queue_commit_into(m, NULL, e, flags);
}

/* queue_commit into another stage of the same queue (NULL: the message's
 * own): written in this stage's tmp/, the envelope and the message land
 * in the other's env/ and new/, with the same syncs, so that a message
 * judged at the door goes straight to its stage without a second move. */
int
queue_commit_into(struct queue_msg *m, const char *stage,
    const struct envelope *e, unsigned flags)
{
	char tmsg[PATH_MAX], nenv[PATH_MAX], nmsg[PATH_MAX];
	struct queue to;
	const struct queue *t = m->q;
	int err;

	if (m->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (stage != NULL) {
		if (queue_init(&to, m->q->dir, stage) == -1)
			goto fail;
		t = &to;
	}
	if (path(tmsg, sizeof tmsg, m->q, "tmp", m->id) == -1 ||
	    path(nenv, sizeof nenv, t, "env", m->id) == -1 ||
	    path(nmsg, sizeof nmsg, t, "new", m->id) == -1)
		goto fail;
	if (fsync(m->fd) == -1)
		goto fail;
	err = close(m->fd);
	m->fd = -1;
	if (err == -1)
		goto fail;
	if (env_write(t, m->id, m->id, e, flags) == -1)
		goto fail;
	if (rename_into(t, tmsg, nmsg) == -1) {
		err = errno;
		unlink(nenv);
		errno = err;
		goto fail;
	}
	if (sync_dir(t, "new") == -1) {
		/* not durable, so not acknowledged: take it back out of new/ */
		err = errno;
		unlink(nmsg);
		unlink(nenv);
		errno = err;
		goto fail;
	}
	return 0;
fail:
	err = errno;
	queue_abort(m);
	errno = err;
	return -1;
}

/* Give up a message: close and remove tmp/ID.  Keeps errno. */
void
queue_abort(struct queue_msg *m)
{
	char p[PATH_MAX];
	int e = errno;

	if (m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
	if (m->q && m->id[0] && path(p, sizeof p, m->q, "tmp", m->id) == 0)
		unlink(p);
	errno = e;
}

/* --- the layout of the whole queue, for the supervisor ------------------ */

/* DIR/STAGE/SUB[/ID] into out. */
int
queue_path(char *out, size_t n, const char *dir, const char *stage,
    const char *sub, const char *id)
{
	struct queue q;

	if (queue_init(&q, dir, stage) == -1)
		return -1;
	return path(out, n, &q, sub, id);
}

int
queue_sync_dir(const char *dir, const char *stage, const char *sub)
{
	struct queue q;

	if (queue_init(&q, dir, stage) == -1)
		return -1;
	return sync_dir(&q, sub);
}

/* Create a stage's folders (and the queue's) where missing. */
int
queue_mkstage(const char *dir, const char *stage)
{
	struct queue q;

	if (queue_init(&q, dir, stage) == -1)
		return -1;
	return make_dirs(&q);
}

/* Remove a message from a stage: new/ID first (an envelope without its
 * message is an orphan the recovery removes; a message without its
 * envelope would be stuck), then env/ID and sched/ID, then sync new/. */
void
queue_remove(const char *dir, const char *stage, const char *id)
{
	static const char *const sub[] = { "new", "env", "sched" };
	char p[PATH_MAX];
	size_t i;
	int e = errno;

	for (i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (queue_path(p, sizeof p, dir, stage, sub[i], id) == 0)
			unlink(p);
	/* not synced: a power cut right after can bring the message back
	 * and deliver it once more, which DESIGN.md allows ("a message may
	 * be delivered twice, never zero times"), as Postfix's and qmail's
	 * removals do; a sync here cost as much as the message's own */
	errno = e;
}

/* Open and lock a queued message for its one worker: the descriptor, or
 * -1 with EBUSY when another process (a worker of a supervisor that was
 * killed, say) holds it. */
int
queue_lock(const char *msgpath)
{
	int fd = open(msgpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		errno = EBUSY;
		return -1;
	}
	return fd;
}

/* Whether some process holds the lock of STAGE/new/ID. */
int
queue_held(const char *dir, const char *stage, const char *id)
{
	char p[PATH_MAX];
	int fd, held;

	if (queue_path(p, sizeof p, dir, stage, "new", id) == -1 ||
	    (fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)) == -1)
		return 0;
	held = flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Put a whole message (top, then p) into a stage: tmp, fsync, envelope,
 * new.  Its new id into id. */
int
queue_put(const char *dir, const char *stage, const struct envelope *e,
    unsigned flags, const char *top, size_t toplen, const char *p, size_t n,
    char *id, size_t idn)
{
	struct queue q;
	struct queue_msg m;

	if (queue_init(&q, dir, stage) == -1 || queue_open(&q, &m) == -1)
		return -1;
	if (queue_write(&m, top, toplen) == -1 || queue_write(&m, p, n) == -1) {
		queue_abort(&m);
		return -1;
	}
	snprintf(id, idn, "%s", m.id);
	return queue_commit(&m, e, flags);
}

/* Replace the envelope of a queued message (fewer recipients left, say):
 * its Q line keeps the envelope's own queue id when it has one. */
int
queue_env_replace(const char *dir, const char *stage, const char *id,
    const struct envelope *e, unsigned flags)
{
	struct queue q;

	if (queue_init(&q, dir, stage) == -1)
		return -1;
	return env_write(&q, id, e->qid && *e->qid ? e->qid : id, e, flags);
}

/* Move a whole message from one stage to another under the same id,
 * without copying it: its envelope written into the new stage first, then
 * the message renamed across (one filesystem) and the new stage synced,
 * then the old envelope and schedule removed.  A crash between leaves the
 * message in the old stage (done again, harmlessly) or in the new one with
 * an orphan envelope behind (removed by recovery): never lost, never in
 * both stages' new/. */
int
queue_move(const char *dir, const char *from, const char *to, const char *id,
    const struct envelope *e, unsigned flags)
{
	struct queue q;
	char src[PATH_MAX], dst[PATH_MAX];
	static const char *const sub[] = { "env", "sched" };
	size_t i;
	struct stat st;

	/* the message first: an envelope of the new stage is never written
	 * over for a message that is not (or no longer) here to move */
	if (queue_path(src, sizeof src, dir, from, "new", id) == -1 ||
	    queue_path(dst, sizeof dst, dir, to, "new", id) == -1 ||
	    lstat(src, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if (queue_init(&q, dir, to) == -1 || make_dirs(&q) == -1 ||
	    env_write(&q, id, e->qid && *e->qid ? e->qid : id, e, flags) == -1)
		return -1;
	if (rename(src, dst) == -1 || sync_dir(&q, "new") == -1)
		return -1;
	for (i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (queue_path(src, sizeof src, dir, from, sub[i], id) == 0)
			unlink(src);
	(void)queue_sync_dir(dir, from, "new");
	return 0;
}
