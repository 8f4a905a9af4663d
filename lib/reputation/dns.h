/* dns: the project's one DNS layer, over libunbound (see portcullis(7),
 * DECISIONS).  Many queries are submitted, then dns_wait runs them all at
 * once under one deadline; whatever is not answered by then is a
 * temporary failure.  The resolvers come from control/resolvers ("IP" or
 * "IP@PORT" per line; missing: the system's /etc/resolv.conf), so that
 * tests point it at a server on loopback; with control/dnssecanchors it
 * validates DNSSEC (relay-out's DANE needs it).  Answers are data from
 * strangers: names are checked, text is kept as bytes with lengths. */
#ifndef PORTCULLIS_DNS_H
#define PORTCULLIS_DNS_H
#include <stddef.h>

/* Record types, as numbered in DNS. */
#define DNS_A     1
#define DNS_PTR  12
#define DNS_MX   15
#define DNS_TXT  16
#define DNS_AAAA 28
#define DNS_TLSA 52   /* RFC 6698: text "USAGE SELECTOR MTYPE HEX" */

/* What became of a query. */
enum dns_status {
	DNS_PENDING = 0,
	DNS_OK,          /* records in rr */
	DNS_NODATA,      /* the name exists, no record of that type */
	DNS_NXDOMAIN,    /* the name does not exist: a permanent answer */
	DNS_TEMP         /* SERVFAIL, timeout, resolver unreachable */
};

#define DNS_MAX_RR 64   /* records kept per answer; more are dropped */

struct dns_rr {
	unsigned pref;   /* MX preference; 0 otherwise */
	char    *text;   /* A/AAAA: the address; MX/PTR: the name without the
	                  * final dot ("" for the root, a null MX); TXT: the
	                  * strings joined */
	size_t   len;
};

struct dns_answer {
	enum dns_status status;
	struct dns_rr   rr[DNS_MAX_RR];
	size_t          n;
	int             secure;   /* DNSSEC validated (for DANE later) */
};

struct dns;

struct dns *dns_open(char *err, size_t errsize);
int  dns_submit(struct dns *, const char *name, int type, struct dns_answer *);
int  dns_wait(struct dns *, int timeout_ms);
void dns_answer_free(struct dns_answer *);
void dns_close(struct dns *);
int  dns_rdata_text(int type, const unsigned char *, size_t, struct dns_rr *);
const char *dns_status_name(enum dns_status);

#endif
