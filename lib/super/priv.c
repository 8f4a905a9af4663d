/* priv: what the supervisor does as root before it gives root up: it
 * finds the uids of qmail's manner (control/user owns the queue and runs
 * the supervisor, control/smtpduser the door, control/scanuser the
 * stages, control/deliveryuser relay-out; portcullis(7), PRIVILEGES),
 * makes the queue's folders the queue owner's, and drops to it.  Runs as
 * root on a queue directory that unprivileged users may have written:
 * it never opens a path through a link, never changes a file it did not
 * open itself (fchown and fchmod on the descriptor), and refuses a queue
 * whose folders are links or belong to someone else, or that lies below a
 * folder someone other than root could change. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "queue.h"
#include "sandbox.h"
#include "super.h"

struct who {
	const char *file, *dedicated;
	uid_t uid;
	gid_t gid;
	char  name[64];
};

/* The user of a control file: its name, else the dedicated account
 * make install creates, else nobody (so that a fresh machine runs). */
static int
user_of(struct who *w)
{
	struct passwd *pw;

	if (ctl_string(w->file, "", w->name, sizeof w->name) == -1) {
		log_fatal(errno, "unable to read control/%s", w->file);
		return -1;
	}
	if (w->name[0] == '\0')
		snprintf(w->name, sizeof w->name, "%s",
		    getpwnam(w->dedicated) ? w->dedicated : "nobody");
	if ((pw = getpwnam(w->name)) == NULL) {
		log_fatal(0, "control/%s: no user %s", w->file, w->name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_fatal(0, "control/%s: %s is root; only the listener runs as root",
		    w->file, w->name);
		return -1;
	}
	w->uid = pw->pw_uid;
	w->gid = pw->pw_gid;
	return 0;
}

/* One folder of the queue, name in the folder at, created when missing,
 * opened without following a link, and given to the queue owner with
 * mode: its descriptor, or -1 (logged) when it is a link, not a folder,
 * or belongs to neither root nor the owner. */
static int
own_dir(int at, const char *path, const char *name, uid_t u, gid_t g,
    mode_t mode)
{
	struct stat st;
	int fd;

	if (mkdirat(at, name, 0700) == -1 && errno != EEXIST) {
		log_fatal(errno, "unable to create %s", path);
		return -1;
	}
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			log_fatal(0, "refusing the queue: %s is a link or not a folder",
			    path);
		else
			log_fatal(errno, "unable to open %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_fatal(errno, "unable to check %s", path);
		close(fd);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != u) {
		log_fatal(0, "refusing the queue: %s belongs to uid %ld, not to "
		    "root or the queue's owner", path, (long)st.st_uid);
		close(fd);
		return -1;
	}
	if ((st.st_uid != u || st.st_gid != g) && fchown(fd, u, g) == -1) {
		log_fatal(errno, "unable to give %s to uid %ld", path, (long)u);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) == -1) {
		log_fatal(errno, "unable to set the mode of %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether a folder above the queue is safe: root's, and writable by no
 * one else unless sticky (as /tmp, where no one can move root's
 * entries).  Else no one but root could put another folder in the
 * queue's place; logged. */
static int
safe_above(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		log_fatal(errno, "unable to check %s", path);
		return -1;
	}
	if (st.st_uid != 0 || ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))) {
		log_fatal(0, "refusing the queue: %s, above it, can be changed by "
		    "a user other than root", path);
		return -1;
	}
	return 0;
}

/* The folder that holds the queue directory, opened from / one folder at
 * a time without following a link, each one checked (safe_above); links
 * in the path the administrator gave are resolved first and what they
 * lead to is checked.  Its descriptor, the queue's own name in base; or
 * -1, logged. */
