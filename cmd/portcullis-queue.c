/* portcullis-queue: the administrator's view of the queue and the hand
 * on it (portcullis-queue(8)), as postqueue and postsuper are Postfix's:
 * list, show, delete, flush, hold, release, stats.  Reads the queue's
 * files, whose values came from strangers: every one is cleaned before it
 * is printed.  Run as root it becomes the queue's owner first; it works
 * as that user as well.  Each change is one line on stderr. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "log.h"
#include "qadmin.h"
#include "qlist.h"
#include "queue.h"
#include "verdict.h"

#define EXIT_OK   0
#define EXIT_GONE 100   /* no such message, or not in a stage for that */

static const char *qdir;
static int json, body;
static char who[64] = "?";
static time_t now;

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-Q queuedir] [-j] list [stage ...]\n"
	    "       %s [-Q queuedir] show [-b] id\n"
	    "       %s [-Q queuedir] delete | hold | release id ...\n"
	    "       %s [-Q queuedir] flush [id ...]\n"
	    "       %s [-Q queuedir] [-j] stats\n", log_prog(), log_prog(),
	    log_prog(), log_prog(), log_prog());
}

/* untrusted text as printable ASCII */
static void
put_clean(const char *s, size_t max)
{
	char b[1024];

	log_clean(b, sizeof b, s ? s : "", strnlen(s ? s : "", max));
	fputs(b, stdout);
}

static const char *
stamp(time_t t, char *b, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(b, n, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) == 0)
		snprintf(b, n, "%lld", (long long)t);
	return b;
}

/* One message as one line (qlist_line): for people, or JSON with -j. */
static void
list_one(const struct qadmin_msg *m)
{
	struct buf b = BUF_INIT;

	if (qlist_line(m, now, json, &b) == 0)
		fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
}

static int
cmd_list(char **stages, int n)
{
	static const char *const *def = qadmin_stages;
	struct qadmin_msg m;
	char **ids;
	size_t k, i;
	int s, rc = EXIT_OK;
	const char *st;

	for (s = 0; n ? s < n : def[s] != NULL; s++) {
		st = n ? stages[s] : def[s];
		if (!qadmin_stage_ok(st)) {
			log_fatal(0, "no stage %s", st);
			return EXIT_TEMP;
		}
		if (qadmin_ids(qdir, st, &ids, &k) == -1) {
			log_warn(errno, "unable to read %s/%s", qdir, st);
			rc = EXIT_TEMP;
			continue;
		}
		for (i = 0; i < k; i++)
			if (qadmin_read(qdir, st, ids[i], &m) == 0) {
				list_one(&m);
				qadmin_msg_free(&m);
			}
		qadmin_ids_free(ids, k);
	}
	return rc;
}

/* The stage that holds id, or an error said and its exit status. */
static int
find(const char *id, char *stage, size_t n)
{
	if (!qadmin_id_ok(id)) {
		log_warn(0, "%.80s is not a queue id", id);
		return EXIT_GONE;
	}
	if (qadmin_find(qdir, id, stage, n) == -1) {
		log_warn(0, "qid=%s not in the queue", id);
		return EXIT_GONE;
	}
	return EXIT_OK;
}

static void
show_line(const char *key, const char *v)
{
	printf("%s: ", key);
	put_clean(v, 1000);
	putchar('\n');
}

/* Bytes to stdout; cleaned of controls but TAB and LF when it is a
 * terminal, so that no message can drive it. */
static int
put_bytes(const char *p, size_t n, int tty)
{
	size_t i;
	unsigned char c;

	if (!tty)
		return fwrite(p, 1, n, stdout) == n ? 0 : -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		putchar((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ? '?' : c);
	}
	return 0;
}

