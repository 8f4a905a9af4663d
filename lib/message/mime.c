/* mime: the MIME walker (see mime.h).  Input is a stranger's message:
 * every loop is bounded by the bytes of the entity it walks, recursion by
 * the depth limit, memory by one decoded leaf (capped) plus one header
 * list per level.  Runs under any uid. */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "decode.h"
#include "mime.h"

/* RFC 2231 3: a parameter may be split into numbered sections; real
 * mail uses a handful, and this bounds the work for a hostile one. */
#define MIME_PARAM_SEGS 64
#define MIME_PARAM_MAX  4096   /* bytes of one parameter value, decoded */

struct bnd;

struct walk {
	const struct mime_limits *lim;
	mime_leaf_fn      fn;
	void             *arg;
	struct mime_stats *st;
	struct buf        dec;
	time_t            deadline;
	int               stop;     /* 1: the callback or a limit ended it */
	unsigned          pending;  /* flags for the next entity's leaves */
	struct bnd       *bnd;      /* boundaries of the enclosing multiparts */
};

/* The boundaries in force, innermost first, on the stack of entity(). */
struct bnd {
	const char *b;
	size_t      len;
	struct bnd *up;
};

void
mime_limits_default(struct mime_limits *l)
{
	l->depth = MIME_DEF_DEPTH;
	l->parts = MIME_DEF_PARTS;
	l->total = MIME_DEF_TOTAL;
	l->partbytes = MIME_DEF_PARTBYTES;
	l->ratio = MIME_DEF_RATIO;
	l->seconds = MIME_DEF_SECONDS;
}

/* The limits from the control files; -1 with errno when one is
 * unreadable or out of its bounds. */
int
mime_limits_ctl(struct mime_limits *l)
{
	unsigned long v[6];

	if (ctl_ulong("mimedepth", MIME_DEF_DEPTH, 1, 200, &v[0]) == -1 ||
	    ctl_ulong("mimeparts", MIME_DEF_PARTS, 1, 10000000, &v[1]) == -1 ||
	    ctl_bytes("mimebytes", MIME_DEF_TOTAL, 1024, 1UL << 40, &v[2]) == -1 ||
	    ctl_bytes("mimepartbytes", MIME_DEF_PARTBYTES, 1024, 1UL << 40,
	    &v[3]) == -1 ||
	    ctl_ulong("mimeratio", MIME_DEF_RATIO, 2, 1000000, &v[4]) == -1 ||
	    ctl_ulong("mimeseconds", MIME_DEF_SECONDS, 1, 86400, &v[5]) == -1)
		return -1;
	l->depth = v[0];
	l->parts = v[1];
	l->total = v[2];
	l->partbytes = v[3];
	l->ratio = v[4];
	l->seconds = v[5];
	return 0;
}

static const char *flagnames[] = {
	"ambiguous-type", "ambiguous-cte", "ambiguous-param", "ambiguous-name",
	"no-end", "no-boundary", "no-start", "bad-cte", "bad-base64",
	"bad-qp", "no-header", "capped", "depth", "parts", "total",
	"bad-header", "encoded-message", "encrypted", "ratio", "container",
	"member", "corrupt", "bad-name", "time",
};

/* Comma-separated names of the flags ("-" for none) into out. */
const char *
mime_flag_names(unsigned flags, char *out, size_t n)
{
	size_t i, o = 0;

	if (n == 0)
		return out;
	out[0] = '\0';
	for (i = 0; i < sizeof flagnames / sizeof flagnames[0]; i++) {
		if (!(flags & (1U << i)))
			continue;
		int k = snprintf(out + o, n - o, "%s%s", o ? "," : "", flagnames[i]);
		if (k < 0 || (size_t)k >= n - o)
			break;
		o += (size_t)k;
	}
	if (o == 0)
		snprintf(out, n, "-");
	return out;
}

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
	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
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

/* Read one parameter value at s[*i]: a quoted string (RFC 2045 5.1,
 * backslash escapes) or, as clients accept, everything to the next ';'
 * with the white space around it trimmed. */
