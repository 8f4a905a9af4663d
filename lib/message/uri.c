/* uri: links as a browser resolves them (see uri.h).  Input is a
 * stranger's link text; the authority is capped at URI_AUTH_MAX, the host
 * at URI_HOST_MAX, and no loop looks at a byte more than a fixed number of
 * times.  Runs under any uid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "ascii.h"
#include "ip.h"
#include "uri.h"

/* The schemes WHATWG calls special whose links mail carries. */
static const struct {
	const char *name;
	unsigned long port;   /* the default, left out of the canonical form */
} special[] = { { "http", 80 }, { "https", 443 }, { "ftp", 21 } };

/* The code point of the UTF-8 sequence at s[0..n) into *c: its length, or
 * 0 when it is not one (overlong, surrogate, truncated). */
static size_t
utf8_get(const char *p, size_t n, unsigned long *c)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t l, k;
	unsigned long v;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*c = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		l = 2, v = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		l = 3, v = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		l = 4, v = s[0] & 0x07;
	else
		return 0;
	if (n < l)
		return 0;
	for (k = 1; k < l; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3F);
	}
	if ((l == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
	    (l == 4 && (v < 0x10000 || v > 0x10FFFF)))
		return 0;
	*c = v;
	return l;
}

/* The full stops UTS #46 maps to "." (WHATWG's "domain to ASCII"). */
static int
idna_stop(unsigned long c)
{
	return c == 0x3002 || c == 0xFF0E || c == 0xFF61;
}

/* Split a link: a special scheme and its slashes ("http://", "HTTPS:\\",
 * at least minslash of "/" and "\"), or a bare "www."; the authority runs
 * to the first "/", "\", "?", "#", white space or control byte, or for
 * URI_AUTH_MAX + 1 bytes at most.  0, or -1 when u does not start with
 * such a link. */
int
uri_split(const char *u, size_t n, size_t minslash, struct uri_parts *p)
{
	size_t i, k, s = 0;

	memset(p, 0, sizeof *p);
	for (i = 0; i < n && i < 6 && ascii_lower((unsigned char)u[i]) >= 'a' &&
	    ascii_lower((unsigned char)u[i]) <= 'z'; i++)
		;
	if (i < n && u[i] == ':') {
		for (k = 0; k < sizeof special / sizeof special[0]; k++)
			if (strlen(special[k].name) == i &&
			    strncasecmp(u, special[k].name, i) == 0)
				break;
		if (k == sizeof special / sizeof special[0])
			return -1;
		p->scheme = i;
		/* WHATWG "special authority ignore slashes state": any run
		 * of "/" and "\" */
		for (i++; i < n && (u[i] == '/' || u[i] == '\\'); i++, s++)
			if (u[i] == '\\')
				p->flags |= URI_F_SLASH;
		if (s < minslash)
			return -1;
		if (s != 2)
			p->flags |= URI_F_SLASH;
	} else if (n > 4 && strncasecmp(u, "www.", 4) == 0)
		i = 0;
	else
		return -1;
	p->auth = i;
	/* past URI_AUTH_MAX there is no host: the scan stops, so that a
	 * caller trying every offset of a text stays linear */
	if (n - i > URI_AUTH_MAX + 1)
		n = i + URI_AUTH_MAX + 1;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		if (c <= ' ' || c == 0x7f || c == '/' || c == '\\' || c == '?' ||
		    c == '#')
			break;
	}
	p->end = i;
	return p->end > p->auth ? 0 : -1;
}

/* An IPv4 address in WHATWG's forms (one to four parts, each decimal,
 * octal with a leading 0 or hex after 0x, the last filling the remaining
 * bytes) from the lower-case name s[0..n) into out as a dotted quad.
 * URI_IPV4, or -1 when it is no address. */
