/* io: full writes and EINTR-safe reads. */
#include <errno.h>
#include <unistd.h>

#include "io.h"

/* Write all n bytes or fail with errno set. */
int
io_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One read(2), retried on EINTR: >0 bytes, 0 at end of file, -1 on error. */
ssize_t
io_read_some(int fd, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}
