/* maildir-rescan: judge the mail already delivered into maildirs again,
 * with today's rules and signatures, as cron runs it after an update:
 * every message of new/ and cur/ goes through a chain (the inbound chain
 * of the control directory, or the filters named), and what is caught
 * now (quarantine or reject) moves into the maildir's .Quarantine folder,
 * one line printed for each.  Safe beside a delivery or a mail client at
 * work in the same maildir: tmp/ is never read, a message is only ever
 * renamed, never rewritten, and one that moved meanwhile is looked for
 * under its new name.  Incremental: a state file remembers which
 * messages were judged under which rescan_fingerprint of the chain, its
 * programs, the control and rule files and any signature files named, so
 * that a nightly run over a large store judges only what is new unless
 * something changed.  Runs as the maildir's owner; the stages are
 * strangers' parsers and only their exit status is believed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "ctl.h"
#include "io.h"
#include "log.h"
#include "rescan.h"
#include "spawn.h"
#include "verdict.h"

#define STATE_NAME ".portcullis-rescan"

struct opts {
	struct ctl_list chain;
	const char *qfolder, *state, **extra;
	size_t nextra;
	int dry, all, verbose;
	unsigned long timeout;
};

/* The maildir folder qf (tmp, new, cur), made where missing. */
static int
make_folder(const char *md, const char *qf)
{
	static const char *const sub[] = { "", "/tmp", "/new", "/cur" };
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < 4; i++)
		if ((size_t)snprintf(p, sizeof p, "%s/%s%s", md, qf, sub[i]) >= sizeof p ||
		    (mkdir(p, 0700) == -1 && errno != EEXIST))
			return -1;
	return 0;
}

/* Move md/sub/name into the quarantine folder, under the same name; if
 * a mail client moved it meanwhile (new to cur, flags added), under the
 * name it has now.  0, 1 when it is gone, -1. */
