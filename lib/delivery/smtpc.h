/* smtpc: the client side of SMTP and LMTP (RFC 5321, RFC 2033) over a
 * TCP or Unix socket, in clear or after STARTTLS (RFC 3207) with OpenSSL:
 * connecting under a time limit, reading multi-line replies, writing
 * commands, and the message body with CRLF line ends and dot-stuffing.
 * Every reply is a stranger's text: lines are capped, the code checked,
 * the text cleaned to printable ASCII before anyone logs or echoes it. */
#ifndef PORTCULLIS_SMTPC_H
#define PORTCULLIS_SMTPC_H
#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

#define SMTPC_LINE_MAX  2048   /* one reply line; RFC 5321 4.5.3.1.5 says 512 */
#define SMTPC_TEXT_MAX  400    /* reply text kept for results and logs */
#define SMTPC_LINES_MAX 100    /* lines in one multi-line reply */

/* EHLO extensions we use. */
#define SMTPC_EXT_STARTTLS   0x01
#define SMTPC_EXT_SIZE       0x02
#define SMTPC_EXT_8BITMIME   0x04
#define SMTPC_EXT_PIPELINING 0x08
#define SMTPC_EXT_SMTPUTF8   0x10

struct smtpc_reply {
	int      code;                     /* 200..599, 0 while incomplete */
	int      lines;
	unsigned ext;                      /* EHLO: SMTPC_EXT_ flags */
	unsigned long long size;           /* EHLO: the SIZE limit, 0 none */
	char     text[SMTPC_TEXT_MAX + 1]; /* lines joined by " / ", cleaned */
	size_t   tlen;
};

struct smtpc;

void smtpc_reply_init(struct smtpc_reply *);
int  smtpc_reply_feed(struct smtpc_reply *, const char *line, size_t n);
int  smtpc_format_reply(const struct smtpc_reply *, char *, size_t);

struct smtpc *smtpc_connect(const char *addr, const char *port, int ms,
	char *err, size_t errsize);
void          smtpc_set_timeout(struct smtpc *, int ms);
struct smtpc *smtpc_connect_unix(const char *path, int ms, char *err,
	size_t errsize);
int  smtpc_reply(struct smtpc *, struct smtpc_reply *);
int  smtpc_send(struct smtpc *, const void *, size_t);
int  smtpc_cmd(struct smtpc *, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int  smtpc_flush(struct smtpc *);
int  smtpc_data(struct smtpc *, const char *msg, size_t n);
int  smtpc_starttls(struct smtpc *, const char *servername, int verify,
	const char *cafile, char *info, size_t n);
void smtpc_close(struct smtpc *);
/* The next smtpc_starttls authenticates the peer by these TLSA records
 * (dane.h) instead of PKIX; t must outlive the connection. */
struct dane_tlsa;
void smtpc_set_dane(struct smtpc *, const struct dane_tlsa *, size_t);
int  smtpc_stuff(const char *msg, size_t n, struct buf *out);

#endif
