/* Unit tests for lib/queue/qadmin.c: a release from quarantine takes out
 * exactly the quarantine header fields (folded, CRLF, several) and keeps
 * every other byte; ids that are paths are refused; a link planted in the
 * queue is never listed, read, moved nor deleted; flush keeps the
 * schedule's first try and count; hold and release keep the envelope.
 * Works in a temporary directory under /tmp. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "env.h"
#include "io.h"
#include "qadmin.h"
#include "qlist.h"
#include "queue.h"
#include "tap.h"
#include "tmpdir.h"

static char qd[128];

/* A message put into stage with one recipient; its id into id. */
static void
put(const char *stage, const char *msg, char *id, size_t n)
{
	struct envelope e;
	char *rcpt[] = { "bob@ourco.test" };

	memset(&e, 0, sizeof e);
	e.sender = "alice@example.net";
	e.rcpt = rcpt;
	e.nrcpt = 1;
	e.dir = ENV_DIR_IN;
	if (queue_put(qd, stage, &e, 0, "", 0, msg, strlen(msg), id, n) == -1) {
		perror("queue_put");
		exit(1);
	}
}

static void
file(const char *stage, const char *sub, const char *id, struct buf *b)
{
	char p[512], chunk[4096];
	ssize_t r;
	int fd;

	buf_reset(b);
	snprintf(p, sizeof p, "%s/%s/%s/%s", qd, stage, sub, id);
	if ((fd = open(p, O_RDONLY)) == -1)
		return;
	while ((r = io_read_some(fd, chunk, sizeof chunk)) > 0)
		buf_add(b, chunk, (size_t)r);
	close(fd);
}

static int
exists(const char *stage, const char *sub, const char *id)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s/%s/%s", qd, stage, sub, id);
	return lstat(p, &st) == 0;
}

static void
test_release(void)
{
	static const struct { const char *name, *in, *want; } t[] = {
		{ "one field on top",
		  "X-Portcullis-Quarantine: stage 1 (sh) exit 99\nFrom: a\n\nbody\n",
		  "From: a\n\nbody\n" },
		{ "folded, CRLF",
		  "X-Portcullis-Quarantine: stage 2\r\n\t(spam-score)\r\n exit 99\r\n"
		  "Subject: s\r\n\r\nbody\r\n",
		  "Subject: s\r\n\r\nbody\r\n" },
		{ "any case, several, one lower down",
		  "x-portcullis-quarantine: a\nFrom: a\nX-PORTCULLIS-QUARANTINE : b\n"
		  "To: b\n\nbody\n",
		  "From: a\nTo: b\n\nbody\n" },
		{ "a longer name and the body are left alone",
		  "X-Portcullis-Quarantined: no\nFrom: a\n\n"
		  "X-Portcullis-Quarantine: in the body\n",
		  "X-Portcullis-Quarantined: no\nFrom: a\n\n"
		  "X-Portcullis-Quarantine: in the body\n" },
		{ "no header section end",
		  "X-Portcullis-Quarantine: x\nFrom: a\n",
		  "From: a\n" },
	};
	struct buf b = BUF_INIT;
	char id[QUEUE_ID_MAX], name[160];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		put("quarantine", t[i].in, id, sizeof id);
		snprintf(name, sizeof name, "release: %s", t[i].name);
		tap_is_long(qadmin_release(qd, "quarantine", id), 0, name);
		file("outgoing", "new", id, &b);
		tap_is(b.p ? b.p : "", t[i].want, name);
		tap_ok(!exists("quarantine", "new", id) &&
		    !exists("quarantine", "env", id), "... gone from quarantine");
		file("outgoing", "env", id, &b);
		tap_ok(b.p && strstr(b.p, "\nTbob@ourco.test\n") != NULL,
		    "... with its envelope");
		tap_ok(!exists("outgoing", "tmp", id), "... nothing left in tmp/");
		qadmin_delete(qd, "outgoing", id);
	}
	buf_free(&b);
}

