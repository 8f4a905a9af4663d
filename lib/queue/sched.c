/* sched: retry schedules (see sched.h).  Written by the supervisor only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "sched.h"

/* 0 read, 1 no schedule (due now), -1 error. */
int
sched_read(const char *path, struct sched *s)
{
	char b[128], *p, *e;
	ssize_t r;
	int fd;
	unsigned long long v[3];
	int i;

	memset(s, 0, sizeof *s);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 1 : -1;
	r = io_read_some(fd, b, sizeof b - 1);
	close(fd);
	if (r < 0)
		return -1;
	b[r] = '\0';
	for (p = b, i = 0; i < 3; i++, p = e) {
		v[i] = strtoull(p, &e, 10);
		if (e == p)
			return 1;   /* torn by a crash: start the schedule over */
	}
	s->first = (time_t)v[0];
	s->next = (time_t)v[1];
	s->tries = (unsigned)v[2];
	return 0;
}

int
sched_write(const char *path, const struct sched *s)
{
	char tmp[4200], b[128];
	int fd, n, e;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = snprintf(b, sizeof b, "%lld %lld %u\n", (long long)s->first,
	    (long long)s->next, s->tries);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (io_write_all(fd, b, (size_t)n) == -1 || fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

/* Seconds to wait after the given number of failed tries: min doubled
 * each time, at most max (qmail waits quadratically; doubling reaches a
 * server back from an outage as soon and costs fewer tries). */
time_t
sched_backoff(unsigned tries, unsigned long min, unsigned long max)
{
	unsigned long d = min;

	while (tries-- > 1 && d < max)
		d *= 2;
	return (time_t)(d > max ? max : d);
}
