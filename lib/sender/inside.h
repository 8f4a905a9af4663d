/* inside: what names the inside of the organisation in header text.  The
 * private, loopback and link-local ranges ip_is_internal knows, plus what
 * control/internalhosts lists: host names ("exch01.corp.example"), whole
 * domains (".corp.example": the domain and every name under it) and extra
 * networks in CIDR form ("198.51.100.0/24", for sites that number their
 * inside with public addresses).  Finds them in free text and redacts
 * them, for header-strip and for any tool that must not let them out. */
#ifndef PORTCULLIS_INSIDE_H
#define PORTCULLIS_INSIDE_H
#include <stddef.h>
#include "buf.h"
#include "ip.h"

/* What replaces what was found: an address becomes "[redacted]" (inside
 * brackets that were already there, only the address is replaced, so that
 * "[10.1.2.3]" also becomes "[redacted]"); a host name becomes
 * "internal.invalid", a name RFC 2606 reserves so it can never resolve and
 * the field keeps its domain syntax. */
#define INSIDE_ADDR_REDACTED "redacted"
#define INSIDE_HOST_REDACTED "internal.invalid"

#define INSIDE_NAME_MAX 253   /* RFC 1035 2.3.4, in text form */

struct inside {
	char          **host;    /* lower case, no trailing dot */
	unsigned char  *suffix;  /* host[i] came as ".domain" */
	size_t          nhost;
	struct ip_net  *net;
	size_t          nnet;
};

int  inside_add(struct inside *, const char *entry);
int  inside_addr(const struct inside *, const struct ip_addr *);
int  inside_host(const struct inside *, const char *, size_t);
int  inside_find(const struct inside *, const char *, size_t);
int  inside_redact(const struct inside *, const char *, size_t,
	struct buf *out);
void inside_free(struct inside *);

#endif
