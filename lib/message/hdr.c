/* hdr: RFC 5322 header fields (see hdr.h).  Input is untrusted message
 * bytes; every loop is bounded by the section's length and the limits. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"
#include "hdr.h"

static int
add_field(struct hdr *h, const struct hdr_field *f)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 32;
		struct hdr_field *nf = reallocarray(h->f, cap, sizeof *nf);
		if (nf == NULL)
			return -1;
		h->f = nf;
		h->cap = cap;
	}
	h->f[h->n++] = *f;
	return 0;
}

/* Is this a field name RFC 5322 3.6.8 allows (printable ASCII, no colon)? */
int
hdr_valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 ||
		    s[i] == ':')
			return 0;
	return 1;
}

/* Flags for the bytes of one physical line. */
static unsigned
line_flags(const char *p, size_t n)
{
	unsigned fl = 0;
	size_t i, body = n;

	if (body && p[body - 1] == '\n')
		body--;
	if (body && p[body - 1] == '\r')
		body--;
	if (body > 998)
		fl |= HDR_LONGLINE;
	for (i = 0; i < body; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == 0)
			fl |= HDR_NUL;
		else if (c >= 0x80)
			fl |= HDR_8BIT;
		else if (c == '\r')
			fl |= HDR_BARECR;
	}
	return fl;
}

/* Describe the name part of a field that starts at p (length n, the first
 * physical line).  Fills name_len, val_off (relative) and flags. */
static void
field_name(const char *p, size_t n, struct hdr_field *f)
{
	const char *colon = memchr(p, ':', n);
	size_t nl;

	if (colon == NULL) {
		f->flags |= HDR_NOCOLON;
		f->name_len = 0;
		f->val_off = 0;
		return;
	}
	nl = (size_t)(colon - p);
	f->val_off = nl + 1;
	while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t')) {
		nl--;
		f->flags |= HDR_OBSNAME;
	}
	f->name_len = nl;
	if (!hdr_valid_name(p, nl))
		f->flags |= HDR_BADNAME;
}

/* Parse the header section base[off, off+len) into h.  Limits reached are
 * flags on h, not errors: what was parsed stays usable and the caller
 * decides.  Returns -1 only when memory runs out. */
int
hdr_parse(struct hdr *h, const char *base, size_t off, size_t len,
    const struct hdr_limits *lim)
{
	size_t max_fields = lim && lim->max_fields ? lim->max_fields : HDR_MAX_FIELDS;
	size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : HDR_MAX_BYTES;
	size_t i = off, end = off + len;
	struct hdr_field cur;
	int open = 0;

	memset(h, 0, sizeof *h);
	h->base = base;
	if (len > max_bytes) {
		h->flags |= HDR_TOOBIG;
		end = off + max_bytes;
	}
	while (i < end) {
		const char *nl = memchr(base + i, '\n', end - i);
		size_t ll = nl ? (size_t)(nl - (base + i)) + 1 : end - i;
		int cont = base[i] == ' ' || base[i] == '\t';

		if (cont && open) {
			cur.len += ll;
			cur.flags |= line_flags(base + i, ll);
		} else {
			if (open && add_field(h, &cur) == -1)
				return -1;
			if (h->n >= max_fields) {
				h->flags |= HDR_TOOMANY;
				open = 0;
				break;
			}
			memset(&cur, 0, sizeof cur);
			cur.off = i;
			cur.len = ll;
			cur.flags = line_flags(base + i, ll);
			if (cont) /* a continuation with nothing to continue */
				cur.flags |= HDR_NOCOLON;
			else
				field_name(base + i, ll, &cur);
			cur.val_off += i;
			open = 1;
		}
		i += ll;
	}
	if (open && add_field(h, &cur) == -1)
		return -1;
	for (i = 0; i < h->n; i++) {
		struct hdr_field *f = &h->f[i];
		size_t e = f->off + f->len;
		if (e > f->off && base[e - 1] == '\n')
			e--;
		if (e > f->off && base[e - 1] == '\r')
			e--;
		if (f->flags & HDR_NOCOLON)
			f->val_off = f->off;
		if (f->val_off > e)
			f->val_off = e;
		f->val_len = e - f->val_off;
		h->flags |= f->flags;
	}
	return 0;
}

void
hdr_free(struct hdr *h)
{
	free(h->f);
	memset(h, 0, sizeof *h);
}

/* Does field i have this name (ASCII case-insensitive)? */
int
hdr_name_is(const struct hdr *h, size_t i, const char *name)
{
	size_t n = strlen(name);

	/* a line without colon has no name, not the empty one */
	return n > 0 && h->f[i].name_len == n && strncasecmp(h->base + h->f[i].off, name, n) == 0;
}

/* Index of the first field named name at or after from, or -1. */
long
hdr_find(const struct hdr *h, const char *name, size_t from)
{
	size_t i;

	for (i = from; i < h->n; i++)
		if (hdr_name_is(h, i, name))
			return (long)i;
	return -1;
}

