/* fuzz_dkimcanon: a message from the fuzzer through msg_from_mem,
 * hdr_parse and both DKIM canonicalisations of every field and of the
 * body (lib/sender/dkimcanon.c).  Properties beyond "no crash, no leak,
 * no UB": the body fed in two pieces (split where the input's first byte
 * says) canonicalises to the same bytes as fed whole; a relaxed field is
 * one line with no WSP before its CRLF; a relaxed body has no WSP before a
 * CRLF and does not end in an empty line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkimcanon.h"
#include "hdr.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
put(void *arg, const void *p, size_t n)
{
	return buf_add(arg, p, n);
}

static void
body(enum dkim_canon c, const char *p, size_t n, size_t cut, struct buf *out)
{
	struct dkimcanon_body b;

	dkimcanon_body_init(&b, c, put, out);
	if (dkimcanon_body_feed(&b, p, cut) == -1 ||
	    dkimcanon_body_feed(&b, p + cut, n - cut) == -1 ||
	    dkimcanon_body_end(&b) == -1)
		abort();
}

static void
check_relaxed_lines(const struct buf *o)
{
	size_t i;

	for (i = 0; i + 1 < o->len; i++)
		if (o->p[i] == '\r' && o->p[i + 1] == '\n' && i > 0 &&
		    (o->p[i - 1] == ' ' || o->p[i - 1] == '\t'))
			abort();
	if (o->len >= 4 && memcmp(o->p + o->len - 4, "\r\n\r\n", 4) == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT, f = BUF_INIT;
	struct msg m;
	struct hdr h;
	size_t i, n, cut;
	int c;

	if (msg_from_mem(data, size, &m) == -1)
		return 0;
	if (hdr_parse(&h, m.raw.p, m.hdr_off, m.hdr_len, NULL) == -1) {
		msg_free(&m);
		return 0;
	}
	for (i = 0; i < h.n; i++) {
		const struct hdr_field *hf = &h.f[i];

		if (hf->name_len == 0)
			continue;
		buf_reset(&f);
		if (dkimcanon_header(DKIM_RELAXED, h.base + hf->off, hf->len, 1,
		    &f) == -1)
			abort();
		if (f.len < 3 || memchr(f.p, '\n', f.len - 1) != NULL ||
		    f.p[f.len - 3] == ' ')
			abort();
		buf_reset(&f);
		if (dkimcanon_header(DKIM_SIMPLE, h.base + hf->off, hf->len, 0,
		    &f) == -1)
			abort();
	}
	n = m.raw.len - m.body_off;
	cut = size ? data[0] % (n + 1) : 0;
	for (c = 0; c < 2; c++) {
		buf_reset(&a);
		buf_reset(&b);
		body(c ? DKIM_RELAXED : DKIM_SIMPLE, m.raw.p + m.body_off, n, 0, &a);
		body(c ? DKIM_RELAXED : DKIM_SIMPLE, m.raw.p + m.body_off, n, cut, &b);
		if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0))
			abort();
		if (c)
			check_relaxed_lines(&a);
	}
	buf_free(&a);
	buf_free(&b);
	buf_free(&f);
	hdr_free(&h);
	msg_free(&m);
	return 0;
}
