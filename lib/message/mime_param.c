/* mime_param: the parameters of Content-Type and Content-Disposition
 * (RFC 2045 5.1, RFC 2231, RFC 2047 words where clients decode them) and
 * every other reading a client might take of a malformed one (see
 * mime_param_readings); names compared as the file they save as.  Input
 * is a stranger's header value: every loop is bounded by its bytes, every
 * value by MIME_PARAM_MAX, RFC 2231 sections by MIME_PARAM_SEGS.  Runs
 * under any uid. */
#include <iconv.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "decode.h"
#include "mime.h"

/* RFC 2231 3: a parameter may be split into numbered sections; real
 * mail uses a handful, and this bounds the work for a hostile one. */
#define MIME_PARAM_SEGS 64
#define MIME_PARAM_MAX  4096   /* bytes of one parameter value, decoded */

static int
tspecial(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* The type/subtype of a Content-Type value, lower case (RFC 2045 5.1);
 * -1 when it is not one (the caller uses the default, RFC 2045 5.2). */
int
mime_type(const char *s, size_t n, char *out, size_t outsize)
{
	size_t i = 0, o = 0, slash = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (; i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t' &&
	    s[i] != '('; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '/' && !slash && o > 0)
			slash = o + 1;
		else if (tspecial(c))
			return -1;
		if (o + 1 >= outsize)
			return -1;
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[o] = '\0';
	if (!slash || slash >= o)
		return -1;
	return 0;
}

/* Convert text in charset cs to UTF-8 into out; unknown charsets and
 * invalid bytes keep the bytes as they are (they are data for matching,
 * and a name must never vanish). */
static int
to_utf8(const char *cs, const char *s, size_t n, struct buf *out)
{
	iconv_t cd;
	char tmp[MIME_PARAM_MAX * 4];
	char *in = (char *)(uintptr_t)s, *op = tmp;
	size_t il = n, ol = sizeof tmp;

	if (cs[0] == '\0' || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "us-ascii") == 0 || n > MIME_PARAM_MAX)
		return buf_add(out, s, n);
	if ((cd = iconv_open("UTF-8", hdr_charset_bom(cs, s, n))) == (iconv_t)-1)
		return buf_add(out, s, n);
	if (iconv(cd, &in, &il, &op, &ol) == (size_t)-1) {
		iconv_close(cd);
		return buf_add(out, s, n);
	}
	iconv_close(cd);
	return buf_add(out, tmp, (size_t)(op - tmp));
}

struct seg {
	struct buf v;
	int        have, ext;
};

/* Readings of a parameter (mime_param_readings): how lenient clients
 * read what RFC 2045 and 2231 leave malformed. */
#define PR_LAXVAL 0x1  /* "a".b is a.b, 'a' is a, \; escapes, a;.b is one */
#define PR_GAPS   0x2  /* RFC 2231 sections joined in order, gaps skipped */
#define PR_ORDER  0x4  /* RFC 2231 sections joined as they appear */
#define PR_LAST   0x10 /* a parameter given twice: the last one wins */
#define PR_LE     0x8  /* UTF-16 and UTF-32 without a BOM little-endian,
                        * as Windows writes them */

/* Read one parameter value at s[*i]: a quoted string (RFC 2045 5.1,
 * backslash escapes) or, as clients accept, everything to the next ';'
 * with the white space around it trimmed.  With PR_LAXVAL, text after
 * a closing quote joins the value, single quotes quote too, a backslash
 * escapes outside quotes, and a ';' followed by text without '=' does
 * not end it. */