static int
ipv4(const char *s, size_t n, char *out, size_t outsize, unsigned *flags)
{
	unsigned long long part[4], v, ip;
	size_t i = 0, e, np = 0, k;
	int len;

	for (;;) {
		unsigned base = 10;
		for (e = i; e < n && s[e] != '.'; e++)
			;
		if (np == 4 || e == i)
			return -1;
		if (e - i >= 2 && s[i] == '0' && s[i + 1] == 'x')
			base = 16, i += 2;
		else if (e - i >= 2 && s[i] == '0')
			base = 8, i++;
		for (v = 0; i < e; i++) {
			int d = ascii_hex((unsigned char)s[i]);
			if (d < 0 || (unsigned)d >= base)
				return -1;
			if (v <= 0xFFFFFFFFULL)   /* past 32 bits: too big, stay so */
				v = v * base + (unsigned)d;
		}
		part[np++] = v;
		if (e == n)
			break;
		i = e + 1;
	}
	for (k = 0; k + 1 < np; k++)
		if (part[k] > 255)
			return -1;
	if (part[np - 1] >= 1ULL << (8 * (5 - np)))
		return -1;
	ip = part[np - 1];
	for (k = 0; k + 1 < np; k++)
		ip += part[k] << (8 * (3 - k));
	len = snprintf(out, outsize, "%llu.%llu.%llu.%llu", ip >> 24,
	    ip >> 16 & 255, ip >> 8 & 255, ip & 255);
	if (len < 0 || (size_t)len >= outsize)
		return -1;
	if ((size_t)len != n || memcmp(out, s, n) != 0)
		*flags |= URI_F_NUMERIC;
	return URI_IPV4;
}

/* "[v6]" at h[0..n): the address, lower case, into out.  URI_IPV6 or -1. */
static int
ipv6(const char *h, size_t n, char *out, size_t outsize)
{
	const char *e = memchr(h, ']', n);
	struct ip_addr ip;
	size_t l, k;

	if (e == NULL || (l = (size_t)(e - h) - 1) == 0 || l + 1 > outsize ||
	    ip_parse(h + 1, l, &ip) == -1 || ip.family != 6)
		return -1;
	for (k = 0; k < l; k++)
		out[k] = (char)ascii_lower((unsigned char)h[1 + k]);
	out[l] = '\0';
	return URI_IPV6;
}

/* Append the label s[0..n) as ASCII, lower case, to out at *o: Unicode
 * labels through UTS #46 non-transitional processing (as WHATWG's
 * "domain to ASCII") to their A-label.  0, or -1 when it is not a label. */
static int
label(const char *s, size_t n, char *out, size_t outsize, size_t *o,
    unsigned *flags)
{
	char lab[URI_AUTH_MAX + 1], *a = NULL;
	const char *src = s;
	size_t k, l = n;
	int ascii = 1;

	for (k = 0; k < n; k++)
		if ((unsigned char)s[k] >= 0x80)
			ascii = 0;
	if (!ascii) {
		memcpy(lab, s, n);
		lab[n] = '\0';
		if (idn2_to_ascii_8z(lab, &a, IDN2_NONTRANSITIONAL) != IDN2_OK)
			return -1;
		src = a;
		l = strlen(a);
		*flags |= URI_F_IDN;
	}
	if (*o + l + 2 > outsize || *o + l > URI_HOST_MAX) {
		idn2_free(a);
		return -1;
	}
	for (k = 0; k < l; k++)
		out[(*o)++] = (char)ascii_lower((unsigned char)src[k]);
	idn2_free(a);
	return 0;
}

/* The host of the authority h[0..n) ("user@Host.Example.:8080") into out
 * as a browser resolves it: URI_NAME (lower-case ASCII, no final dot),
 * URI_IPV4 (dotted quad) or URI_IPV6 (without brackets); -1 when it has
 * none a browser would go to, or one that is no DNS name (out then holds
 * nothing useful).  *flags gains what the written form hid. */
