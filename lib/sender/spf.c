/* spf: check_host() of RFC 7208 (see spf.h).  Runs in auth-check under
 * the caller's uid.  A record is a stranger's text: it is parsed whole
 * before any of it is evaluated (4.6), every name built from it by macros
 * is checked before the resolver sees it, and the work one message can
 * cause is bounded by the limits of 4.6.4 and the dnsq deadline. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "spf.h"

enum kind { T_ALL, T_INCLUDE, T_A, T_MX, T_PTR, T_IP4, T_IP6, T_EXISTS,
	T_REDIRECT, T_EXP, T_UNKNOWN };

#define SPF_MAX_TERMS 64     /* more terms than any sane record */
#define SPF_MAX_MX    10     /* address lookups per mx (4.6.4) */
#define SPF_MAX_PTR   10     /* names per ptr (4.6.4) */

struct term {
	enum kind   kind;
	char        qual;            /* + - ~ ? */
	const char *arg;             /* domain-spec, network or modifier value */
	size_t      arglen;
	unsigned    c4, c6;          /* CIDR lengths */
	struct ip_net net;           /* ip4/ip6 */
};

struct ctx {
	struct dnsq      *q;
	struct spf_check *c;
	char local[256], odomain[256];  /* %{l}, %{o} */
	char sender[520];               /* %{s} */
	int  dns_terms, voids;
};

const char *
spf_result_name(enum spf_result r)
{
	static const char *const n[] = { "none", "neutral", "pass", "fail",
		"softfail", "temperror", "permerror" };

	return (unsigned)r < sizeof n / sizeof n[0] ? n[r] : "permerror";
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A domain name the way 4.3 wants one before any lookup: labels of 1 to
 * 63 bytes, more than one of them. */
static int
domain_ok(const char *d)
{
	size_t n = strlen(d), lab = 0, labels = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c <= ' ' || c >= 0x7f)
			return 0;
		if (c == '.') {
			if (lab == 0 && i + 1 != n)
				return 0;
			if (lab)
				labels++;
			lab = 0;
		} else if (++lab > 63)
			return 0;
	}
	if (lab)
		labels++;
	return labels >= 2;
}

/* macro-expand at s[0] == '%': its length, or 0 when it is malformed.
 * letters: those allowed here (c, r and t only in explanations, 7.2). */
static size_t
macro_len(const char *s, size_t n, int exp)
{
	size_t i = 2;
	int letter;

	if (n < 2)
		return 0;
	if (s[1] == '%' || s[1] == '_' || s[1] == '-')
		return 2;
	if (s[1] != '{' || n < 4)
		return 0;
	letter = s[2] | 0x20;
	if (!strchr("slodiphv", letter) && !(exp && strchr("crt", letter)))
		return 0;
	i = 3;
	if (i < n && is_digit(s[i])) {
		if (s[i] == '0')
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] | 0x20) == 'r')
		i++;
	while (i < n && strchr(".-+,/_=", s[i]) && s[i] != '\0')
		i++;
	return i < n && s[i] == '}' ? i + 1 : 0;
}

/* Is s[0..n) a macro-string (7.1): literal bytes 0x21-0x7e, '%' only
 * as a macro-expand? */
static int
macro_string_ok(const char *s, size_t n, int exp)
{
	size_t i, k;

	for (i = 0; i < n; ) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if ((k = macro_len(s + i, n - i, exp)) == 0)
				return 0;
			i += k;
		} else if (c < 0x21 || c > 0x7e) {
			if (!(exp && c == ' '))
				return 0;
			i++;
		} else
			i++;
	}
	return 1;
}

/* toplabel (4.8): letters, digits and inner hyphens, not all digits. */
static int
toplabel_ok(const char *s, size_t n)
{
	size_t i;
	int alpha = 0;

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (is_alpha(s[i]))
			alpha = 1;
		else if (s[i] == '-')
			alpha = 1;   /* 1*alphanum "-" ... alphanum */
		else if (!is_digit(s[i]))
			return 0;
	}
	return alpha;
}