static int
param_value(const char *s, size_t n, size_t *i, struct buf *v, int mode)
{
	size_t j = *i, e;

	if (j < n && (s[j] == '"' || ((mode & PR_LAXVAL) && s[j] == '\''))) {
		char q = s[j];
		for (j++; j < n && s[j] != q; j++) {
			if (s[j] == '\\' && j + 1 < n)
				j++;
			if (v->len < MIME_PARAM_MAX && buf_addc(v, (unsigned char)s[j]) == -1)
				return -1;
		}
		if (j < n)
			j++;
		while (j < n && s[j] != ';') {
			if ((mode & PR_LAXVAL) && s[j] != '"' && s[j] != '\'' &&
			    s[j] != ' ' && s[j] != '\t' && v->len < MIME_PARAM_MAX &&
			    buf_addc(v, (unsigned char)s[j]) == -1)
				return -1;
			j++;
		}
		*i = j;
		return 0;
	}
	if (mode & PR_LAXVAL) {
		for (e = j; e < n; e++) {
			if (s[e] == '\\' && e + 1 < n) {
				e++;
			} else if (s[e] == ';') {
				/* "a;.b": what follows has no '=', so it is
				 * no parameter: the value goes on */
				size_t k = e + 1;
				while (k < n && s[k] != ';' && s[k] != '=')
					k++;
				if (k < n && s[k] == '=')
					break;
				if (k == e + 1)
					break;
			}
			if (v->len < MIME_PARAM_MAX && buf_addc(v, (unsigned char)s[e]) == -1)
				return -1;
		}
		*i = e;
		while (v->len && (v->p[v->len - 1] == ' ' || v->p[v->len - 1] == '\t'))
			v->p[--v->len] = '\0';
		return 0;
	}
	for (e = j; e < n && s[e] != ';'; e++)
		;
	*i = e;
	while (e > j && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e - j > MIME_PARAM_MAX)
		e = j + MIME_PARAM_MAX;
	return buf_add(v, s + j, e - j);
}

/* Join RFC 2231 sections into out: the charset of section 0 applies to
 * the whole value (RFC 2231 4.1), percent-decoded where marked.  ord
 * lists the sections as they appeared (nord of them); mode PR_GAPS joins
 * every section present in index order, PR_ORDER as they appeared, 0
 * from section 0 up to the first gap. */
static int
join_segs(struct seg *sg, size_t nseg, const size_t *ord, size_t nord,
    int mode, struct buf *out)
{
	struct buf raw = BUF_INIT;
	char cs[64] = "";
	size_t k, m, first = 1;
	int rc = -1;

	for (m = 0; m < ((mode & PR_ORDER) ? nord : nseg); m++) {
		const char *p;
		size_t n;
		k = (mode & PR_ORDER) ? ord[m] : m;
		if (!sg[k].have) {
			if (mode & (PR_GAPS | PR_ORDER))
				continue;
			break;
		}
		p = sg[k].v.p ? sg[k].v.p : "";
		n = sg[k].v.len;
		if (first && sg[k].ext) {
			/* charset'language'value */
			const char *q1 = memchr(p, '\'', n), *q2;
			if (q1 && (q2 = memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - p)))) {
				size_t cl = (size_t)(q1 - p);
				if (cl < sizeof cs) {
					memcpy(cs, p, cl);
					cs[cl] = '\0';
				}
				n -= (size_t)(q2 + 1 - p);
				p = q2 + 1;
			}
		}
		first = 0;
		if (sg[k].ext ? decode_pct(p, n, &raw) == -1 :
		    buf_add(&raw, p, n) == -1)
			goto out;
	}
	if (mode & PR_LE && strncasecmp(cs, "utf-", 4) == 0 &&
	    (strcasecmp(cs + 4, "16") == 0 || strcasecmp(cs + 4, "32") == 0))
		snprintf(cs + 6, sizeof cs - 6, "LE");
	rc = to_utf8(cs, raw.p ? raw.p : "", raw.len, out);
out:
	buf_free(&raw);
	return rc;
}

static int param_read(const char *, size_t, const char *, struct buf *,
	unsigned *, int);

/* The value of parameter name in a Content-Type or Content-Disposition
 * value, into out (emptied first), UTF-8: RFC 2231 sections and charsets
 * joined and decoded, RFC 2047 words decoded as clients do although RFC
 * 2047 5 forbids them there.  1 found, 0 not, -1 error.  Sets
 * MIME_AMBIG_PARAM when the parameter is given twice with different
 * values; the first plain one and then the RFC 2231 one win, as in
 * Thunderbird and Python's email package. */
int
mime_param(const char *s, size_t n, const char *name, struct buf *out,
    unsigned *flags)
{
	return param_read(s, n, name, out, flags, 0);
}

