/* Unit tests for lib/queue/queue.c: ids, the envelope file's format, a message
 * committed into new/ with its envelope, and failures that leave nothing
 * visible in new/.  Works in a temporary directory under /tmp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "queue.h"
#include "tap.h"

static char top[] = "/tmp/portcullis-unit-queue.XXXXXX";

/* Number of entries in DIR (without . and ..); -1 when it cannot be read. */
static int
count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int
slurp(const char *p, struct buf *b)
{
	char chunk[4096];
	ssize_t r;
	int fd = open(p, O_RDONLY);

	buf_reset(b);
	if (fd == -1)
		return -1;
	while ((r = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(b, chunk, (size_t)r);
	close(fd);
	return 0;
}

static int
rm_rf(const char *p)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
	return system(cmd);
}

static char *rcpt2[] = { "a@x.example", "b@y.example" };
static char *rcpt_evil[] = { "a@x.example\nTroot@evil.example" };

static const struct {
	const char *name;
	struct envelope e;
	unsigned flags;
	const char *want;
} envrows[] = {
	{ "inbound, one recipient",
	  { "s@a.example", rcpt2, 1, "192.0.2.1", NULL, "mx.a.example", NULL,
	    NULL, ENV_DIR_IN, 0 }, 0,
	  "QID\nDin\nI192.0.2.1\nHmx.a.example\nFs@a.example\nTa@x.example\n" },
	{ "outbound, two recipients, TLS, host name, 8BITMIME, SMTPUTF8",
	  { "s@a.example", rcpt2, 2, "10.0.0.1", "pc.corp", "pc", "TLSv1.3",
	    NULL, ENV_DIR_OUT, 0 }, QUEUE_8BITMIME | QUEUE_SMTPUTF8,
	  "QID\nDout\nI10.0.0.1\nRpc.corp\nHpc\nSTLSv1.3\nB8BITMIME\nU\nFs@a.example\n"
	  "Ta@x.example\nTb@y.example\n" },
	{ "null sender is an empty F line",
	  { "", rcpt2, 1, NULL, NULL, NULL, NULL, NULL, ENV_DIR_IN, 0 }, 0,
	  "QID\nDin\nF\nTa@x.example\n" },
	{ "control bytes cannot make a second line",
	  { "s\r\n@a", rcpt_evil, 1, "1\t2", NULL, "h\x7f", NULL, NULL,
	    ENV_DIR_IN, 0 }, 0,
	  "QID\nDin\nI1?2\nHh?\nFs??@a\nTa@x.example?Troot@evil.example\n" },
	{ "8-bit (SMTPUTF8) kept",
	  { "j\xc3\xb6@a", rcpt2, 1, NULL, NULL, NULL, NULL, NULL, ENV_DIR_IN, 0 },
	  QUEUE_SMTPUTF8,
	  "QID\nDin\nU\nFj\xc3\xb6@a\nTa@x.example\n" },
};

static void
test_env_format(void)
{
	size_t i;

	for (i = 0; i < sizeof envrows / sizeof envrows[0]; i++) {
		struct buf b = BUF_INIT;
		queue_env_format(&envrows[i].e, "ID", envrows[i].flags, &b);
		tap_is(b.p, envrows[i].want, envrows[i].name);
		buf_free(&b);
	}
}

static void
test_ids(void)
{
	char a[QUEUE_ID_MAX], b[QUEUE_ID_MAX];
	int i, same = 0, safe = 1;

	queue_new_id(a, sizeof a);
	for (i = 0; i < 1000; i++) {
		queue_new_id(b, sizeof b);
		if (strcmp(a, b) == 0)
			same++;
		if (strspn(b, "0123456789.MPQ") != strlen(b))
			safe = 0;
		memcpy(a, b, sizeof a);
	}
	tap_ok(same == 0, "1000 ids in a row are all different");
	tap_ok(safe, "ids hold only [0-9.MPQ]");
	tap_ok(queue_new_id(a, 8) == -1 && errno == ENAMETOOLONG,
	    "an id that does not fit is an error");
}

static void
test_dir_default(void)
{
	unsetenv("PORTCULLIS_QUEUE");
	tap_is(queue_dir_default(NULL), QUEUE_DEFAULT_DIR, "default queue dir");
	setenv("PORTCULLIS_QUEUE", "/q/env", 1);
	tap_is(queue_dir_default(NULL), "/q/env", "$PORTCULLIS_QUEUE");
	tap_is(queue_dir_default("/q/opt"), "/q/opt", "-Q wins over the environment");
	unsetenv("PORTCULLIS_QUEUE");
}

static void
test_commit(void)
{
	char qdir[256], p[512];
	struct queue q;
	struct queue_msg m;
	struct envelope e = { "s@a.example", rcpt2, 2, "192.0.2.1", NULL, "h",
	    NULL, NULL, ENV_DIR_IN, 0 };
	struct buf b = BUF_INIT, want = BUF_INIT;
	struct stat st;
	int r;

	snprintf(qdir, sizeof qdir, "%s/q", top);
	tap_ok(queue_init(&q, qdir, "incoming") == 0, "queue_init");
	tap_ok(queue_init(&q, qdir, "a/b") == -1, "a stage with a slash is refused");
	queue_init(&q, qdir, "incoming");
	r = queue_open(&q, &m);
	tap_ok(r == 0 && m.fd >= 0, "open creates the missing directories");
	snprintf(p, sizeof p, "%s/incoming/tmp", qdir);
	tap_ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0700, "tmp/ is 0700");
	tap_ok(stat(qdir, &st) == 0 && (st.st_mode & 0777) == 0700, "queue dir is 0700");
	snprintf(p, sizeof p, "%s/incoming/cur", qdir);
	tap_ok(stat(p, &st) == 0, "cur/ exists, so that mail readers open it");
	queue_write(&m, "Subject: x\n\nbody\0nul\n", 21);
	snprintf(p, sizeof p, "%s/incoming/new", qdir);
	tap_is_long(count(p), 0, "nothing in new/ before commit");
	tap_ok(queue_commit(&m, &e, 0) == 0, "commit");
	tap_is_long(count(p), 1, "one message in new/ after commit");
	snprintf(p, sizeof p, "%s/incoming/new/%s", qdir, m.id);
	slurp(p, &b);
	tap_ok(b.len == 21 && memcmp(b.p, "Subject: x\n\nbody\0nul\n", 21) == 0,
	    "message bytes exactly as written, NUL included");
	/* 0640: the supervisor reads the door's files through the queue's group */
	tap_ok(stat(p, &st) == 0 && (st.st_mode & 0037) == 0 && (st.st_mode & 0600) == 0600,
	    "message is 0640 at most: no write by the group, nothing for others");
	snprintf(p, sizeof p, "%s/incoming/env/%s", qdir, m.id);
	slurp(p, &b);
	buf_printf(&want, "Q%s\nDin\nI192.0.2.1\nHh\nFs@a.example\nTa@x.example\n"
	    "Tb@y.example\n", m.id);
	tap_is(b.p, want.p, "envelope file beside it");
	snprintf(p, sizeof p, "%s/incoming/tmp", qdir);
	tap_is_long(count(p), 0, "tmp/ empty after commit");

	/* abort: nothing anywhere */
	queue_open(&q, &m);
	queue_write(&m, "x\n", 2);
	queue_abort(&m);
	tap_is_long(count(p), 0, "abort leaves tmp/ empty");
	snprintf(p, sizeof p, "%s/incoming/new", qdir);
	tap_is_long(count(p), 1, "abort adds nothing to new/");

	/* env/ is not a directory: the commit fails and new/ stays as it was */
	snprintf(p, sizeof p, "%s/incoming/env", qdir);
	rm_rf(p);
	close(open(p, O_WRONLY | O_CREAT, 0600));
	queue_open(&q, &m);
	queue_write(&m, "y\n", 2);
	tap_ok(queue_commit(&m, &e, 0) == -1 && errno == ENOTDIR,
	    "commit fails when env/ cannot take the envelope");
	snprintf(p, sizeof p, "%s/incoming/new", qdir);
	tap_is_long(count(p), 1, "... and nothing new is visible in new/");
	snprintf(p, sizeof p, "%s/incoming/tmp", qdir);
	tap_is_long(count(p), 0, "... and tmp/ is cleaned");
	snprintf(p, sizeof p, "%s/incoming/env", qdir);
	unlink(p);
	mkdir(p, 0700);

	/* new/ is not a directory: the envelope is taken back */
	snprintf(p, sizeof p, "%s/incoming/new", qdir);
	rm_rf(p);
	close(open(p, O_WRONLY | O_CREAT, 0600));
	queue_open(&q, &m);
	queue_write(&m, "z\n", 2);
	tap_ok(queue_commit(&m, &e, 0) == -1, "commit fails when new/ is not a directory");
	snprintf(p, sizeof p, "%s/incoming/env", qdir);
	tap_is_long(count(p), 0, "... and its envelope is removed");
	snprintf(p, sizeof p, "%s/incoming/tmp", qdir);
	tap_is_long(count(p), 0, "... and tmp/ is cleaned");

	/* the queue directory is a file: open fails */
	snprintf(p, sizeof p, "%s/file", top);
	close(open(p, O_WRONLY | O_CREAT, 0600));
	queue_init(&q, p, "incoming");
	tap_ok(queue_open(&q, &m) == -1 && errno == ENOTDIR && m.fd == -1,
	    "open fails with errno when the queue is not a directory");
	tap_ok(queue_write(&m, "x", 1) == -1 && errno == EBADF,
	    "write after a failed open is an error");
	buf_free(&b);
	buf_free(&want);
}

