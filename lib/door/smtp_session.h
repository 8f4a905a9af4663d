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
	unsigned long  databytes, maxrcpt, maxhops, maxerrors;
	unsigned long  maxcmdline, maxtextline, maxhdr;
	unsigned long  timeout;         /* seconds, per read */
	unsigned long  greetdelay;      /* milliseconds */
	int            tls;             /* STARTTLS may be offered */
};

#define SMTP_DEF_DATABYTES   52428800UL
#define SMTP_DEF_MAXRCPT     100UL    /* RFC 5321 4.5.3.1.8: at least 100 */
#define SMTP_DEF_MAXHOPS     100UL    /* qmail's limit; Postfix uses 50 */
#define SMTP_DEF_MAXERRORS   10UL
#define SMTP_DEF_MAXCMDLINE  512UL    /* RFC 5321 4.5.3.1.4 */
#define SMTP_DEF_MAXTEXTLINE 1000UL   /* RFC 5321 4.5.3.1.6 */
#define SMTP_DEF_MAXHDR      262144UL
#define SMTP_DEF_TIMEOUT     300UL    /* RFC 5321 4.5.3.2.7: 5 minutes */
#define SMTP_DEF_GREETDELAY  0UL
#define SMTP_MAX_CMDLINE     16384UL

struct smtp_io {
	void *ctx;
	/* Up to n bytes within timeout_ms: >0, 0 at end of input, -1 with
	 * errno (ETIMEDOUT when the time ran out). */
	ssize_t (*read)(void *ctx, void *, size_t, int timeout_ms);
	int     (*write)(void *ctx, const void *, size_t);
	/* Stop sending (half close before draining); may be NULL. */
	void    (*shutdown)(void *ctx);
	/* Start TLS as server; info gets "TLSv1.3 CIPHER".  May be NULL. */
	int     (*starttls)(void *ctx, char *info, size_t n);
	/* The message sink: open gives the queue id. */
	int     (*msg_open)(void *ctx, char *id, size_t n);
	int     (*msg_write)(void *ctx, const void *, size_t);
	int     (*msg_commit)(void *ctx, const struct envelope *, unsigned);
	void    (*msg_abort)(void *ctx);
	/* One log line (no newline); may be NULL. */
	void    (*log)(void *ctx, const char *line);
	/* Judge a recipient the relay rule took (lib/door/rcptcheck.c):
	 * 0 to accept, else the reply (no CRLF) in reply.  May be NULL. */
	int     (*rcpt_check)(void *ctx, const char *local, const char *domain,
		char *reply, size_t n);
};

void smtp_conf_defaults(struct smtp_conf *);
int  smtp_session_run(const struct smtp_conf *, const struct smtp_io *,
	const char *ip, const char *host);

#endif