static int
cmd_show(const char *id)
{
	char stage[32], a[32], b[32];
	struct qadmin_msg m;
	struct buf h = BUF_INIT;
	char chunk[65536];
	ssize_t r;
	size_t i;
	int rc, fd, tty = isatty(1);

	if ((rc = find(id, stage, sizeof stage)) != EXIT_OK)
		return rc;
	if (qadmin_read(qdir, stage, id, &m) == -1) {
		log_warn(errno, "qid=%s unable to read it", id);
		return errno == ENOENT ? EXIT_GONE : EXIT_TEMP;
	}
	show_line("id", m.id);
	show_line("stage", m.stage);
	printf("size: %lld\n", (long long)m.size);
	printf("arrival: %s (%s ago)\n", stamp(m.arrived, a, sizeof a),
	    qlist_span(now - m.arrived, b, sizeof b));
	if (m.have_env) {
		if (m.env.qid)
			show_line("queue-id", m.env.qid);
		show_line("direction", env_dir_name(m.env.dir));
		if (m.env.ip)
			show_line("client", m.env.ip);
		if (m.env.host)
			show_line("client-name", m.env.host);
		if (m.env.helo)
			show_line("helo", m.env.helo);
		if (m.env.tls)
			show_line("tls", m.env.tls);
		if (m.flags & QUEUE_8BITMIME)
			show_line("body", "8BITMIME");
		if (m.flags & QUEUE_SMTPUTF8)
			show_line("smtputf8", "yes");
		printf("sender: <");
		put_clean(m.env.sender, 1000);
		printf(">\n");
		for (i = 0; i < m.env.nrcpt; i++) {
			printf("recipient: <");
			put_clean(m.env.rcpt[i], 1000);
			printf(">\n");
		}
	} else
		printf("envelope: missing\n");
	if (m.have_sched)
		printf("tries: %u, first %s, next %s\n", m.sched.tries,
		    stamp(m.sched.first, a, sizeof a), m.sched.next > now ?
		    stamp(m.sched.next, b, sizeof b) : "now");
	if (m.reason[0])
		show_line("quarantine", m.reason);
	putchar('\n');
	qadmin_msg_free(&m);
	if (body) {
		if ((fd = qadmin_open(qdir, stage, id)) == -1) {
			log_warn(errno, "qid=%s unable to read it", id);
			return EXIT_TEMP;
		}
		while ((r = io_read_some(fd, chunk, sizeof chunk)) > 0)
			if (put_bytes(chunk, (size_t)r, tty) == -1)
				break;
		close(fd);
	} else if (qadmin_headers(qdir, stage, id, &h) == 0) {
		put_bytes(h.p ? h.p : "", h.len, tty);
		if (h.len && h.p[h.len - 1] != '\n')
			putchar('\n');
	}
	buf_free(&h);
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_OK;
}

/* The exit status of a change that failed, and its line. */
static int
failed(const char *id, const char *what)
{
	int e = errno;

	if (e == EBUSY) {
		log_warn(0, "qid=%s unable to %s: a delivery or scan has it now; "
		    "try again", id, what);
		return EXIT_TEMP;
	}
	log_warn(e, "qid=%s unable to %s", id, what);
	return e == ENOENT ? EXIT_GONE : EXIT_TEMP;
}

static int
worst(int a, int b)
{
	return a == EXIT_TEMP || b == EXIT_TEMP ? EXIT_TEMP :
	    a == EXIT_GONE || b == EXIT_GONE ? EXIT_GONE : EXIT_OK;
}

static int
cmd_delete(char **ids, int n)
{
	char stage[32];
	int i, r, rc = EXIT_OK;

	for (i = 0; i < n; i++) {
		if ((r = find(ids[i], stage, sizeof stage)) != EXIT_OK)
			rc = worst(rc, r);
		else if (qadmin_delete(qdir, stage, ids[i]) == -1)
			rc = worst(rc, failed(ids[i], "delete it"));
		else
			log_info("qid=%s action=delete stage=%s user=%s", ids[i],
			    stage, who);
	}
	return rc;
}

static int
flush_one(const char *stage, const char *id)
{
	switch (qadmin_flush(qdir, stage, id)) {
	case 0:
		log_info("qid=%s action=flush stage=%s user=%s", id, stage, who);
		return EXIT_OK;
	case 1:
	case 2:
		return EXIT_OK;   /* due already, or being tried now */
	default:
		return failed(id, "flush it");
	}
}

static int
cmd_flush(char **ids, int n)
{
	static const char *const st[] = { "incoming", "outgoing" };
	char stage[32], **all;
	size_t k, j, s;
	int i, r, rc = EXIT_OK;

	for (i = 0; i < n; i++) {
		if ((r = find(ids[i], stage, sizeof stage)) != EXIT_OK)
			rc = worst(rc, r);
		else if (!qlist_tried(stage)) {
			log_warn(0, "qid=%s is in %s, which is never tried: release "
			    "it instead", ids[i], stage);
			rc = worst(rc, EXIT_GONE);
		} else
			rc = worst(rc, flush_one(stage, ids[i]));
	}
	for (s = 0; n == 0 && s < sizeof st / sizeof st[0]; s++) {
		if (qadmin_ids(qdir, st[s], &all, &k) == -1) {
			log_warn(errno, "unable to read %s/%s", qdir, st[s]);
			rc = EXIT_TEMP;
			continue;
		}
		for (j = 0; j < k; j++)
			rc = worst(rc, flush_one(st[s], all[j]));
		qadmin_ids_free(all, k);
	}
	return rc;
}

