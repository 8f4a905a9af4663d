/* io: whole reads and writes on file descriptors, retrying short counts
 * and EINTR, so that callers see only success or a real error. */
#ifndef PORTCULLIS_IO_H
#define PORTCULLIS_IO_H
#include <stddef.h>
#include <sys/types.h>

int     io_write_all(int fd, const void *, size_t);
ssize_t io_read_some(int fd, void *, size_t);

/* Descriptors passed with a message over a unix socket (SCM_RIGHTS): the
 * supervisor's hand-over of connections and of resident stages' jobs. */
#define IO_MAX_FDS 4
ssize_t io_send_fds(int sock, const void *, size_t, const int *fds,
	size_t nfd, int flags);
ssize_t io_recv_fds(int sock, void *, size_t, int *fds, size_t maxfd,
	size_t *nfd, int flags);

#endif
