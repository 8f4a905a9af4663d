/* html2text: HTML to readable text (see html2text.h).  The input is
 * untrusted: every read is bounded by its length, elements are never kept
 * in memory beyond the current one, and the output is bounded by
 * HTML2TEXT_GROWTH.  Runs under any uid. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "html2text.h"
#include "score_html.h"

struct list {
	int      ordered;
	unsigned n;        /* the last number given */
};

struct r {
	const char *s;
	size_t      n, i;
	struct buf *out;
	struct html2text_stats *st;
	int         space;       /* collapsed white space pending */
	int         nl;          /* line ends at the end of out (0..2) */
	int         pre;         /* inside <pre> */
	int         rowtext;     /* the current table row has text */
	char        hid[16];     /* the element whose content is hidden */
	size_t      hidlen;
	unsigned    hiddepth;    /* its nesting: 0 when nothing is hidden */
	struct list list[HTML2TEXT_LISTS];
	size_t      nlist;       /* list levels open (may exceed the array) */
	int         inlink;
	size_t      linkstart;   /* out->len where the link text began */
	char        href[HTML2TEXT_HREF];
	size_t      hreflen;
};

static int
put(struct r *r, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_add(r->out, p, n) == -1)
		return -1;
	r->nl = 0;
	return 0;
}

/* End the line, so that at least k line ends close the text (k == 2: a
 * blank line after it); nothing at the very start. */
static int
newline(struct r *r, int k)
{
	r->space = 0;
	if (r->out->len == 0)
		return 0;
	/* trailing blanks of the line go */
	while (r->nl == 0 && r->out->len > 0 && r->out->p[r->out->len - 1] == ' ')
		r->out->len--;
	while (r->nl < k) {
		if (buf_addc(r->out, '\n') == -1)
			return -1;
		r->nl++;
	}
	return 0;
}

/* Text that the reader sees: white space collapsed outside <pre>. */
static int
text(struct r *r, const char *p, size_t n)
{
	size_t i;

	if (r->hiddepth)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (r->pre && c == '\n') {
			if (buf_addc(r->out, '\n') == -1)
				return -1;
			r->nl = r->nl < 2 ? r->nl + 1 : 2;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			if (r->pre) {
				if (c != '\r' && put(r, " ", 1) == -1)
					return -1;
			} else
				r->space = 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (r->space && r->nl == 0 && r->out->len > 0 &&
		    r->out->p[r->out->len - 1] != ' ' && put(r, " ", 1) == -1)
			return -1;
		r->space = 0;
		if (put(r, p + i, 1) == -1)
			return -1;
		r->rowtext = 1;
	}
	return 0;
}

/* Text with character references decoded. */
static int
chars(struct r *r, const char *p, size_t n)
{
	size_t i = 0, start = 0, used;
	char e[8];
	int k;

	while (i < n) {
		if (p[i] == '&' && (k = score_html_entity(p + i, n - i, &used, e)) > 0) {
			if (text(r, p + start, i - start) == -1)
				return -1;
			/* a no-break space collapses as any other: newsletters
			 * use runs of them as spacers */
			if (k == 2 && (unsigned char)e[0] == 0xC2 &&
			    (unsigned char)e[1] == 0xA0) {
				if (text(r, " ", 1) == -1)
					return -1;
			} else if (text(r, e, (size_t)k) == -1)
				return -1;
			i += used;
			start = i;
			continue;
		}
		i++;
	}
	return text(r, p + start, n - start);
}

/* Skip past the case-insensitive string end, or to the end of input. */
static void
skip_past(struct r *r, const char *end)
{
	size_t l = strlen(end);

	for (; r->i < r->n; r->i++)
		if (r->n - r->i >= l && strncasecmp(r->s + r->i, end, l) == 0) {
			r->i += l;
			return;
		}
}

static int
name_is(const char *t, size_t l, const char *name)
{
	return strlen(name) == l && strncasecmp(t, name, l) == 0;
}

static int
name_in(const char *t, size_t l, const char *const *v)
{
	for (; *v; v++)
		if (name_is(t, l, *v))
			return 1;
	return 0;
}

