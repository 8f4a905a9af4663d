/* smtpc: SMTP/LMTP client connection (see smtpc.h).  Runs as the
 * gateway's unprivileged user.  The server is a stranger: replies are
 * bounded and cleaned, every read and write is bounded in time. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "io.h"
#include "dane.h"
#include "smtpc.h"

struct smtpc {
	int      fd;
	SSL_CTX *ctx;
	SSL     *ssl;
	char     rbuf[8192];
	size_t   roff, rlen;
	struct buf out;       /* commands waiting for a flush (pipelining) */
	const struct dane_tlsa *dane;   /* smtpc_set_dane: authenticate by these */
	size_t   ndane;
};

void
smtpc_reply_init(struct smtpc_reply *r)
{
	memset(r, 0, sizeof *r);
}

/* An EHLO keyword line ("SIZE 1000", "PIPELINING") into r->ext. */
static void
ehlo_keyword(struct smtpc_reply *r, const char *s, size_t n)
{
	static const struct { const char *k; unsigned f; } kw[] = {
		{ "STARTTLS", SMTPC_EXT_STARTTLS }, { "SIZE", SMTPC_EXT_SIZE },
		{ "8BITMIME", SMTPC_EXT_8BITMIME },
		{ "PIPELINING", SMTPC_EXT_PIPELINING },
		{ "SMTPUTF8", SMTPC_EXT_SMTPUTF8 },
	};
	size_t i, kl, wl = 0;

	while (wl < n && s[wl] != ' ')
		wl++;
	for (i = 0; i < sizeof kw / sizeof kw[0]; i++) {
		kl = strlen(kw[i].k);
		if (wl != kl || strncasecmp(s, kw[i].k, kl) != 0)
			continue;
		r->ext |= kw[i].f;
		if (kw[i].f == SMTPC_EXT_SIZE) {
			unsigned long long v = 0;
			size_t j;
			for (j = wl + 1; j < n && s[j] >= '0' && s[j] <= '9' &&
			    v < 1000000000000ULL; j++)
				v = v * 10 + (unsigned)(s[j] - '0');
			r->size = v;
		}
	}
}

/* One reply line, without its line end, into r (RFC 5321 4.2): "NNN-text"
 * continues, "NNN text" or "NNN" ends.  1 when the reply is complete, 0
 * when more lines follow, -1 when the line is not a reply line or its
 * code differs from the first line's (the server is broken). */
