/* qclean: the supervisor's sweep of a queue stage's leftovers (tmp/ files
 * of crashed writers, envelopes whose message is gone), apart from the
 * writing of messages in queue.c.  Runs as the queue's owner. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"

/* Remove the regular files of STAGE/SUB older than age seconds (0: all);
 * with orphan_env only those whose message is gone from new/.  Never
 * follows a link: lstat, and a link is left for the administrator.  The
 * number removed. */
size_t
queue_clean(const char *dir, const char *stage, const char *sub, time_t age,
    int orphan_env)
{
	char p[PATH_MAX], np[PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	size_t n = 0;
	int dfd;
	DIR *d;

	if (queue_path(p, sizeof p, dir, stage, sub, NULL) == -1 ||
	    (d = opendir(p)) == NULL)
		return 0;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode) || (age && now - st.st_mtime < age))
			continue;
		if (orphan_env && (queue_path(np, sizeof np, dir, stage, "new",
		    de->d_name) == -1 || faccessat(AT_FDCWD, np, F_OK,
		    AT_SYMLINK_NOFOLLOW) == 0))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}