static const char *const voids[] = { "area", "base", "br", "col", "embed",
	"hr", "img", "input", "link", "meta", "param", "source", "track",
	"wbr", NULL };
static const char *const para[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6",
	"blockquote", "pre", "table", "dl", "address", "figure", NULL };
static const char *const block[] = { "div", "tr", "dt", "dd", "center",
	"section", "article", "header", "footer", "nav", "aside", "main",
	"form", "fieldset", "caption", "tbody", "thead", "tfoot", "body",
	"html", "option", "details", "summary", "figcaption", "legend", NULL };

/* Does a style attribute hide its element?  White space and case are
 * ignored, as CSS does. */
static int
style_hides(const char *v, size_t n)
{
	static const char *const hide[] = { "display:none", "visibility:hidden",
	    "font-size:0;", "font-size:0px", "font-size:0pt", "font-size:0em",
	    "opacity:0;", "max-height:0;", "max-height:0px", "font-size:0!",
	    "opacity:0!", NULL };
	char c[512];
	size_t i, o = 0;
	const char *const *h;

	for (i = 0; i < n && o + 2 < sizeof c; i++)
		if (!isspace((unsigned char)v[i]))
			c[o++] = (char)tolower((unsigned char)v[i]);
	c[o++] = ';';
	c[o] = '\0';
	for (h = hide; *h; h++)
		if (strstr(c, *h))
			return 1;
	return 0;
}

/* The attributes of the tag at r->s[i..): calls back into the element's
 * handling through the out parameters we need: href, alt, hidden. */
struct attrs {
	const char *href, *alt;
	size_t      hreflen, altlen;
	int         hidden;
};

static size_t
attributes(struct r *r, size_t i, struct attrs *a)
{
	const char *s = r->s;
	size_t n = r->n;

	memset(a, 0, sizeof *a);
	while (i < n && s[i] != '>') {
		size_t an, al, vs = 0, vl = 0;
		if (isspace((unsigned char)s[i]) || s[i] == '/') {
			i++;
			continue;
		}
		for (an = i; i < n && s[i] != '=' && s[i] != '>' &&
		    !isspace((unsigned char)s[i]); i++)
			;
		al = i - an;
		if (al == 0) {
			i++;
			continue;
		}
		while (i < n && isspace((unsigned char)s[i]))
			i++;
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
		if (name_is(s + an, al, "href"))
			a->href = s + vs, a->hreflen = vl;
		else if (name_is(s + an, al, "alt"))
			a->alt = s + vs, a->altlen = vl;
		else if (name_is(s + an, al, "hidden") ||
		    (name_is(s + an, al, "style") && style_hides(s + vs, vl)))
			a->hidden = 1;
	}
	return i;
}

/* The link target as a browser takes it: character references decoded,
 * white space and control bytes dropped. */
static void
set_href(struct r *r, const char *v, size_t n)
{
	size_t i, o = 0, used;
	char e[8];
	int k;

	for (i = 0; i < n && o + 8 < sizeof r->href; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '&' && (k = score_html_entity(v + i, n - i, &used, e)) > 0) {
			if ((unsigned char)e[0] > ' ') {
				memcpy(r->href + o, e, (size_t)k);
				o += (size_t)k;
			}
			i += used - 1;
			continue;
		}
		if (c <= ' ' || c == 0x7f)
			continue;
		r->href[o++] = (char)c;
	}
	r->hreflen = o;
}

/* Does the link text already show the target (the same address, case,
 * scheme, "mailto:" and a final '/' aside)? */
static int
text_shows(const char *t, size_t tn, const char *h, size_t hn)
{
	static const char *const pre[] = { "mailto:", "https://", "http://", NULL };
	const char *const *p;
	size_t i;

	while (tn && isspace((unsigned char)*t))
		t++, tn--;
	while (tn && isspace((unsigned char)t[tn - 1]))
		tn--;
	for (p = pre; *p; p++) {
		size_t l = strlen(*p);
		if (hn >= l && strncasecmp(h, *p, l) == 0) {
			h += l, hn -= l;
			if (tn >= l && strncasecmp(t, *p, l) == 0)
				t += l, tn -= l;
			break;
		}
	}
	while (hn && h[hn - 1] == '/')
		hn--;
	while (tn && t[tn - 1] == '/')
		tn--;
	if (hn != tn)
		return 0;
	for (i = 0; i < hn; i++)
		if (tolower((unsigned char)h[i]) != tolower((unsigned char)t[i]))
			return 0;
	return 1;
}