int
smtpc_reply_feed(struct smtpc_reply *r, const char *s, size_t n)
{
	int code, last;
	size_t i;

	if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return -1;
	if (n > 3 && s[3] != ' ' && s[3] != '-')
		return -1;
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (r->lines > 0 && code != r->code)
		return -1;
	if (++r->lines > SMTPC_LINES_MAX)
		return -1;
	r->code = code;
	last = n == 3 || s[3] == ' ';
	if (r->lines > 1)
		ehlo_keyword(r, s + 4, n > 4 ? n - 4 : 0);
	if (n > 4) {
		if (r->tlen && r->tlen + 3 < SMTPC_TEXT_MAX) {
			memcpy(r->text + r->tlen, " / ", 3);
			r->tlen += 3;
		}
		for (i = 4; i < n && r->tlen < SMTPC_TEXT_MAX; i++) {
			unsigned char c = (unsigned char)s[i];
			r->text[r->tlen++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		r->text[r->tlen] = '\0';
	}
	return last ? 1 : 0;
}

/* "CODE text" for result lines and logs. */
int
smtpc_format_reply(const struct smtpc_reply *r, char *out, size_t n)
{
	return snprintf(out, n, "%d %s", r->code, r->text) < 0 ? -1 : 0;
}

static void
set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* connect(2) with a time limit; the socket is left blocking, with read
 * and write timeouts of ms each. */
static int
connect_ms(int fd, const struct sockaddr *sa, socklen_t sl, int ms)
{
	struct pollfd pf = { fd, POLLOUT, 0 };
	int fl = fcntl(fd, F_GETFL), e = 0, r;
	socklen_t el = sizeof e;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, sa, sl) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		do
			r = poll(&pf, 1, ms);
		while (r == -1 && errno == EINTR);
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (r == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			return -1;
		if (e) {
			errno = e;
			return -1;
		}
	}
	fcntl(fd, F_SETFL, fl);
	set_timeouts(fd, ms);
	return 0;
}

/* The time limit of every later read and write: RFC 5321 4.5.3.2 asks for
 * minutes per command, far more than a connect needs. */
void
smtpc_set_timeout(struct smtpc *c, int ms)
{
	set_timeouts(c->fd, ms);
}

static struct smtpc *
wrap(int fd)
{
	struct smtpc *c = calloc(1, sizeof *c);

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	return c;
}

/* Connect to a numeric address and port. */
struct smtpc *
smtpc_connect(const char *addr, const char *port, int ms, char *err,
    size_t errsize)
{
	struct addrinfo hints, *ai;
	int fd, r;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((r = getaddrinfo(addr, port, &hints, &ai)) != 0) {
		snprintf(err, errsize, "bad address %s: %s", addr, gai_strerror(r));
		return NULL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect_ms(fd, ai->ai_addr, ai->ai_addrlen, ms) == -1) {
		snprintf(err, errsize, "unable to connect to %s port %s: %s", addr,
		    port, strerror(errno));
		if (fd != -1)
			close(fd);
		freeaddrinfo(ai);
		return NULL;
	}
	freeaddrinfo(ai);
	return wrap(fd);
}

struct smtpc *
smtpc_connect_unix(const char *path, int ms, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path) >=
	    sizeof sun.sun_path) {
		snprintf(err, errsize, "socket path too long");
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect_ms(fd, (struct sockaddr *)&sun, sizeof sun, ms) == -1) {
		snprintf(err, errsize, "unable to connect to %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	return wrap(fd);
}

static ssize_t
raw_read(struct smtpc *c, void *p, size_t n)
{
	int r;

	if (c->ssl == NULL)
		return io_read_some(c->fd, p, n);
	r = SSL_read(c->ssl, p, n > 65536 ? 65536 : (int)n);
	if (r > 0)
		return r;
	if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (errno == 0)
		errno = EPROTO;
	return -1;
}

static int
raw_write(struct smtpc *c, const void *p, size_t n)
{
	const char *s = p;
	int r;

	if (c->ssl == NULL)
		return io_write_all(c->fd, p, n);
	while (n > 0) {
		r = SSL_write(c->ssl, s, n > 65536 ? 65536 : (int)n);
		if (r <= 0) {
			if (errno == 0)
				errno = EPROTO;
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One line without its line end into line (cut at SMTPC_LINE_MAX; the
 * rest of an overlong line is read and dropped). */
static int
read_line(struct smtpc *c, char *line, size_t *n)
{
	ssize_t r;
	char ch;

	*n = 0;
	for (;;) {
		if (c->roff == c->rlen) {
			if ((r = raw_read(c, c->rbuf, sizeof c->rbuf)) <= 0) {
				if (r == 0)
					errno = ECONNRESET;
				if (errno == EAGAIN)
					errno = ETIMEDOUT;
				return -1;
			}
			c->roff = 0;
			c->rlen = (size_t)r;
		}
		ch = c->rbuf[c->roff++];
		if (ch == '\n')
			break;
		if (*n < SMTPC_LINE_MAX)
			line[(*n)++] = ch;
	}
	if (*n && line[*n - 1] == '\r')
		(*n)--;
	return 0;
}

/* Flush pending commands, then read one whole reply. */
int
smtpc_reply(struct smtpc *c, struct smtpc_reply *r)
{
	char line[SMTPC_LINE_MAX];
	size_t n;
	int st;

	if (smtpc_flush(c) == -1)
		return -1;
	smtpc_reply_init(r);
	do {
		if (read_line(c, line, &n) == -1)
			return -1;
		if ((st = smtpc_reply_feed(r, line, n)) == -1) {
			errno = EPROTO;
			return -1;
		}
	} while (st == 0);
	return 0;
}

int
smtpc_send(struct smtpc *c, const void *p, size_t n)
{
	return buf_add(&c->out, p, n);
}

/* Queue one command line (CRLF added); written at the next flush. */
int
smtpc_cmd(struct smtpc *c, const char *fmt, ...)
{
	char line[SMTPC_LINE_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof line - 2) {
		errno = EMSGSIZE;
		return -1;
	}
	if (strpbrk(line, "\r\n") != NULL) {   /* one command, never two */
		errno = EINVAL;
		return -1;
	}
	memcpy(line + r, "\r\n", 2);
	return buf_add(&c->out, line, (size_t)r + 2);
}

int
smtpc_flush(struct smtpc *c)
{
	int r = 0;

	if (c->out.len)
		r = raw_write(c, c->out.p, c->out.len);
	buf_reset(&c->out);
	return r;
}

/* The message as DATA sends it (RFC 5321 4.5.2, 2.3.8): every line end
 * CRLF, a bare LF or bare CR included, so that no next hop can read one
 * differently; a leading dot doubled; a last line without its end
 * finished; then the end of data "." CRLF. */
int
smtpc_stuff(const char *m, size_t n, struct buf *out)
{
	size_t i;
	int bol = 1;

	if (buf_grow(out, n + n / 32 + 8) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		char ch = m[i];
		if (bol && ch == '.' && buf_addc(out, '.') == -1)
			return -1;
		bol = 0;
		if (ch == '\r' || ch == '\n') {
			if (ch == '\r' && i + 1 < n && m[i + 1] == '\n')
				i++;
			if (buf_add(out, "\r\n", 2) == -1)
				return -1;
			bol = 1;
			continue;
		}
		if (buf_addc(out, ch) == -1)
			return -1;
	}
	if (!bol && buf_add(out, "\r\n", 2) == -1)
		return -1;
	return buf_add(out, ".\r\n", 3);
}

int
smtpc_data(struct smtpc *c, const char *m, size_t n)
{
	struct buf b = BUF_INIT;
	int r;

	if (smtpc_flush(c) == -1 || smtpc_stuff(m, n, &b) == -1) {
		buf_free(&b);
		return -1;
	}
	r = raw_write(c, b.p, b.len);
	buf_free(&b);
	return r;
}

/* The TLS handshake after "220 ready" to STARTTLS.  verify: check the
 * chain against cafile (NULL: the system's store) and the name against
 * servername (RFC 6125).  info gets "TLSv1.3 CIPHER", or the reason. */
/* The peer authenticated by its TLSA records (RFC 7672), not by PKIX:
 * no trust store at all, so only a DANE match can verify. */
static int
starttls_dane(struct smtpc *c, const char *host, char *info, size_t n)
{
	long vr;
	int added;

	if (SSL_CTX_dane_enable(c->ctx) <= 0 || (c->ssl = SSL_new(c->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    (added = dane_ssl_setup(c->ssl, host, c->dane, c->ndane, 0)) == -1) {
		snprintf(info, n, "TLS setup failed");
		return -1;
	}
	/* none OpenSSL could use: encrypted, unauthenticated (RFC 7672 2.2) */
	if (added > 0)
		SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
	ERR_clear_error();
	if (SSL_connect(c->ssl) != 1) {
		vr = SSL_get_verify_result(c->ssl);
		snprintf(info, n, vr != X509_V_OK ? "DANE: %s" : "handshake failed: %s",
		    vr != X509_V_OK ? X509_verify_cert_error_string(vr) :
		    ERR_reason_error_string(ERR_peek_last_error()) ?
		    ERR_reason_error_string(ERR_peek_last_error()) : "closed");
		return -1;
	}
	snprintf(info, n, "%s %s%s", SSL_get_version(c->ssl),
	    SSL_get_cipher_name(c->ssl), added > 0 ? " dane" : "");
	return 0;
}

void
smtpc_set_dane(struct smtpc *c, const struct dane_tlsa *t, size_t n)
{
	c->dane = t;
	c->ndane = n;
}

int
smtpc_starttls(struct smtpc *c, const char *servername, int verify,
    const char *cafile, char *info, size_t n)
{
	long vr;

	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	if (c->ndane > 0)
		return starttls_dane(c, servername, info, n);
	if (verify) {
		if ((cafile && *cafile ?
		    SSL_CTX_load_verify_locations(c->ctx, cafile, NULL) :
		    SSL_CTX_set_default_verify_paths(c->ctx)) != 1)
			goto fail;
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	}
	if ((c->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		goto fail;
	if (servername && *servername && servername[0] != '[') {
		SSL_set_tlsext_host_name(c->ssl, servername);
		if (verify && SSL_set1_host(c->ssl, servername) != 1)
			goto fail;
	}
	ERR_clear_error();
	if (SSL_connect(c->ssl) != 1) {
		vr = SSL_get_verify_result(c->ssl);
		if (vr != X509_V_OK)
			snprintf(info, n, "certificate: %s",
			    X509_verify_cert_error_string(vr));
		else
			snprintf(info, n, "handshake failed: %s",
			    ERR_reason_error_string(ERR_peek_last_error()) ?
			    ERR_reason_error_string(ERR_peek_last_error()) : "closed");
		return -1;
	}
	snprintf(info, n, "%s %s", SSL_get_version(c->ssl),
	    SSL_get_cipher_name(c->ssl));
	return 0;
fail:
	snprintf(info, n, "TLS setup failed");
	return -1;
}

void
smtpc_close(struct smtpc *c)
{
	if (c == NULL)
		return;
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	close(c->fd);
	buf_free(&c->out);
	free(c);
}
