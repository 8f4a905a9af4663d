/* dnsbl: origin reputation, scored (see dnsbl.h): the queries of one
 * message, their rounds under the time limits, the cache, the score and
 * the verdict; dnsbl_conf.c reads the control files.  Distrusts
 * everything from outside: DNS answers (addresses and TXT text from list
 * operators and from whoever controls a reverse zone), the HELO name, the
 * sender's domain and the links of the message.  Runs under the caller's
 * uid. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "dns.h"
#include "dnsbl.h"
#include "mono.h"

#define DNSBL_MAX_QUERIES 4096   /* one message; bounded by urimax anyway */
#define DNSBL_MAX_PTR     4      /* reverse names checked for FCrDNS */
#define DNSBL_TXT_SHOWN   120    /* bytes of a list's TXT reason shown */
#define CACHE_BUCKETS     4096
#define CACHE_MAX         100000 /* entries; then the cache starts over */
#define CACHE_AGE         300    /* seconds an answer is reused: lists change,
                                  * and a cron rescan may run for long */

/* ---- the cache ------------------------------------------------------- */

struct centry {
	struct centry     *next;
	time_t             when;
	int                type;
	char              *name;
	struct dns_answer  a;
};

struct dnsbl_cache {
	size_t         n;
	struct centry *b[CACHE_BUCKETS];
};

static unsigned
hash(const char *s, int type)
{
	unsigned h = 2166136261u ^ (unsigned)type;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % CACHE_BUCKETS;
}

static int
answer_copy(struct dns_answer *to, const struct dns_answer *from)
{
	size_t i;

	memset(to, 0, sizeof *to);
	to->status = from->status;
	to->secure = from->secure;
	for (i = 0; i < from->n; i++) {
		if ((to->rr[i].text = strdup(from->rr[i].text)) == NULL) {
			dns_answer_free(to);
			return -1;
		}
		to->rr[i].len = from->rr[i].len;
		to->rr[i].pref = from->rr[i].pref;
		to->n++;
	}
	return 0;
}

static void
cache_clear(struct dnsbl_cache *c)
{
	size_t i;

	for (i = 0; i < CACHE_BUCKETS; i++)
		while (c->b[i]) {
			struct centry *e = c->b[i];
			c->b[i] = e->next;
			dns_answer_free(&e->a);
			free(e->name);
			free(e);
		}
	c->n = 0;
}

static const struct dns_answer *
cache_get(struct dnsbl_cache *c, const char *name, int type)
{
	struct centry *e;

	/* the newest entry of a name comes first */
	for (e = c->b[hash(name, type)]; e; e = e->next)
		if (e->type == type && strcmp(e->name, name) == 0)
			return time(NULL) - e->when <= CACHE_AGE ? &e->a : NULL;
	return NULL;
}

/* Keep a definite answer (never a temporary failure: the next message
 * must ask again). */
static void
cache_put(struct dnsbl_cache *c, const char *name, int type,
    const struct dns_answer *a)
{
	struct centry *e;
	unsigned h = hash(name, type);

	if (a->status == DNS_TEMP || a->status == DNS_PENDING)
		return;
	if (c->n >= CACHE_MAX)
		cache_clear(c);
	if ((e = calloc(1, sizeof *e)) == NULL)
		return;
	if ((e->name = strdup(name)) == NULL || answer_copy(&e->a, a) == -1) {
		free(e->name);
		free(e);
		return;
	}
	e->type = type;
	e->when = time(NULL);
	e->next = c->b[h];
	c->b[h] = e;
	c->n++;
}

