/* chain: one direction's chain of stages run on one message (see
 * chain.h).  Runs as whoever calls it: the door's uid in smtpd-accept,
 * the queue's in a scan worker; the stages it forks get no more. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain.h"
#include "dsn.h"
#include "io.h"
#include "log.h"
#include "spawn.h"

/* The default chains: the filters that exist, each later one added. */
static const char *const def_in[] = { "header-strip --direction in",
	"spoof-check -a", "auth-check -a", "filetype-check -a", "virus-scan -a",
	"spam-score -a",
	NULL };
static const char *const def_out[] = { "spoof-check -a", "filetype-check -a",
	"virus-scan -a", "spam-score -a", "add-disclaimer",
	"header-strip --direction out", "dkim-sign", NULL };

/* The chain in force that a supervisor handed over: its lines in
 * $PORTCULLIS_CHAIN_IN or _OUT, one per line.  1 when there was one. */
static int
chain_from_env(int outbound, struct ctl_list *l)
{
	const char *e = getenv(outbound ? "PORTCULLIS_CHAIN_OUT" :
	    "PORTCULLIS_CHAIN_IN"), *p, *nl;
	size_t n = 1, len;

	if (e == NULL)
		return 0;
	for (p = e; *p; p++)
		n += *p == '\n';
	memset(l, 0, sizeof *l);
	if ((l->v = calloc(n, sizeof *l->v)) == NULL ||
	    (l->lineno = calloc(n, sizeof *l->lineno)) == NULL)
		return -1;
	for (p = e; *p; p = *nl ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if ((len = (size_t)(nl - p)) == 0)
			continue;
		if ((l->v[l->n] = strndup(p, len)) == NULL)
			return -1;
		l->lineno[l->n] = (unsigned)l->n + 1;
		l->n++;
	}
	snprintf(l->path, sizeof l->path, "$PORTCULLIS_CHAIN_%s",
	    outbound ? "OUT" : "IN");
	return 1;
}

