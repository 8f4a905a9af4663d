/* addr: RFC 5322 address lists and RFC 5321 paths (see addr.h).  Input is
 * header text from strangers: a tokenizer with bounded state, then a small
 * grammar over tokens; nothing recurses on the input's nesting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "hdr.h"

enum tok_kind { T_ATOM, T_QUOTED, T_LITERAL, T_SPECIAL };

struct tok {
	enum tok_kind kind;
	int           c;        /* the special character */
	size_t        off, len; /* raw place in the input */
	struct buf    text;     /* value: unquoted text */
	int           ws_before;
};

/* A comment's text in toks.comments, and slot: how many tokens came
 * before it, which says whose comment it is. */
struct cmt {
	size_t slot, off, len;
};

struct toks {
	struct tok *t;
	size_t      n, cap;
	struct buf  comments;
	struct cmt *c;
	size_t      nc, ccap;
	unsigned    flags;
};

static int
is_special(int c)
{
	return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' ||
	    c == ':' || c == '.' || c == '"' || c == '(' || c == ')' ||
	    c == '[' || c == ']' || c == '\\';
}

static struct tok *
tok_new(struct toks *ts, enum tok_kind k, size_t off, int ws)
{
	struct tok *t;

	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 16;
		struct tok *nt = reallocarray(ts->t, cap, sizeof *nt);
		if (nt == NULL)
			return NULL;
		ts->t = nt;
		ts->cap = cap;
	}
	t = &ts->t[ts->n++];
	memset(t, 0, sizeof *t);
	t->kind = k;
	t->off = off;
	t->ws_before = ws;
	return t;
}

static void
toks_free(struct toks *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		buf_free(&ts->t[i].text);
	free(ts->t);
	free(ts->c);
	buf_free(&ts->comments);
	memset(ts, 0, sizeof *ts);
}

static int
cmt_new(struct toks *ts, size_t off)
{
	if (ts->nc == ts->ccap) {
		size_t cap = ts->ccap ? ts->ccap * 2 : 8;
		struct cmt *nc = reallocarray(ts->c, cap, sizeof *nc);
		if (nc == NULL)
			return -1;
		ts->c = nc;
		ts->ccap = cap;
	}
	ts->c[ts->nc].slot = ts->n;
	ts->c[ts->nc].off = off;
	ts->c[ts->nc++].len = 0;
	return 0;
}

/* Split s into tokens; comments are collected aside (they are CFWS and
 * separate nothing but words).  Quoted pairs are unescaped. */