static int
param_value(const char *s, size_t n, size_t *i, struct buf *v)
{
	size_t j = *i, e;

	if (j < n && s[j] == '"') {
		for (j++; j < n && s[j] != '"'; j++) {
			if (s[j] == '\\' && j + 1 < n)
				j++;
			if (v->len < MIME_PARAM_MAX && buf_addc(v, (unsigned char)s[j]) == -1)
				return -1;
		}
		if (j < n)
			j++;
		while (j < n && s[j] != ';')
			j++;
		*i = j;
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
 * the whole value (RFC 2231 4.1), percent-decoded where marked. */
static int
join_segs(struct seg *sg, size_t nseg, struct buf *out)
{
	struct buf raw = BUF_INIT;
	char cs[64] = "";
	size_t k;
	int rc = -1;

	for (k = 0; k < nseg && sg[k].have; k++) {
		const char *p = sg[k].v.p ? sg[k].v.p : "";
		size_t n = sg[k].v.len;
		if (k == 0 && sg[k].ext) {
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
		if (sg[k].ext ? decode_pct(p, n, &raw) == -1 :
		    buf_add(&raw, p, n) == -1)
			goto out;
	}
	rc = to_utf8(cs, raw.p ? raw.p : "", raw.len, out);
out:
	buf_free(&raw);
	return rc;
}

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
	struct seg sg[MIME_PARAM_SEGS];
	struct buf plain = BUF_INIT, v = BUF_INIT;
	size_t nl = strlen(name), i = 0, k;
	int have_plain = 0, have_ext = 0, rc = -1;

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
		if (param_value(s, n, &i, &v) == -1)
			goto out;
		if (ae - a < nl || strncasecmp(s + a, name, nl) != 0)
			continue;
		if (ae - a == nl) {
			if (have_plain && (plain.len != v.len ||
			    memcmp(plain.p, v.p ? v.p : "", v.len) != 0))
				*flags |= MIME_AMBIG_PARAM;
			if (!have_plain && buf_add(&plain, v.p ? v.p : "", v.len) == -1)
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
				continue;
			}
			sg[idx].have = 1;
			sg[idx].ext = ext;
			if (buf_add(&sg[idx].v, v.p ? v.p : "", v.len) == -1)
				goto out;
			have_ext = 1;
		}
	}
	if (have_ext && sg[0].have) {
		if (join_segs(sg, MIME_PARAM_SEGS, out) == -1)
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
			if (hdr_decode_2047(plain.p, plain.len, out) == -1)
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

/* Where the header section of an entity ends: at the first empty line
 * (body after it), or at the first line that is neither a field nor a
 * continuation (the body starts there: Python's email package and
 * Thunderbird read it so).  *hlen is the section, *body its start. */
static void
head_end(const char *p, size_t n, size_t *hlen, size_t *body)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n, j;
		if (e == i || (e == i + 1 && p[i] == '\r')) {
			*hlen = i;
			*body = nl ? e + 1 : n;
			return;
		}
		if (!(i > 0 && (p[i] == ' ' || p[i] == '\t'))) {
			for (j = i; j < e && p[j] != ':' && (unsigned char)p[j] > ' '; j++)
				;
			if (j == i || j >= e || p[j] != ':') {
				*hlen = i;
				*body = i;
				return;
			}
		}
		i = nl ? e + 1 : n;
	}
	*hlen = n;
	*body = n;
}

static void
join_path(char *out, size_t n, const char *prefix, size_t k)
{
	size_t l = strlen(prefix);

	/* under a container member ("x.zip/mail.eml/") no dot */
	if (l && prefix[l - 1] == '/')
		snprintf(out, n, "%s%zu", prefix, k);
	else if (l)
		snprintf(out, n, "%s.%zu", prefix, k);
	else
		snprintf(out, n, "%zu", k);
}

/* Is the line p[0..n) (without its line end) a delimiter for boundary b
 * (RFC 2046 5.1.1: "--" boundary, then transport padding)?  0 no, 1
 * delimiter, 2 close delimiter.  A line "--" b "x" is no delimiter, so
 * boundaries that are prefixes of one another stay apart. */
static int
delim(const char *p, size_t n, const char *b, size_t bl)
{
	size_t i;
	int close = 0;

	if (n < bl + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, b, bl) != 0)
		return 0;
	i = bl + 2;
	if (i + 2 <= n && p[i] == '-' && p[i + 1] == '-') {
		close = 1;
		i += 2;
	}
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return close ? 2 : 1;
}

static int entity(struct walk *, const char *, size_t, size_t, const char *,
	int, int);

