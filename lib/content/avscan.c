/* avscan: clamd and ICAP clients against one deadline (see avscan.h).
 * Runs under the stage's uid; TCP engines need the network, which the
 * supervisor allows virus-scan (control/stagenet). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "avscan.h"
#include "ctl.h"
#include "mono.h"

#define CHUNK 65536

/* Copy at most n-1 bytes of s[0..len) into out, printable ASCII only. */
static void
clean(char *out, size_t n, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[o] = '\0';
}

static void unscanned(struct avscan_result *, const char *, ...)
	__attribute__((format(printf, 2, 3)));

static void
unscanned(struct avscan_result *r, const char *fmt, ...)
{
	va_list ap;

	r->st = AVSCAN_UNSCANNED;
	r->name[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
}

/* "HOST:PORT" or "[v6]:PORT" into e; -1 if it is neither. */
static int
hostport(const char *s, size_t len, struct avscan_engine *e)
{
	const char *colon, *h = s;
	unsigned long port;
	size_t hl;

	if (len && s[0] == '[') {
		const char *rb = memchr(s, ']', len);
		if (rb == NULL || rb + 1 >= s + len || rb[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		if ((colon = memrchr(s, ':', len)) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	len -= (size_t)(colon + 1 - s);
	if (hl == 0 || hl >= sizeof e->host || len == 0 || len >= sizeof e->port ||
	    strspn(colon + 1, "0123456789") < len)
		return -1;
	memcpy(e->host, h, hl);
	e->host[hl] = '\0';
	memcpy(e->port, colon + 1, len);
	e->port[len] = '\0';
	port = strtoul(e->port, NULL, 10);
	return port > 0 && port < 65536 ? 0 : -1;
}

/* One line of control/clamd (icap 0) or control/icap (icap 1). */
int
avscan_engine_parse(const char *line, struct avscan_engine *e, int icap,
    char *err, size_t errsize)
{
	const char *sp, *rest;
	size_t len;

	memset(e, 0, sizeof *e);
	len = strcspn(line, " \t");
	sp = line + len;
	rest = sp + strspn(sp, " \t");
	if (!icap) {
		if (*rest != '\0')
			goto bad;
		if (line[0] == '/') {
			if (len >= sizeof e->path)
				goto bad;
			e->kind = AVSCAN_CLAMD_UNIX;
			memcpy(e->path, line, len);
			snprintf(e->where, sizeof e->where, "%s", e->path);
		} else {
			if (hostport(line, len, e) == -1)
				goto bad;
			e->kind = AVSCAN_CLAMD_TCP;
			snprintf(e->where, sizeof e->where, "%s:%s", e->host, e->port);
		}
		snprintf(e->label, sizeof e->label, "clamd");
		return 0;
	}
	/* icap://host[:port]/service [reqmod|respmod] */
	if (len < 8 || strncasecmp(line, "icap://", 7) != 0)
		goto bad;
	{
		const char *a = line + 7, *slash = memchr(a, '/', len - 7);
		size_t al = slash ? (size_t)(slash - a) : len - 7, sl;
		char tmp[300];

		if (slash == NULL || al == 0 || al >= sizeof tmp)
			goto bad;
		memcpy(tmp, a, al);
		tmp[al] = '\0';
		if (memchr(tmp, ':', al) == NULL || (tmp[0] == '[' &&
		    tmp[al - 1] == ']'))
			snprintf(tmp + al, sizeof tmp - al, ":1344");  /* RFC 3507 4.2 */
		if (hostport(tmp, strlen(tmp), e) == -1)
			goto bad;
		sl = len - 7 - al - 1;
		if (sl == 0 || sl >= sizeof e->service)
			goto bad;
		memcpy(e->service, slash + 1, sl);
		if (strcspn(e->service, "\"<>\\^`{|}") != sl)
			goto bad;
	}
	if (strcasecmp(rest, "reqmod") == 0)
		e->reqmod = 1;
	else if (*rest != '\0' && strcasecmp(rest, "respmod") != 0)
		goto bad;
	e->kind = AVSCAN_ICAP;
	snprintf(e->label, sizeof e->label, "icap/%.58s", e->service);
	snprintf(e->where, sizeof e->where, "icap://%.100s:%s/%.100s", e->host,
	    e->port, e->service);
	return 0;
bad:
	snprintf(err, errsize, "%s", icap ? "want icap://host[:port]/service "
	    "[reqmod]" : "want a socket path or HOST:PORT");
	errno = EINVAL;
	return -1;
}

/* Read one control file of engines into c; -2 (err set) on a bad line. */
static int
load_file(const char *name, int icap, struct avscan_conf *c, int *present,
    char *err, size_t errsize)
{
	struct ctl_list l;
	char why[100];
	size_t i;

	memset(&l, 0, sizeof l);
	if (ctl_lines(name, &l) == -1) {
		snprintf(err, errsize, "unable to read %s/%s", ctl_dir(), name);
		return -1;
	}
	*present = l.path[0] != '\0';
	for (i = 0; i < l.n; i++) {
		if (c->n == AVSCAN_MAX_ENGINES) {
			snprintf(err, errsize, "%s: more than %d engines", l.path,
			    AVSCAN_MAX_ENGINES);
			ctl_free(&l);
			return -2;
		}
		if (avscan_engine_parse(l.v[i], &c->e[c->n], icap, why,
		    sizeof why) == -1) {
			snprintf(err, errsize, "%s line %u: %s", l.path, l.lineno[i],
			    why);
			ctl_free(&l);
			return -2;
		}
		c->n++;
	}
	ctl_free(&l);
	return 0;
}

/* The engines and limits from the control files.  No control/clamd at
 * all: clamd's own default socket, when one is there.  0; -1 (errno) if
 * a file is unreadable; -2 for a bad line (err says which). */
int
avscan_load(struct avscan_conf *c, char *err, size_t errsize)
{
	unsigned long t, lb;
	struct stat sb;
	int clamd, icap, r;

	memset(c, 0, sizeof *c);
	if ((r = load_file("clamd", 0, c, &clamd, err, errsize)) != 0 ||
	    (r = load_file("icap", 1, c, &icap, err, errsize)) != 0)
		return r;
	if (!clamd && stat(AVSCAN_CLAMD_DEFAULT, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
		/* the default engine goes first, as a control/clamd line would */
		memmove(&c->e[1], &c->e[0], c->n * sizeof c->e[0]);
		c->n++;
		(void)avscan_engine_parse(AVSCAN_CLAMD_DEFAULT, &c->e[0], 0, err,
		    errsize);
		c->defaulted = 1;
	}
	if (ctl_ulong("virustimeout", AVSCAN_TIMEOUT_S, 1, 3600, &t) == -1) {
		snprintf(err, errsize, "unable to read %s/virustimeout", ctl_dir());
		return errno == EINVAL || errno == ERANGE ? -2 : -1;
	}
	if (ctl_bytes("virusleafbytes", AVSCAN_LEAFBYTES, 0, 1UL << 32, &lb) == -1) {
		snprintf(err, errsize, "unable to read %s/virusleafbytes", ctl_dir());
		return errno == EINVAL || errno == ERANGE ? -2 : -1;
	}
	c->timeout_ms = (unsigned)t * 1000;
	c->leafbytes = lb;
	return 0;
}

/* --- sockets against a deadline ---------------------------------- */

/* The descriptor that, once readable, calls off this thread's scan
 * (avscan_scan's cancel): per thread, so that the engines of one message,
 * scanned at once, can be stopped when one of them has found a virus. */
static __thread int cancel_fd = -1;

/* Wait for ev on fd until the deadline; 0, or -1 with ETIMEDOUT, or
 * ECANCELED when the scan was called off. */
static int
wait_fd(int fd, short ev, long deadline)
{
	struct pollfd pf[2] = { { fd, ev, 0 }, { cancel_fd, POLLIN, 0 } };
	long left;
	int r;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(pf, cancel_fd == -1 ? 1 : 2, left > 60000 ? 60000 :
		    (int)left);
		if (r > 0 && pf[1].revents) {
			errno = ECANCELED;
			return -1;
		}
		if (r > 0)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

static int
connect_to(int fd, const struct sockaddr *sa, socklen_t sl, long deadline)
{
	int e = 0;
	socklen_t el = sizeof e;

	if (connect(fd, sa, sl) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return -1;
	if (wait_fd(fd, POLLOUT, deadline) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
		return -1;
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

/* A non-blocking connected socket to e, or -1 (errno). */
static int
dial(const struct avscan_engine *e, long deadline)
{
	struct addrinfo hints, *ai, *a;
	int fd = -1, r, saved = ECONNREFUSED;

	if (e->kind == AVSCAN_CLAMD_UNIX) {
		struct sockaddr_un sun;
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, e->path, strlen(e->path));
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0)) == -1)
			return -1;
		if (connect_to(fd, (struct sockaddr *)&sun, sizeof sun, deadline) == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		return fd;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(e->host, e->port, &hints, &ai)) != 0) {
		errno = r == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, a->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		if (connect_to(fd, a->ai_addr, a->ai_addrlen, deadline) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
		if (saved == ETIMEDOUT || saved == ECANCELED)
			break;
	}
	freeaddrinfo(ai);
	if (fd == -1)
		errno = saved;
	return fd;
}

/* Write all of p; -1 with errno (EPIPE when the engine hung up). */
static int
send_all(int fd, const void *p, size_t n, long deadline)
{
	const char *s = p;
	ssize_t w;

	while (n) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno != EAGAIN)
			return -1;
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			return -1;
	}
	return 0;
}

/* Read what the engine says into b, until done() is satisfied, the
 * engine closes, the cap or the deadline; 1 at EOF, 0 when done, -1. */
static int
recv_reply(int fd, struct buf *b, int (*done)(const struct buf *),
    long deadline)
{
	char tmp[4096];
	ssize_t r;

	while (b->len < AVSCAN_REPLY_MAX) {
		if (done(b))
			return 0;
		if (wait_fd(fd, POLLIN, deadline) == -1)
			return -1;
		r = recv(fd, tmp, sizeof tmp, 0);
		if (r == 0)
			return 1;
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (buf_add(b, tmp, (size_t)r) == -1)
			return -1;
	}
	return 1;
}

/* After the request (wfail: the errno that stopped our writing, or 0):
 * the engine's answer, read until done() and judged by parse(). */
static void
answer(int fd, int wfail, int (*done)(const struct buf *),
    void (*parse)(const char *, size_t, struct avscan_result *), long deadline,
    struct avscan_result *r)
{
	struct buf b = BUF_INIT;

	if (wfail == ETIMEDOUT)
		unscanned(r, "timed out sending");
	else if (recv_reply(fd, &b, done, deadline) == -1)
		unscanned(r, "%s", errno == ETIMEDOUT ? "timed out waiting for "
		    "the answer" : strerror(errno));
	else if (b.len == 0 && wfail)
		unscanned(r, "hung up while we sent: %s", strerror(wfail));
	else
		parse(b.p ? b.p : "", b.len, r);
	buf_free(&b);
}

/* --- clamd ----------------------------------------------------------- */

/* clamd ends a z-command's reply with NUL. */
static int
clamd_done(const struct buf *b)
{
	return b->len && memchr(b->p, '\0', b->len) != NULL;
}

void
avscan_clamd_reply(const char *s, size_t n, struct avscan_result *r)
{
	const char *nul = memchr(s, '\0', n);
	char line[256];

	if (nul)
		n = (size_t)(nul - s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	memset(r, 0, sizeof *r);
	if (n == 10 && memcmp(s, "stream: OK", 10) == 0) {
		r->st = AVSCAN_CLEAN;
		return;
	}
	if (n > 14 && memcmp(s, "stream: ", 8) == 0 &&
	    memcmp(s + n - 6, " FOUND", 6) == 0) {
		r->st = AVSCAN_FOUND;
		clean(r->name, sizeof r->name, s + 8, n - 14);
		return;
	}
	clean(line, sizeof line, s, n);
	if (n == 0)
		unscanned(r, "%s", "no answer");
	else if (strstr(line, "size limit exceeded"))
		unscanned(r, "%s", "over its StreamMaxLength");
	else
		unscanned(r, "answered: %.150s", line);
}

static int
clamd_scan(int fd, const char *data, size_t len, long deadline,
    struct avscan_result *r)
{
	uint32_t be;
	size_t off, k;
	int wfail = 0;

	/* 'z': NUL-terminated replies (clamd(8), COMMANDS) */
	if (send_all(fd, "zINSTREAM", 10, deadline) == -1)
		wfail = errno;
	for (off = 0; !wfail && off < len; off += k) {
		k = len - off < CHUNK ? len - off : CHUNK;
		be = htonl((uint32_t)k);
		if (send_all(fd, &be, 4, deadline) == -1 ||
		    send_all(fd, data + off, k, deadline) == -1)
			wfail = errno;
	}
	be = 0;
	if (!wfail && send_all(fd, &be, 4, deadline) == -1)
		wfail = errno;
	/* clamd answers a stream over its StreamMaxLength and hangs up
	 * while we still write: its answer says why */
	answer(fd, wfail, clamd_done, avscan_clamd_reply, deadline, r);
	return 0;
}

/* --- ICAP (RFC 3507) ------------------------------------------------- */

static const char *
find_crlf2(const char *s, size_t n)
{
	return memmem(s, n, "\r\n\r\n", 4);
}

/* The value of header field name in s[0..n) (CRLF lines), or NULL. */
static const char *
field(const char *s, size_t n, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = s, *end = s + n, *eol;

	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			p += nl + 1;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			*vlen = (size_t)(eol - p);
			return p;
		}
		p = eol + 2;
	}
	return NULL;
}

/* A threat name from the headers ICAP engines use for it: the draft
 * X-Infection-Found ("Type=0; Resolution=2; Threat=NAME;"), c-icap's and
 * Squid's X-Virus-ID, X-Violations-Found (count, then per violation
 * filename, threat, ...). */
static int
threat(const char *s, size_t n, char *out, size_t outsize)
{
	const char *v, *t, *e;
	size_t vl;

	if ((v = field(s, n, "X-Infection-Found", &vl)) != NULL) {
		t = memmem(v, vl, "Threat=", 7);
		if (t) {
			t += 7;
			e = memchr(t, ';', vl - (size_t)(t - v));
			clean(out, outsize, t, e ? (size_t)(e - t) : vl - (size_t)(t - v));
		} else
			clean(out, outsize, v, vl);
	} else if ((v = field(s, n, "X-Virus-ID", &vl)) != NULL ||
	    (v = field(s, n, "X-Violations-Found", &vl)) != NULL)
		clean(out, outsize, v, vl);
	else
		return 0;
	/* a header that says there is a threat without its name */
	if (out[0] == '\0')
		snprintf(out, outsize, "unnamed");
	return 1;
}

/* The length of the first line of s[0..n), at most 80 bytes: what an
 * answer we cannot read is quoted by. */
static size_t
first_line(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 80 && s[i] != '\r' && s[i] != '\n'; i++)
		;
	return i;
}

/* Three digits at p (which has at least three bytes). */
static int
digits3(const char *p)
{
	return p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
	    p[2] >= '0' && p[2] <= '9';
}

int
avscan_icap_reply(const char *s, size_t n, int eof, struct avscan_result *r)
{
	const char *h, *enc, *http;
	char line[160];
	size_t el, hl, rest;
	int code;

	memset(r, 0, sizeof *r);
	if ((h = find_crlf2(s, n)) == NULL) {
		if (!eof)
			return 0;
		clean(line, sizeof line, s, first_line(s, n));
		if (n)
			unscanned(r, "unparsable answer: %.100s", line);
		else
			unscanned(r, "no answer");
		return 1;
	}
	hl = (size_t)(h - s) + 2;
	if (hl < 13 || memcmp(s, "ICAP/1.", 7) != 0 || s[8] != ' ' ||
	    !digits3(s + 9) || (s[12] != ' ' && s[12] != '\r')) {
		clean(line, sizeof line, s, first_line(s, hl));
		unscanned(r, "unparsable answer: %.100s", line);
		return 1;
	}
	code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (code == 204) {
		r->st = AVSCAN_CLEAN;
		return 1;
	}
	if (code != 200) {
		const char *eol = memmem(s, hl, "\r\n", 2);
		clean(line, sizeof line, s, (size_t)(eol - s));
		unscanned(r, "answered: %.150s", line);
		return 1;
	}
	if (threat(s, hl, r->name, sizeof r->name)) {
		r->st = AVSCAN_FOUND;
		return 1;
	}
	/* 200 and no threat header: the encapsulated HTTP status says
	 * whether the engine replaced the content with a block page */
	rest = n - hl - 2;
	http = h + 4;
	if ((enc = field(s, hl, "Encapsulated", &el)) == NULL ||
	    memmem(enc, el, "res-hdr=0", 9) == NULL) {
		unscanned(r, "%s", "answered 200 without a verdict");
		return 1;
	}
	if (find_crlf2(http, rest) == NULL && !eof)
		return 0;
	if (find_crlf2(http, rest) && threat(http, rest, r->name, sizeof r->name)) {
		r->st = AVSCAN_FOUND;
		return 1;
	}
	if (rest >= 12 && memcmp(http, "HTTP/1.", 7) == 0 && http[8] == ' ' &&
	    digits3(http + 9)) {
		if (http[9] == '2') {
			r->st = AVSCAN_CLEAN;   /* given back as it was sent */
			return 1;
		}
		r->st = AVSCAN_FOUND;
		snprintf(r->name, sizeof r->name, "blocked (HTTP %.3s)", http + 9);
		return 1;
	}
	unscanned(r, "%s", "answered 200 without a verdict");
	return 1;
}

static int
icap_done(const struct buf *b)
{
	struct avscan_result r;

	return avscan_icap_reply(b->p ? b->p : "", b->len, 0, &r) == 1;
}

static void
icap_final(const char *s, size_t n, struct avscan_result *r)
{
	(void)avscan_icap_reply(s, n, 1, r);
}

static int
icap_scan(const struct avscan_engine *e, int fd, const char *data, size_t len,
    long deadline, struct avscan_result *r)
{
	struct buf req = BUF_INIT, enc = BUF_INIT;
	char sz[32];
	size_t off, k;
	int wfail = 0;

	if (e->reqmod)
		buf_printf(&enc, "POST /message HTTP/1.1\r\nHost: %s\r\n"
		    "Content-Type: message/rfc822\r\nContent-Length: %zu\r\n\r\n",
		    e->host, len);
	else
		buf_printf(&enc, "HTTP/1.1 200 OK\r\nContent-Type: message/rfc822\r\n"
		    "Content-Length: %zu\r\n\r\n", len);
	/* RFC 3507 4.4: the encapsulated header's length says where the
	 * body starts; Allow: 204 lets a clean answer carry no copy */
	if (buf_printf(&req, "%s icap://%s:%s/%s ICAP/1.0\r\nHost: %s\r\n"
	    "Allow: 204\r\nConnection: close\r\nEncapsulated: %s=0, %s=%zu\r\n"
	    "\r\n%s", e->reqmod ? "REQMOD" : "RESPMOD", e->host, e->port,
	    e->service, e->host, e->reqmod ? "req-hdr" : "res-hdr",
	    e->reqmod ? "req-body" : "res-body", enc.len, enc.p) == -1) {
		buf_free(&enc);
		buf_free(&req);
		return -1;
	}
	if (send_all(fd, req.p, req.len, deadline) == -1)
		wfail = errno;
	buf_free(&enc);
	buf_free(&req);
	for (off = 0; !wfail && off < len; off += k) {
		k = len - off < CHUNK ? len - off : CHUNK;
		snprintf(sz, sizeof sz, "%zx\r\n", k);
		if (send_all(fd, sz, strlen(sz), deadline) == -1 ||
		    send_all(fd, data + off, k, deadline) == -1 ||
		    send_all(fd, "\r\n", 2, deadline) == -1)
			wfail = errno;
	}
	if (!wfail && send_all(fd, "0\r\n\r\n", 5, deadline) == -1)
		wfail = errno;
	answer(fd, wfail, icap_done, icap_final, deadline, r);
	return 0;
}

/* Scan data with engine e within timeout_ms, into r; cancel (or -1)
 * readable calls it off, unscanned.  0; -1 only when out of memory (r
 * is then unscanned too). */
int
avscan_scan(const struct avscan_engine *e, const char *data, size_t len,
    unsigned timeout_ms, int cancel, struct avscan_result *r)
{
	long deadline = now_ms() + timeout_ms;
	int fd, rc;

	memset(r, 0, sizeof *r);
	cancel_fd = cancel;
	if ((fd = dial(e, deadline)) == -1) {
		if (errno == ETIMEDOUT)
			unscanned(r, "timed out connecting");
		else
			unscanned(r, "unable to connect: %s", strerror(errno));
		return 0;
	}
	rc = e->kind == AVSCAN_ICAP ? icap_scan(e, fd, data, len, deadline, r) :
	    clamd_scan(fd, data, len, deadline, r);
	close(fd);
	if (rc == -1)
		unscanned(r, "%s", "out of memory");
	return rc;
}
