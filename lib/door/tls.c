/* tls: STARTTLS server side (see tls.h).  The peer is a stranger; the
 * handshake and every read and write are bounded by the session's
 * timeouts (conn.h).  Runs
 * under the gateway's uid, which must be able to read control/tlskey. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "ctl.h"
#include "tls.h"

struct tls_conn {
	SSL *ssl;
	int  rfd, wfd;
};

static SSL_CTX *ctx;
static char cert[PATH_MAX], key[PATH_MAX];
static char err[256];

/* The last OpenSSL error as text, for a log line. */
const char *
tls_error(void)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, err, sizeof err);
	else if (err[0] == '\0')
		snprintf(err, sizeof err, "unknown error");
	return err;
}

/* STARTTLS is offered when control/tlscert exists (tlskey defaults to the
 * same file, as in qmail's servercert.pem).  0, or -1 when the control
 * directory cannot be read. */
int
tls_config(const char *certname, int *available)
{
	const char *d = ctl_dir();

	*available = 0;
	if ((size_t)snprintf(cert, sizeof cert, "%s/%s", d, certname) >= sizeof cert ||
	    (size_t)snprintf(key, sizeof key, "%s/tlskey", d) >= sizeof key) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (access(cert, F_OK) == -1)
		return errno == ENOENT ? 0 : -1;
	if (access(key, F_OK) == -1) {
		if (errno != ENOENT)
			return -1;
		snprintf(key, sizeof key, "%s", cert);
	}
	*available = 1;
	return 0;
}

/* Load the certificate chain and key; -1 when they do not load or do not
 * match. */
int
tls_init(void)
{
	static struct timespec cm, km;
	struct stat cs, ks;

	/* A worker serving several sessions loads the pair once, and again
	 * only when either file changed (a renewed certificate). */
	ERR_clear_error();
	if (stat(cert, &cs) == -1 || stat(key, &ks) == -1)
		return -1;
	if (ctx != NULL && cs.st_mtim.tv_sec == cm.tv_sec &&
	    cs.st_mtim.tv_nsec == cm.tv_nsec && ks.st_mtim.tv_sec == km.tv_sec &&
	    ks.st_mtim.tv_nsec == km.tv_nsec)
		return 0;
	SSL_CTX_free(ctx);
	cm = cs.st_mtim;
	km = ks.st_mtim;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return -1;
	/* TLS 1.2 and 1.3 only: older versions are broken (RFC 8996) */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		ctx = NULL;
		return -1;
	}
	return 0;
}

/* Wait until fd is ready for what OpenSSL asked, at most ms and never
 * past end; 0, or -1 (ETIMEDOUT, ETIME, EPROTO for a TLS error). */
static int
wait_for(struct tls_conn *t, int r, int ms, const struct timespec *end)
{
	int e = SSL_get_error(t->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return conn_poll(t->rfd, POLLIN, ms, end);
	if (e == SSL_ERROR_WANT_WRITE)
		return conn_poll(t->wfd, POLLOUT, ms, end);
	if (e != SSL_ERROR_SYSCALL || errno == 0)
		errno = EPROTO;
	return -1;
}

/* The server handshake on rfd/wfd, which the caller made non-blocking so
 * that a peer who stalls mid-handshake cannot keep us in read(2): each
 * step waits at most ms, the whole handshake ends by end.  info gets
 * "TLSv1.3 CIPHER". */
struct tls_conn *
tls_accept(int rfd, int wfd, int ms, const struct timespec *end, char *info,
    size_t n)
{
	struct tls_conn *t;
	int r;

	if (ctx == NULL || (t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->rfd = rfd;
	t->wfd = wfd;
	if ((t->ssl = SSL_new(ctx)) == NULL)
		goto fail;
	SSL_set_rfd(t->ssl, rfd);
	SSL_set_wfd(t->ssl, wfd);
	while (errno = 0, (r = SSL_accept(t->ssl)) != 1)
		if (wait_for(t, r, ms, end) == -1)
			goto fail;
	snprintf(info, n, "%s %s", SSL_get_version(t->ssl),
	    SSL_get_cipher_name(t->ssl));
	return t;
fail:
	if (t->ssl)
		SSL_free(t->ssl);
	free(t);
	return NULL;
}

/* As read(2), each wait at most ms and never past end: >0, 0 at the end,
 * -1 (ETIMEDOUT, ETIME, EPROTO). */
ssize_t
tls_read(struct tls_conn *t, void *p, size_t n, int ms,
    const struct timespec *end)
{
	int r;

	if (n > INT_MAX)
		n = INT_MAX;
	for (;;) {
		errno = 0;
		r = SSL_read(t->ssl, p, (int)n);
		if (r > 0)
			return r;
		if (SSL_get_error(t->ssl, r) == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (SSL_get_error(t->ssl, r) == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
		    errno == 0)
			return 0;   /* the peer closed without close_notify */
		if (wait_for(t, r, ms, end) == -1)
			return -1;
	}
}

/* All n bytes; each wait for the peer to read at most ms, none past end. */
int
tls_write(struct tls_conn *t, const void *p, size_t n, int ms,
    const struct timespec *end)
{
	const char *s = p;
	int r;

	while (n > 0) {
		errno = 0;
		r = SSL_write(t->ssl, s, n > INT_MAX ? INT_MAX : (int)n);
		if (r > 0) {
			s += r;
			n -= (size_t)r;
			continue;
		}
		if (wait_for(t, r, ms, end) == -1)
			return -1;
	}
	return 0;
}

/* Free the connection; the close_notify is sent only when the socket
 * takes it at once (a peer that reads nothing must not hold us here). */
void
tls_close(struct tls_conn *t)
{
	if (t == NULL)
		return;
	SSL_shutdown(t->ssl);
	SSL_free(t->ssl);
	free(t);
}