static int
tokenize(const char *s, size_t n, struct toks *ts)
{
	size_t i;
	int ws = 0;

	/* Control and 8-bit bytes anywhere, quoted strings and comments
	 * included: a NUL in a display name would cut it short wherever it is
	 * used as a C string. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
			ts->flags |= ADDR_NUL;
		else if (c >= 0x80)
			ts->flags |= ADDR_8BIT;
	}
	i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		struct tok *t;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			ws = 1;
			i++;
			continue;
		}
		if (c == '(') {
			/* nested comments, iteratively */
			int depth = 0;
			size_t start = ts->comments.len;
			if (cmt_new(ts, start) == -1)
				return -1;
			for (; i < n; i++) {
				if (s[i] == '\\' && i + 1 < n) {
					if (buf_addc(&ts->comments, s[++i]) == -1)
						return -1;
					continue;
				}
				if (s[i] == '(' && depth++ == 0)
					continue;
				if (s[i] == ')' && --depth == 0)
					break;
				if (buf_addc(&ts->comments, s[i]) == -1)
					return -1;
			}
			if (i >= n)
				ts->flags |= ADDR_UNCLOSED;
			ts->c[ts->nc - 1].len = ts->comments.len - start;
			i++;
			ws = 1;
			continue;
		}
		if (c == ')') {
			ts->flags |= ADDR_JUNK;
			i++;
			continue;
		}
		if (c == '"') {
			if ((t = tok_new(ts, T_QUOTED, i, ws)) == NULL)
				return -1;
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				if (s[i] == '\r' || s[i] == '\n')
					continue;
				if (buf_addc(&t->text, s[i]) == -1)
					return -1;
			}
			if (i >= n)
				ts->flags |= ADDR_UNCLOSED;
			if (buf_grow(&t->text, 0) == -1)
				return -1;
			i++;
			t->len = (i > n ? n : i) - t->off;
			ws = 0;
			continue;
		}
		if (c == '[') {
			if ((t = tok_new(ts, T_LITERAL, i, ws)) == NULL)
				return -1;
			for (; i < n && s[i] != ']'; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				if (buf_addc(&t->text, s[i]) == -1)
					return -1;
			}
			if (i >= n)
				ts->flags |= ADDR_UNCLOSED;
			else if (buf_addc(&t->text, ']') == -1)
				return -1;
			i++;
			t->len = (i > n ? n : i) - t->off;
			ws = 0;
			continue;
		}
		if (is_special(c) && c != '\\') {
			if ((t = tok_new(ts, T_SPECIAL, i, ws)) == NULL)
				return -1;
			t->c = c;
			t->len = 1;
			if (buf_addc(&t->text, c) == -1)
				return -1;
			i++;
			ws = 0;
			continue;
		}
		if ((t = tok_new(ts, T_ATOM, i, ws)) == NULL)
			return -1;
		while (i < n) {
			c = (unsigned char)s[i];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
			    (is_special(c) && c != '\\'))
				break;
			if (c == '\\' && i + 1 < n) {
				ts->flags |= ADDR_JUNK;
				i++;
			}
			if (buf_addc(&t->text, s[i]) == -1)
				return -1;
			i++;
		}
		t->len = i - t->off;
		ws = 0;
	}
	return 0;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Join tokens [a, b) as a phrase: words separated by one space where the
 * input had white space; then RFC 2047-decode. */
static char *
phrase(struct toks *ts, size_t a, size_t b, unsigned *flags)
{
	struct buf raw = BUF_INIT, dec = BUF_INIT;
	size_t i;
	char *r;

	for (i = a; i < b; i++) {
		if (i > a && ts->t[i].ws_before && buf_addc(&raw, ' ') == -1)
			goto fail;
		if (buf_add(&raw, ts->t[i].text.p ? ts->t[i].text.p : "",
		    ts->t[i].text.len) == -1)
			goto fail;
	}
	if (raw.len && memmem(raw.p, raw.len, "=?", 2))
		*flags |= ADDR_ENCODED;
	if (hdr_decode_2047(raw.p ? raw.p : "", raw.len, &dec) == -1)
		goto fail;
	r = xstrndup(dec.p ? dec.p : "", dec.len);
	buf_free(&raw);
	buf_free(&dec);
	return r;
fail:
	buf_free(&raw);
	buf_free(&dec);
	return NULL;
}

/* Tokens [a, b) as an addr-spec: local "@" domain.  The split is at the
 * last "@" (what most clients do); more than one "@" outside quotes is
 * marked ambiguous. */
