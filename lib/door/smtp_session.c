/* smtp_session: one SMTP server session (see smtp_session.h).  Everything
 * read here comes from an unauthenticated stranger on the internet: lines
 * are cut at the configured length before they are parsed, nothing the
 * client sends is echoed in a reply, and every value that reaches a log
 * line, the Received header or the envelope is cleaned of control bytes.
 * Runs under the gateway's unprivileged uid. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "env.h"
#include "ip.h"
#include "log.h"
#include "smtp.h"
#include "smtp_data.h"
#include "smtp_session.h"

#define RBUF_SIZE  65536
#define DRAIN_MAX  (1024 * 1024)
/* Replies held for a pipelining client are sent at this size, not only
 * when we must wait for it (RFC 2920 3.1 allows it), so that a flood of
 * short commands cannot grow our buffer beyond it. */
#define OBUF_FLUSH 65536
/* RCPTs past maxrcpt answered 452 before each counts as an error
 * (Postfix's smtpd_recipient_overshoot_limit) */
#define SMTP_RCPT_OVERSHOOT 1000

struct sess {
	const struct smtp_conf *c;
	const struct smtp_io   *io;
	char    *rbuf;
	size_t   rpos, rlen;
	struct buf obuf;
	char     ip[64], host[256], helo[256], tlsinfo[128], qid[64];
	int      greeted, esmtp, tls, relayclient, tlsrequired;
	int      mail;                /* a transaction is open */
	struct smtp_mailparam mp;
	struct envelope env;
	unsigned long errors, accepted, refused;
	unsigned long junk;            /* NOOP, RSET, VRFY, HELP since a message */
	unsigned long overshoot;       /* RCPTs past maxrcpt in this transaction */
	const char *end;              /* why the session ended, for the log */
	int      done;
	struct smtp_data d;
};

void
smtp_conf_defaults(struct smtp_conf *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->me, sizeof c->me, "localhost");
	c->databytes = SMTP_DEF_DATABYTES;
	c->maxrcpt = SMTP_DEF_MAXRCPT;
	c->maxhops = SMTP_DEF_MAXHOPS;
	c->maxerrors = SMTP_DEF_MAXERRORS;
	c->maxjunk = SMTP_DEF_MAXJUNK;
	c->maxcmdline = SMTP_DEF_MAXCMDLINE;
	c->maxtextline = SMTP_DEF_MAXTEXTLINE;
	c->maxhdr = SMTP_DEF_MAXHDR;
	c->timeout = SMTP_DEF_TIMEOUT;
	c->sessiontimeout = SMTP_DEF_SESSIONTIMEOUT;
	c->greetdelay = SMTP_DEF_GREETDELAY;
}

