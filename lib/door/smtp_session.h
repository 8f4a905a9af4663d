/* smtp_session: one SMTP server session (RFC 5321) from banner to QUIT:
 * the state machine of commands, the replies, the relay rule, the limits,
 * and DATA into a message sink.  It does no I/O of its own: the caller
 * hands it functions to read and write the connection, to start TLS and to
 * put a message into the queue, so that the same code runs on a socket, a
 * pipe, or a fuzzer's buffer.  Never prints, never exits. */
#ifndef PORTCULLIS_SMTP_SESSION_H
#define PORTCULLIS_SMTP_SESSION_H
#include <stddef.h>
#include <sys/types.h>
#include "env.h"
#include "ip.h"
#include "queue.h"

/* Site settings, from control files (portcullis-control(5)); the
 * defaults are the SMTP_DEF_ values. */
struct smtp_conf {
	char           me[256];
	char           greeting[256];   /* text after "220 " */
	char *const   *localdomains;
	size_t         nlocal;
	const struct ip_net *relay;     /* relayclients */
	size_t         nrelay;
	const struct ip_net *tlsreq;    /* clients that must STARTTLS first */
	size_t         ntlsreq;
	unsigned long  databytes, maxrcpt, maxhops, maxerrors, maxjunk;
	unsigned long  maxcmdline, maxtextline, maxhdr;
	unsigned long  timeout;         /* seconds of silence, per read or write */
	unsigned long  sessiontimeout;  /* seconds, the whole session */
	unsigned long  greetdelay;      /* milliseconds */
	int            tls;             /* STARTTLS may be offered */
};

#define SMTP_DEF_DATABYTES   52428800UL
#define SMTP_DEF_MAXRCPT     100UL    /* RFC 5321 4.5.3.1.8: at least 100 */
#define SMTP_DEF_MAXHOPS     100UL    /* qmail's limit; Postfix uses 50 */
#define SMTP_DEF_MAXERRORS   10UL
#define SMTP_DEF_MAXJUNK     100UL    /* Postfix's smtpd_junk_command_limit */
#define SMTP_DEF_MAXCMDLINE  512UL    /* RFC 5321 4.5.3.1.4 */
#define SMTP_DEF_MAXTEXTLINE 1000UL   /* RFC 5321 4.5.3.1.6 */
#define SMTP_DEF_MAXHDR      262144UL
#define SMTP_DEF_TIMEOUT     300UL    /* RFC 5321 4.5.3.2.7: 5 minutes */
#define SMTP_DEF_SESSIONTIMEOUT 1800UL  /* 50 MB at 28 kB/s */
#define SMTP_DEF_GREETDELAY  0UL
#define SMTP_MAX_CMDLINE     16384UL

/* What the door's judge said of a message (smtp_io.msg_judge). */
struct smtp_judgement {
	char reply[600];     /* the whole reply line when refused */
	char verdict[16];    /* for the log: accepted, quarantined, ... */
	char reason[300];    /* for the log */
};

struct smtp_io {
	void *ctx;
	/* Up to n bytes within timeout_ms: >0, 0 at end of input, -1 with
	 * errno (ETIMEDOUT when the time ran out, ETIME when the whole
	 * session's time did).  write: -1 with the same errno when the
	 * client did not take our replies in time. */
	ssize_t (*read)(void *ctx, void *, size_t, int timeout_ms);
	int     (*write)(void *ctx, const void *, size_t);
	/* Stop sending (half close before draining); may be NULL. */
	void    (*shutdown)(void *ctx);
	/* Start TLS as server; info gets "TLSv1.3 CIPHER".  May be NULL.
	 * -1 with errno ETIMEDOUT or ETIME when the client was too slow. */
	int     (*starttls)(void *ctx, char *info, size_t n);
	/* The message sink: open gives the queue id. */
	int     (*msg_open)(void *ctx, char *id, size_t n);
	int     (*msg_write)(void *ctx, const void *, size_t);
	int     (*msg_commit)(void *ctx, const struct envelope *, unsigned);
	void    (*msg_abort)(void *ctx);
	/* One log line (no newline); may be NULL. */
	void    (*log)(void *ctx, const char *line);
	/* Judge the whole written message before the reply to its end (may
	 * be NULL): 0 commit it (flags may gain QUEUE_ bits, the sink's
	 * content may have been replaced), 1 refuse it with j->reply, -1
	 * could not judge and must not accept (451).  The session aborts a
	 * message that is not committed. */
	int     (*msg_judge)(void *ctx, const struct envelope *, unsigned *flags,
		struct smtp_judgement *j);
	/* Judge a recipient the relay rule took (lib/door/rcptcheck.c):
	 * 0 to accept, else the reply (no CRLF) in reply.  May be NULL. */
	int     (*rcpt_check)(void *ctx, const char *local, const char *domain,
		char *reply, size_t n);
};

void smtp_conf_defaults(struct smtp_conf *);
int  smtp_session_run(const struct smtp_conf *, const struct smtp_io *,
	const char *ip, const char *host);

#endif