static int
addr_spec(struct toks *ts, size_t a, size_t b, struct addr *ad)
{
	struct buf loc = BUF_INIT, dom = BUF_INIT;
	size_t i, at = b, nat = 0;
	int rc = -1;

	for (i = a; i < b; i++)
		if (ts->t[i].kind == T_SPECIAL && ts->t[i].c == '@') {
			at = i;
			nat++;
		}
	if (nat > 1)
		ad->flags |= ADDR_AMBIGUOUS;
	if (nat == 0)
		ad->flags |= ADDR_NODOMAIN;
	for (i = a; i < at; i++) {
		struct tok *t = &ts->t[i];
		if (t->kind == T_QUOTED)
			ad->flags |= ADDR_QUOTEDLOCAL;
		if (t->ws_before && i > a && t->kind != T_SPECIAL &&
		    ts->t[i - 1].kind != T_SPECIAL)
			ad->flags |= ADDR_AMBIGUOUS; /* "john smith@x" */
		if (t->kind == T_SPECIAL && t->c != '.' && t->c != '@')
			ad->flags |= ADDR_JUNK;
		if (buf_add(&loc, t->text.p ? t->text.p : "", t->text.len) == -1)
			goto out;
	}
	for (i = at + 1; i < b; i++) {
		struct tok *t = &ts->t[i];
		if (t->kind == T_LITERAL)
			ad->flags |= ADDR_LITERAL;
		if (t->kind == T_QUOTED ||
		    (t->kind == T_SPECIAL && t->c != '.'))
			ad->flags |= ADDR_JUNK;
		if (t->ws_before && i > at + 1 && t->kind != T_SPECIAL &&
		    ts->t[i - 1].kind != T_SPECIAL)
			ad->flags |= ADDR_AMBIGUOUS;
		if (buf_add(&dom, t->text.p ? t->text.p : "", t->text.len) == -1)
			goto out;
	}
	if (memmem(loc.p ? loc.p : "", loc.len, "=?", 2) ||
	    memmem(dom.p ? dom.p : "", dom.len, "=?", 2))
		ad->flags |= ADDR_ENCODED;
	if (memchr(loc.p ? loc.p : "", '\0', loc.len) ||
	    memchr(dom.p ? dom.p : "", '\0', dom.len))
		ad->flags |= ADDR_NUL;
	ad->local = xstrndup(loc.p ? loc.p : "", loc.len);
	ad->domain = xstrndup(dom.p ? dom.p : "", dom.len);
	rc = ad->local && ad->domain ? 0 : -1;
out:
	buf_free(&loc);
	buf_free(&dom);
	return rc;
}

/* The comments of the address made of tokens [a, e), e being the
 * separator after it: those after the separator before it and up to e,
 * joined by spaces; NULL in *out when there are none. */
static int
comments_of(const struct toks *ts, size_t a, size_t e, char **out)
{
	struct buf b = BUF_INIT;
	size_t k;

	*out = NULL;
	for (k = 0; k < ts->nc; k++) {
		if (ts->c[k].slot < a || ts->c[k].slot > e || ts->c[k].len == 0)
			continue;
		if ((b.len && buf_addc(&b, ' ') == -1) ||
		    buf_add(&b, ts->comments.p + ts->c[k].off, ts->c[k].len) == -1) {
			buf_free(&b);
			return -1;
		}
	}
	if (b.len)
		*out = b.p;   /* the buf's bytes are NUL-terminated */
	else
		buf_free(&b);
	return 0;
}

static struct addr *
list_new(struct addr_list *l)
{
	struct addr *a;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct addr *na = reallocarray(l->a, cap, sizeof *na);
		if (na == NULL)
			return NULL;
		l->a = na;
		l->cap = cap;
	}
	a = &l->a[l->n++];
	memset(a, 0, sizeof *a);
	return a;
}

/* One mailbox from tokens [a, b): "phrase <route:spec>" or "spec". */
static int
mailbox(struct toks *ts, size_t a, size_t b, struct addr *ad)
{
	size_t i, lt = b, gt = b, spec;

	for (i = a; i < b; i++)
		if (ts->t[i].kind == T_SPECIAL && ts->t[i].c == '<') {
			if (lt != b)
				ad->flags |= ADDR_AMBIGUOUS; /* two "<" */
			else
				lt = i;
		}
	if (lt == b)
		return addr_spec(ts, a, b, ad);
	for (i = lt + 1; i < b; i++)
		if (ts->t[i].kind == T_SPECIAL && ts->t[i].c == '>') {
			gt = i;
			break;
		}
	if (gt == b)
		ad->flags |= ADDR_UNCLOSED;
	else if (gt + 1 < b)
		ad->flags |= ADDR_JUNK; /* text after '>' */
	if ((ad->display = phrase(ts, a, lt, &ad->flags)) == NULL)
		return -1;
	/* obs-route: "@a,@b:" before the addr-spec (RFC 5322 4.4) */
	spec = lt + 1;
	for (i = spec; i < gt; i++)
		if (ts->t[i].kind == T_SPECIAL && ts->t[i].c == ':') {
			if (ts->t[spec].kind == T_SPECIAL && ts->t[spec].c == '@') {
				ad->flags |= ADDR_ROUTE;
				spec = i + 1;
			}
			break;
		}
	if (gt - spec == 0) {
		ad->local = xstrndup("", 0);
		ad->domain = xstrndup("", 0);
		ad->flags |= ADDR_NULLPATH;
		return ad->local && ad->domain ? 0 : -1;
	}
	return addr_spec(ts, spec, gt, ad);
}

