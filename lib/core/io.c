/* io: full writes, EINTR-safe reads, descriptors over unix sockets. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
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

union io_cmsg {
	struct cmsghdr h;
	char b[CMSG_SPACE(sizeof(int) * IO_MAX_FDS)];
};

/* Send n bytes and nfd (at most IO_MAX_FDS) descriptors as one message,
 * again after EINTR; sendmsg's result. */
ssize_t
io_send_fds(int sock, const void *p, size_t n, const int *fds, size_t nfd,
    int flags)
{
	union io_cmsg cm;
	struct iovec iov = { (void *)(uintptr_t)p, n };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t r;

	if (nfd == 0 || nfd > IO_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof mh);
	memset(&cm, 0, sizeof cm);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfd);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfd);
	while ((r = sendmsg(sock, &mh, flags)) == -1 && errno == EINTR)
		;
	return r;
}

/* Receive one message: at most cap bytes into p, its descriptors
 * (close-on-exec) into fds, *nfd how many came; those past maxfd are
 * closed at once.  A message cut short (data or descriptors) is -1 with
 * EPROTO, what came of it closed.  Otherwise recvmsg's result: 0 when
 * every sender is gone, -1 with its errno (EINTR included, for a caller
 * that waits on signals). */
ssize_t
io_recv_fds(int sock, void *p, size_t cap, int *fds, size_t maxfd,
    size_t *nfd, int flags)
{
	union io_cmsg cm;
	struct iovec iov = { p, cap };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t r;
	size_t i, k;
	int fd;

	*nfd = 0;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof cm.b;
	if ((r = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC)) <= 0)
		return r;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (*nfd < maxfd)
				fds[*nfd] = fd;
			else
				close(fd);
			++*nfd;
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (i = 0; i < *nfd && i < maxfd; i++)
			close(fds[i]);
		*nfd = 0;
		errno = EPROTO;
		return -1;
	}
	return r;
}
