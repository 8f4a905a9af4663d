/* uridom: link domains in text (see uridom.h).  Input is a stranger's
 * decoded body text; everything is bounded by the caller's max and by
 * URIDOM_NAME_MAX.  Runs under any uid; reads the Public Suffix List
 * once per process (Debian's publicsuffix file when it is newer than the
 * copy built into libpsl). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "buf.h"
#include "ip.h"
#include "uridom.h"

void
uridom_init(struct uridom *u, size_t max)
{
	memset(u, 0, sizeof *u);
	u->max = max;
}

void
uridom_free(struct uridom *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->v[i]);
	free(u->v);
	free(u->ip);
	uridom_init(u, u->max);
}

static const psl_ctx_t *
psl(void)
{
	static const psl_ctx_t *ctx;

	if (ctx == NULL && (ctx = psl_latest(NULL)) == NULL)
		ctx = psl_builtin();
	return ctx;
}

/* The registered domain of host (lower case ASCII) into out: 0, or -1
 * when host is itself a public suffix or not a name. */
int
uridom_registered(const char *host, char *out, size_t outsize)
{
	const char *r;
	size_t n;

	if (psl() == NULL || strchr(host, '.') == NULL)
		return -1;
	if ((r = psl_registrable_domain(psl(), host)) == NULL)
		return -1;
	if ((n = strlen(r)) + 1 > outsize)
		return -1;
	memcpy(out, r, n + 1);
	return 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
hexval(int c)
{
	c = lower(c);
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

/* Does a link start at p[i]?  The length of its scheme part ("http://"),
 * 0 for a bare "www.", -1 for none. */
static long
link_start(const char *p, size_t n, size_t i)
{
	static const char *const schemes[] = { "http://", "https://", "ftp://" };
	size_t k, j, sl;

	if (i > 0) {
		int c = lower((unsigned char)p[i - 1]);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_')
			return -1;
	}
	for (k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
		sl = strlen(schemes[k]);
		if (n - i < sl)
			continue;
		for (j = 0; j < sl && lower((unsigned char)p[i + j]) == schemes[k][j]; j++)
			;
		if (j == sl)
			return (long)sl;
	}
	if (n - i >= 5 && lower((unsigned char)p[i]) == 'w' &&
	    lower((unsigned char)p[i + 1]) == 'w' &&
	    lower((unsigned char)p[i + 2]) == 'w' && p[i + 3] == '.')
		return 0;
	return -1;
}

/* Where the authority part ends: at '/', '?', '#', '\\', white space,
 * quotes, angle brackets and the other bytes a link cannot hold. */
static size_t
authority_end(const char *p, size_t n, size_t i)
{
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= ' ' || c == '/' || c == '?' || c == '#' || c == '\\' ||
		    c == '"' || c == '\'' || c == '<' || c == '>' || c == '(' ||
		    c == ')' || c == '[' || c == ']' || c == '{' || c == '}' ||
		    c == '|' || c == ',' || c == ';' || c == '`' || c == 127)
			break;
	}
	return i;
}

/* The host of the authority a..z into out, lower case, percent-decoded,
 * without user part, port and final dots.  0, or -1 when it is not a
 * plausible ASCII host name or address. */
static int
host_of(const char *p, size_t a, size_t z, char *out, size_t outsize)
{
	size_t i, o = 0;
	int hv, lv;

	for (i = z; i > a; i--)
		if (p[i - 1] == '@') {
			a = i;   /* the user part goes (RFC 3986 3.2.1) */
			break;
		}
	for (i = a; i < z; i++) {
		int c = (unsigned char)p[i];
		if (c == ':')
			break;   /* the port */
		if (c == '%' && i + 2 < z && (hv = hexval(p[i + 1])) >= 0 &&
		    (lv = hexval(p[i + 2])) >= 0) {
			c = hv * 16 + lv;
			i += 2;
		}
		c = lower(c);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_'))
			return -1;
		if (o + 1 >= outsize || o >= URIDOM_NAME_MAX)
			return -1;
		out[o++] = (char)c;
	}
	while (o > 0 && out[o - 1] == '.')
		o--;
	out[o] = '\0';
	if (o == 0 || out[0] == '.' || strstr(out, "..") != NULL ||
	    strchr(out, '.') == NULL)
		return -1;
	return 0;
}