/* The resolver and the cache, for judging (not needed by --lint). */
int
dnsbl_open_dns(struct dnsbl *d, char *err, size_t errsize)
{
	if ((d->cache = calloc(1, sizeof *d->cache)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return (d->dns = dns_open(err, errsize)) == NULL ? -1 : 0;
}

/* ---- one message ----------------------------------------------------- */

enum lstate { L_PENDING, L_CLEAN, L_HIT, L_UNKNOWN };

struct query {
	char              name[320];
	int               type;
	int               inflight;
	struct dns_answer a;
};

struct listing {
	size_t        site;
	char          target[256];   /* the name or address asked about */
	long          qa, qtxt;
	enum lstate   st;
	unsigned char a[4];
	const char   *ftext;         /* an own list's text */
};

struct run {
	struct dnsbl             *d;
	const struct dnsbl_input *in;
	struct ip_addr            ip;
	int                       have_ip;
	char                      rev[80];
	struct query            **q;
	size_t                    nq;
	struct listing           *l;
	size_t                    nl;
	long                      qptr;
	long                      qfwd[DNSBL_MAX_PTR];
	size_t                    nfwd;
	int                       planned_base, planned_rdns;
	int                       oom, toomany;
	size_t                    cached;
};

/* The query for name/type, asked once per message and answered from the
 * cache when it can be.  Its index, or -1. */
static long
query(struct run *r, const char *name, int type)
{
	const struct dns_answer *c;
	struct query *q, **nq;
	size_t i;

	for (i = 0; i < r->nq; i++)
		if (r->q[i]->type == type && strcasecmp(r->q[i]->name, name) == 0)
			return (long)i;
	if (r->nq >= DNSBL_MAX_QUERIES) {
		r->toomany = 1;
		return -1;
	}
	if ((nq = reallocarray(r->q, r->nq + 1, sizeof *nq)) == NULL ||
	    (r->q = nq, q = calloc(1, sizeof *q)) == NULL) {
		r->oom = 1;
		return -1;
	}
	snprintf(q->name, sizeof q->name, "%s", name);
	q->type = type;
	r->q[r->nq] = q;
	if (r->d->dns == NULL || r->d->cache == NULL)
		q->a.status = DNS_TEMP;
	else if ((c = cache_get(r->d->cache, name, type)) != NULL) {
		if (answer_copy(&q->a, c) == -1)
			q->a.status = DNS_TEMP;
		r->cached++;
	} else if (dns_submit(r->d->dns, name, type, &q->a) == -1)
		q->a.status = DNS_TEMP;
	else
		q->inflight = 1;
	return (long)r->nq++;
}

static const struct dns_answer *
answer(const struct run *r, long i)
{
	return i < 0 ? NULL : &r->q[i]->a;
}

/* Could name be asked in DNS: host-name bytes, labels of 1 to 63 bytes,
 * at most 253 in all (RFC 1035 2.3.4)? */
static int
name_ok(const char *name)
{
	size_t i, lab = 0;

	for (i = 0; name[i]; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_') || ++lab > 63)
			return 0;
	}
	return i > 0 && i <= 253 && lab > 0;
}

/* Ask site s about target (a name or a reversed address). */
static void
listing(struct run *r, size_t s, const char *target)
{
	const struct dnsbl_site *site = &r->d->site[s];
	struct listing *nl, *l;
	char name[320];
	size_t i;

	for (i = 0; i < r->nl; i++)
		if (r->l[i].site == s && strcmp(r->l[i].target, target) == 0)
			return;
	if ((nl = reallocarray(r->l, r->nl + 1, sizeof *nl)) == NULL) {
		r->oom = 1;
		return;
	}
	r->l = nl;
	l = &r->l[r->nl++];
	memset(l, 0, sizeof *l);
	l->site = s;
	l->qa = l->qtxt = -1;
	snprintf(l->target, sizeof l->target, "%s", target);
	if (site->file) {
		struct ip_addr ip;
		int hit;
		if (site->kind == DNSBL_IP)
			hit = ip_parse(target, strlen(target), &ip) == 0 &&
			    dnslist_match_ip(&site->list, &ip, l->a, &l->ftext);
		else
			hit = dnslist_match_name(&site->list, target, l->a, &l->ftext);
		l->st = hit && dnsbl_filter_match(site, l->a) ? L_HIT : L_CLEAN;
		return;
	}
	if ((size_t)snprintf(name, sizeof name, "%s.%s", target, site->zone) >=
	    sizeof name || !name_ok(name)) {
		/* a name that cannot exist cannot be listed; asking would
		 * only fail, and a stranger could make every message wait */
		l->st = L_CLEAN;
		return;
	}
	l->qa = query(r, name, DNS_A);
}

/* A domain and, when shorter, its registered domain, to every domain list
 * asking about that kind of name. */
static void
names(struct run *r, const char *name, unsigned what)
{
	char reg[URIDOM_NAME_MAX + 1];
	size_t s;
	int isreg;

	if (name == NULL || strchr(name, '.') == NULL || name[0] == '[' ||
	    strlen(name) > URIDOM_NAME_MAX)
		return;
	isreg = uridom_registered(name, reg, sizeof reg) == 0 &&
	    strcasecmp(reg, name) != 0;
	for (s = 0; s < r->d->nsite; s++)
		if (r->d->site[s].kind == DNSBL_NAME && (r->d->site[s].what & what)) {
			listing(r, s, name);
			if (isreg)
				listing(r, s, reg);
		}
}

/* Is name ours: our host name, one of control/localdomains, or a name
 * under one of them? */
static int
ours(const struct dnsbl *d, const char *name)
{
	size_t i, n = strlen(name), k;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0)
		return 0;
	if (strlen(d->me) == n && strncasecmp(d->me, name, n) == 0)
		return 1;
	for (i = 0; i < d->local.n; i++) {
		const char *dom = d->local.v[i];
		if (*dom == '.')
			dom++;
		k = strlen(dom);
		if (k == 0 || k > n)
			continue;
		if (strncasecmp(name + n - k, dom, k) == 0 &&
		    (k == n || name[n - k - 1] == '.'))
			return 1;
	}
	return 0;
}

/* Which queries the answers so far call for; the number of new ones. */
static size_t
plan(struct run *r)
{
	const struct dnsbl_input *in = r->in;
	const struct dns_answer *a;
	size_t before = r->nq, s, i;
	char name[128];

	if (!r->planned_base) {
		r->planned_base = 1;
		if (r->have_ip) {
			snprintf(name, sizeof name, "%s.%s", r->rev,
			    r->ip.family == 4 ? "in-addr.arpa" : "ip6.arpa");
			r->qptr = query(r, name, DNS_PTR);
			for (s = 0; s < r->d->nsite; s++)
				if (r->d->site[s].kind == DNSBL_IP)
					listing(r, s, r->d->site[s].file ? in->ip : r->rev);
		}
		names(r, in->sender_domain, DNSBL_SENDER);
		names(r, in->from_domain, DNSBL_FROM);
		names(r, in->helo, DNSBL_HELO);
		for (i = 0; in->uris && i < in->uris->n; i++) {
			struct ip_addr ip;
			char rev[80];
			const char *t = in->uris->v[i];
			if (!in->uris->ip[i] && ours(r->d, t))
				continue;   /* our own links prove nothing */
			if (in->uris->ip[i]) {
				/* address links: asked reversed, as SURBL wants */
				if (ip_parse(t, strlen(t), &ip) == -1 ||
				    dnsbl_reverse(&ip, rev, sizeof rev) == -1)
					continue;
			}
			for (s = 0; s < r->d->nsite; s++)
				if (r->d->site[s].kind == DNSBL_URI)
					listing(r, s, in->uris->ip[i] &&
					    !r->d->site[s].file ? rev : t);
		}
	}
	a = answer(r, r->qptr);
	if (!r->planned_rdns && a && a->status == DNS_OK) {
		r->planned_rdns = 1;
		for (i = 0; i < a->n && r->nfwd < DNSBL_MAX_PTR; i++) {
			if (a->rr[i].text[0] == '\0' || strchr(a->rr[i].text, '?'))
				continue;
			r->qfwd[r->nfwd++] = query(r, a->rr[i].text,
			    r->ip.family == 4 ? DNS_A : DNS_AAAA);
			names(r, a->rr[i].text, DNSBL_RDNS);
		}
	}
	/* the reason of a listing that counts against the sender */
	for (i = 0; i < r->nl; i++) {
		struct listing *l = &r->l[i];
		const struct dnsbl_site *site = &r->d->site[l->site];
		if (l->qa < 0 || l->qtxt >= 0 || site->weight <= 0)
			continue;
		if ((a = answer(r, l->qa)) == NULL || a->status != DNS_OK ||
		    r->q[l->qa]->inflight)
			continue;
		l->qtxt = query(r, r->q[l->qa]->name, DNS_TXT);
	}
	return r->nq - before;
}

/* Run the rounds: everything known is asked at once; what the answers
 * call for (forward lookups of reverse names, TXT reasons) goes in the
 * next round.  Each round waits at most the per-query timeout, all of
 * them together at most the deadline. */
static int
resolve(struct run *r)
{
	long end = now_ms() + (long)r->d->deadline_ms, left;
	size_t i, round;
	int inflight;

	for (round = 0; round < 4 && plan(r) > 0; round++) {
		for (i = 0, inflight = 0; i < r->nq; i++)
			inflight |= r->q[i]->inflight;
		if (!inflight)
			continue;
		left = end - now_ms();
		if (left < 0)
			left = 0;
		if ((unsigned long)left > r->d->timeout_ms)
			left = (long)r->d->timeout_ms;
		if (dns_wait(r->d->dns, (int)left) == -1)
			return -1;
		for (i = 0; i < r->nq; i++)
			if (r->q[i]->inflight) {
				r->q[i]->inflight = 0;
				cache_put(r->d->cache, r->q[i]->name, r->q[i]->type,
				    &r->q[i]->a);
			}
	}
	return 0;
}

/* Decide a DNS listing from its answer. */
static void
settle(struct run *r, struct listing *l)
{
	const struct dnsbl_site *site = &r->d->site[l->site];
	const struct dns_answer *a = answer(r, l->qa);
	unsigned char v[4];
	int error = 0;
	size_t i;

	if (l->st != L_PENDING)
		return;
	if (a == NULL) {
		l->st = L_UNKNOWN;
		return;
	}
	switch (a->status) {
	case DNS_OK:
		for (i = 0; i < a->n; i++) {
			if (inet_pton(AF_INET, a->rr[i].text, v) != 1)
				continue;
			if (dnsbl_filter_match(site, v)) {
				memcpy(l->a, v, 4);
				l->st = L_HIT;
				return;
			}
			if (!site->filtered && v[0] == 127 && v[1] == 255 && v[2] == 255)
				error = 1;
		}
		l->st = error ? L_UNKNOWN : L_CLEAN;
		return;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		l->st = L_CLEAN;
		return;
	default:
		l->st = L_UNKNOWN;
	}
}

struct tally {
	struct dnsbl_result *res;
	struct buf           text, unknown;
};

static void
add_item(struct buf *b, const char *s)
{
	if (b->len)
		buf_adds(b, ", ");
	buf_adds(b, s);
}

/* A test or a site: HIT counts its weight, UNKNOWN widens the range. */
static void
count(struct tally *t, enum lstate st, double w, const char *what)
{
	if (w == 0)
		return;
	if (st == L_HIT) {
		t->res->score += w;
		t->res->smin += w;
		t->res->smax += w;
		add_item(&t->text, what);
	} else if (st == L_UNKNOWN) {
		if (w > 0)
			t->res->smax += w;
		else
			t->res->smin += w;
		add_item(&t->unknown, what);
	}
}

/* The built-in tests on the reverse name and the HELO name. */
static void
builtin(struct run *r, struct tally *t)
{
	const struct dnsbl *d = r->d;
	const struct dnsbl_input *in = r->in;
	const struct dns_answer *p = answer(r, r->qptr), *f;
	enum lstate fc = L_CLEAN, ptr = L_CLEAN, match = L_CLEAN, mism = L_CLEAN;
	const char *confirmed = NULL;
	size_t i, k;

	if (r->have_ip && p) {
		if (p->status == DNS_NXDOMAIN || p->status == DNS_NODATA)
			ptr = L_HIT;
		else if (p->status != DNS_OK)
			ptr = fc = match = mism = L_UNKNOWN;
		else {
			fc = L_HIT;
			for (i = 0; i < r->nfwd && !confirmed; i++) {
				if ((f = answer(r, r->qfwd[i])) == NULL)
					continue;
				if (f->status == DNS_TEMP)
					fc = L_UNKNOWN;
				for (k = 0; f->status == DNS_OK && k < f->n; k++) {
					struct ip_addr x;
					if (ip_parse(f->rr[k].text, f->rr[k].len, &x) == 0 &&
					    x.family == r->ip.family &&
					    memcmp(x.a, r->ip.a, 16) == 0)
						confirmed = r->q[r->qfwd[i]]->name;
				}
			}
			if (confirmed)
				fc = L_CLEAN;
			else if (fc == L_UNKNOWN)
				match = mism = L_UNKNOWN;
		}
	}
	count(t, ptr, d->w[DNSBL_T_NORDNS], "nordns");
	count(t, fc, d->w[DNSBL_T_FCRDNS], "fcrdns");
	if (confirmed) {
		/* the seed paper's reverse lookup: does the host that sends
		 * belong to the sender's domain?  A score, never a verdict
		 * alone: one host serves many domains */
		const char *sd = in->sender_domain && *in->sender_domain ?
		    in->sender_domain : in->from_domain;
		char a[URIDOM_NAME_MAX + 1], b[URIDOM_NAME_MAX + 1];
		if (sd && *sd) {
			if (uridom_registered(confirmed, a, sizeof a) == -1)
				snprintf(a, sizeof a, "%.*s", (int)sizeof a - 1, confirmed);
			if (uridom_registered(sd, b, sizeof b) == -1)
				snprintf(b, sizeof b, "%.*s", (int)sizeof b - 1, sd);
			if (strcasecmp(a, b) == 0)
				match = L_HIT;
			else
				mism = L_HIT;
		}
	}
	count(t, mism, d->w[DNSBL_T_RDNS_MISMATCH], "rdns_mismatch");
	count(t, match, d->w[DNSBL_T_RDNS_MATCH], "rdns_match");
	if (in->helo && *in->helo) {
		struct ip_addr x;
		int bare = ip_parse(in->helo, strlen(in->helo), &x) == 0;
		count(t, bare ? L_HIT : L_CLEAN, d->w[DNSBL_T_HELO_BAREIP],
		    "helo_bareip");
		count(t, !bare && in->helo[0] != '[' && !strchr(in->helo, '.') ?
		    L_HIT : L_CLEAN, d->w[DNSBL_T_HELO_NOFQDN], "helo_nofqdn");
		count(t, !bare && ours(d, in->helo) ? L_HIT : L_CLEAN,
		    d->w[DNSBL_T_HELO_OURS], "helo_ours");
	}
}

/* "zen.test=127.0.0.2" or "dbl.test(evil.test)=127.0.1.2", with the
 * list's reason in quotes. */
static void
describe(struct run *r, const struct listing *l, char *out, size_t n)
{
	const struct dnsbl_site *site = &r->d->site[l->site];
	const struct dns_answer *a = answer(r, l->qtxt);
	const char *txt = l->ftext ? l->ftext : "";
	char show[DNSBL_TXT_SHOWN + 1], tgt[300] = "";
	size_t k, o = 0, tl = strlen(l->target);

	if (a && a->status == DNS_OK && a->n)
		txt = a->rr[0].text;
	if (site->kind != DNSBL_IP)
		snprintf(tgt, sizeof tgt, "(%s)", l->target);
	for (k = 0; txt[k] && o < DNSBL_TXT_SHOWN; k++) {
		if (txt[k] == '$' && l->ftext) {
			/* rbldnsd's '$' stands for what was looked up */
			if (o + tl > DNSBL_TXT_SHOWN)
				break;
			memcpy(show + o, l->target, tl);
			o += tl;
		} else
			show[o++] = txt[k] == '"' ? '\'' : txt[k];
	}
	show[o] = '\0';
	snprintf(out, n, "%s%s=%u.%u.%u.%u%s%s%s", site->zone, tgt, l->a[0],
	    l->a[1], l->a[2], l->a[3], show[0] ? " \"" : "", show,
	    show[0] ? "\"" : "");
}

enum verdict
dnsbl_level(const struct dnsbl *d, double s)
{
	/* a hair under, for sums of decimals like 0.1 + 0.2 */
	const double eps = 1e-9;

	if (s >= d->reject - eps)
		return VERDICT_REJECT;
	if (d->has_quarantine && s >= d->quarantine - eps)
		return VERDICT_QUARANTINE;
	if (d->has_flag && s >= d->flag - eps)
		return VERDICT_FLAG;
	return VERDICT_PASS;
}

/* Is every recipient postmaster or abuse (RFC 2142), whom a blocked
 * sender must be able to reach to ask why? */
int
dnsbl_only_postmaster(char *const *rcpt, size_t n)
{
	size_t i, k;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		const char *at = strrchr(rcpt[i], '@');
		k = at ? (size_t)(at - rcpt[i]) : strlen(rcpt[i]);
		if (!((k == 10 && strncasecmp(rcpt[i], "postmaster", 10) == 0) ||
		    (k == 5 && strncasecmp(rcpt[i], "abuse", 5) == 0)))
			return 0;
	}
	return 1;
}

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nq; i++) {
		dns_answer_free(&r->q[i]->a);
		free(r->q[i]);
	}
	free(r->q);
	free(r->l);
}