int
chain_load(int outbound, struct ctl_list *l)
{
	const char *const *cmd = outbound ? def_out : def_in;
	size_t n;
	int r;

	/* under the supervisor, its chain in force, not the file's text,
	 * which a refused reload may have left different */
	if ((r = chain_from_env(outbound, l)) != 0)
		return r == 1 ? 0 : -1;
	if (ctl_lines(outbound ? "chain.out" : "chain.in", l) == -1)
		return -1;
	if (l->path[0] != '\0')
		return 0;
	ctl_free(l);
	memset(l, 0, sizeof *l);
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

void
chain_serve_from_env(const struct ctl_list *l, int *serve, size_t n)
{
	const char *e = getenv("PORTCULLIS_SERVE"), *p, *nl, *sp;
	size_t i;
	long fd;
	char *end;

	for (i = 0; i < n; i++)
		serve[i] = -1;
	for (p = e; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		fd = strtol(p, &end, 10);
		if (end == p || *end != ' ' || fd < 3 || fd > 65535)
			continue;
		sp = end + 1;
		for (i = 0; i < l->n && i < n; i++)
			if (strlen(l->v[i]) == (size_t)(nl ? nl - sp : (long)strlen(sp)) &&
			    strncmp(l->v[i], sp, strlen(l->v[i])) == 0 &&
			    fcntl((int)fd, F_GETFD) != -1)
				serve[i] = (int)fd;
	}
}

/* While the chain runs, the stages' stderr goes into an unnamed file in
 * memory (else in tmpdir), so that a reject can quote the stage's own reason; after, the
 * lines go on to our stderr.  -1: the log goes straight on. */
static int
log_begin(const char *tmpdir, int *saved)
{
	int fd;

	*saved = -1;
	/* in memory: a file created and dropped on the queue's disk for
	 * every message costs the filesystem an inode each time */
	if ((fd = memfd_create("portcullis-chain-log", MFD_CLOEXEC)) == -1 &&
	    (tmpdir == NULL ||
	    (fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1))
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
log_end(int fd, int saved, const char *verdict, char *reason, size_t n)
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

static enum verdict
verdict_of_code(int c)
{
	return c == 0 ? VERDICT_PASS : c == 99 ? VERDICT_QUARANTINE :
	    c == 100 ? VERDICT_REJECT : VERDICT_TEMPFAIL;
}

/* A resident died without a word and no stage ran out of time. */
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

int
chain_run(const struct ctl_list *chain, int in, int out, unsigned timeout_ms,
    const int *serve_in, const char *tmpdir, struct chain_result *r)
{
	struct spawn_argv st[SPAWN_MAX_STAGES];
	int status[SPAWN_MAX_STAGES], serve[SPAWN_MAX_STAGES];
	enum verdict sv;
	size_t i, n = chain->n;
	int c, try, logfd, saved, rc = 0;

	memset(r, 0, sizeof *r);
	r->v = VERDICT_PASS;
	snprintf(r->why, sizeof r->why, "no stage objected");
	if (n > SPAWN_MAX_STAGES) {
		snprintf(r->why, sizeof r->why, "chain too long");
		r->v = VERDICT_TEMPFAIL;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (spawn_split(chain->v[i], &st[i]) == -1) {
			while (i-- > 0)
				spawn_argv_free(&st[i]);
			snprintf(r->why, sizeof r->why, "bad chain line %u",
			    chain->lineno[0]);
			r->v = VERDICT_TEMPFAIL;
			return -1;
		}
	for (i = 0; i < n; i++)
		serve[i] = serve_in ? serve_in[i] : -1;
	logfd = log_begin(tmpdir, &saved);
	for (try = 0; n; try++) {
		if (lseek(in, 0, SEEK_SET) != 0 || ftruncate(out, 0) != 0 ||
		    lseek(out, 0, SEEK_SET) != 0 ||
		    spawn_pipeline(st, n, in, out, timeout_ms, serve, status) == -1) {
			snprintf(r->why, sizeof r->why, "unable to start the chain: %s",
			    strerror(errno));
			r->v = VERDICT_TEMPFAIL;
			rc = -1;
			n = 0;
			break;
		}
		/* A resident that died on the message (killed, out of
		 * memory, a crash) said nothing about it: the chain runs again
		 * at once, every stage by fork and exec.  Once: what fails
		 * then is counted as it comes.  Not after a timeout, which
		 * has had its time already. */
		if (try > 0 || !lost_not_late(status, n))
			break;
		log_warn(0, "a resident stage ended without a status; "
		    "the chain runs again, by fork and exec");
		for (i = 0; i < n; i++)
			serve[i] = -1;
	}
	for (i = 0; i < n; i++) {
		c = spawn_exit_code(status[i]);
		if (status[i] == SPAWN_TIMEDOUT)
			r->late = 1;
		if (c == -1)
			log_warn(0, "stage %zu (%s) %s: counted as 111", i + 1,
			    st[i].v[0], status[i] == SPAWN_TIMEDOUT ? "timed out" :
			    status[i] == SPAWN_LOST ? "ended without a status" :
			    WIFSIGNALED(status[i]) ? "died by a signal" :
			    "exited with an unknown status");
		sv = verdict_of_code(c);
		if (sv > r->v || (sv == r->v && sv != VERDICT_PASS && i == 0)) {
			r->v = sv;
			snprintf(r->why, sizeof r->why, "stage %zu (%s) exit %d",
			    i + 1, st[i].v[0], c == -1 ? 111 : c);
		}
	}
	log_end(logfd, saved, r->v == VERDICT_QUARANTINE ? "quarantine" :
	    "reject", r->reason, sizeof r->reason);
	for (i = 0; i < chain->n && i < SPAWN_MAX_STAGES; i++)
		spawn_argv_free(&st[i]);
	return rc;
}
