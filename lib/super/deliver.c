/* deliver: one message of the outgoing stage handed to relay-out (a
 * delivery worker, forked by the supervisor, as the gateway's user), and
 * relay-out's result line per recipient turned into done, retry or
 * bounce.  relay-out's output is parsed as untrusted text. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "io.h"
#include "log.h"
#include "sandbox.h"
#include "qenv.h"
#include "queue.h"
#include "spawn.h"
#include "super.h"

/* relay-out's result lines for e's recipients; -1 for none yet. */
static int
relay(const char *mp, const struct envelope *e, unsigned flags, struct buf *out)
{
	char *argv[] = { "relay-out", NULL };
	int p[2], in, w = 0;
	pid_t pid;
	char chunk[4096];
	ssize_t r;

	if (super_export_env(e) == -1 || pipe2(p, O_CLOEXEC) == -1)
		return -1;
	super_setenv("BODY", flags & QUEUE_8BITMIME ? "8BITMIME" : NULL);
	super_setenv("SMTPUTF8", flags & QUEUE_SMTPUTF8 ? "1" : NULL);
	if ((in = open(mp, O_RDONLY | O_CLOEXEC)) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	alarm((unsigned)super_cf.deliverytimeout);
	pid = spawn_child(argv, in, p[1]);
	(void)sandbox_spawned();   /* keep only CAP_KILL (portcullis(7)) */
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

int
super_deliver_one(const char *id)
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

	if (queue_path(mp, sizeof mp, super_cf.qdir, "outgoing", "new", id) == -1 ||
	    queue_path(ep, sizeof ep, super_cf.qdir, "outgoing", "env", id) == -1)
		return 111;
	if ((fd = queue_lock(mp)) == -1)
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
	exp = super_retry_later("outgoing", id, mp) == 1;
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
	if (ndr && super_bounce(&e, mp, dr, ndr, exp ? "Delivery was tried for the "
	    "queue lifetime without success." : NULL) == -1) {
		log_warn(errno, "qid=%s unable to write the bounce", id);
		return 111;   /* everything is retried: may deliver twice */
	}
	if (nleft) {
		e.rcpt = left;
		e.nrcpt = nleft;
		if (queue_env_replace(super_cf.qdir, "outgoing", id, &e, flags) == -1) {
			log_warn(errno, "qid=%s unable to rewrite its envelope", id);
			return 111;
		}
		log_info("qid=%s delivery=deferred left=%zu bounced=%zu", id,
		    nleft, ndr);
		return 0;
	}
	queue_remove(super_cf.qdir, "outgoing", id);
	log_info("qid=%s delivery=done bounced=%zu", id, ndr);
	return 0;
}
