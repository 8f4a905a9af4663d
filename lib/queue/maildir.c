/* maildir: local delivery (see maildir.h).  Runs as the gateway's user;
 * dir comes from control/routes, with parts of a recipient address
 * already checked by route_maildir_path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "io.h"
#include "maildir.h"

/* mkdir -p, 0700 for what it makes. */
static int
mkdirs(const char *dir)
{
	char p[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n >= sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++)
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];
			p[i] = '\0';
			if (mkdir(p, 0700) == -1 && errno != EEXIST)
				return -1;
			p[i] = c;
		}
	return 0;
}

static int
sub(char *out, size_t n, const char *dir, const char *s, const char *name)
{
	int r = name ? snprintf(out, n, "%s/%s/%s", dir, s, name) :
	    snprintf(out, n, "%s/%s", dir, s);

	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
ensure(const char *dir)
{
	static const char *const s[] = { "tmp", "new", "cur" };
	char p[PATH_MAX];
	size_t i;

	if (mkdirs(dir) == -1)
		return -1;
	for (i = 0; i < 3; i++)
		if (sub(p, sizeof p, dir, s[i], NULL) == -1 ||
		    (mkdir(p, 0700) == -1 && errno != EEXIST))
			return -1;
	return 0;
}

/* Deliver; name gets the file's name in new/.  0, or -1 with errno
 * (every failure is temporary for the caller: disk full, permissions). */
int
maildir_deliver(const char *dir, const char *top, size_t toplen,
    const char *msg, size_t n, char *name, size_t namesize)
{
	static unsigned long count;
	char host[128], tp[PATH_MAX], np[PATH_MAX];
	struct timeval tv;
	int fd, e, tries, made = 0;

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "localhost");
	host[strcspn(host, "/:")] = '\0';   /* maildir(5): no '/' or ':' */
	for (tries = 0; ; tries++) {
		gettimeofday(&tv, NULL);
		snprintf(name, namesize, "%lld.M%06ldP%ldQ%lu.%s",
		    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), ++count,
		    host);
		if (sub(tp, sizeof tp, dir, "tmp", name) == -1 ||
		    sub(np, sizeof np, dir, "new", name) == -1)
			return -1;
		fd = open(tp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd >= 0)
			break;
		/* the folders are made when missing, not tried every time */
		if (errno == ENOENT && !made) {
			if (ensure(dir) == -1)
				return -1;
			made = 1;
			continue;
		}
		if (errno != EEXIST || tries > 100)
			return -1;
	}
	if (io_write_all(fd, top, toplen) == -1 || io_write_all(fd, msg, n) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1)
		goto fail;
	fd = -1;
	/* link, not rename: never replace a file of the same name (qmail) */
	if (link(tp, np) == -1)
		goto fail;
	unlink(tp);
	if (sub(tp, sizeof tp, dir, "new", NULL) == -1 ||
	    (fd = open(tp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;   /* may be there; the retry may deliver twice */
	}
	close(fd);
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tp);
	errno = e;
	return -1;
}