static int
open_above(const char *qdir, char *base, size_t n)
{
	char b[PATH_MAX], real[PATH_MAX], sofar[PATH_MAX] = "";
	char *slash, *p, *next;
	size_t len;
	int fd, nfd;

	if ((size_t)snprintf(b, sizeof b, "%s", qdir) >= sizeof b) {
		log_fatal(ENAMETOOLONG, "unable to use %s", qdir);
		return -1;
	}
	for (len = strlen(b); len > 1 && b[len - 1] == '/'; )
		b[--len] = '\0';
	slash = strrchr(b, '/');
	if ((size_t)snprintf(base, n, "%s", slash ? slash + 1 : b) >= n ||
	    *base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		log_fatal(0, "refusing the queue %s: not a folder's name", qdir);
		return -1;
	}
	if (slash == b)
		b[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(b, sizeof b, ".");
	if (realpath(b, real) == NULL) {
		log_fatal(errno, "unable to find %s", b);
		return -1;
	}
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    safe_above(fd, "/") == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (p = real + 1; *p; p = next) {
		if ((next = strchr(p, '/')) != NULL)
			*next++ = '\0';
		else
			next = p + strlen(p);
		len = strlen(sofar);
		snprintf(sofar + len, sizeof sofar - len, "/%s", p);
		nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd == -1) {
			log_fatal(errno, "refusing the queue: unable to open %s", sofar);
			return -1;
		}
		fd = nfd;
		if (safe_above(fd, sofar) == -1) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The stage's folders, mode m for the door's (tmp, new, env of
 * incoming), 0700 for the others. */
static int
own_stage(int qfd, const char *stage, uid_t u, gid_t g, mode_t top, mode_t m)
{
	char p[PATH_MAX];
	size_t i;
	int sfd, fd;

	if ((size_t)snprintf(p, sizeof p, "%s/%s", super_cf.qdir, stage) >= sizeof p ||
	    (sfd = own_dir(qfd, p, stage, u, g, top)) == -1)
		return -1;
	for (i = 0; queue_sub[i]; i++) {
		int door = strcmp(queue_sub[i], "cur") != 0 &&
		    strcmp(queue_sub[i], "sched") != 0;
		if ((size_t)snprintf(p, sizeof p, "%s/%s/%s", super_cf.qdir, stage,
		    queue_sub[i]) >= sizeof p ||
		    (fd = own_dir(sfd, p, queue_sub[i], u, g, door ? m : 0700)) == -1) {
			close(sfd);
			return -1;
		}
		close(fd);
	}
	close(sfd);
	return 0;
}

/* Find the uids, make the queue the owner's, give up root for good. */
int
super_drop_root(void)
{
	struct who w[] = {
		{ "user", "portcullis", 0, 0, "" },
		{ "smtpduser", "portcullis-smtpd", 0, 0, "" },
		{ "scanuser", "portcullis-scan", 0, 0, "" },
		{ "deliveryuser", "portcullis-deliver", 0, 0, "" },
	};
	static const enum sandbox_role role[] = { SANDBOX_DOOR, SANDBOX_DOOR,
		SANDBOX_STAGE, SANDBOX_DELIVERY };
	uid_t u;
	gid_t g;
	size_t i;
	char base[NAME_MAX + 1];
	int afd, qfd, apart = 0, rc;
	mode_t top;

	if (getuid() != 0 && geteuid() != 0) {
		log_info("running as uid %ld: the door, the stages and delivery "
		    "under it too", (long)getuid());
		return 0;
	}
	for (i = 0; i < sizeof w / sizeof w[0]; i++)
		if (user_of(&w[i]) == -1)
			return -1;
	u = w[0].uid;
	g = w[0].gid;
	snprintf(super_cf.user, sizeof super_cf.user, "%s", w[0].name);
	/* the door runs in the queue owner's group: it writes incoming/
	 * (group rwx there) and nothing else */
	for (i = 1; i < sizeof w / sizeof w[0]; i++) {
		sandbox_set_user(role[i], w[i].uid, i == 1 ? g : w[i].gid);
		apart |= w[i].uid != u;
		if (i > 1 && w[i].uid != u && w[i].gid == g)
			log_warn(0, "control/%s: %s is in the queue's group: it could "
			    "write incoming/", w[i].file, w[i].name);
	}
	top = w[1].uid != u ? 0710 : 0700;
	if ((afd = open_above(super_cf.qdir, base, sizeof base)) == -1)
		return -1;
	qfd = own_dir(afd, super_cf.qdir, base, u, g, top);
	close(afd);
	if (qfd == -1)
		return -1;
	rc = own_stage(qfd, "incoming", u, g, top, w[1].uid != u ? 0770 : 0700) == -1 ||
	    own_stage(qfd, "outgoing", u, g, 0700, 0700) == -1 ||
	    own_stage(qfd, "quarantine", u, g, 0700, 0700) == -1 ? -1 : 0;
	close(qfd);
	if (rc == -1)
		return -1;
	if (sandbox_drop_root(u, g, apart) == -1) {
		log_fatal(errno, "unable to drop root to %s", super_cf.user);
		return -1;
	}
	log_info("running as %s (uid %ld); door %s, stages %s, delivery %s",
	    super_cf.user, (long)u, w[1].name, w[2].name, w[3].name);
	return 0;
}

/* The uid and gid of the part control file names (user, smtpduser,
 * scanuser, deliveryuser), found as the root start finds them, so that
 * portcullis -n checks each part's configuration as that part will read
 * it.  0, or -1 logged. */
int
super_user_of(const char *file, uid_t *u, gid_t *g)
{
	static const char *const ded[][2] = { { "user", "portcullis" },
		{ "smtpduser", "portcullis-smtpd" }, { "scanuser", "portcullis-scan" },
		{ "deliveryuser", "portcullis-deliver" } };
	struct who w = { file, "nobody", 0, 0, "" };
	size_t i;

	for (i = 0; i < sizeof ded / sizeof ded[0]; i++)
		if (strcmp(file, ded[i][0]) == 0)
			w.dedicated = ded[i][1];
	if (user_of(&w) == -1)
		return -1;
	*u = w.uid;
	*g = w.gid;
	return 0;
}