/* Parse an address list (the value of From, To, Cc, Reply-To, Sender...).
 * Returns 0 (possibly with no addresses), or -1 when memory runs out.
 * More than ADDR_MAX addresses: the rest are dropped and the list is
 * marked ADDR_JUNK. */
int
addr_parse_list(const char *s, size_t n, struct addr_list *l)
{
	struct toks ts;
	size_t i = 0, start;
	char *group = NULL;
	int rc = -1;

	memset(l, 0, sizeof *l);
	memset(&ts, 0, sizeof ts);
	if (tokenize(s, n, &ts) == -1)
		goto out;
	while (i < ts.n) {
		int angle = 0;
		size_t e;
		struct addr *ad;

		start = i;
		/* one mailbox, or a group's display name up to ':' */
		for (e = i; e < ts.n; e++) {
			struct tok *t = &ts.t[e];
			if (t->kind != T_SPECIAL)
				continue;
			if (t->c == '<')
				angle = 1;
			else if (t->c == '>')
				angle = 0;
			else if (!angle && (t->c == ',' || t->c == ';'))
				break;
			else if (!angle && t->c == ':' && group == NULL)
				break;
		}
		if (e < ts.n && ts.t[e].c == ':' && !angle) {
			free(group);
			if ((group = phrase(&ts, start, e, &l->flags)) == NULL)
				goto out;
			i = e + 1;
			continue;
		}
		if (e < ts.n && ts.t[e].c == ';') {
			if (group == NULL)
				l->flags |= ADDR_JUNK;
		}
		if (e > start) {
			if (l->n >= ADDR_MAX) {
				l->flags |= ADDR_JUNK;
				break;
			}
			if ((ad = list_new(l)) == NULL)
				goto out;
			if (mailbox(&ts, start, e, ad) == -1)
				goto out;
			if (comments_of(&ts, start, e, &ad->comment) == -1)
				goto out;
			if (group && (ad->group = strdup(group)) == NULL)
				goto out;
			l->flags |= ad->flags;
		}
		if (e < ts.n && ts.t[e].c == ';') {
			free(group);
			group = NULL;
		}
		i = e + 1;
	}
	if (group != NULL)
		l->flags |= ADDR_UNCLOSED;
	l->flags |= ts.flags;
	for (i = 0; i < l->n; i++)
		l->a[i].flags |= ts.flags & (ADDR_NUL | ADDR_8BIT | ADDR_UNCLOSED);
	rc = 0;
out:
	free(group);
	toks_free(&ts);
	if (rc == -1)
		addr_list_free(l);
	return rc;
}

void
addr_free(struct addr *a)
{
	free(a->display);
	free(a->local);
	free(a->domain);
	free(a->comment);
	free(a->group);
	memset(a, 0, sizeof *a);
}

void
addr_list_free(struct addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		addr_free(&l->a[i]);
	free(l->a);
	memset(l, 0, sizeof *l);
}

/* Parse an RFC 5321 path as SMTP or qmail's SENDER carry it: "<x@y>",
 * "<@a,@b:x@y>", "<>", or the bare "x@y" of the environment.  Strict:
 * -1 with EINVAL for anything RFC 5321 4.1.2 does not allow. */