/* Judge one message.  0 with the verdict in v and the figures in res, or
 * -1 (errno) for an internal error. */
int
dnsbl_judge(struct dnsbl *d, const struct dnsbl_input *in,
    struct verdict_result *v, struct dnsbl_result *res)
{
	struct run r;
	struct tally t = { res, BUF_INIT, BUF_INIT };
	enum verdict lo, hi, fin;
	char item[700];
	size_t i, s;
	int e = 0;

	memset(&r, 0, sizeof r);
	memset(res, 0, sizeof *res);
	r.d = d;
	r.in = in;
	r.qptr = -1;
	if (in->ip && ip_parse(in->ip, strlen(in->ip), &r.ip) == 0 &&
	    dnsbl_reverse(&r.ip, r.rev, sizeof r.rev) == 0)
		r.have_ip = 1;
	if (resolve(&r) == -1)
		e = errno;
	for (i = 0; i < r.nl; i++)
		settle(&r, &r.l[i]);
	/* a site counts once, however many of its lookups hit */
	for (s = 0; s < d->nsite; s++) {
		const struct listing *hit = NULL;
		enum lstate st = L_CLEAN;
		for (i = 0; i < r.nl; i++) {
			if (r.l[i].site != s)
				continue;
			if (r.l[i].st == L_HIT && hit == NULL)
				hit = &r.l[i];
			else if (r.l[i].st == L_UNKNOWN)
				st = L_UNKNOWN;
		}
		if (hit) {
			describe(&r, hit, item, sizeof item);
			count(&t, L_HIT, d->site[s].weight, item);
		} else
			count(&t, st, d->site[s].weight, d->site[s].zone);
	}
	builtin(&r, &t);
	res->queries = r.nq - r.cached;
	res->cached = r.cached;
	d->nqueries += res->queries;
	d->ncached += res->cached;
	lo = dnsbl_level(d, res->smin);
	hi = dnsbl_level(d, res->smax);
	fin = lo == hi ? lo : VERDICT_TEMPFAIL;
	if (e || r.oom || r.toomany) {
		verdict_set(v, VERDICT_TEMPFAIL, "4.3.0", "%s", r.toomany ?
		    "too many DNS queries for one message" : strerror(e ? e : ENOMEM));
	} else if (fin == VERDICT_TEMPFAIL) {
		/* DNS that cannot answer is never a pass (issue 6) */
		verdict_set(v, VERDICT_TEMPFAIL, "4.4.3", "DNS did not answer: %s; "
		    "score %.2f to %.2f, reject at %g%s%s", t.unknown.p,
		    res->smin, res->smax, d->reject, t.text.len ? ": " : "",
		    t.text.len ? t.text.p : "");
	} else {
		const char *note = "";
		if ((fin == VERDICT_REJECT || fin == VERDICT_QUARANTINE) &&
		    dnsbl_only_postmaster(in->rcpt, in->nrcpt)) {
			fin = VERDICT_FLAG;
			note = " (only to postmaster or abuse: delivered)";
		}
		verdict_set(v, fin, fin == VERDICT_PASS || fin == VERDICT_FLAG ?
		    "2.0.0" : "5.7.1", "score=%.2f reject=%g%s%s%s%s", res->score,
		    d->reject, t.text.len ? ": " : "", t.text.len ? t.text.p : "",
		    r.have_ip ? "" : " (client address unknown)", note);
	}
	buf_free(&t.text);
	buf_free(&t.unknown);
	run_free(&r);
	return 0;
}

/* Forget every cached answer (a resident stage between messages: the
 * resolver below keeps its own cache, which honours the TTLs). */
void
dnsbl_forget(struct dnsbl *d)
{
	if (d->cache)
		cache_clear(d->cache);
}

void
dnsbl_free(struct dnsbl *d)
{
	size_t i;

	for (i = 0; i < d->nsite; i++)
		dnslist_free(&d->site[i].list);
	free(d->site);
	ctl_free(&d->local);
	if (d->cache) {
		cache_clear(d->cache);
		free(d->cache);
	}
	dns_close(d->dns);
	d->site = NULL;
	d->nsite = 0;
	d->cache = NULL;
	d->dns = NULL;
}
