/* score_html: HTML to text and links (see score_html.h).  The input is
 * untrusted; every read is bounded by its length, tags are never nested
 * in memory, and the output is bounded by the input.  Runs under any uid. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "score_html.h"
#include "uri.h"

#define URI_MAX 2048

struct render {
	const char *s;
	size_t      n, i;
	struct buf *text, *uris;
	size_t     *nuri;
	unsigned   *flags;
	long        anchor;    /* text offset where link text began, or -1 */
	char        ahost[256];
};

/* Append code point c as UTF-8 to out; its length. */
static int
utf8_put(unsigned long c, char out[8])
{
	if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* A character reference at s[0] == '&': its UTF-8 bytes in out and their
 * count, the bytes it took in *used; 0 when it is not one (the '&' is
 * text).  Numeric ones without ';' count, as browsers read them. */
int
score_html_entity(const char *s, size_t n, size_t *used, char out[8])
{
	static const struct { const char *name; unsigned long c; } named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", 0xA0 }, { "copy", 0xA9 },
		{ "reg", 0xAE }, { "trade", 0x2122 }, { "euro", 0x20AC },
		{ "pound", 0xA3 }, { "shy", 0xAD }, { "zwnj", 0x200C },
		{ "zwj", 0x200D }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
		{ "hellip", 0x2026 }, { "rsquo", 0x2019 }, { "lsquo", 0x2018 },
		{ "rdquo", 0x201D }, { "ldquo", 0x201C }, { "bull", 0x2022 },
		/* HTML5's names for the bytes of a link, which hide one */
		{ "colon", ':' }, { "period", '.' }, { "sol", '/' },
		{ "commat", '@' }, { "percnt", '%' }, { "num", '#' },
		{ "quest", '?' }, { "equals", '=' },
	};
	unsigned long c = 0;
	size_t i = 1, k, d = 0;

	if (n < 3 || s[0] != '&')
		return 0;
	if (s[1] == '#') {
		i = 2;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			for (i++; i < n && isxdigit((unsigned char)s[i]) && d < 8; i++, d++)
				c = c * 16 + (unsigned long)(isdigit((unsigned char)s[i]) ?
				    s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
		} else {
			for (; i < n && isdigit((unsigned char)s[i]) && d < 8; i++, d++)
				c = c * 10 + (unsigned long)(s[i] - '0');
		}
		if (d == 0)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		*used = i;
		return utf8_put(c, out);
	}
	for (k = 0; k < sizeof named / sizeof named[0]; k++) {
		size_t l = strlen(named[k].name);
		if (l + 1 < n && memcmp(s + 1, named[k].name, l) == 0 &&
		    s[1 + l] == ';') {
			*used = l + 2;
			return utf8_put(named[k].c, out);
		}
	}
	return 0;
}

/* The host of a link, lower case, without user info and port: 0, or -1
 * when it has none. */
int
score_uri_host(const char *u, size_t n, char *host, size_t hs)
{
	size_t i = 0, a, z, at, o = 0;

	while (i < n && (u[i] == ' ' || u[i] == '\t'))
		i++;
	for (a = i; a < n && a - i < 12 && (isalnum((unsigned char)u[a]) ||
	    u[a] == '+' || u[a] == '-' || u[a] == '.'); a++)
		;
	if (a + 2 < n && u[a] == ':' && u[a + 1] == '/' && u[a + 2] == '/')
		i = a + 3;
	else if (!(n - i > 4 && strncasecmp(u + i, "www.", 4) == 0))
		return -1;
	for (z = i; z < n && u[z] != '/' && u[z] != '?' && u[z] != '#' &&
	    u[z] != '\\' && !isspace((unsigned char)u[z]); z++)
		;
	for (at = z; at > i; at--)
		if (u[at - 1] == '@')
			break;
	if (at > i)
		i = at;
	for (a = i; a < z && u[a] != ':' && o + 1 < hs; a++)
		host[o++] = (char)tolower((unsigned char)u[a]);
	while (o > 0 && host[o - 1] == '.')
		o--;
	host[o] = '\0';
	return o ? 0 : -1;
}

static int
ci_prefix(const char *s, size_t n, const char *p)
{
	size_t l = strlen(p);

	return n >= l && strncasecmp(s, p, l) == 0;
}

/* Append link u[0..n) to uris as its rules see it: the form a browser
 * resolves it to (uri.h) on one line, then, when the link was written
 * otherwise, as written on the next, so that rules on the canonical host
 * and rules on the spelling that hid it (URI_ENCODED_HOST, URI_USERINFO)
 * both see it.  A link that is not a web link goes in as written.  0, or
 * -1 when out of memory. */