static void
logf_(struct sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(struct sess *s, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (s->io->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	s->io->log(s->io->ctx, line);
}

static int
flush(struct sess *s)
{
	int r = 0;

	if (s->obuf.len)
		r = s->io->write(s->io->ctx, s->obuf.p, s->obuf.len);
	buf_reset(&s->obuf);
	if (r == -1 && !s->done) {
		s->done = 1;
		/* a client that does not read what it asked for */
		s->end = errno == ETIMEDOUT || errno == ETIME ? "write-timeout" :
		    "write-error";
	}
	return r;
}

/* Queue one reply line; replies are sent when the session must wait for
 * the client, which is what RFC 2920 (PIPELINING) asks. */
static void
reply(struct sess *s, const char *text)
{
	buf_adds(&s->obuf, text);
	buf_adds(&s->obuf, "\r\n");
}

/* A reply to a client error; too many of them end the session (a client
 * that only probes, or a non-SMTP protocol on port 25). */
static void
reply_err(struct sess *s, const char *text)
{
	reply(s, text);
	if (++s->errors >= s->c->maxerrors && !s->done) {
		buf_printf(&s->obuf, "421 4.7.0 %s Error: too many errors\r\n",
		    s->c->me);
		s->done = 1;
		s->end = "errors";
	}
}

/* A reply to a command that moves no mail: past maxjunk of them since
 * the last message each counts as an error, so that a client that only
 * keeps the connection busy is let go (Postfix's
 * smtpd_junk_command_limit). */
static void
reply_junk(struct sess *s, const char *text)
{
	if (++s->junk > s->c->maxjunk)
		reply_err(s, text);
	else
		reply(s, text);
}

static void
reset_tx(struct sess *s)
{
	size_t i;

	for (i = 0; i < s->env.nrcpt; i++)
		free(s->env.rcpt[i]);
	free(s->env.rcpt);
	free(s->env.sender);
	s->env.rcpt = NULL;
	s->env.nrcpt = 0;
	s->env.sender = NULL;
	s->mail = 0;
	s->overshoot = 0;
	memset(&s->mp, 0, sizeof s->mp);
}

/* Read more input into rbuf, sending the replies queued first.  1 when
 * bytes came, 0 when the session ends (end of input, timeout, error). */
static int
fill(struct sess *s)
{
	ssize_t r;

	if (s->rpos == s->rlen)
		s->rpos = s->rlen = 0;
	else if (s->rpos > 0) {
		memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
		s->rlen -= s->rpos;
		s->rpos = 0;
	}
	if (flush(s) == -1)
		return 0;
	if (s->rlen == RBUF_SIZE)
		return 1;
	r = s->io->read(s->io->ctx, s->rbuf + s->rlen, RBUF_SIZE - s->rlen,
	    (int)(s->c->timeout * 1000));
	if (r > 0) {
		s->rlen += (size_t)r;
		return 1;
	}
	s->done = 1;
	if (r == 0)
		s->end = "eof";
	else if (errno == ETIMEDOUT) {
		/* RFC 5321 4.5.3.2: the server may close after its timeout */
		buf_printf(&s->obuf, "421 4.4.2 %s Error: timeout exceeded\r\n",
		    s->c->me);
		flush(s);
		s->end = "timeout";
	} else if (errno == ETIME) {
		/* control/timeoutsession: a client that trickles bytes */
		buf_printf(&s->obuf, "421 4.4.2 %s Error: session time limit "
		    "exceeded\r\n", s->c->me);
		flush(s);
		s->end = "session-timeout";
	} else
		s->end = "read-error";
	return 0;
}

/* The next command line, without its line end (CRLF, or a bare LF, which
 * is harmless outside DATA).  1 with a line; 2 when the line was longer
 * than maxcmdline and has been discarded up to its end; 0 when the
 * session ends. */
static int
get_line(struct sess *s, const char **line, size_t *len)
{
	size_t max = s->c->maxcmdline, avail;
	char *nl;
	int toolong = 0;

	for (;;) {
		avail = s->rlen - s->rpos;
		nl = memchr(s->rbuf + s->rpos, '\n', avail);
		if (nl) {
			size_t n = (size_t)(nl - (s->rbuf + s->rpos)) + 1;
			if (toolong || n > max) {
				s->rpos += n;
				return 2;
			}
			*line = s->rbuf + s->rpos;
			s->rpos += n;
			n--;
			if (n && (*line)[n - 1] == '\r')
				n--;
			*len = n;
			return 1;
		}
		if (avail > max) {
			/* discard what is there, keep looking for the end */
			toolong = 1;
			s->rpos = s->rlen;
		}
		if (!fill(s))
			return 0;
	}
}

/* After a bare LF or CR in DATA: reply, stop sending, and read what the
 * client still sends for a moment without parsing any of it, so that our
 * reply is not lost to a TCP reset and none of it is taken as commands. */
static void
linger(struct sess *s)
{
	size_t total = 0;
	ssize_t r;

	flush(s);
	if (s->io->shutdown)
		s->io->shutdown(s->io->ctx);
	while (total < DRAIN_MAX &&
	    (r = s->io->read(s->io->ctx, s->rbuf, RBUF_SIZE, 1000)) > 0)
		total += (size_t)r;
	s->rpos = s->rlen = 0;
}

/* Text from outside, for a log line or a header: printable ASCII only,
 * capped; and for HELO/host names in the Received header also none of
 * the characters that structure it ("()[];" and space), so that a client
 * cannot forge a second "from ... [ip]" for env_from_trace to read. */
static void
clean(char *dst, size_t n, const char *src, int strict)
{
	size_t i;

	log_clean(dst, n, src, strlen(src));
	if (strict)
		for (i = 0; dst[i]; i++)
			if (strchr("()[];<>\" \\", dst[i]))
				dst[i] = '?';
}

/* A dot-atom local part (RFC 5321 4.1.2) is written as is; anything else
 * (a quoted local part from a relay client) is quoted again, so that the
 * envelope file holds one unambiguous address. */
static int
add_address(struct buf *b, const struct addr *a, int normdomain)
{
	const unsigned char *p = (const unsigned char *)a->local;
	char dom[256];
	int atom = *p != '.' && *p != '\0';

	for (; *p; p++)
		if (!(*p >= 0x80 || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *p) ||
		    (*p == '.' && p[1] != '.' && p[1] != '\0')))
			atom = 0;
	if (atom)
		buf_adds(b, a->local);
	else {
		buf_addc(b, '"');
		for (p = (const unsigned char *)a->local; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(b, '\\');
			buf_addc(b, *p);
		}
		buf_addc(b, '"');
	}
	buf_addc(b, '@');
	if (normdomain && addr_domain_norm(a->domain, dom, sizeof dom) == 0)
		return buf_adds(b, dom);
	return buf_adds(b, a->domain);
}

static void
cmd_helo(struct sess *s, const struct smtp_cmd *c)
{
	if (c->arglen == 0 || (c->flags & (SMTP_CMD_NUL | SMTP_CMD_8BIT))) {
		reply_err(s, "501 5.5.4 Syntax: EHLO hostname");
		return;
	}
	reset_tx(s);
	snprintf(s->helo, sizeof s->helo, "%.*s",
	    (int)(c->arglen < 255 ? c->arglen : 255), c->arg);
	s->greeted = 1;
	s->esmtp = c->verb == SMTP_EHLO;
	if (!s->esmtp) {
		buf_printf(&s->obuf, "250 %s\r\n", s->c->me);
		return;
	}
	buf_printf(&s->obuf, "250-%s\r\n250-PIPELINING\r\n250-SIZE %lu\r\n"
	    "250-8BITMIME\r\n250-SMTPUTF8\r\n", s->c->me, s->c->databytes);
	if (s->c->tls && s->io->starttls && !s->tls)
		reply(s, "250-STARTTLS");
	reply(s, "250 ENHANCEDSTATUSCODES");
}

/* The path of MAIL or RCPT as addr_parse_path wants it: old clients send
 * a bare address, which we take when it cannot be read two ways. */
static int
parse_path(const struct smtp_cmd *c, struct addr *a)
{
	char tmp[SMTP_MAX_CMDLINE + 3];

	if (c->pathlen && c->path[0] == '<')
		return addr_parse_path(c->path, c->pathlen, a);
	if (c->pathlen + 3 > sizeof tmp || memchr(c->path, ':', c->pathlen) ||
	    memchr(c->path, '<', c->pathlen) || memchr(c->path, '>', c->pathlen)) {
		errno = EINVAL;
		return -1;
	}
	tmp[0] = '<';
	memcpy(tmp + 1, c->path, c->pathlen);
	tmp[c->pathlen + 1] = '>';
	return addr_parse_path(tmp, c->pathlen + 2, a);
}

static void
cmd_mail(struct sess *s, const struct smtp_cmd *c)
{
	struct smtp_mailparam mp;
	struct buf b = BUF_INIT;
	struct addr a;

	if (!s->greeted)
		{ reply_err(s, "503 5.5.1 Error: send EHLO first"); return; }
	if (s->tlsrequired && !s->tls)
		{ reply_err(s, "530 5.7.0 Must issue a STARTTLS command first"); return; }
	if (s->mail)
		{ reply_err(s, "503 5.5.1 Error: nested MAIL command"); return; }
	if (c->flags & (SMTP_CMD_SYNTAX | SMTP_CMD_NUL))
		{ reply_err(s, "501 5.5.4 Syntax: MAIL FROM:<address>"); return; }
	if (smtp_mail_params(c->params, c->paramslen, &mp) == -1)
		{ reply_err(s, "555 5.5.4 Unsupported MAIL parameter"); return; }
	if (mp.size > s->c->databytes)
		{ reply(s, "552 5.3.4 Message size exceeds fixed limit"); return; }
	if (c->flags & SMTP_CMD_BADUTF8)
		{ reply_err(s, "501 5.6.7 Address is not UTF-8"); return; }
	if ((c->flags & SMTP_CMD_8BIT) && !mp.utf8)
		{ reply_err(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8"); return; }
	if (parse_path(c, &a) == -1)
		{ reply_err(s, "501 5.1.7 Bad sender address syntax"); return; }
	if (!(a.flags & ADDR_NULLPATH))
		add_address(&b, &a, 0);
	addr_free(&a);
	if ((s->env.sender = strdup(b.p ? b.p : "")) == NULL) {
		buf_free(&b);
		{ reply(s, "451 4.3.0 Error: out of memory"); return; }
	}
	buf_free(&b);
	s->mp = mp;
	s->mail = 1;
	reply(s, "250 2.1.0 Ok");
}

static int
add_rcpt(struct sess *s, const char *r)
{
	return env_add_rcpt(&s->env, r, strlen(r));
}

static void
cmd_rcpt(struct sess *s, const struct smtp_cmd *c)
{
	struct buf b = BUF_INIT;
	struct addr a;
	enum smtp_rcpt_verdict v;
	char text[512];

	if (!s->mail)
		{ reply_err(s, "503 5.5.1 Error: need MAIL command"); return; }
	if (c->flags & (SMTP_CMD_SYNTAX | SMTP_CMD_NUL))
		{ reply_err(s, "501 5.5.4 Syntax: RCPT TO:<address>"); return; }
	if (c->paramslen)
		{ reply_err(s, "555 5.5.4 Unsupported RCPT parameter"); return; }
	/* RFC 5321 4.5.3.1.10: 452 and the client sends the rest in another
	 * transaction; one that goes on past SMTP_RCPT_OVERSHOOT is not
	 * listening, and each further RCPT counts as an error */
	if (s->env.nrcpt >= s->c->maxrcpt) {
		if (++s->overshoot > SMTP_RCPT_OVERSHOOT)
			reply_err(s, "452 4.5.3 Error: too many recipients");
		else
			reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (c->flags & SMTP_CMD_BADUTF8)
		{ reply_err(s, "501 5.6.7 Address is not UTF-8"); return; }
	if ((c->flags & SMTP_CMD_8BIT) && !s->mp.utf8)
		{ reply_err(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8"); return; }
	/* RFC 5321 4.5.1: "postmaster" with no domain is always accepted;
	 * it means the postmaster of this host */
	if ((c->pathlen == 12 && strncasecmp(c->path, "<postmaster>", 12) == 0) ||
	    (c->pathlen == 10 && strncasecmp(c->path, "postmaster", 10) == 0)) {
		buf_printf(&b, "postmaster@%s", s->c->me);
		if (add_rcpt(s, b.p) == -1)
			reply(s, "451 4.3.0 Error: out of memory");
		else
			reply(s, "250 2.1.5 Ok");
		buf_free(&b);
		return;
	}
	if (parse_path(c, &a) == -1)
		{ reply_err(s, "501 5.1.3 Bad recipient address syntax"); return; }
	v = smtp_rcpt_check(&a, s->relayclient, s->c->localdomains, s->c->nlocal);
	if (v == SMTP_RCPT_SYNTAX) {
		addr_free(&a);
		{ reply_err(s, "501 5.1.3 Bad recipient address syntax"); return; }
	}
	if (v != SMTP_RCPT_OK) {
		addr_free(&a);
		{ reply_err(s, "554 5.7.1 Relay access denied"); return; }
	}
	text[0] = '\0';
	if (s->io->rcpt_check && s->io->rcpt_check(s->io->ctx, a.local, a.domain,
	    text, sizeof text) != 0) {
		addr_free(&a);
		if (text[0] < '4' || text[0] > '5')
			snprintf(text, sizeof text, "451 4.3.0 Error: recipient check failed");
		/* a 5xx counts as an error: a client guessing names meets
		 * maxerrors (directory harvesting) */
		if (text[0] == '5')
			reply_err(s, text);
		else
			reply(s, text);
		return;
	}
	add_address(&b, &a, 1);
	addr_free(&a);
	if (add_rcpt(s, b.p) == -1)
		reply(s, "451 4.3.0 Error: out of memory");
	else
		reply(s, "250 2.1.5 Ok");
	buf_free(&b);
}

/* The Received header we prepend (RFC 5321 4.4), with LF line ends as the
 * queue keeps the message: the client's HELO, its name and address, our
 * name, the protocol (RFC 3848), TLS, the queue id, the recipient when
 * there is exactly one (more would tell each recipient of the others),
 * and the date (RFC 5322 3.3). */
static int
received(struct sess *s, struct buf *b)
{
	char helo[256], host[256], rc[512], date[64];
	time_t now = time(NULL);
	struct tm tm;

	clean(helo, sizeof helo, s->helo, 1);
	clean(host, sizeof host, s->host[0] ? s->host : "unknown", 1);
	localtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(b, "Received: from %s (%s [%s%s])\n\tby %s with %s%s",
	    helo, host, strchr(s->ip, ':') ? "IPv6:" : "", s->ip, s->c->me,
	    s->esmtp ? "ESMTP" : "SMTP", s->tls ? "S" : "");
	if (s->tls)
		buf_printf(b, " (%s)", s->tlsinfo);
	buf_printf(b, " id %s", s->qid);
	if (s->env.nrcpt == 1) {
		clean(rc, sizeof rc, s->env.rcpt[0], 0);
		buf_printf(b, "\n\tfor <%s>", rc);
	}
	return buf_printf(b, "; %s\n", date);
}

/* Write the header section: ours first, then theirs without the fields
 * only we may write.  Returns the hops counted. */
static int
write_header(struct sess *s, size_t *hops, int *werr)
{
	struct buf b = BUF_INIT;

	if (received(s, &b) == -1 ||
	    smtp_data_filter(s->d.hdr.p ? s->d.hdr.p : "", s->d.hdr.len,
	    s->c->me, &b, hops) == -1 ||
	    (s->d.hdr_sep && buf_addc(&b, '\n') == -1)) {
		*werr = ENOMEM;
		buf_free(&b);
		return -1;
	}
	if (*hops <= s->c->maxhops && s->io->msg_write(s->io->ctx, b.p, b.len) == -1)
		*werr = errno ? errno : EIO;
	buf_free(&b);
	return 0;
}

static void
log_msg(struct sess *s, const char *verdict, const char *reason)
{
	char from[300];

	clean(from, sizeof from, s->env.sender ? s->env.sender : "", 0);
	logf_(s, "qid=%s ip=%s from=<%s> rcpts=%zu bytes=%zu verdict=%s "
	    "reason=%s", s->qid[0] ? s->qid : "-", s->ip, from, s->env.nrcpt,
	    s->d.size, verdict, reason);
}

/* The end of a message that was read whole: refuse it for the first limit
 * it crossed, else commit it to the queue and only then say 250. */
static void
data_end(struct sess *s, size_t hops, int werr)
{
	const char *r = NULL, *why = NULL;
	unsigned e = s->d.err, flags = (s->mp.body8 ? QUEUE_8BITMIME : 0) |
	    (s->mp.utf8 ? QUEUE_SMTPUTF8 : 0);
	struct smtp_judgement j;
	int jr = 0;

	if (e & SMTP_DATA_TOOBIG)
		r = "552 5.3.4 Message size exceeds fixed limit", why = "size";
	else if (e & SMTP_DATA_HDRBIG)
		r = "552 5.3.4 Header section too large", why = "header-size";
	else if (e & SMTP_DATA_LONGLINE)
		r = "554 5.6.0 Line too long (RFC 5321 4.5.3.1.6)", why = "long-line";
	else if (e & SMTP_DATA_NUL)
		r = "554 5.6.0 NUL byte in message text", why = "nul";
	else if (hops > s->c->maxhops)
		r = "554 5.4.6 Too many hops: mail loop?", why = "hops";
	else if (werr)
		r = "451 4.3.0 Error: queue write failed", why = "queue-write";
	memset(&j, 0, sizeof j);
	if (r == NULL) {
		s->env.tls = s->tls ? s->tlsinfo : NULL;
		/* verdicts at the door: the chain judges the message before
		 * the reply, so that a refusal is a 5xx to the client, never
		 * a bounce to a sender who may be forged */
		jr = s->io->msg_judge ? s->io->msg_judge(s->io->ctx, &s->env,
		    &flags, &j) : 0;
		if (jr == 1) {
			r = j.reply[0] ? j.reply : "550 5.7.1 Message refused";
			why = j.reason[0] ? j.reason : "policy";
		} else if (jr == -1) {
			r = j.reply[0] == '4' ? j.reply :
			    "451 4.3.0 Error: message could not be checked";
			why = j.reason[0] ? j.reason : "judge";
		} else if (s->io->msg_commit(s->io->ctx, &s->env, flags) == -1) {
			r = "451 4.3.0 Error: queue write failed";
			why = "queue-commit";
		} else {
			s->env.tls = NULL;
			buf_printf(&s->obuf, "250 2.0.0 Ok: queued as %s\r\n", s->qid);
			s->accepted++;
			s->junk = 0;
			log_msg(s, j.verdict[0] ? j.verdict : "accepted",
			    j.reason[0] ? j.reason : "-");
			return;
		}
		s->env.tls = NULL;
		if (jr != 0)
			s->io->msg_abort(s->io->ctx);
	} else
		s->io->msg_abort(s->io->ctx);
	reply(s, r);
	s->refused++;
	log_msg(s, r[0] == '4' ? "tempfail" : "refused", why);
}

static void
cmd_data(struct sess *s, const struct smtp_cmd *c)
{
	struct smtp_data_limits lim = { s->c->databytes, s->c->maxtextline,
	    s->c->maxhdr };
	size_t used, hops = 0;
	int r, werr = 0, hdr_written = 0;

	if (c->arglen)
		{ reply_err(s, "501 5.5.4 Syntax: DATA"); return; }
	if (!s->mail)
		{ reply_err(s, "503 5.5.1 Error: need MAIL command"); return; }
	if (s->env.nrcpt == 0)
		{ reply_err(s, "554 5.5.1 Error: no valid recipients"); return; }
	s->qid[0] = '\0';
	if (s->io->msg_open(s->io->ctx, s->qid, sizeof s->qid) == -1) {
		reply(s, "451 4.3.0 Error: queue unavailable");
		log_msg(s, "tempfail", "queue-open");
		return;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	smtp_data_begin(&s->d, &lim);
	for (;;) {
		if (s->rpos == s->rlen && !fill(s)) {
			s->io->msg_abort(s->io->ctx);
			log_msg(s, "tempfail", s->end);
			return;
		}
		r = smtp_data_feed(&s->d, s->rbuf + s->rpos, s->rlen - s->rpos,
		    &used);
		s->rpos += used;
		if (s->d.hdr_done && !hdr_written && !(s->d.err &
		    (SMTP_DATA_TOOBIG | SMTP_DATA_HDRBIG))) {
			write_header(s, &hops, &werr);
			hdr_written = 1;
		}
		if (hdr_written && s->d.out.len && !werr && hops <= s->c->maxhops &&
		    !s->d.err && s->io->msg_write(s->io->ctx, s->d.out.p,
		    s->d.out.len) == -1)
			werr = errno ? errno : EIO;
		buf_reset(&s->d.out);
		if (r == SMTP_DATA_BAD) {
			/* smuggling: never guess where this message ends */
			s->io->msg_abort(s->io->ctx);
			reply(s, s->d.err & SMTP_DATA_BARELF ?
			    "554 5.6.0 Bare LF in message text (RFC 5321 2.3.8)" :
			    "554 5.6.0 Bare CR in message text (RFC 5321 2.3.8)");
			buf_printf(&s->obuf, "421 4.7.0 %s closing connection\r\n",
			    s->c->me);
			s->refused++;
			log_msg(s, "refused", s->d.err & SMTP_DATA_BARELF ?
			    "bare-lf" : "bare-cr");
			s->done = 1;
			s->end = "bare-newline";
			linger(s);
			return;
		}
		if (r == SMTP_DATA_END)
			break;
	}
	data_end(s, hops, werr);
	reset_tx(s);
}

static void
cmd_starttls(struct sess *s, const struct smtp_cmd *c)
{
	if (!s->c->tls || s->io->starttls == NULL)
		{ reply_err(s, "502 5.5.1 Error: command not implemented"); return; }
	if (s->tls)
		{ reply_err(s, "503 5.5.1 Error: TLS already active"); return; }
	if (c->arglen)
		{ reply_err(s, "501 5.5.4 Syntax: STARTTLS"); return; }
	reply(s, "220 2.0.0 Ready to start TLS");
	if (flush(s) == -1)
		return;
	/* CVE-2011-0411: whatever the client pipelined after STARTTLS came
	 * in plaintext and is thrown away, never read as commands */
	s->rpos = s->rlen = 0;
	if (s->io->starttls(s->io->ctx, s->tlsinfo, sizeof s->tlsinfo) == -1) {
		s->done = 1;
		s->end = errno == ETIMEDOUT || errno == ETIME ? "tls-timeout" :
		    "tls-failed";
		return;
	}
	/* RFC 3207 4.2: forget everything learnt before TLS */
	s->tls = 1;
	s->greeted = 0;
	s->esmtp = 0;
	s->helo[0] = '\0';
	reset_tx(s);
}

static void
command(struct sess *s, const char *line, size_t n)
{
	struct smtp_cmd c;

	smtp_cmd_parse(line, n, &c);
	if ((c.flags & SMTP_CMD_NUL) && c.verb != SMTP_MAIL && c.verb != SMTP_RCPT &&
	    c.verb != SMTP_HELO && c.verb != SMTP_EHLO)
		{ reply_err(s, "500 5.5.2 Error: bad character in command"); return; }
	switch (c.verb) {
	case SMTP_HELO:
	case SMTP_EHLO:
		{ cmd_helo(s, &c); return; }
	case SMTP_MAIL:
		{ cmd_mail(s, &c); return; }
	case SMTP_RCPT:
		{ cmd_rcpt(s, &c); return; }
	case SMTP_DATA:
		{ cmd_data(s, &c); return; }
	case SMTP_RSET:
		if (c.arglen)
			{ reply_err(s, "501 5.5.4 Syntax: RSET"); return; }
		reset_tx(s);
		{ reply_junk(s, "250 2.0.0 Ok"); return; }
	case SMTP_NOOP:
		{ reply_junk(s, "250 2.0.0 Ok"); return; }
	case SMTP_QUIT:
		buf_printf(&s->obuf, "221 2.0.0 %s closing connection\r\n", s->c->me);
		s->done = 1;
		s->end = "quit";
		return;
	case SMTP_VRFY:
		/* RFC 5321 4.1.1.6: "VRFY" SP String; without one it is a
		 * syntax error, as aiosmtpd and Postfix answer */
		if (!c.arglen)
			{ reply_err(s, "501 5.5.4 Syntax: VRFY address"); return; }
		/* RFC 5321 3.5.3: 252 reveals nothing about who exists */
		{ reply_junk(s, "252 2.5.2 Cannot VRFY user; send mail and we will try"); return; }
	case SMTP_HELP:
		{ reply_junk(s, "214 2.0.0 See RFC 5321"); return; }
	case SMTP_STARTTLS:
		{ cmd_starttls(s, &c); return; }
	case SMTP_HTTP:
		buf_printf(&s->obuf, "421 4.7.0 %s this is not a web server\r\n",
		    s->c->me);
		s->done = 1;
		s->end = "http";
		return;
	case SMTP_EXPN:
	case SMTP_AUTH:
	case SMTP_BDAT:
		{ reply_err(s, "502 5.5.1 Error: command not implemented"); return; }
	default:
		{ reply_err(s, "500 5.5.2 Error: command not recognized"); return; }
	}
}

/* Is the client in one of the nets? */
static int
ip_listed(const char *ip, const struct ip_net *nets, size_t n)
{
	struct ip_addr a;
	size_t i;

	if (ip_parse(ip, strlen(ip), &a) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (ip_in_net(&a, &nets[i]))
			return 1;
	return 0;
}

/* Before the banner: a client that speaks first is not a mail client
 * that follows RFC 5321 3.1 (spam bots do it to save time).  0 to go on. */
static int
pregreet(struct sess *s)
{
	ssize_t r = s->io->read(s->io->ctx, s->rbuf, RBUF_SIZE,
	    (int)s->c->greetdelay);

	if (r > 0) {
		buf_printf(&s->obuf, "554 5.7.1 %s Error: talking before the "
		    "banner\r\n", s->c->me);
		s->end = "pregreet";
		return -1;
	}
	if (r == 0) {
		s->end = "eof";
		return -1;
	}
	return 0;
}

/* Run one session to its end.  0; -1 only when memory ran out at the
 * start. */
int
smtp_session_run(const struct smtp_conf *c, const struct smtp_io *io,
    const char *ip, const char *host)
{
	struct sess s;
	const char *line;
	size_t n;
	char dir[8];

	memset(&s, 0, sizeof s);
	s.c = c;
	s.io = io;
	if ((s.rbuf = malloc(RBUF_SIZE)) == NULL)
		return -1;
	log_clean(s.ip, sizeof s.ip, ip ? ip : "unknown", strlen(ip ? ip : "unknown"));
	if (host)
		clean(s.host, sizeof s.host, host, 1);
	s.relayclient = ip_listed(s.ip, c->relay, c->nrelay);
	s.tlsrequired = ip_listed(s.ip, c->tlsreq, c->ntlsreq);
	s.env.dir = s.relayclient ? ENV_DIR_OUT : ENV_DIR_IN;
	s.env.ip = s.ip;
	s.env.host = s.host[0] ? s.host : NULL;
	s.env.helo = s.helo;
	if (pregreet(&s) == 0) {
		buf_printf(&s.obuf, "220 %s\r\n", c->greeting[0] ? c->greeting : c->me);
		while (!s.done) {
			int r = get_line(&s, &line, &n);
			if (r == 0)
				break;
			if (r == 2)
				reply_err(&s, "500 5.5.2 Error: line too long");
			else
				command(&s, line, n);
			if (s.obuf.len >= OBUF_FLUSH)
				flush(&s);
		}
	}
	flush(&s);
	snprintf(dir, sizeof dir, "%s", s.relayclient ? "out" : "in");
	{
		char helo[256];
		clean(helo, sizeof helo, s.helo, 0);
		logf_(&s, "ip=%s host=%s helo=%s dir=%s tls=%s accepted=%lu "
		    "refused=%lu errors=%lu end=%s", s.ip, s.host[0] ? s.host : "-",
		    helo[0] ? helo : "-", dir, s.tls ? "yes" : "no", s.accepted,
		    s.refused, s.errors, s.end ? s.end : "-");
	}
	reset_tx(&s);
	smtp_data_free(&s.d);
	buf_free(&s.obuf);
	free(s.rbuf);
	return 0;
}
