/* dnsbl: the reputation of a message's origin, scored (dnsbl-check(8),
 * control files in dnsbl-check(5)).  Sites are DNS lists or the
 * administrator's own list files, written as Postfix's
 * postscreen_dnsbl_sites are:
 *
 *     zen.spamhaus.org=127.0.0.[2..11]*3      client address lists: dnsbl
 *     list.dnswl.org=127.0.[0..255].[1..3]*-2 (negative: an allow list)
 *     dbl.spamhaus.org=127.0.1.[2..99]*3      domain lists: rhsbl
 *     multi.surbl.org*4                       link domain lists: uribl
 *     file:blocked*5                          an own list (dnslist.h)
 *
 * Built-in tests add their weights: no reverse name, a reverse name that
 * does not resolve back to the client (FCrDNS), the reverse name's domain
 * against the sender's, and HELO names that are a bare address, not a
 * fully qualified name, or ours.  Every DNS query of a message is started
 * at once (lib/reputation/dns.c), answers are cached for the life of the process,
 * and an answer that does not come is a range of scores: the verdict is
 * given only when every possible answer leads to the same one, otherwise
 * it is a temporary failure.  Library code: never prints, never exits. */
#ifndef PORTCULLIS_DNSBL_H
#define PORTCULLIS_DNSBL_H
#include <stddef.h>
#include "ctl.h"
#include "dnslist.h"
#include "ip.h"
#include "uridom.h"
#include "verdict.h"

enum dnsbl_kind { DNSBL_IP, DNSBL_NAME, DNSBL_URI };

/* What a domain list (rhsbl) is asked about. */
#define DNSBL_SENDER 0x01   /* the envelope sender's domain */
#define DNSBL_FROM   0x02   /* the From address's domain */
#define DNSBL_HELO   0x04   /* the HELO name */
#define DNSBL_RDNS   0x08   /* the client's reverse name */
#define DNSBL_ALL    0x0f

struct dnsbl_site {
	enum dnsbl_kind kind;
	char            zone[256];     /* the zone, or "file:NAME" as written */
	int             file;          /* an own list */
	struct dnslist  list;
	int             filtered;      /* "=pattern" given */
	unsigned char   filter[4][32]; /* per octet, a bit per value */
	double          weight;
	unsigned        what;          /* DNSBL_SENDER... for domain lists */
	unsigned        lineno;
};

enum dnsbl_test {
	DNSBL_T_NORDNS,         /* no PTR record */
	DNSBL_T_FCRDNS,         /* PTR names do not resolve back */
	DNSBL_T_RDNS_MISMATCH,  /* reverse name's domain is not the sender's */
	DNSBL_T_RDNS_MATCH,     /* ... and is */
	DNSBL_T_HELO_BAREIP,    /* HELO 192.0.2.1, not [192.0.2.1] */
	DNSBL_T_HELO_NOFQDN,    /* HELO without a dot */
	DNSBL_T_HELO_OURS,      /* HELO our name or one of our domains */
	DNSBL_NTESTS
};

struct dnsbl_cache;
struct dns;

struct dnsbl {
	struct dnsbl_site  *site;
	size_t              nsite;
	double              w[DNSBL_NTESTS];    /* control/dnsblweights */
	double              reject;             /* control/dnsblthreshold */
	double              quarantine, flag;   /* dnsblquarantine, dnsblflag */
	int                 has_quarantine, has_flag;
	unsigned long       urimax;             /* control/urimax */
	unsigned long       timeout_ms;         /* control/dnsbltimeout */
	unsigned long       deadline_ms;        /* control/dnsbldeadline */
	struct ctl_list     local;              /* control/localdomains */
	char                me[256];
	struct dns         *dns;
	struct dnsbl_cache *cache;
	unsigned long       nqueries, ncached;  /* over the process's life */
};

/* One message's facts; any of them may be NULL (unknown). */
struct dnsbl_input {
	const char          *ip;
	const char          *helo;
	const char          *sender_domain;
	const char          *from_domain;
	char *const         *rcpt;
	size_t               nrcpt;
	const struct uridom *uris;
};

struct dnsbl_result {
	double  score;        /* from what answered */
	double  smin, smax;   /* with every unanswered query either way */
	size_t  queries, cached;
};

const char *dnsbl_test_name(enum dnsbl_test);
int  dnsbl_number(const char *, double *);
int  dnsbl_site_parse(const char *line, enum dnsbl_kind, struct dnsbl_site *,
	char *err, size_t errsize);
int  dnsbl_filter_match(const struct dnsbl_site *, const unsigned char a[4]);
int  dnsbl_reverse(const struct ip_addr *, char *out, size_t outsize);
int  dnsbl_load(struct dnsbl *, const char *me, char *err, size_t errsize);
int  dnsbl_open_dns(struct dnsbl *, char *err, size_t errsize);
enum verdict dnsbl_level(const struct dnsbl *, double score);
int  dnsbl_only_postmaster(char *const *rcpt, size_t n);
int  dnsbl_judge(struct dnsbl *, const struct dnsbl_input *,
	struct verdict_result *, struct dnsbl_result *);
void dnsbl_forget(struct dnsbl *);
void dnsbl_free(struct dnsbl *);

#endif