/* domain-spec (4.8): a macro-string ending in "." toplabel ["."] or in a
 * macro-expand. */
static int
domain_spec_ok(const char *s, size_t n)
{
	size_t i, end;

	if (n == 0 || !macro_string_ok(s, n, 0))
		return 0;
	/* ends in a macro-expand: find the last '%' and see if the macro
	 * that starts there reaches the end */
	for (i = n; i-- > 0; )
		if (s[i] == '%') {
			size_t k;
			/* "%%" etc: the '%' may be the second of a pair */
			if (i > 0 && s[i - 1] == '%' &&
			    macro_len(s + i - 1, n - i + 1, 0) == n - i + 1)
				return 1;
			k = macro_len(s + i, n - i, 0);
			if (k == n - i)
				return 1;
			break;
		}
	end = n;
	if (s[end - 1] == '.')
		end--;
	for (i = end; i > 0 && s[i - 1] != '.'; i--)
		;
	if (i == 0)
		return 0;   /* no "." before the toplabel */
	return toplabel_ok(s + i, end - i);
}

/* "/N" with no leading zero, N <= max; the length used, 0 when bad. */
static int
cidr_num(const char *s, size_t n, unsigned max, unsigned *out)
{
	size_t i;
	unsigned v = 0;

	if (n == 0 || (s[0] == '0' && n > 1) || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* The dual-cidr-length at the end of s[0..*n) for a and mx; *n is cut to
 * the domain-spec before it.  0, or -1 for a malformed length. */
static int
dual_cidr(const char *s, size_t *n, struct term *t)
{
	size_t e = *n, i;

	t->c4 = 32;
	t->c6 = 128;
	/* "//N" at the end */
	for (i = e; i > 0 && is_digit(s[i - 1]); i--)
		;
	if (i >= 2 && i < e && s[i - 1] == '/' && s[i - 2] == '/') {
		if (cidr_num(s + i, e - i, 128, &t->c6) == -1)
			return -1;
		e = i - 2;
		for (i = e; i > 0 && is_digit(s[i - 1]); i--)
			;
	}
	if (i >= 1 && i < e && s[i - 1] == '/' && (i < 2 || s[i - 2] != '/')) {
		if (cidr_num(s + i, e - i, 32, &t->c4) == -1)
			return -1;
		e = i - 1;
	} else if (e > 0 && s[e - 1] == '/')
		return -1;   /* "/" with no number */
	*n = e;
	return 0;
}

/* ip4:/ip6: network with its optional CIDR. */
static int
ip_term(const char *s, size_t n, int family, struct term *t)
{
	char a[64];
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	unsigned max = family == 4 ? 32 : 128, len = max;

	if (an == 0 || an >= sizeof a)
		return -1;
	memcpy(a, s, an);
	a[an] = '\0';
	memset(&t->net, 0, sizeof t->net);
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, a, t->net.addr.a) != 1)
		return -1;
	t->net.addr.family = family;
	if (slash && cidr_num(slash + 1, n - an - 1, max, &len) == -1)
		return -1;
	t->net.prefix = len;
	return 0;
}

