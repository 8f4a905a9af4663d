/* fuzz_html2text: bytes from the fuzzer through the rewriters' parsers.
 * Odd sizes: the bytes are HTML, rendered to text (html2text.h) and its
 * links defanged (defang.h).  Properties beyond "no crash, no leak, no
 * UB": the text is within HTML2TEXT_GROWTH of the HTML, defanging is
 * within three bytes a byte, and a second defanging changes nothing.
 * Even sizes: the bytes are a message, its MIME tree built (mtree.h)
 * with every part inside its parent, and each leaf decoded, written
 * again as quoted-printable and base64 (encode.h) and decoded back to the
 * same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defang.h"
#include "encode.h"
#include "html2text.h"
#include "msg.h"
#include "mtree.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
html(const char *s, size_t n)
{
	struct buf t = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT;
	struct html2text_stats st;
	size_t k1, k2;

	if (html2text(s, n, &t, &st) == 0) {
		if (t.len > HTML2TEXT_GROWTH * n + 64)
			abort();
		if (defang_text(t.p ? t.p : "", t.len, &d1, &k1) == 0 &&
		    defang_text(d1.p ? d1.p : "", d1.len, &d2, &k2) == 0) {
			if (d1.len > 3 * t.len || k2 != 0 || d1.len != d2.len ||
			    memcmp(d1.p ? d1.p : "", d2.p ? d2.p : "", d1.len) != 0 ||
			    k1 != defang_count(t.p ? t.p : "", t.len))
				abort();
		}
	}
	buf_free(&t);
	buf_free(&d1);
	buf_free(&d2);
}

/* Encode and decode again: the same bytes (QP: line breaks as CRLF). */
static void
again(const char *s, size_t n)
{
	struct buf e = BUF_INIT, d = BUF_INIT;
	unsigned fl = 0;

	if (encode_base64(s, n, "\n", &e) == 0 &&
	    decode_base64(e.p ? e.p : "", e.len, &d, (size_t)-1, &fl) == 0 &&
	    (d.len != n || (n && memcmp(d.p, s, n) != 0) || fl))
		abort();
	buf_reset(&e);
	buf_reset(&d);
	if (encode_qp(s, n, "\r\n", &e) == 0 &&
	    decode_qp(e.p ? e.p : "", e.len, &d, (size_t)-1, &fl) == 0) {
		size_t i, j = 0;
		for (i = 0; i < n; i++, j++) {
			if (s[i] == '\n' && !(i > 0 && s[i - 1] == '\r')) {
				if (j >= d.len || d.p[j] != '\r')
					abort();
				j++;
			}
			if (j >= d.len || d.p[j] != s[i])
				abort();
		}
		if (j != d.len || fl)
			abort();
	}
	buf_free(&e);
	buf_free(&d);
}

static void
walk(const char *base, const struct mtree *t, size_t off, size_t end)
{
	size_t i;

	if (t->off < off || t->off + t->len > end || t->body < t->off ||
	    t->body > t->off + t->len)
		abort();
	for (i = 0; i < t->nkid; i++) {
		if (i && t->kid[i].off < t->kid[i - 1].off + t->kid[i - 1].len)
			abort();
		walk(base, &t->kid[i], t->body, t->off + t->len);
	}
	if (t->nkid == 0 && mtree_textual(t)) {
		struct buf d = BUF_INIT;
		if (mtree_decode(base, t, &d, 1 << 20) == 0)
			again(d.p ? d.p : "", d.len);
		buf_free(&d);
	}
}

static void
message(const uint8_t *data, size_t size)
{
	struct msg m;
	struct mtree t;

	if (msg_from_mem(data, size, &m) == -1)
		return;
	if (mtree_parse(&t, m.raw.p, m.hdr_off, m.raw.len - m.hdr_off,
	    m.hdr_len, m.body_off) == 0)
		walk(m.raw.p, &t, m.hdr_off, m.raw.len);
	mtree_free(&t);
	msg_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size % 2)
		html((const char *)data, size);
	else
		message(data, size);
	return 0;
}
