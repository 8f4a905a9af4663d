/* explode: MIME leaves and container members as one tree (see
 * explode.h).  All input is a stranger's; recursion alternates between
 * mime_walk and unpack_walk and is bounded by the depth limit, every byte
 * and member by one shared budget.  Runs under any uid. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "decode.h"
#include "explode.h"
#include "rtf.h"
#include "tnef.h"
#include "unpack.h"

struct ex {
	const struct mime_limits *lim;
	struct unpack_budget      bud;
	explode_fn                fn;
	void                     *arg;
	struct explode_stats     *st;
	int                       stop;
	int                       reading;  /* 0 strict, 1 lenient */
	int                       quoted;   /* lenient only for hidden-part */
	uint64_t                 *seen;     /* digests of the strict leaves */
	size_t                    nseen, aseen;
};

/* Leaves a second reading may add before it is cut short: a real
 * message has a few dozen; the digests cost 8 bytes each. */
#define EXPLODE_SEEN_MAX 100000

/* What makes the strict reading doubtful enough to read the message the
 * lenient way too. */
#define EXPLODE_LAX_WHEN (MIME_NOBOUNDARY | MIME_NOSTART | \
	MIME_HIDDEN | MIME_NOEND | MIME_AMBIG_CT | MIME_AMBIG_PARAM | \
	MIME_BADHDR | MIME_LONECR)

struct lvl {
	struct ex  *x;
	const char *path;     /* the container's path */
	size_t      depth;    /* the container's depth */
	struct mime_stats *ms;  /* of the enclosing mime_walk, or NULL */
};

static int uu_blocks(struct ex *, const char *, const char *, size_t, size_t,
	unsigned *);
static int tnef(struct ex *, const char *, const char *, size_t, size_t,
	unsigned *);
static int hqx_block(struct ex *, const char *, const char *, size_t, size_t,
	unsigned *);
static int data_uris(struct ex *, const char *, const char *, size_t, size_t,
	unsigned *);
static int yenc_block(struct ex *, const char *, const char *, size_t, size_t,
	unsigned *);
static int item(struct ex *, const char *path, const char *name,
	const char *type, const char *enc, const struct hdr *, const char *,
	size_t, size_t, unsigned);

/* Does a member look like a message of its own (a forwarded .eml)? */
static int
is_message(const char *name, const char *p, size_t n)
{
	static const char *first[] = {
		"Received:", "Return-Path:", "MIME-Version:", "From:",
		"Message-ID:", "Delivered-To:", "X-Mozilla-Status:", "From ",
	};
	size_t i, l = strlen(name);

	if (l > 4 && strcasecmp(name + l - 4, ".eml") == 0)
		return 1;
	for (i = 0; i < sizeof first / sizeof first[0]; i++)
		if (n > strlen(first[i]) &&
		    strncasecmp(p, first[i], strlen(first[i])) == 0)
			return 1;
	return 0;
}

static int
hand(struct ex *x, const struct explode_item *it)
{
	int r;

	x->st->items++;
	x->st->flags |= it->flags;
	if (it->depth > x->st->maxdepth)
		x->st->maxdepth = it->depth;
	if ((r = x->fn(x->arg, it)) != 0) {
		x->stop = 1;
		return r < 0 ? -1 : 0;
	}
	return 0;
}

static int
member(void *arg, const struct unpack_member *m)
{
	struct lvl *l = arg;
	char path[MIME_PATH_MAX];
	int k;

	k = snprintf(path, sizeof path, "%s/%s", l->path, m->name[0] ? m->name : "?");
	if (k < 0 || (size_t)k >= sizeof path)
		snprintf(path + sizeof path - 4, 4, "...");
	if (item(l->x, path, m->name, "", m->format, NULL, m->data, m->len,
	    l->depth + 1, m->flags | MIME_MEMBER) == -1)
		return -1;
	return l->x->stop;
}

