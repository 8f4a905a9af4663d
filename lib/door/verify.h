/* verify: recipient address verification against the internal server
 * that a route names, as Postfix's reject_unverified_recipient does it: a
 * probe session (EHLO, MAIL FROM:<>, RCPT TO:<address>, RSET, QUIT) that
 * sends no message, and a cache of the answers shared by every
 * smtpd-accept process (LMDB, in the queue directory, where the smtpd
 * uid may write).  The internal server's replies are strangers' text:
 * they come bounded and cleaned from lib/delivery/smtpc.c.  Never prints,
 * never exits. */
#ifndef PORTCULLIS_VERIFY_H
#define PORTCULLIS_VERIFY_H
#include <stddef.h>
#include <time.h>

#include "route.h"

#define VERIFY_TEXT_MAX 300

/* What the internal server said of the address, by reply class. */
enum verify_result {
	VERIFY_DOWN = 3,     /* no answer: unreachable, timeout, broken */
	VERIFY_OK = 2,       /* RCPT got 2xx */
	VERIFY_TEMP = 4,     /* 4xx, or a refusal before RCPT */
	VERIFY_REJECT = 5,   /* RCPT got 5xx */
};

struct verify_cache;

int  verify_probe(const struct route *, const char *me, const char *addr,
	int timeout_ms, char *text, size_t n);
int  verify_cache_open(const char *path, struct verify_cache **, char *err,
	size_t errsize);
int  verify_cache_get(struct verify_cache *, const char *addr, time_t now,
	int *result, char *text, size_t n);
int  verify_cache_put(struct verify_cache *, const char *addr, int result,
	const char *text, time_t expires);
void verify_cache_close(struct verify_cache *);

#endif
