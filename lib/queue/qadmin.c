/* qadmin: the administrator's operations on the queue (see qadmin.h).
 * Runs as the queue's owner (qadmin_drop_root gives up root for it first,
 * so that every file it writes is the supervisor's to read).  Trusts the
 * layout of the queue, not the bytes in it: every file is opened with
 * O_NOFOLLOW and must be a regular file. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "qadmin.h"
#include "qenv.h"
#include "queue.h"
#include "sched.h"

#define QADMIN_FIELD   "X-Portcullis-Quarantine"
#define QADMIN_SMALL   (4 * 1024 * 1024)   /* an envelope or a schedule */
#define QADMIN_PEEK    65536               /* where the quarantine field is */

const char *const qadmin_stages[] = { "incoming", "outgoing", "hold",
	"quarantine", NULL };

/* A queue id as queue_new_id makes them (and maildir names): letters,
 * digits and dots, not starting with a dot; so never a path. */
int
qadmin_id_ok(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0' || id[0] == '.' ||
	    strlen(id) >= QUEUE_ID_MAX)
		return 0;
	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || id[i] == '.' ||
		    (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z')))
			return 0;
	return 1;
}

/* A stage's name: lower-case letters only. */
int
qadmin_stage_ok(const char *stage)
{
	size_t i;

	if (stage == NULL || stage[0] == '\0' || strlen(stage) >= 32)
		return 0;
	for (i = 0; stage[i]; i++)
		if (stage[i] < 'a' || stage[i] > 'z')
			return 0;
	return 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of the messages in STAGE/new/, sorted (oldest first: an id
 * begins with its second).  A stage that does not exist is empty. */
int
qadmin_ids(const char *dir, const char *stage, char ***ids, size_t *n)
{
	char p[PATH_MAX];
	struct dirent *de;
	struct stat st;
	char **v = NULL, **nv;
	size_t k = 0;
	int e;
	DIR *d;

	*ids = NULL;
	*n = 0;
	if (queue_path(p, sizeof p, dir, stage, "new", NULL) == -1)
		return -1;
	if ((d = opendir(p)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (!qadmin_id_ok(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((nv = reallocarray(v, k + 1, sizeof *v)) == NULL ||
		    (nv[k] = strdup(de->d_name)) == NULL) {
			e = errno;
			if (nv)
				v = nv;
			qadmin_ids_free(v, k);
			closedir(d);
			errno = e;
			return -1;
		}
		v = nv;
		k++;
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof *v, cmp_str);
	*ids = v;
	*n = k;
	return 0;
}

void
qadmin_ids_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* The stage whose new/ holds message id; -1 with ENOENT in none. */
int
qadmin_find(const char *dir, const char *id, char *stage, size_t n)
{
	char p[PATH_MAX];
	struct stat st;
	size_t i;

	if (!qadmin_id_ok(id)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; qadmin_stages[i]; i++)
		if (queue_path(p, sizeof p, dir, qadmin_stages[i], "new", id) == 0 &&
		    lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(stage, n, "%s", qadmin_stages[i]);
			return 0;
		}
	errno = ENOENT;
	return -1;
}

/* Open STAGE/SUB/ID for reading, never through a link. */
static int
open_file(const char *dir, const char *stage, const char *sub, const char *id)
{
	char p[PATH_MAX];

	if (!qadmin_id_ok(id)) {
		errno = EINVAL;
		return -1;
	}
	if (queue_path(p, sizeof p, dir, stage, sub, id) == -1)
		return -1;
	return open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
}

/* The message file STAGE/new/ID, read-only. */
int
qadmin_open(const char *dir, const char *stage, const char *id)
{
	return open_file(dir, stage, "new", id);
}

/* Up to max bytes of fd into b, from where it stands. */
static int
read_upto(int fd, size_t max, struct buf *b)
{
	char chunk[8192];
	ssize_t r;

	while (b->len < max && (r = io_read_some(fd, chunk, sizeof chunk <
	    max - b->len ? sizeof chunk : max - b->len)) != 0) {
		if (r < 0 || buf_add(b, chunk, (size_t)r) == -1)
			return -1;
	}
	return 0;
}

/* A small file of the queue whole; 1 when it does not exist. */
static int
read_small(const char *dir, const char *stage, const char *sub,
    const char *id, struct buf *b)
{
	int fd, r, e;

	if ((fd = open_file(dir, stage, sub, id)) == -1)
		return errno == ENOENT ? 1 : -1;
	r = read_upto(fd, QADMIN_SMALL, b);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* Where the header section of p ends: the offset of its blank line, or n
 * when there is none in p. */
static size_t
header_len(const char *p, size_t n)
{
	size_t i = 0;
	const char *nl;

	while (i < n) {
		if (p[i] == '\n' || (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			return i;
		if ((nl = memchr(p + i, '\n', n - i)) == NULL)
			return n;
		i = (size_t)(nl - p) + 1;
	}
	return n;
}

/* Whether the line at p (n bytes) starts a field called name. */
static int
is_field(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name), i = k;

	if (n <= k || strncasecmp(p, name, k) != 0)
		return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;   /* RFC 5322 4.5.3's obsolete white space before the colon */
	return i < n && p[i] == ':';
}

/* The value of the first field called name in the header section h,
 * unfolded, into out (cut to fit); "" when there is none. */
static void
field_value(const char *h, size_t n, const char *name, char *out, size_t outn)
{
	size_t i = 0, o = 0, k;
	const char *l, *nl;
	int in = 0;

	out[0] = '\0';
	while (i < n) {
		l = h + i;
		nl = memchr(l, '\n', n - i);
		k = nl ? (size_t)(nl - l) : n - i;
		i += k + 1;
		if (k && l[k - 1] == '\r')
			k--;
		if (in && k && (l[0] == ' ' || l[0] == '\t')) {
			/* a continuation: the fold (the line end) goes */
		} else if (in) {
			break;
		} else if (is_field(l, k, name)) {
			const char *c = memchr(l, ':', k);
			k -= (size_t)(c + 1 - l);
			l = c + 1;
			while (k && (l[0] == ' ' || l[0] == '\t')) {
				l++;
				k--;
			}
			in = 1;
		} else
			continue;
		for (; k && o + 1 < outn; k--)
			out[o++] = *l++;
	}
	out[o] = '\0';
}

/* Drop every field called name (with its continuation lines) from the
 * header section h into out. */
static int
strip_field(const char *h, size_t n, const char *name, struct buf *out)
{
	size_t i = 0, k;
	const char *l, *nl;
	int skip = 0;

	while (i < n) {
		l = h + i;
		nl = memchr(l, '\n', n - i);
		k = nl ? (size_t)(nl - l) + 1 : n - i;
		i += k;
		if (!(skip && (l[0] == ' ' || l[0] == '\t')))
			skip = is_field(l, k, name);
		if (!skip && buf_add(out, l, k) == -1)
			return -1;
	}
	return 0;
}

/* "FIRST NEXT TRIES" of a schedule file (sched.h). */
static int
sched_parse(const char *p, struct sched *s)
{
	unsigned long long v[3];
	char *e;
	int i;

	for (i = 0; i < 3; i++, p = e) {
		v[i] = strtoull(p, &e, 10);
		if (e == p)
			return -1;
	}
	s->first = (time_t)v[0];
	s->next = (time_t)v[1];
	s->tries = (unsigned)v[2];
	return 0;
}

/* What is known of message id in stage: its file, envelope, schedule
 * and the quarantine's reason.  -1 with ENOENT when it is not there. */
int
qadmin_read(const char *dir, const char *stage, const char *id,
    struct qadmin_msg *m)
{
	struct buf b = BUF_INIT;
	struct stat st;
	int fd, r, e;

	memset(m, 0, sizeof *m);
	if ((fd = qadmin_open(dir, stage, id)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	snprintf(m->id, sizeof m->id, "%s", id);
	snprintf(m->stage, sizeof m->stage, "%s", stage);
	m->size = st.st_size;
	m->arrived = st.st_mtime;
	r = read_upto(fd, QADMIN_PEEK, &b);
	e = errno;
	close(fd);
	if (r == -1) {
		buf_free(&b);
		errno = e;
		return -1;
	}
	if (b.len)
		field_value(b.p, header_len(b.p, b.len), QADMIN_FIELD, m->reason,
		    sizeof m->reason);
	buf_reset(&b);
	if (read_small(dir, stage, "env", id, &b) == 0 &&
	    qenv_parse(b.p ? b.p : "", b.len, &m->env, &m->flags) == 0)
		m->have_env = 1;
	buf_reset(&b);
	if (read_small(dir, stage, "sched", id, &b) == 0 && b.p &&
	    sched_parse(b.p, &m->sched) == 0)
		m->have_sched = 1;
	buf_free(&b);
	return 0;
}

void
qadmin_msg_free(struct qadmin_msg *m)
{
	if (m->have_env)
		env_free(&m->env);
	m->have_env = 0;
}

/* The header section of a message (without its blank line), at most
 * QADMIN_HDR_MAX bytes of it. */
int
qadmin_headers(const char *dir, const char *stage, const char *id,
    struct buf *out)
{
	int fd, r, e;

	if ((fd = qadmin_open(dir, stage, id)) == -1)
		return -1;
	r = read_upto(fd, QADMIN_HDR_MAX, out);
	e = errno;
	close(fd);
	errno = e;
	if (r == 0)
		out->len = header_len(out->p ? out->p : "", out->len);
	return r;
}

/* Lock STAGE/new/ID for this process alone (queue_lock: EBUSY while a
 * worker has it), and make sure the file locked is still the one the
 * name leads to: a worker may have moved it on just before. */
static int
lock_msg(const char *dir, const char *stage, const char *id)
{
	char p[PATH_MAX];
	struct stat a, b;
	int fd;

	if (!qadmin_id_ok(id)) {
		errno = EINVAL;
		return -1;
	}
	if (queue_path(p, sizeof p, dir, stage, "new", id) == -1 ||
	    (fd = queue_lock(p)) == -1)
		return -1;
	if (fstat(fd, &a) == -1 || lstat(p, &b) == -1 || !S_ISREG(a.st_mode) ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

/* The envelope of a message, for a move. */
static int
read_env(const char *dir, const char *stage, const char *id,
    struct envelope *e, unsigned *flags)
{
	struct buf b = BUF_INIT;
	int r;

	r = read_small(dir, stage, "env", id, &b);
	if (r == 1) {
		errno = ENOENT;
		r = -1;
	}
	if (r == 0)
		r = qenv_parse(b.p ? b.p : "", b.len, e, flags);
	buf_free(&b);
	return r;
}

/* Remove a message from its stage, under its lock. */
int
qadmin_delete(const char *dir, const char *stage, const char *id)
{
	int fd;

	if ((fd = lock_msg(dir, stage, id)) == -1)
		return -1;
	queue_remove(dir, stage, id);
	close(fd);
	return 0;
}

/* Write data as STAGE/SUB/ID: through STAGE/tmp/ID.SUB, fsync, rename,
 * fsync of SUB/. */
static int
write_atomic(const char *dir, const char *stage, const char *sub,
    const char *id, const char *data, size_t n)
{
	char t[PATH_MAX], p[PATH_MAX], tid[QUEUE_ID_MAX + 16];
	int fd, e;

	snprintf(tid, sizeof tid, "%s.%s", id, sub);
	if (queue_path(t, sizeof t, dir, stage, "tmp", tid) == -1 ||
	    queue_path(p, sizeof p, dir, stage, sub, id) == -1)
		return -1;
	unlink(t);   /* what a crash in this very write left */
	if ((fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0640)) == -1)
		return -1;
	if (io_write_all(fd, data, n) == -1 || fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(t);
		errno = e;
		return -1;
	}
	if (close(fd) == -1 || rename(t, p) == -1) {
		e = errno;
		unlink(t);
		errno = e;
		return -1;
	}
	return queue_sync_dir(dir, stage, sub);
}

/* Make a deferred message due now: its schedule keeps when it was first
 * tried and how often (queuelifetime and the backoff go on counting), with
 * the next try now.  0 made due, 1 due already (no schedule), 2 a worker
 * has it now. */
int
qadmin_flush(const char *dir, const char *stage, const char *id)
{
	struct buf b = BUF_INIT;
	struct sched s;
	char line[128];
	int fd, r, e;

	if ((fd = lock_msg(dir, stage, id)) == -1)
		return errno == EBUSY ? 2 : -1;
	r = read_small(dir, stage, "sched", id, &b);
	if (r == 0 && (b.p == NULL || sched_parse(b.p, &s) == -1))
		r = 1;   /* torn: the supervisor takes it as due now */
	if (r == 0 && s.next == 0)
		r = 1;
	if (r == 0) {
		s.next = 0;
		snprintf(line, sizeof line, "%lld %lld %u\n", (long long)s.first,
		    (long long)s.next, s.tries);
		r = write_atomic(dir, stage, "sched", id, line, strlen(line));
	}
	e = errno;
	buf_free(&b);
	close(fd);
	errno = e;
	return r;
}

/* Move a message between stages under its lock, the envelope with it,
 * without the door's verdict (it is never judged again). */
static int
move_locked(const char *dir, const char *from, const char *to,
    const char *id)
{
	struct envelope e;
	unsigned flags;
	int fd, r, err;

	if ((fd = lock_msg(dir, from, id)) == -1)
		return -1;
	if (read_env(dir, from, id, &e, &flags) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	r = queue_move(dir, from, to, id, &e, flags & ~(QUEUE_JUDGED | QUEUE_HOLD));
	err = errno;
	env_free(&e);
	close(fd);
	errno = err;
	return r;
}

/* Keep a message of outgoing from delivery: into hold, until released. */
int
qadmin_hold(const char *dir, const char *id)
{
	return move_locked(dir, "outgoing", "hold", id);
}

/* The message on fd, with every quarantine field taken out of its header
 * section, into the new file out. */
static int
copy_unquarantined(int fd, int out)
{
	struct buf head = BUF_INIT, clean = BUF_INIT;
	char chunk[65536];
	ssize_t r;
	size_t hl;
	int rc = -1, e;

	if (read_upto(fd, QADMIN_HDR_MAX, &head) == -1)
		goto out;
	hl = header_len(head.p ? head.p : "", head.len);
	if (strip_field(head.p ? head.p : "", hl, QADMIN_FIELD, &clean) == -1 ||
	    io_write_all(out, clean.p ? clean.p : "", clean.len) == -1 ||
	    io_write_all(out, head.p ? head.p + hl : "", head.len - hl) == -1)
		goto out;
	while ((r = io_read_some(fd, chunk, sizeof chunk)) > 0)
		if (io_write_all(out, chunk, (size_t)r) == -1)
			goto out;
	rc = r == 0 ? 0 : -1;
out:
	e = errno;
	buf_free(&head);
	buf_free(&clean);
	errno = e;
	return rc;
}

/* A quarantined message back to delivery under the same id, rewritten
 * without its quarantine header so that nothing downstream takes it for
 * held mail: outgoing/tmp/ID written and synced, its envelope written as
 * outgoing/env/ID, renamed into outgoing/new/ and synced, and only then
 * removed from quarantine.  A crash before the rename leaves it in
 * quarantine alone; after it, in outgoing (delivered) and perhaps still
 * in quarantine: never lost. */
static int
release_quarantined(const char *dir, const char *id)
{
	char t[PATH_MAX], n[PATH_MAX], ne[PATH_MAX];
	struct envelope e;
	unsigned flags;
	int fd, out = -1, err, rc = -1, env_done = 0;

	if ((fd = lock_msg(dir, "quarantine", id)) == -1)
		return -1;
	if (read_env(dir, "quarantine", id, &e, &flags) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (queue_mkstage(dir, "outgoing") == -1 ||
	    queue_path(t, sizeof t, dir, "outgoing", "tmp", id) == -1 ||
	    queue_path(n, sizeof n, dir, "outgoing", "new", id) == -1 ||
	    queue_path(ne, sizeof ne, dir, "outgoing", "env", id) == -1)
		goto out;
	unlink(t);   /* a crash in an earlier release */
	if ((out = open(t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0640)) == -1)
		goto out;
	if (copy_unquarantined(fd, out) == -1 || fsync(out) == -1)
		goto out;
	err = close(out);
	out = -1;
	if (err == -1)
		goto out;
	if (queue_env_replace(dir, "outgoing", id, &e,
	    flags & ~(QUEUE_JUDGED | QUEUE_HOLD)) == -1)
		goto out;
	env_done = 1;
	if (rename(t, n) == -1 || queue_sync_dir(dir, "outgoing", "new") == -1)
		goto out;
	queue_remove(dir, "quarantine", id);
	rc = 0;
out:
	err = errno;
	if (out != -1)
		close(out);
	if (rc == -1) {
		unlink(t);
		if (env_done && access(n, F_OK) == -1)
			unlink(ne);
	}
	env_free(&e);
	close(fd);
	errno = err;
	return rc;
}

/* A held or quarantined message back into outgoing, for delivery. */
int
qadmin_release(const char *dir, const char *stage, const char *id)
{
	if (strcmp(stage, "hold") == 0)
		return move_locked(dir, "hold", "outgoing", id);
	if (strcmp(stage, "quarantine") == 0)
		return release_quarantined(dir, id);
	errno = EINVAL;
	return -1;
}

/* How many messages a stage holds, their bytes, and the oldest. */
int
qadmin_stats(const char *dir, const char *stage, struct qadmin_stats *s)
{
	char p[PATH_MAX], **ids;
	struct stat st;
	size_t i, n;

	memset(s, 0, sizeof *s);
	if (qadmin_ids(dir, stage, &ids, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (queue_path(p, sizeof p, dir, stage, "new", ids[i]) == -1 ||
		    lstat(p, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		s->n++;
		s->bytes += (unsigned long long)st.st_size;
		if (s->oldest == 0 || st.st_mtime < s->oldest) {
			s->oldest = st.st_mtime;
			snprintf(s->oldest_id, sizeof s->oldest_id, "%s", ids[i]);
		}
	}
	qadmin_ids_free(ids, n);
	return 0;
}

/* Run as root, become the queue's owner for good (as postsuper does), so
 * that what is written here is the supervisor's to read and a file planted
 * in the queue gains nothing; a queue root owns stays root's.  The uid
 * that was given up into *uid. */
int
qadmin_drop_root(const char *dir, uid_t *uid)
{
	struct stat st;

	*uid = getuid();
	if (geteuid() != 0)
		return 0;
	if (stat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) == -1 || setgid(st.st_gid) == -1 ||
	    setuid(st.st_uid) == -1)
		return -1;
	if (setuid(0) == 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}