/* Add name unless already there or over max.  0, or -1 (ENOMEM). */
static int
add(struct uridom *u, const char *name, int isip)
{
	char **nv;
	int *ni;
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i], name) == 0)
			return 0;
	if (u->n >= u->max) {
		u->dropped++;
		return 0;
	}
	if ((nv = reallocarray(u->v, u->n + 1, sizeof *nv)) == NULL)
		return -1;
	u->v = nv;
	if ((ni = reallocarray(u->ip, u->n + 1, sizeof *ni)) == NULL)
		return -1;
	u->ip = ni;
	if ((u->v[u->n] = strdup(name)) == NULL)
		return -1;
	u->ip[u->n++] = isip;
	return 0;
}

/* Find the links in text and add their registered domains.  0, or -1
 * (ENOMEM); text that holds no link is not an error. */
int
uridom_scan(struct uridom *u, const char *p, size_t n)
{
	char host[URIDOM_NAME_MAX + 1], reg[URIDOM_NAME_MAX + 1];
	struct ip_addr ip;
	size_t i, z;
	long sl;

	for (i = 0; i < n; i++) {
		int c = lower((unsigned char)p[i]);
		if (c != 'h' && c != 'f' && c != 'w')
			continue;
		if ((sl = link_start(p, n, i)) < 0)
			continue;
		z = authority_end(p, n, i + (size_t)sl);
		if (host_of(p, i + (size_t)sl, z, host, sizeof host) == 0) {
			u->links++;
			if (ip_parse(host, strlen(host), &ip) == 0) {
				if (ip.family == 4 && add(u, host, 1) == -1)
					return -1;
			} else if (uridom_registered(host, reg, sizeof reg) == 0 &&
			    add(u, reg, 0) == -1)
				return -1;
		}
		i = z > i ? z - 1 : i;
	}
	return 0;
}

/* One character reference at p[0] == '&' ("&#104;", "&#x68;", "&amp;",
 * "&period;", "&sol;", "&colon;"): its ASCII value and length, or 0. */
static size_t
entity(const char *p, size_t n, int *c)
{
	static const struct {
		const char *name;
		int c;
	} named[] = { { "amp;", '&' }, { "period;", '.' }, { "sol;", '/' },
		{ "colon;", ':' }, { "quot;", '"' }, { "lt;", '<' }, { "gt;", '>' },
		{ "commat;", '@' }, { "percnt;", '%' }, { "num;", '#' } };
	size_t i = 1, k;
	unsigned v = 0, digits = 0;

	if (n > 2 && p[1] == '#') {
		int hex = n > 3 && (p[2] == 'x' || p[2] == 'X');
		for (i = hex ? 3 : 2; i < n && digits < 8; i++, digits++) {
			int d = hex ? hexval((unsigned char)p[i]) :
			    p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1;
			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned)d;
		}
		if (digits == 0 || v == 0 || v > 126)
			return 0;   /* only ASCII matters to a host name */
		*c = (int)v;
		return i < n && p[i] == ';' ? i + 1 : i;
	}
	for (k = 0; k < sizeof named / sizeof named[0]; k++) {
		size_t l = strlen(named[k].name);
		if (n - 1 >= l && strncasecmp(p + 1, named[k].name, l) == 0) {
			*c = named[k].c;
			return l + 1;
		}
	}
	return 0;
}

/* As uridom_scan, for HTML: character references are decoded first, as
 * a browser decodes them in an href ("&#104;ttp://evil.example"). */
int
uridom_scan_html(struct uridom *u, const char *p, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i, k;
	int c, rc;

	if (memchr(p, '&', n) == NULL)
		return uridom_scan(u, p, n);
	if (buf_grow(&b, n + 1) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] == '&' && (k = entity(p + i, n - i, &c)) > 0) {
			b.p[b.len++] = (char)c;
			i += k - 1;
		} else
			b.p[b.len++] = p[i];
	}
	rc = uridom_scan(u, b.p, b.len);
	buf_free(&b);
	return rc;
}