/* One term of a record (4.6.1) into t; 0, or -1 for a syntax error. */
static int
parse_term(const char *s, size_t n, struct term *t)
{
	static const struct { const char *name; enum kind k; } mech[] = {
		{ "all", T_ALL }, { "include", T_INCLUDE }, { "a", T_A },
		{ "mx", T_MX }, { "ptr", T_PTR }, { "ip4", T_IP4 },
		{ "ip6", T_IP6 }, { "exists", T_EXISTS } };
	size_t i = 0, k, nl;

	memset(t, 0, sizeof *t);
	/* a modifier: name "=" macro-string */
	if (n > 0 && is_alpha(s[0])) {
		for (k = 1; k < n && (is_alpha(s[k]) || is_digit(s[k]) ||
		    s[k] == '-' || s[k] == '_' || s[k] == '.'); k++)
			;
		if (k < n && s[k] == '=') {
			t->arg = s + k + 1;
			t->arglen = n - k - 1;
			if (k == 8 && strncasecmp(s, "redirect", 8) == 0)
				t->kind = T_REDIRECT;
			else if (k == 3 && strncasecmp(s, "exp", 3) == 0)
				t->kind = T_EXP;
			else
				t->kind = T_UNKNOWN;
			if (t->kind == T_UNKNOWN)
				return macro_string_ok(t->arg, t->arglen, 0) ? 0 : -1;
			return domain_spec_ok(t->arg, t->arglen) ? 0 : -1;
		}
	}
	t->qual = '+';
	if (n > 0 && strchr("+-~?", s[0]) && s[0] != '\0') {
		t->qual = s[0];
		i = 1;
	}
	for (k = i; k < n && s[k] != ':' && s[k] != '/'; k++)
		;
	nl = k - i;
	for (size_t m = 0; m < sizeof mech / sizeof mech[0]; m++) {
		if (strlen(mech[m].name) != nl ||
		    strncasecmp(s + i, mech[m].name, nl) != 0)
			continue;
		t->kind = mech[m].k;
		t->arg = k < n && s[k] == ':' ? s + k + 1 : NULL;
		t->arglen = t->arg ? n - k - 1 : 0;
		switch (t->kind) {
		case T_ALL:
			return k == n ? 0 : -1;
		case T_INCLUDE:
		case T_EXISTS:
			return t->arg && domain_spec_ok(t->arg, t->arglen) ? 0 : -1;
		case T_PTR:
			if (k == n)
				return 0;
			return t->arg && domain_spec_ok(t->arg, t->arglen) ? 0 : -1;
		case T_A:
		case T_MX:
			if (t->arg == NULL) {
				/* "a" or "a/24": the CIDR straight after */
				size_t rest = n - k;
				if (dual_cidr(s + k, &rest, t) == -1 || rest != 0)
					return -1;
				return 0;
			}
			if (dual_cidr(t->arg, &t->arglen, t) == -1)
				return -1;
			return domain_spec_ok(t->arg, t->arglen) ? 0 : -1;
		case T_IP4:
		case T_IP6:
			if (t->arg == NULL)
				return -1;
			return ip_term(t->arg, t->arglen, t->kind == T_IP4 ? 4 : 6, t);
		default:
			return -1;
		}
	}
	return -1;
}

/* Split a record after "v=spf1" into terms; 0, or -1 for a syntax
 * error (unknown mechanism, bad argument, a modifier twice). */
static int
parse_record(const char *r, size_t n, struct term *t, size_t *nt)
{
	size_t i = 6, s;
	int redirect = 0, exp = 0;

	*nt = 0;
	while (i < n) {
		if (r[i] == ' ') {
			i++;
			continue;
		}
		for (s = i; i < n && r[i] != ' '; i++)
			;
		if (*nt == SPF_MAX_TERMS || parse_term(r + s, i - s, &t[*nt]) == -1)
			return -1;
		if (t[*nt].kind == T_REDIRECT && redirect++)
			return -1;
		if (t[*nt].kind == T_EXP && exp++)
			return -1;
		(*nt)++;
	}
	return 0;
}

/* Is r[0..n) an SPF record (4.5): "v=spf1" alone or followed by SP? */
static int
is_spf(const char *r, size_t n)
{
	return n >= 6 && strncasecmp(r, "v=spf1", 6) == 0 &&
	    (n == 6 || r[6] == ' ');
}