/* Hand one leaf to the callback, decoded under the part and total
 * limits. */
static int
leaf(struct walk *w, const char *path, size_t depth, const struct hdr *h,
    const char *type, const struct buf *fname, enum decode_cte cte,
    const char *body, size_t blen, unsigned fl)
{
	struct mime_part mp;
	size_t room, cap;
	unsigned df = 0;
	int r;

	room = w->lim->total > w->st->bytes ? w->lim->total - w->st->bytes : 0;
	cap = w->lim->partbytes < room ? w->lim->partbytes : room;
	buf_reset(&w->dec);
	if (decode_body(cte, body, blen, &w->dec, cap, &df) == -1)
		return -1;
	if (df & DECODE_CAPPED)
		fl |= cap == room && room < w->lim->partbytes ? MIME_TOTAL : MIME_CAPPED;
	if (df & (DECODE_JUNK | DECODE_NOPAD))
		fl |= MIME_BADB64;
	if (df & DECODE_BADQP)
		fl |= MIME_BADQP;
	if (cte == DECODE_UNKNOWN)
		fl |= MIME_BADCTE;
	w->st->bytes += w->dec.len;
	w->st->leaves++;
	w->st->flags |= fl;
	memset(&mp, 0, sizeof mp);
	mp.path = path;
	mp.depth = depth;
	mp.h = h;
	mp.type = type;
	mp.filename = fname->p ? fname->p : "";
	mp.cte = decode_cte_name(cte);
	mp.data = w->dec.p ? w->dec.p : "";
	mp.len = w->dec.len;
	mp.rawlen = blen;
	mp.flags = fl;
	if ((r = w->fn(w->arg, &mp)) != 0) {
		w->stop = 1;
		return r < 0 ? -1 : 0;
	}
	if (fl & MIME_TOTAL)
		w->stop = 1;
	return 0;
}

/* The parts of a multipart body, each walked as an entity. */
static int
multipart(struct walk *w, const char *p, size_t n, size_t depth,
    const char *prefix, const char *b, size_t bl, int digest, unsigned *fl)
{
	size_t i = 0, start = 0, k = 0;
	int in = 0, closed = 0;
	char path[MIME_PATH_MAX];

	while (i < n && !w->stop) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n, next = nl ? e + 1 : n;
		int d = delim(p + i, e - i, b, bl);
		if (d) {
			if (in) {
				/* the line end before a delimiter is part of
				 * it (RFC 2046 5.1.1) */
				size_t end = i;
				if (end > start && p[end - 1] == '\n')
					end--;
				if (end > start && p[end - 1] == '\r')
					end--;
				join_path(path, sizeof path, prefix, ++k);
				if (entity(w, p + start, end - start, depth, path,
				    0, digest) == -1)
					return -1;
			}
			if (d == 2) {
				closed = 1;
				break;
			}
			in = 1;
			start = next;
		}
		i = next;
	}
	if (w->stop)
		return 0;
	if (!in) {
		*fl |= MIME_NOSTART;
		return 1;
	}
	if (!closed) {
		*fl |= MIME_NOEND;
		w->st->flags |= MIME_NOEND;
		join_path(path, sizeof path, prefix, ++k);
		if (start < n || k == 1) {
			/* the last part runs to the end, less the line end
			 * where its delimiter would have been (as Python's
			 * email package and Thunderbird read it); say so on
			 * its leaf */
			size_t end = n;
			if (end > start && p[end - 1] == '\n')
				end--;
			if (end > start && p[end - 1] == '\r')
				end--;
			w->pending = MIME_NOEND;
			return entity(w, p + start, end - start, depth, path, 0, digest);
		}
	}
	return 0;
}

/* Do two names a client could choose from save as the same file?  The
 * part after the last '/' or '\\', case ignored ("patch" and "PATCH";
 * "./Mail_files/image001.png" and "image001.png" are the same file
 * to every client, "a.pdf" and "a.exe" are not). */
static int
same_base(const char *a, size_t na, const char *b, size_t nb)
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

/* The file name of a part into fname: Content-Disposition's filename
 * (RFC 2183), else Content-Type's name (RFC 2046 4.5.1, obsolete but
 * common), as Python's email package and Thunderbird choose; names that
 * differ, or two Content-Disposition fields, are flagged.  ct is the
 * Content-Type value or NULL; tmp is scratch.  0 or -1. */