size_t
hdr_count(const struct hdr *h, const char *name)
{
	size_t i, c = 0;

	for (i = 0; i < h->n; i++)
		c += hdr_name_is(h, i, name);
	return c;
}

/* The value of field i unfolded (RFC 5322 2.2.3: a line end followed by
 * white space is removed), appended to out. */
int
hdr_unfold(const struct hdr *h, size_t i, struct buf *out)
{
	const char *p = h->base + h->f[i].val_off;
	size_t n = h->f[i].val_len, j, start = 0;

	for (j = 0; j < n; j++) {
		if (p[j] != '\n')
			continue;
		{
			size_t e = j;
			if (e > start && p[e - 1] == '\r')
				e--;
			if (buf_add(out, p + start, e - start) == -1)
				return -1;
			start = j + 1;
		}
	}
	return buf_add(out, p + start, n - start);
}

/* The unfolded value with surrounding white space trimmed, into out
 * (which is emptied first). */
int
hdr_value(const struct hdr *h, size_t i, struct buf *out)
{
	size_t a = 0, b;

	buf_reset(out);
	if (hdr_unfold(h, i, out) == -1)
		return -1;
	b = out->len;
	while (a < b && (out->p[a] == ' ' || out->p[a] == '\t'))
		a++;
	while (b > a && (out->p[b - 1] == ' ' || out->p[b - 1] == '\t' ||
	    out->p[b - 1] == '\r'))
		b--;
	memmove(out->p, out->p + a, b - a);
	out->len = b - a;
	out->p[out->len] = '\0';
	return 0;
}

/* ---- RFC 2047 ---- */

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Decode the text of a B or Q encoded word into raw bytes. */
static int
ew_decode(int enc, const char *s, size_t n, struct buf *raw)
{
	size_t i;

	if (enc == 'Q' || enc == 'q') {
		for (i = 0; i < n; i++) {
			int c = (unsigned char)s[i];
			if (c == '_')
				c = ' ';
			else if (c == '=' && i + 2 < n &&
			    ascii_hex(s[i + 1]) >= 0 &&
			    ascii_hex(s[i + 2]) >= 0) {
				c = ascii_hex(s[i + 1]) * 16 +
				    ascii_hex(s[i + 2]);
				i += 2;
			}
			if (buf_addc(raw, c) == -1)
				return -1;
		}
		return 0;
	}
	{
		unsigned acc = 0;
		int bits = 0;
		for (i = 0; i < n; i++) {
			int v = b64val((unsigned char)s[i]);
			if (v < 0)
				continue; /* lenient: padding and junk skipped */
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (buf_addc(raw, (int)((acc >> bits) & 0xff)) == -1)
					return -1;
			}
		}
	}
	return 0;
}

/* Is p[0..n) valid UTF-8? */
static int
utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t k;
		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) k = 1;
		else if (c >= 0xe0 && c <= 0xef) k = 2;
		else if (c >= 0xf0 && c <= 0xf4) k = 3;
		else return 0;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}

/* Append bytes as UTF-8: valid UTF-8 as it is, anything else read as
 * Latin-1 (the most common undeclared 8-bit charset in headers). */
static int
add_utf8(struct buf *out, const char *p, size_t n)
{
	size_t i;

	if (utf8_valid((const unsigned char *)p, n))
		return buf_add(out, p, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x80) {
			if (buf_addc(out, c) == -1)
				return -1;
		} else if (buf_addc(out, 0xc0 | (c >> 6)) == -1 ||
		    buf_addc(out, 0x80 | (c & 0x3f)) == -1)
			return -1;
	}
	return 0;
}

/* The charset iconv is to be asked for: "UTF-16" or "UTF-32" without a
 * byte order mark is big-endian (RFC 2781 4.3), where glibc would take
 * the machine's order and turn "file.zip" into CJK. */
const char *
hdr_charset_bom(const char *cs, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	if (strcasecmp(cs, "utf-16") == 0 && !(n >= 2 &&
	    ((u[0] == 0xfe && u[1] == 0xff) || (u[0] == 0xff && u[1] == 0xfe))))
		return "UTF-16BE";
	if (strcasecmp(cs, "utf-32") == 0 && !(n >= 4 &&
	    ((u[0] == 0 && u[1] == 0 && u[2] == 0xfe && u[3] == 0xff) ||
	    (u[0] == 0xff && u[1] == 0xfe && u[2] == 0 && u[3] == 0))))
		return "UTF-32BE";
	return cs;
}

/* Convert raw bytes in charset cs to UTF-8 with iconv; an unknown charset
 * or bytes it cannot convert fall back to add_utf8. */