/* The link's text is over: its target beside it, unless shown already
 * or going nowhere (a fragment, javascript:, an empty target). */
static int
link_end(struct r *r)
{
	const char *t;
	size_t tn;

	if (!r->inlink)
		return 0;
	r->inlink = 0;
	if (r->hreflen == 0 || r->href[0] == '#' || r->hiddepth)
		return 0;
	r->st->links++;
	t = r->out->p ? r->out->p + r->linkstart : "";
	tn = r->out->len >= r->linkstart ? r->out->len - r->linkstart : 0;
	if (text_shows(t, tn, r->href, r->hreflen))
		return 0;
	r->st->shown++;
	if (r->nl == 0 && r->out->len && r->out->p[r->out->len - 1] != ' ' &&
	    put(r, " ", 1) == -1)
		return -1;
	r->space = 0;
	if (put(r, "<", 1) == -1 || put(r, r->href, r->hreflen) == -1 ||
	    put(r, ">", 1) == -1)
		return -1;
	r->rowtext = 1;
	return 0;
}

/* A list item's marker, indented by its level. */
static int
list_item(struct r *r)
{
	char m[32];
	size_t lv = r->nlist, k;
	int len;

	if (newline(r, 1) == -1)
		return -1;
	if (r->hiddepth)
		return 0;
	if (lv == 0) {
		len = snprintf(m, sizeof m, "* ");
	} else {
		struct list *l = &r->list[(lv <= HTML2TEXT_LISTS ? lv :
		    HTML2TEXT_LISTS) - 1];
		for (k = 1; k < lv && k < HTML2TEXT_LISTS; k++)
			if (put(r, "  ", 2) == -1)
				return -1;
		if (l->ordered)
			len = snprintf(m, sizeof m, "%u. ", ++l->n);
		else
			len = snprintf(m, sizeof m, "* ");
	}
	return put(r, m, (size_t)len);
}

/* A hidden element: its content is dropped up to its own end tag. */
static void
hide(struct r *r, const char *nm, size_t nl)
{
	r->st->hidden++;
	if (r->hiddepth || nl >= sizeof r->hid)
		return;
	memcpy(r->hid, nm, nl);
	r->hidlen = nl;
	r->hiddepth = 1;
}

