/* dane: DANE for SMTP (RFC 7672) in relay-out: the TLSA records of an MX
 * host, looked up through the project's DNS layer with DNSSEC validation
 * (dns_trust_anchors), and the OpenSSL setup that authenticates the
 * host's certificate by them.  Only DANE-TA(2) and DANE-EE(3) are usable
 * for SMTP (RFC 7672 3.1.3); selectors Cert(0) and SPKI(1); matching
 * types Full(0), SHA2-256(1), SHA2-512(2).  The records come from the
 * DNS, strangers even when signed: each is checked before use. */
#ifndef PORTCULLIS_DANE_H
#define PORTCULLIS_DANE_H
#include <stddef.h>
#include "dns.h"

struct ssl_st;
struct ssl_ctx_st;

struct dane_tlsa {
	unsigned char  usage, selector, mtype;
	unsigned char *data;
	size_t         len;
};

/* What DANE says of one MX host. */
enum dane_state {
	DANE_NONE = 0,   /* no secure TLSA RRset: DANE does not apply */
	DANE_UNUSABLE,   /* secure, but no usable record: TLS required,
	                  * unauthenticated (RFC 7672 2.2) */
	DANE_ON,         /* usable records: TLS required, authenticated */
	DANE_FAIL        /* the lookup failed: this host must not be used */
};

struct dane_host {
	enum dane_state   state;
	struct dane_tlsa *t;      /* the usable records */
	size_t            n;
};

int  dane_tlsa_parse(const char *text, size_t len, struct dane_tlsa *);
int  dane_tlsa_usable(const struct dane_tlsa *);
void dane_tlsa_free(struct dane_tlsa *);

/* Look up _PORT._tcp.HOST TLSA for n hosts at once into dh[0..n).  Only
 * called when the MX RRset was secure.  0, or -1 (out of memory, or the
 * DNS layer failed: every host DANE_FAIL). */
int  dane_lookup(struct dns *, const char *const *host, size_t n,
	const char *port, int timeout_ms, struct dane_host *dh);
void dane_host_free(struct dane_host *);

/* Make ssl authenticate its peer by the usable records t[0..n): the
 * host's name as DANE's base domain (and SNI), no name checks for
 * DANE-EE unless ee_names (RFC 7672 3.1.1).  ctx must have had
 * SSL_CTX_dane_enable.  Returns the number of records added, or -1. */
int  dane_ssl_setup(struct ssl_st *ssl, const char *host,
	const struct dane_tlsa *t, size_t n, int ee_names);

#endif
