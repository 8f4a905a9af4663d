/* tls: the server side of STARTTLS (RFC 3207) with OpenSSL, for
 * smtpd-accept: TLS 1.2 and 1.3 only, certificate chain and key from
 * control/tlscert and control/tlskey (PEM).  One connection per process. */
#ifndef PORTCULLIS_TLS_H
#define PORTCULLIS_TLS_H
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct tls_conn;

int   tls_config(const char *certname, int *available);
int   tls_init(void);
/* Every wait at most ms and none past end (CLOCK_MONOTONIC); -1 with
 * errno ETIMEDOUT or ETIME (conn.h) when the time ran out. */
struct tls_conn *tls_accept(int rfd, int wfd, int ms,
	const struct timespec *end, char *info, size_t n);
ssize_t tls_read(struct tls_conn *, void *, size_t, int ms,
	const struct timespec *end);
int   tls_write(struct tls_conn *, const void *, size_t, int ms,
	const struct timespec *end);
void  tls_close(struct tls_conn *);
const char *tls_error(void);

#endif
