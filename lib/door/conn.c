/* conn: the client's connection with a clock on every wait (see conn.h).
 * The peer is a stranger who may stop reading, stop writing, or trickle;
 * nothing here waits for it without a bound.  Runs under the gateway's
 * unprivileged uid. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "tls.h"

/* Milliseconds from now to end, 0 when it has passed. */
static long
left_ms(const struct timespec *end)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (long)ms;
}

static void
deadline(struct timespec *t, unsigned long s)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += (time_t)s;
}

/* Take rfd and wfd (the same socket twice, as fds 0 and 1 are, or a
 * pipe's two ends) for one session: idle_s bounds each silent period,
 * session_s the whole.  Both flags are read before either is changed:
 * two descriptors of one socket share them. */
int
conn_open(struct conn *c, int rfd, int wfd, unsigned long idle_s,
    unsigned long session_s)
{
	memset(c, 0, sizeof *c);
	c->rfd = rfd;
	c->wfd = wfd;
	c->idle_ms = idle_s > INT_MAX / 1000 ? INT_MAX : (int)(idle_s * 1000);
	deadline(&c->end, session_s);
	if ((c->rflags = fcntl(rfd, F_GETFL)) == -1 ||
	    (c->wflags = fcntl(wfd, F_GETFL)) == -1) {
		c->rflags = c->wflags = -1;
		return -1;
	}
	if (fcntl(rfd, F_SETFL, c->rflags | O_NONBLOCK) == -1 ||
	    fcntl(wfd, F_SETFL, c->wflags | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/* Wait until fd is ready for events, at most ms (-1: no limit of its
 * own) and never past end (NULL: none).  0, or -1 with ETIMEDOUT when ms
 * ran out, ETIME when end came first. */
int
conn_poll(int fd, short events, int ms, const struct timespec *end)
{
	struct pollfd pf;
	long left = end ? left_ms(end) : -1;
	int byend, r;

	pf.fd = fd;
	pf.events = events;
	pf.revents = 0;
	byend = left >= 0 && (ms < 0 || left <= ms);
	if (byend)
		ms = (int)left;
	do
		r = poll(&pf, 1, ms);
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		errno = byend ? ETIME : ETIMEDOUT;
		return -1;
	}
	return r == 1 ? 0 : -1;
}

/* Up to n bytes, waiting at most ms for the first: >0, 0 at the end of
 * input, -1 (ETIMEDOUT, ETIME).  Past the session's deadline nothing is
 * read, even when bytes are waiting. */
ssize_t
conn_read(struct conn *c, void *p, size_t n, int ms)
{
	ssize_t r;

	if (left_ms(&c->end) == 0) {
		errno = ETIME;
		return -1;
	}
	if (c->tls)
		return tls_read(c->tls, p, n, ms, &c->end);
	for (;;) {
		if ((r = read(c->rfd, p, n)) >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (conn_poll(c->rfd, POLLIN, ms, &c->end) == -1)
			return -1;
	}
}

/* All n bytes.  A peer that does not read its replies fills the socket
 * buffer; then each wait for room lasts at most the idle limit, and none
 * reaches past the session's deadline.  0, or -1 (ETIMEDOUT, ETIME). */
int
conn_write(struct conn *c, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	if (c->tls)
		return tls_write(c->tls, p, n, c->idle_ms, &c->end);
	while (n > 0) {
		if ((w = write(c->wfd, s, n)) >= 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (conn_poll(c->wfd, POLLOUT, c->idle_ms, &c->end) == -1)
			return -1;
	}
	return 0;
}

/* The TLS handshake as a whole, not only each of its steps, is bounded by
 * the idle limit: a client that sends its ClientHello a byte at a time
 * gains nothing.  0, or -1 (tls_error() says why, errno ETIMEDOUT or
 * ETIME when the time ran out). */
int
conn_starttls(struct conn *c, char *info, size_t n)
{
	struct timespec hs;

	deadline(&hs, (unsigned long)c->idle_ms / 1000);
	if (hs.tv_sec > c->end.tv_sec ||
	    (hs.tv_sec == c->end.tv_sec && hs.tv_nsec > c->end.tv_nsec))
		hs = c->end;
	if ((c->tls = tls_accept(c->rfd, c->wfd, c->idle_ms, &hs, info, n)) == NULL)
		return -1;
	return 0;
}

/* The end of the session: TLS freed (its close_notify only if the socket
 * takes it at once), the descriptors' flags as they were. */
void
conn_close(struct conn *c)
{
	tls_close(c->tls);
	c->tls = NULL;
	if (c->wflags != -1)
		(void)fcntl(c->wfd, F_SETFL, c->wflags);
	if (c->rflags != -1)
		(void)fcntl(c->rfd, F_SETFL, c->rflags);
	c->rflags = c->wflags = -1;
}