static int
to_utf8(const char *cs, const struct buf *raw, struct buf *out)
{
	iconv_t cd;
	char *in, *o;
	size_t inl, ol, room, r;

	if (raw->len == 0)
		return 0;
	if (strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "utf8") == 0)
		return add_utf8(out, raw->p, raw->len);
	if ((cd = iconv_open("UTF-8", hdr_charset_bom(cs, raw->p, raw->len))) ==
	    (iconv_t)-1)
		return add_utf8(out, raw->p, raw->len);
	room = raw->len * 4 + 16;
	if (buf_grow(out, room) == -1) {
		iconv_close(cd);
		return -1;
	}
	in = raw->p;
	inl = raw->len;
	o = out->p + out->len;
	ol = room;
	r = iconv(cd, &in, &inl, &o, &ol);
	iconv_close(cd);
	/* Some glibc converters (odd aliases such as a bare "8") emit bytes
	 * that are not UTF-8; what we hand on must be, so check. */
	if (r == (size_t)-1 || !utf8_valid((const unsigned char *)out->p +
	    out->len, room - ol))
		return add_utf8(out, raw->p, raw->len);
	out->len += room - ol;
	out->p[out->len] = '\0';
	return 0;
}

/* RFC 2047 allows 75 octets per encoded word; mailers that break that
 * still keep to the 998-octet line.  Without a bound, every "=?" in a
 * 256 KB field would scan to its end: minutes of CPU per message. */
#define EW_MAX 998

/* Try to read one encoded word "=?cs?e?text?=" at s[0..n); returns its
 * length, or 0 when s does not start with a well-formed one. */
static size_t
ew_scan(const char *s, size_t n, char *cs, size_t cssize, int *enc,
    const char **text, size_t *textlen)
{
	size_t i = 2, csl;
	const char *q;

	if (n > EW_MAX)
		n = EW_MAX;
	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	while (i < n && s[i] != '?' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
		i++;
	if (i >= n || s[i] != '?' || i == 2)
		return 0;
	csl = i - 2;
	if (csl >= cssize)
		return 0;
	memcpy(cs, s + 2, csl);
	cs[csl] = '\0';
	/* RFC 2231 section 5: "charset*language" */
	if ((q = memchr(cs, '*', csl)) != NULL)
		cs[q - cs] = '\0';
	if (i + 3 >= n || s[i + 2] != '?')
		return 0;
	*enc = s[i + 1];
	if (*enc != 'B' && *enc != 'b' && *enc != 'Q' && *enc != 'q')
		return 0;
	i += 3;
	*text = s + i;
	while (i + 1 < n && !(s[i] == '?' && s[i + 1] == '=')) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			return 0;
		i++;
	}
	if (i + 1 >= n)
		return 0;
	*textlen = (size_t)(s + i - *text);
	return i + 2;
}

/* Replace every NUL in out from byte from on by U+FFFD, as readers show
 * it: the decoded text is used as a C string (display names), where a NUL
 * would hide what follows it from every check. */
static int
nul_to_fffd(struct buf *out, size_t from)
{
	struct buf t = BUF_INIT;
	size_t i;
	int rc = -1;

	if (out->len <= from || memchr(out->p + from, '\0', out->len - from) == NULL)
		return 0;
	for (i = from; i < out->len; i++)
		if ((out->p[i] == '\0' ? buf_adds(&t, "\xef\xbf\xbd") :
		    buf_addc(&t, out->p[i])) == -1)
			goto out;
	out->len = from;
	rc = buf_add(out, t.p, t.len);
out:
	buf_free(&t);
	return rc;
}

/* Is s[0..n) only white space (the gap between two encoded words)? */
static int
all_ws(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

/* Decode the RFC 2047 encoded words in s[0..n) and append the result to
 * out as UTF-8 with no NUL in it.  White space between two encoded words
 * is dropped (RFC 2047 section 6.2); anything not a well-formed encoded
 * word is kept as it is (and made UTF-8).  Encoded words inside quoted
 * strings and words are decoded too, as common mail clients do: what
 * matters for matching is what a reader is shown. */
int
hdr_decode_2047(const char *s, size_t n, struct buf *out)
{
	struct buf raw = BUF_INIT;
	size_t i = 0, lit = 0, from = out->len;
	int last_ew = 0, rc = -1;

	while (i < n) {
		char cs[64];
		int enc;
		const char *text;
		size_t tl, w;

		if (s[i] != '=' || (w = ew_scan(s + i, n - i, cs, sizeof cs, &enc,
		    &text, &tl)) == 0) {
			i++;
			continue;
		}
		if (!(last_ew && all_ws(s + lit, i - lit)) &&
		    add_utf8(out, s + lit, i - lit) == -1)
			goto out;
		buf_reset(&raw);
		if (ew_decode(enc, text, tl, &raw) == -1 ||
		    to_utf8(cs, &raw, out) == -1)
			goto out;
		i += w;
		lit = i;
		last_ew = 1;
	}
	if (add_utf8(out, s + lit, n - lit) == -1 || nul_to_fffd(out, from) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&raw);
	return rc;
}