int
addr_parse_path(const char *s, size_t n, struct addr *ad)
{
	struct addr_list l;
	int bracket = n > 0 && s[0] == '<';

	memset(ad, 0, sizeof *ad);
	if (bracket && (n < 2 || s[n - 1] != '>')) {
		errno = EINVAL;
		return -1;
	}
	if (bracket && n == 2) {
		ad->local = strdup("");
		ad->domain = strdup("");
		ad->flags = ADDR_NULLPATH;
		return ad->local && ad->domain ? 0 : -1;
	}
	if (n == 0) {
		ad->local = strdup("");
		ad->domain = strdup("");
		ad->flags = ADDR_NULLPATH;
		return ad->local && ad->domain ? 0 : -1;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '(' ||
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			errno = EINVAL; /* no CFWS in SMTP paths */
			return -1;
		}
	if (addr_parse_list(s, n, &l) == -1)
		return -1;
	/* RFC 5321 4.1.2: no display name in either form, and a Local-part
	 * is at least one atom unless it is a quoted string */
	if (l.n != 1 || (l.flags & (ADDR_AMBIGUOUS | ADDR_JUNK | ADDR_UNCLOSED |
	    ADDR_NUL | ADDR_NODOMAIN)) || (l.a[0].display &&
	    l.a[0].display[0]) || l.a[0].domain[0] == '\0' ||
	    (l.a[0].local[0] == '\0' && !(l.a[0].flags & ADDR_QUOTEDLOCAL))) {
		addr_list_free(&l);
		errno = EINVAL;
		return -1;
	}
	*ad = l.a[0];
	free(ad->display);
	ad->display = NULL;
	free(l.a);
	return 0;
}

/* Normalise a domain for comparison: ASCII lower case, one trailing dot
 * dropped.  -1 (ENAMETOOLONG) if it does not fit. */
int
addr_domain_norm(const char *d, char *out, size_t outsize)
{
	size_t n = strlen(d), i;

	if (n && d[n - 1] == '.')
		n--;
	if (n + 1 > outsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	out[n] = '\0';
	return 0;
}

/* Equal after normalisation? */
int
addr_domain_eq(const char *a, const char *b)
{
	char na[256], nb[256];

	if (addr_domain_norm(a, na, sizeof na) == -1 ||
	    addr_domain_norm(b, nb, sizeof nb) == -1)
		return 0;
	return strcmp(na, nb) == 0;
}

/* Is domain in the list?  Entries are domains ("example.com") or, as in
 * qmail's rcpthosts, ".example.com" for every subdomain of it. */
int
addr_domain_in(const char *domain, char *const *list, size_t n)
{
	char d[256], e[256];
	size_t i, dl, el;

	if (addr_domain_norm(domain, d, sizeof d) == -1 || d[0] == '\0')
		return 0;
	dl = strlen(d);
	for (i = 0; i < n; i++) {
		if (addr_domain_norm(list[i], e, sizeof e) == -1 || e[0] == '\0')
			continue;
		el = strlen(e);
		if (e[0] == '.') {
			if (dl > el && strcmp(d + dl - el, e) == 0)
				return 1;
		} else if (strcmp(d, e) == 0)
			return 1;
	}
	return 0;
}

static int
dchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c >= 0x80;
}

/* Find the next "something@domain" in free text (a display name, a
 * subject) from *start; the domain goes into dom.  Returns 1 when found
 * (and moves *start past it), 0 when not. */
size_t
addr_scan_text(const char *s, size_t n, size_t *start, struct buf *dom)
{
	size_t i;

	for (i = *start; i < n; i++) {
		size_t e;
		if (s[i] != '@' || i == 0 || s[i - 1] == ' ')
			continue;
		for (e = i + 1; e < n && dchar((unsigned char)s[e]); e++)
			;
		while (e > i + 1 && s[e - 1] == '.')
			e--;
		if (e > i + 1 && memchr(s + i + 1, '.', e - i - 1)) {
			buf_reset(dom);
			if (buf_add(dom, s + i + 1, e - i - 1) == -1)
				return 0;
			*start = e;
			return 1;
		}
	}
	*start = n;
	return 0;
}
