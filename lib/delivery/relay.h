/* relay: one SMTP or LMTP transaction for a set of recipients on an open
 * connection: greeting, EHLO/LHLO, STARTTLS per the TLS policy, MAIL with
 * SIZE, BODY=8BITMIME and SMTPUTF8, RCPT (pipelined when offered), DATA,
 * and the reply of each recipient, as relay-out(8) reports them; and the
 * order in which a domain's MX hosts are tried. */
#ifndef PORTCULLIS_RELAY_H
#define PORTCULLIS_RELAY_H
#include <stddef.h>
#include <stdint.h>
#include "dns.h"
#include "smtpc.h"

struct dane_host;

enum relay_tls { RELAY_TLS_NONE = 0, RELAY_TLS_MAY, RELAY_TLS_ENCRYPT,
	RELAY_TLS_VERIFY };

/* Result kinds, the first letter of relay-out's result lines. */
#define RELAY_OK   'r'   /* accepted */
#define RELAY_PERM 'h'   /* permanent failure: bounce */
#define RELAY_TEMP 's'   /* temporary failure: retry */

/* What of a message needs SMTPUTF8 (RFC 6531) of the next hop. */
#define RELAY_UTF8_SENDER 0x01   /* a non-ASCII envelope sender */
#define RELAY_UTF8_HEADER 0x02   /* UTF-8 in the header section (RFC 6532) */

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
	int         utf8_want;   /* received with SMTPUTF8: pass it on */
	unsigned    utf8_need;   /* RELAY_UTF8_ bits; a non-ASCII recipient
	                          * needs it too, found per transaction */
	int         lmtp;
	enum relay_tls tls;
	const char *cafile;      /* RELAY_TLS_VERIFY: NULL = the system's */
	const char *tlsname;     /* the name the certificate must carry */
	const char *tlsby;       /* who asked for tls, for the reasons given:
	                          * NULL control/tls-policy, "MTA-STS enforce" */
	const struct dane_host *dane;  /* this host's DANE (dane.h), or NULL */
	char        why[SMTPC_TEXT_MAX + 64];  /* why a host was given up */
	char        tlsinfo[128];
};

int  relay_parse_tls(const char *, enum relay_tls *);
unsigned relay_utf8_need(const char *sender, const char *msg, size_t len);
int  relay_ascii(const char *);
void relay_mx_order(struct dns_rr *, size_t, uint32_t (*rnd)(uint32_t));
int  relay_try(struct relay_job *, struct smtpc *);
void relay_set(struct relay_rcpt *, char kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void relay_set_pending(struct relay_job *, char kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