static int
param_read(const char *s, size_t n, const char *name, struct buf *out,
    unsigned *flags, int mode)
{
	struct seg sg[MIME_PARAM_SEGS];
	struct buf plain = BUF_INIT, v = BUF_INIT;
	size_t nl = strlen(name), i = 0, k, ord[MIME_PARAM_SEGS], nord = 0;
	int have_plain = 0, have_ext = 0, rc = -1, r;

	memset(sg, 0, sizeof sg);
	buf_reset(out);
	/* skip the type itself, up to the first ';' outside quotes */
	while (i < n && s[i] != ';')
		i++;
	while (i < n) {
		size_t a, ae;
		i++;  /* the ';' */
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ';'))
			i++;
		for (a = i; i < n && s[i] != '=' && s[i] != ';'; i++)
			;
		for (ae = i; ae > a && (s[ae - 1] == ' ' || s[ae - 1] == '\t'); ae--)
			;
		if (i >= n || s[i] != '=')
			continue;
		i++;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		buf_reset(&v);
		if (param_value(s, n, &i, &v, mode) == -1)
			goto out;
		if (ae - a < nl || strncasecmp(s + a, name, nl) != 0)
			continue;
		if (ae - a == nl) {
			if (have_plain && (plain.len != v.len ||
			    memcmp(plain.p, v.p ? v.p : "", v.len) != 0))
				*flags |= MIME_AMBIG_PARAM;
			if (have_plain && (mode & PR_LAST))
				buf_reset(&plain);
			if ((!have_plain || (mode & PR_LAST)) &&
			    buf_add(&plain, v.p ? v.p : "", v.len) == -1)
				goto out;
			have_plain = 1;
			continue;
		}
		if (s[a + nl] != '*')
			continue;
		{
			/* name*  name*N  name*N* (RFC 2231 3, 4) */
			size_t j = a + nl + 1, idx = 0;
			int ext = 0, digits = 0;
			while (j < ae && s[j] >= '0' && s[j] <= '9' && idx < 1000) {
				idx = idx * 10 + (size_t)(s[j++] - '0');
				digits = 1;
			}
			if (digits && j < ae && s[j] == '*') {
				ext = 1;
				j++;
			}
			if (!digits)
				ext = 1;
			if (j != ae || idx >= MIME_PARAM_SEGS)
				continue;
			if (sg[idx].have) {
				*flags |= MIME_AMBIG_PARAM;
				if (!(mode & PR_LAST))
					continue;
				buf_reset(&sg[idx].v);
			}
			sg[idx].have = 1;
			sg[idx].ext = ext;
			if (nord < MIME_PARAM_SEGS)
				ord[nord++] = idx;
			if (buf_add(&sg[idx].v, v.p ? v.p : "", v.len) == -1)
				goto out;
			have_ext = 1;
		}
	}
	if (have_ext && (sg[0].have || (mode & (PR_GAPS | PR_ORDER)))) {
		if (join_segs(sg, MIME_PARAM_SEGS, ord, nord, mode, out) == -1)
			goto out;
		if (have_plain && (plain.len != out->len ||
		    memcmp(plain.p, out->p, out->len) != 0)) {
			struct buf d = BUF_INIT;
			/* "name" is often the 2047 form of "name*": the same */
			if (hdr_decode_2047(plain.p, plain.len, &d) == -1) {
				buf_free(&d);
				goto out;
			}
			if (d.len != out->len || memcmp(d.p, out->p, d.len) != 0)
				*flags |= MIME_AMBIG_PARAM;
			buf_free(&d);
		}
		rc = 1;
	} else if (have_plain) {
		if (memmem(plain.p, plain.len, "=?", 2)) {
			struct buf le = BUF_INIT;
			size_t j;
			/* "=?utf-16?" read as "=?utf-16le?" */
			for (j = 0; (mode & PR_LE) && j < plain.len; j++) {
				if (buf_addc(&le, (unsigned char)plain.p[j]) == -1) {
					buf_free(&le);
					goto out;
				}
				if (j + 9 <= plain.len && plain.p[j] == '?' &&
				    (strncasecmp(plain.p + j + 1, "utf-16?", 7) == 0 ||
				    strncasecmp(plain.p + j + 1, "utf-32?", 7) == 0)) {
					if (buf_add(&le, plain.p + j + 1, 6) == -1 ||
					    buf_adds(&le, "LE") == -1) {
						buf_free(&le);
						goto out;
					}
					j += 6;
				}
			}
			r = (mode & PR_LE) ? hdr_decode_2047(le.p, le.len, out) :
			    hdr_decode_2047(plain.p, plain.len, out);
			buf_free(&le);
			if (r == -1)
				goto out;
		} else if (buf_add(out, plain.p, plain.len) == -1)
			goto out;
		rc = 1;
	} else
		rc = 0;
out:
	for (k = 0; k < MIME_PARAM_SEGS; k++)
		buf_free(&sg[k].v);
	buf_free(&plain);
	buf_free(&v);
	return rc;
}