static int
filename(const struct hdr *h, const struct buf *ct, struct buf *tmp,
    struct buf *fname, unsigned *fl)
{
	struct buf nm = BUF_INIT;
	long icd = hdr_find(h, "Content-Disposition", 0);
	int got = 0, g2 = 0, rc = -1;

	if (hdr_count(h, "Content-Disposition") > 1)
		*fl |= MIME_AMBIG_PARAM;
	if (icd >= 0 && (hdr_value(h, (size_t)icd, tmp) == -1 ||
	    (got = mime_param(tmp->p, tmp->len, "filename", fname, fl)) == -1))
		return -1;
	if (ct && (g2 = mime_param(ct->p, ct->len, "name", &nm, fl)) == -1)
		goto out;
	if (g2 == 1 && got == 1 && !same_base(nm.p, nm.len, fname->p, fname->len))
		*fl |= MIME_AMBIG_NAME;
	if (g2 == 1 && got != 1) {
		buf_reset(fname);
		if (buf_add(fname, nm.p, nm.len) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_free(&nm);
	return rc;
}

/* Walk one entity: a message (ismsg: its leaf is prefix.1, its parts
 * prefix.N) or a body part (its leaf is path itself). */
static int
entity(struct walk *w, const char *p, size_t n, size_t depth,
    const char *path, int ismsg, int digest)
{
	struct hdr h;
	struct hdr_limits hl = { HDR_MAX_FIELDS, HDR_MAX_BYTES };
	struct buf v = BUF_INIT, fname = BUF_INIT, pb = BUF_INIT;
	char type[128], leafpath[MIME_PATH_MAX];
	size_t hlen, body, nct, ncte;
	unsigned fl = 0;
	enum decode_cte cte = DECODE_7BIT;
	long ict, icte;
	int rc = -1, r;

	if (w->stop)
		return 0;
	if (depth > w->lim->depth) {
		w->st->flags |= MIME_DEPTH;
		w->stop = 1;
		return 0;
	}
	if (++w->st->parts > w->lim->parts) {
		w->st->flags |= MIME_PARTS;
		w->stop = 1;
		return 0;
	}
	if (w->deadline && time(NULL) > w->deadline) {
		w->st->flags |= MIME_TIME;
		w->stop = 1;
		return 0;
	}
	if (depth > w->st->maxdepth)
		w->st->maxdepth = depth;
	fl = w->pending;
	w->pending = 0;
	head_end(p, n, &hlen, &body);
	if (hlen == 0 && !ismsg)
		fl |= MIME_NOHDR;
	if (hdr_parse(&h, p, 0, hlen, &hl) == -1)
		return -1;
	if (h.flags & (HDR_TOOBIG | HDR_TOOMANY))
		fl |= MIME_BADHDR;
	snprintf(type, sizeof type, "%s", digest ? "message/rfc822" : "text/plain");
	if ((nct = hdr_count(&h, "Content-Type")) > 1)
		fl |= MIME_AMBIG_CT;
	if ((ict = hdr_find(&h, "Content-Type", 0)) >= 0) {
		if (hdr_value(&h, (size_t)ict, &v) == -1)
			goto out;
		if (mime_type(v.p, v.len, type, sizeof type) == -1)
			snprintf(type, sizeof type, "text/plain");
	}
	if ((ncte = hdr_count(&h, "Content-Transfer-Encoding")) > 1)
		fl |= MIME_AMBIG_CTE;
	if ((icte = hdr_find(&h, "Content-Transfer-Encoding", 0)) >= 0) {
		if (hdr_value(&h, (size_t)icte, &pb) == -1)
			goto out;
		cte = decode_cte_parse(pb.p, pb.len);
	}
	w->st->flags |= fl;
	if (strncmp(type, "multipart/", 10) == 0) {
		/* RFC 2045 6.4 forbids encoding a multipart; Python and
		 * Thunderbird read it raw, a decoding scanner would not */
		if (cte == DECODE_BASE64 || cte == DECODE_QP) {
			fl |= MIME_ENCMSG;
			w->st->flags |= fl;
		}
		if (mime_param(v.p, v.len, "boundary", &pb, &fl) == -1)
			goto out;
		while (pb.len && (pb.p[pb.len - 1] == ' ' || pb.p[pb.len - 1] == '\t'))
			pb.p[--pb.len] = '\0';
		if (pb.len == 0)
			fl |= MIME_NOBOUNDARY;
		else {
			struct bnd me = { pb.p, pb.len, w->bnd }, *a;
			/* a nested multipart that reuses an enclosing boundary:
			 * whose delimiter a line is depends on the reader */
			for (a = w->bnd; a; a = a->up)
				if (a->len == pb.len && memcmp(a->b, pb.p, pb.len) == 0)
					fl |= MIME_AMBIG_PARAM;
			w->bnd = &me;
			r = multipart(w, p + body, n - body, depth + 1, path,
			    pb.p, pb.len, strcmp(type, "multipart/digest") == 0, &fl);
			w->bnd = me.up;
			w->st->flags |= fl;
			if (r != 1) {
				rc = r;
				goto out;
			}
		}
		/* no boundary, or it never occurs: the body is one text leaf,
		 * as Python's email package and Thunderbird show it */
	} else if (strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "message/global") == 0) {
		if (cte == DECODE_BASE64 || cte == DECODE_QP) {
			/* RFC 2046 5.2.1 forbids it; clients decode it */
			unsigned df = 0;
			struct buf inner = BUF_INIT;
			fl |= MIME_ENCMSG;
			w->st->flags |= fl;
			if (decode_body(cte, p + body, n - body, &inner,
			    w->lim->partbytes, &df) == -1) {
				buf_free(&inner);
				goto out;
			}
			rc = entity(w, inner.p ? inner.p : "", inner.len, depth + 1,
			    path[0] ? path : "1", 1, 0);
			buf_free(&inner);
			goto out;
		}
		rc = entity(w, p + body, n - body, depth + 1, path[0] ? path : "1",
		    1, 0);
		goto out;
	}
	if (filename(&h, ict >= 0 ? &v : NULL, &pb, &fname, &fl) == -1)
		goto out;
	if (ismsg)
		join_path(leafpath, sizeof leafpath, path, 1);
	else
		snprintf(leafpath, sizeof leafpath, "%s", path);
	rc = leaf(w, leafpath, depth, &h, type, &fname, cte, p + body, n - body, fl);
out:
	hdr_free(&h);
	buf_free(&v);
	buf_free(&pb);
	buf_free(&fname);
	return rc;
}

/* Walk the message msg[0..len), handing each leaf to fn.  depth0 and
 * path0 place it in a larger tree (a message inside an archive); give 0
 * and NULL for a message of its own.  0, or -1 with errno (ENOMEM or the
 * callback's error); limits reached are flags in st, not errors. */
int
mime_walk(const char *msg, size_t len, const struct mime_limits *lim,
    size_t depth0, const char *path0, mime_leaf_fn fn, void *arg,
    struct mime_stats *st)
{
	struct walk w;
	struct mime_limits def;
	int rc;