static void
test_refusals(void)
{
	struct qadmin_msg m;
	char p[512], stage[32], **ids;
	size_t n;

	tap_ok(!qadmin_id_ok("../../etc/passwd"), "id: a path is not an id");
	tap_ok(!qadmin_id_ok(".hidden"), "id: a dot first is not an id");
	tap_ok(!qadmin_id_ok(""), "id: empty is not an id");
	tap_ok(qadmin_id_ok("1764000000.M123456P4242Q1"), "id: a queue id is one");
	tap_is_long(qadmin_delete(qd, "outgoing", "../env/x"), -1, "delete of a path: -1");
	tap_is_long(errno, EINVAL, "... EINVAL");

	/* a link planted in outgoing/new */
	snprintf(p, sizeof p, "%s/outgoing/new/1764000000.M1P1Q1", qd);
	if (symlink("/etc/passwd", p) == -1)
		perror("symlink");
	tap_is_long(qadmin_ids(qd, "outgoing", &ids, &n), 0, "link: list reads the stage");
	tap_is_long((long)n, 0, "... and lists no link");
	qadmin_ids_free(ids, n);
	tap_is_long(qadmin_find(qd, "1764000000.M1P1Q1", stage, sizeof stage), -1,
	    "... find does not find it");
	tap_is_long(qadmin_read(qd, "outgoing", "1764000000.M1P1Q1", &m), -1,
	    "... read refuses it");
	tap_is_long(errno, ELOOP, "... ELOOP");
	tap_is_long(qadmin_delete(qd, "outgoing", "1764000000.M1P1Q1"), -1,
	    "... delete refuses it");
	tap_is_long(qadmin_hold(qd, "1764000000.M1P1Q1"), -1, "... hold refuses it");
	tap_ok(access("/etc/passwd", F_OK) == 0, "... and its target is untouched");
	unlink(p);
	tap_is_long(qadmin_find(qd, "1764000000.M9P9Q9", stage, sizeof stage), -1,
	    "find of an id not queued: -1");
	tap_is_long(errno, ENOENT, "... ENOENT");
}

static void
test_flush_hold(void)
{
	struct qadmin_msg m;
	struct buf b = BUF_INIT;
	char id[QUEUE_ID_MAX], p[512];
	FILE *f;
	int fd;

	put("outgoing", "From: a\n\nbody\n", id, sizeof id);
	tap_is_long(qadmin_flush(qd, "outgoing", id), 1, "flush: no schedule, due already");
	snprintf(p, sizeof p, "%s/outgoing/sched/%s", qd, id);
	if ((f = fopen(p, "w")) != NULL) {
		fputs("1764000000 1764009999 4\n", f);
		fclose(f);
	}
	tap_is_long(qadmin_flush(qd, "outgoing", id), 0, "flush: a schedule made due");
	file("outgoing", "sched", id, &b);
	tap_is(b.p ? b.p : "", "1764000000 0 4\n", "... first try and count kept");
	tap_is_long(qadmin_flush(qd, "outgoing", id), 1, "flush again: due already");

	/* a worker holding the lock */
	snprintf(p, sizeof p, "%s/outgoing/new/%s", qd, id);
	fd = queue_lock(p);
	tap_ok(fd >= 0, "a worker's lock");
	tap_is_long(qadmin_delete(qd, "outgoing", id), -1, "delete under a worker: -1");
	tap_is_long(errno, EBUSY, "... EBUSY");
	tap_is_long(qadmin_hold(qd, id), -1, "hold under a worker: -1");
	tap_ok(exists("outgoing", "new", id), "... the message stays");
	tap_is_long(qadmin_flush(qd, "outgoing", id), 2, "flush under a worker: 2");
	close(fd);

	tap_is_long(qadmin_hold(qd, id), 0, "hold");
	tap_ok(exists("hold", "new", id) && exists("hold", "env", id) &&
	    !exists("outgoing", "new", id) && !exists("outgoing", "env", id) &&
	    !exists("outgoing", "sched", id), "... moved whole, schedule dropped");
	tap_is_long(qadmin_read(qd, "hold", id, &m), 0, "... readable in hold");
	tap_ok(m.have_env && m.env.nrcpt == 1 && strcmp(m.env.sender,
	    "alice@example.net") == 0, "... with its envelope");
	qadmin_msg_free(&m);
	tap_is_long(qadmin_release(qd, "outgoing", id), -1,
	    "release from outgoing: -1");
	tap_is_long(qadmin_release(qd, "hold", id), 0, "release from hold");
	tap_ok(exists("outgoing", "new", id) && !exists("hold", "new", id),
	    "... back in outgoing");
	tap_is_long(qadmin_delete(qd, "outgoing", id), 0, "delete");
	tap_ok(!exists("outgoing", "new", id) && !exists("outgoing", "env", id),
	    "... gone with its envelope");
	buf_free(&b);
}

