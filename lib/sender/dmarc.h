/* dmarc: Domain-based Message Authentication, Reporting and Conformance
 * (RFC 7489) for the one RFC 5322.From domain: policy discovery at the
 * domain, then at its organisational domain (the Public Suffix List,
 * libpsl), the p=, sp=, np= (RFC 9091), pct=, adkim= and aspf= tags, and
 * identifier alignment of the SPF and DKIM results. */
#ifndef PORTCULLIS_DMARC_H
#define PORTCULLIS_DMARC_H
#include <stddef.h>
#include "dkim.h"
#include "dnsq.h"
#include "spf.h"

enum dmarc_result { DMARC_NONE = 0, DMARC_PASS, DMARC_FAIL, DMARC_TEMPERROR,
	DMARC_PERMERROR };
enum dmarc_policy { DMARC_P_UNSET = 0, DMARC_P_NONE, DMARC_P_QUARANTINE,
	DMARC_P_REJECT };

struct dmarc_record {
	enum dmarc_policy p, sp, np;
	unsigned pct;
	int      strict_dkim, strict_spf;
};

struct dmarc_check {
	/* in */
	char from[256];            /* the From domain, lower case */
	enum spf_result spf;
	const char *spf_domain;    /* the domain SPF checked */
	const struct dkim_sig *sigs;
	size_t nsig;
	/* out */
	enum dmarc_result res;
	struct dmarc_record rec;
	char org[256];             /* organisational domain of from */
	char policy_domain[256];   /* where the record was found */
	enum dmarc_policy applied; /* p=, sp= or np= as it applies here */
	enum dmarc_policy action;  /* on a fail: applied after pct= */
	int  sampled_out;          /* pct= spared it */
	char why[160];
};

int  dmarc_from_domain(const struct hdr *, char *out, size_t n, char *why,
	size_t whyn);
void dmarc_ask(struct dnsq *, const char *from);
void dmarc_check(struct dnsq *, struct dmarc_check *);
int  dmarc_parse(const char *, size_t, struct dmarc_record *);
int  dmarc_org_domain(const char *domain, char *out, size_t n);
const char *dmarc_result_name(enum dmarc_result);
const char *dmarc_policy_name(enum dmarc_policy);

#endif
