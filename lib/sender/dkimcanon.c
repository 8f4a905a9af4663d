/* dkimcanon: DKIM's two canonicalisations of header fields and body
 * (RFC 6376 section 3.4).  The input is the untrusted message; the output
 * is what a signer or a verifier hashes.  See dkimcanon.h on line ends. */
#include <errno.h>
#include <string.h>

#include "dkimcanon.h"

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* The length of field without its final line end (CRLF or LF). */
static size_t
strip_eol(const char *f, size_t len)
{
	if (len > 0 && f[len - 1] == '\n') {
		len--;
		if (len > 0 && f[len - 1] == '\r')
			len--;
	}
	return len;
}

/* Section 3.4.2: the name in lower case, no white space around the
 * colon, the value unfolded with every run of WSP one space and none at
 * either end. */
static int
header_relaxed(const char *f, size_t len, struct buf *out)
{
	const char *colon = memchr(f, ':', len);
	size_t nlen, i;
	int wsp = 0, started = 0;

	if (colon == NULL) {
		errno = EINVAL;
		return -1;
	}
	nlen = (size_t)(colon - f);
	while (nlen > 0 && is_wsp((unsigned char)f[nlen - 1]))
		nlen--;
	if (buf_grow(out, nlen + (len - nlen) + 3) == -1)
		return -1;
	for (i = 0; i < nlen; i++) {
		unsigned char c = (unsigned char)f[i];
		out->p[out->len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out->p[out->len++] = ':';
	for (i = (size_t)(colon - f) + 1; i < len; i++) {
		unsigned char c = (unsigned char)f[i];

		/* a line end inside the value is folding: unfold it */
		if (c == '\n' || (c == '\r' && i + 1 < len && f[i + 1] == '\n'))
			continue;
		if (is_wsp(c)) {
			wsp = 1;
			continue;
		}
		if (wsp && started)
			out->p[out->len++] = ' ';
		wsp = 0;
		started = 1;
		out->p[out->len++] = (char)c;
	}
	out->p[out->len] = '\0';
	return 0;
}

/* Section 3.4.1: the field as it came, with each line end as CRLF. */
static int
header_simple(const char *f, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (f[i] == '\n' && (i == 0 || f[i - 1] != '\r')) {
			if (buf_add(out, "\r\n", 2) == -1)
				return -1;
		} else if (buf_addc(out, f[i]) == -1)
			return -1;
	}
	return 0;
}

int
dkimcanon_header(enum dkim_canon c, const char *field, size_t len, int crlf,
    struct buf *out)
{
	int r;

	len = strip_eol(field, len);
	r = c == DKIM_RELAXED ? header_relaxed(field, len, out) :
	    header_simple(field, len, out);
	if (r == -1)
		return -1;
	return crlf ? buf_add(out, "\r\n", 2) : 0;
}

void
dkimcanon_body_init(struct dkimcanon_body *b, enum dkim_canon c,
    int (*put)(void *, const void *, size_t), void *arg)
{
	memset(b, 0, sizeof *b);
	b->c = c;
	b->put = put;
	b->arg = arg;
}

/* Output staged in a small buffer: put is called per 4 KiB, not per byte. */
struct stage {
	struct dkimcanon_body *b;
	char   s[4096];
	size_t n;
};

static int
stage_flush(struct stage *st)
{
	int r = 0;

	if (st->n > 0)
		r = st->b->put(st->b->arg, st->s, st->n);
	st->n = 0;
	return r;
}

static int
stage_add(struct stage *st, const char *p, size_t n)
{
	if (st->n + n > sizeof st->s && stage_flush(st) == -1)
		return -1;
	memcpy(st->s + st->n, p, n);
	st->n += n;
	st->b->any = 1;
	return 0;
}

/* A content byte: the empty lines held back are real after all, and so
 * is a run of WSP held back inside the line (relaxed). */
static int
body_content(struct stage *st, char c)
{
	struct dkimcanon_body *b = st->b;

	if (!b->midline) {
		for (; b->blank > 0; b->blank--)
			if (stage_add(st, "\r\n", 2) == -1)
				return -1;
		b->midline = 1;
	}
	if (b->inwsp && stage_add(st, " ", 1) == -1)
		return -1;
	b->inwsp = 0;
	return stage_add(st, &c, 1);
}

/* A line end: trailing WSP goes (relaxed); an empty line is held back. */
static int
body_eol(struct stage *st)
{
	struct dkimcanon_body *b = st->b;

	b->inwsp = 0;
	if (!b->midline) {
		b->blank++;
		return 0;
	}
	b->midline = 0;
	return stage_add(st, "\r\n", 2);
}

static int
body_byte(struct stage *st, char c)
{
	struct dkimcanon_body *b = st->b;

	if (b->cr) {
		b->cr = 0;
		if (c == '\n')
			return body_eol(st);
		/* a lone CR is an ordinary byte */
		if (body_content(st, '\r') == -1)
			return -1;
	}
	if (c == '\r') {
		b->cr = 1;
		return 0;
	}
	if (c == '\n')
		return body_eol(st);
	if (b->c == DKIM_RELAXED && is_wsp((unsigned char)c)) {
		b->inwsp = 1;
		return 0;
	}
	return body_content(st, c);
}

int
dkimcanon_body_feed(struct dkimcanon_body *b, const char *p, size_t n)
{
	struct stage st;
	size_t i;

	st.b = b;
	st.n = 0;
	for (i = 0; i < n; i++)
		if (body_byte(&st, p[i]) == -1)
			return -1;
	return stage_flush(&st);
}

int
dkimcanon_body_end(struct dkimcanon_body *b)
{
	struct stage st;

	st.b = b;
	st.n = 0;
	if (b->cr) {
		b->cr = 0;
		if (body_content(&st, '\r') == -1)
			return -1;
	}
	/* a last line without its line end gets one (3.4.3, 3.4.4) */
	if (b->midline && body_eol(&st) == -1)
		return -1;
	/* simple: an empty body is one CRLF; relaxed: nothing (errata 3133) */
	if (b->c == DKIM_SIMPLE && !b->any && stage_add(&st, "\r\n", 2) == -1)
		return -1;
	return stage_flush(&st);
}

static int
one_canon(const char *s, size_t n, enum dkim_canon *c)
{
	if (n == 6 && strncmp(s, "simple", 6) == 0)
		*c = DKIM_SIMPLE;
	else if (n == 7 && strncmp(s, "relaxed", 7) == 0)
		*c = DKIM_RELAXED;
	else {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
dkimcanon_parse(const char *s, enum dkim_canon *head, enum dkim_canon *body)
{
	const char *slash = strchr(s, '/');

	/* section 3.5, c=: a header algorithm alone means simple for the body */
	if (slash == NULL) {
		*body = DKIM_SIMPLE;
		return one_canon(s, strlen(s), head);
	}
	if (one_canon(s, (size_t)(slash - s), head) == -1)
		return -1;
	return one_canon(slash + 1, strlen(slash + 1), body);
}