/* s[0..n) without RFC 5322 comments outside quoted strings, into out:
 * "file.zip(.gif)" and "filename()=file.zip" as clients that drop
 * comments in structured fields read them. */
static int
strip_comments(const char *s, size_t n, struct buf *out)
{
	size_t i, depth = 0;
	int q = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			if (!depth && (buf_addc(out, (unsigned char)c) == -1 ||
			    buf_addc(out, (unsigned char)s[i + 1]) == -1))
				return -1;
			i++;
			continue;
		}
		if (!depth && c == '"')
			q = !q;
		else if (!q && c == '(') {
			depth++;
			continue;
		} else if (!q && c == ')' && depth) {
			depth--;
			continue;
		}
		if (!depth && buf_addc(out, (unsigned char)c) == -1)
			return -1;
	}
	return 0;
}

/* Does the NUL-separated list l hold a name that saves as the same file
 * as s? */
int
mime_in_list(const struct buf *l, const char *s, size_t n)
{
	size_t i = 0;

	while (i < l->len) {
		size_t k = strlen(l->p + i);
		if (mime_same_base(l->p + i, k, s, n))
			return 1;
		i += k + 1;
	}
	return 0;
}

/* Every reading of parameter name that a client might take, appended to
 * list as NUL-terminated UTF-8 strings, each once: as written and without
 * comments, each strictly, leniently (PR_LAXVAL) and with RFC 2231
 * sections joined across gaps and in the order they appear, and UTF-16
 * without a BOM in both byte orders, and the last of a parameter given
 * twice.  At most twelve parses of one value; 0 or -1. */
int
mime_param_readings(const char *s, size_t n, const char *name,
    struct buf *list)
{
	static const int modes[] = { 0, PR_LAXVAL, PR_GAPS, PR_ORDER, PR_LE,
		PR_LAST };
	struct buf nc = BUF_INIT, v = BUF_INIT;
	size_t m, src;
	unsigned junk = 0;
	int rc = -1, r;

	if (strip_comments(s, n, &nc) == -1)
		goto out;
	for (src = 0; src < 2; src++) {
		const char *p = src ? (nc.p ? nc.p : "") : s;
		size_t pn = src ? nc.len : n;
		if (src && pn == n && memcmp(p, s, n) == 0)
			break;
		for (m = 0; m < sizeof modes / sizeof modes[0]; m++) {
			if ((r = param_read(p, pn, name, &v, &junk, modes[m])) == -1)
				goto out;
			if (r == 1 && v.len > 0 && !memchr(v.p, '\0', v.len) &&
			    !mime_in_list(list, v.p, v.len) &&
			    (buf_add(list, v.p, v.len) == -1 || buf_addc(list, 0) == -1))
				goto out;
		}
	}
	rc = 0;
out:
	buf_free(&nc);
	buf_free(&v);
	return rc;
}

/* Do two names a client could choose from save as the same file?  The
 * part after the last '/' or '\\', case ignored ("patch" and "PATCH";
 * "./Mail_files/image001.png" and "image001.png" are the same file
 * to every client, "a.pdf" and "a.exe" are not). */
int
mime_same_base(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i;

	for (i = na; i > 0; i--)
		if (a[i - 1] == '/' || a[i - 1] == '\\')
			break;
	a += i;
	na -= i;
	for (i = nb; i > 0; i--)
		if (b[i - 1] == '/' || b[i - 1] == '\\')
			break;
	b += i;
	nb -= i;
	if (na != nb)
		return 0;
	/* byte by byte: a name may hold a NUL (RFC 2231 %00) */
	for (i = 0; i < na; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x != y && !(x >= 'A' && x <= 'Z' && x + 32 == y) &&
		    !(y >= 'A' && y <= 'Z' && y + 32 == x))
			return 0;
	}
	return 1;
}

/* Where the extension of a name starts (after its last '.' in its last
 * path element), or n when it has none. */
static size_t
ext_at(const char *a, size_t n)
{
	size_t i;

	for (i = n; i > 0 && a[i - 1] != '.' && a[i - 1] != '/' &&
	    a[i - 1] != '\\'; i--)
		;
	return i > 0 && a[i - 1] == '.' ? i : n;
}

/* Do two names end in the same extension (case ignored; none is "")? */
int
mime_same_ext(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = ext_at(a, na), j = ext_at(b, nb);

	return na - i == nb - j && strncasecmp(a + i, b + j, na - i) == 0;
}

