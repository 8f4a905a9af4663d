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

#include "ascii.h"
#include "buf.h"
#include "uri.h"
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

/* Does a link start at p[i]?  Not inside a word or a name. */
static int
link_start(const char *p, size_t n, size_t i, struct uri_parts *up)
{
	if (i > 0) {
		int c = ascii_lower((unsigned char)p[i - 1]);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_')
			return 0;
	}
	return uri_split(p + i, n - i, 2, up) == 0;
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
	char host[URIDOM_NAME_MAX + 2], reg[URIDOM_NAME_MAX + 1];
	struct uri_parts up;
	size_t i, a, z;
	unsigned fl;
	int t;

	for (i = 0; i < n; i++) {
		int c = ascii_lower((unsigned char)p[i]);
		if (c != 'h' && c != 'f' && c != 'w')
			continue;
		if (!link_start(p, n, i, &up))
			continue;
		a = i + up.auth;
		z = uri_text_host_end(p, a, authority_end(p, n, a));
		fl = 0;
		if ((t = uri_host(p + a, z - a, host, sizeof host, &fl)) != -1) {
			u->links++;
			if (t == URI_IPV4 && add(u, host, 1) == -1)
				return -1;
			if (t == URI_NAME && uridom_registered(host, reg, sizeof reg) == 0 &&
			    add(u, reg, 0) == -1)
				return -1;
		}
		i = z > i ? z - 1 : i;
	}
	return 0;
}

/* One character reference at p[0] == '&' ("&#104;", "&#xE4;", "&amp;",
 * "&period;", "&sol;", "&colon;"): its UTF-8 bytes into out (never more
 * than the reference is long), their count in *ol, and the reference's
 * length; 0 when it is none. */
static size_t
entity(const char *p, size_t n, char out[4], size_t *ol)
{
	static const struct {
		const char *name;
		int c;
	} named[] = { { "amp;", '&' }, { "period;", '.' }, { "sol;", '/' },
		{ "colon;", ':' }, { "quot;", '"' }, { "lt;", '<' }, { "gt;", '>' },
		{ "commat;", '@' }, { "percnt;", '%' }, { "num;", '#' } };
	size_t i = 1, k;
	unsigned long v = 0, digits = 0;

	if (n > 2 && p[1] == '#') {
		int hex = n > 3 && (p[2] == 'x' || p[2] == 'X');
		for (i = hex ? 3 : 2; i < n && digits < 8; i++, digits++) {
			int d = hex ? ascii_hex((unsigned char)p[i]) :
			    p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1;
			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned)d;
		}
		if (digits == 0 || v == 0 || v > 0x10FFFF ||
		    (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		/* "&#" and the digits are never shorter than the UTF-8 */
		if (v < 0x80)
			out[0] = (char)v, *ol = 1;
		else if (v < 0x800)
			out[0] = (char)(0xC0 | v >> 6), out[1] = (char)(0x80 | (v & 0x3F)),
			*ol = 2;
		else if (v < 0x10000)
			out[0] = (char)(0xE0 | v >> 12),
			out[1] = (char)(0x80 | (v >> 6 & 0x3F)),
			out[2] = (char)(0x80 | (v & 0x3F)), *ol = 3;
		else
			out[0] = (char)(0xF0 | v >> 18),
			out[1] = (char)(0x80 | (v >> 12 & 0x3F)),
			out[2] = (char)(0x80 | (v >> 6 & 0x3F)),
			out[3] = (char)(0x80 | (v & 0x3F)), *ol = 4;
		return i < n && p[i] == ';' ? i + 1 : i;
	}
	for (k = 0; k < sizeof named / sizeof named[0]; k++) {
		size_t l = strlen(named[k].name);
		if (n - 1 >= l && strncasecmp(p + 1, named[k].name, l) == 0) {
			out[0] = (char)named[k].c;
			*ol = 1;
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
	size_t i, k, ol;
	char c[4];
	int rc;

	if (memchr(p, '&', n) == NULL)
		return uridom_scan(u, p, n);
	if (buf_grow(&b, n + 1) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] == '&' && (k = entity(p + i, n - i, c, &ol)) > 0) {
			memcpy(b.p + b.len, c, ol);
			b.len += ol;
			i += k - 1;
		} else
			b.p[b.len++] = p[i];
	}
	rc = uridom_scan(u, b.p, b.len);
	buf_free(&b);
	return rc;
}
