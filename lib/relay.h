/* relay: one SMTP or LMTP transaction for a set of recipients on an open
 * connection: greeting, EHLO/LHLO, STARTTLS per the TLS policy, MAIL with
 * SIZE and BODY=8BITMIME, RCPT (pipelined when offered), DATA, and the
 * reply of each recipient, as relay-out(8) reports them. */
#ifndef PORTCULLIS_RELAY_H
#define PORTCULLIS_RELAY_H
#include <stddef.h>
#include "smtpc.h"

enum relay_tls { RELAY_TLS_NONE = 0, RELAY_TLS_MAY, RELAY_TLS_ENCRYPT,
	RELAY_TLS_VERIFY };

/* Result kinds, the first letter of relay-out's result lines. */
#define RELAY_OK   'r'   /* accepted */
#define RELAY_PERM 'h'   /* permanent failure: bounce */
#define RELAY_TEMP 's'   /* temporary failure: retry */

struct relay_rcpt {
	const char *addr;
	char        kind;        /* 0 until answered */
	char        reply[SMTPC_TEXT_MAX + 16];  /* "CODE text" */
};

struct relay_job {
	const char *me;          /* our name for EHLO */
	const char *sender;      /* "" for <> */
	struct relay_rcpt *r;
	size_t      n;
	const char *msg;
	size_t      len;
	int         body8;       /* BODY=8BITMIME */
	int         lmtp;
	enum relay_tls tls;
	const char *cafile;      /* RELAY_TLS_VERIFY: NULL = the system's */
	const char *tlsname;     /* the name the certificate must carry */
	char        why[SMTPC_TEXT_MAX + 64];  /* why a host was given up */
	char        tlsinfo[128];
};

int  relay_parse_tls(const char *, enum relay_tls *);
int  relay_try(struct relay_job *, struct smtpc *);
void relay_set(struct relay_rcpt *, char kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void relay_set_pending(struct relay_job *, char kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