/* One tag from '<' (r->i) past its '>'. */
static int
tag(struct r *r)
{
	const char *s = r->s, *nm;
	size_t n = r->n, i = r->i + 1, nl;
	struct attrs a;
	int close = 0;

	if (i < n && s[i] == '/')
		close = 1, i++;
	for (nm = s + i; i < n && (isalnum((unsigned char)s[i]) || s[i] == ':' ||
	    s[i] == '-'); i++)
		;
	nl = (size_t)(s + i - nm);
	i = attributes(r, i, &a);
	r->i = i < n ? i + 1 : n;
	/* raw text elements: their content is never text */
	if (!close && (name_is(nm, nl, "script") || name_is(nm, nl, "style") ||
	    name_is(nm, nl, "title") || name_is(nm, nl, "template") ||
	    name_is(nm, nl, "xml"))) {
		char end[16];
		snprintf(end, sizeof end, "</%.*s", (int)nl, nm);
		skip_past(r, end);
		skip_past(r, ">");
		return 0;
	}
	if (r->hiddepth) {
		if (nl == r->hidlen && strncasecmp(nm, r->hid, nl) == 0 &&
		    !name_in(nm, nl, voids)) {
			if (close)
				r->hiddepth--;
			else if (r->hiddepth < 100000)
				r->hiddepth++;
		}
		return 0;
	}
	if (!close && a.hidden) {
		if (!name_in(nm, nl, voids))
			hide(r, nm, nl);
		else
			r->st->hidden++;
		return 0;
	}
	if (name_is(nm, nl, "a")) {
		if (link_end(r) == -1)
			return -1;
		if (!close && a.href) {
			set_href(r, a.href, a.hreflen);
			r->inlink = 1;
			if (r->space && r->nl == 0 && r->out->len &&
			    put(r, " ", 1) == -1)
				return -1;
			r->space = 0;
			r->linkstart = r->out->len;
		}
		return 0;
	}
	if (name_is(nm, nl, "br"))
		return r->out->len == 0 ? 0 : buf_addc(r->out, '\n') == -1 ? -1 :
		    (r->nl = r->nl < 2 ? r->nl + 1 : 2, r->space = 0, 0);
	if (name_is(nm, nl, "img")) {
		if (!close && a.alt && a.altlen) {
			if (chars(r, "[", 1) == -1 || chars(r, a.alt, a.altlen) == -1 ||
			    text(r, "]", 1) == -1)
				return -1;
		}
		return 0;
	}
	if (name_is(nm, nl, "hr")) {
		if (newline(r, 1) == -1 || put(r, "----------", 10) == -1)
			return -1;
		return newline(r, 1);
	}
	if (name_is(nm, nl, "ul") || name_is(nm, nl, "ol")) {
		if (close) {
			if (r->nlist)
				r->nlist--;
		} else {
			if (r->nlist < HTML2TEXT_LISTS) {
				r->list[r->nlist].ordered = name_is(nm, nl, "ol");
				r->list[r->nlist].n = 0;
			}
			if (r->nlist < 100000)
				r->nlist++;
		}
		return newline(r, r->nlist ? 1 : 2);
	}
	if (name_is(nm, nl, "li"))
		return close ? newline(r, 1) : list_item(r);
	if (name_is(nm, nl, "td") || name_is(nm, nl, "th")) {
		if (!close && r->rowtext && r->nl == 0) {
			r->space = 0;
			return put(r, " | ", 3);
		}
		r->space = 1;
		return 0;
	}
	if (name_is(nm, nl, "tr"))
		r->rowtext = 0;
	if (name_is(nm, nl, "pre"))
		r->pre = !close;
	if (name_in(nm, nl, para))
		return newline(r, 2);
	if (name_in(nm, nl, block))
		return newline(r, 1);
	return 0;
}

/* Render s[0..n) (UTF-8 HTML) to text appended to out (best empty: the
 * renderer trims the white space it ends on), what it did in *st.  0,
 * or -1 when out of memory. */
int
html2text(const char *s, size_t n, struct buf *out,
    struct html2text_stats *st)
{
	struct r r;
	size_t start;

	memset(&r, 0, sizeof r);
	memset(st, 0, sizeof *st);
	r.s = s;
	r.n = n;
	r.out = out;
	r.st = st;
	start = out->len;
	while (r.i < n) {
		size_t t = r.i;
		while (t < n && s[t] != '<')
			t++;
		if (chars(&r, s + r.i, t - r.i) == -1)
			return -1;
		r.i = t;
		if (t >= n)
			break;
		if (t + 1 < n && s[t + 1] == '!') {
			if (t + 3 < n && s[t + 2] == '-' && s[t + 3] == '-') {
				r.i = t + 4;
				skip_past(&r, "-->");
			} else {
				r.i = t + 2;
				skip_past(&r, ">");
			}
			continue;
		}
		if (t + 1 < n && s[t + 1] == '?') {
			r.i = t + 2;
			skip_past(&r, ">");
			continue;
		}
		/* '<' not opening a tag is text, as browsers read it */
		if (t + 1 >= n || !(isalpha((unsigned char)s[t + 1]) ||
		    (s[t + 1] == '/' && t + 2 < n &&
		    isalpha((unsigned char)s[t + 2])))) {
			if (text(&r, "<", 1) == -1)
				return -1;
			r.i = t + 1;
			continue;
		}
		if (tag(&r) == -1)
			return -1;
	}
	if (link_end(&r) == -1)
		return -1;
	/* one line end closes the text */
	while (out->len > start && (out->p[out->len - 1] == '\n' ||
	    out->p[out->len - 1] == ' '))
		out->len--;
	if (out->len > start && buf_addc(out, '\n') == -1)
		return -1;
	return 0;
}
