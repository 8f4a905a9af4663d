/* spf: the Sender Policy Framework of RFC 7208: check_host() for the MAIL
 * FROM identity (or the HELO identity for the null sender), with the
 * record syntax, macros, the limit of ten DNS-querying terms and two void
 * lookups, and exp= explanations.  Records are strangers' bytes; every
 * name built from them is checked before it is asked. */
#ifndef PORTCULLIS_SPF_H
#define PORTCULLIS_SPF_H
#include <stddef.h>
#include "dnsq.h"
#include "ip.h"

enum spf_result {
	SPF_NONE = 0, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL,
	SPF_TEMPERROR, SPF_PERMERROR
};

#define SPF_MAX_DNS   10   /* DNS-querying terms (RFC 7208 4.6.4) */
#define SPF_MAX_VOID   2   /* lookups answering no records (4.6.4) */
#define SPF_MAX_TEXT 256

struct spf_check {
	/* in */
	struct ip_addr ip;
	const char    *sender;    /* local@domain, "" for the null sender */
	const char    *helo;
	const char    *me;        /* our host name, for %{r} */
	/* out */
	char identity[16];        /* "mailfrom" or "helo" */
	char domain[256];         /* the domain checked */
	char exp[SPF_MAX_TEXT];   /* the explanation of a fail, or "" */
	char why[SPF_MAX_TEXT];   /* what decided it, for a comment */
};

enum spf_result spf_check(struct dnsq *, struct spf_check *);
const char *spf_result_name(enum spf_result);
int  spf_record_syntax(const char *, size_t);

#endif
