/* mime: the MIME walker (see mime.h).  Input is a stranger's message:
 * every loop is bounded by the bytes of the entity it walks, recursion by
 * the depth limit, memory by one decoded leaf (capped) plus one header
 * list per level.  Runs under any uid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "decode.h"
#include "mime.h"

#define MIME_NAME_READINGS 4   /* other names one leaf is handed out under */

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
	int               lax;      /* the lenient reading (MIME_READ_LENIENT) */
	int               all;      /* every name and decoding (MIME_READ_ALL) */
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
	"member", "corrupt", "bad-name", "time", "hidden-part", "other-reading",
	"lone-cr", "bad-qp-binary",
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
 * boundaries that are prefixes of one another stay apart.  lax: the
 * lenient reading, as some clients take it: white space and CRs before
 * the "--", anything after the boundary once white space has ended it. */
static int
delim(const char *p, size_t n, const char *b, size_t bl, int lax)
{
	size_t i = 0;
	int close = 0;

	while (lax && i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (n - i < bl + 2 || p[i] != '-' || p[i + 1] != '-' ||
	    memcmp(p + i + 2, b, bl) != 0)
		return 0;
	i += bl + 2;
	if (i + 2 <= n && p[i] == '-' && p[i + 1] == '-') {
		close = 1;
		i += 2;
	}
	for (; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
		if (lax)
			break;
	}
	return close ? 2 : 1;
}

/* Does the line at p[i..] start with a Content- field?  Case ignored;
 * white space allowed before the colon, as lenient readers allow it. */
static int
content_field(const char *p, size_t n, size_t i)
{
	size_t j;

	if (n - i < 9 || strncasecmp(p + i, "content-", 8) != 0)
		return 0;
	for (j = i + 8; j < n && p[j] != ':' && p[j] != '\n'; j++)
		;
	return j < n && p[j] == ':';
}

/* A part hidden in a body: a line that reads as a delimiter ("--" and a
 * boundary, after white space or CRs) followed by a Content- field.  Its
 * boundary into b (at most bsize - 1 bytes); 1 found, 0 not.  Bounded by
 * the body's lines. */
static int
hidden_boundary(const char *p, size_t n, char *b, size_t bsize)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n, j = i, k;
		if (!nl)
			break;
		while (j < e && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r'))
			j++;
		if (e - j > 2 && p[j] == '-' && p[j + 1] == '-' &&
		    content_field(p, n, e + 1)) {
			for (k = j + 2; k < e && (unsigned char)p[k] > ' '; k++)
				;
			/* "--b--" names b, as its close delimiter */
			if (k - j > 4 && p[k - 1] == '-' && p[k - 2] == '-')
				k -= 2;
			if (k > j + 2 && k - (j + 2) < bsize) {
				memcpy(b, p + j + 2, k - (j + 2));
				b[k - (j + 2)] = '\0';
				return 1;
			}
		}
		i = e + 1;
	}
	return 0;
}

static int entity(struct walk *, const char *, size_t, size_t, const char *,
	int, int);

/* Hand one leaf to the callback, decoded under the part and total
 * limits. */