int
uri_host(const char *h, size_t n, char *out, size_t outsize, unsigned *flags)
{
	char d[URI_AUTH_MAX + 1];
	size_t i, a = 0, z, len = 0, o = 0, s, e, last;
	unsigned long c;
	int numeric;

	if (n > URI_AUTH_MAX || outsize < 2)
		return -1;
	/* the user part ends at the last "@" (WHATWG authority state) */
	for (i = n; i > 0; i--)
		if (h[i - 1] == '@') {
			a = i;
			*flags |= URI_F_USERINFO;
			break;
		}
	if (a < n && h[a] == '[')
		return ipv6(h + a, n - a, out, outsize);
	for (z = a; z < n && h[z] != ':'; z++)
		;
	for (i = a; i < z; i++) {
		int b = (unsigned char)h[i], hv, lv;
		if (b == '%' && i + 2 < z &&
		    (hv = ascii_hex((unsigned char)h[i + 1])) >= 0 &&
		    (lv = ascii_hex((unsigned char)h[i + 2])) >= 0) {
			b = hv * 16 + lv;
			i += 2;
			*flags |= URI_F_PERCENT;
		}
		if (b == 0)
			return -1;
		d[len++] = (char)b;
	}
	/* the IDNA full stops are dots, in place (each is 3 bytes) */
	for (i = s = 0; i < len; i++) {
		size_t l;
		if ((unsigned char)d[i] >= 0xE3 && (l = utf8_get(d + i, len - i, &c)) == 3 &&
		    idna_stop(c)) {
			d[s++] = '.';
			i += 2;
			*flags |= URI_F_IDN;
		} else
			d[s++] = d[i];
	}
	len = s;
	for (s = 0; s <= len; s = e + 1) {
		for (e = s; e < len && d[e] != '.'; e++)
			;
		if (label(d + s, e - s, out, outsize, &o, flags) == -1)
			return -1;
		if (e < len)
			out[o++] = '.';
	}
	out[o] = '\0';
	for (i = 0; i < o; i++) {
		int b = out[i];
		if (!((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
		    b == '-' || b == '.' || b == '_'))
			return -1;
	}
	while (o > 0 && out[o - 1] == '.')
		out[--o] = '\0';
	if (o == 0 || out[0] == '.' || strstr(out, "..") != NULL)
		return -1;
	/* a name that ends in a number is an IPv4 address or nothing */
	for (last = o; last > 0 && out[last - 1] != '.'; last--)
		;
	numeric = strspn(out + last, "0123456789") == o - last ||
	    (o - last >= 2 && out[last] == '0' && out[last + 1] == 'x' &&
	    strspn(out + last + 2, "0123456789abcdef") == o - last - 2);
	if (numeric) {
		char q[16];
		if (ipv4(out, o, q, sizeof q, flags) == -1 || strlen(q) + 1 > outsize)
			return -1;
		memcpy(out, q, strlen(q) + 1);
		return URI_IPV4;
	}
	return URI_NAME;
}

/* Append link u[0..n) to out as a browser resolves it: the scheme in
 * lower case and "://", the host by uri_host, the port unless it is the
 * scheme's default, then the rest with "\" read as "/" (the user part is
 * left out).  0; 1 when u is no link of a special scheme or "www." with a
 * host (out unchanged); -1 when out of memory. */
int
uri_canon(const char *u, size_t n, struct buf *out, unsigned *flags)
{
	struct uri_parts p;
	char host[URI_HOST_MAX + 2];
	size_t i, hp, start = out->len;
	unsigned long port = 0, k, defport = 0;
	unsigned fl = 0;
	int t, hasport = 0;

	if (uri_split(u, n, 0, &p) == -1)
		return 1;
	fl = p.flags;
	if ((t = uri_host(u + p.auth, p.end - p.auth, host, sizeof host, &fl)) == -1)
		return 1;
	/* a bare "www." link is one only while its host is "www." itself */
	if (p.scheme == 0 && ((fl & URI_F_USERINFO) || strncmp(host, "www.", 4) != 0))
		return 1;
	/* the port: after the user part and the host */
	for (hp = p.end; hp > p.auth && u[hp - 1] != '@'; hp--)
		;
	if (t == URI_IPV6) {
		const char *rb = memchr(u + hp, ']', p.end - hp);
		hp = rb ? (size_t)(rb - u) : p.end;   /* uri_host found it */
	}
	for (; hp < p.end && u[hp] != ':'; hp++)
		;
	if (hp < p.end) {
		for (i = hp + 1; i < p.end; i++) {
			if (u[i] < '0' || u[i] > '9')
				return 1;
			if (port <= 65535)
				port = port * 10 + (unsigned long)(u[i] - '0');
		}
		if (port > 65535)
			return 1;
		hasport = i > hp + 1;
	}
	for (k = 0; k < sizeof special / sizeof special[0]; k++)
		if (p.scheme && strlen(special[k].name) == p.scheme &&
		    strncasecmp(u, special[k].name, p.scheme) == 0)
			defport = special[k].port;
	for (i = 0; i < p.scheme; i++)
		if (buf_addc(out, ascii_lower((unsigned char)u[i])) == -1)
			goto nomem;
	if ((p.scheme && buf_adds(out, "://") == -1) ||
	    (t == URI_IPV6 && buf_addc(out, '[') == -1) ||
	    buf_adds(out, host) == -1 ||
	    (t == URI_IPV6 && buf_addc(out, ']') == -1) ||
	    (hasport && (!p.scheme || port != defport) &&
	    buf_printf(out, ":%lu", port) == -1))
		goto nomem;
	for (i = p.end; i < n; i++) {
		if (u[i] == '\\')
			fl |= URI_F_SLASH;
		if (buf_addc(out, u[i] == '\\' ? '/' : u[i]) == -1)
			goto nomem;
	}
	*flags |= fl;
	return 0;
nomem:
	out->len = start;
	return -1;
}

/* Code points that end a host written in running text: punctuation,
 * symbols and spaces, Latin-1's and the CJK ones included. */
static int
not_host(unsigned long c)
{
	return (c >= 0x80 && c <= 0xBF) || c == 0xD7 || c == 0xF7 ||
	    (c >= 0x2000 && c <= 0x2BFF) ||
	    (c >= 0x3000 && c <= 0x303F && c != 0x3002) ||
	    (c >= 0xFE30 && c <= 0xFE6F) ||
	    (c >= 0xFF00 && c <= 0xFF0F && c != 0xFF0E) ||
	    (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
	    (c >= 0xFF5B && c <= 0xFF65 && c != 0xFF61) ||
	    c == 0xFEFF || c >= 0xFFF0;
}

/* Is the IDNA full stop at s[i] (length l) a dot of the host rather than
 * the sentence's end?  When a letter or digit follows and the label before
 * it is not plain ASCII glued to what follows. */
static int
stop_is_dot(const char *s, size_t i, size_t l, size_t z)
{
	unsigned long c;
	size_t k = i + l;

	if (k >= z)
		return 0;
	if ((unsigned char)s[k] < 0x80)
		return (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
		    (s[k] >= '0' && s[k] <= '9');
	return utf8_get(s + k, z - k, &c) > 0 && !not_host(c) && !idna_stop(c);
}

/* In running text, where the host part of the authority s[a..z) really
 * ends: a host may hold Unicode letters (exämple.com, 例子。测试), but
 * punctuation, invalid UTF-8, a full stop that ends the sentence, and
 * letters glued to an ASCII last label ("example.com欢迎") are the text
 * around the link. */
size_t
uri_text_host_end(const char *s, size_t a, size_t z)
{
	size_t i, l, lastdot = a;
	unsigned long c;
	int ascii_start = -1;   /* the label's first character: 1 ASCII, 0 not */

	for (i = a; i < z; i += l) {
		l = 1;
		if (s[i] == '.' || s[i] == '@')
			lastdot = i + 1;
		else if ((unsigned char)s[i] >= 0x80 &&
		    (l = utf8_get(s + i, z - i, &c)) > 0 && idna_stop(c) &&
		    i + l < z && (unsigned char)s[i + l] < 0x80 &&
		    stop_is_dot(s, i, l, z))
			lastdot = i + l;
		if (l == 0)
			break;
	}
	for (i = a; i < z; i += l) {
		unsigned char b = (unsigned char)s[i];
		l = 1;
		if (b < 0x80) {
			if (b == '.' || b == '@' || b == ':')
				ascii_start = -1;
			else if (ascii_start == -1)
				ascii_start = 1;
			continue;
		}
		if ((l = utf8_get(s + i, z - i, &c)) == 0 || not_host(c))
			return i;
		if (idna_stop(c)) {
			if (!stop_is_dot(s, i, l, z) ||
			    (ascii_start == 1 && (unsigned char)s[i + l] >= 0x80))
				return i;
			ascii_start = -1;
			continue;
		}
		if (ascii_start == -1)
			ascii_start = 0;
		else if (ascii_start == 1 && i >= lastdot)
			return i;
	}
	return z;
}