static int
cmd_hold(char **ids, int n)
{
	char stage[32];
	int i, r, rc = EXIT_OK;

	for (i = 0; i < n; i++) {
		if ((r = find(ids[i], stage, sizeof stage)) != EXIT_OK)
			rc = worst(rc, r);
		else if (strcmp(stage, "outgoing") != 0) {
			log_warn(0, "qid=%s is in %s: only outgoing mail is held",
			    ids[i], stage);
			rc = worst(rc, EXIT_GONE);
		} else if (qadmin_hold(qdir, ids[i]) == -1)
			rc = worst(rc, failed(ids[i], "hold it"));
		else
			log_info("qid=%s action=hold from=outgoing to=hold user=%s",
			    ids[i], who);
	}
	return rc;
}

static int
cmd_release(char **ids, int n)
{
	char stage[32];
	int i, r, rc = EXIT_OK;

	for (i = 0; i < n; i++) {
		if ((r = find(ids[i], stage, sizeof stage)) != EXIT_OK)
			rc = worst(rc, r);
		else if (strcmp(stage, "hold") != 0 &&
		    strcmp(stage, "quarantine") != 0) {
			log_warn(0, "qid=%s is in %s: only held or quarantined mail "
			    "is released", ids[i], stage);
			rc = worst(rc, EXIT_GONE);
		} else if (qadmin_release(qdir, stage, ids[i]) == -1)
			rc = worst(rc, failed(ids[i], "release it"));
		else
			log_info("qid=%s action=release from=%s to=outgoing user=%s",
			    ids[i], stage, who);
	}
	return rc;
}

static int
cmd_stats(void)
{
	struct qadmin_stats s;
	char a[32];
	size_t i;
	int rc = EXIT_OK;

	for (i = 0; qadmin_stages[i]; i++) {
		if (qadmin_stats(qdir, qadmin_stages[i], &s) == -1) {
			log_warn(errno, "unable to read %s/%s", qdir, qadmin_stages[i]);
			rc = EXIT_TEMP;
			continue;
		}
		if (json) {
			printf("{\"stage\":\"%s\",\"messages\":%zu,\"bytes\":%llu",
			    qadmin_stages[i], s.n, s.bytes);
			if (s.n)
				printf(",\"oldest\":\"%s\",\"oldest_age\":%lld",
				    s.oldest_id, (long long)(now - s.oldest));
			printf("}\n");
			continue;
		}
		printf("%s messages=%zu bytes=%llu", qadmin_stages[i], s.n, s.bytes);
		if (s.n)
			printf(" oldest=%s age=%s", s.oldest_id,
			    qlist_span(now - s.oldest, a, sizeof a));
		putchar('\n');
	}
	return fflush(stdout) == EOF ? EXIT_TEMP : rc;
}

int
main(int argc, char **argv)
{
	const char *qopt = NULL, *cmd;
	struct passwd *pw;
	uid_t uid;
	int ch, n, rc;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "Q:bj")) != -1) {
		if (ch == 'Q')
			qopt = optarg;
		else if (ch == 'b')
			body = 1;
		else if (ch == 'j')
			json = 1;
		else {
			usage();
			return EXIT_TEMP;
		}
	}
	if (optind >= argc) {
		usage();
		return EXIT_TEMP;
	}
	cmd = argv[optind++];
	argv += optind;
	n = argc - optind;
	qdir = queue_dir_default(qopt);
	if (qadmin_drop_root(qdir, &uid) == -1) {
		log_fatal(errno, "unable to become the owner of the queue %s", qdir);
		return EXIT_TEMP;
	}
	if ((pw = getpwuid(uid)) != NULL)
		log_clean(who, sizeof who, pw->pw_name, strlen(pw->pw_name));
	else
		snprintf(who, sizeof who, "%ld", (long)uid);
	now = time(NULL);
	if (strcmp(cmd, "list") == 0)
		rc = cmd_list(argv, n);
	else if (strcmp(cmd, "show") == 0 && n == 1)
		rc = cmd_show(argv[0]);
	else if (strcmp(cmd, "delete") == 0 && n > 0)
		rc = cmd_delete(argv, n);
	else if (strcmp(cmd, "flush") == 0)
		rc = cmd_flush(argv, n);
	else if (strcmp(cmd, "hold") == 0 && n > 0)
		rc = cmd_hold(argv, n);
	else if (strcmp(cmd, "release") == 0 && n > 0)
		rc = cmd_release(argv, n);
	else if (strcmp(cmd, "stats") == 0 && n == 0)
		rc = cmd_stats();
	else {
		usage();
		return EXIT_TEMP;
	}
	if (fflush(stdout) == EOF) {
		log_fatal(errno, "unable to write the output");
		return EXIT_TEMP;
	}
	return rc;
}
