/* mtasts: SMTP MTA Strict Transport Security (RFC 8461) for relay-out:
 * the _mta-sts TXT record, the policy fetched over HTTPS (libcurl, no
 * redirects, text/plain, at most 64 KiB, a PKIX-valid certificate for
 * mta-sts.DOMAIN), a cache of policies to their max_age, and MX pattern
 * matching.  The TXT record, the policy and the HTTPS server are
 * strangers; every name and every field is checked before use.  All DNS
 * goes through the project's layer (dns.h): the HTTPS host's address too,
 * handed to libcurl so that it never resolves on its own. */
#ifndef PORTCULLIS_MTASTS_H
#define PORTCULLIS_MTASTS_H
#include <stddef.h>
#include <time.h>
#include "buf.h"
#include "dns.h"

#define MTASTS_MAX_BODY   65536      /* RFC 8461 3.3 */
#define MTASTS_MAX_AGE    31557600   /* RFC 8461 3.2: about a year */
#define MTASTS_MAX_MX     64
#define MTASTS_ID_MAX     32

enum mtasts_mode { MTASTS_NONE = 0, MTASTS_TESTING, MTASTS_ENFORCE };

struct mtasts_policy {
	enum mtasts_mode mode;
	unsigned long    max_age;
	char             mx[MTASTS_MAX_MX][256];   /* lower case, no final dot */
	size_t           nmx;
	char             id[MTASTS_ID_MAX + 1];    /* of the TXT it came with */
	time_t           fetched;
	int              cached;                   /* came from the cache */
};

struct mtasts_conf {
	const char *cafile;      /* trust for the HTTPS fetch: NULL the system's */
	const char *port;        /* of the HTTPS server: "443" but in tests */
	const char *cachedir;    /* NULL or "": no cache kept */
	long        timeout_s;   /* DNS and the fetch, each */
};

/* The TXT record of _mta-sts.DOMAIN (3.1): its id into id.  0 valid, -1
 * not an STSv1 record or not valid. */
int  mtasts_record_parse(const char *txt, size_t len, char *id, size_t idn);

/* A policy body (3.2) into p.  0 valid, -1 not (why says what). */
int  mtasts_policy_parse(const char *body, size_t len,
	struct mtasts_policy *p, char *why, size_t whyn);

/* Does the policy's media type say text/plain (3.3)? */
int  mtasts_content_type_ok(const char *ct);

/* Does MX host name match one of the policy's mx patterns (4.1)? */
int  mtasts_mx_match(const struct mtasts_policy *p, const char *host);

/* Fetch https://mta-sts.DOMAIN/.well-known/mta-sts.txt from addr (its
 * address, already resolved) into body.  0, or -1 with why set. */
int  mtasts_fetch(const struct mtasts_conf *, const char *domain,
	const char *addr, struct buf *body, char *why, size_t whyn);

/* The policy in force for domain (section 5): the cache, the TXT record,
 * a fetch when the id changed or the cache has none.  1: a policy in p;
 * 0: none (note says why, for the log: no record, or a failed fetch
 * with nothing cached, which RFC 8461 5.1 treats as no policy); -1 an
 * error of ours (out of memory). */
int  mtasts_discover(struct dns *, const struct mtasts_conf *,
	const char *domain, struct mtasts_policy *p, char *note, size_t noten);

/* Read or write the cached policy of domain. */
int  mtasts_cache_load(const char *dir, const char *domain,
	struct mtasts_policy *p, time_t now);
int  mtasts_cache_store(const char *dir, const char *domain,
	const struct mtasts_policy *p, const char *body, size_t len);

const char *mtasts_mode_name(enum mtasts_mode);

/* What the policy of domain means for one delivery to its MX hosts
 * host[0..*n): under enforce the hosts that match no mx pattern are
 * dropped (4.1) and *verify set (TLS with a PKIX-valid certificate for
 * the MX name, 4.2); under testing nothing changes.  note gets what to
 * log.  0 go on; 1 defer (enforce and no host left: why in note); -1
 * an error of ours. */
int  mtasts_delivery(struct dns *, const struct mtasts_conf *,
	const char *domain, const char **host, size_t *n, int *verify,
	char *note, size_t noten);
#endif
