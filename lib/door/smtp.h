/* smtp: the pure parts of the SMTP server, kept apart from any I/O so that
 * they can be unit-tested and fuzzed: the command line parser (RFC 5321
 * 4.1), the MAIL parameters (RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531
 * SMTPUTF8), and the relay rule that decides whether a recipient's final
 * destination is one of our domains.  Everything here reads bytes a
 * stranger sent. */
#ifndef PORTCULLIS_SMTP_H
#define PORTCULLIS_SMTP_H
#include <stddef.h>
#include "addr.h"

enum smtp_verb {
	SMTP_UNKNOWN = 0, SMTP_HELO, SMTP_EHLO, SMTP_MAIL, SMTP_RCPT,
	SMTP_DATA, SMTP_RSET, SMTP_NOOP, SMTP_QUIT, SMTP_VRFY, SMTP_EXPN,
	SMTP_HELP, SMTP_STARTTLS, SMTP_AUTH, SMTP_BDAT, SMTP_HTTP
};

/* Command flags. */
#define SMTP_CMD_NUL    0x01  /* a NUL or other control byte in the line */
#define SMTP_CMD_8BIT   0x02  /* bytes >= 0x80 */
#define SMTP_CMD_BADUTF8 0x04 /* 8-bit bytes that are not UTF-8 */
#define SMTP_CMD_SYNTAX 0x08  /* MAIL/RCPT without "FROM:"/"TO:" and a path */

struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg;       /* after the verb and its space; not terminated */
	size_t      arglen;
	const char *path;      /* MAIL/RCPT: the path, "<...>" as sent */
	size_t      pathlen;
	const char *params;    /* MAIL/RCPT: the parameters after the path */
	size_t      paramslen;
	unsigned    flags;
};

/* MAIL parameters. */
struct smtp_mailparam {
	unsigned long long size;   /* SIZE=, 0 if not given */
	int  body8;                /* BODY=8BITMIME */
	int  utf8;                 /* SMTPUTF8 */
};

/* Why a recipient is refused, from smtp_rcpt_check. */
enum smtp_rcpt_verdict {
	SMTP_RCPT_OK = 0,
	SMTP_RCPT_SYNTAX,      /* not a path we accept at all: 501 */
	SMTP_RCPT_RELAY,       /* final destination is not ours: 554 5.7.1 */
	SMTP_RCPT_UTF8         /* 8-bit without SMTPUTF8: 553 5.6.7 */
};

int  smtp_cmd_parse(const char *line, size_t n, struct smtp_cmd *);
int  smtp_utf8_valid(const char *, size_t);
int  smtp_mail_params(const char *, size_t, struct smtp_mailparam *);
int  smtp_local_is(const char *local, const char *name);
enum smtp_rcpt_verdict smtp_rcpt_check(const struct addr *, int relayclient,
	char *const *localdomains, size_t n);
int  smtp_hdr_is_own(const char *field, size_t namelen, const char *val,
	size_t vallen, const char *me);

#endif
