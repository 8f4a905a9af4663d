/* super: the supervisor's shared state (see super.h), the envelope as a
 * stage's environment, the retry schedule and bounces.  Runs as the
 * gateway's user; the envelope values came from strangers and are passed
 * on as strings, never interpreted here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "log.h"
#include "msg.h"
#include "queue.h"
#include "sched.h"
#include "super.h"

struct super_conf super_cf;
struct super_child *super_kids;
size_t super_nkids;
int super_lfd[SUPER_MAX_LISTEN];
size_t super_nlfd;

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
	char *r = rcpt_lines(e);

	if (r == NULL)
		return -1;
	setenv("SENDER", e->sender ? e->sender : "", 1);
	setenv("RECIPIENT", r, 1);
	free(r);
	setenv("DIRECTION", env_dir_name(e->dir), 1);
	super_setenv("QUEUEID", e->qid);
	super_setenv("TCPREMOTEIP", e->ip);
	super_setenv("TCPREMOTEHOST", e->host);
	super_setenv("HELO", e->helo);
	super_setenv("TLS", e->tls);
	return 0;
}

/* Schedule a retry of a message in stage; past queuelifetime, 1. */
int
super_retry_later(const char *stage, const char *id, const char *msgpath)
{
	char sp[PATH_MAX];
	struct sched s;
	struct stat st;
	time_t now = time(NULL);

	if (queue_path(sp, sizeof sp, super_cf.qdir, stage, "sched", id) == -1)
		return -1;
	if (sched_read(sp, &s) != 0) {
		s.first = stat(msgpath, &st) == 0 ? st.st_mtime : now;
		s.tries = 0;
	}
	s.tries++;
	s.next = now + sched_backoff(s.tries, super_cf.retrymin, super_cf.retrymax);
	if ((unsigned long)(now - s.first) > super_cf.lifetime)
		return 1;
	return sched_write(sp, &s);
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
	if (msg_read_file(msgpath, 1024 * 1024, &m) == -1)
		return -1;
	memset(&d, 0, sizeof d);
	d.me = super_cf.me;
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
		rc = queue_put(super_cf.qdir, "outgoing", &e, 0, "", 0, b.p, b.len, id, sizeof id);
	if (rc == 0)
		log_info("qid=%s bounce=%s to=<%s> rcpts=%zu", orig->qid, id,
		    rcpt[0], n);
	msg_free(&m);
	buf_free(&b);
	return rc;
}
