/* dmarc: RFC 7489 policy discovery and alignment (see dmarc.h).  Runs in
 * auth-check under the caller's uid.  The From field and the DMARC
 * records are strangers' bytes: the From is parsed by addr.c, which marks
 * what could be read two ways, and records by taglist.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "dmarc.h"
#include "taglist.h"
#include "uridom.h"

const char *
dmarc_result_name(enum dmarc_result r)
{
	static const char *const n[] = { "none", "pass", "fail", "temperror",
		"permerror" };

	return (unsigned)r < sizeof n / sizeof n[0] ? n[r] : "permerror";
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	static const char *const n[] = { "unset", "none", "quarantine", "reject" };

	return (unsigned)p < sizeof n / sizeof n[0] ? n[p] : "none";
}

/* The one From domain (RFC 7489 6.6.1), lower case, into out.  0; or -1
 * with why set when there is none, or more than one field, address or
 * domain. */
int
dmarc_from_domain(const struct hdr *h, char *out, size_t n, char *why,
    size_t whyn)
{
	struct addr_list l;
	struct buf v = BUF_INIT;
	long i;
	size_t k;
	int rc = -1;

	memset(&l, 0, sizeof l);
	if (hdr_count(h, "From") != 1) {
		snprintf(why, whyn, "%s From field", hdr_count(h, "From") ?
		    "more than one" : "no");
		return -1;
	}
	i = hdr_find(h, "From", 0);
	if (hdr_unfold(h, (size_t)i, &v) == -1 ||
	    addr_parse_list(v.p ? v.p : "", v.len, &l) == -1) {
		snprintf(why, whyn, "unreadable From field");
		goto out;
	}
	if (l.n != 1 || l.a[0].domain == NULL || l.a[0].domain[0] == '\0' ||
	    (l.a[0].flags & (ADDR_AMBIGUOUS | ADDR_LITERAL | ADDR_NUL))) {
		snprintf(why, whyn, "From field without exactly one domain");
		goto out;
	}
	if (strlen(l.a[0].domain) >= n) {
		snprintf(why, whyn, "From domain too long");
		goto out;
	}
	for (k = 0; l.a[0].domain[k]; k++) {
		char c = l.a[0].domain[k];
		out[k] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	out[k] = '\0';
	if (k && out[k - 1] == '.')
		out[k - 1] = '\0';
	rc = 0;
out:
	addr_list_free(&l);
	buf_free(&v);
	return rc;
}

/* The organisational domain (RFC 7489 3.2) by the Public Suffix List;
 * the domain itself when it is a public suffix or the list has no say. */
int
dmarc_org_domain(const char *domain, char *out, size_t n)
{
	if (uridom_registered(domain, out, n) == 0)
		return 0;
	if (strlen(domain) >= n)
		return -1;
	memcpy(out, domain, strlen(domain) + 1);
	return 0;
}

/* Ask for the records policy discovery may need, at once: the From
 * domain's and its organisational domain's. */
void
dmarc_ask(struct dnsq *q, const char *from)
{
	char name[300], org[256];

	if (from[0] == '\0')
		return;
	snprintf(name, sizeof name, "_dmarc.%s", from);
	dnsq_ask(q, name, DNS_TXT);
	if (dmarc_org_domain(from, org, sizeof org) == 0 &&
	    strcasecmp(org, from) != 0) {
		snprintf(name, sizeof name, "_dmarc.%s", org);
		dnsq_ask(q, name, DNS_TXT);
	}
}

static enum dmarc_policy
policy_of(const struct tag *t)
{
	if (taglist_is(t, "none"))
		return DMARC_P_NONE;
	if (taglist_is(t, "quarantine"))
		return DMARC_P_QUARANTINE;
	if (taglist_is(t, "reject"))
		return DMARC_P_REJECT;
	return DMARC_P_UNSET;
}

/* Parse a DMARC record (RFC 7489 6.3, 6.4): v=DMARC1 first, then the
 * tags; unknown tags are ignored, bad values of known ones take their
 * defaults.  0, or -1 when it is not a DMARC record. */
int
dmarc_parse(const char *s, size_t n, struct dmarc_record *r)
{
	struct tag t[TAGLIST_MAX];
	const struct tag *x;
	int nt;

	memset(r, 0, sizeof *r);
	r->pct = 100;
	if ((nt = taglist_parse(s, n, t, TAGLIST_MAX)) < 1 ||
	    t[0].nl != 1 || t[0].name[0] != 'v' || !taglist_is(&t[0], "DMARC1"))
		return -1;
	/* p= missing or bad: treated as none (6.6.3 allows it with rua=;
	 * a record that exists says at least that the domain takes part) */
	r->p = policy_of(taglist_get(t, (size_t)nt, "p"));
	if (r->p == DMARC_P_UNSET)
		r->p = DMARC_P_NONE;
	r->sp = policy_of(taglist_get(t, (size_t)nt, "sp"));
	r->np = policy_of(taglist_get(t, (size_t)nt, "np"));
	if ((x = taglist_get(t, (size_t)nt, "pct")) != NULL && x->vl > 0 &&
	    x->vl <= 3) {
		unsigned v = 0;
		size_t i;
		for (i = 0; i < x->vl && x->val[i] >= '0' && x->val[i] <= '9'; i++)
			v = v * 10 + (unsigned)(x->val[i] - '0');
		if (i == x->vl && v <= 100)
			r->pct = v;
	}
	r->strict_dkim = taglist_is(taglist_get(t, (size_t)nt, "adkim"), "s");
	r->strict_spf = taglist_is(taglist_get(t, (size_t)nt, "aspf"), "s");
	return 0;
}

/* The one DMARC record at _dmarc.domain into r: 1 found, 0 none (no
 * record, or several: 6.6.3), -1 DNS failure. */
static int
fetch(struct dnsq *q, const char *domain, struct dmarc_record *r)
{
	char name[300];
	const struct dns_answer *a;
	struct dmarc_record one;
	size_t i, found = 0;

	snprintf(name, sizeof name, "_dmarc.%s", domain);
	a = dnsq_get(q, name, DNS_TXT);
	if (a->status == DNS_TEMP)
		return -1;
	for (i = 0; a->status == DNS_OK && i < a->n; i++)
		if (dmarc_parse(a->rr[i].text, a->rr[i].len, &one) == 0 &&
		    found++ == 0)
			*r = one;
	return found == 1;
}

/* Are a and b aligned (RFC 7489 3.1): the same name when strict, the
 * same organisational domain when relaxed? */
static int
aligned(const char *a, const char *b, int strict)
{
	char oa[256], ob[256];

	if (strcasecmp(a, b) == 0)
		return 1;
	if (strict)
		return 0;
	return dmarc_org_domain(a, oa, sizeof oa) == 0 &&
	    dmarc_org_domain(b, ob, sizeof ob) == 0 && strcasecmp(oa, ob) == 0;
}

/* Does the From domain not exist (RFC 9091 2.1: NXDOMAIN for A, AAAA
 * and MX)?  1, 0, or -1 for a DNS failure. */
static int
nonexistent(struct dnsq *q, const char *d)
{
	static const int types[] = { DNS_A, DNS_AAAA, DNS_MX };
	size_t i;
	int nx = 1;

	for (i = 0; i < 3; i++)
		dnsq_ask(q, d, types[i]);
	for (i = 0; i < 3; i++) {
		const struct dns_answer *a = dnsq_get(q, d, types[i]);
		if (a->status == DNS_TEMP)
			return -1;
		if (a->status != DNS_NXDOMAIN)
			nx = 0;
	}
	return nx;
}

/* The policy that applies (6.6.4): p, or sp/np for a subdomain under an
 * organisational record. */
static void
applicable(struct dnsq *q, struct dmarc_check *c)
{
	enum dmarc_policy p = c->rec.p;

	if (strcasecmp(c->policy_domain, c->from) != 0) {
		if (c->rec.np != DMARC_P_UNSET && nonexistent(q, c->from) == 1)
			p = c->rec.np;
		else if (c->rec.sp != DMARC_P_UNSET)
			p = c->rec.sp;
	}
	c->applied = p;
}

/* What a failed message gets: the policy, but outside pct='s sample the
 * next one down (6.6.4). */
static void
act(struct dmarc_check *c)
{
	enum dmarc_policy p = c->applied;

	if (p > DMARC_P_NONE && c->rec.pct < 100 &&
	    arc4random_uniform(100) >= c->rec.pct) {
		c->sampled_out = 1;
		p--;
	}
	c->action = p;
}

/* DMARC for the check's From domain, SPF and DKIM results. */
void
dmarc_check(struct dnsq *q, struct dmarc_check *c)
{
	size_t i;
	int r, spf_ok, dkim_ok = 0, temp = 0;

	c->res = DMARC_NONE;
	c->applied = c->action = DMARC_P_UNSET;
	dmarc_org_domain(c->from, c->org, sizeof c->org);
	snprintf(c->policy_domain, sizeof c->policy_domain, "%s", c->from);
	if ((r = fetch(q, c->from, &c->rec)) == 0 &&
	    strcasecmp(c->org, c->from) != 0) {
		snprintf(c->policy_domain, sizeof c->policy_domain, "%s", c->org);
		r = fetch(q, c->org, &c->rec);
	}
	if (r == -1) {
		c->res = DMARC_TEMPERROR;
		snprintf(c->why, sizeof c->why, "DNS failure for the record");
		return;
	}
	if (r == 0) {
		snprintf(c->why, sizeof c->why, "no DMARC record");
		return;
	}
	applicable(q, c);
	spf_ok = c->spf == SPF_PASS && c->spf_domain &&
	    aligned(c->spf_domain, c->from, c->rec.strict_spf);
	temp = c->spf == SPF_TEMPERROR;
	for (i = 0; i < c->nsig; i++) {
		if (c->sigs[i].res == DKIM_TEMPERROR)
			temp = 1;
		if (c->sigs[i].res == DKIM_PASS &&
		    aligned(c->sigs[i].d, c->from, c->rec.strict_dkim))
			dkim_ok = 1;
	}
	if (spf_ok || dkim_ok) {
		c->res = DMARC_PASS;
		snprintf(c->why, sizeof c->why, "%s aligned", dkim_ok ? "DKIM" : "SPF");
		return;
	}
	act(c);
	/* a result we could not get might have aligned: not a fail yet */
	c->res = temp ? DMARC_TEMPERROR : DMARC_FAIL;
	snprintf(c->why, sizeof c->why, "%s", temp ?
	    "no aligned pass, and an SPF or DKIM temperror" :
	    "neither SPF nor DKIM aligned");
}
