/* mtree: a message's MIME structure with offsets (see mtree.h).  The
 * message is a stranger's: loops are bounded by the bytes of the entity,
 * recursion by MTREE_DEPTH, the number of entities by MTREE_PARTS.  Runs
 * under any uid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "mtree.h"

struct mstate {
	const char *base;
	size_t      parts;
};

static int entity(struct mstate *, struct mtree *, size_t off, size_t len,
	size_t hlen, size_t body, size_t depth);

/* Part [start, end) of t, less the line end that belongs to the
 * delimiter after it, added to t's parts and walked. */
static int
kid(struct mstate *s, struct mtree *t, size_t start, size_t end,
    size_t depth)
{
	const char *p = s->base;
	struct mtree *k;

	if (end > start && p[end - 1] == '\n')
		end--;
	if (end > start && p[end - 1] == '\r')
		end--;
	if (t->nkid % 8 == 0) {
		if ((k = realloc(t->kid, (t->nkid + 8) * sizeof *k)) == NULL)
			return -1;
		t->kid = k;
	}
	k = &t->kid[t->nkid++];
	memset(k, 0, sizeof *k);
	return entity(s, k, start, end - start, (size_t)-1, 0, depth + 1);
}

/* The parts of multipart t, each one entity; the line end before a
 * delimiter belongs to the delimiter (RFC 2046 5.1.1).  A multipart whose
 * boundary never occurs stays opaque, as its readers show it as text. */
static int
parts(struct mstate *s, struct mtree *t, size_t depth)
{
	const char *p = s->base;
	size_t i = t->body, end = t->off + t->len, start = 0, bl;
	int in = 0;

	bl = strlen(t->boundary);
	while (i < end) {
		const char *nl = memchr(p + i, '\n', end - i);
		size_t e = nl ? (size_t)(nl - p) : end, next = nl ? e + 1 : end;
		int d = mime_delim(p + i, e - i, t->boundary, bl);
		if (d && in && kid(s, t, start, i, depth) == -1)
			return -1;
		if (d == 2)
			return 0;
		if (d) {
			in = 1;
			start = next;
		}
		i = next;
	}
	/* no close delimiter: the last part runs to the end */
	if (in)
		return kid(s, t, start, end, depth);
	t->opaque = 1;
	return 0;
}

/* One entity at base[off..off+len): its header (hlen, body given for the
 * message itself, found here for a part), type, charset, encoding and,
 * for a multipart, its parts. */
static int
entity(struct mstate *s, struct mtree *t, size_t off, size_t len,
    size_t hlen, size_t body, size_t depth)
{
	struct hdr_limits hl = { HDR_MAX_FIELDS, HDR_MAX_BYTES };
	struct buf v = BUF_INIT, pv = BUF_INIT;
	unsigned fl = 0;
	long i;
	int rc = -1;

	t->off = off;
	t->len = len;
	if (hlen == (size_t)-1) {
		mime_head_end(s->base + off, len, &hlen, &body);
		body += off;
	}
	t->body = body;
	snprintf(t->type, sizeof t->type, "text/plain");
	if (hdr_parse(&t->h, s->base, off, hlen, &hl) == -1)
		return -1;
	if ((i = hdr_find(&t->h, "Content-Type", 0)) >= 0) {
		if (hdr_value(&t->h, (size_t)i, &v) == -1)
			goto out;
		if (mime_type(v.p, v.len, t->type, sizeof t->type) == -1)
			snprintf(t->type, sizeof t->type, "text/plain");
		if (mime_param(v.p, v.len, "charset", &pv, &fl) == -1)
			goto out;
		if (pv.len < sizeof t->charset) {
			size_t k;
			for (k = 0; k < pv.len; k++)
				t->charset[k] = (char)(pv.p[k] >= 'A' && pv.p[k] <= 'Z' ?
				    pv.p[k] + 32 : pv.p[k]);
			t->charset[pv.len] = '\0';
		}
		if (mime_param(v.p, v.len, "name", &pv, &fl) == -1)
			goto out;
		if (pv.len)
			t->attach = 1;
	}
	if ((i = hdr_find(&t->h, "Content-Transfer-Encoding", 0)) >= 0) {
		if (hdr_value(&t->h, (size_t)i, &pv) == -1)
			goto out;
		t->cte = decode_cte_parse(pv.p, pv.len);
	}
	if ((i = hdr_find(&t->h, "Content-Disposition", 0)) >= 0) {
		if (hdr_value(&t->h, (size_t)i, &pv) == -1)
			goto out;
		if ((pv.len >= 10 && strncasecmp(pv.p + strspn(pv.p, " \t"),
		    "attachment", 10) == 0) || memmem(pv.p, pv.len, "filename", 8))
			t->attach = 1;
	}
	if (strncmp(t->type, "multipart/", 10) == 0) {
		if (mime_param(v.p, v.len, "boundary", &pv, &fl) == -1)
			goto out;
		while (pv.len && (pv.p[pv.len - 1] == ' ' || pv.p[pv.len - 1] == '\t'))
			pv.p[--pv.len] = '\0';
		if (pv.len == 0 || memchr(pv.p, '\0', pv.len) ||
		    depth >= MTREE_DEPTH || ++s->parts > MTREE_PARTS) {
			t->opaque = 1;
			rc = 0;
			goto out;
		}
		if ((t->boundary = strdup(pv.p)) == NULL)
			goto out;
		rc = parts(s, t, depth);
		goto out;
	}
	++s->parts;
	rc = 0;
out:
	buf_free(&v);
	buf_free(&pv);
	return rc;
}