int
score_uri_add(struct buf *uris, const char *u, size_t n)
{
	size_t start = uris->len;
	unsigned fl = 0;
	int rc;

	if ((rc = uri_canon(u, n, uris, &fl)) == -1)
		return -1;
	if (rc == 0 && uris->len - start == n && memcmp(uris->p + start, u, n) == 0)
		return buf_addc(uris, '\n');
	if (rc == 0 && buf_addc(uris, '\n') == -1)
		return -1;
	if (buf_add(uris, u, n) == -1 || buf_addc(uris, '\n') == -1)
		return -1;
	return 0;
}

/* Add a link (an attribute value, entities decoded, white space and
 * control bytes removed as browsers do). */
static int
add_uri(struct render *r, const char *v, size_t n)
{
	char u[URI_MAX + 8], e[8];
	size_t i, o = 0, used;
	int k;

	if (*r->nuri >= SCORE_HTML_MAXURI || n == 0)
		return 0;
	for (i = 0; i < n && o < URI_MAX; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '&' && (k = score_html_entity(v + i, n - i, &used, e)) > 0) {
			if ((unsigned char)e[0] > ' ') {
				memcpy(u + o, e, (size_t)k);
				o += (size_t)k;
			}
			i += used - 1;
			continue;
		}
		if (c <= ' ' || c == 0x7f)
			continue;
		u[o++] = (char)c;
	}
	if (o == 0)
		return 0;
	(*r->nuri)++;
	return score_uri_add(r->uris, u, o);
}

/* Skip to just past the case-insensitive string end, or to the end. */
static void
skip_past(struct render *r, const char *end)
{
	size_t l = strlen(end);

	for (; r->i < r->n; r->i++)
		if (r->n - r->i >= l && strncasecmp(r->s + r->i, end, l) == 0) {
			r->i += l;
			return;
		}
}

static int
is_block(const char *t, size_t l)
{
	static const char *const b[] = {
		"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
		"table", "blockquote", "hr", "ul", "ol", "title", "pre", "center",
		"dt", "dd", "dl", "body", "form", "address"
	};
	size_t k;

	for (k = 0; k < sizeof b / sizeof b[0]; k++)
		if (strlen(b[k]) == l && strncasecmp(t, b[k], l) == 0)
			return 1;
	return 0;
}

/* Link text ended: a link whose text shows another host than it goes to
 * is the mark of phishing. */
static void
anchor_end(struct render *r)
{
	char shown[256], canon[URI_HOST_MAX + 2];
	const char *t;
	size_t n, i;
	unsigned fl = 0;

	if (r->anchor < 0 || (size_t)r->anchor > r->text->len || r->text->p == NULL)
		return;
	t = r->text->p + r->anchor;
	n = r->text->len - (size_t)r->anchor;
	for (i = 0; i + 4 < n; i++)
		if ((i == 0 || !isalnum((unsigned char)t[i - 1])) &&
		    (ci_prefix(t + i, n - i, "http") || ci_prefix(t + i, n - i, "www.")))
			break;
	if (i + 4 < n && r->ahost[0] &&
	    score_uri_host(t + i, n - i, shown, sizeof shown) == 0) {
		size_t ls, la = strlen(r->ahost);
		/* the shown host as a browser would resolve it, as the href's */
		if (uri_host(shown, strlen(shown), canon, sizeof canon, &fl) != -1)
			memcpy(shown, canon, strlen(canon) + 1);
		ls = strlen(shown);
		/* the shown host's own subdomain is not a mismatch */
		if (strchr(shown, '.') && strcmp(shown, r->ahost) != 0 &&
		    !(la > ls && r->ahost[la - ls - 1] == '.' &&
		    strcmp(r->ahost + la - ls, shown) == 0) &&
		    !(ls > la && shown[ls - la - 1] == '.' &&
		    strcmp(shown + ls - la, r->ahost) == 0))
			*r->flags |= SCORE_HTML_MISMATCH;
	}
	r->anchor = -1;
}

