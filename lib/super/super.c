/* super: the supervisor's shared state (see super.h), the envelope as a
 * stage's environment, the retry schedule and bounces.  Runs as the
 * gateway's user; the envelope values came from strangers and are passed
 * on as strings, never interpreted here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "io.h"
#include "log.h"
#include "queue.h"
#include "sched.h"
#include "super.h"

struct super_conf super_cf;
struct super_child *super_kids;
size_t super_nkids;
int super_lfd[SUPER_MAX_LISTEN];
size_t super_nlfd;

void
super_setenv(const char *name, const char *v)
{
	if (v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

/* The envelope into the environment of a stage (DESIGN.md). */
int
super_export_env(const struct envelope *e)
{
	return env_export(e);
}

/* What happens to a message after a temporary failure: the one rule,
 * for the scan and for delivery alike.  Every failure of a message ends
 * in exactly one of: moved on; scheduled for retry with backoff (this
 * function); given up (bounced once, or quarantined).
 *
 * Until queuelifetime has passed since its first try, the message waits:
 * STAGE/sched/ID gets its next try, retrymin seconds doubled with each
 * try up to retrymax (SUPER_LATER).  After, the caller gives it up
 * (SUPER_GIVE_UP): delivery bounces the recipients still left, the scan
 * bounces outbound mail and quarantines inbound mail.  force schedules
 * even past the lifetime: a give-up that itself failed (a bounce that
 * could not be written) is tried again with backoff, never at once.  When
 * not even the schedule can be written (SUPER_STUCK) it says so loudly;
 * the worker then exits 111, and the supervisor holds the message back
 * in memory with the same backoff (children.c), so nothing ever spins. */
enum super_fate
super_after_tempfail(const char *stage, const char *id, const char *msgpath,
    int force)
{
	char sp[PATH_MAX];
	struct sched s;
	struct stat st;
	time_t now = time(NULL);

	if (queue_path(sp, sizeof sp, super_cf.qdir, stage, "sched", id) == -1) {
		log_warn(errno, "qid=%s unable to name its retry schedule; "
		    "held back in memory", id);
		return SUPER_STUCK;
	}
	if (sched_read(sp, &s) != 0) {
		s.first = stat(msgpath, &st) == 0 ? st.st_mtime : now;
		s.tries = 0;
	}
	s.tries++;
	s.next = now + sched_backoff(s.tries, super_cf.retrymin, super_cf.retrymax);
	if (!force && now - s.first > (time_t)super_cf.lifetime)
		return SUPER_GIVE_UP;
	if (sched_write(sp, &s) == -1) {
		log_warn(errno, "qid=%s unable to write its retry schedule; "
		    "held back in memory", id);
		return SUPER_STUCK;
	}
	return SUPER_LATER;
}

/* Copy fd (from its start) into the quarantine with why on top as an
 * X-Portcullis-Quarantine header, by streaming: no size limit.  A NULL
 * envelope (an unreadable one) is kept as an empty one. */
int
super_quarantine(const struct envelope *e, unsigned flags, const char *why,
    int fd, char *oid, size_t oidn)
{
	struct envelope none;
	struct queue q;
	struct queue_msg m;
	struct buf h = BUF_INIT;
	char chunk[65536];
	ssize_t r;
	int err;

	if (e == NULL) {
		memset(&none, 0, sizeof none);
		none.sender = "";
		e = &none;
	}
	if (buf_adds(&h, "X-Portcullis-Quarantine: ") == -1)
		return -1;
	for (; *why; why++)   /* one header-safe line */
		if (buf_addc(&h, (unsigned char)*why < 0x20 || *why == 0x7f ?
		    ' ' : *why) == -1)
			goto fail0;
	if (buf_addc(&h, '\n') == -1 || lseek(fd, 0, SEEK_SET) != 0 ||
	    queue_init(&q, super_cf.qdir, "quarantine") == -1 ||
	    (e->qid && *e->qid ? queue_open_as(&q, &m, e->qid) :
	    queue_open(&q, &m)) == -1)
		goto fail0;
	if (queue_write(&m, h.p, h.len) == -1)
		goto fail;
	while ((r = io_read_some(fd, chunk, sizeof chunk)) > 0)
		if (queue_write(&m, chunk, (size_t)r) == -1)
			goto fail;
	if (r < 0)
		goto fail;
	snprintf(oid, oidn, "%s", m.id);
	buf_free(&h);
	return queue_commit(&m, e, flags);
fail:
	err = errno;
	queue_abort(&m);
	errno = err;
fail0:
	err = errno;
	buf_free(&h);
	errno = err;
	return -1;
}

/* The start of message file msgpath, at most DSN_HDR_MAX bytes and cut
 * at a line, for a bounce's text/rfc822-headers part: whatever the size
 * of the message, a bounce reads the same few bytes. */
static int
bounce_headers(const char *msgpath, struct buf *b, int *cut)
{
	ssize_t r = 0;
	int fd, err;

	if ((fd = open(msgpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (buf_grow(b, DSN_HDR_MAX + 1) == -1)
		goto fail;
	/* one byte more than we keep, to know whether more follows */
	while (b->len < DSN_HDR_MAX + 1 &&
	    (r = io_read_some(fd, b->p + b->len, DSN_HDR_MAX + 1 - b->len)) > 0)
		b->len += (size_t)r;
	if (r < 0)
		goto fail;
	close(fd);
	b->len = dsn_header_len(b->p, b->len > DSN_HDR_MAX ? DSN_HDR_MAX : b->len,
	    b->len > DSN_HDR_MAX, cut);
	return 0;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* A DSN for the failed recipients of message file msgpath, to the
 * envelope sender; none to <> (DESIGN.md).  A failed bounce goes to
 * postmaster once, from qmail's double-bounce sender "#@[]". */
int
super_bounce(const struct envelope *orig, const char *msgpath,
    const struct dsn_rcpt *r, size_t n, const char *reason)
{
	struct envelope e;
	struct dsn d;
	struct buf b = BUF_INIT, h = BUF_INIT;
	struct stat st;
	char pm[300], id[QUEUE_ID_MAX];
	char *rcpt[1];
	int rc, cut = 0;

	memset(&e, 0, sizeof e);
	if (orig->sender == NULL) {   /* an envelope without F: nobody to tell */
		log_warn(0, "qid=%s no sender to bounce to", orig->qid);
		return 0;
	}
	if (strcmp(orig->sender, "#@[]") == 0) {
		log_info("qid=%s bounce dropped: a double bounce failed", orig->qid);
		return 0;
	}
	if (orig->sender[0] == '\0') {
		snprintf(pm, sizeof pm, "postmaster@%s", super_cf.me);
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
	if (bounce_headers(msgpath, &h, &cut) == -1) {
		buf_free(&h);
		return -1;
	}
	memset(&d, 0, sizeof d);
	d.me = super_cf.me;
	d.to = rcpt[0];
	d.qid = orig->qid;
	d.reason = reason;
	d.arrival = stat(msgpath, &st) == 0 ? st.st_mtime : time(NULL);
	d.hdr = h.p ? h.p : "";
	d.hdrlen = h.len;
	d.hdr_cut = cut;
	d.r = r;
	d.n = n;
	rc = dsn_format(&d, time(NULL), &b);
	if (rc == 0)
		rc = queue_put(super_cf.qdir, "outgoing", &e, 0, "", 0, b.p, b.len, id, sizeof id);
	if (rc == 0)
		log_info("qid=%s bounce=%s to=<%s> rcpts=%zu", orig->qid, id,
		    rcpt[0], n);
	buf_free(&h);
	buf_free(&b);
	return rc;
}