/* A list line of hostile values: printable ASCII for people, JSON for
 * scripts, the free text last. */
static void
test_list(void)
{
	struct qadmin_msg m;
	struct buf b = BUF_INIT;
	char *rcpt[] = { "a@x", "b\x1b[2J@x", "c@x", "d@x", "e@x" };

	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "1764000000.M1P1Q1");
	snprintf(m.stage, sizeof m.stage, "outgoing");
	m.size = 123;
	m.arrived = 1764000000 - 300;
	m.have_env = 1;
	m.env.sender = "eve\n@x";
	m.env.rcpt = rcpt;
	m.env.nrcpt = 5;
	m.env.dir = ENV_DIR_IN;
	m.have_sched = 1;
	m.sched.tries = 2;
	m.sched.next = 1764000000 + 7200;
	snprintf(m.reason, sizeof m.reason, "stage 1 (sh)\texit 99");
	tap_is_long(qlist_line(&m, 1764000000, 0, &b), 0, "list line");
	tap_is(b.p, "1764000000.M1P1Q1 outgoing size=123 age=5m from=<eve?@x> "
	    "rcpts=5 to=a@x,b?[2J@x,c@x,+2 tries=2 next=+2h "
	    "reason=stage 1 (sh)?exit 99\n", "... controls cleaned, three recipients shown");
	buf_reset(&b);
	tap_is_long(qlist_line(&m, 1764000000, 1, &b), 0, "JSON line");
	tap_is(b.p, "{\"id\":\"1764000000.M1P1Q1\",\"stage\":\"outgoing\",\"size\":123,"
	    "\"arrival\":1763999700,\"age\":300,\"direction\":\"in\",\"sender\":"
	    "\"eve\\u000a@x\",\"recipients\":[\"a@x\",\"b\\u001b[2J@x\",\"c@x\","
	    "\"d@x\",\"e@x\"],\"tries\":2,\"next\":1764007200,\"reason\":"
	    "\"stage 1 (sh)\\u0009exit 99\"}\n", "... every recipient, escaped");
	m.have_env = 0;
	snprintf(m.stage, sizeof m.stage, "hold");
	m.reason[0] = '\0';
	buf_reset(&b);
	qlist_line(&m, 1764000000, 0, &b);
	tap_is(b.p, "1764000000.M1P1Q1 hold size=123 age=5m envelope=missing "
	    "tries=2\n", "... a held one without its envelope: no next try");
	buf_free(&b);
}

int
main(void)
{
	tmpdir_make();
	snprintf(qd, sizeof qd, "%s/q", tmpdir_path);
	if (queue_mkstage(qd, "outgoing") == -1 ||
	    queue_mkstage(qd, "quarantine") == -1) {
		perror("queue_mkstage");
		return 1;
	}
	test_list();
	test_release();
	test_refusals();
	test_flush_hold();
	tmpdir_remove();
	return tap_done();
}