/* Syntax of one whole record, for the fuzzer and --lint: 0 or -1. */
int
spf_record_syntax(const char *r, size_t n)
{
	struct term t[SPF_MAX_TERMS];
	size_t nt;

	if (!is_spf(r, n) || memchr(r, '\0', n))
		return -1;
	return parse_record(r, n, t, &nt);
}

/* The reverse-lookup name of ip (in-addr.arpa or ip6.arpa). */
static void
reverse_name(const struct ip_addr *ip, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int i;

	if (ip->family == 4) {
		snprintf(out, n, "%u.%u.%u.%u.in-addr.arpa", ip->a[3], ip->a[2],
		    ip->a[1], ip->a[0]);
		return;
	}
	for (i = 15; i >= 0 && o + 4 < n; i--) {
		out[o++] = hex[ip->a[i] & 15];
		out[o++] = '.';
		out[o++] = hex[ip->a[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, n - o, "ip6.arpa");
}

/* Does the answer hold an address within prefix bits of ip? */
static int
answer_has(const struct dns_answer *a, const struct ip_addr *ip,
    unsigned prefix)
{
	struct ip_net net;
	size_t i;

	for (i = 0; a->status == DNS_OK && i < a->n; i++) {
		if (ip_parse(a->rr[i].text, a->rr[i].len, &net.addr) == -1 ||
		    net.addr.family != ip->family)
			continue;
		net.prefix = prefix;
		if (ip_in_net(ip, &net))
			return 1;
	}
	return 0;
}

static int
addr_type(const struct ip_addr *ip)
{
	return ip->family == 4 ? DNS_A : DNS_AAAA;
}

/* Is name equal to dom or a subdomain of it? */
static int
under(const char *name, const char *dom)
{
	size_t n = strlen(name), d = strlen(dom);

	while (n && name[n - 1] == '.')
		n--;
	while (d && dom[d - 1] == '.')
		d--;
	if (n == d)
		return strncasecmp(name, dom, n) == 0;
	return n > d && name[n - d - 1] == '.' &&
	    strncasecmp(name + n - d, dom, d) == 0;
}

/* The validated names of the client (5.5): the PTR names (at most ten)
 * whose addresses include the client, in out[] (pointers into the
 * answers), their number. */
static size_t
validated_names(struct ctx *x, const char **out, size_t max)
{
	char rev[80];
	const struct dns_answer *p;
	size_t i, k = 0, n;

	reverse_name(&x->c->ip, rev, sizeof rev);
	p = dnsq_get(x->q, rev, DNS_PTR);
	if (p->status != DNS_OK)
		return 0;
	n = p->n < SPF_MAX_PTR ? p->n : SPF_MAX_PTR;
	for (i = 0; i < n; i++)
		dnsq_ask(x->q, p->rr[i].text, addr_type(&x->c->ip));
	for (i = 0; i < n && k < max; i++)
		if (answer_has(dnsq_get(x->q, p->rr[i].text, addr_type(&x->c->ip)),
		    &x->c->ip, x->c->ip.family == 4 ? 32 : 128))
			out[k++] = p->rr[i].text;
	return k;
}

/* The value of one macro letter into v. */
static void
macro_value(struct ctx *x, int letter, const char *domain, char *v, size_t n)
{
	const struct ip_addr *ip = &x->c->ip;
	const char *names[SPF_MAX_PTR];
	size_t k, i;

	switch (letter) {
	case 's': snprintf(v, n, "%s", x->sender); break;
	case 'l': snprintf(v, n, "%s", x->local); break;
	case 'o': snprintf(v, n, "%s", x->odomain); break;
	case 'd': snprintf(v, n, "%s", domain); break;
	case 'h': snprintf(v, n, "%s", x->c->helo ? x->c->helo : ""); break;
	case 'v': snprintf(v, n, "%s", ip->family == 4 ? "in-addr" : "ip6"); break;
	case 'r': snprintf(v, n, "%s", x->c->me && *x->c->me ? x->c->me :
	    "unknown"); break;
	case 't': snprintf(v, n, "%lld", (long long)time(NULL)); break;
	case 'c':
		if (inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->a, v,
		    (socklen_t)n) == NULL)
			snprintf(v, n, "unknown");
		break;
	case 'i':
		if (ip->family == 4)
			snprintf(v, n, "%u.%u.%u.%u", ip->a[0], ip->a[1], ip->a[2],
			    ip->a[3]);
		else {
			/* nibbles in upper case, as the RFC 7208 suite has them */
			static const char hex[] = "0123456789ABCDEF";
			size_t o = 0;
			for (i = 0; i < 16 && o + 4 < n; i++) {
				v[o++] = hex[ip->a[i] >> 4];
				v[o++] = '.';
				v[o++] = hex[ip->a[i] & 15];
				v[o++] = '.';
			}
			v[o ? o - 1 : 0] = '\0';
		}
		break;
	case 'p':
		/* a name that is domain or under it first, then any (7.3) */
		k = validated_names(x, names, SPF_MAX_PTR);
		for (i = 0; i < k; i++)
			if (under(names[i], domain))
				break;
		snprintf(v, n, "%s", k == 0 ? "unknown" : names[i < k ? i : 0]);
		break;
	default:
		v[0] = '\0';
	}
}

/* Apply a macro's transformers (digits, 'r', delimiters; 7.3) to v,
 * writing the result to the end of out. */
static int
transform(const char *v, size_t keep, int rev, const char *delims,
    int escape, char *out, size_t *o, size_t outsize)
{
	const char *part[128];
	size_t plen[128], np = 0, i, s, first;
	char tmp[1024];
	size_t t = 0;

	for (s = 0, i = 0;; i++) {
		if (v[i] == '\0' || strchr(delims, v[i])) {
			if (np < 128) {
				part[np] = v + s;
				plen[np++] = i - s;
			}
			if (v[i] == '\0')
				break;
			s = i + 1;
		}
	}
	if (rev)
		for (i = 0; i < np / 2; i++) {
			const char *pp = part[i];
			size_t pl = plen[i];
			part[i] = part[np - 1 - i];
			plen[i] = plen[np - 1 - i];
			part[np - 1 - i] = pp;
			plen[np - 1 - i] = pl;
		}
	first = keep && keep < np ? np - keep : 0;
	for (i = first; i < np; i++) {
		if (i > first && t < sizeof tmp)
			tmp[t++] = '.';
		if (t + plen[i] >= sizeof tmp)
			return -1;
		memcpy(tmp + t, part[i], plen[i]);
		t += plen[i];
	}
	for (i = 0; i < t; i++) {
		unsigned char c = (unsigned char)tmp[i];
		int plain = !escape || is_alpha(c) || is_digit(c) ||
		    strchr("-._~", c) != NULL;
		if (*o + (plain ? 1 : 3) >= outsize)
			return -1;
		if (plain)
			out[(*o)++] = (char)c;
		else
			*o += (size_t)snprintf(out + *o, outsize - *o, "%%%02X", c);
	}
	return 0;
}

/* Expand the macro-string s[0..n) (7) for the current domain into out.
 * 0, or -1 when it will not fit. */
static int
expand(struct ctx *x, const char *s, size_t n, const char *domain, int exp,
    char *out, size_t outsize)
{
	size_t i = 0, o = 0, k;
	char v[1024];

	while (i < n) {
		if (s[i] != '%') {
			if (o + 1 >= outsize)
				return -1;
			out[o++] = s[i++];
			continue;
		}
		if ((k = macro_len(s + i, n - i, exp)) == 0)
			return -1;
		if (k == 2) {
			if (o + 3 >= outsize)
				return -1;
			if (s[i + 1] == '%')
				out[o++] = '%';
			else if (s[i + 1] == '_')
				out[o++] = ' ';
			else {
				memcpy(out + o, "%20", 3);
				o += 3;
			}
		} else {
			const char *m = s + i + 3, *e = s + i + k - 1;
			size_t keep = 0;
			int rev = 0, letter = s[i + 2];
			char delims[16];
			size_t nd = 0;

			while (m < e && is_digit(*m))
				keep = keep < 1000 ? keep * 10 + (size_t)(*m++ - '0') : keep;
			if (m < e && (*m | 0x20) == 'r') {
				rev = 1;
				m++;
			}
			while (m < e && nd + 1 < sizeof delims)
				delims[nd++] = *m++;
			delims[nd] = '\0';
			if (nd == 0)
				memcpy(delims, ".", 2);
			macro_value(x, letter | 0x20, domain, v, sizeof v);
			if (transform(v, keep, rev, delims, !(letter & 0x20), out,
			    &o, outsize) == -1)
				return -1;
		}
		i += k;
	}
	out[o] = '\0';
	return 0;
}

/* The target of a term: its domain-spec expanded (and cut to 253 bytes
 * from the left, 4.8), or the current domain. */
static int
target(struct ctx *x, const struct term *t, const char *domain, char *out,
    size_t n)
{
	char big[2048];
	const char *p;

	if (t->arg == NULL || t->arglen == 0) {
		snprintf(out, n, "%s", domain);
		return 0;
	}
	if (expand(x, t->arg, t->arglen, domain, 0, big, sizeof big) == -1)
		return -1;
	p = big;
	while (strlen(p) > 253 && strchr(p, '.'))
		p = strchr(p, '.') + 1;
	if (strlen(p) >= n)
		return -1;
	snprintf(out, n, "%s", p);
	return 0;
}

/* Count one DNS-querying term; 0, or -1 past the limit. */
static int
count_dns(struct ctx *x)
{
	return ++x->dns_terms > SPF_MAX_DNS ? -1 : 0;
}

/* An answer of no records: count it as void (4.6.4); -1 past the limit. */
static int
count_void(struct ctx *x, const struct dns_answer *a)
{
	if (a->status == DNS_NXDOMAIN || a->status == DNS_NODATA)
		return ++x->voids > SPF_MAX_VOID ? -1 : 0;
	return 0;
}

static enum spf_result check_host(struct ctx *, const char *domain,
    int depth, int want_exp);

/* Fetch the one SPF record of domain into rec; a result when there is
 * not exactly one (none, temperror, permerror), else -1. */
static int
fetch_record(struct ctx *x, const char *domain, char *rec, size_t n)
{
	const struct dns_answer *a = dnsq_get(x->q, domain, DNS_TXT);
	size_t i, found = 0;

	if (a->status == DNS_TEMP) {
		snprintf(x->c->why, sizeof x->c->why, "DNS failure for %s", domain);
		return SPF_TEMPERROR;
	}
	for (i = 0; a->status == DNS_OK && i < a->n; i++) {
		if (!is_spf(a->rr[i].text, a->rr[i].len))
			continue;
		if (found++ == 0) {
			if (a->rr[i].len >= n || memchr(a->rr[i].text, '\0', a->rr[i].len))
				return SPF_PERMERROR;
			memcpy(rec, a->rr[i].text, a->rr[i].len + 1);
		}
	}
	if (found > 1) {
		snprintf(x->c->why, sizeof x->c->why, "%s has %zu SPF records",
		    domain, found);
		return SPF_PERMERROR;
	}
	if (found == 0) {
		snprintf(x->c->why, sizeof x->c->why, "no SPF record at %s", domain);
		return SPF_NONE;
	}
	return -1;
}

/* Does mx match?  1, 0, or a result (temperror, permerror) + 2. */
static int
match_mx(struct ctx *x, const char *dom, const struct term *t)
{
	const struct dns_answer *a = dnsq_get(x->q, dom, DNS_MX);
	size_t i;
	unsigned pfx = x->c->ip.family == 4 ? t->c4 : t->c6;

	if (a->status == DNS_TEMP)
		return SPF_TEMPERROR + 2;
	if (count_void(x, a) == -1)
		return SPF_PERMERROR + 2;
	if (a->status != DNS_OK)
		return 0;
	if (a->n > SPF_MAX_MX)
		return SPF_PERMERROR + 2;
	for (i = 0; i < a->n; i++)
		if (a->rr[i].text[0])
			dnsq_ask(x->q, a->rr[i].text, addr_type(&x->c->ip));
	for (i = 0; i < a->n; i++) {
		const struct dns_answer *h;
		if (a->rr[i].text[0] == '\0')
			continue;   /* a null MX (RFC 7505) */
		h = dnsq_get(x->q, a->rr[i].text, addr_type(&x->c->ip));
		if (h->status == DNS_TEMP)
			return SPF_TEMPERROR + 2;
		if (answer_has(h, &x->c->ip, pfx))
			return 1;
	}
	return 0;
}

/* Does term t match?  1, 0, or a result + 2 that ends the evaluation. */
static int
match(struct ctx *x, const struct term *t, const char *domain, int depth)
{
	char dom[256];
	const struct dns_answer *a;
	const char *names[SPF_MAX_PTR];
	size_t i, k;
	enum spf_result r;

	if (t->kind == T_ALL)
		return 1;
	if (t->kind == T_IP4 || t->kind == T_IP6)
		return x->c->ip.family == (t->kind == T_IP4 ? 4 : 6) &&
		    ip_in_net(&x->c->ip, &t->net);
	if (count_dns(x) == -1) {
		snprintf(x->c->why, sizeof x->c->why,
		    "more than %d DNS-querying terms", SPF_MAX_DNS);
		return SPF_PERMERROR + 2;
	}
	if (target(x, t, domain, dom, sizeof dom) == -1)
		return SPF_PERMERROR + 2;
	switch (t->kind) {
	case T_INCLUDE:
		r = check_host(x, dom, depth + 1, 0);
		if (r == SPF_PASS)
			return 1;
		if (r == SPF_TEMPERROR || r == SPF_PERMERROR)
			return (int)r + 2;
		if (r == SPF_NONE)
			return SPF_PERMERROR + 2;
		return 0;
	case T_A:
		a = dnsq_get(x->q, dom, addr_type(&x->c->ip));
		if (a->status == DNS_TEMP)
			return SPF_TEMPERROR + 2;
		if (count_void(x, a) == -1)
			return SPF_PERMERROR + 2;
		return answer_has(a, &x->c->ip, x->c->ip.family == 4 ? t->c4 : t->c6);
	case T_MX:
		return match_mx(x, dom, t);
	case T_EXISTS:
		a = dnsq_get(x->q, dom, DNS_A);
		if (a->status == DNS_TEMP)
			return SPF_TEMPERROR + 2;
		if (count_void(x, a) == -1)
			return SPF_PERMERROR + 2;
		return a->status == DNS_OK;
	case T_PTR:
		k = validated_names(x, names, SPF_MAX_PTR);
		for (i = 0; i < k; i++)
			if (under(names[i], dom))
				return 1;
		return 0;
	default:
		return 0;
	}
}

/* exp= (6.2): the explanation text, expanded, into the check's exp;
 * any failure leaves it empty. */
static void
explain(struct ctx *x, const struct term *t, const char *domain)
{
	char dom[256], text[SPF_MAX_TEXT];
	const struct dns_answer *a;

	if (target(x, t, domain, dom, sizeof dom) == -1)
		return;
	a = dnsq_get(x->q, dom, DNS_TXT);
	if (a->status != DNS_OK || a->n != 1 ||
	    memchr(a->rr[0].text, '\0', a->rr[0].len) ||
	    !macro_string_ok(a->rr[0].text, a->rr[0].len, 1) ||
	    expand(x, a->rr[0].text, a->rr[0].len, domain, 1, text,
	    sizeof text) == -1)
		return;
	snprintf(x->c->exp, sizeof x->c->exp, "%s", text);
}

static enum spf_result
qual_result(char q)
{
	return q == '-' ? SPF_FAIL : q == '~' ? SPF_SOFTFAIL :
	    q == '?' ? SPF_NEUTRAL : SPF_PASS;
}

/* check_host() (4): the result for the client at domain. */
static enum spf_result
check_host(struct ctx *x, const char *domain, int depth, int want_exp)
{
	char rec[1100];
	struct term t[SPF_MAX_TERMS];
	const struct term *redirect = NULL, *exp = NULL;
	size_t nt, i;
	int r;

	if (!domain_ok(domain)) {
		snprintf(x->c->why, sizeof x->c->why, "not a domain name");
		return SPF_NONE;
	}
	if (depth > SPF_MAX_DNS + 1)
		return SPF_PERMERROR;   /* cannot happen within the count */
	if ((r = fetch_record(x, domain, rec, sizeof rec)) != -1)
		return (enum spf_result)r;
	if (parse_record(rec, strlen(rec), t, &nt) == -1) {
		snprintf(x->c->why, sizeof x->c->why, "syntax error in the record "
		    "of %s", domain);
		return SPF_PERMERROR;
	}
	for (i = 0; i < nt; i++) {
		if (t[i].kind == T_REDIRECT)
			redirect = &t[i];
		else if (t[i].kind == T_EXP)
			exp = &t[i];
	}
	for (i = 0; i < nt; i++) {
		if (t[i].kind >= T_REDIRECT)
			continue;
		r = match(x, &t[i], domain, depth);
		if (r >= 2)
			return (enum spf_result)(r - 2);
		if (r == 1) {
			enum spf_result res = qual_result(t[i].qual);
			snprintf(x->c->why, sizeof x->c->why, "%s matched in %.200s",
			    spf_result_name(res), domain);
			if (res == SPF_FAIL && exp && want_exp)
				explain(x, exp, domain);
			return res;
		}
	}
	if (redirect) {
		char dom[256];
		enum spf_result res;

		if (count_dns(x) == -1 ||
		    target(x, redirect, domain, dom, sizeof dom) == -1)
			return SPF_PERMERROR;
		res = check_host(x, dom, depth + 1, want_exp);
		return res == SPF_NONE ? SPF_PERMERROR : res;
	}
	snprintf(x->c->why, sizeof x->c->why, "nothing matched in %.200s", domain);
	return SPF_NEUTRAL;
}

/* The SPF result for the check's client and identity (2.3, 2.4): the
 * MAIL FROM domain, or for the null sender the HELO name. */
enum spf_result
spf_check(struct dnsq *q, struct spf_check *c)
{
	struct ctx x;
	const char *at, *dom;

	memset(&x, 0, sizeof x);
	x.q = q;
	x.c = c;
	c->exp[0] = c->why[0] = '\0';
	if (c->sender && *c->sender) {
		at = strrchr(c->sender, '@');
		dom = at ? at + 1 : c->sender;
		if (at && at != c->sender)
			snprintf(x.local, sizeof x.local, "%.*s",
			    (int)(at - c->sender), c->sender);
		else
			snprintf(x.local, sizeof x.local, "postmaster");
		snprintf(c->identity, sizeof c->identity, "mailfrom");
	} else {
		dom = c->helo ? c->helo : "";
		snprintf(x.local, sizeof x.local, "postmaster");
		snprintf(c->identity, sizeof c->identity, "helo");
	}
	snprintf(x.odomain, sizeof x.odomain, "%s", dom);
	snprintf(x.sender, sizeof x.sender, "%s@%s", x.local, x.odomain);
	snprintf(c->domain, sizeof c->domain, "%s", dom);
	return check_host(&x, x.odomain, 0, 1);
}