	if (lim == NULL) {
		mime_limits_default(&def);
		lim = &def;
	}
	memset(&w, 0, sizeof w);
	w.lim = lim;
	w.fn = fn;
	w.arg = arg;
	w.st = st;
	w.deadline = lim->seconds ? time(NULL) + (time_t)lim->seconds : 0;
	memset(st, 0, sizeof *st);
	/* an mbox "From " line before the header, as procmail hands it */
	if (len >= 5 && memcmp(msg, "From ", 5) == 0) {
		const char *nl = memchr(msg, '\n', len);
		size_t skip = nl ? (size_t)(nl - msg) + 1 : len;
		msg += skip;
		len -= skip;
	}
	rc = entity(&w, msg, len, depth0 + (path0 && path0[0] ? 1 : 0),
	    path0 ? path0 : "", 1, 0);
	buf_free(&w.dec);
	return rc;
}

/* For the rewriters' structure (mtree.h): where an entity's header
 * section ends and its body starts, read exactly as the walker reads it. */
void
mime_head_end(const char *p, size_t n, size_t *hlen, size_t *body)
{
	head_end(p, n, hlen, body);
}

/* For the rewriters: is line p[0..n) a delimiter (1) or close delimiter
 * (2) of boundary b, as the walker decides it; 0 when not. */
int
mime_delim(const char *p, size_t n, const char *b, size_t bl)
{
	return delim(p, n, b, bl);
}
