/* conn: the client's connection for smtpd-accept, with a clock on
 * everything the peer controls.  The descriptors are made non-blocking,
 * so that no read, write or TLS handshake step can wait in the kernel:
 * each wait is a poll bounded by the idle limit (control/timeoutsmtpd:
 * no progress for that long ends it) and never reaches past the
 * session's deadline (control/timeoutsession: a client dripping one byte
 * at a time still ends there).  Never prints, never exits. */
#ifndef PORTCULLIS_CONN_H
#define PORTCULLIS_CONN_H
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct tls_conn;

struct conn {
	int  rfd, wfd;
	int  rflags, wflags;       /* fcntl flags before, given back at close */
	int  idle_ms;              /* timeoutsmtpd */
	struct timespec end;       /* the session's deadline (CLOCK_MONOTONIC) */
	struct tls_conn *tls;      /* after STARTTLS */
};

/* Timeouts: errno ETIMEDOUT when the idle limit passed with nothing
 * moving, ETIME when the session's deadline came. */
int     conn_open(struct conn *, int rfd, int wfd, unsigned long idle_s,
	unsigned long session_s);
int     conn_poll(int fd, short events, int ms, const struct timespec *end);
ssize_t conn_read(struct conn *, void *, size_t, int ms);
int     conn_write(struct conn *, const void *, size_t);
int     conn_starttls(struct conn *, char *info, size_t n);
void    conn_close(struct conn *);

#endif