/* The tree of the message base[off..off+len), whose header section is
 * hlen bytes and whose body starts at body (msg.h's split).  0, or -1
 * with errno (ENOMEM); what it holds must go to mtree_free either way. */
int
mtree_parse(struct mtree *t, const char *base, size_t off, size_t len,
    size_t hlen, size_t body)
{
	struct mstate s = { base, 0 };

	memset(t, 0, sizeof *t);
	return entity(&s, t, off, len, hlen, body, 0);
}

void
mtree_free(struct mtree *t)
{
	size_t i;

	for (i = 0; i < t->nkid; i++)
		mtree_free(&t->kid[i]);
	free(t->kid);
	free(t->boundary);
	hdr_free(&t->h);
	memset(t, 0, sizeof *t);
}

/* The decoded body of leaf t into out (appended), at most max bytes.
 * 0, or -1; DECODE_CAPPED is an error here (EFBIG): a rewriter must not
 * put back half a part. */
int
mtree_decode(const char *base, const struct mtree *t, struct buf *out,
    size_t max)
{
	unsigned fl = 0;
	size_t end = t->off + t->len;

	if (decode_body(t->cte, base + t->body, end > t->body ? end - t->body : 0,
	    out, max, &fl) == -1)
		return -1;
	if (fl & DECODE_CAPPED) {
		errno = EFBIG;
		return -1;
	}
	return 0;
}

/* Is t of type (lower case, "text/" for any text)? */
int
mtree_is(const struct mtree *t, const char *type)
{
	size_t l = strlen(type);

	return type[l - 1] == '/' ? strncmp(t->type, type, l) == 0 :
	    strcmp(t->type, type) == 0;
}

/* Is t signed or encrypted as a whole (RFC 1847 multipart/signed and
 * multipart/encrypted, S/MIME's application/pkcs7-mime), so that no
 * byte of it may change? */
int
mtree_signed(const struct mtree *t)
{
	return mtree_is(t, "multipart/signed") ||
	    mtree_is(t, "multipart/encrypted") ||
	    mtree_is(t, "application/pkcs7-mime") ||
	    mtree_is(t, "application/x-pkcs7-mime");
}

/* Is t a body text a reader sees (text/plain or text/html, not an
 * attachment, an encoding we can write back)? */
int
mtree_textual(const struct mtree *t)
{
	return !t->attach && !t->opaque &&
	    (mtree_is(t, "text/plain") || mtree_is(t, "text/html")) &&
	    t->cte != DECODE_UUENCODE && t->cte != DECODE_UNKNOWN;
}