static int
leaf(struct walk *w, const char *path, size_t depth, const struct hdr *h,
    const char *type, const struct buf *fname, const struct buf *alts,
    enum decode_cte cte, const char *body, size_t blen, unsigned fl)
{
	struct mime_part mp;
	size_t room, cap, a = 0, na = 0;
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
		fl |= MIME_BADQP | (strncmp(type, "text/", 5) != 0 ? MIME_BADQPBIN : 0);
	if (cte == DECODE_UNKNOWN)
		fl |= MIME_BADCTE;
	if (!w->lax) {
		char b[80];
		if (hidden_boundary(body, blen, b, sizeof b))
			fl |= MIME_HIDDEN;
	}
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
	/* once under each name a reader might give it, so that every
	 * check sees every name; a few at most */
	for (;;) {
		if ((r = w->fn(w->arg, &mp)) != 0) {
			w->stop = 1;
			return r < 0 ? -1 : 0;
		}
		if (a >= alts->len || ++na > MIME_NAME_READINGS)
			break;
		mp.filename = alts->p + a;
		a += strlen(alts->p + a) + 1;
	}
	/* an attachment whose encoding readers decode two ways ('=' inside
	 * base64, lower-case hex in quoted-printable): the other bytes too */
	if (w->all && (strncmp(type, "text/", 5) != 0 || fname->len) &&
	    ((cte == DECODE_BASE64 && decode_base64_midpad(body, blen)) ||
	    (cte == DECODE_QP && decode_qp_lower(body, blen)))) {
		struct buf alt = BUF_INIT;
		unsigned af = 0;
		if ((cte == DECODE_BASE64 ? decode_base64_quads(body, blen, &alt, cap,
		    &af) : decode_qp_upper(body, blen, &alt, cap, &af)) == -1) {
			buf_free(&alt);
			return -1;
		}
		r = 0;
		if (alt.len != w->dec.len || (alt.len && memcmp(alt.p, w->dec.p,
		    alt.len) != 0)) {
			mp.filename = fname->p ? fname->p : "";
			mp.data = alt.p ? alt.p : "";
			mp.len = alt.len;
			mp.flags = fl | MIME_READING;
			r = w->fn(w->arg, &mp);
		}
		buf_free(&alt);
		if (r != 0) {
			w->stop = 1;
			return r < 0 ? -1 : 0;
		}
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
		int d = delim(p + i, e - i, b, bl, w->lax);
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
			/* the lenient reading goes on after a close
			 * delimiter: what follows is a part to some readers */
			if (d == 2 && !w->lax) {
				char hb[80];
				closed = 1;
				/* an epilogue that holds parts of its own */
				if (hidden_boundary(p + next, n - next, hb, sizeof hb))
					*fl |= MIME_HIDDEN;
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
	if (!closed && w->lax) {
		join_path(path, sizeof path, prefix, ++k);
		size_t end = n;
		if (end > start && p[end - 1] == '\n')
			end--;
		if (end > start && p[end - 1] == '\r')
			end--;
		if (start < n)
			return entity(w, p + start, end - start, depth, path, 0, digest);
	} else if (!closed) {
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

/* A reader that merges the parameters of every Content-Type and
 * Content-Disposition field (RFC 2231 sections spread over two fields):
 * the readings of both names in all of them, joined, into all. */
static int
all_fields(const struct hdr *h, struct buf *tmp, struct buf *all)
{
	static const char *fields[] = { "Content-Type", "Content-Disposition" };
	struct buf j = BUF_INIT;
	size_t f;
	long i, k;
	int rc = -1;

	if (buf_adds(&j, "x") == -1)
		goto out;
	for (f = 0; f < 2; f++)
		for (k = 0, i = hdr_find(h, fields[f], 0); i >= 0 && k < 8;
		    k++, i = hdr_find(h, fields[f], (size_t)i + 1)) {
			if (hdr_value(h, (size_t)i, tmp) == -1)
				goto out;
			/* the parameters only: a disposition's "inline" must
			 * not read as part of the value before it */
			const char *sc = tmp->len ? memchr(tmp->p, ';', tmp->len) : NULL;
			if (sc && buf_add(&j, sc, tmp->len - (size_t)(sc - tmp->p)) == -1)
				goto out;
		}
	if (mime_param_readings(j.p, j.len, "filename", all) == -1 ||
	    mime_param_readings(j.p, j.len, "name", all) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&j);
	return rc;
}

/* The file name of a part into fname: Content-Disposition's filename
 * (RFC 2183), else Content-Type's name (RFC 2046 4.5.1, obsolete but
 * common), as Python's email package and Thunderbird choose; names that
 * differ, or two Content-Disposition fields, are flagged.  ct is the
 * Content-Type value or NULL; tmp is scratch.  0 or -1. */
static int
filename(const struct hdr *h, const struct buf *ct, struct buf *tmp,
    struct buf *fname, struct buf *alts, int all_names, unsigned *fl)
{
	struct buf nm = BUF_INIT, all = BUF_INIT;
	long icd = hdr_find(h, "Content-Disposition", 0);
	size_t i;
	int got = 0, g2 = 0, rc = -1;

	if (hdr_count(h, "Content-Disposition") > 1)
		*fl |= MIME_AMBIG_PARAM;
	if (icd >= 0 && (hdr_value(h, (size_t)icd, tmp) == -1 ||
	    (got = mime_param(tmp->p, tmp->len, "filename", fname, fl)) == -1 ||
	    (all_names && mime_param_readings(tmp->p, tmp->len, "filename",
	    &all) == -1)))
		goto out;
	if (ct && ((g2 = mime_param(ct->p, ct->len, "name", &nm, fl)) == -1 ||
	    (all_names && mime_param_readings(ct->p, ct->len, "name", &all) == -1)))
		goto out;
	if (all_names && hdr_count(h, "Content-Disposition") +
	    hdr_count(h, "Content-Type") > 1 && all_fields(h, tmp, &all) == -1)
		goto out;
	if (g2 == 1 && got == 1 && !mime_same_base(nm.p, nm.len, fname->p, fname->len))
		*fl |= MIME_AMBIG_NAME;
	if (g2 == 1 && got != 1) {
		buf_reset(fname);
		if (buf_add(fname, nm.p, nm.len) == -1)
			goto out;
	}
	/* the names other readings give: handed out too, and ambiguous */
	buf_reset(alts);
	for (i = 0; i < all.len; i += strlen(all.p + i) + 1) {
		size_t k = strlen(all.p + i);
		if (mime_same_base(all.p + i, k, fname->p ? fname->p : "", fname->len) ||
		    mime_in_list(alts, all.p + i, k))
			continue;
		if (buf_add(alts, all.p + i, k) == -1 || buf_addc(alts, 0) == -1)
			goto out;
		/* what a policy judges by is the extension: "Invoice (2).pdf"
		 * read without its comment is still a PDF */
		if (!mime_same_ext(all.p + i, k, fname->p ? fname->p : "", fname->len))
			*fl |= MIME_AMBIG_NAME;
	}
	rc = 0;
out:
	buf_free(&nm);
	buf_free(&all);
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
	struct buf v = BUF_INIT, fname = BUF_INIT, pb = BUF_INIT, alts = BUF_INIT;
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
	if (hlen == 0 && !ismsg) {
		/* lenient readers skip a few short junk lines (an empty one,
		 * ":", a CR, a vertical tab) before a part's fields; the
		 * strict reading only says so */
		size_t off = 0, k;
		for (k = 0; k < 3 && off < n; k++) {
			const char *nl = memchr(p + off, '\n', n - off);
			if (!nl || (size_t)(nl - (p + off)) > 8)
				break;
			off = (size_t)(nl - p) + 1;
			if (content_field(p, n, off) && !w->lax) {
				fl |= MIME_HIDDEN;
				break;
			} else if (content_field(p, n, off)) {
				p += off;
				n -= off;
				head_end(p, n, &hlen, &body);
				break;
			}
		}
	}
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
	if (w->lax) {
		/* the lenient reading: a part hidden in what the strict one
		 * takes as a leaf (a type or boundary it could not read, a
		 * header cut by a CR) is read as a multipart */
		char hb[200];
		if (hidden_boundary(p + body, n - body, hb, sizeof hb)) {
			struct bnd me = { hb, strlen(hb), w->bnd };
			w->bnd = &me;
			r = multipart(w, p + body, n - body, depth + 1, path, hb,
			    me.len, 0, &fl);
			w->bnd = me.up;
			w->st->flags |= fl;
			if (r != 1) {
				rc = r;
				goto out;
			}
		}
	}
	if (filename(&h, ict >= 0 ? &v : NULL, &pb, &fname, &alts, w->all,
	    &fl) == -1)
		goto out;
	if (ismsg)
		join_path(leafpath, sizeof leafpath, path, 1);
	else
		snprintf(leafpath, sizeof leafpath, "%s", path);
	rc = leaf(w, leafpath, depth, &h, type, &fname, &alts, cte, p + body,
	    n - body, fl);
out:
	buf_free(&alts);
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
	return mime_walk_reading(msg, len, lim, depth0, path0, fn, arg, st, 0);
}

/* mime_walk under one reading: 0 the strict one (what the common clients
 * do), MIME_READ_LENIENT the lenient one (delimiters after white space or
 * a CR or with junk after them, parts after the close delimiter, parts
 * hidden in a leaf's body, junk lines before a part's fields); with
 * MIME_READ_ALL each leaf is handed out under every name a reader might
 * give it and once more where its encoding is read two ways.  The caller
 * turns lone CRs into line ends first if it wants that reading too. */
int
mime_walk_reading(const char *msg, size_t len, const struct mime_limits *lim,
    size_t depth0, const char *path0, mime_leaf_fn fn, void *arg,
    struct mime_stats *st, int reading)
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
	w.lax = (reading & MIME_READ_LENIENT) != 0;
	w.all = (reading & MIME_READ_ALL) != 0;
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
	return delim(p, n, b, bl, 0);   /* the strict reading */
}