static int
quarantine(const struct opts *o, const char *md, const char *sub,
    const char *name, size_t ulen, char *to, size_t tn)
{
	static const char *const subs[] = { "new", "cur" };
	char from[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	size_t k;

	if (make_folder(md, o->qfolder) == -1)
		return -1;
	for (k = 0; k < 3; k++) {
		const char *s = k == 0 ? sub : subs[k - 1], *nm = name;
		char found[NAME_MAX + 1] = "";
		if (k > 0) {
			/* look for the unique name in new/ and cur/ */
			if ((size_t)snprintf(from, sizeof from, "%s/%s", md, s) >= sizeof from ||
			    (dir = opendir(from)) == NULL)
				continue;
			while ((d = readdir(dir)) != NULL)
				if (strncmp(d->d_name, name, ulen) == 0 &&
				    (d->d_name[ulen] == '\0' || d->d_name[ulen] == ':')) {
					snprintf(found, sizeof found, "%s", d->d_name);
					break;
				}
			closedir(dir);
			if (found[0] == '\0')
				continue;
			nm = found;
		}
		if ((size_t)snprintf(from, sizeof from, "%s/%s/%s", md, s, nm) >= sizeof from ||
		    (size_t)snprintf(to, tn, "%s/%s/%s/%s", md, o->qfolder, s, nm) >= tn)
			return -1;
		if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	return 1;
}

/* Judge one message; print it if caught.  0, or 1 tempfail, -1 error. */
static int
judge(const struct opts *o, const char *md, const char *sub, const char *name,
    int scratch, struct rescan_names *done)
{
	struct chain_result r;
	char path[PATH_MAX], to[PATH_MAX], tmpd[PATH_MAX];
	size_t ulen = strcspn(name, ":");
	struct stat st;
	int in, saved = -1, null, q;

	if ((size_t)snprintf(path, sizeof path, "%s/%s/%s", md, sub, name) >= sizeof path)
		return -1;
	if ((in = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;   /* moved by a mail client */
	if (fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(in);
		return 0;
	}
	snprintf(tmpd, sizeof tmpd, "%s/tmp", md);
	/* the stages' words go to the log only with -v */
	if (!o->verbose && (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1) {
		saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
		dup2(null, 2);
		close(null);
	}
	(void)chain_run(&o->chain, in, scratch, (unsigned)o->timeout * 1000, NULL,
	    tmpd, &r);
	if (saved != -1) {
		dup2(saved, 2);
		close(saved);
	}
	close(in);
	if (r.v == VERDICT_TEMPFAIL) {
		log_warn(0, "%s: not judged now: %s", path, r.why);
		return 1;
	}
	if (rescan_names_add(done, name, ulen) == -1)
		return -1;
	if (r.v != VERDICT_QUARANTINE && r.v != VERDICT_REJECT)
		return 0;
	if (o->dry) {
		printf("%s: %s: %s%s%s (not moved: -n)\n", path, verdict_name(r.v), r.why,
		    r.reason[0] ? ": " : "", r.reason);
		return 0;
	}
	if ((q = quarantine(o, md, sub, name, ulen, to, sizeof to)) == -1) {
		log_warn(errno, "%s: unable to move it into %s", path, o->qfolder);
		done->n--;
		free(done->v[done->n]);
		return 1;
	}
	if (q == 1)
		return 0;   /* deleted meanwhile */
	printf("%s: %s: %s%s%s -> %s\n", path, verdict_name(r.v), r.why,
	    r.reason[0] ? ": " : "", r.reason, to);
	return 0;
}

/* One maildir: new/ and cur/, what the state has not seen under fp. */
static int
rescan(const struct opts *o, const char *md, const char *fp, int scratch)
{
	static const char *const subs[] = { "new", "cur" };
	char sp[PATH_MAX], p[PATH_MAX];
	struct rescan_names old = { 0 }, done = { 0 };
	struct dirent *d;
	size_t k, seen = 0, judged = 0, bad = 0;
	int lock, rc = 0, r;
	DIR *dir;

	if ((size_t)snprintf(sp, sizeof sp, "%s", o->state ? o->state : "") >= sizeof sp ||
	    (!o->state && (size_t)snprintf(sp, sizeof sp, "%s/%s", md, STATE_NAME) >= sizeof sp))
		return -1;
	/* one rescan of a maildir at a time */
	if ((size_t)snprintf(p, sizeof p, "%s.lock", sp) >= sizeof p ||
	    (lock = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn(errno, "unable to lock %s", p);
		return -1;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) == -1) {
		log_warn(errno, "%s: another rescan is at work", md);
		close(lock);
		return -1;
	}
	if (!o->all && rescan_state_read(sp, fp, &old) == -1) {
		log_warn(errno, "unable to read %s", sp);
		rc = -1;
		goto out;
	}
	for (k = 0; k < 2; k++) {
		if ((size_t)snprintf(p, sizeof p, "%s/%s", md, subs[k]) >= sizeof p ||
		    (dir = opendir(p)) == NULL) {
			log_warn(errno, "unable to read %s", p);
			rc = -1;
			goto out;
		}
		while ((d = readdir(dir)) != NULL) {
			char *key, u[NAME_MAX + 1];
			if (d->d_name[0] == '.')
				continue;
			seen++;
			snprintf(u, sizeof u, "%.*s", (int)strcspn(d->d_name, ":"), d->d_name);
			key = u;
			if (old.n && bsearch(&key, old.v, old.n, sizeof *old.v, rescan_cmp)) {
				if (rescan_names_add(&done, u, strlen(u)) == -1)
					rc = -1;
				continue;
			}
			judged++;
			if ((r = judge(o, md, subs[k], d->d_name, scratch, &done)) != 0) {
				bad++;
				if (r == -1)
					log_warn(errno, "%s/%s/%s: unable to judge it", md,
					    subs[k], d->d_name);
			}
		}
		closedir(dir);
	}
	if (!o->dry && rescan_state_write(sp, fp, &done) == -1) {
		log_warn(errno, "unable to write %s", sp);
		rc = -1;
	}
	if (o->verbose)
		log_info("%s: %zu messages, %zu judged, %zu not judged now", md, seen,
		    judged, bad);
	if (bad)
		rc = -1;
out:
	rescan_names_free(&old);
	rescan_names_free(&done);
	close(lock);
	return rc;
}

/* --lint: the chain as a run would take it, each line a program that
 * can be run, and timeoutstage; one line of what was read, or 111. */
static int
lint(const struct opts *o, const char *fp)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < o->chain.n; i++) {
		struct spawn_argv a;
		if (spawn_split(o->chain.v[i], &a) == -1) {
			log_fatal(0, "chain line %zu: \"%s\": not a command line", i + 1,
			    o->chain.v[i]);
			bad = 1;
			continue;
		}
		if (!spawn_runnable(a.v[0])) {
			log_fatal(0, "chain line %zu: \"%s\": no such program", i + 1,
			    o->chain.v[i]);
			bad = 1;
		}
		spawn_argv_free(&a);
	}
	if (bad)
		return EXIT_TEMP;
	printf("maildir-rescan: chain of %zu stages, timeoutstage %lu, quarantine "
	    "folder %s, fingerprint %.16s\n", o->chain.n, o->timeout, o->qfolder, fp);
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
}

static void
usage(void)
{
	fprintf(stderr, "usage: maildir-rescan [-anv] [-C dir] [-o | -c chainfile | "
	    "-f filter ...] [-q folder] [-s statefile] [-V file ...] maildir ...\n"
	    "       maildir-rescan [-C dir] [-o | -c chainfile | -f filter ...] --lint\n");
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *chainfile = NULL;
	char fp[RESCAN_FP_MAX], tmpl[PATH_MAX];
	struct ctl_list filters = { 0 };
	static const struct option lo[] = {
		{ "lint", no_argument, NULL, 'L' }, { NULL, 0, NULL, 0 } };
	int ch, i, out = 0, rc = EXIT_PASS, scratch, dolint = 0;
	char **fv = NULL;
	size_t nf = 0;

	log_init(argv[0]);
	memset(&o, 0, sizeof o);
	o.qfolder = ".Quarantine";
	if ((o.extra = calloc((size_t)argc, sizeof *o.extra)) == NULL ||
	    (fv = calloc((size_t)argc, sizeof *fv)) == NULL)
		return EXIT_TEMP;
	while ((ch = getopt_long(argc, argv, "aC:c:f:noq:s:vV:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'L': dolint = 1; break;
		case 'a': o.all = 1; break;
		case 'C': ctl_set_dir(optarg); break;
		case 'c': chainfile = optarg; break;
		case 'f': fv[nf++] = optarg; break;
		case 'n': o.dry = 1; break;
		case 'o': out = 1; break;
		case 'q': o.qfolder = optarg; break;
		case 's': o.state = optarg; break;
		case 'v': o.verbose = 1; break;
		case 'V': o.extra[o.nextra++] = optarg; break;
		default:
			usage();
			return ch == 'h' ? EXIT_PASS : EXIT_TEMP;
		}
	}
	/* a Maildir++ folder name: one name, no way out of the maildir */
	if ((optind == argc && !dolint) || o.qfolder[0] != '.' || strchr(o.qfolder, '/') ||
	    strcmp(o.qfolder, ".") == 0 || strcmp(o.qfolder, "..") == 0 ||
	    (o.state && argc - optind > 1)) {
		usage();
		return EXIT_TEMP;
	}
	if (nf) {
		filters.v = fv;
		filters.n = nf;
		if ((filters.lineno = calloc(nf, sizeof *filters.lineno)) == NULL)
			return EXIT_TEMP;
		o.chain = filters;
	} else if ((chainfile ? ctl_read_path(chainfile, &o.chain) :
	    chain_load(out, &o.chain)) == -1 || (chainfile && o.chain.n == 0)) {
		log_fatal(errno ? errno : ENOENT, "unable to read the chain %s",
		    chainfile ? chainfile : out ? "chain.out" : "chain.in");
		return EXIT_TEMP;
	}
	/* the stages beside us first, as the supervisor runs them */
	spawn_path_self();
	if (ctl_ulong("timeoutstage", 300, 1, 86400, &o.timeout) == -1) {
		log_fatal(errno, "unable to read control/timeoutstage");
		return EXIT_TEMP;
	}
	if (rescan_fingerprint(&o.chain, o.extra, o.nextra, fp, sizeof fp) == -1) {
		log_fatal(0, "unable to take the rescan_fingerprint of the rules");
		return EXIT_TEMP;
	}
	if (dolint)
		return lint(&o, fp);
	/* the annotated copies the chain writes are not kept */
	snprintf(tmpl, sizeof tmpl, "%s/maildir-rescan.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((scratch = mkstemp(tmpl)) == -1) {
		log_fatal(errno, "unable to make a scratch file in %s", tmpl);
		return EXIT_TEMP;
	}
	unlink(tmpl);
	for (i = optind; i < argc; i++)
		if (rescan(&o, argv[i], fp, scratch) == -1)
			rc = EXIT_TEMP;
	close(scratch);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = EXIT_TEMP;
	return rc;
}
