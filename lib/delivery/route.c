/* route: control/routes (see route.h).  The file is the administrator's;
 * recipient domains and local parts come from the envelope and are
 * strangers' text, so a maildir path built from them is checked. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "route.h"

/* host[:port] into r; the default port when none is given. */
static int
host_port(const char *s, const char *defport, struct route *r)
{
	const char *c;
	size_t hl;

	if (*s == '[') {   /* an address literal may hold colons (IPv6) */
		if ((c = strchr(s, ']')) == NULL)
			return -1;
		c++;
		if (*c != '\0' && *c != ':')
			return -1;
	} else
		c = strchr(s, ':');
	hl = c ? (size_t)(c - s) : strlen(s);
	if (hl == 0 || hl >= sizeof r->host)
		return -1;
	memcpy(r->host, s, hl);
	r->host[hl] = '\0';
	if (c && *c == ':')
		s = c + 1;
	else
		s = defport;
	if (*s == '\0' || strlen(s) >= sizeof r->port ||
	    strspn(s, "0123456789") != strlen(s) || strtoul(s, NULL, 10) > 65535)
		return -1;
	snprintf(r->port, sizeof r->port, "%s", s);
	return 0;
}

/* A NEXTHOP as written in control/routes; -1 with EINVAL if it is none. */
int
route_parse(const char *s, struct route *r)
{
	memset(r, 0, sizeof *r);
	if (strncmp(s, "smtp:", 5) == 0) {
		r->kind = ROUTE_SMTP;
		if (host_port(s + 5, "25", r) == 0)
			return 0;
	} else if (strncmp(s, "lmtp:/", 6) == 0) {
		r->kind = ROUTE_LMTP_UNIX;
		if ((size_t)snprintf(r->path, sizeof r->path, "%s", s + 5) <
		    sizeof r->path)
			return 0;
	} else if (strncmp(s, "lmtp:", 5) == 0) {
		r->kind = ROUTE_LMTP;
		/* LMTP has no standard port (RFC 2033 4): it must be given */
		if (strchr(s + 5, ':') && host_port(s + 5, "", r) == 0)
			return 0;
	} else if (strncmp(s, "maildir:", 8) == 0) {
		r->kind = ROUTE_MAILDIR;
		if (s[8] == '/' && (size_t)snprintf(r->path, sizeof r->path, "%s",
		    s + 8) < sizeof r->path)
			return 0;
	}
	errno = EINVAL;
	return -1;
}

/* The route for domain: 1 found (r set), 0 none (deliver by MX), -1 a
 * line that is not "DOMAIN NEXTHOP" (*lineno says which). */
int
route_find(const struct ctl_list *l, const char *domain, struct route *r,
    unsigned *lineno)
{
	/* pass 0: exact; pass 1: ".parent"; pass 2: "*" */
	int pass;
	size_t i, kl, dl = strlen(domain);
	char key[256];

	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < l->n; i++) {
			const char *v = l->v[i], *sp = v + strcspn(v, " \t");
			kl = (size_t)(sp - v);
			*lineno = l->lineno[i];
			if (*sp == '\0' || kl == 0 || kl >= sizeof key) {
				errno = EINVAL;
				return -1;
			}
			memcpy(key, v, kl);
			key[kl] = '\0';
			if (!(pass == 0 && key[0] != '.' && strcmp(key, "*") &&
			    addr_domain_eq(key, domain)) &&
			    !(pass == 1 && key[0] == '.' && dl > kl &&
			    strcasecmp(domain + dl - kl, key) == 0) &&
			    !(pass == 2 && strcmp(key, "*") == 0))
				continue;
			sp += strspn(sp, " \t");
			return route_parse(sp, r) == 0 ? 1 : -1;
		}
	return 0;
}

/* Every line of l a "DOMAIN NEXTHOP" that route_parse takes: 0, or -1
 * with EINVAL and the first bad line in *lineno (for --lint, which must
 * not wait for mail to a domain to find a typo in its route). */
int
route_check(const struct ctl_list *l, unsigned *lineno)
{
	struct route r;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *v = l->v[i], *sp = v + strcspn(v, " \t");
		*lineno = l->lineno[i];
		if (*sp == '\0' || sp == v || (size_t)(sp - v) >= 256 ||
		    route_parse(sp + strspn(sp, " \t"), &r) == -1) {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

int
route_same(const struct route *a, const struct route *b)
{
	return a->kind == b->kind && strcasecmp(a->host, b->host) == 0 &&
	    strcmp(a->port, b->port) == 0 && strcmp(a->path, b->path) == 0;
}

/* Copy s lower-cased; -1 for anything that could climb out of the
 * maildir's folder ('/', a leading '.', control bytes). */
static int
safe_part(const char *s, char *o, size_t *op, size_t n)
{
	if (*s == '\0' || *s == '.')
		return -1;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '/' || c < 0x20 || c == 0x7f || *op + 1 >= n)
			return -1;
		o[(*op)++] = (char)tolower(c);
	}
	return 0;
}

/* The maildir of one recipient: the route's path with %u and %d
 * replaced.  -1 with EINVAL when the address cannot name a folder. */
int
route_maildir_path(const struct route *r, const char *local,
    const char *domain, char *out, size_t n)
{
	const char *p;
	size_t o = 0;

	for (p = r->path; *p; p++) {
		if (*p == '%' && (p[1] == 'u' || p[1] == 'd')) {
			if (safe_part(p[1] == 'u' ? local : domain, out, &o, n) == -1)
				goto bad;
			p++;
			continue;
		}
		if (*p == '%' && p[1] == '%')
			p++;
		if (o + 1 >= n)
			goto bad;
		out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
