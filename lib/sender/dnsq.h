/* dnsq: one message's DNS questions over the project's one DNS layer
 * (dns.h), with a cache and one deadline for the whole message.  What a
 * check will need is submitted first (dnsq_ask) so that the resolver works
 * on all of it at once; dnsq_get then waits only for what is still out.
 * An answer not in by the deadline is DNS_TEMP, never a guess. */
#ifndef PORTCULLIS_DNSQ_H
#define PORTCULLIS_DNSQ_H
#include "dns.h"

struct dnsq_ent {
	char             *name;
	int               type;
	struct dns_answer a;
};

struct dnsq {
	struct dns       *d;          /* NULL: every answer is DNS_TEMP */
	long              deadline;   /* monotonic ms */
	struct dnsq_ent **e;
	size_t            n, cap;
	size_t            queries;    /* asked of the resolver (for the log) */
};

void dnsq_init(struct dnsq *, struct dns *, int timeout_ms);
void dnsq_ask(struct dnsq *, const char *name, int type);
const struct dns_answer *dnsq_get(struct dnsq *, const char *name, int type);
void dnsq_free(struct dnsq *);

#endif
