/* mime-explode: take messages apart (mime-explode(8)): --list prints one
 * line per MIME leaf and container member, -d DIR writes each one's
 * decoded bytes into DIR under names that cannot leave it.  Input is a
 * stranger's message; names in it are data, never paths.  Runs under the
 * caller's uid. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "explode.h"
#include "io.h"
#include "log.h"
#include "sandbox.h"
#include "msg.h"
#include "verdict.h"

/* What stops the tool from seeing everything: exit 99 says so. */
#define INCOMPLETE (MIME_LIMITS | MIME_ENCRYPTED | MIME_CORRUPT)

struct out {
	int         list;
	int         dirfd;       /* -d DIR (or the file's subdirectory), or -1 */
	const char *file;        /* escaped input name in batch mode, or NULL */
	struct buf  line;
	int         err;
};

/* One --list line:  PATH TYPE SIZE ENCODING FLAGS NAME  (tab-separated,
 * every field escaped, the free-text name last). */
static int
list_item(struct out *o, const struct explode_item *it)
{
	char fl[512];

	buf_reset(&o->line);
	if (o->file)
		buf_printf(&o->line, "%s: ", o->file);
	if (explode_escape(it->path, strlen(it->path), &o->line) == -1 ||
	    buf_printf(&o->line, "\t%s\t%zu\t%s\t%s\t", it->type[0] ? it->type : "-",
	    it->len, it->enc[0] ? it->enc : "-",
	    mime_flag_names(it->flags, fl, sizeof fl)) == -1 ||
	    explode_escape(it->name, strlen(it->name), &o->line) == -1 ||
	    buf_adds(&o->line, "\n") == -1)
		return -1;
	return fwrite(o->line.p, 1, o->line.len, stdout) == o->line.len ? 0 : -1;
}

/* Write the item's bytes to a new file in the directory; an existing
 * name is never overwritten: "~2" to "~9" are tried, then a name made
 * unique by our pid and a counter, so that a thousand messages exploded
 * into one directory cost no more than one. */
static int
write_item(struct out *o, const struct explode_item *it)
{
	static unsigned long seq;
	char name[200], try[240];
	int fd = -1, k;

	if (it->data == NULL || explode_safe_name(it->path, name, sizeof name) == -1)
		return 0;
	for (k = 1; k < 100 && fd == -1; k++) {
		if (k == 1)
			snprintf(try, sizeof try, "%s", name);
		else if (k < 10)
			snprintf(try, sizeof try, "%s~%d", name, k);
		else
			snprintf(try, sizeof try, "%s~%ld.%lu", name, (long)getpid(), ++seq);
		fd = openat(o->dirfd, try, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			return -1;
	}
	if (fd == -1)
		return -1;
	if (io_write_all(fd, it->data, it->len) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int
on_item(void *arg, const struct explode_item *it)
{
	struct out *o = arg;

	if (o->list && list_item(o, it) == -1)
		return -1;
	if (o->dirfd != -1 && write_item(o, it) == -1)
		return -1;
	return 0;
}

/* Explode one message from fd; returns the exit status for it. */
static int
one(struct out *o, const struct mime_limits *lim, int fd, const char *name)
{
	struct explode_stats st;
	struct msg m;
	struct buf cn = BUF_INIT;
	char fl[512];
	int rc;

	if (msg_read_fd(fd, (size_t)lim->total, &m) == -1 && errno != EFBIG) {
		log_fatal(errno, "unable to read %s", name ? name : "stdin");
		msg_free(&m);
		return EXIT_TEMP;
	}
	if (name) {
		explode_escape(name, strlen(name), &cn);
		o->file = cn.p;
	}
	rc = explode_message(m.raw.p ? m.raw.p : "", m.raw.len, lim, on_item, o, &st);
	if (rc == -1) {
		log_fatal(errno, "unable to write %s%s", name ? "parts of " : "parts",
		    name ? cn.p : "");
		rc = EXIT_TEMP;
	} else if (m.truncated || (st.flags & INCOMPLETE)) {
		log_warn(0, "%s: not taken apart completely: %s%s", name ? cn.p : "stdin",
		    mime_flag_names(st.flags & INCOMPLETE, fl, sizeof fl),
		    m.truncated ? " (message over mimebytes)" : "");
		rc = EXIT_QUARANTINE;
	} else
		rc = EXIT_PASS;
	o->file = NULL;
	buf_free(&cn);
	msg_free(&m);
	return rc;
}

/* With several files and -d, file number i goes into DIR/i. */
static int
subdir(int top, int i)
{
	char n[32];
	int fd;

	snprintf(n, sizeof n, "%d", i);
	if (mkdirat(top, n, 0700) == -1 && errno != EEXIST)
		return -1;
	fd = openat(top, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

static int
worst(int a, int b)
{
	if (a == EXIT_TEMP || b == EXIT_TEMP)
		return EXIT_TEMP;
	return a > b ? a : b;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "lint", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};
	struct mime_limits lim;
	struct out o = { 0, -1, NULL, BUF_INIT, 0 };
	const char *dir = NULL;
	int ch, i, fd, top = -1, rc = EXIT_PASS, lint = 0;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:d:lh", lo, NULL)) != -1) {
		switch (ch) {
		case 'C': ctl_set_dir(optarg); break;
		case 'd': dir = optarg; break;
		case 'l': o.list = 1; break;
		case 'L': lint = 1; break;
		default:
			fprintf(stderr, "usage: %s [--list] [-d dir] [-C dir] [file ...]\n"
			    "       %s [-C dir] --lint\n", log_prog(), log_prog());
			return ch == 'h' ? EXIT_PASS : EXIT_TEMP;
		}
	}
	if (!dir)
		o.list = 1;
	if (mime_limits_ctl(&lim) == -1) {
		log_fatal(errno, "unable to read the mime limits in %s", ctl_dir());
		return EXIT_TEMP;
	}
	/* --lint: the limits are all it reads */
	if (lint) {
		printf("%s: depth %lu, parts %lu, bytes %lu, part bytes %lu, "
		    "ratio %lu, seconds %lu\n", log_prog(), (unsigned long)lim.depth,
		    (unsigned long)lim.parts, (unsigned long)lim.total,
		    (unsigned long)lim.partbytes, (unsigned long)lim.ratio,
		    (unsigned long)lim.seconds);
		return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
	}
	if (dir && (top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_fatal(errno, "unable to open %s", dir);
		return EXIT_TEMP;
	}
	o.dirfd = top;
	if (sandbox_tool() == -1) {
		log_fatal(errno, "unable to give up exec");
		return EXIT_TEMP;
	}
	if (optind == argc)
		rc = one(&o, &lim, 0, NULL);
	for (i = optind; i < argc; i++) {
		if (top != -1 && argc - optind > 1 &&
		    (o.dirfd = subdir(top, i - optind + 1)) == -1) {
			log_fatal(errno, "unable to make a directory in %s", dir);
			rc = EXIT_TEMP;
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
			log_fatal(errno, "unable to open %s", argv[i]);
			rc = EXIT_TEMP;
		} else {
			rc = worst(rc, one(&o, &lim, fd, argv[i]));
			close(fd);
		}
		if (o.dirfd != top)
			close(o.dirfd);
	}
	buf_free(&o.line);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_fatal(errno, "unable to write output");
		return EXIT_TEMP;
	}
	return rc;
}
