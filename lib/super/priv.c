/* priv: what the supervisor does as root before it gives root up for
 * good.  Runs as root: it opens nothing a user can replace. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "super.h"

/* Make the queue directory the user's, so that a fresh install (or make
 * run as root) works; then give up root for good. */
int
super_drop_root(void)
{
	struct passwd *pw;
	static const char *const stage[] = { "", "/incoming", "/outgoing",
		"/quarantine" };
	char p[PATH_MAX];
	size_t i;

	if (getuid() != 0 && geteuid() != 0)
		return 0;
	if ((pw = getpwnam(super_cf.user)) == NULL) {
		log_fatal(0, "control/user: no user %s", super_cf.user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_fatal(0, "control/user: %s is root; no stage may run as root",
		    super_cf.user);
		return -1;
	}
	for (i = 0; i < sizeof stage / sizeof stage[0]; i++) {
		if ((size_t)snprintf(p, sizeof p, "%s%s", super_cf.qdir, stage[i]) >= sizeof p)
			return -1;
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			log_fatal(errno, "unable to create %s", p);
			return -1;
		}
		if (chown(p, pw->pw_uid, pw->pw_gid) == -1) {
			log_fatal(errno, "unable to give %s to %s", p, super_cf.user);
			return -1;
		}
	}
	if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1 || setuid(0) == 0) {
		log_fatal(errno, "unable to drop root to %s", super_cf.user);
		return -1;
	}
	log_info("running as %s (uid %ld)", super_cf.user, (long)pw->pw_uid);
	return 0;
}