/* One tag from '<' (r->i) to its '>': its links, its line break. */
static int
tag(struct render *r)
{
	const char *s = r->s;
	size_t n = r->n, i = r->i + 1, nm, nl;
	int close = 0;

	if (i < n && s[i] == '/') {
		close = 1;
		i++;
	}
	for (nm = i; i < n && (isalnum((unsigned char)s[i]) || s[i] == ':'); i++)
		;
	nl = i - nm;
	if (!close && (nl == 6 && strncasecmp(s + nm, "script", 6) == 0)) {
		*r->flags |= SCORE_HTML_SCRIPT;
		r->i = i;
		skip_past(r, "</script");
		skip_past(r, ">");
		return 0;
	}
	if (!close && (nl == 5 && strncasecmp(s + nm, "style", 5) == 0)) {
		r->i = i;
		skip_past(r, "</style");
		skip_past(r, ">");
		return 0;
	}
	if (nl == 1 && tolower((unsigned char)s[nm]) == 'a') {
		if (close)
			anchor_end(r);
		else {
			r->anchor = (long)r->text->len;
			r->ahost[0] = '\0';
		}
	}
	if (nl == 3 && strncasecmp(s + nm, "img", 3) == 0)
		*r->flags |= SCORE_HTML_IMG;
	if (nl == 4 && strncasecmp(s + nm, "form", 4) == 0 && !close)
		*r->flags |= SCORE_HTML_FORM;
	/* attributes: name[=value], value quoted or not */
	while (i < n && s[i] != '>') {
		size_t an, al, vs, vl;
		if (isspace((unsigned char)s[i]) || s[i] == '/') {
			i++;
			continue;
		}
		for (an = i; i < n && s[i] != '=' && s[i] != '>' &&
		    !isspace((unsigned char)s[i]); i++)
			;
		al = i - an;
		if (al == 0)
			al = 1, i++;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		vs = vl = 0;
		if (i < n && s[i] == '=') {
			i++;
			while (i < n && isspace((unsigned char)s[i]))
				i++;
			if (i < n && (s[i] == '"' || s[i] == '\'')) {
				char q = s[i++];
				const char *e = memchr(s + i, q, n - i);
				vs = i;
				vl = e ? (size_t)(e - (s + i)) : n - i;
				i = vs + vl + (e ? 1 : 0);
			} else {
				for (vs = i; i < n && s[i] != '>' &&
				    !isspace((unsigned char)s[i]); i++)
					;
				vl = i - vs;
			}
		}
		if (close)
			continue;
		if ((al == 4 && strncasecmp(s + an, "href", 4) == 0) ||
		    (al == 3 && strncasecmp(s + an, "src", 3) == 0) ||
		    (al == 6 && strncasecmp(s + an, "action", 6) == 0) ||
		    (al == 10 && strncasecmp(s + an, "background", 10) == 0)) {
			size_t before = r->uris->len;
			if (add_uri(r, s + vs, vl) == -1)
				return -1;
			if (al == 4 && r->anchor >= 0 && r->uris->len > before) {
				const char *l = r->uris->p + before;
				const char *le = memchr(l, '\n', r->uris->len - before);
				(void)score_uri_host(l, le ? (size_t)(le - l) :
				    r->uris->len - before, r->ahost, sizeof r->ahost);
			}
		} else if (al > 2 && strncasecmp(s + an, "on", 2) == 0)
			*r->flags |= SCORE_HTML_SCRIPT;
		else if (al == 5 && strncasecmp(s + an, "style", 5) == 0 && vl) {
			size_t k;
			for (k = 0; k + 12 <= vl; k++)
				if (strncasecmp(s + vs + k, "display:none", 12) == 0 ||
				    (k + 17 <= vl &&
				    strncasecmp(s + vs + k, "visibility:hidden", 17) == 0))
					*r->flags |= SCORE_HTML_HIDDEN;
		}
	}
	r->i = i < n ? i + 1 : n;
	if (is_block(s + nm, nl))
		return buf_addc(r->text, '\n');
	if (nl == 2 && (strncasecmp(s + nm, "td", 2) == 0 ||
	    strncasecmp(s + nm, "th", 2) == 0))
		return buf_addc(r->text, ' ');
	return 0;
}

/* Render s[0..n) into text (appended), its links into uris (each ending
 * in '\n', *nuri counting them) and what it saw into *flags.  0, or -1
 * when out of memory. */
int
score_html_render(const char *s, size_t n, struct buf *text,
    struct buf *uris, size_t *nuri, unsigned *flags)
{
	struct render r;
	size_t used;
	char e[8];
	int k;

	memset(&r, 0, sizeof r);
	r.s = s;
	r.n = n;
	r.text = text;
	r.uris = uris;
	r.nuri = nuri;
	r.flags = flags;
	r.anchor = -1;
	while (r.i < n) {
		unsigned char c = (unsigned char)s[r.i];
		if (c == '<' && r.i + 1 < n) {
			unsigned char d = (unsigned char)s[r.i + 1];
			if (d == '!' && r.i + 3 < n && s[r.i + 2] == '-' &&
			    s[r.i + 3] == '-') {
				r.i += 4;
				skip_past(&r, "-->");
				continue;
			}
			if (d == '!' || d == '?') {
				skip_past(&r, ">");
				continue;
			}
			if (isalpha(d) || d == '/') {
				if (tag(&r) == -1)
					return -1;
				continue;
			}
		}
		if (c == '&' && (k = score_html_entity(s + r.i, n - r.i, &used, e)) > 0) {
			if (buf_add(text, e, (size_t)k) == -1)
				return -1;
			r.i += used;
			continue;
		}
		if (buf_addc(text, c) == -1)
			return -1;
		r.i++;
	}
	anchor_end(&r);
	return 0;
}