/* FNV-1a over a leaf's name and bytes: what the readings compare. */
static uint64_t
digest(const char *name, const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; name[i]; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	h = (h ^ 0x100) * 1099511628211ULL;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* The strict reading records each leaf; the lenient one hands only the
 * leaves the strict one did not see, and calls those that look like an
 * attachment (a name, a type other than text) other-reading.  1: skip
 * it, 0: hand it, -1: out of memory. */
static int
reading(struct ex *x, const struct mime_part *p, unsigned *fl)
{
	uint64_t h = digest(p->filename, p->data, p->len);
	size_t i;

	if (x->reading == 0) {
		if (x->nseen == x->aseen) {
			size_t na = x->aseen ? x->aseen * 2 : 16;
			uint64_t *n;
			if (na > EXPLODE_SEEN_MAX)
				return 0;
			if ((n = realloc(x->seen, na * sizeof *n)) == NULL)
				return -1;
			x->seen = n;
			x->aseen = na;
		}
		x->seen[x->nseen++] = h;
		return 0;
	}
	if (p->len == 0 && !p->filename[0])
		return 1;
	/* the lenient reading is a guess: its own oddities are not the
	 * message's; what it finds is judged by its bytes and names */
	*fl &= MIME_LIMITS | MIME_BADNAME;
	for (i = 0; i < x->nseen; i++)
		if (x->seen[i] == h)
			return 1;
	if (!x->quoted && (p->filename[0] || (strncmp(p->type, "text/", 5) != 0 &&
	    strncmp(p->type, "multipart/", 10) != 0)))
		*fl |= MIME_READING;
	return 0;
}

static int
leaf(void *arg, const struct mime_part *p)
{
	struct lvl *l = arg;
	struct ex *x = l->x;
	size_t used = p->len < x->bud.bytes ? p->len : x->bud.bytes;
	unsigned fl = p->flags;
	int r;

	if (l->ms && (r = reading(x, p, &fl)) != 0)
		return r == 1 ? 0 : -1;
	x->bud.bytes -= used;
	x->st->bytes += p->len;
	return item(x, p->path, p->filename, p->type, p->cte, p->h, p->data,
	    p->len, p->depth, fl |
	    (unpack_name_bad(p->filename, strlen(p->filename)) ? MIME_BADNAME : 0))
	    == -1 ? -1 : x->stop;
}

/* A message inside a container: its leaves under path "/". */
static int
message(struct ex *x, const char *path, const char *p, size_t n,
    size_t depth, unsigned *fl)
{
	struct mime_limits lim = *x->lim;
	struct mime_stats ms;
	struct lvl l = { x, path, depth, &ms };
	char prefix[MIME_PATH_MAX];
	int rc;

	snprintf(prefix, sizeof prefix, "%s/", path);
	lim.total = x->bud.bytes;
	lim.parts = x->bud.parts ? x->bud.parts : 1;
	if (x->bud.deadline)
		lim.seconds = (size_t)(x->bud.deadline > time(NULL) ?
		    x->bud.deadline - time(NULL) : 1);
	rc = mime_walk_reading(p, n, &lim, depth, prefix, leaf, &l, &ms,
	    MIME_READ_ALL);
	x->bud.parts -= ms.parts < x->bud.parts ? ms.parts : x->bud.parts;
	*fl |= ms.flags & (MIME_LIMITS | MIME_AMBIGUOUS);
	return rc;
}

/* Uuencoded blocks inside a text part (old mailers and worms put
 * programs there: clients such as Outlook show them as attachments):
 * each becomes a member of the part, "1/name". */
static int
uu_blocks(struct ex *x, const char *path, const char *p, size_t n,
    size_t depth, unsigned *fl)
{
	struct buf out = BUF_INIT;
	char name[256], sub[MIME_PATH_MAX];
	size_t pos = 0;
	int r = 0;

	/* cheap test first: most text has no "begin " at a line start */
	if (!(n >= 6 && memcmp(p, "begin", 5) == 0) && !memmem(p, n, "\nbegin", 6))
		return 0;
	while (!x->stop && x->bud.parts > 0) {
		unsigned df = 0, mf = MIME_MEMBER;
		size_t cap = x->lim->partbytes < x->bud.bytes ? x->lim->partbytes :
		    x->bud.bytes;
		if ((r = decode_uu_next(p, n, &pos, name, sizeof name, &out, cap,
		    &df)) <= 0)
			break;
		x->bud.parts--;
		x->bud.bytes -= out.len;
		if (df & DECODE_CAPPED)
			mf |= MIME_CAPPED;
		if (unpack_name_bad(name, strlen(name)))
			mf |= MIME_BADNAME;
		if (depth + 1 > x->lim->depth) {
			*fl |= MIME_DEPTH;
			break;
		}
		snprintf(sub, sizeof sub, "%s/%s", path, name);
		if ((r = item(x, sub, name, "", "x-uuencode", NULL,
		    out.p ? out.p : "", out.len, depth + 1, mf)) == -1)
			break;
	}
	buf_free(&out);
	return r == -1 ? -1 : 0;
}

struct tnef_lvl {
	struct ex  *x;
	const char *path;
	size_t      depth;
};

static int
tnef_member(void *arg, const char *name, const char *data, size_t len)
{
	struct tnef_lvl *t = arg;
	char sub[MIME_PATH_MAX];
	unsigned mf = MIME_MEMBER;

	if (len > t->x->lim->partbytes) {
		len = t->x->lim->partbytes;
		mf |= MIME_CAPPED;
	}
	if (unpack_name_bad(name, strlen(name)))
		mf |= MIME_BADNAME;
	snprintf(sub, sizeof sub, "%s/%s", t->path, name);
	if (item(t->x, sub, name, "", "tnef", NULL, data, len, t->depth + 1,
	    mf) == -1)
		return -1;
	return t->x->stop;
}

/* The attachments of a TNEF part (winmail.dat), as members of it; they
 * point into the part, so they cost the budget nothing more. */
static int
tnef(struct ex *x, const char *path, const char *p, size_t n, size_t depth,
    unsigned *fl)
{
	struct tnef_lvl t = { x, path, depth };
	int corrupt, r;

	r = tnef_walk(p, n, x->bud.parts, tnef_member, &t, &corrupt);
	if (corrupt)
		*fl |= MIME_CORRUPT;
	return r < 0 ? -1 : 0;
}

struct rtf_lvl {
	struct ex  *x;
	const char *path;
	size_t      depth;
	size_t      n;
	unsigned   *fl;
};

static int
rtf_member(void *arg, const char *name, const char *data, size_t len,
    int capped)
{
	struct rtf_lvl *t = arg;
	struct ex *x = t->x;
	char sub[MIME_PATH_MAX];
	unsigned mf = MIME_MEMBER | (capped ? MIME_CAPPED : 0);

	if (x->bud.parts == 0) {
		*t->fl |= MIME_PARTS;
		return 1;
	}
	x->bud.parts--;
	x->bud.bytes -= len < x->bud.bytes ? len : x->bud.bytes;
	t->n++;
	if (unpack_name_bad(name, strlen(name)))
		mf |= MIME_BADNAME;
	snprintf(sub, sizeof sub, "%s/%s", t->path, name);
	if (item(x, sub, name, "", "rtf-object", NULL, data, len, t->depth + 1,
	    mf) == -1)
		return -1;
	return x->stop;
}

/* The embedded objects of an RTF document (rtf.h), as its members. */
static int
rtf(struct ex *x, const char *path, const char *p, size_t n, size_t depth,
    unsigned *fl)
{
	struct rtf_lvl t = { x, path, depth, 0, fl };
	size_t cap = x->lim->partbytes < x->bud.bytes ? x->lim->partbytes :
	    x->bud.bytes;

	if (depth + 1 > x->lim->depth) {
		if (memmem(p, n, "\\objdata", 8))
			*fl |= MIME_DEPTH;
		return 0;
	}
	if (rtf_walk(p, n, x->bud.parts, cap, rtf_member, &t) == -1)
		return -1;
	if (t.n)
		*fl |= MIME_CONTAINER;
	return 0;
}

/* A file decoded out of a part or member (BinHex, yEnc), handed out as
 * its member "path/name" against the budget.  0 or -1. */
static int
found(struct ex *x, const char *path, const char *name, const char *enc,
    const struct buf *out, unsigned df, size_t depth, unsigned mf)
{
	char sub[MIME_PATH_MAX];

	x->bud.parts--;
	x->bud.bytes -= out->len < x->bud.bytes ? out->len : x->bud.bytes;
	if (df & DECODE_CAPPED)
		mf |= MIME_CAPPED;
	if (unpack_name_bad(name, strlen(name)))
		mf |= MIME_BADNAME;
	snprintf(sub, sizeof sub, "%s/%s", path, name[0] ? name : "?");
	return item(x, sub, name, "", enc, NULL, out->p ? out->p : "", out->len,
	    depth + 1, mf) == -1 ? -1 : 0;
}

/* A BinHex 4.0 block (RFC 1741) in a part or member: Mac mailers sent
 * programs that way, as text or as an attachment, and scanners that
 * skip it miss them.  Its data fork becomes a member, "2/name". */
static int
hqx_block(struct ex *x, const char *path, const char *p, size_t n,
    size_t depth, unsigned *fl)
{
	struct buf out = BUF_INIT;
	char name[256];
	size_t cap = x->lim->partbytes < x->bud.bytes ? x->lim->partbytes :
	    x->bud.bytes;
	unsigned df = 0, mf = MIME_MEMBER;
	int r;

	if ((r = decode_hqx(p, n, name, sizeof name, &out, cap, &df)) <= 0) {
		buf_free(&out);
		return r;
	}
	if (x->bud.parts == 0) {
		*fl |= MIME_PARTS;
		buf_free(&out);
		return 0;
	}
	if (depth + 1 > x->lim->depth) {
		*fl |= MIME_DEPTH;
		buf_free(&out);
		return 0;
	}
	*fl |= MIME_CONTAINER;
	if (df & DECODE_JUNK)
		mf |= MIME_CORRUPT;
	r = found(x, path, name, "binhex", &out, df, depth, mf);
	buf_free(&out);
	return r;
}

/* A yEnc block in a part or member (decode_yenc): newsreaders and some
 * mail clients show it as the file it names, so it becomes a member,
 * "1/name". */
static int
yenc_block(struct ex *x, const char *path, const char *p, size_t n,
    size_t depth, unsigned *fl)
{
	struct buf out = BUF_INIT;
	char name[256];
	size_t cap = x->lim->partbytes < x->bud.bytes ? x->lim->partbytes :
	    x->bud.bytes;
	unsigned df = 0, mf = MIME_MEMBER;
	int r;

	/* cheap test first */
	if (!(n >= 8 && memcmp(p, "=ybegin ", 8) == 0) &&
	    !memmem(p, n, "\n=ybegin ", 9))
		return 0;
	if ((r = decode_yenc(p, n, name, sizeof name, &out, cap, &df)) <= 0) {
		buf_free(&out);
		return r;
	}
	if (x->bud.parts == 0 || depth + 1 > x->lim->depth) {
		*fl |= x->bud.parts == 0 ? MIME_PARTS : MIME_DEPTH;
		buf_free(&out);
		return 0;
	}
	r = found(x, path, name, "x-yencode", &out, df, depth, mf);
	buf_free(&out);
	return r;
}

/* The base64 data: URIs (RFC 2397) in an item, each a member "2/data-N":
 * a link or a script in HTML (or SVG, or anything a browser renders
 * whatever its name says) that hands the browser a file this way
 * smuggles it past any scanner that only looks at attachments.  Every
 * item is searched: the search is one memchr for ':' and costs little
 * beside decoding. */
static int
data_uris(struct ex *x, const char *path, const char *p, size_t n,
    size_t depth, unsigned *fl)
{
	struct buf out = BUF_INIT;
	const char *c = p, *e = p + n;
	char name[32], sub[MIME_PATH_MAX];
	unsigned k = 0;
	int r = 0;

	while (!x->stop && (c = memchr(c, ':', (size_t)(e - c))) != NULL) {
		const char *h = ++c, *b;
		size_t len, cap;
		unsigned df = 0, mf = MIME_MEMBER;
		if (h - p < 5 || strncasecmp(h - 5, "data:", 5) != 0)
			continue;
		/* "data:" MEDIATYPE ";base64," within a short header */
		for (b = h; b < e && b - h < 200 && *b != ',' && *b != '"' &&
		    *b != '\'' && *b != '>'; b++)
			;
		if (b >= e || *b != ',' || b - h < 7 ||
		    strncasecmp(b - 7, ";base64", 7) != 0)
			continue;
		for (c = ++b; c < e && *c != '"' && *c != '\'' && *c != ')' &&
		    *c != '<' && *c != '>'; c++)
			;
		len = (size_t)(c - b);
		if (len < 8)
			continue;
		if (x->bud.parts == 0) {
			*fl |= MIME_PARTS;
			break;
		}
		if (depth + 1 > x->lim->depth) {
			*fl |= MIME_DEPTH;
			break;
		}
		cap = x->lim->partbytes < x->bud.bytes ? x->lim->partbytes :
		    x->bud.bytes;
		buf_reset(&out);
		if ((r = decode_base64(b, len, &out, cap, &df)) == -1)
			break;
		x->bud.parts--;
		x->bud.bytes -= out.len < x->bud.bytes ? out.len : x->bud.bytes;
		if (df & DECODE_CAPPED)
			mf |= MIME_CAPPED;
		snprintf(name, sizeof name, "data-%u", ++k);
		snprintf(sub, sizeof sub, "%s/%s", path, name);
		if ((r = item(x, sub, name, "", "data-uri", NULL, out.p ? out.p : "",
		    out.len, depth + 1, mf)) == -1)
			break;
	}
	buf_free(&out);
	return r == -1 ? -1 : 0;
}

/* A container that starts a little way into a part's bytes: junk before
 * the data in base64 (an extra quad, a padded group, a line a decoder
 * skips) shifts it there, and readers that resynchronise find it.  Its
 * offset, or 0.  Only signatures of four bytes and more, so that chance
 * matches in binary data stay rare. */
static size_t
embedded(const char *p, size_t n)
{
	static const struct { const char *m; size_t l; } sig[] = {
		{ "PK\3\4", 4 }, { "Rar!\032\7", 6 }, { "7z\274\257\047\034", 6 },
		{ "MSCF\0\0\0\0", 8 },
	};
	size_t i, k, lim = n > 1024 + 8 ? 1024 : (n > 8 ? n - 8 : 0);

	for (i = 1; i < lim; i++)
		for (k = 0; k < sizeof sig / sizeof sig[0]; k++)
			if (p[i] == sig[k].m[0] && memcmp(p + i, sig[k].m, sig[k].l) == 0)
				return i;
	return 0;
}

/* One item: a container is opened (members first, then itself), a
 * message inside a container walked, anything else handed out. */
static int
item(struct ex *x, const char *path, const char *name, const char *type,
    const char *enc, const struct hdr *h, const char *data, size_t len,
    size_t depth, unsigned fl)
{
	struct explode_item it;
	const char *fmt = data ? unpack_sniff(data, len) : NULL;

	if (x->stop)
		return 0;
	if (fmt) {
		fl |= MIME_CONTAINER;
		if (depth + 1 > x->lim->depth)
			fl |= MIME_DEPTH;
		else {
			struct lvl l = { x, path, depth, NULL };
			unsigned cf = 0;
			if (unpack_walk(data, len, name, x->lim, &x->bud, member, &l,
			    &cf) == -1)
				return -1;
			fl |= cf & (MIME_ENCRYPTED | MIME_CORRUPT | MIME_PARTS |
			    MIME_TIME | MIME_TOTAL);
		}
	} else if (data && rtf_is(data, len)) {
		if (rtf(x, path, data, len, depth, &fl) == -1)
			return -1;
	} else if (data && tnef_is(data, len)) {
		fl |= MIME_CONTAINER;
		if (depth + 1 > x->lim->depth)
			fl |= MIME_DEPTH;
		else if (tnef(x, path, data, len, depth, &fl) == -1)
			return -1;
	} else if (data && !(fl & MIME_MEMBER) && len > 64 && embedded(data, len)) {
		/* a second reading of the part: from the container on */
		size_t off = embedded(data, len);
		char sub[MIME_PATH_MAX];
		if (depth + 1 > x->lim->depth)
			fl |= MIME_DEPTH;
		else {
			snprintf(sub, sizeof sub, "%s/@%zu", path, off);
			if (item(x, sub, name, "", "embedded", NULL, data + off,
			    len - off, depth + 1, MIME_MEMBER | MIME_READING) == -1)
				return -1;
		}
	} else if (data && ((fl & MIME_MEMBER) || (strncmp(type, "text/", 5) != 0 &&
	    strncmp(type, "multipart/", 10) != 0)) && is_message(name, data, len)) {
		/* a member, or an attachment not declared as text, that is a
		 * message of its own: clients open a saved .eml as mail */
		if (depth + 1 > x->lim->depth)
			fl |= MIME_DEPTH;
		else if (message(x, path, data, len, depth + 1, &fl) == -1)
			return -1;
	}
	if (!x->stop && data && !(fl & MIME_MEMBER) && strncmp(type, "text/", 5) == 0 &&
	    uu_blocks(x, path, data, len, depth, &fl) == -1)
		return -1;
	if (!x->stop && data && !(fl & MIME_CONTAINER) &&
	    hqx_block(x, path, data, len, depth, &fl) == -1)
		return -1;
	if (!x->stop && data && !(fl & MIME_CONTAINER) &&
	    data_uris(x, path, data, len, depth, &fl) == -1)
		return -1;
	if (!x->stop && data && !(fl & MIME_CONTAINER) &&
	    yenc_block(x, path, data, len, depth, &fl) == -1)
		return -1;
	if (x->stop)
		return 0;
	memset(&it, 0, sizeof it);
	it.path = path;
	it.name = name;
	it.type = type;
	it.enc = enc;
	it.h = h;
	it.data = data;
	it.len = len;
	it.depth = depth;
	it.flags = fl;
	return hand(x, &it);
}

/* Names and paths as text a terminal, a log and a script can take:
 * control bytes, backslash, DEL and bytes that are not UTF-8 become
 * "\xNN", the Unicode bidi controls "\u202E" and so on, so that a name
 * shows what it is, not what it pretends; other UTF-8 is kept. */
int
explode_escape(const char *s, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t l = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
		    (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		size_t j;
		int okseq = l > 0 && i + l <= n && !(l == 2 && c < 0xc2);

		for (j = 1; okseq && j < l; j++)
			if (((unsigned char)s[i + j] & 0xc0) != 0x80)
				okseq = 0;
		if (c < 0x20 || c == 0x7f || c == '\\' || !okseq) {
			if (buf_printf(out, "\\x%02x", c) == -1)
				return -1;
			i++;
			continue;
		}
		if (l == 3) {
			unsigned u = (unsigned)(c & 0x0f) << 12 |
			    (unsigned)((unsigned char)s[i + 1] & 0x3f) << 6 |
			    ((unsigned char)s[i + 2] & 0x3f);
			if (u == 0x200e || u == 0x200f || (u >= 0x202a && u <= 0x202e) ||
			    (u >= 0x2066 && u <= 0x2069) || u == 0x061c) {
				if (buf_printf(out, "\\u%04X", u) == -1)
					return -1;
				i += 3;
				continue;
			}
		}
		if (buf_add(out, s + i, l) == -1)
			return -1;
		i += l;
	}
	return 0;
}

/* A file name for an item's bytes that can never leave the directory it
 * is opened in: from the item's path, bytes other than letters, digits,
 * '.', '-' and '_' become '_' (so no '/', no bidi control, no control
 * byte), a leading '.' becomes '_' (no "..", no hidden file), and a long
 * name keeps its start and its end (where the extension is). */
int
explode_safe_name(const char *path, char *out, size_t n)
{
	size_t l = strlen(path), i, o = 0, head, tail;

	if (n < 16)
		return -1;
	head = l < n - 1 ? l : (n - 2) / 2;
	tail = l < n - 1 ? 0 : n - 2 - head - 1;
	for (i = 0; i < l && o + 1 < n; i++) {
		unsigned char c;
		if (i == head && tail) {
			out[o++] = '~';
			i = l - tail;
		}
		c = (unsigned char)path[i];
		out[o++] = (char)(((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') ?
		    c : '_');
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, n, "part");
	if (out[0] == '.')
		out[0] = '_';
	return 0;
}

/* Does a CR stand alone (no LF after it) in the message?  Clients take
 * it as a line end; the strict reading does not. */
static int
has_lone_cr(const char *p, size_t n)
{
	const char *c = p, *e = p + n;

	while ((c = memchr(c, '\r', (size_t)(e - c))) != NULL)
		if (++c == e || *c != '\n')
			return 1;
	return 0;
}

/* The lenient reading (mime_walk_reading 1), with lone CRs read as line
 * ends, under what is left of the message's budget: its leaves that the
 * strict reading did not see are handed out under "lax/". */
static int
lenient(struct ex *x, const char *msg, size_t len, struct mime_stats *ms)
{
	struct mime_limits lim = *x->lim;
	struct mime_stats ms2;
	struct lvl l = { x, "lax", 0, &ms2 };
	char *copy = NULL;
	int rc;

	if (ms->flags & MIME_LONECR) {
		size_t i;
		if ((copy = malloc(len ? len : 1)) == NULL)
			return -1;
		for (i = 0; i < len; i++)
			copy[i] = msg[i] == '\r' && (i + 1 == len || msg[i + 1] != '\n') ?
			    '\n' : msg[i];
		msg = copy;
	}
	lim.total = x->bud.bytes;
	lim.parts = x->bud.parts ? x->bud.parts : 1;
	if (x->bud.deadline)
		lim.seconds = (size_t)(x->bud.deadline > time(NULL) ?
		    x->bud.deadline - time(NULL) : 1);
	x->reading = 1;
	/* read leniently only because a text body holds what looks like
	 * MIME: forwarded and bounced mail quotes parts that way, so what is
	 * found there is judged by its bytes, not held for being there */
	x->quoted = (ms->flags & EXPLODE_LAX_WHEN) == MIME_HIDDEN;
	rc = mime_walk_reading(msg, len, &lim, 0, "lax/", leaf, &l, &ms2,
	    MIME_READ_LENIENT | MIME_READ_ALL);
	x->reading = 0;
	x->bud.parts -= ms2.parts < x->bud.parts ? ms2.parts : x->bud.parts;
	ms->flags |= ms2.flags & MIME_LIMITS;
	free(copy);
	return rc;
}

/* Take the message msg[0..len) apart, handing each item to fn.  0, or -1
 * with errno; limits reached are flags, in the items and in st. */
int
explode_message(const char *msg, size_t len, const struct mime_limits *lim,
    explode_fn fn, void *arg, struct explode_stats *st)
{
	struct mime_limits def;
	struct mime_stats ms;
	struct ex x;
	struct lvl l;
	int rc;

	if (lim == NULL) {
		mime_limits_default(&def);
		lim = &def;
	}
	memset(st, 0, sizeof *st);
	memset(&x, 0, sizeof x);
	x.lim = lim;
	x.fn = fn;
	x.arg = arg;
	x.st = st;
	x.bud.bytes = lim->total;
	x.bud.parts = lim->parts;
	x.bud.deadline = lim->seconds ? time(NULL) + (time_t)lim->seconds : 0;
	l.x = &x;
	l.path = "";
	l.depth = 0;
	l.ms = &ms;
	rc = mime_walk_reading(msg, len, lim, 0, NULL, leaf, &l, &ms,
	    MIME_READ_ALL);
	if (ms.maxdepth > st->maxdepth)
		st->maxdepth = ms.maxdepth;
	if (has_lone_cr(msg, len))
		ms.flags |= MIME_LONECR;
	if (rc == 0 && !x.stop && (ms.flags & EXPLODE_LAX_WHEN))
		rc = lenient(&x, msg, len, &ms);
	free(x.seen);
	/* A limit reached, or an ambiguity found, where no leaf could carry
	 * it (between parts, in a multipart's own header): item "0", the
	 * message as a whole, carries it, so that no caller can miss it. */
	if (rc == 0 && !x.stop) {
		unsigned left = ms.flags & (MIME_LIMITS | MIME_AMBIGUOUS |
		    MIME_LONECR) & ~st->flags;
		if (left) {
			struct explode_item it;
			memset(&it, 0, sizeof it);
			it.path = "0";
			it.name = "";
			it.type = "message/rfc822";
			it.enc = "-";
			it.flags = left;
			rc = hand(&x, &it);
		}
	}
	st->flags |= ms.flags;
	return rc;
}