/* A message judged at the door moves from incoming to outgoing whole,
 * under its id, with the J line read back as flags. */
static void
test_move(void)
{
	char qdir[256], p[512], id[QUEUE_ID_MAX];
	struct envelope e = { "s@a.example", rcpt2, 2, "192.0.2.1", NULL, "h",
	    NULL, NULL, ENV_DIR_IN, 0 };
	struct buf b = BUF_INIT;
	int fd;

	snprintf(qdir, sizeof qdir, "%s/m", top);
	tap_ok(queue_put(qdir, "incoming", &e, QUEUE_JUDGED, "X-Top: 1\n", 9,
	    "body\n", 5, id, sizeof id) == 0, "queue_put");
	queue_path(p, sizeof p, qdir, "incoming", "env", id);
	slurp(p, &b);
	tap_ok(b.p && strstr(b.p, "\nJpass\n") != NULL, "the door's verdict is line J");
	queue_path(p, sizeof p, qdir, "incoming", "sched", id);
	close(open(p, O_WRONLY | O_CREAT, 0600));
	tap_ok(queue_move(qdir, "incoming", "outgoing", id, &e, 0) == 0,
	    "queue_move");
	queue_path(p, sizeof p, qdir, "outgoing", "new", id);
	slurp(p, &b);
	tap_ok(b.len == 14 && memcmp(b.p, "X-Top: 1\nbody\n", 14) == 0,
	    "the message is in outgoing/new under its id, whole");
	queue_path(p, sizeof p, qdir, "outgoing", "env", id);
	tap_ok(access(p, F_OK) == 0, "... with its envelope");
	queue_path(p, sizeof p, qdir, "incoming", "new", NULL);
	tap_is_long(count(p), 0, "incoming/new is empty");
	queue_path(p, sizeof p, qdir, "incoming", "env", NULL);
	tap_is_long(count(p), 0, "incoming/env is empty");
	queue_path(p, sizeof p, qdir, "incoming", "sched", NULL);
	tap_is_long(count(p), 0, "incoming/sched is empty");
	tap_ok(queue_move(qdir, "incoming", "outgoing", id, &e, 0) == -1 &&
	    errno == ENOENT, "a second move finds nothing to move");
	queue_path(p, sizeof p, qdir, "outgoing", "new", id);
	tap_ok(access(p, F_OK) == 0, "... and leaves the moved message alone");
	/* a link planted where the lock opens a message is refused */
	queue_path(p, sizeof p, qdir, "outgoing", "new", "planted");
	tap_ok(symlink("/etc/passwd", p) == 0, "a symlink planted in new/");
	fd = queue_lock(p);
	tap_ok(fd == -1 && errno == ELOOP, "queue_lock does not follow it");
	buf_free(&b);
}

int
main(void)
{
	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_env_format();
	test_ids();
	test_dir_default();
	test_commit();
	test_move();
	rm_rf(top);
	return tap_done();
}
