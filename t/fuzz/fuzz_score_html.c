/* fuzz_score_html: bytes from the fuzzer through spam-score's text views.
 * Odd sizes: the bytes are HTML, rendered to text and links, the text
 * normalised and searched for written links, every link's host taken.
 * Even sizes: the bytes are a whole message, through score_msg_build
 * (MIME walk, charset conversion, rendering).  Properties beyond "no
 * crash, no leak, no UB": the rendered text is never much longer than the
 * HTML, the links are capped, normalised text has no white space runs,
 * and a link's canonical form (uri.h) is its own canonical form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "msg.h"
#include "score_html.h"
#include "score_msg.h"
#include "uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Canonical once is canonical: uri_canon of its own output is the same. */
static void
canon_twice(const char *u, size_t n)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	unsigned fl = 0;

	if (uri_canon(u, n, &a, &fl) == 0 &&
	    (uri_canon(a.p, a.len, &b, &fl) != 0 || a.len != b.len ||
	    memcmp(a.p, b.p, a.len) != 0 || a.len > n + 8 + URI_HOST_MAX))
		abort();
	buf_free(&a);
	buf_free(&b);
}

static void
html(const char *s, size_t n)
{
	struct buf text = BUF_INIT, uris = BUF_INIT, norm = BUF_INIT;
	size_t nuri = 0, i, start;
	unsigned flags = 0;
	char host[256];

	if (score_html_render(s, n, &text, &uris, &nuri, &flags) == 0) {
		/* a character reference of 3 bytes gives at most 3 */
		if (text.len > n + 8 || nuri > 2 * SCORE_HTML_MAXURI)
			abort();
		(void)score_text_normalise(text.p ? text.p : "", text.len, &norm,
		    SCORE_TEXT_MAX);
		for (i = 1; i < norm.len; i++)
			if (norm.p[i] == ' ' && norm.p[i - 1] == ' ')
				abort();
		(void)score_text_uris(text.p ? text.p : "", text.len, &uris, &nuri);
		for (i = start = 0; i < uris.len; i++)
			if (uris.p[i] == '\n') {
				(void)score_uri_host(uris.p + start, i - start, host,
				    sizeof host);
				canon_twice(uris.p + start, i - start);
				start = i + 1;
			}
	}
	buf_free(&text);
	buf_free(&uris);
	buf_free(&norm);
}

static void
message(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct msg m;
	struct hdr h;
	struct score_msg sm;

	mime_limits_default(&lim);
	lim.seconds = 2;
	memset(&h, 0, sizeof h);
	if (msg_from_mem(data, size, &m) == -1)
		return;
	if (hdr_parse(&h, m.raw.p, m.hdr_off, m.hdr_len, NULL) == 0 &&
	    score_msg_build(&sm, &m, &h, &lim) == 0) {
		if (sm.text.len > SCORE_TEXT_MAX + 2048)
			abort();
		score_msg_free(&sm);
	}
	hdr_free(&h);
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
